"""A latent walk through dcgan.shapes: ten morphing pictures, drawn by a GAN, frame by frame.

dcgan.shapes is a small DCGAN that ships with sketchml. It was trained offline, on one
CPU core, in a quarter of an hour of CPU time, on the "shapes world": pictures of coloured
circles, squares, triangles, stars and crosses that sketchml draws itself. Every picture it
makes comes from a latent: 100 random numbers. Walking smoothly from one latent to the next
(slerp, the right path for Gaussian noise), the pictures melt from shape to shape.

The big picture and the nine small ones each walk their own loop through four
keyframes, in step: a pause on each keyframe, an eased glide to the next, and back to
the first after 180 frames, so the video loops seamlessly. Press space for new walks.

    sketchml run sketches/dcgan_latent_walk.py
    sketchml run sketches/dcgan_latent_walk.py --headless --frames 180 --out out/demo.mp4
"""
import sketchml as sk

KEYFRAMES = 4
STEPS = 41  # frames per glide, both ends included
HOLD = 5  # frames to rest on each keyframe: 4 x (40 + 5) = 180 frames per loop
TILES = 10  # the big picture + a 3 x 3 grid
BIG = 336
SMALL = 84
GAP = 8

gan = None
walk = None
frames = 0
seed = 0


def setup():
    global gan
    size(640, 360)
    gan = sk.model("dcgan.shapes")
    new_walks()


def clearest(n):
    """The n latents with the crispest pictures out of 8 n random ones.

    A GAN makes some muddy pictures too; a show picks its clearest (here: the most contrast).
    """
    pool = gan.sample_latent(8 * n, seed=seed)
    contrast = gan.generate(pool).flatten(1).std(dim=1)
    return pool[contrast.argsort(descending=True)[:n]]


def new_walks():
    global walk, frames
    # One latent per tile and keyframe; the big tile gets the clearest of each keyframe.
    best = clearest(TILES * KEYFRAMES)
    keys = [best[k::KEYFRAMES] for k in range(KEYFRAMES)]
    # sk.interpolate walks every tile's keyframes at once, frame after frame: items 0-9
    # are frame 0's ten latents, items 10-19 frame 1's ...
    walk = sk.interpolate(keys, steps=STEPS, hold=HOLD, easing="ease-in-out", loop=True)
    frames = len(walk) // TILES


def draw():
    background(12, 14, 24)
    frame = (frame_count - 1) % frames
    pictures = gan.generate(walk[frame * TILES:(frame + 1) * TILES])
    image(pictures[0], GAP * 1.5, GAP * 1.5, BIG, BIG)
    left = GAP * 3 + BIG
    for i in range(1, TILES):
        row, col = divmod(i - 1, 3)
        image(pictures[i], left + col * (SMALL + GAP), GAP * 1.5 + row * (SMALL + GAP), SMALL, SMALL)

    # Where the walk is: four dots for the keyframes, a bar that fills as it glides.
    top = GAP * 1.5 + 3 * (SMALL + GAP) + 6
    per_key = frames / KEYFRAMES
    no_stroke()
    fill(60, 66, 90)
    rect(left, top, 3 * SMALL + 2 * GAP, 4, 2)
    fill(255, 200, 60)
    rect(left, top, (3 * SMALL + 2 * GAP) * (frame + 1) / frames, 4, 2)
    for k in range(KEYFRAMES):
        circle(left + (3 * SMALL + 2 * GAP) * k * per_key / frames, top + 2, 9)
    fill(235)
    text_size(17)
    text("dcgan.shapes: a latent walk", left, top + 34)
    fill(150, 156, 180)
    text_size(12)
    text("trained offline on the shapes world", left, top + 54)


def key_pressed():
    global seed
    if key == " ":
        seed += 1
        new_walks()
