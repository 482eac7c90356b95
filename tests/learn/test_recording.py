"""Recording while a key is held, from a running sketch fed real input events."""
from __future__ import annotations

import sketchml as sk
from sketchml.runtime.loop import Runner


class Teach(sk.Sketch):
    """The lesson's pattern: hold 1 or 2 while moving the mouse; T trains."""

    def setup(self):
        self.learner = sk.Learner(inputs=["x", "y"], classes=["left", "right"])
        self.seen = None

    def draw(self):
        if self.is_key_pressed and self.key in ("1", "2"):
            self.learner.add_example([self.mouse_x, self.mouse_y], ["left", "right"][int(self.key) - 1])
        if self.learner.trained:
            self.seen = self.learner.predict([self.mouse_x, self.mouse_y])[0]

    def key_pressed(self):
        if self.key == "t":
            self.learner.train()


def test_examples_are_recorded_while_the_key_is_held():
    runner = Runner(Teach(), headless=True)
    runner.start()
    try:
        sketch = runner.sketch

        def frames(n, x, y):
            for i in range(n):
                runner.post_event("move", x + i, y)
                runner.step()

        frames(3, 10, 50)                                   # no key: nothing recorded
        runner.post_event("key", "1", 49, True, False)
        frames(10, 10, 50)                                  # held over the left: 10 examples
        runner.post_event("key", "1", 49, False, False)
        frames(3, 50, 50)
        runner.post_event("key", "2", 50, True, False)
        frames(8, 80, 50)                                   # held over the right: 8 more
        runner.post_event("key", "2", 50, False, False)
        runner.post_event("key", "t", 84, True, False)
        runner.post_event("key", "t", 84, False, False)
        frames(1, 85, 50)
        assert len(sketch.learner) == 18 and sketch.learner.trained
        assert sketch.seen == "right"
        frames(1, 5, 50)
        assert sketch.seen == "left"
    finally:
        runner.close()
