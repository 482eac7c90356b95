"""StyleGAN2: layouts key for key, checkpoint loading (.pt, NVIDIA .pkl), latents and generate."""
from __future__ import annotations

import importlib.util
import json
import pickle
import sys
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

import sketchml as sk
import sketchml_gan
from sketchml.models.registry import VERBS
from sketchml.testing import ModelConformance
from sketchml_gan.stylegan2 import Generator, make_kernel, nvidia_to_rosinality

# The published layouts as JSON {key: shape}, in the reference modules' own order: taken from
# rosinality/stylegan2-pytorch@bef283a and NVlabs/stylegan2-ada-pytorch@d72cc7d (random weights).
LAYOUTS = Path(__file__).parent / "stylegan2_layouts"
TINY = {"size": 32, "style_dim": 64, "n_mlp": 2, "channels": {4: 32, 8: 32, 16: 16, 32: 16}}


def tiny_generator(seed: int = 0, *, randomise: bool = True) -> Generator:
    """A 32 px generator whose every tensor (noise strengths and biases too) is non-trivial."""
    torch.manual_seed(seed)
    g = Generator(**TINY)
    if randomise:
        with torch.no_grad():
            for name, p in g.named_parameters():
                if name.endswith("noise.weight"):
                    p.fill_(0.3)
                elif name.endswith("bias") and "modulation" not in name:
                    p.normal_(0, 0.1)
    return g.eval()


def save_pt(g: Generator, path: Path, *, latent_avg: torch.Tensor | None = None) -> Path:
    data = {"g_ema": g.state_dict()}
    if latent_avg is not None:
        data["latent_avg"] = latent_avg
    torch.save(data, path)
    return path


@pytest.fixture(scope="module")
def pt_file(tmp_path_factory) -> Path:
    return save_pt(tiny_generator(), tmp_path_factory.mktemp("sg2") / "tiny.pt",
                   latent_avg=torch.randn(64) * 0.1)


@pytest.fixture(scope="module")
def gan(pt_file):
    return sk.model("stylegan2", weights=pt_file, device="cpu")


# -- layouts --------------------------------------------------------------------------------

def _layout(name: str) -> dict[str, list[int]]:
    return json.loads((LAYOUTS / name).read_text())


@pytest.mark.parametrize(("size", "name"), [(256, "stylegan2-rosinality-256.json"),
                                            (1024, "stylegan2-rosinality-1024.json")])
def test_state_dict_matches_rosinality_key_for_key(size, name):
    reference = _layout(name)
    with torch.device("meta"):
        g = Generator(size)
    ours = {key: list(value.shape) for key, value in g.state_dict().items()}
    assert list(ours) == list(reference)  # same keys, same order
    assert ours == reference  # same shapes
    assert sum(p.numel() for p in g.parameters()) == {256: 30_034_338, 1024: 30_370_060}[size]


def test_tiny_forward_shape_and_range(gan):
    images = gan.generate(gan.sample_latent(3, seed=0))
    assert isinstance(images, sk.Images)
    assert images.shape == (3, 3, 32, 32)
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    assert float(images.std()) > 0.01  # not a flat colour
    assert gan.resolution == 32 and gan.num_layers == 8


def test_blur_kernels_are_rosinalitys_constants():
    g = Generator(16, style_dim=8, n_mlp=1, channels={4: 8, 8: 8, 16: 8})
    expected = torch.tensor([1.0, 3.0, 3.0, 1.0])
    expected = torch.outer(expected, expected) / 64 * 4
    assert torch.allclose(g.convs[0].conv.blur.kernel, expected)
    assert torch.allclose(g.to_rgbs[0].upsample.kernel, expected)


# -- loading ----------------------------------------------------------------------------------

