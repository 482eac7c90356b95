"""A user's mistakes get one clear message: what was wrong and what to do.

Each case was a raw or misleading error before (issue 10's audit).
"""
from __future__ import annotations

import pytest

from sketchml.runtime.imported import FileSketchSource
from sketchml.runtime.loop import Runner

VERSION_1 = """
def setup():
    size(40, 30)
def draw():
    circle(20, 15)
"""
VERSION_2 = """
def setup():
    size(40, 30)
def draw():
    rect(1, 2, "three")
"""


def test_after_a_reload_an_error_shows_the_new_line(write_sketch, capsys):
    path = write_sketch(VERSION_1)
    runner = Runner(source=FileSketchSource(path), headless=True, watch=True, watch_interval=0,
                    raise_errors=False)
    runner.start()
    runner.step()
    assert "circle(20, 15)" in runner.failed.code
    path.write_text(VERSION_2)
    runner.step()
    assert runner.failed is not None and runner.failed.lineno == 5
    assert "rect(1, 2, \"three\")" in runner.failed.code
    runner.close()


def test_a_sketch_that_is_not_utf8_says_so_and_where(write_sketch, run_cli, tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"def draw():\n    background(0)  # caf\xe9\n")
    done = run_cli("run", path, "--headless", "--frames", "1")
    assert done.returncode == 1
    assert "latin.py is not UTF-8 text (byte 0xE9 at line 2, column 25)" in done.stderr
    assert "coding: latin-1" in done.stderr and "UnicodeDecodeError" not in done.stderr


def test_a_sketch_naming_its_encoding_runs(run_cli, tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\ndef draw():\n    print('caf\xe9')\n    no_loop()\n")
    done = run_cli("run", path, "--headless", "--frames", "1")
    assert done.returncode == 0, done.stderr
    assert "café" in done.stdout


@pytest.mark.parametrize(("draw", "message"), [
    ("size(20000, 20000)", "20000x20000 pixels is larger than this GPU can draw into: at most"),
    ("circle(1e39, 10, 10)", "1e+39 is too large to draw: the GPU's 32-bit floats"),
    ("rect(10, 10, 2e40, 5)", "e+40 is too large to draw"),
])
def test_sizes_beyond_the_gpu_say_the_limit(write_sketch, run_cli, draw, message):
    path = write_sketch(f"def setup():\n    {draw}\n")
    done = run_cli("run", path, "--headless", "--frames", "1")
    assert done.returncode == 1
    assert message in done.stderr
    assert "float too large to pack" not in done.stderr and "INCOMPLETE" not in done.stderr


def test_a_mistake_sketchml_finds_in_the_file_is_its_message_alone(run_cli, tmp_path):
    empty = tmp_path / "empty.py"
    empty.write_text("")
    done = run_cli("run", empty, "--headless", "--frames", "1")
    assert done.returncode == 1
    assert "empty.py defines no setup() or draw()" in done.stderr
    assert "Traceback" not in done.stderr and "imported.py" not in done.stderr
