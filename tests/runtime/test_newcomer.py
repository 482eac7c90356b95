"""A Processing user's first hour (issue 17): new callbacks, frame rate, static mode, paths,
name hints and the traps that used to fail silently."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import sketchml as sk
from sketchml.constants import CODED, LEFT, UP
from sketchml.media.image_io import read_image, write_image
from sketchml.runtime.hints import callback_warnings, processing_name
from sketchml.runtime.loop import Runner, run_file
from sketchml.runtime.tracebacks import SketchRuntimeError


class Typist(sk.Sketch):
    def settings(self):
        self.size(20, 20)

    def setup(self):
        self.seen = []

    def key_typed(self, event):
        self.seen.append(("typed", self.key, event.action))

    def mouse_clicked(self, event):
        self.seen.append(("clicked", event.x, event.y, event.button))

    def window_resized(self):
        self.seen.append(("resized", self.width, self.height))

    def draw(self):
        if self.frame_count == 2:
            self.size(30, 10)


def test_key_typed_mouse_clicked_and_window_resized_are_called():
    sketch = Typist()
    runner = Runner(sketch, headless=True)
    runner.start()
    sketch._dispatch_key("a", 65, True)
    sketch._dispatch_key("a", 65, False)
    sketch._dispatch_key(CODED, UP, True)         # an arrow types nothing
    sketch._dispatch_mouse_move(3, 4)
    sketch._dispatch_mouse_button(LEFT, True)
    sketch._dispatch_mouse_button(LEFT, False)    # a click
    sketch._dispatch_mouse_button(LEFT, True)
    sketch._dispatch_mouse_move(9, 9)
    sketch._dispatch_mouse_button(LEFT, False)    # a drag: no click
    runner.step()
    runner.step()
    runner.close()
    assert sketch.seen == [
        ("typed", "a", "type"),
        ("clicked", 3.0, 4.0, LEFT),
        ("resized", 30, 10),
    ]


def test_frame_rate_reads_the_rate_and_size_takes_p2d():
    class Still(sk.Sketch):
        def setup(self):
            self.size(16, 16, sk.P2D)
            self.frame_rate(12)
            self.rate = self.frame_rate()

    s = Still()
    s.run_sketch(headless=True, frames=1)
    assert s.rate == 12.0 and s.width == 16
    with pytest.raises(sk.SketchmlError, match="2D only"):
        sk.Sketch().size(10, 10, sk.P3D)


def test_get_frame_rate_measures_a_slow_window_loop():
    class Slow(sk.Sketch):
        def draw(self):
            pass

    sketch = Slow()
    runner = Runner(sketch, headless=True)
    runner.start()
    sketch._virtual_ms = None            # as in a window: the wall clock counts
    clock = iter(np.arange(0.0, 10.0, 0.25))
    real = sys.modules["sketchml.runtime.loop"].time.perf_counter
    sys.modules["sketchml.runtime.loop"].time.perf_counter = lambda: float(next(clock))
    try:
        for _ in range(6):
            runner.step()
    finally:
        sys.modules["sketchml.runtime.loop"].time.perf_counter = real
        runner.close()
    assert sketch.get_frame_rate() == pytest.approx(4.0)


def test_println_prints(capsys):
    sk.println("a", 1, sep="-")
    sk.println("oops", stderr=True)
    out = capsys.readouterr()
    assert out.out == "a-1\n" and out.err == "oops\n"


def test_static_mode_sketch_draws_once(write_sketch, tmp_path):
    path = write_sketch("""
        size(40, 30)
        background(255, 0, 0)
        no_stroke()
        fill(0, 0, 255)
        rect(10, 10, 10, 10)
    """)
    out = tmp_path / "still.png"
    assert run_file(path, headless=True, frames=3, out=str(out)) == 0
    px = read_image(out)
    assert px.shape[:2] == (30, 40)
    assert px[15, 15, :3].tolist() == [0, 0, 255] and px[2, 2, :3].tolist() == [255, 0, 0]


def test_map_called_like_processing_points_to_remap(write_sketch):
    path = write_sketch("""
        def draw():
            x = map(mouse_x, 0, width, 0, 255)
    """)
    with pytest.raises(SketchRuntimeError, match=r"remap\(0.0, 0, 100, 0, 255\)"):
        sk.render(str(path))
    ok = write_sketch("""
        def draw():
            global doubled
            doubled = list(map(lambda v: v * 2, [1, 2]))
    """, name="ok.py")
    sk.render(str(ok))


def test_module_mode_map_trap_gets_a_hint():
    from sketchml.runtime.tracebacks import format_sketch_error

    try:
        map(5, 0, 10, 0, 100)  # the builtin, as in a module-mode sketch
    except TypeError as err:
        report = format_sketch_error(err)
    assert "remap()" in report.headline


def test_processing_spellings_get_their_sketchml_names():
    assert processing_name("strokeWeight") == "stroke_weight"
    assert processing_name("createCanvas") == "size"
    with pytest.raises(AttributeError, match="Did you mean 'remap'"):
        sk.map  # noqa: B018
    with pytest.raises(AttributeError, match="Did you mean 'no_fill'"):
        sk.noFill  # noqa: B018


def test_name_error_hint_in_a_sketch(write_sketch):
    path = write_sketch("""
        def draw():
            strokeWeight(4)
    """)
    with pytest.raises(SketchRuntimeError, match="Did you mean 'stroke_weight'"):
        sk.render(str(path))


def test_unknown_callback_names_are_warned_about(write_sketch, capsys):
    assert callback_warnings(["draw", "keyTyped", "window_resize", "draw_tree", "preload"]) == [
        "keyTyped() is never called: sketchml spells this callback key_typed().",
        "window_resize() is never called: it is not a sketchml callback. "
        "Did you mean window_resized()?",
        "preload() is never called: sketchml has no preload(): load files at the start of "
        "setup(), which runs once before the first draw().",
    ]
    path = write_sketch("""
        def draw():
            pass

        def mousePressed():
            pass
    """)
    sk.render(str(path))
    assert "mousePressed() is never called" in capsys.readouterr().err

    class Wrong(sk.Sketch):
        def key_type(self):
            pass

    Wrong().run_sketch(headless=True, frames=1)
    assert "Did you mean key_typed()" in capsys.readouterr().err


def test_files_are_found_beside_the_sketch_not_the_working_directory(
    write_sketch, tmp_path, monkeypatch
):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "words.txt").write_text("one\ntwo\n")
    (tmp_path / "data" / "n.json").write_text('{"n": 3}')
    write_image(tmp_path / "dot.png", np.full((2, 2, 4), 255, np.uint8))
    path = write_sketch("""
        def setup():
            global result
            size(10, 10)
            img = load_image("dot.png")
            save_strings(load_strings("words.txt") + [str(load_json("n.json")["n"])], "output/x.txt")
            save_json({"w": img.width}, "output/y.json")
            println(sketch_path() == data_path().parent)
    """)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_file(path, headless=True, frames=1) == 0
    assert (tmp_path / "output" / "x.txt").read_text() == "one\ntwo\n3\n"
    assert (tmp_path / "output" / "y.json").read_text() == '{"w": 2}'
    assert not list(elsewhere.iterdir())


def test_missing_file_and_offline_url_say_what_to_do(monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    s = sk.Sketch()
    with pytest.raises(sk.SketchmlError, match="data/ folder"):
        s.load_image("no-such-cat.png")
    with pytest.raises(sk.SketchmlError, match="offline"):
        s.load_strings("https://example.org/never-downloaded-words.txt")


def test_cli_version_and_unknown_out_extension(run_cli, write_sketch):
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"sketchml {sk.__version__}"
    path = write_sketch("def draw():\n    background(0)\n")
    done = run_cli("run", "--frames", "1", "--out", "x.avi", str(path))
    assert done.returncode == 1 and ".mp4" in done.stderr and ".gif" in done.stderr


def test_webm_output_is_written(write_sketch, tmp_path):
    path = write_sketch("def draw():\n    background(frame_count * 40)\n")
    out = tmp_path / "clip.webm"
    assert run_file(path, headless=True, frames=3, out=str(out)) == 0
    assert out.stat().st_size > 0


def test_module_mode_without_display_or_frames_says_so(run_python, tmp_path):
    script = tmp_path / "endless.py"
    script.write_text(
        "import sketchml as sk\n"
        "def draw():\n"
        "    if sk.frame_count == 2:\n"
        "        sk.exit_sketch()\n"
        "sk.run_sketch()\n"
    )
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    assert "runs headless until it calls exit_sketch()" in done.stderr


def test_run_sketch_in_a_notebook_hints_about_frames(monkeypatch, capsys):
    from sketchml.runtime import notebook

    shown = []
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    monkeypatch.setattr(notebook, "display", shown.append)

    class Dot(sk.Sketch):
        def draw(self):
            self.background(0)

    Dot().run_sketch()
    assert len(shown) == 1 and "frames=N" in capsys.readouterr().err
    Dot().run_sketch(frames=2)
    assert len(shown) == 2 and "frames=N" not in capsys.readouterr().err
