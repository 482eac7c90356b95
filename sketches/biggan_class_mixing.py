"""BigGAN class mixing: an elephant that is partly a truck.

A class vector is usually one-hot (all zeros and a single 1), but BigGAN takes any mix:
{"elephant": 0.6, "truck": 0.4} asks for something 60 % elephant and 40 % truck. The strip at
the top holds eight steps from pure elephant to pure truck, all from the same noise; the big
picture is the step under the mouse (or, with no mouse, each step in turn). Weights outside
0..1 ("elephant": 1.5, "truck": -0.5) leave the classes behind: press o to try them.

    sketchml run sketches/biggan_class_mixing.py
    sketchml run sketches/biggan_class_mixing.py --headless --frames 8 --out out/mixing.gif

Weights: as in biggan_explore.py (osanseviero/BigGAN-deep-128 in ~/.cache/sketchml/weights/
biggan/deep-128/, or random ones from sketchml_gan.biggan.save_random_checkpoint).
"""
import sketchml as sk

A, B = "elephant", "truck"
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
    gan = sk.model("biggan.deep-128")
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
