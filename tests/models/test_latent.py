"""Latent: indexing, devices, joining, safetensors round trip with metadata."""
from __future__ import annotations

import json
import os

import pytest
import safetensors.torch
import torch

import sketchml as sk


def make():
    return sk.Latent({"z": torch.randn(4, 8), "y": torch.eye(4)}, family="biggan", variant="deep-128",
                     seed=11, options={"truncation": 0.4}, labels=["a", "b", "c", "d"])


def test_indexing_len_iteration():
    latent = make()
    assert len(latent) == 4
    one = latent[2]
    assert len(one) == 1 and torch.equal(one["y"], torch.eye(4)[2:3]) and one.seed == 11
    assert torch.equal(latent[-1].tensor, latent.tensor[3:])
    assert len(latent[1:3]) == 2
    assert [torch.equal(item.tensor, latent.tensor[i:i + 1]) for i, item in enumerate(latent)] == [True] * 4
    with pytest.raises(IndexError):
        latent[4]
    with pytest.raises(sk.SketchmlError, match="no tensor 'x'"):
        latent["x"]


def test_batch_sizes_must_agree():
    with pytest.raises(sk.SketchmlError, match="share their first"):
        sk.Latent({"z": torch.zeros(2, 3), "y": torch.zeros(3, 3)})


def test_to_and_cat():
    latent = make()
    assert latent.to("cpu").device.type == "cpu"
    joined = sk.Latent.cat([latent[0], latent[3]])
    assert len(joined) == 2 and torch.equal(joined["y"], torch.eye(4)[[0, 3]])


def test_save_load_round_trip(tmp_path):
    latent = make()
    path = latent.save(tmp_path / "sub" / "z.safetensors")
    assert os.listdir(path.parent) == ["z.safetensors"]  # no temporary left behind
    back = sk.load_latent(path)
    assert back.metadata == latent.metadata
    for key in ("z", "y"):
        assert torch.equal(back[key], latent[key])
    # plain safetensors underneath: metadata is JSON in the header
    with safetensors.safe_open(str(path), "pt") as handle:
        assert json.loads(handle.metadata()["sketchml"])["variant"] == "deep-128"


def test_load_refuses_other_files(tmp_path):
    safetensors.torch.save_file({"w": torch.ones(1)}, str(tmp_path / "w.safetensors"))
    with pytest.raises(sk.SketchmlError, match="not a sketchml latent"):
        sk.load_latent(tmp_path / "w.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"junk")
    with pytest.raises(sk.SketchmlError, match="not a readable safetensors"):
        sk.load_latent(tmp_path / "junk.safetensors")
    with pytest.raises(sk.SketchmlError, match="No latent file"):
        sk.load_latent(tmp_path / "missing.safetensors")


def test_unserialisable_metadata_is_explained(tmp_path):
    with pytest.raises(sk.SketchmlError, match="JSON-friendly"):
        sk.Latent(torch.zeros(1, 2), note=object()).save(tmp_path / "z.safetensors")
