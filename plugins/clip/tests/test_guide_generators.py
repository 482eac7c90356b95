"""Guidance through generators: DCGAN's z, BigGAN's noise + class logits, StyleGAN2's W / W+,
any model with a differentiable generate, and CMA-ES for one without.

The generators are small ones with random weights, saved to files and loaded the way a
user loads trained weights; the tiny CLIP is random too. What is checked is the plumbing
that makes guidance useful: the loss falls, the result's latent is the generator's own
(so ``generate`` renders it again and walks use it), and the errors say what to do.
"""
from __future__ import annotations

import pytest
import torch

import sketchml as sk
from sketchml_clip.guide import guide

pytest.importorskip("sketchml_gan")


@pytest.fixture(scope="module")
def clip():
    return sk.model("clip", untrained=True, device="cpu")


@pytest.fixture(scope="module")
def dcgan(tmp_path_factory):
    from safetensors.torch import save_file
    from sketchml_gan.dcgan import Generator

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("dcgan") / "g.safetensors"
    save_file(Generator(resolution=32, latent_dim=16, width=8).state_dict(), str(path))
    return sk.model("dcgan", weights=path, device="cpu")


@pytest.fixture(scope="module")
def biggan(tmp_path_factory):
    from sketchml_gan.biggan import save_random_checkpoint

    folder = save_random_checkpoint(tmp_path_factory.mktemp("biggan"), resolution=128,
                                    channel_width=4)
    return sk.model("biggan.deep-128", weights=folder, device="cpu")


@pytest.fixture(scope="module")
def stylegan(tmp_path_factory):
    from sketchml_gan.stylegan2 import Generator

    torch.manual_seed(0)
    g = Generator(16, style_dim=16, n_mlp=2, channels={4: 16, 8: 16, 16: 8})
    path = tmp_path_factory.mktemp("stylegan2") / "g.pt"
    torch.save({"g_ema": g.state_dict()}, path)
    return sk.model("stylegan2", weights=path, device="cpu")


def run(clip, model, **options):
    settings = {"steps": 4, "cutouts": 2, "augment": False, **options}
    guidance = guide(clip, "a red circle", model=model, **settings)
    steps = list(guidance)
    return steps, guidance.result()


def test_dcgan_latent_is_steered_and_renders_again(clip, dcgan, tmp_path):
    steps, result = run(clip, dcgan, steps=8)
    assert result.loss < steps[0].loss
    assert set(result.latent.tensors) == {"z"} and result.latent.family == "dcgan"
    assert not torch.equal(result.latent["z"], steps[0].latent["z"])
    assert torch.equal(dcgan.generate(result.latent), result.image)
    # Saved and loaded, the latent makes the same picture; results walk like any latents.
    result.save(tmp_path / "guided")
    loaded = sk.load_latent(tmp_path / "guided.safetensors")
    assert torch.equal(dcgan.generate(loaded), result.image)
    other = run(clip, dcgan, seed=3)[1]
    frames = list(sk.walk_frames(dcgan, [result.latent, other.latent], steps=3))
    assert torch.allclose(frames[0], result.image, atol=1e-5)
    assert torch.allclose(frames[-1], other.image, atol=1e-5)


def test_biggan_steers_noise_and_class_logits(clip, biggan):
    steps, result = run(clip, biggan, steps=3, cutouts=1,
                        latent_options={"label": "goldfish", "truncation": 0.5})
    latent = result.latent
    assert set(latent.tensors) == {"z", "y"} and latent.metadata["truncation"] == 0.5
    assert torch.allclose(latent["y"].sum(dim=1), torch.ones(1))
    start_y = steps[0].latent["y"]
    # It starts near the asked class and the class mixture moves with the noise.
    assert int(start_y.argmax()) == 1 and 0.3 < float(start_y[0, 1]) < 0.7
    assert not torch.equal(latent["y"], start_y) and not torch.equal(latent["z"], steps[0].latent["z"])
    assert torch.equal(biggan.generate(latent), result.image)
    assert result.loss <= steps[0].loss


def test_biggan_with_cma_es(clip, biggan):
    steps, result = run(clip, biggan, optimiser="cma", steps=2, population=3, batch=3, cutouts=1)
    assert len(steps) == 2 and result.settings["optimiser"] == "cma"
    assert torch.equal(biggan.generate(result.latent), result.image)


@pytest.mark.parametrize("space, shape", [("w", (1, 16)), ("w+", (1, 6, 16))])
def test_stylegan2_steers_w_or_w_plus(clip, stylegan, space, shape):
    steps, result = run(clip, stylegan, steps=6, latent_options={"space": space})
    assert tuple(result.latent["w"].shape) == shape and result.latent.metadata["space"] == space
    assert result.loss < steps[0].loss
    assert torch.allclose(stylegan.generate(result.latent), result.image, atol=1e-6)


def test_stylegan2_refuses_z_space(clip, stylegan):
    with pytest.raises(sk.SketchmlError, match="W or W\\+"):
        guide(clip, "a red circle", model=stylegan, latent_options={"space": "z"})


class Boxes(sk.Model):
    """A real generator whose generate() runs without gradients, as many do."""

    def load(self):
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 3 * 16 * 16), torch.nn.Sigmoid())

    def sample_latent(self, n=1, *, seed=None):
        return self.latent(self.randn(n, 8, seed=seed), seed=seed)

    @torch.no_grad()
    def generate(self, latent=None, *, seed=None):
        z = self.as_latent(latent, seed=seed).tensor
        return sk.Images(self.net(z).view(-1, 3, 16, 16))


class Smooth(Boxes):
    """The same generator with gradients: guidance steers it through generate() itself."""

    def generate(self, latent=None, *, seed=None):
        z = self.as_latent(latent, seed=seed).tensor
        return sk.Images(self.net(z).view(-1, 3, 16, 16))


def test_a_generator_without_gradients_needs_cma_es(clip):
    boxes = Boxes(device="cpu")
    for optimiser in ("adam", "cma+adam"):
        with pytest.raises(sk.SketchmlError, match="optimiser='cma'"):
            guide(clip, "a red circle", model=boxes, optimiser=optimiser)
    steps, result = run(clip, boxes, optimiser="cma", steps=5, population=6)
    assert min(step.loss for step in steps) == result.loss
    assert torch.equal(boxes.generate(result.latent), result.image)


def test_any_model_with_a_differentiable_generate_is_steered_by_adam(clip):
    smooth = Smooth(device="cpu")
    # One start: the best of several random starts may already beat what 8 steps reach.
    steps, result = run(clip, smooth, steps=8, starts=1)
    assert result.loss < steps[0].loss
    assert torch.equal(smooth.generate(result.latent), result.image)


def test_a_model_that_makes_no_images_cannot_be_guided(clip):
    with pytest.raises(sk.SketchmlError, match="cannot be guided"):
        guide(clip, "a red circle", model=clip)
