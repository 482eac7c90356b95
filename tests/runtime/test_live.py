"""Live variables, input callbacks (fed through the event-dispatch functions) and loop control."""
from __future__ import annotations

import pytest

import sketchml as sk
from sketchml.constants import CENTER, CODED, ESC, LEFT, RIGHT, UP
from sketchml.runtime.events import KeyEvent, MouseEvent, glfw_key_to_processing, printable_key_code
from sketchml.runtime.imported import FileSketchSource
from sketchml.runtime.loop import Runner


class Recorder(sk.Sketch):
    """Records what each callback saw."""

    def setup(self):
        self.size(40, 30)
        self.seen = []

    def draw(self):
        self.seen.append(("draw", self.frame_count, self.mouse_x, self.pmouse_x))

    def mouse_pressed(self, event):
        self.seen.append(("pressed", event.button, self.mouse_button, self.is_mouse_pressed,
                          event.x, event.y))

    def mouse_released(self):
        self.seen.append(("released", self.mouse_button, self.is_mouse_pressed))

    def mouse_moved(self, event):
        self.seen.append(("moved", event.x, event.y, self.pmouse_x, self.pmouse_y))

    def mouse_dragged(self):
        self.seen.append(("dragged", self.mouse_x, self.mouse_y, self.mouse_button))

    def mouse_wheel(self, event):
        self.seen.append(("wheel", event.count))

    def key_pressed(self, event):
        self.seen.append(("key", self.key, self.key_code, self.is_key_pressed, event.is_repeat))

    def key_released(self):
        self.seen.append(("key up", self.key, self.key_code, self.is_key_pressed))


def started(sketch, **options):
    runner = Runner(sketch, headless=True, **options)
    runner.start()
    return runner


def test_frame_count_and_pmouse_per_frame():
    sketch = Recorder()
    runner = started(sketch)
    assert sketch.frame_count == 0 and sketch.width == 40
    runner.step()
    sketch._dispatch_mouse_move(10, 5)
    runner.step()
    sketch._dispatch_mouse_move(20, 5)
    runner.step()
    runner.close()
    draws = [entry for entry in sketch.seen if entry[0] == "draw"]
    # in draw(), pmouse is the mouse as it was at the previous frame
    assert draws == [("draw", 1, 0.0, 0.0), ("draw", 2, 10.0, 0.0), ("draw", 3, 20.0, 10.0)]


def test_mouse_callbacks_get_live_values_and_events():
    sketch = Recorder()
    runner = started(sketch)
    sketch._dispatch_mouse_move(5, 6)
    sketch._dispatch_mouse_move(7, 8)
    sketch._dispatch_mouse_button(LEFT, True)
    sketch._dispatch_mouse_move(9, 10)
    sketch._dispatch_mouse_button(LEFT, False)
    sketch._dispatch_mouse_wheel(2)
    runner.close()
    assert sketch.seen == [
        ("moved", 5.0, 6.0, 5.0, 6.0),          # the first move sets pmouse too
        ("moved", 7.0, 8.0, 5.0, 6.0),
        ("pressed", LEFT, LEFT, True, 7.0, 8.0),
        ("dragged", 9.0, 10.0, LEFT),
        ("released", LEFT, False),
        ("wheel", 2),
    ]
    assert sketch.mouse_button == 0 and not sketch.is_mouse_pressed


def test_two_buttons_keep_is_mouse_pressed():
    sketch = Recorder()
    runner = started(sketch)
    sketch._dispatch_mouse_button(LEFT, True)
    sketch._dispatch_mouse_button(RIGHT, True)
    sketch._dispatch_mouse_button(RIGHT, False)
    assert sketch.is_mouse_pressed and sketch.mouse_button == LEFT
    runner.close()


def test_key_callbacks_processing_semantics():
    sketch = Recorder()
    runner = started(sketch)
    sketch._dispatch_key("a", 65, True)
    sketch._dispatch_key("a", 65, True, is_repeat=True)
    sketch._dispatch_key(CODED, UP, True)
    sketch._dispatch_key(CODED, UP, False)
    sketch._dispatch_key("a", 65, False)
    runner.close()
    assert sketch.seen == [
        ("key", "a", 65, True, False),
        ("key", "a", 65, True, True),
        ("key", CODED, UP, True, False),
        ("key up", CODED, UP, True),           # 'a' is still held
        ("key up", "a", 65, False),
    ]


def test_glfw_key_mapping():
    assert glfw_key_to_processing(265) == (CODED, UP)          # GLFW_KEY_UP
    assert glfw_key_to_processing(263) == (CODED, LEFT)
    assert glfw_key_to_processing(340) == (CODED, sk.SHIFT)
    assert glfw_key_to_processing(256) == (ESC, 27)
    assert glfw_key_to_processing(257) == ("\n", 10)
    assert glfw_key_to_processing(259) == ("\b", 8)
    assert glfw_key_to_processing(65) is None                 # printable: char from the layout
    assert printable_key_code(65) == 65 and printable_key_code(96) == 192
    assert printable_key_code(320) == 96                      # keypad 0


