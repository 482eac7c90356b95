"""sketches/latent_walk.py and sketches/stored_latents.py run headless, unchanged, on dcgan.shapes.

The sketches ask for ``sk.model("dcgan.shapes")`` as a student's would. Its embedded weights
ship inside the plugin (``sketchml_gan/weights/``) and are found first; where they are not
there, the test puts a tiny random DCGAN where sketchml looks next
(``$SKETCHML_HOME/weights/dcgan/shapes/``), so the sketches run either way and nothing is
downloaded.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
from sketchml_gan.dcgan import Generator

ROOT = Path(__file__).resolve().parents[3]
SKETCHES = ROOT / "sketches"


def constants(sketch: str) -> dict[str, object]:
    """The sketch's top-level constants (``NAME = literal``), read without running it."""
    found = {}
    for node in ast.parse((SKETCHES / sketch).read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                found[target.id] = ast.literal_eval(node.value)
    return found


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sketchml-home")
    torch.manual_seed(0)
    target = folder / "weights" / "dcgan" / "shapes"
    target.mkdir(parents=True)
    save_file(Generator(resolution=32, latent_dim=16, width=8).state_dict(),
              str(target / "dcgan-shapes.safetensors"))
    return folder


def run_sketch(sketch: str, home: Path, cwd: Path, *args: str) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_HOME=str(home), SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1",
               SKETCHML_OUTPUT=str(cwd / "output"))
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(SKETCHES / sketch), "--headless",
         *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_latent_walk_draws_a_walk_that_holds_then_moves(home: Path, tmp_path: Path) -> None:
    c = constants("latent_walk.py")
    assert c["MODEL"] == "dcgan.shapes" and c["WEIGHTS"] is None
    count = c["HOLD"] + c["STEPS"] // 2
    run_sketch("latent_walk.py", home, tmp_path, "--frames", str(count), "--out", "frames/f-###.png")
    frames = np.stack([iio.imread(p)[..., :3] for p in sorted((tmp_path / "frames").iterdir())])
    view = c["VIEW"]
    assert frames.shape == (count, view + c["THUMB"], view, 3)
    pictures = frames[:, :view, :view]
    # A generated picture fills the view: many colours, not a cleared background.
    assert len(np.unique(pictures[0].reshape(-1, 3), axis=0)) > 50
    # It stays on the first keyframe for HOLD frames, then walks away from it.
    assert np.array_equal(pictures[0], pictures[c["HOLD"] - 1])
    assert np.abs(pictures[-1].astype(int) - pictures[0]).mean() > 2
    # The keyframes are drawn in the strip below the view.
    strip = frames[0, view:, : c["KEYFRAMES"] * c["THUMB"]]
    assert len(np.unique(strip.reshape(-1, 3), axis=0)) > 50


def test_stored_latents_saves_rerenders_and_walks_into_a_video(home: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    c = constants("stored_latents.py")
    assert c["MODEL"] == "dcgan.shapes" and c["WEIGHTS"] is None
    run_sketch("stored_latents.py", home, tmp_path, "--frames", "3", "--out", "stored.gif")
    assert iio.imread(tmp_path / "stored.gif").shape[0] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "stored.gif"]  # only --out there

    monkeypatch.setenv("SKETCHML_HOME", str(home))
    monkeypatch.setenv("SKETCHML_OFFLINE", "1")
    gan = sk.model("dcgan.shapes", device="cpu")
    seeds = c["SEEDS"]
    stored = []
    for seed in seeds:
        latent = sk.load_latent(tmp_path / "output" / c["FOLDER"] / f"seed-{seed}.safetensors")
        assert (latent.family, latent.variant, latent.seed) == ("dcgan", "shapes", seed)
        # The file re-renders the picture its seed made, bit for bit.
        assert torch.equal(gan.generate(latent), gan.generate(gan.sample_latent(1, seed=seed)))
        stored.append(latent)

    video = _mp4_frames(tmp_path / "output" / c["VIDEO"])
    n = len(seeds)
    assert len(video) == (c["STEPS"] - 1) * (n - 1) + 1 + n * c["HOLD"]
    # The video holds on the first stored picture, and ends on the last.
    for frame, latent in ((video[0], stored[0]), (video[-1], stored[-1])):
        expected = (gan.generate(latent)[0].permute(1, 2, 0).numpy() * 255).round()
        assert np.abs(frame.astype(float) - expected).mean() < 10


def _mp4_frames(path: Path) -> np.ndarray:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    width, height = next(reader)["size"]
    return np.stack([np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader])
