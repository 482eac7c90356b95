"""The demo and the basics sketches run headless and draw something."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sketchml.runtime.loop import run_file

SKETCHES = Path(__file__).resolve().parents[2] / "sketches"
OURS = ["demo.py", "basics/imported_mode.py", "basics/module_mode.py", "basics/class_mode.py",
        "basics/input.py"]


@pytest.mark.parametrize("name", OURS)
def test_sketch_runs_headless(name, tmp_path, read_png):
    out = tmp_path / "frame-#.png"
    assert run_file(SKETCHES / name, headless=True, frames=3, seed=1, out=out) == 0
    img = read_png(tmp_path / "frame-3.png")
    assert img.shape[0] >= 100 and img.shape[1] >= 100
    assert len(np.unique(img.reshape(-1, 4), axis=0)) > 3          # more than a flat fill
