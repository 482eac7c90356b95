"""Magenta's published checkpoint files, read without TensorFlow, and converted once to safetensors.

Magenta publishes its models in three containers; this module reads each with numpy and the
standard library only (no TensorFlow, no protobuf package, never a pickle):

* TensorFlow checkpoints, format V2 (MusicVAE's ``cat-mel_2bar_small.tar`` and the like):
  ``PREFIX.index`` is a table (LevelDB's sorted-string table: blocks of prefix-compressed
  ``key -> value`` entries with a restart array, a 5-byte trailer of compression type and
  masked CRC-32C after each block, and a 48-byte footer ending in the magic number
  ``0xdb4775248b80fb57``) whose key ``""`` holds a ``BundleHeaderProto`` (shard count,
  endianness) and whose other keys are variable names, each holding a ``BundleEntryProto``
  (dtype, shape, shard, offset, size, masked CRC-32C of the bytes).
  ``PREFIX.data-0000K-of-0000N`` hold the raw little-endian tensor bytes. A ``.tar`` of
  those files is read in place (no extraction).
* TensorFlow checkpoints, format V1 (the one file a Performance RNN ``.mag`` bundle
  embeds): one table whose key ``""`` holds the ``SavedTensorSliceMeta`` (name, shape and
  dtype of every variable) and whose other keys hold ``SavedSlice`` s: a variable's values
  (or a slice of them) as a ``TensorProto``.
* Generator bundles (``.mag``): a ``GeneratorBundle`` protobuf (magenta's
  ``generator.proto``): ``generator_details`` (1: ``id`` = the config's name, 2:
  description), ``checkpoint_file`` (2, repeated bytes: one V1 checkpoint),
  ``metagraph_file`` (3), ``bundle_details`` (4).
* magenta.js checkpoints: a folder with ``weights_manifest.json`` (TensorFlow.js's
  format: a list of groups, each with ``paths`` of binary shards, read one after another,
  and ``weights``: ``name``, ``shape``, ``dtype`` and an optional ``quantization``:
  ``{"dtype": "uint8" | "uint16", "min": m, "scale": s}`` stores ``round((x - m) / s)``,
  or ``{"dtype": "float16"}``) and a ``config.json`` describing the model. The names are
  the TensorFlow variables' own.

Everything is checked against the file sizes before memory is taken, so a file cannot ask
for more than it holds; anything truncated, garbled (a CRC mismatch) or laid out otherwise
raises :class:`~sketchml.plugin.WeightsFormatError` saying what and where.

Magenta's LSTMs (``tf.contrib.rnn.LSTMBlockCell`` in MusicVAE, ``BasicLSTMCell`` in
Performance RNN, both inside ``MultiRNNCell``) keep one ``kernel`` ``(input + hidden,
4 * hidden)`` applied to ``[x, h]`` and one ``bias`` ``(4 * hidden,)``, gates in the order
input, cell candidate (j), forget, output, and add a forget bias of 1.0 when they run.
:func:`lstm_from_tf` turns that into ``torch.nn.LSTM``'s ``weight_ih`` / ``weight_hh`` /
``bias_ih`` / ``bias_hh`` (gates input, forget, candidate, output; the 1.0 folded into
``bias_ih``).

:func:`converted` caches a conversion: the first load writes safetensors under
``sketchml_home()/converted/FAMILY/``; later loads read that file.

Examples:
    >>> import numpy as np
    >>> kernel = np.arange(12 * 16, dtype=np.float32).reshape(12, 16)  # 8 inputs, 4 units
    >>> w_ih, w_hh, b_ih, b_hh = lstm_from_tf(kernel, np.zeros(16, np.float32), inputs=8)
    >>> w_ih.shape, w_hh.shape, float(b_ih[4]), float(b_ih[0])
    ((16, 8), (16, 4), 1.0, 0.0)
"""
from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import struct
import tarfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["GeneratorBundle", "MagentaCheckpoint", "converted", "crc32c", "is_magenta",
           "lstm_from_tf", "read_checkpoint", "read_generator_bundle", "read_magenta",
           "read_manifest", "read_v1_checkpoint"]

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
MANIFEST = "weights_manifest.json"
_MAX_JSON = 16 << 20

