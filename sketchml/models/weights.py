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

Resolution (:func:`resolve_weights`) looks, in order, at ``weights=``, the
variant's own path (absolute, or inside the plugin package), the sketchml cache
(``$SKETCHML_HOME`` or ``~/.cache/sketchml``: ``weights/<family>/<variant>/<file>``),
the Hugging Face cache (``models--ORG--NAME/snapshots/*/<file>``), then the hub
when online and ``huggingface_hub`` is installed.
"""
from __future__ import annotations

import argparse

import _compat_pickle
import importlib.util
import io
import os
import pickle
import re
import sys
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
    "find_weights",
    "hf_cache_dir",
    "load_weights",
    "module_package_dir",
    "module_state_dict",
    "resolve_weights",
    "sketchml_home",
]

WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt", ".pkl")
"""File extensions that hold weights (other files of a variant are companions, e.g. config.json)."""

_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


class UnsafeWeightsError(SketchmlError):
    """A weights file would need to run code to load, so it was refused."""


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


def _load_storage_bytes(data: bytes) -> Any:
    import torch

    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


def _allowed_globals() -> dict[tuple[str, str], Callable[..., Any] | type]:
    import numpy
    import torch

    allowed: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict,
        ("_codecs", "encode"): _latin1_bytes,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray,
        ("builtins", "complex"): complex,
        ("builtins", "slice"): slice,
        ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): _load_storage_bytes,
        ("torch", "Size"): torch.Size,
        ("torch", "device"): torch.device,
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
        ("dnnlib.util", "EasyDict"): _EasyDict,
        ("dnnlib", "EasyDict"): _EasyDict,
        ("numpy", "ndarray"): numpy.ndarray,
        ("numpy", "dtype"): numpy.dtype,
    }
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(core, "_reconstruct")] = _numpy_reconstruct
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

    Examples:
        >>> import io, pickle
        >>> SafeUnpickler(io.BytesIO(pickle.dumps({"a": [1, 2]}))).load()
        {'a': [1, 2]}
    """

    def __init__(self, file: Any, *, source: str = "the pickle") -> None:
        super().__init__(file)
        self._source = source
        self._allowed = _allowed_globals()

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


def load_weights(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> Any:
    """Load a weights file without executing any code from it.

    Returns what the file holds: a ``{name: tensor}`` dict for safetensors and
    most checkpoints; for an NVIDIA StyleGAN ``.pkl``, a dict such as
    ``{"G_ema": PersistentState, ...}`` (see :func:`module_state_dict`).

    Examples:
        >>> import tempfile, torch, safetensors.torch
        >>> path = tempfile.mkdtemp() + "/w.safetensors"
        >>> safetensors.torch.save_file({"w": torch.ones(2)}, path)
        >>> load_weights(path)["w"].tolist()
        [1.0, 1.0]
    """
    import torch

    file = Path(path)
    if not file.is_file():
        raise SketchmlError(f"No weights file at {str(file)!r}; check the path.")
    kind = _kind(file)
    if kind == "safetensors":
        from safetensors.torch import load_file

        device = str(map_location) if map_location is not None else "cpu"
        try:
            return load_file(str(file), device=device)
        except Exception as err:
            raise SketchmlError(f"{str(file)!r} is not a valid safetensors file: {err}.") from err
    if kind == "torch":
        try:
            # Training checkpoints (rosinality's among them) carry their argparse options:
            # a Namespace is a plain attribute bag, safe to rebuild.
            with torch.serialization.safe_globals([argparse.Namespace]):
                return torch.load(str(file), map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            found = re.search(r"GLOBAL ([\w.]+)", str(err))
            what = found.group(1) if found else "a global outside torch's weights-only allow-list"
            raise UnsafeWeightsError(_refusal(repr(str(file)), what)) from None
    with file.open("rb") as handle:
        try:
            data = SafeUnpickler(handle, source=repr(str(file))).load()
        except UnsafeWeightsError:
            raise
        except Exception as err:
            raise SketchmlError(
                f"Could not read {str(file)!r} as a pickle: {type(err).__name__}: {err}."
            ) from err
    return _to_device(data, map_location) if map_location not in (None, "cpu") else data


def _to_device(obj: Any, device: Any) -> Any:
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = _to_device(value, device)
    return obj


def module_state_dict(state: dict[str, Any], *, prefix: str = "") -> dict[str, torch.Tensor]:
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
            out.update(module_state_dict(child, prefix=f"{prefix}{name}."))
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


def _online() -> bool:
    flags = (os.environ.get(v, "").strip().lower() for v in ("SKETCHML_OFFLINE", "HF_HUB_OFFLINE"))
    return not any(flag not in ("", "0", "false", "no") for flag in flags)


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
    reason = ""
    if variant.hub_id and names and _online():
        if importlib.util.find_spec("huggingface_hub") is None:
            reason = " (huggingface_hub is not installed, so the hub was not tried)"
        else:
            from huggingface_hub import hf_hub_download

            try:
                return Path(hf_hub_download(variant.hub_id, names[0]))
            except Exception as err:  # any network or hub failure ends in the same advice
                reason = f" (downloading from the hub failed: {type(err).__name__}: {err})"
    elif variant.hub_id:
        reason = " (offline, so the hub was not tried)"
    if not names and not variant.weights:
        raise SketchmlError(f"Model {name!r} names no weights file; pass weights='path/to/file'.")
    target = sketchml_home() / "weights" / family / variant.name / (names[0] if names else "")
    hub = f" or download {variant.hub_id!r} from the Hugging Face hub when online" if variant.hub_id else ""
    raise SketchmlError(
        f"The weights of model {name!r} are not on this machine{reason}. Looked for "
        f"{', '.join(names) or variant.weights} in: {'; '.join(looked)}. Put the file at "
        f"{target}{hub}, or pass weights='path/to/file' to sk.model()."
    )


def module_package_dir(module_name: str) -> Path | None:
    """The top-level package folder of an imported module."""
    top = sys.modules.get(module_name.split(".")[0])
    paths = getattr(top, "__path__", None)
    return Path(next(iter(paths))) if paths else None
