"""BigGAN class mixing: a circle that is partly a square.

A class vector is usually one-hot (all zeros and a single 1), but BigGAN takes any mix:
{"circle": 0.6, "square": 0.4} asks for something 60 % circle and 40 % square. The strip at
the top holds eight steps from pure circle to pure square, all from the same noise; the big
picture is the step under the mouse (or, with no mouse, each step in turn). Weights outside
0..1 ("circle": 1.5, "square": -0.5) leave the classes behind: press o to try them.

    sketchml run sketches/biggan_class_mixing.py
    sketchml run sketches/biggan_class_mixing.py --headless --frames 8 --out out/mixing.gif

It runs offline on ``biggan.shapes``, the small BigGAN-deep that ships with sketchml (32 px,
the shapes world's five shapes as classes). With the published ImageNet weights in
~/.cache/sketchml/weights/biggan/deep-128/ (as in biggan_explore.py), set
``MODEL = "biggan.deep-128"`` and ``A, B = "elephant", "truck"``.
"""
import sketchml as sk

MODEL = "biggan.shapes"
A, B = "circle", "square"
STEPS = 8
SEED = 3

gan = None
mixes = None
weights = None
odd = False


def setup():
    size(512, 576)
    text_size(15)
    global gan
    gan = sk.model(MODEL)
    render()


def render():
    global mixes, weights
    # Past the ends of 0..1 when odd: the class vector leaves the simplex.
    low, high = (-0.5, 1.5) if odd else (0.0, 1.0)
    weights = [low + (high - low) * i / (STEPS - 1) for i in range(STEPS)]
    labels = [{A: 1 - w, B: w} for w in weights]
    noise = gan.sample_latent(1, seed=SEED, truncation=0.4)
    # One noise for every step: only the class vector changes along the strip.
    mixes = gan.generate(sk.Latent.cat([noise] * STEPS), label=labels)


def draw():
    background(16)
    tile = width / STEPS
    for i in range(STEPS):
        image(mixes[i], i * tile, 0, tile, tile)
    if 0 < mouse_y and 0 < mouse_x < width:
        pick = int(constrain(mouse_x / tile, 0, STEPS - 1))
    else:
        pick = frame_count % STEPS
    no_fill()
    stroke(255, 200, 0)
    rect(pick * tile, 0, tile, tile)
    no_stroke()
    image(mixes[pick], 0, tile, width, width)
    fill(235)
    w = weights[pick]
    text(f"{A} {1 - w:.2f} + {B} {w:.2f}" + ("   (off the simplex: o)" if odd else "   (o: go further)"),
         10, height - 2)


def key_pressed():
    global odd
    if key == "o":
        odd = not odd
        render()