# TensorFlow's DataType enum -> numpy (little-endian) for the types weights come in.
_TF_DTYPES: dict[int, str] = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1",
                              9: "<i8", 10: "?", 17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8"}
_TF_NAMES = {7: "string", 8: "complex64", 14: "bfloat16", 18: "complex128", 20: "resource",
             21: "variant"}
_JS_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "?"}
_JS_QUANT = {"uint8": "u1", "uint16": "<u2", "float16": "<f2"}


def _error(message: str) -> Exception:
    from sketchml.plugin import WeightsFormatError

    return WeightsFormatError(message)


# -- CRC-32C (Castagnoli), as TensorFlow masks it ------------------------------------------------

def _crc_table() -> np.ndarray:
    table = np.zeros(256, np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table[i] = c
    return table


_TABLE = _crc_table()
_CHUNK = 4096


def _shift_matrix(nbytes: int) -> list[int]:
    """Columns of the GF(2) matrix that runs a raw CRC register through ``nbytes`` zero bytes."""
    table = [int(v) for v in _TABLE]

    def advance(reg: int) -> int:
        for _ in range(nbytes):
            reg = table[reg & 0xFF] ^ (reg >> 8)
        return reg

    return [advance(1 << bit) for bit in range(32)]


_SHIFT: list[int] | None = None


def _apply(columns: list[int], reg: int) -> int:
    out, bit = 0, 0
    while reg:
        if reg & 1:
            out ^= columns[bit]
        reg >>= 1
        bit += 1
    return out


def crc32c(data: bytes | memoryview | np.ndarray) -> int:
    """CRC-32C of ``data``: the checksum TensorFlow's checkpoints and tables store (unmasked).

    Long inputs are split into 4 KiB chunks whose raw CRCs numpy computes side by side;
    the CRC is linear, so the chunks' registers combine exactly.

    Examples:
        >>> hex(crc32c(b"123456789"))
        '0xe3069283'
    """
    global _SHIFT
    buf = np.frombuffer(data, np.uint8) if not isinstance(data, np.ndarray) else data.view(np.uint8).ravel()
    reg = 0xFFFFFFFF
    whole = len(buf) // _CHUNK
    if whole:
        if _SHIFT is None:
            _SHIFT = _shift_matrix(_CHUNK)
        chunks = buf[:whole * _CHUNK].reshape(whole, _CHUNK)
        raw = np.zeros(whole, np.uint32)
        for j in range(_CHUNK):
            raw = _TABLE[(raw ^ chunks[:, j]) & 0xFF] ^ (raw >> 8)
        for value in raw.tolist():
            reg = _apply(_SHIFT, reg) ^ value
    table = _TABLE
    for byte in buf[whole * _CHUNK:].tolist():
        reg = int(table[(reg ^ byte) & 0xFF]) ^ (reg >> 8)
    return reg ^ 0xFFFFFFFF


def _unmask(masked: int) -> int:
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# -- protobuf wire format -----------------------------------------------------------------------

def _varint(buf: memoryview, pos: int, where: str) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _error(f"{where}: a number runs past the end of its record (the file is "
                         f"truncated or is not what its name says).")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: memoryview, where: str) -> Iterator[tuple[int, int, Any]]:
    """``(field number, wire type, value)`` of a protobuf message; values are ints or bytes views."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos, where)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, where)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise _error(f"{where}: a record is cut short.")
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos, where)
            if pos + size > len(buf):
                raise _error(f"{where}: a record says it is {size} bytes long but only "
                             f"{len(buf) - pos} are left (truncated or garbled).")
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            if pos + 4 > len(buf):
                raise _error(f"{where}: a record is cut short.")
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise _error(f"{where}: unknown protobuf wire type {wire} (garbled bytes).")
        if number == 0:
            raise _error(f"{where}: a protobuf field numbered 0 (garbled bytes).")
        yield number, wire, value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _shape(buf: memoryview, where: str) -> list[int]:
    dims = []
    for number, _, value in _fields(buf, where):
        if number == 2:
            size = next((_signed(v) for n, _, v in _fields(value, where) if n == 1), 0)
            if size < 0:
                raise _error(f"{where}: a tensor of unknown size ({size}) cannot be a weight.")
            dims.append(size)
        elif number == 3 and value:
            raise _error(f"{where}: a tensor of unknown rank cannot be a weight.")
    return dims


def _numpy_dtype(code: int, name: str, where: str) -> np.dtype:
    if code not in _TF_DTYPES:
        kind = _TF_NAMES.get(code, f"type {code}")
        raise _error(f"{where}: variable {name!r} holds {kind} values, which no Magenta "
                     f"weight uses; sketchml reads numeric tensors only.")
    return np.dtype(_TF_DTYPES[code])


# -- LevelDB tables -------------------------------------------------------------------------------

def _handle(buf: memoryview, pos: int, where: str) -> tuple[int, int, int]:
    offset, pos = _varint(buf, pos, where)
    size, pos = _varint(buf, pos, where)
    return offset, size, pos


def _block(data: memoryview, offset: int, size: int, where: str) -> memoryview:
    if offset + size + 5 > len(data):
        raise _error(f"{where}: a table block at byte {offset} runs past the end of the file "
                     f"({len(data)} bytes): the file is truncated.")
    kind = data[offset + size]
    (stored,) = struct.unpack_from("<I", data, offset + size + 1)
    if crc32c(data[offset:offset + size + 1]) != _unmask(stored):
        raise _error(f"{where}: the table block at byte {offset} fails its CRC-32C check: the "
                     f"file is corrupt (download it again).")
    if kind != 0:
        raise _error(f"{where}: the table block at byte {offset} is compressed (type {kind}); "
                     f"TensorFlow writes checkpoints uncompressed, so this is not a checkpoint "
                     f"sketchml can read.")
    return data[offset:offset + size]


def _block_entries(block: memoryview, where: str) -> Iterator[tuple[bytes, memoryview]]:
    if len(block) < 4:
        raise _error(f"{where}: a table block is too short to hold its restart count.")
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * restarts
    if restarts < 1 or end < 0:
        raise _error(f"{where}: a table block has a bad restart array ({restarts} restarts in "
                     f"{len(block)} bytes).")
    key = b""
    pos = 0
    while pos < end:
        shared, pos = _varint(block, pos, where)
        fresh, pos = _varint(block, pos, where)
        length, pos = _varint(block, pos, where)
        if shared > len(key) or pos + fresh + length > end:
            raise _error(f"{where}: a table entry runs past its block (garbled bytes).")
        key = key[:shared] + bytes(block[pos:pos + fresh])
        pos += fresh
        yield key, block[pos:pos + length]
        pos += length


def _table(data: memoryview, where: str) -> Iterator[tuple[bytes, memoryview]]:
    """Every ``key -> value`` of a LevelDB-format table held in ``data``, in key order."""
    if len(data) < FOOTER_SIZE:
        raise _error(f"{where}: {len(data)} bytes is too short for a TensorFlow table "
                     f"(a {FOOTER_SIZE}-byte footer at least): the file is truncated.")
    (magic,) = struct.unpack_from("<Q", data, len(data) - 8)
    if magic != TABLE_MAGIC:
        raise _error(f"{where}: the file does not end in a TensorFlow table's magic number, "
                     f"so it is not a checkpoint index (or it is truncated).")
    footer = data[len(data) - FOOTER_SIZE:]
    _, _, pos = _handle(footer, 0, where)
    offset, size, _ = _handle(footer, pos, where)
    for _, value in _block_entries(_block(data, offset, size, where), where):
        block_offset, block_size, _ = _handle(value, 0, where)
        yield from _block_entries(_block(data, block_offset, block_size, where), where)


# -- where checkpoint files are read from -------------------------------------------------------

class _Files:
    """Named byte ranges: files on disk, members of a tar, or byte strings in memory."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.entries: dict[str, tuple[Any, int, int]] = {}  # name -> (path or bytes, start, size)

    def add_path(self, name: str, path: Path, start: int = 0, size: int | None = None) -> None:
        self.entries[name] = (path, start, path.stat().st_size if size is None else size)

    def add_bytes(self, name: str, data: bytes | memoryview) -> None:
        self.entries[name] = (memoryview(data), 0, len(data))

    def size(self, name: str) -> int:
        if name not in self.entries:
            raise _error(f"{self.where}: the checkpoint needs {name!r}, which is missing. Keep "
                         f"all of a checkpoint's files (.index and every .data-*-of-*) together.")
        return self.entries[name][2]

    def read(self, name: str, offset: int = 0, size: int | None = None) -> memoryview:
        total = self.size(name)
        size = total - offset if size is None else size
        if offset < 0 or size < 0 or offset + size > total:
            raise _error(f"{self.where}: {name} is {total} bytes but the index points at bytes "
                         f"{offset}..{offset + size}: the file is truncated or does not belong "
                         f"to this index.")
        source, start, _ = self.entries[name]
        if isinstance(source, memoryview):
            return source[offset:offset + size]
        with open(source, "rb") as handle:
            handle.seek(start + offset)
            got = handle.read(size)
        if len(got) != size:
            raise _error(f"{self.where}: {name} ended early (truncated while being read).")
        return memoryview(got)


