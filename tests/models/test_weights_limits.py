"""Weight files built to exhaust memory, truncated or self-referencing get clear errors, fast.

Every case here loaded (or crashed with a raw error) before: a 40-byte pickle calling the
allow-listed ``bytearray(2.5e9)``, a zip record that inflates, a file cut short, a network
that contains itself. The limit is the file's own size, so nothing here allocates much.
"""
from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

import pytest
import safetensors.torch
import torch

import sketchml as sk
from sketchml.models.weights import (
    SafeUnpickler,
    UnsafeWeightsError,
    WeightsFormatError,
    load_weights,
    module_state_dict,
)

GIB = 2**30


def _global_call(module: str, name: str, arg: bytes) -> bytes:
    """A protocol-0/1 pickle calling ``module.name(arg)``; ``arg`` is opcode bytes."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n(" + arg + b"tR."


def test_a_bytearray_larger_than_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pkl"
    path.write_bytes(_global_call("builtins", "bytearray", b"J" + struct.pack("<i", 2 * GIB - 1)))
    assert path.stat().st_size < 40
    with pytest.raises(UnsafeWeightsError, match="bytearray.*more than the file itself holds"):
        load_weights(path)


def test_many_small_allocations_share_one_budget() -> None:
    # Each call asks for 40 bytes: fine alone, but 100 of them add up beyond the file.
    calls = b"(" + b"cbuiltins\nbytearray\n(K(tR" * 100 + b"l."
    assert len(calls) < 100 * 40
    with pytest.raises(UnsafeWeightsError, match="bytearray"):
        SafeUnpickler(io.BytesIO(calls)).load()
    assert len(SafeUnpickler(io.BytesIO(b"(" + b"cbuiltins\nbytearray\n(K\x02tR" * 3 + b"l.")).load()) == 3


def test_a_numpy_array_of_the_files_choosing_is_refused(tmp_path: Path) -> None:
    shape = b"(J" + struct.pack("<i", 2**30) + b"tp0\n"
    dtype = b"cnumpy\ndtype\n(Vf8\ntR"
    path = tmp_path / "array.pkl"
    path.write_bytes(b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n" + shape + dtype + b"tR.")
    with pytest.raises(UnsafeWeightsError, match="numpy array"):
        load_weights(path)


def test_real_numpy_arrays_still_load(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "arrays.pkl"
    path.write_bytes(pickle.dumps({"a": np.arange(1000, dtype=np.float32)}, protocol=2))
    assert load_weights(path)["a"].sum() == sum(range(1000))


def _zip_torch_file(tensor: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    torch.save({"w": tensor}, buffer)
    return buffer.getvalue()


def test_a_compressed_zip_record_is_refused(tmp_path: Path) -> None:
    plain = zipfile.ZipFile(io.BytesIO(_zip_torch_file(torch.zeros(2**18))))
    path = tmp_path / "inflates.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as packed:
        for record in plain.infolist():
            packed.writestr(record.filename, plain.read(record))
    assert path.stat().st_size < 2**18  # a megabyte of zeros packs small
    with pytest.raises(UnsafeWeightsError, match="compressed, which torch.save never writes"):
        load_weights(path)


def test_a_legacy_file_declaring_more_than_it_holds_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2**18)}, buffer, _use_new_zipfile_serialization=False)
    data = buffer.getvalue()
    path = tmp_path / "legacy.pth"
    path.write_bytes(data[: len(data) - 2**20 + 100])  # the tensor's bytes are cut off
    with pytest.raises(UnsafeWeightsError, match="declares tensors of 1,048,576 bytes"):
        load_weights(path)
    path.write_bytes(data)
    assert torch.equal(load_weights(path)["w"], torch.ones(2**18))


def test_a_stored_torch_storage_is_bounded_by_its_bytes() -> None:
    # NVIDIA pickles hold torch storages as torch.save bytes (torch.storage._load_from_bytes).
    buffer = io.BytesIO()
    torch.save(torch.ones(2**16).untyped_storage(), buffer, _use_new_zipfile_serialization=False)
    cut = buffer.getvalue()[:2000]
    inner = pickle.dumps(cut, protocol=3)[2:-1]  # the bytes object's opcodes
    bomb = b"\x80\x03ctorch.storage\n_load_from_bytes\n(" + inner + b"tR."
    with pytest.raises(UnsafeWeightsError, match="declares tensors"):
        SafeUnpickler(io.BytesIO(bomb)).load()


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_torch_files_say_so(tmp_path: Path, keep: float) -> None:
    for name, legacy in (("zip.pt", False), ("legacy.pth", True)):
        buffer = io.BytesIO()
        torch.save({"w": torch.ones(64), "b": torch.zeros(8)}, buffer,
                   _use_new_zipfile_serialization=not legacy)
        data = buffer.getvalue()
        path = tmp_path / name
        path.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises((WeightsFormatError, UnsafeWeightsError), match=r"truncated|corrupt|declares") as caught:
            load_weights(path)
        assert "Traceback" not in str(caught.value)


def test_truncated_pickles_and_safetensors_say_so(tmp_path: Path) -> None:
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps({"w": list(range(100))}, protocol=4)[:50])
    with pytest.raises(WeightsFormatError, match="truncated, corrupt"):
        load_weights(path)
    whole = tmp_path / "whole.safetensors"
    safetensors.torch.save_file({"w": torch.ones(100)}, str(whole))
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(WeightsFormatError, match="not a valid safetensors file"):
        load_weights(cut)


def test_a_network_that_contains_itself_is_refused(tmp_path: Path) -> None:
    net: dict = {"_parameters": {"w": torch.ones(1)}, "_buffers": {}, "_modules": {}}
    net["_modules"]["inner"] = {"_parameters": {}, "_buffers": {}, "_modules": {"loop": net}}
    path = tmp_path / "loop.pkl"
    path.write_bytes(pickle.dumps({"G_ema": net}, protocol=4))
    state = load_weights(path)
    with pytest.raises(WeightsFormatError, match="contains itself .at inner.loop"):
        module_state_dict(state["G_ema"])
    moved = load_weights(path, map_location="meta")  # walking to a device survives the loop too
    assert moved["G_ema"]["_parameters"]["w"].device.type == "meta"


def test_weight_errors_are_one_family() -> None:
    assert issubclass(WeightsFormatError, sk.SketchmlError)
    assert issubclass(UnsafeWeightsError, sk.SketchmlError)
    assert sk.WeightsFormatError is WeightsFormatError


def test_loaded_tensors_sit_in_aligned_memory(tmp_path: Path) -> None:
    # Kernels may round differently for misaligned data; a file's offsets must not matter.
    path = tmp_path / "odd.safetensors"
    safetensors.torch.save_file({"a": torch.ones(5), "b": torch.ones(7, 3), "c": torch.ones(3)}, str(path))
    for tensor in load_weights(path).values():
        assert tensor.data_ptr() % 64 == 0
    latent = sk.Latent({"a": torch.ones(1, 5), "b": torch.ones(1, 7)}, family="x")
    for tensor in sk.load_latent(latent.save(tmp_path / "z.safetensors")).tensors.values():
        assert tensor.data_ptr() % 64 == 0
