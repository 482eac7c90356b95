"""Loss plot, CSV, progress bar and atomic file writing."""
from __future__ import annotations

import io
import math
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from sketchml.training import plot_losses, progress_bar, wants_progress, write_losses_csv
from sketchml.files import atomic_write, atomic_write_bytes


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def test_plot_draws_each_loss_in_its_own_colour(tmp_path: Path) -> None:
    history = [{"step": s, "loss_g": 2 + math.sin(s / 5), "loss_d": 1 / s} for s in range(1, 300)]
    history[10]["loss_d"] = float("nan")  # a diverged value must not break the plot
    png = plot_losses(history, tmp_path / "losses.png", width=400, height=200)
    assert (tmp_path / "losses.png").read_bytes() == png
    image = _decode(png)
    assert image.size == (400, 200)
    colours = {image.getpixel((x, y)) for x in range(64, 384) for y in range(28, 164)}
    blue, orange = (31, 119, 180), (255, 127, 14)
    assert blue in colours and orange in colours


def test_plot_with_nothing_or_one_point() -> None:
    assert _decode(plot_losses([])).size == (800, 400)
    assert _decode(plot_losses([{"step": 1, "loss": 0.5}])).size == (800, 400)
    assert _decode(plot_losses([{"step": 1, "loss": 3.0}, {"step": 2, "loss": 3.0}])).size == (800, 400)


def test_csv_has_a_column_per_loss_even_when_some_steps_lack_one(tmp_path: Path) -> None:
    write_losses_csv([{"step": 1, "a": 1.5}, {"step": 2, "b": 2.0}], tmp_path / "l.csv")
    assert (tmp_path / "l.csv").read_text().splitlines() == ["step,a,b", "1,1.5,", "2,,2.0"]


def test_progress_bar_is_quiet_where_nobody_watches(capsys: pytest.CaptureFixture) -> None:
    assert wants_progress() is False  # pytest captures stderr: not a terminal
    assert list(progress_bar(range(3), total=3)) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    list(progress_bar(range(3), total=3, quiet=False, desc="shown"))
    assert "shown" in capsys.readouterr().err


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["data.bin"]
    # Written files get the usual permissions, not the owner-only ones of a temp file.
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