def _prefix_files(prefix: Path) -> _Files:
    files = _Files(str(prefix))
    for path in prefix.parent.glob(glob.escape(prefix.name) + ".*"):
        if path.is_file():
            files.add_path(path.name[len(prefix.name):], path)
    return files


def _tar_files(path: Path) -> tuple[_Files, str]:
    """The checkpoint inside a published ``.tar`` (read in place); returns its files and prefix."""
    files = _Files(str(path))
    try:
        with tarfile.open(path, "r:") as archive:
            members = [m for m in archive.getmembers() if m.isfile()]
    except tarfile.ReadError as err:
        raise _error(f"{path} is not an uncompressed tar archive ({err}). Magenta publishes "
                     f"MusicVAE checkpoints as plain .tar files; unpack other archives first and "
                     f"pass the checkpoint's folder.") from err
    except (OSError, EOFError) as err:
        raise _error(f"{path} could not be read as a tar archive: {err}") from err
    indexes = [m for m in members if m.name.endswith(".index")]
    if len(indexes) != 1:
        raise _error(f"{path} holds {len(indexes)} checkpoint indexes (*.index); expected one. "
                     f"Pass the checkpoint's prefix instead (e.g. DIR/model.ckpt).")
    prefix = indexes[0].name[:-len(".index")]
    size = path.stat().st_size
    for member in members:
        if member.name.startswith(prefix + "."):
            if member.issparse():
                raise _error(f"{path}: member {member.name} is stored sparse; Magenta's archives "
                             f"are plain tar files. Unpack it and pass the checkpoint's folder.")
            if member.offset_data + member.size > size:
                raise _error(f"{path}: member {member.name} runs past the end of the archive: "
                             f"the download is truncated.")
            files.add_path(member.name[len(prefix):], path, member.offset_data, member.size)
    return files, prefix


