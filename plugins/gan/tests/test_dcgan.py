"""DCGAN: architecture and checkpoint layout, loading, the verbs, conformance, bad input."""
from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import save_file

import sketchml as sk
import sketchml_gan
from sketchml.testing import ModelConformance
from sketchml_gan.dcgan import Discriminator, Generator


def _tiny_generator_file(tmp_path, *, resolution=32, latent_dim=16, width=4, name="g.safetensors"):
    torch.manual_seed(0)
    generator = Generator(resolution=resolution, latent_dim=latent_dim, width=width)
    path = tmp_path / name
    if name.endswith(".pth"):
        torch.save(generator.state_dict(), path)
    else:
        save_file(generator.state_dict(), path)
    return generator.eval(), path


class TestDCGANConformance(ModelConformance):
    plugin = sketchml_gan
    model_name = "dcgan"

    def train_inputs(self, model, out):
        return "shapes", {"resolution": 32, "steps": 2, "batch_size": 4, "width": 4,
                          "shapes": 8, "progress": False}


@pytest.mark.parametrize("resolution", [32, 64, 128])
def test_networks_make_and_judge_each_resolution(resolution):
    g = Generator(resolution=resolution, latent_dim=10, width=4)
    d = Discriminator(resolution=resolution, width=4)
    images = g(torch.randn(3, 10))
    assert images.shape == (3, 3, resolution, resolution)
    assert images.abs().max() <= 1
    assert d(images).shape == (3,)


def test_layout_matches_the_pytorch_examples_dcgan():
    # pytorch/examples dcgan/main.py at 64 px: ConvT-BN-ReLU x4 then ConvT-Tanh in `main`.
    state = Generator(resolution=64, latent_dim=100, width=64).state_dict()
    convs = {key: tuple(v.shape) for key, v in state.items() if v.dim() == 4}
    assert convs == {"main.0.weight": (100, 512, 4, 4), "main.3.weight": (512, 256, 4, 4),
                     "main.6.weight": (256, 128, 4, 4), "main.9.weight": (128, 64, 4, 4),
                     "main.12.weight": (64, 3, 4, 4)}
    assert {"main.1.running_mean", "main.10.num_batches_tracked"} <= set(state)
    d_state = Discriminator(resolution=64, width=64).state_dict()
    assert tuple(d_state["main.0.weight"].shape) == (64, 3, 4, 4)
    assert tuple(d_state["main.11.weight"].shape) == (1, 512, 4, 4)
    assert "main.3.running_var" in d_state


def test_resize_upsampling_loads_as_itself_and_has_no_checkerboard(tmp_path):
    torch.manual_seed(0)
    generator = Generator(resolution=32, latent_dim=16, width=4, upsample="resize").eval()
    convs = {k: tuple(v.shape[-2:]) for k, v in generator.state_dict().items() if v.dim() == 4}
    assert convs.pop("main.0.weight") == (4, 4) and set(convs.values()) == {(3, 3)}
    save_file(generator.state_dict(), tmp_path / "g.safetensors")
    gan = sk.model("dcgan", weights=tmp_path / "g.safetensors", device="cpu")
    assert gan.network.upsample == "resize" and gan.resolution == 32
    z = gan.sample_latent(64, seed=1)
    with torch.no_grad():
        expected = (generator(z.tensor) + 1) / 2
    assert torch.allclose(gan.generate(z), expected.clamp(0, 1), atol=1e-6)

    def checkerboard(net):
        # Mean of each pixel's position in its 2 x 2 cell over many pictures: a flat map for
        # resize-convolutions, a fixed pattern for transposed ones (Odena et al. 2016).
        with torch.no_grad():
            images = net(torch.randn(256, 16, generator=torch.Generator().manual_seed(2)))
        cells = images.mean(dim=(0, 1)).reshape(16, 2, 16, 2).mean(dim=(0, 2))
        return float(cells.max() - cells.min()) / float(images.std())

    torch.manual_seed(0)
    transposed = Generator(resolution=32, latent_dim=16, width=4).eval()
    assert checkerboard(generator) < checkerboard(transposed) / 2
    with pytest.raises(sk.SketchmlError, match="upsample must be one of transposed, resize"):
        Generator(resolution=32, upsample="bilinear")


@pytest.mark.parametrize("name", ["g.safetensors", "netG_epoch_24.pth"])
def test_loads_a_generator_file_and_reads_its_architecture(tmp_path, name):
    reference, path = _tiny_generator_file(tmp_path, name=name)
    gan = sk.model("dcgan", weights=path, device="cpu")
    assert (gan.resolution, gan.latent_dim) == (32, 16)
    z = gan.sample_latent(2, seed=4)
    with torch.no_grad():
        expected = (reference(z.tensor) + 1) / 2
    assert torch.allclose(gan.generate(z), expected.clamp(0, 1), atol=1e-6)


