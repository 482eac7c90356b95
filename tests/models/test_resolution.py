"""Weight resolution: weights=, plugin package files, sketchml cache, Hugging Face cache, offline errors."""
from __future__ import annotations

import os

import pytest
import safetensors.torch
import torch

import sketchml as sk
from sketchml.models.registry import Registry, VariantSpec
from sketchml.models.weights import find_weights, hf_cache_dir, resolve_weights, sketchml_home

HUB = VariantSpec("deep-128", hub_id="org/biggan-deep-128", files=("model.safetensors",))


def write(path, value=1.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    safetensors.torch.save_file({"w": torch.full((2,), value)}, str(path))
    return path


def test_explicit_local_path(tmp_path):
    path = write(tmp_path / "mine.safetensors")
    assert resolve_weights("biggan", HUB, weights=path) == path
    with pytest.raises(sk.SketchmlError, match="does not exist"):
        resolve_weights("biggan", HUB, weights=tmp_path / "missing.safetensors")


def test_file_shipped_in_the_plugin_package(site):
    site.package("shipped_plugin", "")
    site.module("shipped_plugin.family", """
import sketchml as sk

class Tiny(sk.Model):
    def load(self):
        self.state = self.load_weights()
""")
    write(site.root / "shipped_plugin" / "weights" / "tiny.safetensors", 3.0)
    registry = Registry(discover=False)
    registry.add("tiny", family="shipped_plugin.family:Tiny", modality="image",
                 variants={"v1": {"weights": "weights/tiny.safetensors"}})
    assert registry.entries()[0].weights_available
    model = registry.load("tiny", device="cpu")
    assert torch.equal(model.state["w"], torch.full((2,), 3.0))
    from shipped_plugin.family import Tiny
    direct = Tiny(device="cpu", variant=VariantSpec("v1", weights="weights/tiny.safetensors"))
    assert torch.equal(direct.state["w"], torch.full((2,), 3.0))  # found without a registry too


def test_sketchml_cache(tmp_path):
    assert sketchml_home() == tmp_path / "sketchml-home"
    assert find_weights("biggan", HUB) is None
    cached = write(sketchml_home() / "weights" / "biggan" / "deep-128" / "model.safetensors")
    assert resolve_weights("biggan", HUB) == cached


def test_hugging_face_cache_layout(tmp_path, monkeypatch):
    repo = hf_cache_dir() / "models--org--biggan-deep-128"
    old = write(repo / "snapshots" / "aaa111" / "model.safetensors", 1.0)
    new = write(repo / "snapshots" / "bbb222" / "model.safetensors", 2.0)
    os.utime(old, (1, 1))
    assert resolve_weights("biggan", HUB) == new  # newest snapshot when refs/main is absent
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("aaa111\n")
    assert resolve_weights("biggan", HUB) == old  # refs/main names the snapshot
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    assert hf_cache_dir() == tmp_path / "hf-home" / "hub"
    assert find_weights("biggan", HUB) is None


def test_offline_error_names_model_files_and_places():
    with pytest.raises(sk.SketchmlError) as raised:
        resolve_weights("biggan", HUB)
    message = str(raised.value)
    for part in ("'biggan.deep-128'", "model.safetensors", "offline",
                 str(sketchml_home() / "weights" / "biggan" / "deep-128" / "model.safetensors"),
                 "models--org--biggan-deep-128", "weights='path/to/file'", "org/biggan-deep-128"):
        assert part in message, part


def test_companion_files_are_not_mistaken_for_weights(tmp_path):
    variant = VariantSpec("deep-128", hub_id="org/biggan-deep-128",
                          files=("config.json", "model.safetensors", "pytorch_model.bin"))
    snapshot = hf_cache_dir() / "models--org--biggan-deep-128" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"z_dim": 128}')
    assert find_weights("biggan", variant) is None  # a config alone is not the weights
    bin_file = snapshot / "pytorch_model.bin"
    torch.save({"w": torch.ones(1)}, bin_file)
    assert resolve_weights("biggan", variant) == bin_file
    safetensors_file = write(snapshot / "model.safetensors")
    assert resolve_weights("biggan", variant) == safetensors_file  # listed first, preferred
    assert resolve_weights("biggan", variant, file="config.json") == snapshot / "config.json"

    class Big(sk.Model):
        pass

    big = Big(device="cpu", variant=variant, weights=bin_file)
    assert big.weights_path() == bin_file  # weights= wins for the weights...
    assert big.weights_path("config.json") == snapshot / "config.json"  # ...not for companions
