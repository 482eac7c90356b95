"""Magenta's published model containers, read without TensorFlow, and converted once to safetensors.

Magenta publishes its models in three containers; this module and
:mod:`sketchml_music.tf_checkpoint` read each with numpy and the standard library only
(no TensorFlow, no protobuf package, never a pickle):

* TensorFlow checkpoints (MusicVAE's ``cat-mel_2bar_big.tar``, GANSynth's folders): read by
  :func:`~sketchml_music.tf_checkpoint.read_checkpoint` (formats V1 and V2, a ``.tar`` read
  in place).
* Generator bundles (``.mag``, Performance RNN): a ``GeneratorBundle`` protobuf (note_seq's
  ``generator.proto``): ``generator_details`` (1: ``id`` = the config's name, 2:
  description), ``checkpoint_file`` (2, repeated bytes: one V1 checkpoint),
  ``metagraph_file`` (3), ``bundle_details`` (4).
* magenta.js checkpoints: a folder with ``weights_manifest.json`` (TensorFlow.js's
  format: a list of groups, each with ``paths`` of binary shards, read one after another,
  and ``weights``: ``name``, ``shape``, ``dtype`` and an optional ``quantization``:
  ``{"dtype": "uint8" | "uint16", "min": m, "scale": s}`` stores ``round((x - m) / s)``,
  or ``{"dtype": "float16"}``) and a ``config.json`` describing the model. The names are
  the TensorFlow variables' own.

Everything is checked against the file sizes before memory is taken; anything truncated,
garbled or laid out otherwise raises :class:`~sketchml.plugin.WeightsFormatError`.

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
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sketchml_music.tf_checkpoint import (crc32c, protobuf_fields, read_checkpoint,
                                          read_v1_checkpoint)

__all__ = ["GeneratorBundle", "MagentaCheckpoint", "converted", "crc32c", "is_magenta",
           "lstm_from_tf", "model_variable", "read_checkpoint", "read_generator_bundle",
           "read_magenta", "read_manifest", "read_v1_checkpoint"]

MANIFEST = "weights_manifest.json"
_MAX_JSON = 16 << 20
_JS_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "?"}
_JS_QUANT = {"uint8": "u1", "uint16": "<u2", "float16": "<f2"}


# Optimizer slots, and the cuDNN LSTM's packed weights: Magenta's cuDNN-trained checkpoints
# also save every LSTM under its LSTMBlockCell names (".../lstm_cell/kernel"), which are read.
_NOT_MODEL = re.compile(r"(Adam|RMSProp|Momentum)(_\d+)?|beta[12]_power(_\d+)?|opaque_kernel")


def model_variable(name: str) -> bool:
    """Whether a checkpoint variable is one the conversion reads (not an optimizer slot, the
    step count, or a cuDNN LSTM's packed copy of weights saved under their cell names too).

    Examples:
        >>> [model_variable(n) for n in ("encoder/mu/kernel", "encoder/mu/kernel/Adam_1",
        ...                              "beta1_power", "global_step", "decoder/opaque_kernel/Adam")]
        [True, False, False, False, False]
    """
    return name != "global_step" and not any(_NOT_MODEL.fullmatch(part)
                                             for part in name.split("/")[-2:])


def _error(message: str) -> Exception:
    from sketchml.plugin import WeightsFormatError

    return WeightsFormatError(message)


# -- public readers -------------------------------------------------------------------------------

class GeneratorBundle:
    """A Magenta ``.mag`` bundle: the generator's ``id`` and ``description``, and its variables."""

    def __init__(self, id: str, description: str, variables: dict[str, np.ndarray]) -> None:
        self.id = id
        self.description = description
        self.variables = variables

    def __repr__(self) -> str:
        return f"GeneratorBundle(id={self.id!r}, {len(self.variables)} variables)"


def read_generator_bundle(path: str | os.PathLike[str], *,
                          keep: Callable[[str], bool] | None = None) -> GeneratorBundle:
    """Read a Magenta generator bundle (``.mag``): the generator id and its V1 checkpoint's variables.

    ``keep(name)`` chooses the variables to read (default: all; :func:`model_variable`
    leaves out optimizer slots).

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
    for number, wire, value in protobuf_fields(data, where):
        if number == 1 and wire == 2:
            for n, _, v in protobuf_fields(value, where):
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
                           read_v1_checkpoint(checkpoints[0], f"{where} (embedded checkpoint)",
                                              keep=keep))


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
            if not isinstance(name, str) or not name:
                raise _error(f"{where}: group {number} has a weight named {name!r}; names are "
                             f"the TensorFlow variables' (text).")
            if not isinstance(dtype, str) or dtype not in _JS_DTYPES or any(d < 0 for d in shape):
                raise _error(f"{where}: weight {name!r} is {dtype} {shape}; sketchml reads "
                             f"float32, int32 and bool weights of known shape.")
            quant = weight.get("quantization")
            stored = np.dtype(_JS_DTYPES[dtype])
            if quant is not None:
                if not isinstance(quant, dict) or not isinstance(quant.get("dtype"), str) \
                        or quant["dtype"] not in _JS_QUANT:
                    raise _error(f"{where}: weight {name!r} has quantization {quant!r}; "
                                 f"expected dtype uint8, uint16 or float16.")
                stored = np.dtype(_JS_QUANT[quant["dtype"]])
                if quant["dtype"] != "float16" and not all(
                        isinstance(quant.get(k), (int, float)) and math.isfinite(quant[k])
                        and abs(quant[k]) < 3e38 for k in ("min", "scale")):
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
    if path.suffix in (".mag", ".tar") or path.name.endswith(".index") \
            or re.search(r"\.data-\d{5}-of-\d{5}$", path.name):
        return True
    if path.is_dir():
        return (path / MANIFEST).is_file() or any(path.glob("*.index"))
    return Path(str(path) + ".index").is_file()


def read_magenta(path: str | os.PathLike[str]) -> MagentaCheckpoint:
    """Read any of Magenta's published containers: ``.mag``, ``.tar``, ckpt prefix/folder, magenta.js folder.

    Only the model's variables are read (:func:`model_variable`): optimizer slots, which
    double or triple a training checkpoint, take no memory.

    Examples:
        >>> import tempfile
        >>> read_magenta(tempfile.mkdtemp())
        Traceback (most recent call last):
        ...
        sketchml.models.weights.WeightsFormatError: ... holds no TensorFlow checkpoint ...
    """
    path = Path(path).expanduser()
    if path.suffix == ".mag":
        bundle = read_generator_bundle(path, keep=model_variable)
        return MagentaCheckpoint(bundle.variables, "mag", id=bundle.id)
    if path.is_dir() and (path / MANIFEST).is_file():
        config: dict[str, Any] = {}
        if (path / "config.json").is_file() and (path / "config.json").stat().st_size < _MAX_JSON:
            try:
                config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise _error(f"{path / 'config.json'} is not valid JSON ({err}).") from err
        weights = {k: v for k, v in read_manifest(path).items() if model_variable(k)}
        return MagentaCheckpoint(weights, "magenta.js", config=config)
    return MagentaCheckpoint(read_checkpoint(path, keep=model_variable), "tensorflow")


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