def test_rosinality_pt_loads_and_draws_like_the_module(gan):
    original = tiny_generator()
    w = gan.sample_latent(2, seed=4, space="w+")["w"]
    assert torch.equal(gan.network.state_dict()["style.1.weight"], original.state_dict()["style.1.weight"])
    with torch.no_grad():
        expected = ((original.synthesis(w).clamp(-1, 1) + 1) / 2)
    assert torch.allclose(gan.generate(sk.Latent({"w": w})), expected, atol=1e-6)


def test_latent_avg_from_the_file_is_the_truncation_centre(pt_file, gan):
    stored = torch.load(pt_file, weights_only=True)["latent_avg"]
    assert torch.equal(gan.latent_avg, stored)


def test_old_files_without_noise_and_kernel_buffers_load(tmp_path):
    g = tiny_generator()
    state = {k: v for k, v in g.state_dict().items()
             if not k.startswith("noises.") and not k.endswith(".kernel")}
    path = tmp_path / "old.pt"
    torch.save({"g_ema": state}, path)
    model = sk.model("stylegan2", weights=path, device="cpu")
    assert model.generate(model.sample_latent(1, seed=0)).shape == (1, 3, 32, 32)
    # The kernels are constants, so they are rebuilt exactly.
    assert torch.equal(model.network.convs[0].conv.blur.kernel, g.convs[0].conv.blur.kernel)


def test_wrong_checkpoint_lists_missing_and_unexpected_keys(tmp_path):
    state = tiny_generator().state_dict()
    state.pop("convs.1.conv.modulation.weight")
    state["convs.1.conv.mod.weight"] = torch.zeros(32, 64)
    path = tmp_path / "wrong.pt"
    torch.save({"g_ema": state}, path)
    with pytest.raises(sk.SketchmlError) as caught:
        sk.model("stylegan2", weights=path, device="cpu")
    message = str(caught.value)
    assert "missing keys: convs.1.conv.modulation.weight" in message
    assert "unexpected keys: convs.1.conv.mod.weight" in message


def test_another_architecture_is_refused_with_its_keys(tmp_path):
    path = tmp_path / "dcgan.pt"
    torch.save({"g_ema": {"main.0.weight": torch.zeros(4, 4)}}, path)
    with pytest.raises(sk.SketchmlError, match="missing keys: style.1.weight.*unexpected keys: main.0.weight"):
        sk.model("stylegan2", weights=path, device="cpu")


def test_wrong_shape_is_refused(tmp_path):
    state = tiny_generator().state_dict()
    state["conv1.noise.weight"] = torch.zeros(2)
    path = tmp_path / "shape.pt"
    torch.save({"g_ema": state}, path)
    with pytest.raises(sk.SketchmlError, match=r"conv1.noise.weight \(2,\) \(expected \(1,\)\)"):
        sk.model("stylegan2", weights=path, device="cpu")


def test_without_weights_only_train_is_possible():
    model = sk.model("stylegan2", device="cpu")
    with pytest.raises(sk.SketchmlError, match="no weights yet.*train"):
        model.generate()


# -- NVIDIA stylegan2-ada pickles ---------------------------------------------------------------

_NV_BUFFERS = {"w_avg", "resample_filter", "noise_const"}