# -- V2 checkpoints (tensor bundles) -------------------------------------------------------------

def _v2_variables(files: _Files) -> dict[str, np.ndarray]:
    where = files.where
    index = files.read(".index")
    shards = None
    entries: list[tuple[str, memoryview]] = []
    for key, value in _table(index, where + ".index"):
        if key == b"":
            fields = {n: v for n, _, v in _fields(value, where)}
            shards = fields.get(1, 0)
            if fields.get(2, 0) != 0:
                raise _error(f"{where}: the checkpoint is big-endian; Magenta's are "
                             f"little-endian. Re-save it on a little-endian machine.")
        else:
            entries.append((key.decode("utf-8", "replace"), value))
    if shards is None or shards < 1:
        raise _error(f"{where}.index has no bundle header (a V2 checkpoint index starts with "
                     f"one), so it is not a TensorFlow V2 checkpoint index.")
    out: dict[str, np.ndarray] = {}
    for name, value in entries:
        fields: dict[int, Any] = {}
        slices = False
        for number, _, v in _fields(value, where):
            if number == 7:
                slices = True
            fields[number] = v
        if slices:
            raise _error(f"{where}: variable {name!r} is partitioned into slices; Magenta's "
                         f"checkpoints keep whole variables, so this checkpoint is not one.")
        dtype = _numpy_dtype(fields.get(1, 0), name, where)
        shape = _shape(fields[2], where) if 2 in fields else []
        shard, offset, size = fields.get(3, 0), fields.get(4, 0), fields.get(5, 0)
        count = math.prod(shape)
        if size != count * dtype.itemsize:
            raise _error(f"{where}: variable {name!r} is {shape} {dtype} ({count * dtype.itemsize} "
                         f"bytes) but its entry says {size} bytes: the index is corrupt.")
        if not 0 <= shard < shards:
            raise _error(f"{where}: variable {name!r} is in shard {shard} of {shards}.")
        data = files.read(f".data-{shard:05d}-of-{shards:05d}", offset, size)
        if 6 in fields and crc32c(data) != _unmask(int.from_bytes(fields[6], "little")):
            raise _error(f"{where}: the bytes of variable {name!r} fail their CRC-32C check: "
                         f"the data file is corrupt or from another checkpoint.")
        out[name] = np.frombuffer(data, dtype).reshape(shape).copy()
    return out


