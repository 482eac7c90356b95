"""TensorFlow checkpoints read with numpy and the standard library: no TensorFlow, no protobuf, no pickle.

Two formats, both built on LevelDB's sorted-string table: blocks of prefix-compressed
``key -> value`` entries ending in a restart array (``uint32`` offsets and their count),
each block followed by a 5-byte trailer (compression type, masked CRC-32C of the block and
type), an index block of ``key -> (offset, size)`` handles, and a 48-byte footer (metaindex
and index handles as varints, padding, the magic number ``0xdb4775248b80fb57``).

* Format V2 (every checkpoint TensorFlow writes by default; MusicVAE's and GANSynth's
  published ones): ``PREFIX.index`` is such a table; key ``""`` holds a
  ``BundleHeaderProto`` (1: shard count, 2: endianness), every other key is a variable's
  name and holds a ``BundleEntryProto`` (1: dtype, 2: shape, 3: shard, 4: offset, 5: size,
  6: masked CRC-32C of the bytes, 7: slices of a partitioned variable).
  ``PREFIX.data-0000K-of-0000N`` hold the raw little-endian bytes. A ``.tar`` of those files
  is read in place, member by member, without extracting it.
* Format V1 (one file; what Magenta's ``.mag`` bundles embed): key ``""`` holds
  ``SavedTensorSlices.meta`` (each variable's name, shape and dtype), the other keys
  ``SavedTensorSlices.data``: a ``SavedSlice`` (name, extent of the slice, values as a
  ``TensorProto``: packed ``float_val``, ``int64_val``... or ``tensor_content``).

Every size is checked against the file before memory is taken (a file cannot ask for
more than a small multiple of what it holds), every block and V2 tensor against its CRC,
and anything truncated, garbled or laid out otherwise raises
:class:`~sketchml.plugin.WeightsFormatError` saying what and where.

Examples:
    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
"""
from __future__ import annotations

import glob
import math
import os
import struct
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["crc32c", "protobuf_fields", "read_checkpoint", "read_v1_checkpoint"]

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48

# TensorFlow's DataType enum -> numpy (little-endian) for the types weights come in.
_TF_DTYPES: dict[int, str] = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1",
                              9: "<i8", 10: "?", 17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8"}
_TF_NAMES = {7: "string", 8: "complex64", 14: "bfloat16", 18: "complex128", 20: "resource",
             21: "variant"}


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


def protobuf_fields(buf: memoryview, where: str) -> Iterator[tuple[int, int, Any]]:
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
    for number, _, value in protobuf_fields(buf, where):
        if number == 2:
            size = next((_signed(v) for n, _, v in protobuf_fields(value, where) if n == 1), 0)
            if size < 0:
                raise _error(f"{where}: a tensor of unknown size ({size}) cannot be a weight.")
            dims.append(size)
        elif number == 3 and value:
            raise _error(f"{where}: a tensor of unknown rank cannot be a weight.")
    return dims


def _numpy_dtype(code: int, name: str, where: str) -> np.dtype:
    if 100 < code < 200:
        code -= 100  # a reference type (DT_FLOAT_REF = 101) holds its base type's values
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
    """Named byte ranges: files on disk or members of a tar read in place."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.entries: dict[str, tuple[Path, int, int]] = {}  # name -> (file, start, size)

    def add_path(self, name: str, path: Path, start: int = 0, size: int | None = None) -> None:
        self.entries[name] = (path, start, path.stat().st_size if size is None else size)

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

def _v2_variables(files: _Files, keep: Callable[[str], bool] | None = None) -> dict[str, np.ndarray]:
    where = files.where
    index = files.read(".index")
    shards = None
    entries: list[tuple[str, memoryview]] = []
    for key, value in _table(index, where + ".index"):
        if key == b"":
            fields = {n: v for n, _, v in protobuf_fields(value, where)}
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
        if keep is not None and not keep(name):
            continue
        fields: dict[int, Any] = {}
        slices = False
        for number, _, v in protobuf_fields(value, where):
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
    for number, wire, value in protobuf_fields(buf, where):
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
    for number, _, value in protobuf_fields(buf, where):
        if number == 1:
            start = _signed(value)
        elif number == 2:
            length = _signed(value)
    stop = size if length is None else start + length
    if not 0 <= start <= stop <= size:
        raise _error(f"{where}: a saved slice [{start}, {stop}) lies outside a dimension of "
                     f"size {size}.")
    return slice(start, stop)


def read_v1_checkpoint(data: bytes | memoryview, where: str = "checkpoint", *,
                       keep: Callable[[str], bool] | None = None) -> dict[str, np.ndarray]:
    """The variables of a TensorFlow V1 checkpoint (one file of saved tensor slices) in ``data``.

    ``keep(name)`` chooses which to read (default: all); the others take no memory.

    Examples:
        >>> read_v1_checkpoint(b"not a checkpoint")
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: checkpoint: 16 bytes is too short ...
    """
    view = memoryview(data)
    tensors: dict[str, np.ndarray] = {}
    filled: dict[str, int] = {}
    skipped: set[str] = set()
    budget = len(view)
    for key, value in _table(view, where):
        record = {n: v for n, _, v in protobuf_fields(value, where)}
        if key == b"":
            if 1 not in record:
                raise _error(f"{where}: the table's first entry is not a V1 checkpoint's "
                             f"metadata, so this is not a V1 checkpoint.")
            for number, _, meta in protobuf_fields(record[1], where):
                if number != 1:
                    continue
                info = {n: v for n, _, v in protobuf_fields(meta, where)}
                name = bytes(info.get(1, b"")).decode("utf-8", "replace")
                if keep is not None and not keep(name):
                    skipped.add(name)
                    continue
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
        saved = {n: v for n, _, v in protobuf_fields(record[2], where)}
        name = bytes(saved.get(1, b"")).decode("utf-8", "replace")
        if name in skipped:
            continue
        if name not in tensors:
            raise _error(f"{where}: a slice of {name!r}, which the metadata does not list.")
        target = tensors[name]
        extents = [v for n, _, v in protobuf_fields(saved[2], where) if n == 1] if 2 in saved else []
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


def read_checkpoint(path: str | os.PathLike[str], *,
                    keep: Callable[[str], bool] | None = None) -> dict[str, np.ndarray]:
    """The variables of a TensorFlow checkpoint: a ``.tar``, a prefix, a folder, or a V1 file.

    ``keep(name)`` chooses which to read (default: all); the others are not read at all.

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
        return _v2_variables(files, keep)
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
        return _v2_variables(_prefix_files(path), keep)
    if path.is_file():
        return read_v1_checkpoint(memoryview(path.read_bytes()), str(path), keep=keep)
    raise _error(f"{path}: no such checkpoint (looked for {path}.index and {path}).")
