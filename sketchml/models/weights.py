"""Safe weight loading and weight-file resolution.

Loading never executes code from a file:

* ``.safetensors`` files are read with safetensors (no code at all);
* ``torch.save`` checkpoints go through ``torch.load(weights_only=True)``;
* NVIDIA StyleGAN ``.pkl`` files (stylegan2-ada-pytorch / stylegan3) are read by
  :class:`SafeUnpickler`, which rebuilds tensors, numpy arrays and plain
  containers and turns NVIDIA's persistent-class objects
  (``torch_utils.persistence._reconstruct_persistent_obj(meta)``, where
  ``meta`` holds ``module_src``, ``class_name`` and the module's ``state``) and
  ``dnnlib.util.EasyDict`` into plain dicts, without importing or running the
  source embedded in the pickle.

Anything needing another global is refused with a :class:`UnsafeWeightsError`
naming the global and saying how to convert the file.

A file cannot make loading allocate more than it holds: the allow-listed
callables that allocate (``bytearray(n)``, numpy arrays of a given shape) and
the storages a legacy ``torch.save`` file declares are bounded by the file's own
size, and zip records that are compressed (``torch.save`` never writes them) are
refused. Truncated, corrupt and self-referencing files raise
:class:`WeightsFormatError`. Every loaded tensor sits in freshly allocated
(64-byte aligned) memory, so the same file gives the same bits in every
computation on one machine (the math kernels' results depend on alignment).

Resolution (:func:`resolve_weights`) looks, in order, at ``weights=``, the
variant's own path (absolute, or inside the plugin package), the sketchml cache
(``$SKETCHML_HOME`` or ``~/.cache/sketchml``: ``weights/<family>/<variant>/<file>``),
the Hugging Face cache (``models--ORG--NAME/snapshots/*/<file>``), then the hub
when online and ``huggingface_hub`` is installed.
"""
from __future__ import annotations

import _compat_pickle
import argparse
import importlib.util
import io
import math
import os
import pickle
import re
import sys
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.models.registry import VariantSpec

if TYPE_CHECKING:
    import torch

__all__ = [
    "PersistentState",
    "SafeUnpickler",
    "UnsafeWeightsError",
    "WEIGHT_SUFFIXES",
    "WeightsFormatError",
    "fetch_command",
    "find_weights",
    "hf_cache_dir",
    "load_weights",
    "missing_weights_message",
    "module_package_dir",
    "module_state_dict",
    "offline",
    "read_safetensors",
    "resolve_weights",
    "sketchml_home",
]

WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt", ".pkl")
"""File extensions that hold weights (other files of a variant are companions, e.g. config.json)."""

_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


class UnsafeWeightsError(SketchmlError):
    """A weights file would need to run code, or memory beyond its size, to load; it was refused.

    Examples:
        >>> import io, pickle
        >>> bomb = b"cbuiltins\\nbytearray\\n(J\\x00\\xe4\\x0bTtR."  # bytearray(1.4 GB)
        >>> SafeUnpickler(io.BytesIO(bomb), budget=40).load()
        Traceback (most recent call last):
        ...
        sketchml.models.weights.UnsafeWeightsError: Refused to load the pickle: ...
    """


class WeightsFormatError(SketchmlError):
    """A weights file is truncated, corrupt or not in a format sketchml reads.

    Examples:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "cut.pt"
        >>> _ = path.write_bytes(b"PK\\x03\\x04 cut short")
        >>> load_weights(path)
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: ...
    """


class PersistentState(dict):
    """The state of one NVIDIA persistent-class object, as a plain dict.

    Keys are the object's attributes (for a network: ``_parameters``,
    ``_buffers``, ``_modules``, ``_init_kwargs``...); :attr:`class_name` says
    what it was. The embedded source code is kept as text in :attr:`module_src`
    and never executed.
    """

    class_name: str = ""
    module_src: str = ""

    def __repr__(self) -> str:
        return f"PersistentState({self.class_name!r}, keys={sorted(self)!r})"


