"""Autoencoders: AE / VAE / CVAE training on tiny sets, the verbs, and the embedded default's quality."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import sketchml as sk
from sketchml.datasets import faces_world, save_face_folders, train_face_checker
from sketchml.testing import ModelConformance


def held_out(size: int, n: int = 64) -> torch.Tensor:
    return faces_world(n, size=size, seed=500).images


def mean_image_mse(train: torch.Tensor, held: torch.Tensor) -> float:
    return float((train.mean(0, keepdim=True) - held).pow(2).mean())


@pytest.fixture(scope="module")
def checker():
    return train_face_checker(n=1200, steps=400)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_training_learns_to_reconstruct_held_out_faces(kind: str, tmp_path: Path) -> None:
    model = sk.model("autoencoder", device="cpu")
    run = model.train("faces", out=tmp_path / kind, kind=kind, resolution=32, steps=400,
                      faces=600, batch_size=32, width=16, latent_dim=16, lr=0.002,
                      seed=0, progress=False)
    assert (model.kind, model.latent_dim, run.step) == (kind, 16, 400)
    losses = [row["mse"] for row in run.history]
    assert sum(losses[-20:]) < 0.6 * sum(losses[:20])
    held = held_out(32)
    error = float((model.generate(model.encode(held)) - held).pow(2).mean())
    baseline = mean_image_mse(faces_world(600, size=32).images, held)
    assert error < 0.6 * baseline, (error, baseline)
    again = sk.model("autoencoder", weights=tmp_path / kind, device="cpu")
    assert torch.allclose(again.generate(model.sample_latent(2, seed=3)),
                          model.generate(model.sample_latent(2, seed=3)), atol=1e-5)
    if kind == "ae":
        # The plain AE samples from the Gaussian fitted to its training latents.
        latents = model.encode(faces_world(600, size=32).images)["z"]
        assert torch.allclose(model.network.latent_mean, latents.mean(0), atol=1e-3)
        drawn = model.sample_latent(2000, seed=0)["z"]
        assert torch.allclose(drawn.std(0), latents.std(0), rtol=0.15, atol=0.02)
        assert model.interpolation == "lerp"
    else:
        assert model.interpolation == "slerp"


def test_a_cvae_takes_its_labels_from_folder_names(tmp_path: Path) -> None:
    from sketchml.datasets.faces import _BACKGROUNDS

    folder = save_face_folders(tmp_path / "faces", 400, by="background", size=32)
    model = sk.model("autoencoder", device="cpu")
    model.train(folder, out=tmp_path / "run", kind="cvae", resolution=32, steps=500,
                batch_size=32, width=16, latent_dim=8, lr=0.002, seed=0, progress=False)
    assert model.labels == sorted(_BACKGROUNDS)
    # The label steers the picture: with the same latents, each label's faces stand on the
    # background colour it names (measured: 99% of them; chance is 1 in 6).
    palette = torch.tensor([_BACKGROUNDS[name] for name in model.labels]).float() / 255
    z = model.sample_latent(16, seed=1)
    hits = []
    for k, name in enumerate(model.labels):
        corners = model.generate(z, label=name)[..., 1:6, 1:6].mean((2, 3))
        hits.append(float((torch.cdist(corners, palette).argmin(1) == k).float().mean()))
    assert sum(hits) / len(hits) > 0.85, hits
    mixed = model.generate(z[:2], label=["sky", 2])
    assert torch.allclose(mixed[0], model.generate(z[:1], label="sky")[0], atol=1e-6)
    with pytest.raises(sk.SketchmlError, match="Did you mean 'sky'"):
        model.generate(z, label="skye")
    with pytest.raises(sk.SketchmlError, match="encodes a picture with its label"):
        model.encode(mixed)
    assert model.encode(mixed, label="mint")["z"].shape == (2, 8)


def test_mistakes_are_explained(tmp_path: Path) -> None:
    model = sk.model("autoencoder", device="cpu")
    with pytest.raises(sk.SketchmlError, match="kind must be one of"):
        model.train("faces", out=tmp_path / "x", kind="gan", progress=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    from PIL import Image

    for k in range(2):
        Image.new("RGB", (32, 32), (40 * k, 90, 200)).save(flat / f"{k}.png")
    with pytest.raises(sk.SketchmlError, match="sub-folder"):
        model.train(flat, out=tmp_path / "y", kind="cvae", progress=False)
    with pytest.raises(sk.SketchmlError, match="label= is for a conditional VAE"):
        model.generate(1, label="happy")
    with pytest.raises(sk.SketchmlError, match=r"latents shaped \(N, 32\)"):
        model.generate(torch.zeros(1, 5))
    with pytest.raises(sk.SketchmlError, match="holds no trained autoencoder"):
        sk.model("autoencoder", weights=tmp_path, device="cpu")


def test_the_embedded_default_reconstructs_and_samples_faces(checker) -> None:
    model = sk.model("autoencoder", device="cpu")
    assert (model.name, model.kind, model.resolution) == ("autoencoder.faces", "vae", 64)
    held = held_out(64, 128)
    error = float((model.generate(model.encode(held)) - held).pow(2).mean())
    baseline = mean_image_mse(faces_world(1000, size=64).images, held)
    # The quality bar: under half the mean image's error on faces it never saw.
    assert error < 0.5 * baseline, (error, baseline)
    assert checker.accuracy > 0.95
    samples = model.generate(model.sample_latent(64, seed=1))
    accepted = float((checker.face_probability(samples) > 0.5).float().mean())
    assert accepted >= 0.8, accepted
    walk = model.generate(model.interpolate(model.encode(held[:1]), model.encode(held[1:2]),
                                            steps=5))
    assert float((checker.face_probability(walk) > 0.5).float().mean()) >= 0.8
    noise = torch.rand(32, 3, 64, 64)
    assert float((checker.face_probability(noise) > 0.5).float().mean()) < 0.1


class TestAutoencoderConformance(ModelConformance):
    model_name = "autoencoder"

    def train_inputs(self, model: sk.Model, out: Path) -> tuple:
        return "faces", {"kind": "vae", "resolution": 32, "steps": 2, "faces": 8,
                         "batch_size": 4, "width": 4, "progress": False}


def test_cli_trains_a_cvae_on_the_faces_world(tmp_path: Path) -> None:
    from sketchml.cli.main import main as cli
    from sketchml.datasets import FACE_ATTRIBUTES

    out = tmp_path / "cvae"
    assert cli(["train", "autoencoder", "faces", "--out", str(out), "--kind", "cvae",
                "--label-by", "hair", "--resolution", "32", "--steps", "2", "--faces", "16",
                "--width", "4", "--batch-size", "4", "--device", "cpu"]) == 0
    model = sk.model("autoencoder", weights=out, device="cpu")
    assert model.kind == "cvae" and model.labels == list(FACE_ATTRIBUTES["hair"])
    assert model.generate(2, label="curly").shape == (2, 3, 32, 32)
