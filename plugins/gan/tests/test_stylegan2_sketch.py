"""sketches/stylegan_projection.py runs headless on a tiny generator, a photo and a random VGG16.

The sketch reads its files as a student's would: the generator and the photo beside the
sketch, VGG16 from torch's hub cache (``$TORCH_HOME``), so the test copies the sketch into a
folder of its own, puts tiny stand-ins there and runs it unchanged from another, empty working
directory, which must stay empty: the video and the latent go to ``output/`` beside the sketch.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
from PIL import Image

import sketchml as sk
from sketchml_gan.projection import VGG16_FILE
from sketchml_gan.stylegan2 import Generator

ROOT = Path(__file__).resolve().parents[3]
SKETCH = ROOT / "sketches" / "stylegan_projection.py"


def _constant(name: str) -> str:
    for line in SKETCH.read_text().splitlines():
        if line.startswith(f"{name} = "):
            return line.split("=", 1)[1].split("#")[0].strip().strip('"')
    raise AssertionError(f"{SKETCH.name} has no {name} constant")


def _run(tmp_path: Path, out: Path, **env_extra: str) -> Path:
    """Run a copy of the sketch in ``tmp_path`` from the empty ``tmp_path/cwd``; returns the
    sketch's output folder."""
    sketch = tmp_path / SKETCH.name
    shutil.copy(SKETCH, sketch)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "SKETCHML_OUTPUT")}
    env.update(TORCH_HOME=str(tmp_path / "torch"), SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1",
               **env_extra)
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(sketch), "--headless",
         "--frames", "2", "--out", str(out)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(cwd.iterdir())
    return tmp_path / "output"


def test_projection_sketch_renders_headless(tmp_path: Path) -> None:
    from torchvision.models import vgg

    torch.manual_seed(0)
    g = Generator(32, style_dim=64, n_mlp=2, channels={4: 32, 8: 32, 16: 16, 32: 16})
    torch.save({"g_ema": g.state_dict()}, tmp_path / _constant("WEIGHTS"))
    pixels = np.zeros((60, 40, 3), np.uint8)
    pixels[10:50, 5:35] = (220, 180, 140)
    Image.fromarray(pixels).save(tmp_path / _constant("PHOTO"))
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    features = vgg.make_layers(vgg.cfgs["D"])
    torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, hub / VGG16_FILE)

    out = tmp_path / "frames.gif"
    output = _run(tmp_path, out)
    frames = iio.imread(out)
    assert frames.shape[0] == 2 and frames.shape[1:3] == (256 + 40, 3 * 256)
    # The photo's skin colour is on the left, generated pictures fill the other two tiles.
    assert np.abs(frames[-1][128, 128, :3].astype(int) - (220, 180, 140)).max() <= 8
    for left in (256, 512):
        tile = frames[-1][:256, left:left + 256, :3].reshape(-1, 3)
        assert len(np.unique(tile, axis=0)) > 20
    assert (output / "projection.mp4").stat().st_size > 0
    latent = sk.load_latent(output / "photo-latent.safetensors")
    assert latent["w"].shape == (1, 8, 64) and latent.metadata["steps"] == int(_constant("STEPS"))


def test_projection_sketch_runs_offline_with_nothing_given(tmp_path: Path) -> None:
    """No generator, no photo, no VGG16: stylegan2.shapes projects a held-out shapes picture."""
    out = tmp_path / "frames.gif"
    output = _run(tmp_path, out, SKETCHML_HOME=str(tmp_path / "home"))
    frames = iio.imread(out)
    latent = sk.load_latent(output / "photo-latent.safetensors")
    assert latent.metadata["perceptual"] == "shapes"
    assert latent.metadata["loss"] < latent.metadata["start_loss"]
    # The projection (middle) is closer to the picture (left) than the picture's mean colour is.
    picture, projection = (frames[-1][:256, x:x + 256, :3].astype(float) for x in (0, 256))
    assert np.abs(picture - projection).mean() < np.abs(picture - picture.mean(axis=(0, 1))).mean()