# -- V1 checkpoints (tensor slices) -------------------------------------------------------------

_PACKED = {5: "<f4", 6: "<f8"}


def _tensor_values(buf: memoryview, dtype: np.dtype, where: str) -> np.ndarray:
    """The values a ``TensorProto`` holds, flat, in ``dtype``."""
    parts: list[np.ndarray] = []
    for number, wire, value in _fields(buf, where):
        if number == 4:
            parts.append(np.frombuffer(value, dtype))
        elif number in _PACKED:
            parts.append(np.frombuffer(value, _PACKED[number]).astype(dtype))
        elif number in (7, 10, 11, 13, 16, 17):
            if wire == 2:
                items, pos = [], 0
                while pos < len(value):
                    item, pos = _varint(value, pos, where)
                    items.append(item)
            else:
                items = [value]
            numbers = np.array([_signed(i) if number in (7, 10) else i for i in items], np.int64)
            if number == 13:
                parts.append(numbers.astype(np.uint16).view(np.float16).astype(dtype))
            else:
                parts.append(numbers.astype(dtype))
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _extent(buf: memoryview, size: int, where: str) -> slice:
    start, length = 0, None
    for number, _, value in _fields(buf, where):
        if number == 1:
            start = _signed(value)
        elif number == 2:
            length = _signed(value)
    stop = size if length is None else start + length
    if not 0 <= start <= stop <= size:
        raise _error(f"{where}: a saved slice [{start}, {stop}) lies outside a dimension of "
                     f"size {size}.")
    return slice(start, stop)


def read_v1_checkpoint(data: bytes | memoryview, where: str = "checkpoint") -> dict[str, np.ndarray]:
    """Every variable of a TensorFlow V1 checkpoint (one file of saved tensor slices) in ``data``.

    Examples:
        >>> read_v1_checkpoint(b"not a checkpoint")
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: checkpoint: 16 bytes is too short ...
    """
    view = memoryview(data)
    tensors: dict[str, np.ndarray] = {}
    filled: dict[str, int] = {}
    budget = len(view)
    for key, value in _table(view, where):
        record = {n: v for n, _, v in _fields(value, where)}
        if key == b"":
            if 1 not in record:
                raise _error(f"{where}: the table's first entry is not a V1 checkpoint's "
                             f"metadata, so this is not a V1 checkpoint.")
            for number, _, meta in _fields(record[1], where):
                if number != 1:
                    continue
                info = {n: v for n, _, v in _fields(meta, where)}
                name = bytes(info.get(1, b"")).decode("utf-8", "replace")
                shape = _shape(info[2], where) if 2 in info else []
                dtype = _numpy_dtype(info.get(3, 0), name, where)
                nbytes = math.prod(shape) * dtype.itemsize
                budget -= nbytes
                if budget < -8 * len(view):
                    raise _error(f"{where}: its variables claim far more bytes than the file "
                                 f"holds: the metadata is garbled.")
                tensors[name] = np.zeros(shape, dtype)
                filled[name] = 0
            continue
        if 2 not in record:
            raise _error(f"{where}: entry {bytes(key)!r} holds no saved slice.")
        saved = {n: v for n, _, v in _fields(record[2], where)}
        name = bytes(saved.get(1, b"")).decode("utf-8", "replace")
        if name not in tensors:
            raise _error(f"{where}: a slice of {name!r}, which the metadata does not list.")
        target = tensors[name]
        extents = [v for n, _, v in _fields(saved[2], where) if n == 1] if 2 in saved else []
        index = tuple(_extent(e, d, where) for e, d in zip(extents, target.shape))
        index += (slice(None),) * (target.ndim - len(index))
        values = _tensor_values(saved.get(3, memoryview(b"")), target.dtype, where)
        region = target[index]
        if values.size != region.size:
            raise _error(f"{where}: a slice of {name!r} holds {values.size} values for "
                         f"{region.size} places: the file is garbled.")
        target[index] = values.reshape(region.shape)
        filled[name] += values.size
    short = [n for n, t in tensors.items() if filled[n] < t.size]
    if short:
        raise _error(f"{where}: variables {', '.join(short[:3])} have no saved values: the "
                     f"checkpoint is incomplete.")
    return tensors