def rosinality_to_nvidia(state: dict[str, torch.Tensor], latent_avg: torch.Tensor) -> dict[str, torch.Tensor]:
    """NVIDIA's G_ema keys for a rosinality state dict (inverse of the documented table)."""
    out: dict[str, torch.Tensor] = {}
    n_rgb = sum(1 for k in state if k.endswith("conv.weight") and k.startswith("to_rgbs."))
    out["synthesis.b4.const"] = state["input.input"][0]
    out["synthesis.b4.resample_filter"] = make_kernel([1, 3, 3, 1])

    def layer(prefix: str, nv: str, noise: int | None, blur: str | None) -> None:
        out[f"{nv}.weight"] = state[f"{prefix}.conv.weight"][0]
        if noise is not None:
            out[f"{nv}.noise_strength"] = state[f"{prefix}.noise.weight"].reshape(())
            out[f"{nv}.bias"] = state[f"{prefix}.activate.bias"]
            out[f"{nv}.resample_filter"] = state[blur] / 4 if blur else make_kernel([1, 3, 3, 1])
            out[f"{nv}.noise_const"] = state[f"noises.noise_{noise}"][0, 0]
        else:
            out[f"{nv}.bias"] = state[f"{prefix}.bias"].reshape(3)
        out[f"{nv}.affine.weight"] = state[f"{prefix}.conv.modulation.weight"]
        out[f"{nv}.affine.bias"] = state[f"{prefix}.conv.modulation.bias"]

    layer("conv1", "synthesis.b4.conv1", 0, None)
    layer("to_rgb1", "synthesis.b4.torgb", None, None)
    for k in range(n_rgb):
        res = 2 ** (k + 3)
        out[f"synthesis.b{res}.resample_filter"] = state[f"to_rgbs.{k}.upsample.kernel"] / 4
        layer(f"convs.{2 * k}", f"synthesis.b{res}.conv0", 2 * k + 1, f"convs.{2 * k}.conv.blur.kernel")
        layer(f"convs.{2 * k + 1}", f"synthesis.b{res}.conv1", 2 * k + 2, None)
        layer(f"to_rgbs.{k}", f"synthesis.b{res}.torgb", None, None)
    i = 1
    while f"style.{i}.weight" in state:
        out[f"mapping.fc{i - 1}.weight"] = state[f"style.{i}.weight"]
        out[f"mapping.fc{i - 1}.bias"] = state[f"style.{i}.bias"]
        i += 1
    out["mapping.w_avg"] = latent_avg
    return out


def write_nvidia_pickle(path: Path, g_ema: dict[str, torch.Tensor], *, init_kwargs: dict,
                        sentinel: Path) -> None:
    """A pickle shaped like stylegan2-ada-pytorch's network snapshots.

    Its persistent objects are pickled through throwaway ``torch_utils.persistence`` and
    ``dnnlib.util`` modules that exist only while dumping, and carry ``module_src`` that
    would write ``sentinel`` if anything ever ran it.
    """
    persistence = types.ModuleType("torch_utils.persistence")
    util = types.ModuleType("dnnlib.util")

    def _reconstruct_persistent_obj(meta):  # never called: the loader must not import this
        raise AssertionError("the pickle's own code ran")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj

    class EasyDict(dict):
        pass

    EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"
    util.EasyDict = EasyDict
    source = f"open({str(sentinel)!r}, 'w').write('ran')\n"

    class Persistent:
        def __init__(self, class_name, state):
            self.class_name, self.state = class_name, state

        def __reduce__(self):
            meta = {"type": "class", "version": 6, "module_src": source,
                    "class_name": self.class_name, "state": self.state}
            return (_reconstruct_persistent_obj, (meta,))

    def module(class_name: str) -> dict:
        return {"_parameters": OrderedDict(), "_buffers": OrderedDict(), "_modules": OrderedDict(),
                "_non_persistent_buffers_set": set(), "training": False,
                "_forward_hooks": OrderedDict(), "class_name": class_name}

    root = module("Generator")
    for key, value in g_ema.items():
        *parents, name = key.split(".")
        node = root
        for part in parents:
            node = node["_modules"].setdefault(part, module(part))
        if name in _NV_BUFFERS:
            node["_buffers"][name] = value.clone()
        else:
            node["_parameters"][name] = torch.nn.Parameter(value.clone(), requires_grad=False)
            node["weight_gain"] = np.float64(0.125)  # numpy scalars, as in real snapshots

    def wrap(node: dict) -> Persistent:
        state = {k: v for k, v in node.items() if k != "class_name"}
        state["_modules"] = OrderedDict((k, wrap(v)) for k, v in node["_modules"].items())
        return Persistent(node["class_name"], state)

    g = wrap(root)
    g.state["_init_kwargs"] = EasyDict(init_kwargs)
    saved = {name: sys.modules.get(name) for name in ("torch_utils", "torch_utils.persistence",
                                                       "dnnlib", "dnnlib.util")}
    sys.modules.update({"torch_utils": types.ModuleType("torch_utils"),
                        "torch_utils.persistence": persistence,
                        "dnnlib": types.ModuleType("dnnlib"), "dnnlib.util": util})
    try:
        with open(path, "wb") as handle:
            pickle.dump({"G": g, "D": None, "G_ema": g, "training_set_kwargs": None,
                         "augment_pipe": None}, handle, protocol=4)
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


