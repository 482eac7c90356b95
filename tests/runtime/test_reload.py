"""Hot reload: saving the sketch file re-runs it in the open surface; errors wait for a fix."""
from __future__ import annotations

import numpy as np

from sketchml.runtime.imported import FileSketchSource
from sketchml.runtime.loop import Runner
from sketchml.runtime.reload import FileWatcher

DRAW_RED = """
def setup():
    size(40, 30)
def draw():
    background(255, 0, 0)
"""
DRAW_GREEN = """
def setup():
    size(40, 30)
    print("setup ran again")
def draw():
    background(0, 255, 0)
"""
BROKEN = """
def setup():
    size(40, 30)
def draw():
    background(0, 0, 255)
    circle(20, 15)
"""


def watching_runner(path):
    # A window-like runner (errors shown, not raised) on the headless surface.
    runner = Runner(source=FileSketchSource(path), headless=True, watch=True, watch_interval=0,
                    raise_errors=False)
    runner.start()
    return runner


def test_saving_the_file_reloads_with_a_fresh_namespace(write_sketch, close_to, capsys):
    path = write_sketch(DRAW_RED + "counter = []\n")
    runner = watching_runner(path)
    for _ in range(3):
        assert runner.step()
    first = runner.sketch
    assert close_to(first._read_pixels()[15, 20], (255, 0, 0, 255))
    first._namespace["counter"].append("old state")

    path.write_text(DRAW_GREEN + "counter = []\n")
    assert runner.step()
    second = runner.sketch
    assert second is not first
    assert second.frame_count == 1 and second._namespace["counter"] == []
    assert close_to(second._read_pixels()[15, 20], (0, 255, 0, 255))
    assert "setup ran again" in capsys.readouterr().out
    runner.close()


def test_an_error_is_shown_then_a_fixed_save_resumes(write_sketch, close_to, capsys):
    path = write_sketch(DRAW_RED)
    runner = watching_runner(path)
    runner.step()

    path.write_text(BROKEN)
    assert runner.step()                       # a window keeps running on an error
    assert runner.failed is not None
    err = capsys.readouterr().err
    assert "circle() takes (x, y, extent): got 2 arguments" in err
    assert f'File "{path}", line 6, in draw' in err
    px = runner.sketch._read_pixels()
    assert close_to(px[15, 1], (230, 40, 40), tol=10)       # the red error frame
    assert px[15, 20, 2] < 100                              # the picture is dimmed
    frames_when_failed = runner.sketch.frame_count
    runner.step()
    runner.step()
    assert runner.sketch.frame_count == frames_when_failed     # draw() is paused

    path.write_text(DRAW_GREEN)
    runner.step()
    assert runner.failed is None
    assert close_to(runner.sketch._read_pixels()[15, 20], (0, 255, 0, 255))
    runner.close()


def test_a_syntax_error_on_save_keeps_the_window_and_recovers(write_sketch, close_to, capsys):
    path = write_sketch(DRAW_RED)
    runner = watching_runner(path)
    runner.step()
    path.write_text("def draw(:\n    pass\n")
    runner.step()
    assert runner.failed is not None and "SyntaxError" in runner.failed.headline
    assert "SyntaxError" in capsys.readouterr().err
    path.write_text(DRAW_GREEN)
    runner.step()
    assert runner.failed is None
    assert close_to(runner.sketch._read_pixels()[15, 20], (0, 255, 0, 255))
    runner.close()


def test_a_file_broken_from_the_start_recovers_after_a_save(write_sketch, close_to, capsys):
    path = write_sketch("def draw():\n    undefined_name\n")
    runner = watching_runner(path)
    assert runner.step() and runner.failed is not None
    assert "NameError" in capsys.readouterr().err
    path.write_text(DRAW_RED)
    runner.step()
    assert runner.failed is None
    assert close_to(runner.sketch._read_pixels()[15, 20], (255, 0, 0, 255))
    runner.close()


def test_local_modules_are_watched_and_reimported(write_sketch, close_to):
    helper = write_sketch("COLOUR = (255, 0, 0)\n", name="palette_for_reload_test.py")
    path = write_sketch("""
        import palette_for_reload_test as palette
        def draw():
            background(*palette.COLOUR)
    """)
    runner = watching_runner(path)
    runner.step()
    assert str(helper) in runner.watcher.paths
    assert close_to(runner.sketch._read_pixels()[5, 5], (255, 0, 0, 255))
    helper.write_text("COLOUR = (0, 0, 255)\n")
    runner.step()
    assert close_to(runner.sketch._read_pixels()[5, 5], (0, 0, 255, 255))
    runner.close()


def test_watcher_ignores_unchanged_saves_and_missing_files(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("a = 1\n")
    watcher = FileWatcher([path], interval=0)
    path.write_text("a = 1\n")
    assert not watcher.changed()
    path.unlink()
    assert not watcher.changed()
    path.write_text("a = 2\n")
    assert watcher.changed()
    assert not watcher.changed()


def test_reloaded_sketch_releases_the_old_framebuffer(write_sketch):
    path = write_sketch(DRAW_RED)
    runner = watching_runner(path)
    runner.step()
    old = runner.sketch
    path.write_text(DRAW_GREEN)
    runner.step()
    assert old.fbo is None and runner.sketch.fbo is not None
    assert np.asarray(runner.sketch._read_pixels()).shape == (30, 40, 4)
    runner.close()


def test_error_overlay_writes_the_message_on_the_canvas(write_sketch):
    path = write_sketch("""
        def setup():
            size(320, 120)
        def draw():
            background(0, 0, 0)
            missing_function()
    """)
    runner = watching_runner(path)
    runner.step()
    px = runner.sketch._read_pixels().astype(int)
    text_band = px[8:30, 10:300, :3]
    # light text on the dimmed canvas, inside the red frame
    assert (text_band.min(axis=2) > 180).sum() > 50
    assert (px[60:110, 150:300, :3].min(axis=2) > 180).sum() < (text_band.min(axis=2) > 180).sum()
    runner.close()