# -- public readers -------------------------------------------------------------------------------

class GeneratorBundle:
    """A Magenta ``.mag`` bundle: the generator's ``id`` and ``description``, and its variables."""

    def __init__(self, id: str, description: str, variables: dict[str, np.ndarray]) -> None:
        self.id = id
        self.description = description
        self.variables = variables

    def __repr__(self) -> str:
        return f"GeneratorBundle(id={self.id!r}, {len(self.variables)} variables)"


def read_generator_bundle(path: str | os.PathLike[str]) -> GeneratorBundle:
    """Read a Magenta generator bundle (``.mag``): the generator id and its V1 checkpoint's variables.

    Examples:
        >>> import tempfile, pathlib
        >>> bad = pathlib.Path(tempfile.mkdtemp()) / "x.mag"
        >>> _ = bad.write_bytes(b"\\x0a\\x05ab")
        >>> read_generator_bundle(bad)
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: ...x.mag: a record says it is 5 bytes long ...
    """
    path = Path(path)
    where = str(path)
    data = memoryview(path.read_bytes())
    identity, description, checkpoints = "", "", []
    for number, wire, value in _fields(data, where):
        if number == 1 and wire == 2:
            for n, _, v in _fields(value, where):
                if n == 1:
                    identity = bytes(v).decode("utf-8", "replace")
                elif n == 2:
                    description = bytes(v).decode("utf-8", "replace")
        elif number == 2 and wire == 2:
            checkpoints.append(value)
    if not identity or not checkpoints:
        raise _error(f"{where} is not a Magenta generator bundle: it has no generator id or no "
                     f"checkpoint. Download a .mag file published by Magenta (e.g. "
                     f"performance_with_dynamics.mag).")
    if len(checkpoints) != 1:
        raise _error(f"{where} embeds {len(checkpoints)} checkpoint files; Magenta's bundles "
                     f"embed one (a V1 checkpoint).")
    return GeneratorBundle(identity, description,
                           read_v1_checkpoint(checkpoints[0], f"{where} (embedded checkpoint)"))


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every variable of a TensorFlow checkpoint: a ``.tar``, a prefix, a folder, or a V1 file.

    A folder is searched for exactly one ``*.index`` (or a ``checkpoint`` file naming it).

    Examples:
        >>> import tempfile
        >>> read_checkpoint(tempfile.mkdtemp())
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: ... holds no TensorFlow checkpoint ...
    """
    path = Path(path).expanduser()
    if path.is_file() and tarfile.is_tarfile(path) and not path.name.endswith(".index"):
        files, _ = _tar_files(path)
        return _v2_variables(files)
    if path.is_dir():
        indexes = sorted(path.glob("*.index"))
        if len(indexes) != 1:
            raise _error(f"{path} holds no TensorFlow checkpoint (no *.index file)" if not indexes
                         else f"{path} holds {len(indexes)} checkpoints ({', '.join(p.name for p in indexes[:4])}); "
                              f"pass one prefix, e.g. {indexes[-1].with_suffix('')}.")
        path = indexes[0].with_suffix("")
    elif path.suffix == ".index" or path.name.split(".")[-1].startswith("data-"):
        path = path.parent / path.name[:path.name.rindex(".")]
    if Path(str(path) + ".index").is_file():
        return _v2_variables(_prefix_files(path))
    if path.is_file():
        return read_v1_checkpoint(memoryview(path.read_bytes()), str(path))
    raise _error(f"{path}: no such checkpoint (looked for {path}.index and {path}).")


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every weight of a magenta.js / TensorFlow.js checkpoint folder (``weights_manifest.json``).

    Quantized weights come back dequantized to float32 (``q * scale + min``).

    Examples:
        >>> import tempfile, pathlib, json
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "group1-shard1of1").write_bytes(bytes([0, 2, 4]))
        >>> _ = (folder / "weights_manifest.json").write_text(json.dumps([{"paths": ["group1-shard1of1"],
        ...     "weights": [{"name": "w", "shape": [3], "dtype": "float32",
        ...                  "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}}]}]))
        >>> read_manifest(folder)["w"].tolist()
        [-1.0, 0.0, 1.0]
    """
    folder = Path(folder).expanduser()
    where = str(folder / MANIFEST)
    file = folder / MANIFEST
    if not file.is_file():
        raise _error(f"{folder} has no {MANIFEST}: it is not a magenta.js checkpoint folder.")
    if file.stat().st_size > _MAX_JSON:
        raise _error(f"{where} is {file.stat().st_size} bytes, far larger than a manifest.")
    try:
        groups = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _error(f"{where} is not valid JSON ({err}).") from err
    if not isinstance(groups, list):
        raise _error(f"{where} must be a list of weight groups ({{'paths': [...], 'weights': "
                     f"[...]}}); got {type(groups).__name__}.")
    out: dict[str, np.ndarray] = {}
    for number, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("paths"), list) \
                or not isinstance(group.get("weights"), list):
            raise _error(f"{where}: group {number} needs 'paths' and 'weights' lists.")
        shards = []
        for name in group["paths"]:
            shard = folder / str(name)
            if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts \
                    or not shard.is_file():
                raise _error(f"{where}: group {number} names shard {name!r}, which is not a file "
                             f"in {folder}. Keep the manifest and its shards together.")
            shards.append(shard)
        layout = []
        total = 0
        for weight in group["weights"]:
            try:
                name, shape, dtype = weight["name"], [int(d) for d in weight["shape"]], weight["dtype"]
            except (KeyError, TypeError, ValueError) as err:
                raise _error(f"{where}: a weight of group {number} lacks a name, shape or dtype "
                             f"({err}).") from err
            if dtype not in _JS_DTYPES or any(d < 0 for d in shape):
                raise _error(f"{where}: weight {name!r} is {dtype} {shape}; sketchml reads "
                             f"float32, int32 and bool weights of known shape.")
            quant = weight.get("quantization")
            stored = np.dtype(_JS_DTYPES[dtype])
            if quant is not None:
                if not isinstance(quant, dict) or quant.get("dtype") not in _JS_QUANT:
                    raise _error(f"{where}: weight {name!r} has quantization {quant!r}; "
                                 f"expected dtype uint8, uint16 or float16.")
                stored = np.dtype(_JS_QUANT[quant["dtype"]])
                if quant["dtype"] != "float16" and not all(
                        isinstance(quant.get(k), (int, float)) for k in ("min", "scale")):
                    raise _error(f"{where}: weight {name!r} is quantized to {quant['dtype']} "
                                 f"without numbers 'min' and 'scale'.")
            nbytes = math.prod(shape) * stored.itemsize
            layout.append((name, shape, dtype, quant, stored, total, nbytes))
            total += nbytes
        have = sum(s.stat().st_size for s in shards)
        if have != total:
            raise _error(f"{where}: group {number}'s weights take {total} bytes but its shards "
                         f"hold {have}: a shard is truncated or from another checkpoint.")
        data = memoryview(b"".join(s.read_bytes() for s in shards))
        for name, shape, dtype, quant, stored, start, nbytes in layout:
            values = np.frombuffer(data[start:start + nbytes], stored)
            if quant is not None and quant["dtype"] != "float16":
                values = values.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            out[name] = values.astype(_JS_DTYPES[dtype]).reshape(shape)
    return out


