"""Class mode: subclass sk.Sketch, draw with self.<name>, start with MySketch().run_sketch().

    python sketches/basics/class_mode.py       (or: sketchml run sketches/basics/class_mode.py)

A grid of squares that turn to face the mouse; click to freeze and unfreeze it.
"""
import math

import sketchml as sk


class Compass(sk.Sketch):
    def settings(self):
        self.size(400, 300)

    def setup(self):
        self.rect_mode(sk.CENTER)
        self.stroke(20)

    def draw(self):
        self.background(250)
        for gx in range(20, self.width, 40):
            for gy in range(20, self.height, 40):
                self.push()
                self.translate(gx, gy)
                self.rotate(math.atan2(self.mouse_y - gy, self.mouse_x - gx))
                self.fill(self.remap(gx, 0, self.width, 80, 255), 120, 200)
                self.rect(0, 0, 28, 8)
                self.pop()

    def mouse_pressed(self):
        if self.is_looping():
            self.no_loop()
        else:
            self.loop()


if __name__ == "__main__":
    Compass().run_sketch()