def test_imported_mode_live_variables_are_current_in_each_call(write_sketch):
    path = write_sketch("""
        log = []
        def setup():
            size(50, 20)
            log.append(("setup", width, height, frame_count))
        def draw():
            log.append(("draw", frame_count, mouse_x, mouse_y, is_mouse_pressed))
        def mouse_pressed():
            log.append(("pressed", mouse_x, mouse_y, mouse_button, is_mouse_pressed))
        def key_pressed(e):
            log.append(("key", key, key_code, e.key))
        def mouse_wheel(e):
            log.append(("wheel", e.count))
    """)
    sketch = FileSketchSource(path).load()
    runner = started(sketch)
    runner.step()
    sketch._dispatch_mouse_move(12, 3)
    sketch._dispatch_mouse_button(CENTER, True)
    runner.step()
    sketch._dispatch_key("x", 88, True)
    sketch._dispatch_mouse_wheel(-1)
    runner.close()
    assert sketch._namespace["log"] == [
        ("setup", 50, 20, 0),
        ("draw", 1, 0.0, 0.0, False),
        ("pressed", 12.0, 3.0, CENTER, True),
        ("draw", 2, 12.0, 3.0, True),
        ("key", "x", 88, "x"),
        ("wheel", -1),
    ]


def test_callback_event_argument_is_optional():
    calls = []

    class Both(sk.Sketch):
        def mouse_pressed(self):
            calls.append("no event")

        def key_pressed(self, e):
            calls.append(type(e))

    sketch = Both()
    runner = started(sketch)
    sketch._dispatch_mouse_button(LEFT, True)
    sketch._dispatch_key("k", 75, True)
    runner.close()
    assert calls == ["no event", KeyEvent]
    assert MouseEvent(1, 2).action == "move"


def test_no_loop_redraw_and_loop():
    class Still(sk.Sketch):
        def setup(self):
            self.no_loop()

        def draw(self):
            pass

    sketch = Still()
    runner = started(sketch)
    assert runner.step() is False            # headless + no_loop: one draw, then done
    assert sketch.frame_count == 1
    sketch.redraw()
    runner.step()
    assert sketch.frame_count == 2
    runner.step()
    assert sketch.frame_count == 2           # no more draws without redraw()
    sketch.loop()
    runner.step()
    runner.step()
    assert sketch.frame_count == 4
    runner.close()


def test_no_loop_in_draw_stops_a_headless_run():
    class Three(sk.Sketch):
        def draw(self):
            if self.frame_count == 3:
                self.no_loop()

    sketch = Three()
    sketch.run_sketch(headless=True, frames=100)
    assert sketch.frame_count == 3


def test_exit_sketch_stops_after_the_current_frame():
    class Quit(sk.Sketch):
        def draw(self):
            self.background(self.frame_count)
            if self.frame_count == 5:
                self.exit_sketch()

    sketch = Quit()
    runner = Runner(sketch, headless=True, frames=50)
    assert runner.run() == 0
    assert sketch.frame_count == 5 and runner.frames_drawn == 5


def test_exit_sketch_in_setup_draws_nothing():
    class Never(sk.Sketch):
        def setup(self):
            self.exit_sketch()

        def draw(self):
            raise AssertionError("draw must not run")

    sketch = Never()
    sketch.run_sketch(headless=True, frames=3)
    assert sketch.frame_count == 0


def test_headless_clock_follows_frame_rate():
    class Clock(sk.Sketch):
        def setup(self):
            self.frame_rate(25)
            self.times = []

        def draw(self):
            self.times.append(self.millis())

    sketch = Clock()
    sketch.run_sketch(headless=True, frames=4)
    assert sketch.times == [0, 40, 80, 120]
    assert sketch.get_frame_rate() == 25.0
    with pytest.raises(sk.SketchmlError, match="positive"):
        sketch.frame_rate(0)


def test_live_variables_read_through_the_module():
    class Live(sk.Sketch):
        def draw(self):
            self.module_view = (sk.frame_count, sk.width, sk.mouse_x, sk.is_key_pressed)

    sketch = Live()
    runner = started(sketch)
    sketch._dispatch_mouse_move(3, 4)
    sketch._dispatch_key("q", 81, True)
    runner.step()
    runner.close()
    assert sketch.module_view == (1, 100, 3.0, True)


def test_pixels_is_live_in_imported_mode(write_sketch, close_to):
    path = write_sketch("""
        def setup():
            size(8, 6)
        def draw():
            background(255, 0, 0)
            load_pixels()
            pixels[:, :4, :3] = (0, 0, 255)
            update_pixels()
    """)
    sketch = FileSketchSource(path).load()
    runner = started(sketch)
    runner.step()
    runner.close()
    assert "pixels" in sketch.LIVE_NAMES
    px = sketch._read_pixels()
    assert close_to(px[3, 1], (0, 0, 255, 255)) and close_to(px[3, 6], (255, 0, 0, 255))
    assert sketch._namespace["pixels"] is sketch.pixels


def test_zero_frames_runs_setup_only():
    class Count(sk.Sketch):
        def setup(self):
            self.ran_setup = True

        def draw(self):
            raise AssertionError("no frame was asked for")

    sketch = Count()
    runner = Runner(sketch, headless=True, frames=0)
    assert runner.run() == 0 and sketch.ran_setup and runner.frames_drawn == 0


def test_forgetting_super_init_is_explained():
    class NoSuper(sk.Sketch):
        def __init__(self):
            self.speed = 3

    with pytest.raises(sk.SketchmlError, match="did not call super\\(\\).__init__\\(\\)"):
        NoSuper().run_sketch(headless=True, frames=1)
