"""The GPT-2 poem sketch runs headless, offline, on the embedded tiny model."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np

ROOT = Path(__file__).resolve().parents[3]


def test_poem_sketch_types_onto_the_canvas(tmp_path: Path) -> None:
    out = tmp_path / "poem.gif"
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_HOME=str(tmp_path / "home"), SKETCHML_OFFLINE="1",
               HF_HUB_CACHE=str(tmp_path / "hub"), OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "sketchml.cli.main", "run",
         str(ROOT / "sketches" / "gpt2_poem.py"),
         "--headless", "--frames", "8", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode != -11 or "triton" not in result.stderr, (
        "the sketch crashed (SIGSEGV) while transformers imported triton after the GL context "
        "existed: Triton's LLVM cannot load after Mesa's llvmpipe. The runtime must import "
        "triton before it creates the GL context (as sketchml.datasets.shapes does).\n"
        + result.stderr[-2000:])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    frames = iio.imread(out)
    assert frames.shape[0] == 8
    last = frames[-1][..., :3].astype(int)
    paper = np.array([246, 241, 228])
    # Dark ink of the opening line near the top left, on the paper colour elsewhere.
    top_left = last[30:70, 30:300]
    assert (np.abs(top_left - paper).sum(axis=-1) > 200).sum() > 50
    assert (np.abs(last[200:400, 500:620] - paper).sum(axis=-1) < 10).mean() > 0.95
