"""The BigGAN sketches run headless and offline on the embedded biggan.shapes.

The hub is turned off and sketchml's home is an empty folder, so the sketches can only use
what ships with sketchml, as on a fresh machine with no network.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("sketch", ["biggan_explore.py", "biggan_class_mixing.py"])
def test_sketch_renders_headless(sketch: str, tmp_path: Path) -> None:
    out = tmp_path / "frames.gif"
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_HOME=str(home), SKETCHML_OFFLINE="1", HF_HUB_CACHE=str(tmp_path / "hub"),
               OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(ROOT / "sketches" / sketch),
         "--headless", "--frames", "3", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    frames = iio.imread(out)
    assert frames.shape[0] == 3
    # The generated pictures fill most of the canvas: many colours, not a cleared background.
    top = frames[-1][: frames.shape[2] // 2, :, :3].reshape(-1, 3)
    assert len(np.unique(top, axis=0)) > 50
    # The pictures change from frame to frame (the explore sketch tours the classes, the
    # mixing one steps along its strip).
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1