def _kwargs(conv_clamp=256, c_dim=0):
    return {"z_dim": 64, "c_dim": c_dim, "w_dim": 64, "img_resolution": 32, "img_channels": 3,
            "mapping_kwargs": {"num_layers": 2},
            "synthesis_kwargs": {"channel_base": 512, "channel_max": 32, "conv_clamp": conv_clamp}}


def test_nvidia_pkl_draws_the_same_image_as_the_rosinality_weights(tmp_path):
    g = tiny_generator(seed=1)
    g.set_conv_clamp(256)
    avg = torch.randn(64) * 0.1
    sentinel = tmp_path / "code-ran.txt"
    path = tmp_path / "network-snapshot.pkl"
    write_nvidia_pickle(path, rosinality_to_nvidia(g.state_dict(), avg), init_kwargs=_kwargs(),
                        sentinel=sentinel)
    assert importlib.util.find_spec("torch_utils") is None  # nothing to import at load time

    model = sk.model("stylegan2", weights=path, device="cpu")

    assert not sentinel.exists()
    assert model.network.conv_clamp == 256
    assert torch.equal(model.latent_avg, avg)
    loaded, original = model.network.state_dict(), g.state_dict()
    assert list(loaded) == list(original)
    for key in original:
        assert torch.equal(loaded[key], original[key]), key
    w = model.sample_latent(2, seed=2, space="w+")["w"]
    with torch.no_grad():
        assert torch.allclose(model.network.synthesis(w), g.synthesis(w), atol=1e-6)
    pt = save_pt(g, tmp_path / "same.pt", latent_avg=avg)
    twin = sk.model("stylegan2", weights=pt, device="cpu")
    twin.network.set_conv_clamp(256)
    z = model.sample_latent(2, seed=3)
    assert torch.allclose(model.generate(z, truncation=0.5), twin.generate(z, truncation=0.5), atol=1e-6)


def test_nvidia_ada_256_layout_loads_every_tensor(tmp_path):
    layout = _layout("stylegan2-ada-256.json")
    gen = torch.Generator().manual_seed(0)
    g_ema = {key: torch.randn(shape, generator=gen) if shape else torch.randn((), generator=gen)
             for key, shape in layout.items()}
    kernel = make_kernel([1, 3, 3, 1])
    for key in g_ema:
        if key.endswith("resample_filter"):
            g_ema[key] = kernel.clone()
    path = tmp_path / "paper256.pkl"
    write_nvidia_pickle(path, g_ema, init_kwargs={**_kwargs(), "img_resolution": 256},
                        sentinel=tmp_path / "ran.txt")
    model = sk.model("stylegan2", weights=path, device="cpu")
    net = model.network.state_dict()
    assert model.resolution == 256 and model.num_layers == 14
    # paper256 widths: 512 up to 32 px, then 256, 128, 64.
    assert net["to_rgbs.5.conv.weight"].shape == (1, 3, 64, 1, 1)
    converted, _, leftover = nvidia_to_rosinality(g_ema)
    assert leftover == []
    assert set(converted) == set(net)  # every tensor of the file has a place, and every place a tensor
    assert torch.equal(net["convs.11.conv.weight"][0], g_ema["synthesis.b256.conv1.weight"])
    assert torch.equal(net["noises.noise_12"][0, 0], g_ema["synthesis.b256.conv1.noise_const"])
    assert torch.equal(net["style.8.bias"], g_ema["mapping.fc7.bias"])
    assert float(net["convs.4.noise.weight"]) == float(g_ema["synthesis.b32.conv0.noise_strength"])


