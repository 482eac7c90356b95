"""The Model base class: verbs, refusals, options, seeding, devices."""
from __future__ import annotations

import dataclasses

import pytest
import torch

import sketchml as sk
from sketchml.models.registry import ModelSpec, VariantSpec
from sketchml.plugin import renamed


@dataclasses.dataclass
class NoiseOptions:
    size: int = 8
    """Side of the square images, in pixels."""
    contrast: float = 1.0
    """How hard the sigmoid squashes the noise."""


class Noise(sk.Model):
    Options = NoiseOptions
    hints = {"encode": "sample latents with sample_latent() and keep them"}

    def sample_latent(self, n=1, *, seed=None):
        return self.latent(self.randn(n, 16, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed=None, brightness: float = 0.0):
        z = self.as_latent(latent, seed=seed).tensor
        side = self.options.size
        img = (z[:, :3, None, None] * self.options.contrast + brightness).sigmoid()
        return sk.Images(img.expand(-1, 3, side, side))


class WLerp(Noise):
    interpolation = "lerp"


class Bare(sk.Model):
    def generate(self, latent=None, **options):
        return "plain"


def test_verbs_and_can():
    assert Noise.verbs() == ("generate", "interpolate", "sample_latent")
    assert Bare.verbs() == ("generate",)
    noise = Noise(device="cpu")
    assert noise.can("generate") and noise.can("interpolate") and not noise.can("train")
    with pytest.raises(sk.SketchmlError, match="Did you mean 'encode'"):
        noise.can("encod")


def test_missing_verbs_are_refused_clearly():
    noise = Noise(device="cpu")
    with pytest.raises(sk.MissingVerbError) as raised:
        noise.encode(torch.zeros(1, 3, 8, 8))
    message = str(raised.value)
    assert "'noise' model family cannot encode()" in message
    assert "sample latents with sample_latent()" in message  # the family's hint
    with pytest.raises(NotImplementedError, match="cannot train.*it can: generate, interpolate, sample_latent"):
        noise.train("images/")
    bare = Bare(device="cpu")
    with pytest.raises(sk.SketchmlError, match="cannot interpolate"):
        bare.interpolate(torch.zeros(1, 4), torch.ones(1, 4))


def test_seed_makes_latents_and_outputs_reproducible():
    noise = Noise(device="cpu")
    a, b, c = noise.sample_latent(3, seed=7), noise.sample_latent(3, seed=7), noise.sample_latent(3, seed=8)
    assert torch.equal(a.tensor, b.tensor) and not torch.equal(a.tensor, c.tensor)
    assert a.seed == 7 and a.family == "noise" and a.options == {"size": 8, "contrast": 1.0}
    # drawn on the CPU with a seeded generator, then moved: the same numbers on any device
    expected = torch.randn(3, 16, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a.tensor.cpu(), expected)
    assert torch.equal(noise.generate(seed=3), Noise(device="cpu").generate(seed=3))
    assert not torch.equal(noise.generate(seed=3), noise.generate(seed=4))


def test_truncated_randn():
    noise = Noise(device="cpu")
    z = noise.randn(64, 16, seed=1, truncation=0.7)
    assert z.abs().max() <= 0.7 and torch.equal(z, noise.randn(64, 16, seed=1, truncation=0.7))


def test_device_choice_and_override():
    assert Noise().device.type == ("cuda" if torch.cuda.is_available() else
                                   "mps" if torch.backends.mps.is_available() else "cpu")
    assert Noise(device="cpu").device == torch.device("cpu")
    assert Noise(device=torch.device("cpu")).sample_latent(seed=1).device.type == "cpu"
    with pytest.raises(sk.SketchmlError, match="is not a device"):
        Noise(device="toaster")
    if not torch.cuda.is_available():
        with pytest.raises(sk.SketchmlError, match="CUDA is not available"):
            Noise(device="cuda")


def test_options_are_typed_and_checked():
    spec = ModelSpec("noise", "x:Noise", "image", {"big": VariantSpec("big", options={"size": 32})})
    big = Noise(spec=spec, variant=spec.variants["big"], device="cpu")
    assert big.options.size == 32 and big.name == "noise.big"
    assert Noise(spec=spec, variant=spec.variants["big"], device="cpu", size=4).options.size == 4
    assert Noise(device="cpu", contrast=2).options.contrast == 2  # an int is a fine float
    with pytest.raises(sk.SketchmlError, match="'sise' is not an option.*Did you mean 'size'"):
        Noise(device="cpu", sise=3)
    with pytest.raises(sk.SketchmlError, match="'size' .* must be a int, got 'big'"):
        Noise(device="cpu", size="big")
    with pytest.raises(sk.SketchmlError, match="takes no options"):
        Bare(device="cpu", size=3)


def test_verb_keywords_get_did_you_mean():
    noise = Noise(device="cpu")
    assert noise.generate(seed=1, brightness=1.0).mean() > noise.generate(seed=1).mean()
    with pytest.raises(sk.SketchmlError, match="has no option 'brightnes'. Did you mean 'brightness'"):
        noise.generate(seed=1, brightnes=1.0)


def test_default_interpolate_slerps_or_lerps():
    noise, w = Noise(device="cpu"), WLerp(device="cpu")
    z = noise.sample_latent(2, seed=5)
    walk = noise.interpolate(z[0], z[1], steps=5)
    assert isinstance(walk, sk.Latent) and len(walk) == 5
    assert torch.allclose(walk.tensor[0], z.tensor[0]) and torch.allclose(walk.tensor[-1], z.tensor[1])
    middle_norm = walk.tensor[2].norm()
    straight = (z.tensor[0] + z.tensor[1]) / 2
    assert middle_norm > straight.norm()  # slerp does not cut through the middle
    lerped = w.interpolate(z[0], z[1], steps=5)
    assert torch.allclose(lerped.tensor[2], straight, atol=1e-6)
    images = noise.generate(walk)
    assert images.shape == (5, 3, 8, 8)


def test_as_latent_accepts_tensors_counts_and_none():
    noise = Noise(device="cpu")
    assert len(noise.as_latent(None)) == 1 and len(noise.as_latent(3)) == 3
    assert noise.as_latent(torch.zeros(2, 16)).family == "noise"
    with pytest.raises(sk.SketchmlError, match="Expected a latent"):
        noise.as_latent("cat")


def test_seed_none_becomes_a_fresh_seed_that_the_latent_records():
    noise = Noise(device="cpu")
    first, second = noise.sample_latent(2), noise.sample_latent(2)
    assert isinstance(first.seed, int) and first.seed != second.seed
    assert torch.equal(noise.sample_latent(2, seed=first.seed).tensor, first.tensor)
    assert noise.sample_latent(1, seed=5).seed == 5


def test_renamed_keywords_are_accepted_with_a_warning_but_not_advertised():
    class Writer(sk.Model):
        @renamed(max_length="length")
        def generate(self, latent=None, *, length: int = 3, seed: int | None = None) -> sk.Text:
            return sk.Text("x" * length, seed=seed)

    writer = Writer(device="cpu")
    with pytest.warns(FutureWarning, match="'max_length=' was renamed; use length="):
        assert writer.generate(max_length=5) == "xxxxx"
    with pytest.raises(sk.SketchmlError, match="has no option 'lenght'") as caught:
        writer.generate(lenght=5)
    assert "It takes: latent, length, seed." in str(caught.value)
    assert isinstance(writer.generate().seed, int)