class MagentaCheckpoint:
    """What :func:`read_magenta` found: the variables, the format, and the bundle id or js config."""

    def __init__(self, variables: dict[str, np.ndarray], kind: str, *, id: str | None = None,
                 config: dict[str, Any] | None = None) -> None:
        self.variables = variables
        self.kind = kind
        self.id = id
        self.config = config or {}


def is_magenta(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like one of Magenta's published checkpoints (not a sketchml file).

    Examples:
        >>> is_magenta("weights.safetensors"), is_magenta("performance.mag")
        (False, True)
    """
    path = Path(path).expanduser()
    if path.suffix in (".mag", ".tar") or path.name.endswith(".index"):
        return True
    if path.is_dir():
        return (path / MANIFEST).is_file() or any(path.glob("*.index"))
    return Path(str(path) + ".index").is_file()


def read_magenta(path: str | os.PathLike[str]) -> MagentaCheckpoint:
    """Read any of Magenta's published containers: ``.mag``, ``.tar``, ckpt prefix/folder, magenta.js folder.

    Examples:
        >>> import tempfile
        >>> read_magenta(tempfile.mkdtemp())
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: ... holds no TensorFlow checkpoint ...
    """
    path = Path(path).expanduser()
    if path.suffix == ".mag":
        bundle = read_generator_bundle(path)
        return MagentaCheckpoint(bundle.variables, "mag", id=bundle.id)
    if path.is_dir() and (path / MANIFEST).is_file():
        config: dict[str, Any] = {}
        if (path / "config.json").is_file() and (path / "config.json").stat().st_size < _MAX_JSON:
            try:
                config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise _error(f"{path / 'config.json'} is not valid JSON ({err}).") from err
        return MagentaCheckpoint(read_manifest(path), "magenta.js", config=config)
    return MagentaCheckpoint(read_checkpoint(path), "tensorflow")


def lstm_from_tf(kernel: np.ndarray, bias: np.ndarray, *, inputs: int,
                 forget_bias: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A TensorFlow LSTM cell's ``kernel`` ``(I + H, 4H)`` and ``bias`` -> ``nn.LSTM``'s four tensors.

    TensorFlow's gates are (input, candidate j, forget, output) and it adds ``forget_bias``
    at run time; torch's are (input, forget, candidate, output). Returns ``(weight_ih (4H, I),
    weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,) = 0)``.
    """
    hidden = bias.shape[0] // 4
    if kernel.ndim != 2 or kernel.shape != (inputs + hidden, 4 * hidden) or bias.shape != (4 * hidden,):
        raise _error(f"An LSTM kernel of shape {tuple(kernel.shape)} with bias {tuple(bias.shape)} "
                     f"does not fit {inputs} inputs and {hidden} units (expected kernel "
                     f"({inputs + hidden}, {4 * hidden})).")
    order = np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in (0, 2, 1, 3)])
    weight = kernel.T[order].astype(np.float32)
    b = bias[order].astype(np.float32).copy()
    b[hidden:2 * hidden] += forget_bias
    return (np.ascontiguousarray(weight[:, :inputs]), np.ascontiguousarray(weight[:, inputs:]),
            b, np.zeros_like(b))


