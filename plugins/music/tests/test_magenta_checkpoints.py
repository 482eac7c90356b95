"""Magenta's published checkpoint formats load without TensorFlow and compute what TensorFlow computed.

The fixtures in ``fixtures/magenta/`` were written by real TensorFlow (and tensorflowjs's
own weight writer) with Magenta's variable names, by ``fixtures/make_magenta_checkpoints.py``,
which also saved TensorFlow's outputs for fixed inputs in ``reference.npz``.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.plugin import WeightsFormatError
from sketchml_music import magenta_io
from sketchml_music.magenta_io import read_generator_bundle, read_magenta, read_manifest
from sketchml_music.performance_rnn import PerformanceRNNNet, _controls
from sketchml_music.performance_rnn import convert_magenta_file as convert_performance
from sketchml_music.tf_checkpoint import crc32c, read_checkpoint

FIXTURES = Path(__file__).parent / "fixtures" / "magenta"
REPO = Path(__file__).resolve().parents[3]
MELODY = "cat-mel_2bar_small"
BUNDLES = ["performance", "multiconditioned_performance_with_dynamics",
           "optional_multiconditioned_performance_with_dynamics"]


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "reference.npz") as stored:
        return dict(stored)


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "home"))


def _performance_logits(net: PerformanceRNNNet, reference: dict, config: str) -> np.ndarray:
    events = torch.tensor(reference[f"{config}/events"])[None]
    controls = None
    if net.control_size:
        controls = torch.from_numpy(_controls(net, reference[f"{config}/density"],
                                              reference[f"{config}/histogram"]))[None]
    with torch.no_grad():
        logits, _ = net(events, controls)
    return logits[0].numpy()


@pytest.mark.parametrize("config", BUNDLES)
def test_performance_rnn_bundle_gives_tensorflows_logits(config: str, reference: dict) -> None:
    bundle = read_generator_bundle(FIXTURES / f"{config}.mag")
    assert bundle.id == config
    assert "global_step" in bundle.variables
    state, meta = convert_performance(FIXTURES / f"{config}.mag")
    assert json.loads(meta["config"])["config"] == config
    net = PerformanceRNNNet.from_state_dict(state, config).eval()
    expected = reference[f"{config}/logits"]
    got = _performance_logits(net, reference, config)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # The forget bias TF adds at run time and the gate order both matter: a plain copy of
    # the kernel does not reproduce TensorFlow's numbers.
    net.rnn.bias_ih_l0.data -= torch.tensor([0.0] * net.hidden + [1.0] * net.hidden +
                                            [0.0] * 2 * net.hidden)
    assert np.abs(_performance_logits(net, reference, config) - expected).max() > 1e-3


def test_sk_model_converts_a_bundle_once_and_plays_it(tmp_path: Path, reference: dict,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = "multiconditioned_performance_with_dynamics"
    bundle = tmp_path / f"{config}.mag"
    shutil.copy(FIXTURES / bundle.name, bundle)
    rnn = sk.model("performance_rnn", weights=str(bundle), device="cpu")
    notes = rnn.generate(seconds=2, notes_per_second=4, pitch_histogram="C major", seed=1)
    assert isinstance(notes, sk.Notes)
    cached = list((tmp_path / "home" / "converted" / "performance_rnn").glob("*.safetensors"))
    assert len(cached) == 1
    np.testing.assert_allclose(_performance_logits(rnn.network, reference, config),
                               reference[f"{config}/logits"], atol=1e-5)

    def refuse(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr("sketchml_music.performance_rnn.convert_magenta_file", refuse)
    again = sk.model("performance_rnn", weights=str(bundle), device="cpu")
    assert again.generate(seconds=2, notes_per_second=4, seed=1).notes == \
        rnn.generate(seconds=2, notes_per_second=4, seed=1).notes


def _melody_outputs(state: dict, reference: dict) -> dict[str, np.ndarray]:
    from sketchml_music.musicvae import MusicVAENet

    net = MusicVAENet.from_state_dict(state, "fixture").eval()
    with torch.no_grad():
        mu, sigma = net.encode(torch.tensor(reference[f"{MELODY}/melody"]))
        logits = net.decode_logits(torch.tensor(reference[f"{MELODY}/z"]),
                                   torch.tensor(reference[f"{MELODY}/target"]))
    return {"mu": mu.numpy(), "sigma": sigma.numpy(), "logits": logits.numpy()}


def _unpacked(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURES / f"{MELODY}.tar") as archive:
        archive.extractall(tmp_path / "ckpt", filter="data")
    return tmp_path / "ckpt"


@pytest.mark.parametrize("form", ["tar", "prefix", "folder", "index", "data", "magenta.js"])
def test_musicvae_checkpoint_gives_tensorflows_outputs(form: str, tmp_path: Path,
                                                       reference: dict) -> None:
    from sketchml_music.musicvae_magenta import convert_magenta_file

    path = {"tar": lambda: FIXTURES / f"{MELODY}.tar",
            "prefix": lambda: _unpacked(tmp_path) / f"{MELODY}.ckpt",
            "folder": lambda: _unpacked(tmp_path),
            "index": lambda: _unpacked(tmp_path) / f"{MELODY}.ckpt.index",
            "data": lambda: _unpacked(tmp_path) / f"{MELODY}.ckpt.data-00000-of-00001",
            "magenta.js": lambda: FIXTURES / f"{MELODY}_js"}[form]()
    assert magenta_io.is_magenta(path)
    if form != "magenta.js":
        every = read_checkpoint(path)
        model = read_magenta(path).variables
        assert "global_step" in every and any(k.endswith("/Adam_1") for k in every)
        assert sorted(model) == sorted(k for k in every if magenta_io.model_variable(k))
        assert len(model) < len(every) / 2
    state, _ = convert_magenta_file(path)
    got = _melody_outputs(state, reference)
    for key in ("mu", "sigma", "logits"):
        np.testing.assert_allclose(got[key], reference[f"{MELODY}/{key}"], atol=1e-5, err_msg=key)


def test_sk_model_loads_a_published_musicvae_tar(tmp_path: Path, reference: dict) -> None:
    tar = tmp_path / f"{MELODY}.tar"
    shutil.copy(FIXTURES / tar.name, tar)
    vae = sk.model("musicvae", weights=str(tar), device="cpu")
    z = vae.encode(vae.generate(vae.sample_latent(seed=2), seed=2))
    np.testing.assert_allclose(z.tensors["sigma"].shape, (1, 4))
    got = _melody_outputs(vae.network.state_dict(), reference)
    np.testing.assert_allclose(got["logits"], reference[f"{MELODY}/logits"], atol=1e-5)
    assert len(list((tmp_path / "home" / "converted" / "musicvae").glob("*.safetensors"))) == 1


def test_quantized_manifest_dequantizes_as_tensorflowjs_does(reference: dict) -> None:
    folder = FIXTURES / f"{MELODY}_js_quantized"
    manifest = json.loads((folder / "weights_manifest.json").read_text())
    kinds = {w["quantization"]["dtype"] for g in manifest for w in g["weights"] if "quantization" in w}
    assert kinds == {"uint8", "uint16", "float16"}
    weights = read_manifest(folder)
    prefix = f"{MELODY}_js_quantized/"
    names = [k[len(prefix):] for k in reference if k.startswith(prefix)]
    assert sorted(names) == sorted(weights)
    for name in names:
        assert weights[name].dtype == np.float32
        np.testing.assert_allclose(weights[name], reference[prefix + name], rtol=1e-6, atol=1e-7,
                                   err_msg=name)
    exact = read_manifest(FIXTURES / f"{MELODY}_js")
    coarse = "encoder/mu/kernel"  # uint8: 256 levels over the weight's range
    step = float(exact[coarse].max() - exact[coarse].min()) / 255
    error = np.abs(weights[coarse] - exact[coarse]).max()
    assert 0 < error <= step / 2 + 1e-6


def test_crc32c_chunks_combine_to_the_bytewise_checksum() -> None:
    data = np.random.default_rng(0).integers(0, 256, 3 * 4096 + 777, dtype=np.uint8).tobytes()
    reg = 0xFFFFFFFF
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0x82F63B78 if reg & 1 else reg >> 1
    assert crc32c(data) == reg ^ 0xFFFFFFFF
    assert crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value


# -- refusing what is not right ------------------------------------------------------------------

def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    (shutil.copytree if (FIXTURES / name).is_dir() else shutil.copy)(FIXTURES / name, target)
    return target


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def test_truncated_and_garbled_checkpoints_are_refused(tmp_path: Path) -> None:
    folder = _unpacked(tmp_path)
    index = folder / f"{MELODY}.ckpt.index"
    shard = folder / f"{MELODY}.ckpt.data-00000-of-00001"
    _flip(shard, shard.stat().st_size // 2)
    with pytest.raises(WeightsFormatError, match="CRC-32C"):
        read_checkpoint(folder)
    shard.write_bytes(shard.read_bytes()[:1000])
    with pytest.raises(WeightsFormatError, match="truncated"):
        read_checkpoint(folder)
    index.write_bytes(index.read_bytes()[:-10])
    with pytest.raises(WeightsFormatError, match="magic number"):
        read_checkpoint(folder)
    cut = tmp_path / "cut.tar"
    cut.write_bytes((FIXTURES / f"{MELODY}.tar").read_bytes()[:30000])
    with pytest.raises(WeightsFormatError):
        read_checkpoint(cut)
    gz = tmp_path / "packed.tar"
    with tarfile.open(gz, "w:gz") as archive:
        archive.add(FIXTURES / f"{MELODY}.tar", arcname="inner")
    with pytest.raises(WeightsFormatError, match="uncompressed tar"):
        read_checkpoint(gz)


def test_truncated_and_garbled_bundles_are_refused(tmp_path: Path) -> None:
    bundle = _copy(tmp_path, "performance.mag")
    whole = bundle.read_bytes()
    bundle.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(WeightsFormatError, match="truncated|cut short"):
        read_generator_bundle(bundle)
    bundle.write_bytes(whole)
    _flip(bundle, len(whole) // 2)  # inside the embedded checkpoint's tensor data
    with pytest.raises(WeightsFormatError, match="CRC-32C|garbled"):
        read_generator_bundle(bundle)
    bundle.write_bytes(b"\x12\x00" + whole[:0])
    with pytest.raises(WeightsFormatError, match="not a Magenta generator bundle"):
        read_generator_bundle(bundle)
    with pytest.raises(sk.SketchmlError, match="generator bundle"):
        sk.model("performance_rnn", weights=str(bundle), device="cpu").generate(seconds=1)


def test_checkpoints_of_another_layout_are_refused(tmp_path: Path) -> None:
    from sketchml_music.musicvae_magenta import convert_magenta_file as convert_melody
    from sketchml_music.performance_rnn import convert_magenta

    melody = read_magenta(FIXTURES / f"{MELODY}.tar").variables
    with pytest.raises(WeightsFormatError, match="not Performance RNN weights"):
        convert_magenta(melody, "performance")
    with pytest.raises(WeightsFormatError, match="not 2-bar melody MusicVAE weights"):
        convert_melody(FIXTURES / "performance.mag")
    piano = read_generator_bundle(FIXTURES / "performance.mag").variables
    with pytest.raises(WeightsFormatError, match="does not belong to this config"):
        convert_magenta(piano, "performance_with_dynamics")
    with pytest.raises(WeightsFormatError, match="other event encodings"):
        convert_magenta(piano, "performance_with_dynamics_and_modulo_encoding")
    hierarchical = {k.replace("decoder/", "decoder/hierarchical_level_0/"): v
                    for k, v in melody.items()}
    from sketchml_music.musicvae_magenta import convert_magenta as convert_vae
    from sketchml_music.musicvae_magenta import kind_of

    with pytest.raises(WeightsFormatError, match="hierarchical"):
        convert_vae(hierarchical)
    assert kind_of(hierarchical) == "hierarchical"  # a conductor but no three trio cores
    assert kind_of(read_checkpoint(FIXTURES / "hierdec-trio_16bar.tar")) == "trio"
    assert kind_of(melody) == "melody"
    drums = dict(melody)
    for direction in ("fw", "bw"):
        name = f"encoder/cell_0/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/kernel"
        drums[name] = np.zeros((512 + melody[name].shape[1] // 4, melody[name].shape[1]), np.float32)
    with pytest.raises(WeightsFormatError, match="reads 512 numbers a step"):
        convert_vae(drums)


def test_bad_manifests_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path, f"{MELODY}_js")
    manifest = folder / "weights_manifest.json"
    original = manifest.read_text()
    shard = folder / "group1-shard2of2.bin"
    shard.write_bytes(shard.read_bytes()[:-4])
    with pytest.raises(WeightsFormatError, match="truncated"):
        read_manifest(folder)
    groups = json.loads(original)
    groups[0]["paths"][0] = "../../etc/passwd"
    manifest.write_text(json.dumps(groups))
    with pytest.raises(WeightsFormatError, match="not a file"):
        read_manifest(folder)
    groups = json.loads(original)
    groups[0]["weights"][0]["quantization"] = {"dtype": "int4"}
    manifest.write_text(json.dumps(groups))
    with pytest.raises(WeightsFormatError, match="quantization"):
        read_manifest(folder)
    manifest.write_text(original[:-20])
    with pytest.raises(WeightsFormatError, match="not valid JSON"):
        read_manifest(folder)


def _script(name: str) -> Any:
    """A script of scripts/, imported (its main() takes argv)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_conversion_script_writes_a_file_sketchml_loads(tmp_path: Path, reference: dict,
                                                            capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "piano.safetensors"
    config = "optional_multiconditioned_performance_with_dynamics"
    _script("convert_magenta_checkpoint").main([str(FIXTURES / f"{config}.mag"), "--out", str(out)])
    assert "performance_rnn" in capsys.readouterr().out
    rnn = sk.model("performance_rnn", weights=str(out), device="cpu")
    np.testing.assert_allclose(_performance_logits(rnn.network, reference, config),
                               reference[f"{config}/logits"], atol=1e-5)
    assert magenta_io.is_magenta(FIXTURES / f"{MELODY}_js") and not magenta_io.is_magenta(out)


def test_the_gansynth_script_reads_a_tensorflow_checkpoint_without_tensorflow(
        tmp_path: Path, reference: dict) -> None:
    out = tmp_path / "gansynth.safetensors"
    _script("convert_gansynth_checkpoint").main([str(FIXTURES / "gansynth_tiny"), "--out", str(out)])
    state = sk.load_weights(out)
    prefix = "gansynth/Generator/progressive_gan_generator/"
    kernels = [k for k in reference if k.startswith(prefix) and k.endswith("/kernel")]
    assert len(kernels) == 2
    for name in kernels:
        block, layer = name[len(prefix):].split("/")[:2]
        assert torch.equal(state[f"{block}.{layer}.weight"],
                           torch.from_numpy(reference[name]).permute(3, 2, 0, 1))
    assert torch.equal(state["progressive_gan_block_1.conv0.bias"],
                       torch.from_numpy(reference[prefix + "progressive_gan_block_1/conv0/bias"]))
    assert not any("from_rgb" in k for k in state)  # the discriminator is left out
    assert state["normalizer"].tolist() == [[pytest.approx(0.08), 1.0], [0.5, 0.0]]


TRIO = "hierdec-trio_16bar"


def test_hierarchical_trio_checkpoint_gives_tensorflows_outputs(reference: dict) -> None:
    from sketchml_music.musicvae_hier import TrioNet
    from sketchml_music.musicvae_magenta import convert_magenta_trio, kind_of

    variables = read_checkpoint(FIXTURES / f"{TRIO}.tar")
    assert kind_of(variables) == "trio"
    net = TrioNet.from_state_dict(convert_magenta_trio(variables, bars=2, steps_per_bar=4),
                                  TRIO).eval()
    with torch.no_grad():
        mu, sigma = net.encode(torch.tensor(reference[f"{TRIO}/tracks"]))
        logits = net.decode_logits(torch.tensor(reference[f"{TRIO}/z"]),
                                   torch.tensor(reference[f"{TRIO}/target"]))
    np.testing.assert_allclose(mu.numpy(), reference[f"{TRIO}/mu"], atol=1e-5)
    np.testing.assert_allclose(sigma.numpy(), reference[f"{TRIO}/sigma"], atol=1e-5)
    for track, got in enumerate(logits):
        np.testing.assert_allclose(got.numpy(), reference[f"{TRIO}/logits{track}"], atol=1e-5)


def test_sk_model_loads_a_trio_tar_and_refuses_a_broken_multitrack(tmp_path: Path) -> None:
    vae = sk.model("musicvae", weights=str(FIXTURES / f"{TRIO}.tar"), device="cpu")
    assert vae.kind == "trio"
    assert vae.network.coding.bars == 16 and vae.network.coding.steps_per_bar == 16
    [music] = vae.generate(vae.sample_latent(seed=1), seed=1)
    assert music.total_time == pytest.approx(32.0)  # 16 bars at 120 bpm
    # A multitrack checkpoint (hierarchical encoder) missing its variables is named and refused,
    # not misread (test_magenta_multitrack.py loads a whole one).
    folder = tmp_path / "multitrack"
    folder.mkdir()
    (folder / "group1-shard1of1.bin").write_bytes(np.zeros(4, np.float32).tobytes())
    name = "encoder/hierarchical_level_0/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/bias"
    (folder / "weights_manifest.json").write_text(json.dumps(
        [{"paths": ["group1-shard1of1.bin"], "weights": [{"name": name, "shape": [4],
                                                          "dtype": "float32"}]}]))
    with pytest.raises(WeightsFormatError, match="not multitrack MusicVAE weights"):
        sk.model("musicvae", weights=str(folder), device="cpu").sample_latent()


def test_docstring_examples_run() -> None:
    import doctest

    import sketchml_music.musicvae_magenta
    import sketchml_music.performance_rnn

    import sketchml_music.tf_checkpoint

    for module, at_least in ((magenta_io, 3), (sketchml_music.tf_checkpoint, 4),
                             (sketchml_music.musicvae_magenta, 2)):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted >= at_least and result.failed == 0, module.__name__
    finder = doctest.DocTestFinder()
    [test] = finder.find(sketchml_music.performance_rnn.convert_magenta, "convert_magenta",
                         globs=vars(sketchml_music.performance_rnn).copy())
    assert doctest.DocTestRunner().run(test).failed == 0


def test_random_damage_is_refused_with_the_format_error_only(tmp_path: Path) -> None:
    """Bit flips and cuts anywhere give WeightsFormatError (or a still-valid file), never a crash."""
    rng = np.random.default_rng(7)
    original = (FIXTURES / "multiconditioned_performance_with_dynamics.mag").read_bytes()
    bundle = tmp_path / "damaged.mag"
    refused = 0
    for trial in range(80):
        data = bytearray(original)
        if trial % 2:
            data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        else:
            data = data[:rng.integers(len(data))]
        bundle.write_bytes(bytes(data))
        try:
            read_generator_bundle(bundle)
        except WeightsFormatError:
            refused += 1
    assert refused >= 70
    groups = json.loads((FIXTURES / f"{MELODY}_js" / "weights_manifest.json").read_text())
    folder = _copy(tmp_path, f"{MELODY}_js")
    for bad in ({"name": ["not", "text"]}, {"dtype": ["float32"]}, {"shape": "32"},
                {"quantization": {"dtype": "uint8", "min": float("nan"), "scale": 1.0}}):
        edited = json.loads(json.dumps(groups))
        edited[0]["weights"][0].update(bad)
        (folder / "weights_manifest.json").write_text(json.dumps(edited))
        with pytest.raises(WeightsFormatError):
            read_manifest(folder)