class _EasyDict(dict):
    """Stands in for ``dnnlib.util.EasyDict``: a dict, with its keys as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _stub_class(module: str, name: str) -> type:
    """A stand-in for a ``torch.nn`` module class: built empty, its state kept as a dict."""

    def setstate(self: PersistentState, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (__dict__, __slots__ state)
            state = {**(state[0] or {}), **(state[1] or {})}
        self.update(state or {})

    return type(name, (PersistentState,), {
        "class_name": name, "module_src": "", "__setstate__": setstate, "__module__": module,
    })


def _reconstruct_persistent_obj(meta: dict[str, Any]) -> PersistentState:
    state = PersistentState(meta.get("state") or {})
    state.class_name = str(meta.get("class_name", ""))
    state.module_src = str(meta.get("module_src", ""))
    return state


class _Budget:
    """The bytes a file may still make loading allocate: its own size, spent as it goes."""

    def __init__(self, total: int, source: str) -> None:
        self.left = total
        self.source = source

    def charge(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise UnsafeWeightsError(
                f"Refused to load {self.source}: {what} would allocate {nbytes:,} bytes, more than "
                f"the file itself holds ({self.left:,} bytes left of its size). Real weights never "
                "need that; the file is broken or built to exhaust memory."
            )
        self.left -= nbytes


def _allowed_globals(budget: _Budget) -> dict[tuple[str, str], Callable[..., Any] | type]:
    import numpy
    import torch

    def sized_bytearray(*args: Any) -> bytearray:
        if args and isinstance(args[0], int):
            budget.charge(int(args[0]), f"bytearray({args[0]})")
        return bytearray(*args)

    def new_array(cls: Any, shape: Any, dtype: Any) -> Any:
        budget.charge(_array_bytes(shape, dtype), f"a numpy array of shape {shape!r:.60}")
        # numpy pickles name the class numpy.ndarray, which this table maps to plain_array.
        return _numpy_reconstruct(numpy.ndarray if cls is plain_array else cls, shape, dtype)

    def plain_array(shape: Any, dtype: Any = float, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            raise UnsafeWeightsError(f"Refused numpy.ndarray() with a buffer in {budget.source}.")
        budget.charge(_array_bytes(shape, dtype), f"a numpy array of shape {shape!r:.60}")
        return numpy.ndarray(shape, dtype)

    def storage_bytes(data: bytes) -> Any:
        # The bytes come from the file; what they declare is bounded by their own length.
        if not isinstance(data, (bytes, bytearray)):
            raise UnsafeWeightsError(f"Refused a torch storage that is not bytes in {budget.source}.")
        return _torch_load(io.BytesIO(bytes(data)), len(data), budget.source, map_location="cpu")

    allowed: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict,
        ("_codecs", "encode"): _latin1_bytes,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): sized_bytearray,
        ("builtins", "complex"): complex,
        ("builtins", "slice"): slice,
        ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): storage_bytes,
        ("torch", "Size"): torch.Size,
        ("torch", "device"): torch.device,
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
        ("dnnlib.util", "EasyDict"): _EasyDict,
        ("dnnlib", "EasyDict"): _EasyDict,
        ("numpy", "ndarray"): plain_array,
        ("numpy", "dtype"): numpy.dtype,
    }
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(core, "_reconstruct")] = new_array
        allowed[(core, "scalar")] = _numpy_scalar
    for numeric in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[(numeric, "_frombuffer")] = _numpy_frombuffer
    for name in ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                 "uint8", "bool"):
        allowed[("torch", name)] = getattr(torch, name)
    with_state = getattr(torch._utils, "_rebuild_parameter_with_state", None)
    if with_state is not None:
        allowed[("torch._utils", "_rebuild_parameter_with_state")] = with_state
    return allowed


def _array_bytes(shape: Any, dtype: Any) -> int:
    import numpy

    dims = shape if isinstance(shape, (tuple, list)) else (shape,)
    try:
        count = math.prod(int(d) for d in dims)
        return max(count, 0) * numpy.dtype(dtype).itemsize
    except (TypeError, ValueError) as err:
        raise UnsafeWeightsError(f"Refused a numpy array of shape {shape!r:.60}: {err}.") from None


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    # Pickle protocol 2 spells bytes objects as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeWeightsError(f"Refused _codecs.encode with {encoding!r}: only latin1 bytes are data.")
    return text.encode("latin1")


def _numpy_reconstruct(cls: type, shape: Any, dtype: Any) -> Any:
    import numpy

    if cls is not numpy.ndarray:
        raise UnsafeWeightsError(f"Refused to rebuild a numpy array of class {cls!r}.")
    return numpy.ndarray.__new__(cls, shape, dtype)


def _numpy_frombuffer(buffer: Any, dtype: Any, shape: Any, order: str) -> Any:
    import numpy

    dtype = numpy.dtype(dtype)
    if dtype.hasobject:
        raise UnsafeWeightsError("Refused a numpy object array from a buffer: it could hold code.")
    array = numpy.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape, order="F" if order == "F" else "C")


def _numpy_scalar(dtype: Any, data: bytes | None = None) -> Any:
    import numpy

    if not isinstance(dtype, numpy.dtype) or dtype.hasobject:
        raise UnsafeWeightsError("Refused a numpy object scalar: it could hold code.")
    return numpy.frombuffer(data or b"", dtype=dtype)[0]


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that knows only tensors, arrays, containers and NVIDIA's persistent objects.

    ``budget`` is the most bytes the file may make it allocate (bytearrays, arrays,
    storages); by default the size of ``file``.

    Examples:
        >>> import io, pickle
        >>> SafeUnpickler(io.BytesIO(pickle.dumps({"a": [1, 2]}))).load()
        {'a': [1, 2]}
    """

    def __init__(self, file: Any, *, source: str = "the pickle", budget: int | None = None) -> None:
        super().__init__(file)
        self._source = source
        total = _stream_size(file) if budget is None else budget
        self._allowed = _allowed_globals(_Budget(total, source))

    def find_class(self, module: str, name: str) -> Any:
        # Protocol 2 pickles spell Python 2 names (__builtin__.set); map them as pickle does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = self._allowed.get((module, name))
        if found is not None:
            return found
        if module.startswith("torch.nn.modules.") and re.fullmatch(r"[A-Za-z_]\w*", name):
            return _stub_class(module, name)
        raise UnsafeWeightsError(_refusal(self._source, f"{module}.{name}"))

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeWeightsError(
            f"{self._source} uses pickle persistent ids ({pid!r:.60}), which plain data never "
            "needs; torch.save checkpoints (zip or legacy format) are loaded with "
            "torch.load(weights_only=True) instead."
        )