def test_conditional_and_unknown_pickles_are_refused(tmp_path):
    g = tiny_generator()
    nv = rosinality_to_nvidia(g.state_dict(), torch.zeros(64))
    path = tmp_path / "cond.pkl"
    write_nvidia_pickle(path, {**nv, "mapping.embed.weight": torch.zeros(64, 10)},
                        init_kwargs=_kwargs(c_dim=10), sentinel=tmp_path / "ran.txt")
    with pytest.raises(sk.SketchmlError, match="class-conditional"):
        sk.model("stylegan2", weights=path, device="cpu")
    path = tmp_path / "sg3.pkl"
    write_nvidia_pickle(path, {**nv, "synthesis.input.affine.weight": torch.zeros(4, 64)},
                        init_kwargs=_kwargs(), sentinel=tmp_path / "ran.txt")
    with pytest.raises(sk.SketchmlError, match="unexpected keys synthesis.input.affine.weight"):
        sk.model("stylegan2", weights=path, device="cpu")


# -- latents, truncation, mixing, noise ---------------------------------------------------------

def test_same_seed_same_images_and_latents(gan):
    a = gan.generate(gan.sample_latent(2, seed=11))
    b = gan.generate(gan.sample_latent(2, seed=11))
    c = gan.generate(gan.sample_latent(2, seed=12))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c, atol=1e-3)
    r1 = gan.generate(gan.sample_latent(1, seed=1), noise="random", seed=5)
    r2 = gan.generate(gan.sample_latent(1, seed=1), noise="random", seed=5)
    r3 = gan.generate(gan.sample_latent(1, seed=1), noise="random", seed=6)
    assert torch.equal(r1, r2) and not torch.equal(r1, r3)


def test_truncation_zero_gives_the_average_image(gan):
    a = gan.generate(gan.sample_latent(1, seed=1), truncation=0)
    b = gan.generate(gan.sample_latent(1, seed=2), truncation=0)
    avg = gan.generate(sk.Latent({"w": gan.latent_avg[None]}))
    assert torch.allclose(a, b, atol=1e-6) and torch.allclose(a, avg, atol=1e-6)
    full = gan.generate(gan.sample_latent(1, seed=1), truncation=1.0)
    half = gan.generate(gan.sample_latent(1, seed=1), truncation=0.5)
    assert (half - avg).abs().mean() < (full - avg).abs().mean()


def test_spaces_agree(gan):
    z = gan.sample_latent(2, seed=8)
    w = gan.sample_latent(2, seed=8, space="w")
    w_plus = gan.sample_latent(2, seed=8, space="w+")
    assert w["w"].shape == (2, 64) and w_plus["w"].shape == (2, 8, 64)
    assert w.metadata["space"] == "w" and z.metadata["space"] == "z"
    assert torch.allclose(gan.generate(z), gan.generate(w), atol=1e-6)
    assert torch.allclose(gan.generate(w), gan.generate(w_plus), atol=1e-6)
    with pytest.raises(sk.SketchmlError, match="Did you mean 'w\\+'"):
        gan.sample_latent(1, space="w++")


def test_interpolation_is_slerp_in_z_and_lerp_in_w(gan):
    z = gan.sample_latent(2, seed=1)
    walk = gan.interpolate(z[0], z[1], steps=5)
    expected = sk.slerp(z["z"][0], z["z"][1], 0.5)
    assert torch.allclose(walk["z"][2], expected, atol=1e-5)
    w = gan.sample_latent(2, seed=1, space="w")
    walk = gan.interpolate(w[0], w[1], steps=5)
    assert torch.allclose(walk["w"][2], (w["w"][0] + w["w"][1]) / 2, atol=1e-5)
    assert walk.metadata["space"] == "w"


