"""The conformance mix-in, run on small real families of every modality defined here.

Each ``Test*`` class below inherits the whole conformance suite: these families must
pass it, exactly as a plugin author's family would.
"""
from __future__ import annotations

import re
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
from sketchml.testing import ModelConformance, assert_same_output, check_output

# -- an image family with tiny weights read from a file, built directly by make_model ---------


class TinyDecoder(sk.Model):
    """A linear decoder from 6 latent numbers to 3x8x8 images, with an exact encoder."""

    def load(self) -> None:
        state = self.load_weights()
        self.matrix = state["matrix"].to(self.device)  # (6, 192)

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(self.randn(n, 6, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images:
        z = self.as_latent(latent, seed=seed)
        pixels = torch.sigmoid(z.tensor @ self.matrix)
        return sk.Images(pixels.reshape(-1, 3, 8, 8), latent=z)

    def encode(self, data, **options) -> sk.Latent:
        logits = torch.logit(torch.as_tensor(data).reshape(len(data), -1).clamp(1e-6, 1 - 1e-6))
        z = torch.linalg.lstsq(self.matrix.T, logits.T).solution.T
        return self.latent(z)


class TestTinyDecoder(ModelConformance):
    modality = "image"

    @classmethod
    def make_model(cls):
        folder = Path(tempfile.mkdtemp(prefix="tiny-decoder-"))
        matrix = torch.randn(6, 192, generator=torch.Generator().manual_seed(0)) * 0.5
        save_file({"matrix": matrix}, str(folder / "tiny.safetensors"))
        return TinyDecoder(device="cpu", weights=folder / "tiny.safetensors")

    def test_encode_recovers_the_latent(self, model):
        z = model.sample_latent(3, seed=4)
        assert torch.allclose(model.encode(model.generate(z)).tensor, z.tensor, atol=1e-3)


# -- text, audio and notes families, registered through a plugin object like an entry point --

SYLLABLES = ["ka", "lu", "mi", "ro", "sen", "ta", "vo", "zi"]


@dataclass
class ChantOptions:
    words: int = 4
    """How many words a chant has."""


class Chant(sk.Model):
    """Text: each latent number picks a syllable."""

    Options = ChantOptions

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(self.randn(n, self.options.words * 2, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed: int | None = None) -> sk.Text | list[sk.Text]:
        z = self.as_latent(latent, seed=seed)
        texts = []
        for k, row in enumerate(z.tensor):
            index = ((torch.erf(row / 2**0.5) + 1) / 2 * len(SYLLABLES)).long()
            parts = [SYLLABLES[i] for i in index.clamp(0, len(SYLLABLES) - 1).tolist()]
            texts.append(sk.Text(" ".join(a + b for a, b in zip(parts[::2], parts[1::2])),
                                 latent=z[k], seed=seed))
        return texts[0] if latent is None else texts


class Tone(sk.Model):
    """Audio: a latent of 2 numbers sets the pitch and loudness of a short tone."""

    interpolation = "lerp"

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        return self.latent(self.randn(n, 2, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed: int | None = None) -> sk.Audio | list[sk.Audio]:
        z = self.as_latent(latent, seed=seed)
        sounds = []
        for k, row in enumerate(z.tensor.cpu()):
            freq = 220.0 * 2 ** torch.tanh(row[0])
            amp = 0.2 + 0.3 * torch.sigmoid(row[1])
            t = torch.arange(800) / 8000
            sounds.append(sk.Audio(amp * torch.sin(2 * torch.pi * freq * t), sample_rate=8000,
                                   latent=z[k]))
        return sounds[0] if latent is None else sounds


class Melody(sk.Model):
    """Notes: a seeded random walk over a pentatonic scale; no latent space."""

    def generate(self, latent: int | None = None, *, seed: int | None = None,
                 seconds: float = 2.0) -> sk.Notes | list[sk.Notes]:
        scale = [60, 62, 64, 67, 69]
        melodies = []
        for k in range(1 if latent is None else latent):
            # Item k of a batch is the melody of seed + k.
            steps = torch.randint(0, 5, (round(seconds * 4),), generator=self.generator(seed + k))
            melodies.append(sk.Notes([
                {"pitch": scale[s], "velocity": 90, "start_time": i * 0.25,
                 "end_time": (i + 1) * 0.25} for i, s in enumerate(steps.tolist())], seed=seed + k))
        return melodies[0] if latent is None else melodies


@sk.hookimpl
def _register(registry):
    walks = ["generate", "interpolate", "sample_latent"]
    registry.add("chant", family=f"{__name__}:Chant", modality="text",
                 variants={"short": {"options": {"words": 2}}, "long": {"default": True}},
                 verbs=walks)
    registry.add("tone", family=f"{__name__}:Tone", modality="audio", verbs=walks)
    registry.add("melody", family=f"{__name__}:Melody", modality="notes", verbs=["generate"])


PLUGIN = types.SimpleNamespace(sketchml_register_models=_register)


class TestChant(ModelConformance):
    plugin = PLUGIN
    model_name = "chant"


class TestShortChant(ModelConformance):
    plugin = PLUGIN
    model_name = "chant.short"
    batch = 3

    def test_variant_options_reach_the_model(self, model):
        assert model.options.words == 2 and len(model.generate(seed=1).split()) == 2


class TestTone(ModelConformance):
    plugin = PLUGIN
    model_name = "tone"

    @classmethod
    def make_model(cls):
        return cls.plugin_registry().load("tone", device="cpu")

    def test_plugin_registry_holds_only_the_plugin(self):
        assert self.plugin_registry().families() == ["chant", "melody", "tone"]
        with pytest.raises(sk.SketchmlError, match="needs plugin = your_plugin_module"):
            TestTinyDecoder.plugin_registry()


class TestMelody(ModelConformance):
    plugin = PLUGIN
    model_name = "melody"
    generate_options = {"seconds": 1.5}

    def test_generate_options_are_used(self, model):
        assert len(model.generate(seed=0, **self.generate_options)) == 6


# -- the building blocks on their own ---------------------------------------------------------


@pytest.mark.parametrize(("output", "modality", "n", "message"), [
    (torch.rand(2, 3, 4, 4) * 2, "image", 2, "must be in [0, 1]"),
    (torch.rand(2, 4, 4, 3), "image", 2, "must be (N, 3, H, W)"),
    (torch.rand(3, 3, 4, 4), "image", 2, "expected N=2"),
    ((torch.rand(2, 3, 4, 4) * 255).to(torch.uint8), "image", 2, "must be float"),
    (torch.full((2, 3, 4, 4), float("nan")), "image", 2, "NaN"),
    ([sk.Text("a"), 2], "text", 2, "must be a str"),
    (sk.Text("ab"), "text", 2, "must be a list"),
    (["a"], "text", 2, "expected 2, got 1"),
    (torch.randn(2, 16), "embedding", 2, "must be a sk.Latent"),
    (sk.Audio(torch.ones(10) * 2, sample_rate=10), "audio", None, "peak is 2"),
    (torch.zeros(10), "audio", None, "must have a .waveform"),
    (sk.Notes([]), "notes", None, "has no notes"),
])
def test_check_output_refuses_bad_outputs(output, modality, n, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_output(output, modality, n=n)


def test_check_output_accepts_each_modality():
    check_output(sk.Images(torch.rand(2, 3, 4, 4)), "image", n=2)
    check_output(sk.Latent({"embedding": torch.randn(2, 16)}), "embedding", n=2)
    check_output(sk.Text("hi"), "text")
    check_output([sk.Text("hi"), sk.Text("ho")], "text", n=2)
    check_output(sk.Audio(torch.zeros(2, 10), sample_rate=10), "audio")
    check_output(sk.Notes([{"pitch": 60, "start_time": 0, "end_time": 1}]), "notes")
    with pytest.raises(sk.SketchmlError, match="'picture' is not known"):
        check_output(torch.rand(1, 3, 2, 2), "picture")


def test_assert_same_output_tolerance():
    a = torch.zeros(1, 3, 2, 2)
    assert_same_output(a, a + 1e-6, "image")
    with pytest.raises(AssertionError, match="image outputs differ"):
        assert_same_output(a, a + 1e-2, "image")
    with pytest.raises(AssertionError, match="text outputs differ"):
        assert_same_output(sk.Text("a"), sk.Text("b"), "text")


def test_api_problems_name_each_drift_and_pass_the_model_api():
    from sketchml.testing import api_problems

    def good(self, latent=None, *, seconds: float = 2.0, seed: int | None = None) -> sk.Notes | list[sk.Notes]:
        ...

    def drifting(self, latent=None, *, length: int = 8, seed: int | None = None) -> sk.Notes:
        ...

    def text(self, latent=None, *, max_tokens: int = 8, seed: int | None = None) -> sk.Text | list[sk.Text]:
        ...

    assert api_problems(good, "generate", "notes") == []
    problems = api_problems(drifting, "generate", "notes")
    assert problems == [
        "generate(length=...): the model API calls it seconds= (keep the old name working for a "
        "release with sketchml.plugin.renamed(length='seconds'))",
        "generate() of a notes family must be annotated -> Notes | list[Notes], got -> Notes"]
    assert "calls it length=" in api_problems(text, "generate", "text")[0]
    assert api_problems(drifting, "train", "notes")[0].startswith("train(): the first argument")
