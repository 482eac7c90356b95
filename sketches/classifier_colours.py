"""Teach a classifier your own names for colours, and watch four kinds of model draw the borders.

The input is a colour (red, green, blue): the one under the mouse on the palette on the
left or, when a camera is plugged in (sk.Capture), the mean colour of what it sees. Hold
1, 2 or 3 to record the colour as "warm", "cool" or "grey", with a few examples of each;
press T to train. The right half paints every colour of the palette with the class the
model gives it: the learned borders. Press M to try the next model (k-nearest neighbours,
a neural network, a decision tree, AdaBoost) on the same examples and compare borders.

    T train   M next model   S save   C forget the examples   K camera on / off

Until you touch the mouse or a key, a scripted performer labels 60 colours by a rule
(saturated reds to yellows are warm, greens to purples cool, pale ones grey), trains, and
shows each model in turn with its accuracy on 400 other colours labelled by the same rule.
The classifier is saved to output/classifier_colours/colours.safetensors beside the sketch
(sk.output_path()).

    sketchml run sketches/classifier_colours.py
    sketchml run sketches/classifier_colours.py --headless --frames 240 --out out/colours.mp4
"""
import numpy as np

import sketchml as sk
from sketchml.learn import features

CLASSES = ["warm", "cool", "grey"]
MODELS = ["knn", "neural", "tree", "boost"]
SHOW = {"warm": (255, 140, 60), "cool": (70, 140, 255), "grey": (150, 150, 150)}
SIZE = 240
SAVED = "classifier_colours/colours.safetensors"  # in the output folder

palette = None          # (SIZE, SIZE, 3) floats: hue across, saturation down
palette_image = None
borders = None
learner = None
model = 0
camera = None
spots = []              # where on the palette each example was recorded, and its class
person = False
message = ""
rng = np.random.default_rng(1)


def hsv_to_rgb(h, s, v):
    """Colours from hue, saturation and value arrays in [0, 1], as (..., 3) floats."""
    i = np.floor(h * 6) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(h.shape + (3,))
    for k, channels in enumerate(table):
        out[i == k] = np.stack(channels, -1)[i == k]
    return out


def rule(h, s):
    """The performer's idea of the classes, for a hue and saturation."""
    if s < 0.3:
        return "grey"
    return "warm" if h < 0.17 or h > 0.92 else "cool"


def setup():
    global palette, palette_image, learner
    size(2 * SIZE + 48, SIZE + 96)
    hue, sat = np.meshgrid(np.linspace(0, 1, SIZE), np.linspace(1, 0, SIZE))
    palette = hsv_to_rgb(hue, sat, np.full_like(hue, 0.95))
    palette_image = sk.Image.from_array(palette)
    learner = sk.Learner(inputs=["red", "green", "blue"], classes=CLASSES, model=MODELS[model])


def train():
    global borders, message
    if len(learner) == 0:
        message = "record a few colours first: hold 1, 2 or 3"
        return
    seconds = learner.train()
    # Paint the palette with the model's classes (a coarser grid, to stay quick).
    grid = palette[::6, ::6].reshape(-1, 3) * 255
    labels = [row[0] for row in learner.predict_many(grid)]
    cells = np.array([SHOW[label] for label in labels], np.uint8).reshape(SIZE // 6, SIZE // 6, 3)
    borders = sk.Image.from_array(np.repeat(np.repeat(cells, 6, 0), 6, 1))
    message = f"{MODELS[model]}: trained in {seconds * 1000:.0f} ms"
    if not person:
        message += f"; {held_out_accuracy():.0%} right on 400 new colours"


def held_out_accuracy():
    h, s = rng.random(400), rng.random(400)
    colours = hsv_to_rgb(h, s, np.full(400, 0.95)) * 255
    guesses = [row[0] for row in learner.predict_many(colours)]
    return np.mean([g == rule(a, b) for g, a, b in zip(guesses, h, s)])


def use_model(index):
    global model
    model = index % len(MODELS)
    learner.set_model(0, MODELS[model])
    train()


def colour_and_key():
    """The input colour (0-255) and the class key held, if any."""
    if not person:
        f = frame_count
        if f <= 60:                                  # the performer labels 60 colours
            h, s = rng.random(), rng.random()
            x, y = int(h * (SIZE - 1)), int((1 - s) * (SIZE - 1))
            return palette[y, x] * 255, (x, y), str(CLASSES.index(rule(h, s)) + 1)
        x, y = int(120 + 100 * np.cos(f * 0.05)), int(120 + 100 * np.sin(f * 0.08))
        return palette[y, x] * 255, (x, y), None
    held = key if is_key_pressed and isinstance(key, str) and key in "123" else None
    if camera is not None:
        if camera.available():
            camera.read()
        return features.colour_stats(camera)[:3] * 255, None, held
    x, y = int(constrain(mouse_x - 16, 0, SIZE - 1)), int(constrain(mouse_y - 16, 0, SIZE - 1))
    return palette[y, x] * 255, (x, y), held


def draw():
    colour, spot, held = colour_and_key()
    if held is not None:                             # record while the key is held
        learner.add_example(colour, CLASSES[int(held) - 1])
        if spot is not None:
            spots.append((spot, CLASSES[int(held) - 1]))
    if not person and frame_count == 61:
        train()
        learner.save(sk.output_path(SAVED))
    if not person and frame_count > 61 and (frame_count - 61) % 45 == 0:
        use_model(model + 1)

    background(18, 20, 30)
    image(camera if camera is not None else palette_image, 16, 16, SIZE, SIZE)
    if borders is not None:
        image(borders, SIZE + 32, 16, SIZE, SIZE)
    stroke(255)
    stroke_weight(1)
    for (x, y), label in spots:                      # the examples, over the borders
        fill(*SHOW[label])
        circle(SIZE + 32 + x, 16 + y, 7)
    if spot is not None:
        no_fill()
        stroke(0)
        stroke_weight(2)
        circle(16 + spot[0], 16 + spot[1], 14)
    no_stroke()
    fill(*colour)
    rect(16, SIZE + 28, 40, 40, 6)
    text_size(14)
    fill(230)
    if learner.trained:
        chances = learner.probabilities(colour)
        best = max(chances, key=chances.get)
        text(f"{best} ({chances[best]:.0%})", 68, SIZE + 46)
    text(f"model: {MODELS[model]}   {len(learner)} examples   "
         f"playing: {'you' if person else 'the scripted performer'}", 68, SIZE + 66)
    fill(170)
    text_size(12)
    text(message or "hold 1 warm, 2 cool, 3 grey to record; T to train", 16, SIZE + 88)


def mouse_moved():
    global person
    person = True


def key_pressed():
    global person, camera, message
    person = True
    if key in ("t", "T"):
        train()
    elif key in ("m", "M"):
        use_model(model + 1)
    elif key in ("s", "S"):
        learner.save(sk.output_path(SAVED))
        message = f"saved {SAVED}"
    elif key in ("c", "C"):
        learner.delete_examples()
        spots.clear()
    elif key in ("k", "K"):
        if camera is not None:
            camera.stop()
            camera = None
        elif sk.Capture.list():
            camera = sk.Capture()
            camera.start()
        else:
            message = "no camera found: the palette it is"