def _refusal(source: str, global_name: str) -> str:
    return (
        f"Refused to load {source}: it needs the Python global {global_name!r}, which would run "
        "code from the file. sketchml only loads tensors and plain data. Convert the file once, "
        "in an environment you trust, to safetensors: load it there and call "
        "safetensors.torch.save_file(model.state_dict(), 'model.safetensors'), then use that file."
    )


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(16)
    if path.suffix == ".safetensors" or (len(head) > 8 and head[8:9] == b"{"):
        return "safetensors"
    if head.startswith(b"PK") or head.startswith(_LEGACY_TORCH_MAGIC):
        return "torch"
    return "pickle"


def _stream_size(file: Any) -> int:
    """The size in bytes of an open binary file or buffer (the budget of what it may allocate)."""
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    if isinstance(file, io.BytesIO):
        return file.getbuffer().nbytes
    here = file.tell()
    end = file.seek(0, io.SEEK_END)
    file.seek(here)
    return end


# Bytes per element of the storage classes a legacy torch.save names.
_STORAGE_ITEM_BYTES = {
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
    "BoolStorage": 1, "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16,
}


class _Scanned:
    """Stands in for every global while sizing a legacy torch file: built from anything, inert."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Scanned:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


class _SizingUnpickler(pickle.Unpickler):
    """Reads a legacy torch pickle only to add up the storage bytes it declares; runs nothing."""

    def __init__(self, file: Any) -> None:
        super().__init__(file)
        self.declared = 0

    def find_class(self, module: str, name: str) -> Any:
        return type(name, (_Scanned,), {})

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage":
            item = _STORAGE_ITEM_BYTES.get(getattr(pid[1], "__name__", ""), 16)
            numel = pid[4] if isinstance(pid[4], int) else 0
            self.declared += max(numel, 0) * item
        return _Scanned()


def _check_torch_file(handle: Any, size: int, source: str) -> None:
    """Refuse torch files that would inflate: compressed zip records, oversized storages."""
    head = handle.read(len(_LEGACY_TORCH_MAGIC))
    handle.seek(0)
    if head.startswith(b"PK"):
        with zipfile.ZipFile(handle) as archive:
            records = archive.infolist()
        handle.seek(0)
        packed = [r.filename for r in records if r.compress_type != zipfile.ZIP_STORED]
        if packed:
            raise UnsafeWeightsError(
                f"Refused to load {source}: its zip record {packed[0]!r} is compressed, which "
                "torch.save never writes, and inflating it could take any amount of memory. "
                "Save the weights again with torch.save or safetensors."
            )
        declared = sum(r.file_size for r in records)
        if declared > size:
            raise UnsafeWeightsError(
                f"Refused to load {source}: its zip records add up to {declared:,} bytes, more "
                f"than the file's {size:,}; the records overlap, which torch.save never writes."
            )
        return
    if not head.startswith(_LEGACY_TORCH_MAGIC):
        raise WeightsFormatError(
            f"{source} is not a torch.save file (neither its zip format nor its legacy format)."
        )
    for _ in range(3):  # magic number, protocol version, system info
        _SizingUnpickler(handle).load()
    sizing = _SizingUnpickler(handle)
    sizing.load()
    handle.seek(0)
    if sizing.declared > size:
        raise UnsafeWeightsError(
            f"Refused to load {source}: it declares tensors of {sizing.declared:,} bytes but "
            f"holds only {size:,} bytes, so loading would allocate memory the file does not have."
        )


def _torch_load(handle: Any, size: int, source: str, *, map_location: Any) -> Any:
    """``torch.load(weights_only=True)``, bounded in memory, with errors for people."""
    import torch

    try:
        _check_torch_file(handle, size, source)
        # Training checkpoints (rosinality's among them) carry their argparse options:
        # a Namespace is a plain attribute bag, safe to rebuild.
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(handle, map_location=map_location, weights_only=True)
    except SketchmlError:
        raise
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL ([\w.]+)", str(err))
        if found is None and "global" not in str(err).lower():
            raise _format_error(source, err) from None
        what = found.group(1) if found else "a global outside torch's weights-only allow-list"
        raise UnsafeWeightsError(_refusal(source, what)) from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile, KeyError, TypeError,
            IndexError, AttributeError, OverflowError, RecursionError, MemoryError) as err:
        raise _format_error(source, err) from None


def _format_error(source: str, err: BaseException) -> WeightsFormatError:
    detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
    return WeightsFormatError(
        f"Could not read {source}: it is truncated or corrupt ({type(err).__name__}: {detail}). "
        "Download or copy the file again; if it was being written, wait until it is complete."
    )


def _aligned(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in freshly allocated memory when it is a view into a file's bytes.

    Math kernels may round differently for data that is not 64-byte aligned, so
    tensors read from a file are copied into memory like any other tensor's.
    """
    if tensor.device.type != "cpu" or tensor.data_ptr() % 64 == 0:
        return tensor
    return tensor.clone()