def test_wrong_checkpoint_lists_missing_and_unexpected_keys(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"encoder.weight": torch.zeros(2, 2), "decoder.bias": torch.zeros(2)}, path)
    with pytest.raises(sk.SketchmlError) as caught:
        sk.model("dcgan", weights=path, device="cpu")
    message = str(caught.value)
    assert "main.0.weight" in message and "encoder.weight" in message and "missing" in message


def test_a_generator_with_a_layer_missing_is_refused(tmp_path):
    _, path = _tiny_generator_file(tmp_path)
    state = sk.load_weights(path)
    del state["main.4.running_var"]
    save_file(state, path)
    with pytest.raises(sk.SketchmlError, match="main.4.running_var"):
        sk.model("dcgan", weights=path, device="cpu")


def test_resolution_the_weights_cannot_make_is_refused(tmp_path):
    _, path = _tiny_generator_file(tmp_path)
    with pytest.raises(sk.SketchmlError, match="makes 32 px images, not resolution=64"):
        sk.model("dcgan", weights=path, resolution=64, device="cpu")
    with pytest.raises(sk.SketchmlError, match="32, 64, 128"):
        sk.model("dcgan", weights=path, resolution=48, device="cpu")
    assert sk.model("dcgan", weights=path, resolution=32, device="cpu").resolution == 32


def test_generate_is_seeded_and_latents_rerender_bit_identically(tmp_path):
    gan = sk.model("dcgan", device="cpu")
    z = gan.sample_latent(4, seed=12)
    first = gan.generate(z)
    assert isinstance(first, sk.Images) and torch.equal(first.latent.tensor, z.tensor)
    assert first.shape == (4, 3, 64, 64) and 0 <= float(first.min()) and float(first.max()) <= 1
    assert torch.equal(first, gan.generate(gan.sample_latent(4, seed=12)))
    assert not torch.equal(first, gan.generate(gan.sample_latent(4, seed=13)))
    saved = z.save(tmp_path / "z.safetensors")
    again = sk.load_latent(saved)
    assert again.family == "dcgan" and again.seed == 12
    assert torch.equal(gan.generate(again), first)


def test_interpolate_walks_on_the_sphere_between_the_ends():
    gan = sk.model("dcgan", device="cpu")
    z = gan.sample_latent(2, seed=1)
    walk = gan.interpolate(z[0], z[1], steps=9)
    assert len(walk) == 9
    assert torch.allclose(walk.tensor[0], z.tensor[0], atol=1e-5)
    assert torch.allclose(walk.tensor[-1], z.tensor[1], atol=1e-5)
    norms = walk.tensor.norm(dim=1)
    lerp_middle = (z.tensor[0] + z.tensor[1]).norm() / 2
    # slerp keeps a Gaussian latent's length; the straight line's midpoint is shorter.
    assert float(norms[4]) > float(lerp_middle) + 0.5
    assert float(norms.min()) > 0.8 * math.sqrt(gan.latent_dim)


def test_encode_finds_a_latent_that_redraws_the_image():
    gan = sk.model("dcgan", device="cpu")
    target = gan.generate(gan.sample_latent(1, seed=21))
    z = gan.encode(target, steps=80, seed=5)
    losses = z.metadata["losses"]
    # How far the error falls depends on how close the start happens to be (here it
    # starts at less than half a random sample's error); the redrawing is what counts.
    assert len(losses) == 80 and losses[-1] < 0.85 * losses[0]
    redrawn = gan.generate(z)
    random_error = float((gan.generate(gan.sample_latent(8, seed=99)) - target).pow(2).mean())
    assert float((redrawn - target).pow(2).mean()) < 0.5 * random_error
    assert z.metadata["encoded"] is True and z.tensor.shape == (1, gan.latent_dim)


def test_encode_takes_a_file_path_and_refuses_other_things(tmp_path):
    gan = sk.model("dcgan", device="cpu")
    picture = gan.generate(1, seed=2)
    path = picture.save(tmp_path / "pic.png")
    assert gan.encode(str(path), steps=2).tensor.shape == (1, gan.latent_dim)
    with pytest.raises(sk.SketchmlError, match="No image file"):
        gan.encode(tmp_path / "missing.png", steps=2)
    with pytest.raises(sk.SketchmlError, match="encode\\(\\) takes"):
        gan.encode([1, 2, 3], steps=2)


def test_old_encode_name_still_works_and_warns():
    gan = sk.model("dcgan", device="cpu")
    target = gan.generate(seed=3)
    with pytest.warns(FutureWarning, match="'image=' was renamed; use data="):
        old = gan.encode(image=target, steps=2, seed=1, progress=False)
    assert torch.equal(old.tensor, gan.encode(target, steps=2, seed=1).tensor)
    assert old.seed == 1 and isinstance(gan.encode(target, steps=1).seed, int)