def converted(path: str | os.PathLike[str], family: str,
              convert: Callable[[Path], tuple[Mapping[str, Any], dict[str, str]]]) -> Path:
    """The safetensors file converted from Magenta's ``path``; converts once, then reads the cache.

    ``convert(path)`` returns ``(state dict, metadata)``. The cache file is keyed by the
    source's resolved path, size and modification time (all files of a folder or prefix),
    under ``sketchml_home()/converted/FAMILY/``, and written atomically.
    """
    from safetensors.torch import save

    from sketchml.plugin import atomic_write_bytes, sketchml_home

    source = Path(path).expanduser().resolve()
    if source.is_dir():
        parts = sorted(p for p in source.iterdir() if p.is_file())
    elif source.is_file():
        parts = [source]
    else:
        parts = sorted(source.parent.glob(glob.escape(source.name) + ".*"))
    key = hashlib.sha256(f"magenta-convert/1 {family} {source}".encode())
    for part in parts:
        stat = part.stat()
        key.update(f"{part.name} {stat.st_size} {stat.st_mtime_ns}".encode())
    target = sketchml_home() / "converted" / family / f"{source.name}-{key.hexdigest()[:16]}.safetensors"
    if not target.is_file():
        import torch

        state, meta = convert(source)
        tensors = {k: torch.as_tensor(np.ascontiguousarray(v)).contiguous() for k, v in state.items()}
        atomic_write_bytes(target, save(tensors, metadata={**meta, "converted_from": str(source)}))
    return target
