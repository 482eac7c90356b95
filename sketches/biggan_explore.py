"""BigGAN explore: pick a class, turn the truncation knob, roll new seeds.

Four BigGAN-deep images of one class. Left/right arrows change the class, up/down change
the truncation (small: clean, typical images; near 1: varied; above 1: strange), space
rolls a new seed, and a click picks the truncation from the mouse's x position. Until a key
or the mouse is pressed (a headless render, say) it tours: every two frames the next class,
and after all of them the next truncation of 0.2, 0.5 and 1.0.

    sketchml run sketches/biggan_explore.py
    sketchml run sketches/biggan_explore.py --headless --frames 3 --out out/explore.gif

It runs offline on ``biggan.shapes``, the small BigGAN-deep that ships with sketchml: 32 px
pictures whose classes are the shapes world's five shapes (circle, square, triangle, star,
cross), so each change renders at once. With the published ImageNet weights (config.json and
pytorch_model.bin from the Hugging Face repository osanseviero/BigGAN-deep-128, in
~/.cache/sketchml/weights/biggan/deep-128/), set ``MODEL = "biggan.deep-128"`` and the
classes to ImageNet names ("goldfish", "volcano", ...); each change then takes a few seconds.
"""
import sketchml as sk

MODEL = "biggan.shapes"
CLASSES = None  # None: every class of the model (for biggan.deep-128, give ImageNet names)
TILE = 256

gan = None
images = None
choice = 0
truncation = 0.2
seed = 0
TOUR = (0.2, 0.5, 1.0)  # the truncations of the tour
touched = False


def setup():
    global gan, CLASSES
    size(2 * TILE, 2 * TILE + 40)
    text_size(16)
    gan = sk.model(MODEL)
    CLASSES = CLASSES or gan.class_names
    tour(0)


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
    if not touched and frame_count % 2 == 0:
        tour(frame_count // 2)


def tour(step):
    global choice, truncation
    choice = step % len(CLASSES)
    truncation = TOUR[(step // len(CLASSES)) % len(TOUR)]
    render()


def key_pressed():
    global choice, truncation, seed, touched
    touched = True
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
    global truncation, touched
    touched = True
    truncation = remap(mouse_x, 0, width, 0.05, 1.5)
    render()
