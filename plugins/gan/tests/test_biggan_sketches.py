"""The BigGAN sketches run headless on a tiny random checkpoint found through the sketchml cache.

The sketches ask for ``sk.model("biggan.deep-128")`` as a student's would; the test puts a
random checkpoint where sketchml looks first (``$SKETCHML_HOME/weights/biggan/deep-128``)
and turns the hub off, so nothing is downloaded.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from sketchml_gan.biggan import save_random_checkpoint

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sketchml-home")
    save_random_checkpoint(folder / "weights" / "biggan" / "deep-128", resolution=128)
    return folder


@pytest.mark.parametrize("sketch", ["biggan_explore.py", "biggan_class_mixing.py"])
def test_sketch_renders_headless(sketch: str, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "frames.gif"
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
