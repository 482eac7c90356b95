"""Steer a GAN with a camera: show it four scenes, and the GAN follows what the camera sees.

The camera twin of wekinator_mouse_to_gan.py. Every frame the camera's picture is shrunk
to a 6 x 4 grid of brightness (24 numbers, Wekinator's webcam input at a lower resolution);
a sk.Learner maps those 24 numbers to four mixing weights, and the weights blend four
dcgan.shapes latents (the landmarks shown under the picture).

Show the camera something, hold 1-4 to record "this view -> that landmark" for a second,
do the same for other views, press T: the GAN picture now changes as the view does.

    T train   S save   C forget the examples

With no camera (sk.Capture.list() is empty), a stand-in plays: sketchml's procedural
room clip (sk.datasets.scene_clip), a panning view with a bouncing ball. Until you press
a key, a scripted performer records each quarter of the clip as one landmark, trains,
and lets the clip steer the walk. Files go to output/camera_to_gan/ beside the sketch
(sk.output_path()).

    sketchml run sketches/camera_to_gan.py
    sketchml run sketches/camera_to_gan.py --headless --frames 240 --out out/camera-gan.mp4
"""
import torch

import sketchml as sk
from sketchml.learn import features

LANDMARKS = 4
COLS, ROWS = 6, 4
OUT = "camera_to_gan"  # its folder in the output folder
CLIP_FRAMES = 120
COLOURS = [(255, 110, 90), (90, 200, 120), (90, 150, 255), (240, 200, 60)]

gan = None
cam = None
learner = None
landmarks = None
thumbs = None
person = False
message = ""


def setup():
    global gan, cam, learner, landmarks, thumbs, message
    size(560, 330)
    gan = sk.model("dcgan.shapes")
    landmarks = gan.sample_latent(LANDMARKS, seed=5)["z"]
    thumbs = gan.generate(landmarks)
    if sk.Capture.list():
        cam = sk.Capture(width=160, height=120)
    else:
        clip = sk.datasets.scene_clip(sk.output_path(OUT) / "room.mp4", frames=CLIP_FRAMES)
        cam = sk.Capture(str(clip))
        message = "no camera: the stand-in room clip plays"
    cam.start()
    learner = sk.Learner(inputs=COLS * ROWS, outputs=LANDMARKS, model="neural")


def blend(weights):
    """The landmarks mixed by the weights, rescaled to a Gaussian latent's length."""
    w = torch.tensor(weights, dtype=torch.float32).clamp(min=0)
    if w.sum() <= 1e-6:
        w = torch.ones(LANDMARKS)
    w = w / w.sum()
    return (w[:, None] * landmarks).sum(0, keepdim=True) / w.norm()


def held_key():
    if not person:      # the performer: one quarter of the clip per landmark, once through
        return str((frame_count - 1) * LANDMARKS // CLIP_FRAMES + 1) if frame_count <= CLIP_FRAMES else None
    return key if is_key_pressed and isinstance(key, str) and key in "1234" else None


def train():
    global message
    if len(learner):
        message = f"trained on {len(learner)} views in {learner.train() * 1000:.0f} ms"
        learner.save(sk.output_path(OUT) / "mapping.safetensors")


def draw():
    if cam.available():
        cam.read()
    view = features.grid(cam, COLS, ROWS)
    held = held_key()
    if held is not None:                               # record while the key is held
        learner.add_example(view, [float(i == int(held) - 1) for i in range(LANDMARKS)])
    if not person and frame_count == CLIP_FRAMES + 1:
        train()

    background(16, 18, 28)
    image(cam, 12, 12, 240, 180)
    weights = learner.predict(view) if learner.trained else [0.0] * LANDMARKS
    picture = gan.generate(blend(weights)) if learner.trained else thumbs[0:1]
    image(picture, 276, 12, 272, 272)
    for i in range(LANDMARKS):
        left = 12 + i * 60
        image(thumbs[i:i + 1], left, 204, 54, 54)
        fill(*COLOURS[i])
        rect(left, 262, 54 * constrain(weights[i], 0, 1), 6)
        if held == str(i + 1):
            no_fill()
            stroke(*COLOURS[i])
            rect(left - 2, 202, 58, 58)
            no_stroke()
    fill(220)
    text_size(13)
    state = "running" if learner.trained else "not trained"
    text(f"{len(learner)} examples, {state}", 12, 290)
    text(message or "hold 1-4 to record the view, T to train", 12, 312)


def key_pressed():
    global person, message
    person = True
    if key in ("t", "T"):
        train()
    elif key in ("s", "S"):
        learner.save(sk.output_path(OUT) / "mapping.safetensors")
        message = f"saved {OUT}/mapping.safetensors"
    elif key in ("c", "C"):
        learner.delete_examples()
