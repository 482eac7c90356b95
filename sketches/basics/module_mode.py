"""Module mode: `import sketchml as sk`, then sk.<name> everywhere, and sk.run_sketch().

    python sketches/basics/module_mode.py      (or: sketchml run sketches/basics/module_mode.py)

Twelve circles orbit the centre; Perlin noise makes each one's orbit breathe.
"""
import math

import sketchml as sk


def settings():
    sk.size(400, 300)


def draw():
    sk.background(245, 240, 230)
    sk.no_stroke()
    t = sk.millis() / 1000
    for i in range(12):
        angle = t + i * sk.TWO_PI / 12
        radius = 40 + 90 * sk.noise(i * 0.4, t * 0.5)
        sk.fill(40 + i * 15, 90, 160, 200)
        sk.circle(sk.width / 2 + radius * math.cos(angle), sk.height / 2 + radius * math.sin(angle), 24)


if __name__ == "__main__":
    sk.run_sketch()
