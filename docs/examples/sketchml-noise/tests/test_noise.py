"""Tests of sketchml-noise: the sketchml conformance suite plus the family's own behaviour."""
import torch

import sketchml as sk
import sketchml_noise
from sketchml.testing import ModelConformance


class TestNoise(ModelConformance):
    """Every check sketchml asks of a model family, on a small default variant."""

    plugin = sketchml_noise
    model_name = "noise"
    model_options = {"size": 16}


class TestFineNoise(ModelConformance):
    """The same checks on the other variant."""

    plugin = sketchml_noise
    model_name = "noise.fine"
    model_options = {"size": 24}


def test_the_plugin_registers_both_variants(sketchml_registry):
    sketchml_registry.register(sketchml_noise)
    rows = {entry.name: entry for entry in sk.models()}
    assert sorted(rows) == ["noise.default", "noise.fine"]
    assert rows["noise.default"].default
    assert rows["noise.fine"].verbs == ("generate", "encode", "interpolate", "sample_latent")


def test_options_shape_the_images(sketchml_registry):
    sketchml_registry.register(sketchml_noise)
    fine = sk.model("noise.fine", size=20, device="cpu")
    assert fine.options.grid == 12
    z = fine.sample_latent(3, seed=1)
    assert z.tensor.shape == (3, 3, 12, 12)
    assert fine.generate(z).shape == (3, 3, 20, 20)


def test_encode_recovers_the_latent_of_a_noise_image(sketchml_registry):
    sketchml_registry.register(sketchml_noise)
    noise = sk.model("noise", size=32, device="cpu")
    z = noise.sample_latent(2, seed=4)
    assert torch.allclose(noise.encode(noise.generate(z)).tensor, z.tensor, atol=1e-3)


def test_encode_projects_any_picture_to_nearby_noise(sketchml_registry):
    sketchml_registry.register(sketchml_noise)
    noise = sk.model("noise", size=32, device="cpu")
    left_red = torch.zeros(1, 3, 48, 48)
    left_red[:, 0, :, :24] = 1.0
    projected = noise.generate(noise.encode(left_red))
    red = projected[0, 0]
    assert red[:, :8].mean() > 0.8 and red[:, -8:].mean() < 0.2


def test_a_walk_morphs_smoothly(sketchml_registry):
    sketchml_registry.register(sketchml_noise)
    noise = sk.model("noise", size=16, device="cpu")
    z = noise.sample_latent(2, seed=9)
    frames = noise.generate(noise.interpolate(z[0], z[1], steps=9))
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    jump = (frames[-1] - frames[0]).abs().mean()
    assert steps.max() < jump / 2
