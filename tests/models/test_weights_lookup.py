"""One weight lookup for every family: Model.weights_path, XDG caches, run folders, one short
message with the command that fetches what is missing."""
from __future__ import annotations

import pytest
import safetensors.torch
import torch

import sketchml as sk
from sketchml.models.registry import VariantSpec
from sketchml.models.weights import hf_cache_dir, sketchml_home
from sketchml.training import save_checkpoint


class Net(sk.Model):
    """A family with the default lookup, nothing of its own."""


def write(path, value=1.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    safetensors.torch.save_file({"w": torch.full((2,), value)}, str(path))
    return path


def test_xdg_cache_home_holds_both_caches(monkeypatch, tmp_path):
    for name in ("SKETCHML_HOME", "HF_HUB_CACHE", "HF_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sketchml_home() == tmp_path / "xdg" / "sketchml"
    assert hf_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    own = write(tmp_path / "xdg" / "sketchml" / "weights" / "net" / "v1" / "net.safetensors")
    net = Net(device="cpu", variant=VariantSpec("v1", files=("net.safetensors",)))
    assert net.weights_path() == own
    hub = VariantSpec("v2", hub_id="org/net", files=("model.safetensors",))
    cached = write(tmp_path / "xdg" / "huggingface" / "hub" / "models--org--net" / "snapshots"
                   / "abc" / "model.safetensors", 2.0)
    assert Net(device="cpu", variant=hub).weights_path() == cached


def test_missing_weights_fail_fast_with_the_command_that_fetches_them():
    net = Net(device="cpu", variant=VariantSpec("v2", hub_id="org/net",
                                                files=("model.safetensors",)))
    with pytest.raises(sk.SketchmlError) as raised:
        net.weights_path()
    message = str(raised.value)
    assert "needs model.safetensors" in message and "offline" in message
    assert "Fetch it with: hf download org/net model.safetensors" in message
    assert str(sketchml_home() / "weights" / "net" / "v2" / "model.safetensors") in message
    assert net.weights_path(required=False) is None
    # A model folder (weights and companions) is fetched whole, where it is looked for.
    folder = VariantSpec("v3", hub_id="org/lm", files=("config.json", "model.safetensors"))
    with pytest.raises(sk.SketchmlError, match="hf download org/lm --local-dir .*weights/net/v3"):
        Net(device="cpu", variant=folder).weights_path()


def test_another_variant_and_a_companion_file(tmp_path):
    write(sketchml_home() / "weights" / "net" / "other" / "net.safetensors", 5.0)
    (sketchml_home() / "weights" / "net" / "v1").mkdir(parents=True)
    config = sketchml_home() / "weights" / "net" / "v1" / "config.json"
    config.write_text("{}")
    net = Net(device="cpu", variant=VariantSpec("v1", files=("net.safetensors", "config.json")))
    other = net.weights_path(variant=VariantSpec("other", files=("net.safetensors",)))
    assert sk.load_weights(other)["w"][0] == 5.0
    assert net.weights_path("config.json") == config


def test_a_training_run_folder_gives_its_export_else_its_newest_checkpoint(tmp_path):
    class Gan(sk.Model):
        trained_networks = ("g_ema", "g")

    run = tmp_path / "run"
    g = torch.nn.Linear(2, 2)
    save_checkpoint(run / "checkpoints", step=1, models={"g": g, "d": torch.nn.Linear(2, 1)})
    gan = Gan(device="cpu", weights=run)
    assert gan.weights_path() == run / "checkpoints" / "step-00000001" / "g.safetensors"
    assert torch.equal(gan.load_weights()["weight"], g.weight.detach())
    exported = write(run / "gan.safetensors", 7.0)
    assert gan.weights_path() == exported
    with pytest.raises(sk.SketchmlError, match="holds no trained gan model.*sketchml train gan"):
        Gan(device="cpu", weights=tmp_path).weights_path()