def read_safetensors(path: str | os.PathLike[str], *, device: Any = "cpu") -> tuple[
        dict[str, torch.Tensor], dict[str, str]]:
    """The tensors (in aligned memory, on ``device``) and the metadata of a safetensors file.

    Examples:
        >>> import tempfile, torch, safetensors.torch
        >>> path = tempfile.mkdtemp() + "/w.safetensors"
        >>> safetensors.torch.save_file({"w": torch.ones(3)}, path, metadata={"a": "b"})
        >>> tensors, metadata = read_safetensors(path)
        >>> tensors["w"].data_ptr() % 64, metadata
        (0, {'a': 'b'})
    """
    from safetensors import safe_open

    tensors = {}
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = dict(handle.metadata() or {})
            for key in handle.keys():  # noqa: SIM118
                tensors[key] = _aligned(handle.get_tensor(key))
    except Exception as err:  # safetensors raises its own error types
        raise WeightsFormatError(
            f"{str(path)!r} is not a valid safetensors file: {err}. Download or save it again."
        ) from err
    if str(device) != "cpu":
        tensors = {key: value.to(device) for key, value in tensors.items()}
    return tensors, metadata


def load_weights(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> Any:
    """Load a weights file without executing any code from it.

    Returns what the file holds: a ``{name: tensor}`` dict for safetensors and
    most checkpoints; for an NVIDIA StyleGAN ``.pkl``, a dict such as
    ``{"G_ema": PersistentState, ...}`` (see :func:`module_state_dict`).
    A file that would run code or allocate more than its size raises
    :class:`UnsafeWeightsError`; a truncated or corrupt one :class:`WeightsFormatError`.

    Examples:
        >>> import tempfile, torch, safetensors.torch
        >>> path = tempfile.mkdtemp() + "/w.safetensors"
        >>> safetensors.torch.save_file({"w": torch.ones(2)}, path)
        >>> load_weights(path)["w"].tolist()
        [1.0, 1.0]
    """
    file = Path(path)
    if not file.is_file():
        raise SketchmlError(f"No weights file at {str(file)!r}; check the path.")
    kind = _kind(file)
    source = repr(str(file))
    if kind == "safetensors":
        return read_safetensors(file, device=map_location if map_location is not None else "cpu")[0]
    size = file.stat().st_size
    with file.open("rb") as handle:
        if kind == "torch":
            return _torch_load(handle, size, source, map_location=map_location)
        try:
            data = SafeUnpickler(handle, source=source, budget=size).load()
        except SketchmlError:
            raise
        except Exception as err:
            raise WeightsFormatError(
                f"Could not read {source} as a pickle: {type(err).__name__}: {err}. It is "
                "truncated, corrupt or not a weights file."
            ) from err
    return _to_device(data, map_location, set()) if map_location not in (None, "cpu") else data


def _to_device(obj: Any, device: Any, seen: set[int]) -> Any:
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict) and id(obj) not in seen:
        seen.add(id(obj))
        for key, value in obj.items():
            obj[key] = _to_device(value, device, seen)
    return obj


