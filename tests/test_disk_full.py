"""A full disk says "disk full" and loses nothing: the old file stays, no temporary is left.

The disk is a small tmpfs mounted for the test; where mounting is not allowed (not root,
no tmpfs), the tests are skipped with the reason.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sketchml.errors import DiskFullError
from sketchml.files import atomic_write_bytes
from sketchml.media.video import open_frame_writer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 256 KiB tmpfs, empty but for a file called ``old.mp4``."""
    folder = Path(tempfile.mkdtemp(prefix="sketchml-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        (folder / "old.mp4").write_bytes(b"the previous render")
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        folder.rmdir()


def _noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (128, 128, 3), dtype=np.uint8)


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("name", ["old.mp4", "new.gif"])
def test_a_video_on_a_full_disk_says_so_and_keeps_the_old_file(small_disk, name):
    with pytest.raises(DiskFullError, match=f"disk full while writing '.*{name}'"):
        with open_frame_writer(small_disk / name, fps=30) as out:
            for i in range(300):
                out.write(_noise(i))
    assert (small_disk / "old.mp4").read_bytes() == b"the previous render"
    assert _left(small_disk) == ["old.mp4"]


def test_png_frames_on_a_full_disk_keep_the_finished_frames(small_disk):
    with pytest.raises(DiskFullError) as caught:
        with open_frame_writer(small_disk / "f-###.png") as out:
            for i in range(1, 100):
                out.write(_noise(i), index=i)
    written = [n for n in _left(small_disk) if n.endswith(".png")]
    assert written and written == [f"f-{i:03d}.png" for i in range(1, len(written) + 1)]
    assert f"f-{len(written) + 1:03d}.png" in str(caught.value)
    assert _left(small_disk) == ["f-%03d.png" % i for i in range(1, len(written) + 1)] + ["old.mp4"]


def test_an_atomic_write_on_a_full_disk_keeps_the_old_file(small_disk):
    with pytest.raises(DiskFullError) as caught:
        atomic_write_bytes(small_disk / "old.mp4", os.urandom(400_000))
    assert isinstance(caught.value, OSError) and caught.value.filename.endswith("old.mp4")
    assert _left(small_disk) == ["old.mp4"]
    assert (small_disk / "old.mp4").read_bytes() == b"the previous render"


def test_the_cli_says_disk_full_without_a_traceback(small_disk, tmp_path):
    sketch = tmp_path / "noise.py"
    sketch.write_text(
        "import numpy as np\n"
        "def setup():\n    size(128, 128)\n"
        "def draw():\n"
        "    rng = np.random.default_rng(frame_count)\n"
        "    background(0)\n"
        "    points(rng.random((4000, 2)) * 128)\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(sketch), "--headless",
         "--frames", "200", "--out", str(small_disk / "frames" / "f-###.png")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "disk full while writing" in done.stderr
    assert "Traceback" not in done.stderr
    assert (small_disk / "old.mp4").read_bytes() == b"the previous render"


def test_the_cli_says_a_read_only_place_cannot_be_written(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        sketch = tmp_path / "dot.py"
        sketch.write_text("def draw():\n    circle(50, 50, 20)\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        done = subprocess.run(
            [sys.executable, "-m", "sketchml.cli.main", "run", str(sketch), "--headless",
             "--frames", "2", "--out", str(folder / "f-##.png")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )
    finally:
        subprocess.run(["umount", str(folder)], check=False)
    assert done.returncode == 1
    assert "Read-only file system" in done.stderr and "Choose a place you may write to" in done.stderr
    assert "Traceback" not in done.stderr
