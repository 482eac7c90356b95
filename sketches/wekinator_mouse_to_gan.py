"""Steer a GAN with the mouse through a mapping you train in front of everyone (Wekinator style).

The "StyleGAN via Wekinator" demo, in one sketch: dcgan.shapes makes the pictures, and a
sk.Learner learns, from examples you give it, where in the GAN's latent space each spot
of the square on the left should take you.

Four pictures are the landmarks (keys 1-4 under them). Put the mouse somewhere in the
square, hold a number key and move around a little: while the key is held, every frame
records an example "this spot -> that picture". Record two or more, press T to train
(well under a second), and move the mouse: the learner's four outputs blend the four
latents, so the picture melts between your landmarks as you glide between your spots.

    T train   S save the mapping   L load it   C forget the examples   N new landmarks

Until you touch the mouse or a key, a scripted performer plays: it records the four
corners, trains, and glides in a loop. The mapping is saved (examples and networks, one
safetensors file) to output/wekinator_mouse_to_gan/mapping.safetensors beside the sketch
(sk.output_path()).

    sketchml run sketches/wekinator_mouse_to_gan.py
    sketchml run sketches/wekinator_mouse_to_gan.py --headless --frames 200 --out out/gan.mp4
"""
import math

import torch

import sketchml as sk

LANDMARKS = 4
PAD = 320                      # the square the mouse plays in
SAVED = "wekinator_mouse_to_gan/mapping.safetensors"  # in the output folder
COLOURS = [(255, 110, 90), (90, 200, 120), (90, 150, 255), (240, 200, 60)]
CORNERS = [(70, 70), (250, 70), (70, 250), (250, 250)]   # where the script records

gan = None
learner = None
landmarks = None
thumbs = None
seed = 3
person = False                 # True from the first real mouse move or key press
message = ""


def setup():
    global gan, learner
    size(680, 360)
    gan = sk.model("dcgan.shapes")
    # One output per landmark: how much of it to mix in; a small neural network each.
    learner = sk.Learner(inputs=["x", "y"], outputs=LANDMARKS, model="neural")
    new_landmarks()


def new_landmarks():
    global landmarks, thumbs
    landmarks = gan.sample_latent(LANDMARKS, seed=seed)["z"]
    thumbs = gan.generate(landmarks)


def blend(weights):
    """A latent from four mixing weights: a weighted mean of the landmarks, rescaled so it
    stays as long as a Gaussian latent should (a plain mean would drift to grey)."""
    w = torch.tensor(weights, dtype=torch.float32).clamp(min=0)
    if w.sum() <= 1e-6:
        w = torch.ones(LANDMARKS)
    w = w / w.sum()
    return (w[:, None] * landmarks).sum(0, keepdim=True) / w.norm()


def scripted():
    """The performer's hand: (x, y, key held) for this frame."""
    f = frame_count
    if f <= 80:
        k = (f - 1) // 20
        cx, cy = CORNERS[k]
        a = f * 0.9
        return cx + 18 * math.cos(a), cy + 18 * math.sin(a), str(k + 1)
    a = (f - 80) * 0.035
    return 160 + 120 * math.cos(a), 160 + 120 * math.sin(1.5 * a), None


def hand():
    if not person:
        return scripted()
    held = key if is_key_pressed and isinstance(key, str) and key in "1234" else None
    return constrain(mouse_x, 0, PAD), constrain(mouse_y, 0, PAD), held


def train():
    global message
    if len(learner) == 0:
        message = "record some examples first: hold 1-4 over the square"
        return
    seconds = learner.train()
    message = f"trained on {len(learner)} examples in {seconds * 1000:.0f} ms"


def save():
    global message
    learner.save(sk.output_path(SAVED))
    message = f"saved {SAVED}"


def draw():
    global message
    x, y, held = hand()
    if held is not None:                           # record while the key is held
        target = [1.0 if i == int(held) - 1 else 0.0 for i in range(LANDMARKS)]
        learner.add_example([x, y], target)
    if not person and frame_count == 81:           # the performer trains and saves
        train()
        save()

    background(16, 18, 28)
    no_stroke()
    fill(32, 36, 52)
    rect(0, 0, PAD, PAD)
    inputs, outputs = learner.examples()
    for (ex, ey), out in zip(inputs, outputs):
        fill(*COLOURS[max(range(LANDMARKS), key=lambda i: out[i])], 150)
        circle(ex, ey, 5)
    stroke(255)
    no_fill()
    circle(x, y, 16 if held is None else 26)
    no_stroke()

    weights = learner.predict([x, y]) if learner.trained else [1.0] + [0.0] * (LANDMARKS - 1)
    picture = gan.generate(blend(weights)) if learner.trained else thumbs[0:1]
    image(picture, PAD + 24, 8, 264, 264)
    for i in range(LANDMARKS):
        left = PAD + 24 + i * 68
        image(thumbs[i:i + 1], left, 280, 60, 60)
        fill(*COLOURS[i])
        rect(left, 344, 60 * constrain(weights[i], 0, 1), 6)
        fill(255)
        text_size(12)
        text(str(i + 1), left + 3, 292)

    fill(220)
    text_size(13)
    who = "you" if person else "the scripted performer"
    state = "running" if learner.trained else "not trained yet"
    text(f"{len(learner)} examples, {state}; playing: {who}", 8, PAD + 18)
    text(message or "hold 1-4 over the square to record, T to train", 8, PAD + 36)


def mouse_moved():
    global person
    person = True


def key_pressed():
    global person, learner, seed, message
    person = True
    if key in ("t", "T"):
        train()
    elif key in ("s", "S"):
        save()
    elif key in ("l", "L"):
        if sk.output_path(SAVED).exists():
            learner = sk.load_learner(sk.output_path(SAVED))
            message = f"loaded {SAVED}: {len(learner)} examples"
        else:
            message = f"nothing saved yet at {SAVED}"
    elif key in ("c", "C"):
        learner.delete_examples()
        message = "examples forgotten (the trained mapping stays until you train again)"
    elif key in ("n", "N"):
        seed += 1
        new_landmarks()
