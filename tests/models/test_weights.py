"""Safe weight loading: nothing in a file ever runs; real checkpoints and NVIDIA pickles load."""
from __future__ import annotations

import io
import os
import pickle
import sys

import pytest
import safetensors.torch
import torch

import sketchml as sk
from sketchml.models.weights import SafeUnpickler, UnsafeWeightsError, load_weights, module_state_dict


class WritesFile:
    """Unpickling this calls os.system, which would create ``path``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class Execs:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (exec, (f"open({str(self.path)!r}, 'w').write('ran')",))


@pytest.mark.parametrize("payload", [WritesFile, Execs])
def test_malicious_pickles_are_refused_by_every_loader(tmp_path, payload):
    marker = tmp_path / "pwned"
    evil = {"weight": torch.ones(1), "x": payload(marker)}
    files = {
        "evil.pkl": pickle.dumps(evil, protocol=4),
        "evil2.pkl": pickle.dumps(evil, protocol=2),
        "raw.bin": pickle.dumps(evil),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    torch.save(evil, tmp_path / "evil.pt")
    torch.save(evil, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    global_name = "posix.system" if payload is WritesFile else "builtins.exec"
    loaders = [lambda p: load_weights(p), lambda p: SafeUnpickler(io.BytesIO(p.read_bytes())).load(),
               lambda p: sk.Model(device="cpu", weights=p).load_weights()]
    for path in sorted(tmp_path.iterdir()):
        for load in loaders[:1] if path.suffix in (".pt", ".pth") else loaders:
            with pytest.raises(UnsafeWeightsError) as raised:
                load(path)
            message = str(raised.value)
            assert global_name.split(".")[-1] in message and "safetensors" in message, message
    assert not marker.exists()


def test_torch_save_state_dict_loads(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    torch.save(net.state_dict(), tmp_path / "net.pt")
    loaded = load_weights(tmp_path / "net.pt")
    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    other.load_state_dict(loaded)
    assert torch.equal(other[0].weight, net[0].weight)


def test_training_checkpoint_with_argparse_options_loads(tmp_path):
    # rosinality's train.py saves its argparse Namespace beside the weights.
    import argparse

    path = tmp_path / "ckpt.pt"
    torch.save({"g_ema": {"w": torch.ones(2)}, "args": argparse.Namespace(size=256)}, path)
    loaded = load_weights(path)
    assert loaded["args"].size == 256
    assert torch.equal(loaded["g_ema"]["w"], torch.ones(2))


def test_safetensors_loads(tmp_path):
    tensors = {"a": torch.randn(2, 3), "b": torch.arange(4)}
    safetensors.torch.save_file(tensors, str(tmp_path / "w.safetensors"))
    loaded = load_weights(tmp_path / "w.safetensors")
    assert set(loaded) == {"a", "b"} and torch.equal(loaded["a"], tensors["a"])


def test_plain_data_pickles_load(tmp_path):
    import numpy as np

    data = {"array": np.arange(6.0).reshape(2, 3), "set": {1, 2}, "tensor": torch.ones(2, dtype=torch.float16)}
    for protocol in (2, 4, 5):
        (tmp_path / "d.pkl").write_bytes(pickle.dumps(data, protocol=protocol))
        loaded = load_weights(tmp_path / "d.pkl")
        assert np.array_equal(loaded["array"], data["array"]) and loaded["set"] == {1, 2}
        assert loaded["tensor"].dtype == torch.float16


PERSISTENCE = """
import os

def _reconstruct_persistent_obj(meta):
    # NVIDIA's version execs meta['module_src']; this one leaves a trace if it is ever called.
    open(os.environ["STYLEGAN_MARKER"], "w").write("ran")
    raise RuntimeError("the file's code ran")

def persistent_class(cls):
    class Decorator(cls):
        def __reduce__(self):
            meta = dict(type="class", version=6, class_name=cls.__name__, state=dict(self.__dict__),
                        module_src="import os\\nos.system('touch ' + os.environ['STYLEGAN_MARKER'])")
            return (_reconstruct_persistent_obj, (meta,))
    Decorator.__name__ = cls.__name__
    return Decorator
"""

EASYDICT = """
class EasyDict(dict):
    def __getattr__(self, name):
        return self[name]
"""

NETWORKS = """
import torch
from torch_utils.persistence import persistent_class
from dnnlib.util import EasyDict

@persistent_class
class FullyConnected(torch.nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(o, i))
        self.bias = torch.nn.Parameter(torch.zeros(o))
        self.register_buffer("scale", torch.full((1,), 0.5))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)

@persistent_class
class Generator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.z_dim = 4
        self._init_kwargs = EasyDict(z_dim=4, w_dim=8)
        self.mapping = torch.nn.ModuleDict({"fc0": FullyConnected(4, 8)})
        self.synthesis = FullyConnected(8, 3)
        self.register_buffer("w_avg", torch.randn(8))
"""


def test_stylegan_like_pickle_loads_without_running_its_code(site, tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    monkeypatch.setenv("STYLEGAN_MARKER", str(marker))
    site.module("torch_utils.persistence", PERSISTENCE)
    site.module("dnnlib.util", EASYDICT)
    site.module("toy_networks", NETWORKS)
    import toy_networks
    from dnnlib.util import EasyDict

    torch.manual_seed(0)
    generator = toy_networks.Generator()
    expected = generator.state_dict()
    data = {"G_ema": generator, "training_set_kwargs": EasyDict(resolution=64), "augment_pipe": None}
    (tmp_path / "network.pkl").write_bytes(pickle.dumps(data))

    # the throwaway modules disappear: loading must not need (or import) them
    sys.path.remove(str(site.root))
    for name in ("toy_networks", "torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util"):
        sys.modules.pop(name, None)
    loaded = load_weights(tmp_path / "network.pkl")
    assert not marker.exists()
    assert not {"torch_utils", "torch_utils.persistence", "dnnlib", "toy_networks"} & set(sys.modules)

    g_ema = loaded["G_ema"]
    assert g_ema.class_name == "Generator" and "os.system" in g_ema.module_src
    assert g_ema["_init_kwargs"].w_dim == 8 and loaded["training_set_kwargs"] == {"resolution": 64}
    state = module_state_dict(g_ema)
    assert sorted(state) == sorted(expected)  # the keys of G_ema.state_dict(), non-persistent buffers left out
    for key, value in expected.items():
        assert torch.equal(state[key], value), key


def test_module_state_dict_explains_wrong_input():
    with pytest.raises(sk.SketchmlError, match="_parameters"):
        module_state_dict({"weight": torch.ones(1)})


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(sk.SketchmlError, match="No weights file"):
        load_weights(tmp_path / "nope.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(sk.SketchmlError, match="not a valid safetensors"):
        load_weights(tmp_path / "bad.safetensors")
