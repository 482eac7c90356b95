"""Latent walk: glide through a GAN's latent space, one picture per frame.

A few random latents are the keyframes. The walk moves from one to the next the way the
model's latent space wants (slerp for DCGAN's Gaussian noise), stays on each keyframe for
a moment, eases in and out of every move, and loops back to the first. Each frame of the
walk is one generated image, drawn big with image(); the strip below shows the keyframes
and where the walk is. Space: new keyframes (the next seed). S: save the latent of the
picture on screen to output/latent_walk/ beside the sketch (sk.output_path()), to
re-render it later (see stored_latents.py).

    sketchml run sketches/latent_walk.py
    sketchml run sketches/latent_walk.py --headless --frames 160 --out out/walk.mp4

MODEL can be any image family with latents: "dcgan.shapes" (the default) is built in and
runs offline; try "biggan.deep-128", or "stylegan2" with WEIGHTS = "your-model.pt".
"""
import sketchml as sk

MODEL = "dcgan.shapes"
WEIGHTS = None  # None: the model's own weights; or a weights file / a training folder
KEYFRAMES = 4
STEPS = 40  # frames from one keyframe to the next
HOLD = 12  # frames to stay on each keyframe
EASING = "ease-in-out"  # linear, ease-in, ease-out, ease-in-out or sine
VIEW = 512
THUMB = 64

gan = None
seed = 1
keys = None
thumbs = None
frames = None
shown = None
count = 0


def setup():
    global gan
    size(VIEW, VIEW + THUMB)
    gan = sk.model(MODEL, weights=WEIGHTS)
    new_walk()


def new_walk():
    global keys, thumbs, frames, count
    keys = gan.sample_latent(KEYFRAMES, seed=seed)
    thumbs = gan.generate(keys)
    # repeat=True starts the looping walk again after its last frame, for ever; frames are
    # generated a few at a time, as they are needed.
    frames = sk.walk_frames(gan, keys, steps=STEPS, hold=HOLD, easing=EASING, loop=True,
                            repeat=True)
    count = 0


def draw():
    global shown, count
    background(12)
    shown = next(frames)
    image(shown, 0, 0, VIEW, VIEW)
    for i in range(KEYFRAMES):
        image(thumbs[i], i * THUMB, VIEW, THUMB, THUMB)
    # With loop=True each keyframe owns HOLD + STEPS - 1 frames: its hold, then the move on.
    per_key = HOLD + STEPS - 1
    position = (count % (KEYFRAMES * per_key)) / per_key
    no_fill()
    stroke(255, 220, 0)
    stroke_weight(3)
    rect(int(position) * THUMB + 1.5, VIEW + 1.5, THUMB - 3, THUMB - 3)
    no_stroke()
    fill(255, 220, 0)
    circle(position * THUMB + THUMB / 2, VIEW + THUMB / 2, 10)
    fill(200)
    text_size(14)
    text(f"{MODEL}  seed {seed}", (KEYFRAMES + 1) * THUMB, VIEW + THUMB / 2 + 5)
    count += 1


def key_pressed():
    global seed
    if key == " ":
        seed += 1
        new_walk()
    elif key in ("s", "S"):
        path = shown.latent.save(output_path(f"latent_walk/seed{seed}-frame{count}.safetensors"))
        print(f"saved {path}")
