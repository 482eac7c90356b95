"""The DCGAN sketches run headless: the README's latent walk on the embedded default, and
"DCGAN on your video" with a tiny training (its constants turned down in a copy)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np

ROOT = Path(__file__).resolve().parents[3]


def _run(sketch: Path, out: Path, frames: int, cwd: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "SKETCHML_OUTPUT")}  # output/ beside the sketch
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(sketch), "--headless",
         "--frames", str(frames), "--out", str(out)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_latent_walk_renders_and_moves(tmp_path):
    out = tmp_path / "walk.gif"
    _run(ROOT / "sketches" / "dcgan_latent_walk.py", out, 4, tmp_path)
    frames = iio.imread(out)
    assert frames.shape[:3] == (4, 360, 640)
    big = frames[:, 20:330, 20:330, :3].astype(int)
    # The big picture is a generated image (dozens of colours even on a plain background,
    # not a flat fill), and it changes from frame to frame (frame 0 rests on a keyframe, so
    # compare the first and the last).
    assert len(np.unique(big[0].reshape(-1, 3), axis=0)) > 30
    assert np.abs(big[0] - big[-1]).mean() > 0


def test_dcgan_on_your_video_trains_and_shows(tmp_path):
    source = (ROOT / "sketches" / "dcgan_on_your_video.py").read_text()
    tiny = (source.replace("STEPS = 600", "STEPS = 3").replace("WIDTH = 32", "WIDTH = 4")
            .replace("FRAMES = 400", "FRAMES = 24"))
    assert tiny.count("= 3") and tiny != source
    sketch = tmp_path / "dcgan_on_your_video.py"
    sketch.write_text(tiny)
    out = tmp_path / "frames.gif"
    _run(sketch, out, 2, tmp_path)
    assert (tmp_path / "output" / "my_video.mp4").is_file()  # the demo clip it filmed
    assert (tmp_path / "output" / "runs" / "dcgan-video" / "dcgan.safetensors").is_file()
    frames = iio.imread(out)
    assert frames.shape[:3] == (2, 360, 640)
    left = frames[-1][40:328, 16:304, :3].reshape(-1, 3)
    assert len(np.unique(left, axis=0)) > 20  # a frame of the clip, not the background