def _layer_outputs(gan, latent, **options):
    outputs = []
    hooks = [conv.register_forward_hook(lambda m, i, o: outputs.append(o.clone()))
             for conv in [gan.network.conv1, *gan.network.convs]]
    try:
        gan.generate(latent, **options)
    finally:
        for hook in hooks:
            hook.remove()
    return outputs


def test_style_mixing_changes_fine_layers_only(gan):
    a, b = gan.sample_latent(1, seed=1), gan.sample_latent(1, seed=2)
    crossover = 5
    plain = _layer_outputs(gan, a)
    mixed = _layer_outputs(gan, a, style_mix=(b, crossover))
    # conv layer j reads w+ row j (conv1 row 0, convs.i row i + 1).
    for j, (p, m) in enumerate(zip(plain, mixed, strict=True)):
        if j < crossover:
            assert torch.equal(p, m), f"layer {j} changed though it is before the crossover"
        else:
            assert not torch.allclose(p, m), f"layer {j} did not change after the crossover"
    mixed_latent = gan.mix(a, b, crossover=crossover)
    rows = mixed_latent["w"][0]
    assert torch.allclose(rows[:crossover], gan.sample_latent(1, seed=1, space="w+")["w"][0, :crossover])
    assert torch.allclose(rows[crossover:], gan.sample_latent(1, seed=2, space="w+")["w"][0, crossover:])
    assert torch.equal(gan.generate(mixed_latent), gan.generate(a, style_mix=(b, crossover)))
    with pytest.raises(sk.SketchmlError, match="crossover must be a layer index from 1 to 7"):
        gan.mix(a, b, crossover=8)


def test_stored_latents_rerender_bit_identically(gan, tmp_path):
    for latent in (gan.sample_latent(2, seed=1), gan.mix(gan.sample_latent(2, seed=1),
                                                         gan.sample_latent(1, seed=2), crossover=3)):
        loaded = sk.load_latent(latent.save(tmp_path / "latent.safetensors"))
        assert loaded.metadata == latent.metadata
        assert torch.equal(gan.generate(latent, truncation=0.7), gan.generate(loaded, truncation=0.7))


def test_bad_arguments_are_explained(gan):
    with pytest.raises(sk.SketchmlError, match="noise mode"):
        gan.generate(noise="rnd")
    with pytest.raises(sk.SketchmlError, match=r"z latent is \(N, 64\)"):
        gan.generate(torch.zeros(1, 10))
    with pytest.raises(sk.SketchmlError, match="Did you mean 'truncation'"):
        gan.generate(truncaton=0.5)
    with pytest.raises(sk.SketchmlError, match="style_mix takes"):
        gan.generate(style_mix=3)


# -- the uniform interface ----------------------------------------------------------------------

class TestStyleGAN2Conformance(ModelConformance):
    plugin = sketchml_gan
    model_name = "stylegan2"
    atol = 1e-5

    @classmethod
    def make_model(cls):
        folder = Path(__import__("tempfile").mkdtemp())
        path = save_pt(tiny_generator(), folder / "tiny.pt")
        return cls._registry_with_plugin().load("stylegan2", device="cpu", weights=path)

    def train_inputs(self, model, out):
        # The loaded generator keeps its own sizes: training goes on from its weights.
        return torch.rand(8, 3, 32, 32), {"steps": 2, "batch_size": 4, "r1_every": 2,
                                          "progress": False}

    @pytest.mark.parametrize("verb", VERBS)
    def test_verb_works_or_is_refused_clearly(self, model, verb, tmp_path):
        if verb == "encode":
            pytest.skip("encode needs VGG16 weights: see test_stylegan2_encode_train.py")
        super().test_verb_works_or_is_refused_clearly(model, verb, tmp_path)


@pytest.mark.parametrize("name", ["sketchml_gan.stylegan2", "sketchml_gan.projection"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
