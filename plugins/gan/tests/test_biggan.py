"""BigGAN-deep: the published port's layout key for key, loading, truncation, classes, latents.

The reference layouts in ``biggan_layouts/`` list every ``state_dict()`` key and shape of the
port (huggingface/pytorch-pretrained-BigGAN @ 1e18aed) built from its published configs.
Everything else runs on a tiny random checkpoint (channel width 4, 128 px) written the way
the published files are, so nothing is downloaded.
"""
from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path

import pytest
import torch

import sketchml as sk
import sketchml_gan
from sketchml.testing import ModelConformance
from sketchml_gan.biggan import (
    BigGANConfig,
    BigGANDeepNet,
    TruncationBatchNorm,
    find_class,
    imagenet_classes,
    save_random_checkpoint,
)

LAYOUTS = Path(__file__).resolve().parent / "biggan_layouts"
# Parameter counts the port's README gives (50.4M / 55.9M / 56.2M), exactly.
PARAMETERS = {128: 50_388_609, 256: 55_880_833, 512: 56_163_905}


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_checkpoint(tmp_path_factory.mktemp("biggan-tiny"), resolution=128, seed=1)


@pytest.fixture(scope="module")
def gan(tiny_folder: Path) -> sk.Model:
    return sk.model("biggan.deep-128", weights=tiny_folder, device="cpu")


