"""The image-to-image and autoencoder sketches run headless, offline, with no camera (their
training constants turned down in a copy)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np

ROOT = Path(__file__).resolve().parents[3]


def run_sketch(sketch: Path, out: Path, frames: int, tmp_path: Path) -> None:
    """Run ``sketch`` from an empty working directory, which it must leave empty: what it
    makes goes to ``output/`` beside it, and ``out`` is an absolute path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SKETCHML_OUTPUT")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1")
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(sketch), "--headless",
         "--frames", str(frames), "--out", str(out)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(cwd.iterdir())


def shrunk(name: str, tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    source = (ROOT / "sketches" / name).read_text()
    tiny = source
    for old, new in replacements:
        assert old in tiny, old
        tiny = tiny.replace(old, new)
    path = tmp_path / name
    path.write_text(tiny)
    return path


def distinct_colours(picture: np.ndarray) -> int:
    return len(np.unique(picture.reshape(-1, picture.shape[-1]), axis=0))


def test_pix2pix_train_from_video_then_webcam(tmp_path: Path) -> None:
    train = shrunk("pix2pix_train_from_video.py", tmp_path, ("STEPS = 600", "STEPS = 3"),
                   ("WIDTH = 32", "WIDTH = 4"), ("FRAMES = 400", "FRAMES = 16"))
    run_sketch(train, tmp_path / "train.gif", 2, tmp_path)
    assert (tmp_path / "output" / "my_video.mp4").is_file()  # the stand-in clip it trained on
    assert (tmp_path / "output" / "runs" / "pix2pix-video" / "pix2pix.safetensors").is_file()
    frame = iio.imread(tmp_path / "train.gif")[-1][..., :3]
    assert frame.shape == (240, 640, 3)
    # The video, its outlines and the painting: three different pictures.
    video, outlines = frame[40:216, 24:200], frame[40:216, 232:408]
    assert distinct_colours(video) > 20 and distinct_colours(outlines) > 2
    assert np.abs(video.astype(int) - outlines).mean() > 10

    webcam = shrunk("pix2pix_webcam.py", tmp_path)
    run_sketch(webcam, tmp_path / "webcam.gif", 3, tmp_path)
    # With no trained model it falls back to the embedded pix2pix.room.
    shutil.rmtree(tmp_path / "output" / "runs" / "pix2pix-video")
    run_sketch(webcam, tmp_path / "room.gif", 2, tmp_path)
    painted = iio.imread(tmp_path / "room.gif")[-1][56:296, 344:616, :3]
    assert distinct_colours(painted) > 30
    frames = iio.imread(tmp_path / "webcam.gif")[..., :3]
    assert frames.shape[:3] == (3, 320, 640)
    camera = frames[:, 56:296, 24:296].astype(int)
    assert distinct_colours(frames[-1][56:296, 344:616]) > 10
    # The stand-in camera moves from frame to frame.
    assert np.abs(camera[0] - camera[-1]).mean() > 0.5


def test_style_transfer_live(tmp_path: Path) -> None:
    sketch = shrunk("style_transfer_live.py", tmp_path, ("STEPS = 300", "STEPS = 2"),
                    ("WIDTH = 16", "WIDTH = 4"), ("SIZE = 128", "SIZE = 32"))
    run_sketch(sketch, tmp_path / "style.gif", 2, tmp_path)
    assert (tmp_path / "output" / "my_style.png").is_file()  # the style picture it painted
    assert (tmp_path / "output" / "runs" / "style-live" / "style.safetensors").is_file()
    frame = iio.imread(tmp_path / "style.gif")[-1][..., :3]
    assert frame.shape == (320, 640, 3)
    assert distinct_colours(frame[56:256, 24:296]) > 20  # the camera picture
    assert distinct_colours(frame[56:256, 344:616]) > 5  # the restyled picture


def test_autoencoder_faces_walks_with_the_mouse(tmp_path: Path) -> None:
    run_sketch(ROOT / "sketches" / "autoencoder_faces.py", tmp_path / "faces.gif", 3, tmp_path)
    frames = iio.imread(tmp_path / "faces.gif")[..., :3].astype(int)
    assert frames.shape[:3] == (3, 360, 480)
    big = frames[:, 70:290, 130:350]
    assert distinct_colours(big[0].astype(np.uint8)) > 30
    # The point drifts when the mouse is still, so the big face changes.
    assert np.abs(big[0] - big[-1]).mean() > 0.5