def module_state_dict(state: dict[str, Any], *, prefix: str = "",
                      _parents: tuple[int, ...] = ()) -> dict[str, torch.Tensor]:
    """Flatten a pickled network's state into ``nn.Module.state_dict()`` keys.

    For a StyleGAN pickle, ``module_state_dict(load_weights(path)["G_ema"])``
    gives the same keys as NVIDIA's ``G_ema.state_dict()``
    (``"mapping.fc0.weight"``, ``"synthesis.b4.const"``...).

    Examples:
        >>> import torch
        >>> state = {"_parameters": {"w": torch.ones(1)}, "_buffers": {},
        ...          "_modules": {"fc": {"_parameters": {"b": torch.zeros(1)}, "_buffers": {}}}}
        >>> sorted(module_state_dict(state))
        ['fc.b', 'w']
    """
    out: dict[str, Any] = {}
    if id(state) in _parents:
        raise WeightsFormatError(
            f"The pickled network contains itself (at {prefix.rstrip('.') or 'the top'}); a real "
            "network never does, so the file is corrupt or crafted. Use another copy of it."
        )
    if not isinstance(state, dict) or "_parameters" not in state:
        raise SketchmlError(
            "Expected the pickled state of a network (a dict with '_parameters', '_buffers' and "
            "'_modules'), e.g. load_weights('network.pkl')['G_ema']."
        )
    skip = set(state.get("_non_persistent_buffers_set") or ())
    for name, value in (state.get("_parameters") or {}).items():
        if value is not None:
            out[prefix + name] = value
    for name, value in (state.get("_buffers") or {}).items():
        if value is not None and name not in skip:
            out[prefix + name] = value
    for name, child in (state.get("_modules") or {}).items():
        if child is not None:
            out.update(module_state_dict(child, prefix=f"{prefix}{name}.",
                                         _parents=(*_parents, id(state))))
    return out


# -- resolution --------------------------------------------------------------------------

