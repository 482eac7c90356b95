"""sketchml demo: 2,000 particles drifting through a Perlin-noise flow field.

An imported-mode sketch (bare setup()/draw(), run by `sketchml run`): every
particle moves in one numpy step and the whole swarm is drawn with a single
array-first lines() call. Drag the mouse to stir the field, click to scatter
the particles, press space for a new field.

    sketchml run sketches/demo.py
    sketchml run sketches/demo.py --headless --frames 180 --out out/demo.mp4
"""
import numpy as np

COUNT = 2000
SPEED = 1.8
ZOOM = 0.0035


def hsb_to_rgb(h, s, b):
    """Vectorised HSB (all in [0, 1]) to an (N, 3) RGB array in [0, 1]."""
    k = (np.stack([5.0, 3.0, 1.0]) [:, None] + h[None, :] * 6.0) % 6.0
    return (b - b * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)).T


def scatter():
    global pos, age
    pos = np.column_stack([
        np.array([random(width) for _ in range(COUNT)]),
        np.array([random(height) for _ in range(COUNT)]),
    ])
    age = np.array([random_int(0, 200) for _ in range(COUNT)], dtype=float)


def setup():
    size(640, 360)
    background(8, 10, 24)
    stroke_cap(ROUND)
    scatter()


def draw():
    global pos, age
    # A translucent veil instead of a clear leaves fading trails.
    no_stroke()
    fill(8, 10, 24, 22)
    rect(0, 0, width, height)

    t = frame_count * 0.006
    angle = noise(pos[:, 0] * ZOOM, pos[:, 1] * ZOOM, t) * TWO_PI * 2.5
    step = np.column_stack([np.cos(angle), np.sin(angle)]) * SPEED
    if is_mouse_pressed:
        pull = np.array([mouse_x, mouse_y]) - pos
        reach = np.hypot(pull[:, 0], pull[:, 1])[:, None] + 1.0
        step += pull / reach * 40.0 / np.sqrt(reach)
    new = pos + step

    hue = (0.55 + 0.35 * noise(pos[:, 0] * 0.002, pos[:, 1] * 0.002, t * 0.5) + t * 0.05) % 1.0
    colours = np.column_stack([hsb_to_rgb(hue, np.full(COUNT, 0.7), np.full(COUNT, 1.0)),
                               np.full(COUNT, 0.55)])
    lines(np.hstack([pos, new]), colors=colours, weights=1.0 + 1.5 * noise(pos[:, 0], t))

    age += 1
    # Particles that leave the canvas or grow old are reborn somewhere random.
    gone = (new[:, 0] < 0) | (new[:, 0] > width) | (new[:, 1] < 0) | (new[:, 1] > height)
    gone |= age > 240
    if gone.any():
        n = int(gone.sum())
        new[gone] = np.column_stack([
            np.array([random(width) for _ in range(n)]),
            np.array([random(height) for _ in range(n)]),
        ])
        age[gone] = 0
    pos = new


def mouse_pressed():
    if mouse_button == RIGHT:
        scatter()


def key_pressed():
    if key == " ":
        noise_seed(random_int(1_000_000))
        background(8, 10, 24)
