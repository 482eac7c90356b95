"""The piano roll's geometry, and sketches/performance_rnn_live.py rendering headless with notes on it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import sketchml as sk
from sketchml_music.roll import roll_rects

ROOT = Path(__file__).resolve().parents[3]
SKETCH = ROOT / "sketches" / "performance_rnn_live.py"


def test_roll_places_notes_by_time_and_pitch_and_cuts_them_at_the_window():
    tune = sk.Notes([{"pitch": 60, "velocity": 127, "start_time": 1.0, "end_time": 3.0},
                     {"pitch": 72, "velocity": 1, "start_time": 5.0, "end_time": 9.0},
                     {"pitch": 100, "velocity": 64, "start_time": 1.0, "end_time": 2.0},
                     {"pitch": 61, "velocity": 64, "start_time": 7.0, "end_time": 8.0}])
    x, y, w, h, colours = roll_rects(tune, 10, 20, 300, 130, start=2.0, seconds=5.0, low=60, high=72)
    # Pitch 100 is above the range and the note at 7-8 s is past the window's end (7 s);
    # the first note is cut at the window's start, the second at its end.
    assert len(x) == 2
    assert x.tolist() == [10.0, 10 + 3 * 60] and w.tolist() == [60.0, 120.0]
    assert y.tolist() == [20 + 12 * 10, 20.0] and h.tolist() == [9.0, 9.0]
    assert colours[0, 0] > colours[1, 0] and colours[0, 2] < colours[1, 2]  # loud is warm
    with pytest.raises(sk.SketchmlError, match="piano roll"):
        roll_rects(tune, 0, 0, 100, 100, start=0, seconds=0)


def test_live_sketch_renders_headless_with_notes_on_the_roll(tmp_path: Path) -> None:
    out = tmp_path / "live.gif"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(SKETCH), "--headless",
         "--frames", "90", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    frames = iio.imread(out)
    last = frames[-1][60:, :, :3].astype(int)
    # Notes are coloured (blue to orange) on the dark background; the background is grey-blue.
    colourful = (np.abs(last[..., 0] - last[..., 2]) > 60).sum()
    assert colourful > 200, colourful


def test_musicvae_walk_sketch_renders_seven_rows_of_notes(tmp_path: Path) -> None:
    out = tmp_path / "walk.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1")
    sketch = ROOT / "sketches" / "musicvae_interpolate.py"
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(sketch), "--headless",
         "--frames", "3", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    frame = iio.imread(sorted(tmp_path.glob("walk*.png"))[-1])[..., :3].astype(int)
    row = frame.shape[0] // 7
    coloured = [(np.abs(frame[i * row:(i + 1) * row, 40:, 0] - frame[i * row:(i + 1) * row, 40:, 2])
                 > 60).sum() for i in range(7)]
    assert all(c > 20 for c in coloured), coloured