def sketchml_home() -> Path:
    """sketchml's cache folder: ``$SKETCHML_HOME``, else ``~/.cache/sketchml``.

    Examples:
        >>> sketchml_home()  # doctest: +SKIP
        PosixPath('/home/me/.cache/sketchml')
    """
    env = os.environ.get("SKETCHML_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sketchml"


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache: ``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or ``~/.cache/huggingface/hub``.

    Examples:
        >>> hf_cache_dir().name
        'hub'
    """
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "huggingface" / "hub"


def _hf_cached(hub_id: str, filename: str) -> Path | None:
    repo = hf_cache_dir() / ("models--" + hub_id.replace("/", "--"))
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = repo / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text().strip() / filename
        if candidate.is_file():
            return candidate
    found = [p for p in snapshots.glob(f"*/{filename}") if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _candidates(variant: VariantSpec, file: str | None) -> list[str]:
    """File names to look for: ``file``, else the variant's weights files in their order.

    ``files`` may also list companions such as ``config.json``; those are found
    by asking for them with ``file=``, never mistaken for the weights.
    """
    if file:
        return [file]
    weights = [name for name in variant.files if Path(name).suffix.lower() in WEIGHT_SUFFIXES]
    names = weights or list(variant.files)
    if variant.weights and Path(variant.weights).name not in names:
        names.append(Path(variant.weights).name)
    return names


def _search(family: str, variant: VariantSpec, *, file: str | None,
            package_dir: Path | None) -> tuple[Path | None, list[str]]:
    looked: list[str] = []
    if variant.weights and not file:
        own = Path(variant.weights).expanduser()
        if not own.is_absolute() and package_dir is not None:
            own = package_dir / own
        looked.append(str(own))
        if own.is_file():
            return own, looked
    names = _candidates(variant, file)
    for name in names:
        cached = sketchml_home() / "weights" / family / variant.name / name
        looked.append(str(cached))
        if cached.is_file():
            return cached, looked
    if variant.hub_id:
        for name in names:
            looked.append(f"{hf_cache_dir()}/models--{variant.hub_id.replace('/', '--')}/snapshots/*/{name}")
            cached = _hf_cached(variant.hub_id, name)
            if cached is not None:
                return cached, looked
    return None, looked


def find_weights(spec_or_family: Any, variant: VariantSpec, *, file: str | None = None,
                 package_dir: Path | None = None) -> Path | None:
    """The weights file of ``variant`` if it is on this machine, else ``None`` (never downloads).

    Examples:
        >>> find_weights("noise", VariantSpec("default", files=("none.safetensors",))) is None
        True
    """
    family, package_dir = _family_and_package(spec_or_family, package_dir)
    return _search(family, variant, file=file, package_dir=package_dir)[0]


def _family_and_package(spec_or_family: Any, package_dir: Path | None) -> tuple[str, Path | None]:
    if isinstance(spec_or_family, str):
        return spec_or_family, package_dir
    return spec_or_family.name, package_dir or spec_or_family.package_dir


def offline() -> bool:
    """Whether weights may not be downloaded: ``SKETCHML_OFFLINE`` or ``HF_HUB_OFFLINE`` is set.

    Examples:
        >>> import os
        >>> os.environ["SKETCHML_OFFLINE"] = "1"
        >>> offline()
        True
        >>> del os.environ["SKETCHML_OFFLINE"]
    """
    flags = (os.environ.get(v, "").strip().lower() for v in ("SKETCHML_OFFLINE", "HF_HUB_OFFLINE"))
    return any(flag not in ("", "0", "false", "no") for flag in flags)


def _online() -> bool:
    return not offline()


def hub_reachable(timeout: float = 1.0) -> bool:
    """Whether the Hugging Face hub (``$HF_ENDPOINT``, default huggingface.co) answers a TCP
    connection within ``timeout`` seconds, name lookup included.

    Asked once before a download, so a machine without network fails at once instead of
    going through the hub client's retries (about half a minute).

    Examples:
        >>> hub_reachable(timeout=0.5) in (True, False)
        True
    """
    import socket
    import threading
    from urllib.parse import urlsplit

    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)
    answer: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            answer.append(True)
        except OSError:
            answer.append(False)

    # In a thread, because the name lookup itself takes no timeout.
    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(timeout)
    return bool(answer and answer[0])


def fetch_command(family: str, variant: VariantSpec, file: str) -> str | None:
    """The one shell command that downloads ``file`` of ``variant`` to where it is looked for.

    A variant whose files include companions (a model folder: ``config.json``, a
    tokenizer...) is fetched whole into sketchml's cache; otherwise the one file goes to
    the Hugging Face cache. ``None`` when the variant names no hub repository.

    Examples:
        >>> fetch_command("big", VariantSpec("deep", hub_id="org/big"), "model.safetensors")
        'hf download org/big model.safetensors'
    """
    if not variant.hub_id:
        return None
    if any(Path(name).suffix.lower() not in WEIGHT_SUFFIXES for name in variant.files):
        return (f"hf download {variant.hub_id} --local-dir "
                f"{sketchml_home() / 'weights' / family / variant.name}")
    return f"hf download {variant.hub_id} {file}"


def resolve_weights(
    spec_or_family: Any,
    variant: VariantSpec,
    *,
    weights: str | os.PathLike[str] | None = None,
    file: str | None = None,
    package_dir: Path | None = None,
) -> Path:
    """The path of a variant's weights file, downloading from the hub only when online.

    Args:
        spec_or_family: the family's :class:`~sketchml.ModelSpec` or its name.
        variant: the weight set.
        weights: a path given by the user, used as is (it must exist).
        file: one particular file of the variant (default: its ``weights``/``files``).
        package_dir: the plugin package folder for relative ``weights`` paths.

    Offline (``SKETCHML_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``, or no
    ``huggingface_hub``) a missing file raises an error naming the model, what
    was looked for and where to put the file.

    Examples:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.safetensors"
        >>> _ = path.write_bytes(b"")
        >>> resolve_weights("noise", VariantSpec("default"), weights=path) == path
        True
    """
    family, package_dir = _family_and_package(spec_or_family, package_dir)
    name = f"{family}.{variant.name}"
    if weights is not None:
        given = Path(weights).expanduser()
        if not given.is_file():
            raise SketchmlError(
                f"weights={str(weights)!r} for model {name!r} does not exist; give the path of "
                "a .safetensors, .pt/.pth or StyleGAN .pkl file."
            )
        return given
    found, looked = _search(family, variant, file=file, package_dir=package_dir)
    if found is not None:
        return found
    names = _candidates(variant, file)
    if not names and not variant.weights:
        raise SketchmlError(f"Model {name!r} names no weights file; pass weights='path/to/file'.")
    reason = "offline" if variant.hub_id else "no download source"
    if variant.hub_id and names and _online():
        if importlib.util.find_spec("huggingface_hub") is None:
            reason = "huggingface_hub is not installed"
        elif not hub_reachable():
            reason = "no network: the hub did not answer"
        else:
            from huggingface_hub import hf_hub_download

            try:
                return Path(hf_hub_download(variant.hub_id, names[0]))
            except Exception as err:  # one try: any network or hub failure ends in the advice
                reason = f"download failed: {type(err).__name__}"
    raise SketchmlError(missing_weights_message(name, variant, names[0] if names else
                                                Path(variant.weights or "").name,
                                                looked, reason=reason))


def missing_weights_message(name: str, variant: VariantSpec, file: str, looked: list[str], *,
                            reason: str = "offline") -> str:
    """The one short message for weights that are not on this machine.

    What is missing, where it was looked for, and the one command that fetches it (or,
    when nothing can, where to put the file).

    Examples:
        >>> print(missing_weights_message("biggan.deep-128", VariantSpec("deep-128",
        ...       hub_id="org/big"), "model.bin", ["/cache/a", "/cache/b"]))
        Model 'biggan.deep-128' needs model.bin, which is not on this machine (offline; looked in /cache/a, /cache/b). Fetch it with: hf download org/big model.bin  (or pass weights='path/to/file' to sk.model).
    """
    family = name.split(".", 1)[0]
    command = fetch_command(family, variant, file)
    if command is not None:
        how = f"Fetch it with: {command}  (or pass weights='path/to/file' to sk.model)."
    else:
        target = sketchml_home() / "weights" / family / variant.name / file
        how = f"Put it at {target}, or pass weights='path/to/file' to sk.model."
    folder = any(Path(n).suffix.lower() not in WEIGHT_SUFFIXES for n in variant.files)
    what = f"its files ({', '.join(variant.files)})" if folder else file
    return (f"Model {name!r} needs {what}, which is not on this machine ({reason}; looked in "
            f"{', '.join(looked)}). {how}")


def module_package_dir(module_name: str) -> Path | None:
    """The top-level package folder of an imported module."""
    top = sys.modules.get(module_name.split(".")[0])
    paths = getattr(top, "__path__", None)
    return Path(next(iter(paths))) if paths else None
