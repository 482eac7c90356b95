"""BigGAN explore: pick an ImageNet class, turn the truncation knob, roll new seeds.

Four BigGAN-deep images of one class. Left/right arrows change the class, up/down change
the truncation (small: clean, typical images; near 1: varied; above 1: strange), space
rolls a new seed, and a click picks the truncation from the mouse's x position.
Each change renders four new images, which takes a few seconds on a CPU.

    sketchml run sketches/biggan_explore.py
    sketchml run sketches/biggan_explore.py --headless --frames 3 --out out/explore.gif

Weights: the published BigGAN-deep 128 files (config.json and pytorch_model.bin from the
Hugging Face repository osanseviero/BigGAN-deep-128) in ~/.cache/sketchml/weights/biggan/deep-128/
or in your Hugging Face cache. Without them, write random weights there to try the sketch
(they paint abstract colour fields, not goldfish):

    python -c "from sketchml_gan.biggan import save_random_checkpoint as s; s('$HOME/.cache/sketchml/weights/biggan/deep-128')"
"""
import sketchml as sk

CLASSES = ["goldfish", "tabby cat", "volcano", "daisy", "jellyfish", "pizza", "lighthouse", "elephant"]
TILE = 256

gan = None
images = None
choice = 0
truncation = 0.4
seed = 0


def setup():
    global gan
    size(2 * TILE, 2 * TILE + 40)
    text_size(16)
    gan = sk.model("biggan.deep-128")
    render()


def render():
    global images
    # The same seed keeps the same noise, so only the class or the truncation changes.
    images = gan.generate(4, seed=seed, label=CLASSES[choice], truncation=truncation)


def draw():
    background(16)
    for i in range(4):
        image(images[i], (i % 2) * TILE, (i // 2) * TILE, TILE, TILE)
    fill(235)
    text(f"{CLASSES[choice]}   truncation {truncation:.2f}   seed {seed}", 12, 2 * TILE + 26)


def key_pressed():
    global choice, truncation, seed
    if key_code == RIGHT:
        choice = (choice + 1) % len(CLASSES)
    elif key_code == LEFT:
        choice = (choice - 1) % len(CLASSES)
    elif key_code == UP:
        truncation = min(truncation + 0.1, 2.0)
    elif key_code == DOWN:
        truncation = max(truncation - 0.1, 0.05)
    elif key == " ":
        seed += 1
    else:
        return
    render()


def mouse_pressed():
    global truncation
    truncation = remap(mouse_x, 0, width, 0.05, 1.5)
    render()
