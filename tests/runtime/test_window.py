"""Window mode (glfw, run under xvfb-run): same pixels as headless, resizing and input."""
from __future__ import annotations

import os

import numpy as np
import pytest

import sketchml as sk
from sketchml.constants import CODED, ESC, LEFT, UP
from sketchml.runtime.loop import Runner

pytestmark = [
    pytest.mark.window,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (run under xvfb-run)"),
]


class Scene(sk.Sketch):
    def settings(self):
        self.size(96, 64)

    def setup(self):
        self.events = []

    def draw(self):
        self.background(30, 60, 90)
        self.no_stroke()
        self.fill(250, 200, 20)
        self.rect(0, 0, 30, 20)                       # top-left: catches a missing flip
        self.fill(200, 30, 60)
        self.circle(70, 44, 24)
        self.stroke(255)
        self.stroke_weight(3)
        self.line(10, 60, 90, 30)

    def mouse_pressed(self, e):
        self.events.append(("pressed", e.x, e.y, self.mouse_button))

    def mouse_wheel(self, e):
        self.events.append(("wheel", e.count))

    def key_pressed(self):
        self.events.append(("key", self.key, self.key_code))

    def key_released(self):
        self.events.append(("released", self.key, self.key_code, self.is_key_pressed))


def window_runner(sketch, **options):
    runner = Runner(sketch, headless=False, **options)
    runner.start()
    return runner


def test_window_shows_the_same_pixels_as_headless():
    headless = Scene()
    headless.run_sketch(headless=True, frames=2)
    expected = headless._read_pixels()

    sketch = Scene()
    runner = window_runner(sketch)
    try:
        runner.step()
        runner.step()
        assert np.array_equal(sketch._read_pixels(), expected)
        screen = runner.surface.read_screen(sketch)
        assert screen.shape == (64, 96, 3)
        assert np.abs(screen.astype(int) - expected[..., :3].astype(int)).max() <= 1
        assert tuple(screen[5, 5]) == (250, 200, 20)      # top-left stays top-left
    finally:
        runner.close()


def test_size_in_setup_resizes_the_window():
    import glfw

    class Resizer(sk.Sketch):
        def setup(self):
            self.size(120, 50)

        def draw(self):
            if self.frame_count == 2:
                self.size(60, 40)

    sketch = Resizer()
    runner = window_runner(sketch)
    try:
        runner.step()
        assert glfw.get_window_size(runner.surface.window) == (120, 50)
        runner.step()
        assert glfw.get_window_size(runner.surface.window) == (60, 40)
        assert runner.surface.read_screen(sketch).shape == (40, 60, 3)
    finally:
        runner.close()


def test_glfw_input_becomes_processing_events():
    import glfw

    sketch = Scene()
    runner = window_runner(sketch)
    surface = runner.surface
    window = surface.window
    try:
        # What glfw calls during poll_events for: move, left click, wheel up, 'a', Up arrow.
        surface._on_cursor(window, 40.0, 12.0)
        surface._on_button(window, glfw.MOUSE_BUTTON_LEFT, glfw.PRESS, 0)
        surface._on_scroll(window, 0.0, 1.0)
        surface._on_key(window, glfw.KEY_A, 38, glfw.PRESS, 0)
        surface._on_char(window, ord("A"))
        surface._on_key(window, glfw.KEY_UP, 111, glfw.PRESS, 0)
        surface._on_key(window, glfw.KEY_UP, 111, glfw.RELEASE, 0)
        surface._on_key(window, glfw.KEY_A, 38, glfw.RELEASE, 0)
        runner.step()
        assert sketch.events == [
            ("pressed", 40.0, 12.0, LEFT),
            ("wheel", -1),
            ("key", "A", 65),
            ("key", CODED, UP),
            ("released", CODED, UP, True),
            ("released", "A", 65, False),
        ]
        assert (sketch.mouse_x, sketch.mouse_y, sketch.is_mouse_pressed) == (40.0, 12.0, True)
    finally:
        runner.close()


def test_escape_closes_the_window_and_errors_keep_it_open(capsys):
    import glfw

    class Faulty(sk.Sketch):
        def draw(self):
            if self.frame_count == 2:
                raise RuntimeError("oops")

    sketch = Faulty()
    runner = window_runner(sketch)
    try:
        runner.step()
        assert runner.step() is True                  # the error is shown, not raised
        assert runner.failed.headline == "RuntimeError: oops"
        assert "RuntimeError: oops" in capsys.readouterr().err
        screen = runner.surface.read_screen(sketch)
        assert tuple(screen[50, 0]) == tuple(sketch._read_pixels()[50, 0, :3])
    finally:
        runner.close()

    sketch = Scene()
    runner = window_runner(sketch)
    try:
        runner.step()
        runner.surface._on_key(runner.surface.window, glfw.KEY_ESCAPE, 9, glfw.PRESS, 0)
        assert runner.step() is False
        assert sketch.key == ESC
    finally:
        runner.close()


def test_full_screen_takes_the_screen_size():
    import glfw

    class Full(sk.Sketch):
        def settings(self):
            self.full_screen()

        def draw(self):
            self.background(0, 255, 0)

    sketch = Full()
    runner = window_runner(sketch)
    try:
        runner.step()
        width, height = runner.surface.screen_size()
        assert (sketch.width, sketch.height) == (width, height) != (100, 100)
        assert glfw.get_window_monitor(runner.surface.window)
    finally:
        runner.close()

    headless = Full()
    headless.run_sketch(headless=True, frames=1)
    assert (headless.width, headless.height) == (100, 100)   # a render keeps its size


def test_module_mode_script_reloads_itself_when_saved(write_sketch):
    import subprocess
    import sys

    script = write_sketch('''
        import pathlib
        import sketchml as sk

        NEW = """
        import sketchml as sk

        def draw():
            sk.background(0, 255, 0)
            if sk.frame_count == 3:
                print("reloaded, frame", sk.frame_count, flush=True)
                sk.exit_sketch()

        sk.run_sketch()
        """

        def draw():
            sk.background(255, 0, 0)
            if sk.frame_count == 2:
                pathlib.Path(__file__).write_text(NEW)
            if sk.frame_count == 600:      # give up after ten seconds
                sk.exit_sketch()

        sk.run_sketch()
    ''', name="self_editing.py")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60, cwd=script.parent)
    assert result.returncode == 0, result.stderr
    assert "reloading self_editing.py" in result.stderr
    assert "reloaded, frame 3" in result.stdout