@pytest.fixture
def no_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty sketchml and Hugging Face caches, and no hub."""
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "sketchml"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("SKETCHML_OFFLINE", "1")
    return tmp_path


def _plain(images: torch.Tensor) -> torch.Tensor:
    return images.as_subclass(torch.Tensor)


# -- the architecture -----------------------------------------------------------------------

@pytest.mark.parametrize("resolution", [128, 256, 512])
def test_full_architecture_has_the_published_keys_and_shapes(resolution: int) -> None:
    layout = json.loads((LAYOUTS / f"biggan-deep-{resolution}.json").read_text())
    with torch.device("meta"):
        net = BigGANDeepNet(BigGANConfig.published(resolution))
    got = {key: list(value.shape) for key, value in net.state_dict().items()}
    assert list(got) == list(layout)  # same keys, in the port's order
    assert got == layout
    assert sum(p.numel() for p in net.parameters()) == PARAMETERS[resolution]


@pytest.mark.parametrize("resolution", [128, 256, 512])
def test_published_configs_read_and_write_like_the_port(resolution: int, tmp_path: Path) -> None:
    published = json.loads((LAYOUTS / "biggan-deep-configs.json").read_text())[f"biggan-deep-{resolution}"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(published))
    config = BigGANConfig.from_file(path)
    assert config == BigGANConfig.published(resolution)
    assert config.resolution == resolution
    assert config.to_dict() == published


def test_tiny_model_makes_images_of_the_right_size_and_range(gan: sk.Model) -> None:
    images = gan.generate(2, seed=0, label="goldfish")
    assert isinstance(images, torch.Tensor) and images.shape == (2, 3, 128, 128)
    assert images.min() >= 0 and images.max() <= 1
    assert images.std() > 1e-3  # a picture, not a flat colour
    assert images.latent is not None and images.latent["y"][:, 1].tolist() == [1.0, 1.0]


def test_attention_sits_at_list_index_8_and_is_used(gan: sk.Model) -> None:
    net = gan.network
    assert type(net.generator.layers[8]).__name__ == "SelfAttention"
    z = gan.sample_latent(1, seed=2)
    before = gan.generate(z)
    with_attention = copy.deepcopy(net)
    with_attention.generator.layers[8].gamma.data.fill_(0.0)
    with torch.inference_mode():
        without = (with_attention(z["z"], z["y"], 0.4) + 1) / 2
    assert not torch.allclose(_plain(before), without, atol=1e-4)


def test_weights_changed_in_place_take_effect(tiny_folder: Path) -> None:
    gan = sk.model("biggan.deep-128", weights=tiny_folder, device="cpu")
    z = gan.sample_latent(1, seed=2)
    before = gan.generate(z)
    with torch.no_grad():  # spectrally normalised weights are cached between calls
        gan.network.generator.conv_to_rgb.weight_orig[:3].mul_(3.0)
    assert (gan.generate(z) - before).abs().max() > 0.01


def test_gradients_reach_the_latent_after_inference(gan: sk.Model) -> None:
    z = gan.sample_latent(1, seed=3)
    gan.generate(z)  # the normalised weights were cached under inference_mode
    noise = z["z"].clone().requires_grad_(True)
    gan.network(noise, z["y"], 0.4).mean().backward()
    assert noise.grad is not None and noise.grad.abs().sum() > 0


# -- loading checkpoints ---------------------------------------------------------------------

def _port_style_folder(tiny_folder: Path, target: Path) -> Path:
    """The tiny checkpoint as the port published its files: a legacy torch.save of the state dict."""
    state = sk.load_weights(tiny_folder / "model.safetensors")
    target.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state), target / "pytorch_model.bin", _use_new_zipfile_serialization=False)
    shutil.copy(tiny_folder / "config.json", target / "config.json")
    return target


def test_port_format_folder_loads_unchanged(gan: sk.Model, tiny_folder: Path, tmp_path: Path) -> None:
    # "Unchanged" is about the file's tensors: the same bits on any machine. The images of two
    # models are then the same network; docs/determinism.md promises their closeness, no more.
    from sketchml.models.determinism import CROSS_MACHINE_ATOL

    folder = _port_style_folder(tiny_folder, tmp_path / "port")
    loaded = sk.model("biggan.deep-128", weights=folder, device="cpu")
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    assert loaded.network.state_dict().keys() == gan.network.state_dict().keys()
    for key, value in loaded.network.state_dict().items():
        assert torch.equal(value, state[key]), key
        assert torch.equal(value, gan.network.state_dict()[key]), key
    z = gan.sample_latent(1, seed=3)
    assert (_plain(loaded.generate(z)) - _plain(gan.generate(z))).abs().max() <= CROSS_MACHINE_ATOL


def test_weights_file_without_config_uses_the_published_config(tiny_folder: Path, tmp_path: Path) -> None:
    lonely = tmp_path / "lonely.safetensors"
    shutil.copy(tiny_folder / "model.safetensors", lonely)
    with pytest.raises(sk.SketchmlError) as caught:
        sk.model("biggan.deep-128", weights=lonely, device="cpu")
    # The published config is full width, so a narrow file is reported key by key.
    assert "generator.gen_z.weight_orig (1024, 256) (expected (32768, 256))" in str(caught.value)


def test_sketchml_cache_is_searched(no_caches: Path, tiny_folder: Path) -> None:
    folder = no_caches / "sketchml" / "weights" / "biggan" / "deep-128"
    _port_style_folder(tiny_folder, folder)
    gan = sk.model("biggan.deep-128", device="cpu")
    assert gan.config.channel_width == 4


def test_hugging_face_cache_is_searched(no_caches: Path, tiny_folder: Path) -> None:
    snapshot = no_caches / "hub" / "models--osanseviero--BigGAN-deep-128" / "snapshots" / "abc123"
    _port_style_folder(tiny_folder, snapshot)
    gan = sk.model("biggan", resolution=128, device="cpu")
    assert gan.name == "biggan.deep-128" and gan.config.channel_width == 4


def test_missing_weights_offline_say_which_files_and_where(no_caches: Path) -> None:
    with pytest.raises(sk.SketchmlError) as caught:
        sk.model("biggan.deep-256", device="cpu")
    message = str(caught.value)
    for part in ("config.json", "pytorch_model.bin", "osanseviero/BigGAN-deep-256",
                 str(no_caches / "sketchml" / "weights" / "biggan" / "deep-256"), "weights="):
        assert part in message, part


def test_folder_without_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(sk.SketchmlError, match="model.safetensors, pytorch_model.bin"):
        sk.model("biggan.deep-128", weights=tmp_path, device="cpu")


def test_wrong_architecture_lists_missing_and_unexpected_keys(tiny_folder: Path, tmp_path: Path) -> None:
    state = dict(sk.load_weights(tiny_folder / "model.safetensors"))
    del state["generator.layers.3.conv_1.weight_v"]
    state["generator.layers.3.conv_1.weight"] = torch.zeros(1)
    state["embeddings.weight"] = torch.zeros(128, 10)
    target = tmp_path / "broken"
    target.mkdir()
    torch.save(state, target / "pytorch_model.bin")
    shutil.copy(tiny_folder / "config.json", target / "config.json")
    with pytest.raises(sk.SketchmlError) as caught:
        sk.model("biggan.deep-128", weights=target, device="cpu")
    message = str(caught.value)
    assert "1 missing keys: generator.layers.3.conv_1.weight_v" in message
    assert "1 unexpected keys: generator.layers.3.conv_1.weight" in message
    assert "embeddings.weight (128, 10) (expected (128, 1000))" in message


def test_checkpoint_of_another_resolution_is_refused(tmp_path: Path) -> None:
    folder = save_random_checkpoint(tmp_path / "256", resolution=256)
    with pytest.raises(sk.SketchmlError, match=r"makes 256 px .*biggan\.deep-256"):
        sk.model("biggan.deep-128", weights=folder, device="cpu")
    assert sk.model("biggan.deep-256", weights=folder, device="cpu").generate(seed=0).shape[-1] == 256


def test_unreadable_config_is_refused(tiny_folder: Path, tmp_path: Path) -> None:
    shutil.copy(tiny_folder / "model.safetensors", tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text("not json")
    with pytest.raises(sk.SketchmlError, match="Could not read the BigGAN config"):
        sk.model("biggan.deep-128", weights=tmp_path, device="cpu")


def test_resolutions_it_cannot_make_are_refused(tiny_folder: Path) -> None:
    with pytest.raises(sk.SketchmlError, match="128, 256 or 512"):
        sk.model("biggan", resolution=300, weights=tiny_folder, device="cpu")


def test_random_checkpoint_writes_nothing_half_done(tmp_path: Path) -> None:
    folder = save_random_checkpoint(tmp_path, resolution=128)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]


# -- truncation -----------------------------------------------------------------------------

def test_truncation_changes_the_images(gan: sk.Model) -> None:
    z = gan.sample_latent(1, seed=4)
    low, high = gan.generate(z, truncation=0.2), gan.generate(z, truncation=0.9)
    assert (low - high).abs().max() > 1e-3
    # A new latent's noise is scaled by its truncation: the port's truncated normal in [-2, 2].
    small = gan.sample_latent(64, seed=5, truncation=0.3)["z"]
    assert small.abs().max() <= 0.6 and small.abs().max() > 0.5


def _bn_with_numbered_rows() -> TruncationBatchNorm:
    bn = TruncationBatchNorm(1, cond_dim=None, n_stats=51, eps=0.0)
    bn.running_means.copy_(torch.arange(51.0)[:, None])
    return bn.eval()


@pytest.mark.parametrize(("truncation", "mean"), [
    (0.5, 25.0),      # exactly row 25
    (1.0, 50.0),      # the last row
    (0.2, 10.0),
    (1.5, 50.0),      # beyond the port's range: the last row
    (0.505, 25.75),   # between rows 25 and 26, the lower row weighted by the fraction (0.25)
    (0.513, 25.35),   # fraction 0.65
])
def test_truncation_picks_and_blends_statistics_rows_as_the_port_does(truncation: float, mean: float) -> None:
    bn = _bn_with_numbered_rows()
    out = bn(torch.zeros(1, 1, 1, 1), truncation)  # (0 - mean) / sqrt(var): var rows are 1
    assert out.item() == pytest.approx(-mean, abs=1e-4)


def test_whole_network_uses_the_rows_of_its_truncation(gan: sk.Model) -> None:
    z = gan.sample_latent(1, seed=6)
    reference = gan.generate(z, truncation=0.51)
    pinned = copy.deepcopy(gan.network)
    position = 0.51 / 0.02
    k, fraction = int(math.floor(position)), position - math.floor(position)
    for module in pinned.modules():
        if isinstance(module, TruncationBatchNorm):
            for stats in (module.running_means, module.running_vars):
                row = fraction * stats[k] + (1 - fraction) * stats[k + 1]
                stats.copy_(row.expand_as(stats))
    with torch.inference_mode():
        out = (pinned(z["z"], z["y"], 0.9) + 1) / 2
    assert torch.allclose(_plain(reference), out, atol=1e-5)


def test_bad_truncation_is_refused(gan: sk.Model) -> None:
    for bad in (0, -0.5, "0.4"):
        with pytest.raises(sk.SketchmlError, match="truncation must be a number > 0"):
            gan.generate(seed=0, truncation=bad)


# -- seeds, latents, walks ---------------------------------------------------------------------

def test_same_seed_same_images(gan: sk.Model) -> None:
    a = gan.generate(2, seed=11, truncation=0.6)
    b = gan.generate(2, seed=11, truncation=0.6)
    c = gan.generate(2, seed=12, truncation=0.6)
    assert torch.equal(_plain(a), _plain(b))
    assert not torch.allclose(_plain(a), _plain(c))


def test_saved_latent_rerenders_identically_with_its_truncation(gan: sk.Model, tmp_path: Path) -> None:
    z = gan.sample_latent(2, seed=8, truncation=0.7, label={"elephant": 0.5, "truck": 0.5})
    loaded = sk.load_latent(z.save(tmp_path / "z.safetensors"))
    assert loaded.metadata["truncation"] == 0.7
    assert loaded.metadata["label"] == {"elephant": 0.5, "truck": 0.5}
    again = gan.generate(loaded)
    assert torch.equal(_plain(gan.generate(z)), _plain(again))
    assert torch.equal(_plain(again), _plain(gan.generate(z, truncation=0.7)))
    assert not torch.equal(_plain(again), _plain(gan.generate(z, truncation=0.4)))
    # The images carry their latent: saving it re-renders them too.
    resaved = sk.load_latent(again.latent.save(tmp_path / "again.safetensors"))
    assert torch.equal(_plain(gan.generate(resaved)), _plain(again))


def test_walk_slerps_noise_and_lerps_classes(gan: sk.Model) -> None:
    a = gan.sample_latent(1, seed=1, label="goldfish")
    b = gan.sample_latent(1, seed=2, label="volcano")
    walk = gan.interpolate(a, b, steps=5)
    assert len(walk) == 5
    middle = walk[2]
    assert middle["y"][0, 1].item() == pytest.approx(0.5)
    assert middle["y"][0, find_class("volcano")].item() == pytest.approx(0.5)
    straight = (a["z"] + b["z"]) / 2
    assert middle["z"].norm() > straight.norm() * 1.05  # on the arc, not the chord
    images = gan.generate(walk)
    assert images.shape[0] == 5
    assert torch.allclose(_plain(images[0:1]), _plain(gan.generate(a)), atol=1e-5)


def test_noise_tensor_needs_a_label(gan: sk.Model) -> None:
    z = torch.zeros(1, 128)
    with pytest.raises(sk.SketchmlError, match="pass label="):
        gan.generate(z)
    assert gan.generate(z, label=3).shape == (1, 3, 128, 128)


# -- classes and mixing ------------------------------------------------------------------------

def test_class_names_by_exact_name_synonym_and_part() -> None:
    assert len(imagenet_classes()) == 1000
    assert find_class("goldfish") == 1
    assert find_class("Goldfish") == 1
    assert find_class("tabby cat") == 281           # a synonym of "tabby"
    assert find_class("Carassius auratus") == 1     # the Latin name too
    assert find_class("elephant") == 385            # first class containing it: Indian elephant
    assert find_class("African elephant") == 386
    assert find_class("truck") == 555               # fire engine, fire truck


def test_unknown_class_name_suggests_close_ones(gan: sk.Model) -> None:
    with pytest.raises(sk.SketchmlError, match="Did you mean.*'goldfish'"):
        gan.generate(seed=0, label="goldfsh")
    with pytest.raises(sk.SketchmlError, match="out of range: use 0-999"):
        gan.generate(seed=0, label=1000)


def test_labels_by_index_name_and_one_per_image(gan: sk.Model) -> None:
    assert gan.class_names[1] == "goldfish"
    y = gan.class_vector(["goldfish", 281, {"volcano": 1.0}], 3)
    assert y.argmax(dim=1).tolist() == [1, 281, find_class("volcano")]
    assert y.sum(dim=1).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(sk.SketchmlError, match="one label per image"):
        gan.generate(2, seed=0, label=["goldfish"])


def test_class_mixing_by_weights(gan: sk.Model) -> None:
    z = gan.sample_latent(1, seed=9)
    mix = gan.generate(z, label={"elephant": 0.5, "truck": 0.5})
    y = mix.latent["y"][0]
    assert y[385].item() == 0.5 and y[555].item() == 0.5 and y.sum().item() == 1.0
    elephant, truck = gan.generate(z, label="elephant"), gan.generate(z, label="truck")
    assert (mix - elephant).abs().max() > 1e-4 and (mix - truck).abs().max() > 1e-4
    vector = torch.zeros(1000)
    vector[[385, 555]] = 0.5
    assert torch.equal(_plain(mix), _plain(gan.generate(z, label=vector)))


def test_class_vectors_off_the_simplex_are_allowed(gan: sk.Model) -> None:
    odd = gan.generate(1, seed=3, label={"goldfish": 3.0, "volcano": -2.0})
    assert odd.latent["y"].sum().item() == pytest.approx(1.0)
    assert odd.min() >= 0 and odd.max() <= 1


# -- the uniform interface -------------------------------------------------------------------

class TestBigGANConformance(ModelConformance):
    plugin = sketchml_gan
    model_name = "biggan.deep-128"

    @classmethod
    def make_model(cls) -> sk.Model:
        import tempfile

        folder = save_random_checkpoint(tempfile.mkdtemp(prefix="biggan-conformance-"), resolution=128)
        return sk.model(cls.model_name, weights=folder, device=cls.device)


def test_docstring_examples_run() -> None:
    import doctest

    import sketchml_gan.biggan

    result = doctest.testmod(sketchml_gan.biggan)
    assert result.attempted >= 10 and result.failed == 0


def test_images_are_ordinary_tensors(gan: sk.Model) -> None:
    images = gan.generate(seed=1)
    assert not images.is_inference()
    images.mul_(0.5)  # sketches may dim or mask results in place


def test_truncation_defaults_to_none_and_the_old_name_of_the_network_warns(gan: sk.Model) -> None:
    # psi = 1 is no truncation, as in StyleGAN2; a latent keeps the truncation it was made with.
    assert gan.generate(seed=1).latent.metadata["truncation"] == 1.0
    z = gan.sample_latent(1, seed=1, truncation=0.5)
    assert gan.generate(z).latent.metadata["truncation"] == 0.5
    with pytest.warns(FutureWarning, match="'net' was renamed; use .network"):
        assert gan.net is gan.network
