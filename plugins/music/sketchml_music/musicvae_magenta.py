"""Magenta's published MusicVAE checkpoints -> sketchml's MusicVAE layout (a one-time conversion).

Magenta publishes MusicVAE as TensorFlow checkpoints (``cat-mel_2bar_big.tar``: a V2
checkpoint, ``.index`` + ``.data-00000-of-00001``, in a plain tar) and as magenta.js
folders (``weights_manifest.json`` + binary shards + ``config.json``, e.g.
``mel_2bar_small``). Both keep the TensorFlow variable names; :mod:`sketchml_music.magenta_io`
reads them without TensorFlow, and :func:`convert_magenta` maps the 2-bar (or, from a
magenta.js ``config.json``, N-step) melody model onto :class:`sketchml_music.musicvae.MusicVAENet`.

Magenta's graph (``music_vae/lstm_models.py``: ``BidirectionalLstmEncoder`` and
``CategoricalLstmDecoder``, cells ``LSTMBlockCell`` inside ``MultiRNNCell``)::

    TensorFlow variable                                          sketchml key (transform)
    encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/          encoder.weight_ih_l0, weight_hh_l0,
        cell_0/lstm_cell/kernel (90 + E, 4E), .../bias (4E,)       bias_ih_l0 (+1.0 forget), bias_hh_l0 = 0
    encoder/cell_0/bidirectional_rnn/bw/... (same)               encoder.*_l0_reverse
    encoder/mu/kernel (2E, Z), encoder/mu/bias                   mu.weight (transposed), mu.bias
    encoder/sigma/kernel, encoder/sigma/bias                     sigma.weight, sigma.bias
    decoder/z_to_initial_state/kernel (Z, 2LD), .../bias         initial.weight, initial.bias: TF's
                                                                   columns are (c, h) of layer 0, then
                                                                   (c, h) of layer 1...; sketchml's rows
                                                                   are every layer's h, then every c
    decoder/multi_rnn_cell/cell_{k}/lstm_cell/kernel, bias       decoder.*_l{k}; the input at layer 0
                                                                   is the previous step's one-hot then
                                                                   z, in both
    decoder/output_projection/kernel (D, 90), .../bias           head.weight (transposed), head.bias

Each LSTM kernel is ``(input + hidden, 4 * hidden)`` applied to ``[x, h]`` with gates in the
order input, candidate (j), forget, output, and 1.0 is added to the forget gate when the
cell runs; :func:`sketchml_music.magenta_io.lstm_from_tf` splits, transposes, reorders the
gates to torch's (input, forget, candidate, output) and folds the 1.0 into ``bias_ih``.
Optimizer slots (``.../Adam``, ``beta*_power``) and ``global_step`` are ignored, and so
is the packed ``opaque_kernel`` of a model trained with cuDNN: Magenta saved those LSTMs
under the cell names above as well (forget bias already in ``LSTMBlockCell``'s convention). A
checkpoint without ``encoder/sigma`` (some magenta.js folders leave it out: magenta.js
samples and interpolates with ``mu`` alone) gets ``sigma = 1`` everywhere, which
``encode`` then reports.

The hierarchical trio ``hierdec-trio_16bar`` (16 bars of melody, bass and drums) maps
onto :class:`sketchml_music.musicvae_hier.TrioNet` (:func:`convert_magenta_trio`)::

    encoder/cell_{k}/bidirectional_rnn/fw|bw/...                 encoder.*_l{k}[_reverse] (2 layers;
                                                                   layer 1 reads [fw, bw] of layer 0)
    decoder/hierarchical_level_0/initial_state/kernel, bias      conductor_initial (h/c reordered)
    decoder/hierarchical_level_0/cell_{k}/lstm_cell/kernel, bias conductor.*_l{k} (input: one zero)
    core_decoder/core_decoder_{t}/decoder/z_to_initial_state     cores.{t}.initial (t = 0 melody,
                                                                   1 bass, 2 drums)
    core_decoder/core_decoder_{t}/decoder/multi_rnn_cell/cell_{k}/lstm_cell/...
                                                                 cores.{t}.lstm.*_l{k} (input: the
                                                                   track's one-hot, then the bar's
                                                                   conductor output)
    core_decoder/core_decoder_{t}/decoder/output_projection      cores.{t}.head

The multitrack model ``hier-multiperf_vel_1bar_med_chords`` (``encoder/hierarchical_level_*``)
is recognised and refused with a message: its 418 event classes at 24 steps a quarter do not
fit sketchml's reduced multitrack vocabulary (318 classes at 4 steps a quarter).

Examples:
    >>> import numpy as np
    >>> enc = "encoder/cell_0/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/"
    >>> tf = {**{enc.format(d) + "kernel": np.zeros((94, 16)) for d in ("fw", "bw")},
    ...       **{enc.format(d) + "bias": np.zeros(16) for d in ("fw", "bw")},
    ...       "encoder/mu/kernel": np.zeros((8, 2)), "encoder/mu/bias": np.zeros(2),
    ...       "decoder/z_to_initial_state/kernel": np.zeros((2, 6)),
    ...       "decoder/z_to_initial_state/bias": np.zeros(6),
    ...       "decoder/multi_rnn_cell/cell_0/lstm_cell/kernel": np.zeros((95, 12)),
    ...       "decoder/multi_rnn_cell/cell_0/lstm_cell/bias": np.zeros(12),
    ...       "decoder/output_projection/kernel": np.zeros((3, 90)),
    ...       "decoder/output_projection/bias": np.zeros(90)}
    >>> state = convert_magenta(tf)
    >>> tuple(state["decoder.weight_ih_l0"].shape), state["spec"].tolist()
    ((12, 92), [2, 32, 21, 108])
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Any

import numpy as np
import torch

__all__ = ["convert_magenta", "convert_magenta_file", "convert_magenta_trio", "kind_of"]

_ENCODER = "encoder/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/"
_CELL = re.compile(r"(?:multi_rnn_cell/)?cell_(\d+)/lstm_cell/kernel$")
_CONDUCTOR = "decoder/hierarchical_level_0/"
_CORE = "core_decoder/core_decoder_{track}/decoder/"
# softplus(log(e - 1)) = 1: the sigma a checkpoint without encoder/sigma is given.
_UNIT_SIGMA_BIAS = math.log(math.e - 1)
_LSTM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _error(message: str) -> Exception:
    from sketchml.plugin import WeightsFormatError

    return WeightsFormatError(message)


class _Mapper:
    """Reads TF variables by name and writes the torch state dict, refusing what does not fit."""

    def __init__(self, variables: dict[str, Any], what: str) -> None:
        self.variables = variables
        self.what = what
        self.state: dict[str, torch.Tensor] = {}

    def get(self, name: str) -> np.ndarray:
        if name not in self.variables:
            raise _error(f"These are not {self.what} weights: {name!r} is missing (found "
                         f"{', '.join(sorted(self.variables)[:5])}...).")
        return np.asarray(self.variables[name], np.float32)

    def put(self, key: str, value: np.ndarray) -> None:
        self.state[key] = torch.from_numpy(np.ascontiguousarray(value, np.float32))

    def layers(self, prefix: str) -> int:
        """How many LSTM layers are stored under ``prefix`` (``cell_0``, ``cell_1``...)."""
        found = sorted(int(m.group(1)) for k in self.variables if k.startswith(prefix)
                       and (m := _CELL.fullmatch(k[len(prefix):])))
        if not found or found != list(range(len(found))):
            raise _error(f"These are not {self.what} weights: no LSTM layers under {prefix!r}.")
        return len(found)

    def lstm(self, kernel_prefix: str, key: str, inputs: int) -> int:
        """One TF LSTM cell -> ``key``'s four ``nn.LSTM`` tensors; returns its size."""
        from sketchml_music.magenta_io import lstm_from_tf

        tensors = lstm_from_tf(self.get(kernel_prefix + "kernel"), self.get(kernel_prefix + "bias"),
                               inputs=inputs)
        for name, value in zip(_LSTM_KEYS, tensors):
            self.put(key.format(name), value)
        return tensors[1].shape[1]

    def stack(self, prefix: str, key: str, inputs: int) -> tuple[int, int]:
        """A ``MultiRNNCell`` under ``prefix`` -> ``key`` (``"decoder.{}_l"``); ``(layers, size)``."""
        count = self.layers(prefix)
        cell = "multi_rnn_cell/" if f"{prefix}multi_rnn_cell/cell_0/lstm_cell/kernel" in self.variables else ""
        size = 0
        for layer in range(count):
            size = self.lstm(f"{prefix}{cell}cell_{layer}/lstm_cell/", key + str(layer),
                             inputs if layer == 0 else size)
        return count, size

    def initial(self, name: str, key: str, inputs: int, layers: int, size: int) -> None:
        """``tanh(dense)`` initial state: TF flattens MultiRNNCell's state as (c, h) per layer;
        sketchml's layer gives every layer's h, then every layer's c."""
        kernel, bias = self.get(name + "/kernel"), self.get(name + "/bias")
        if kernel.shape != (inputs, 2 * layers * size):
            raise _error(f"{name}/kernel is {kernel.shape}, expected ({inputs}, "
                         f"{2 * layers * size}) for {layers} layers of {size}.")
        blocks = [2 * layer + (1 - part) for part in (0, 1) for layer in range(layers)]
        order = np.concatenate([np.arange(b * size, (b + 1) * size) for b in blocks])
        self.put(key + ".weight", kernel.T[order])
        self.put(key + ".bias", bias[order])

    def dense(self, name: str, key: str, shape: tuple[int, int] | None = None) -> np.ndarray:
        kernel = self.get(name + "/kernel")
        if shape is not None and kernel.shape != shape:
            raise _error(f"{name}/kernel is {kernel.shape}, expected {shape}.")
        self.put(key + ".weight", kernel.T)
        self.put(key + ".bias", self.get(name + "/bias"))
        return kernel

    def encoder(self, inputs: int) -> tuple[int, int]:
        """The (stacked) bidirectional encoder, ``mu`` and ``sigma``; returns ``(z, layers)``."""
        layers = 0
        size = 0
        while f"{_ENCODER.format(layer=layers, direction='fw')}kernel" in self.variables:
            for direction, suffix in (("fw", ""), ("bw", "_reverse")):
                size = self.lstm(_ENCODER.format(layer=layers, direction=direction),
                                 "encoder.{}_l" + str(layers) + suffix,
                                 inputs if layers == 0 else 2 * size)
            layers += 1
        if not layers:
            self.get(_ENCODER.format(layer=0, direction="fw") + "kernel")
        mu = self.dense("encoder/mu", "mu")
        if mu.shape[0] != 2 * size:
            raise _error(f"encoder/mu/kernel is {mu.shape}; the encoder gives {2 * size} numbers.")
        z = mu.shape[1]
        if "encoder/sigma/kernel" in self.variables:
            self.dense("encoder/sigma", "sigma", mu.shape)
        else:
            self.put("sigma.weight", np.zeros_like(mu.T))
            self.put("sigma.bias", np.full(z, _UNIT_SIGMA_BIAS))
        return z, layers


def kind_of(variables: dict[str, Any]) -> str:
    """Which MusicVAE a checkpoint's variables are: ``"melody"``, ``"trio"``, ``"multitrack"``, or
    ``"hierarchical"`` (another hierarchical model, such as ``hierdec-mel_16bar``)."""
    if any(k.startswith("encoder/hierarchical_level_") for k in variables):
        return "multitrack"
    if any(k.startswith(_CONDUCTOR) for k in variables):
        tracks = {k.split("/")[1] for k in variables if k.startswith("core_decoder/core_decoder_")}
        return "trio" if len(tracks) == 3 else "hierarchical"
    return "melody"


def convert_magenta(variables: dict[str, Any], *, steps: int = 32, min_pitch: int = 21,
                    max_pitch: int = 108) -> dict[str, torch.Tensor]:
    """Magenta's melody MusicVAE variables (``cat-mel_2bar_*``) -> :class:`~sketchml_music.musicvae.MusicVAENet`'s state dict.

    Args:
        variables: variable name -> array, as :func:`sketchml_music.magenta_io.read_magenta`
            gives them (optimizer slots and ``global_step`` are ignored).
        steps, min_pitch, max_pitch: the melody coding (Magenta's: 32 steps, pitches 21-108;
            a magenta.js ``config.json`` states them as ``numSteps``, ``minPitch``, ``maxPitch``).
    """
    kind = kind_of(variables)
    if kind != "melody":
        raise _error(f"This is a hierarchical MusicVAE checkpoint (a {kind} model: it has "
                     f"decoder/hierarchical_level_0/ variables), not a 2-bar melody model; "
                     f"convert it with convert_magenta_file, which reads the trio too.")
    if any(k.startswith("encoder/cell_1/") for k in variables):
        raise _error("This MusicVAE's encoder has several bidirectional layers; the melody "
                     "configs sketchml reads have one.")
    if any(k.startswith("core_decoder") for k in variables):
        raise _error("This MusicVAE decodes through several core decoders (a multi-track model) "
                     "without a conductor; sketchml reads melody and hierarchical trio models.")
    classes = 2 + max_pitch - min_pitch + 1
    mapper = _Mapper(variables, "2-bar melody MusicVAE")
    first = _ENCODER.format(layer=0, direction="fw")
    kernel, bias = mapper.get(first + "kernel"), mapper.get(first + "bias")
    depth = kernel.shape[0] - bias.shape[0] // 4
    if depth != classes:
        raise _error(f"This MusicVAE reads {depth} numbers a step, not the {classes} melody "
                     f"classes of pitches {min_pitch}-{max_pitch}: it is another kind of model "
                     f"(drums, a chord-conditioned or multi-track one), which sketchml does not "
                     f"convert.")
    z, _ = mapper.encoder(classes)
    layers, size = mapper.stack("decoder/", "decoder.{}_l", classes + z)
    mapper.initial("decoder/z_to_initial_state", "initial", z, layers, size)
    mapper.dense("decoder/output_projection", "head", (size, classes))
    mapper.state["spec"] = torch.tensor([z, steps, min_pitch, max_pitch], dtype=torch.int32)
    return mapper.state


def convert_magenta_trio(variables: dict[str, Any], *, bars: int = 16, steps_per_bar: int = 16,
                         min_pitch: int = 21, max_pitch: int = 108) -> dict[str, torch.Tensor]:
    """Magenta's ``hierdec-trio_16bar`` variables -> :class:`~sketchml_music.musicvae_hier.TrioNet`'s state dict.

    The conductor (``decoder/hierarchical_level_0/``: ``initial_state`` and ``cell_{k}``,
    its input a single zero) -> ``conductor_initial`` / ``conductor``; the three cores
    (``core_decoder/core_decoder_{t}/decoder/``: ``z_to_initial_state``,
    ``multi_rnn_cell/cell_{k}``, ``output_projection``; t = melody, bass, drums) ->
    ``cores.{t}.initial`` / ``.lstm`` / ``.head``; the encoder as for the melody model, with
    ``encoder/cell_{k}`` per stacked layer (layer k > 0 reads layer k - 1's forward and
    backward outputs side by side, as ``nn.LSTM`` does).
    """
    from sketchml_music.musicvae_hier import TrioCoding

    depths = TrioCoding.depths
    mapper = _Mapper(variables, "hierarchical trio MusicVAE")
    z, _ = mapper.encoder(sum(depths))
    layers, size = mapper.stack(_CONDUCTOR, "conductor.{}_l", 1)
    mapper.initial(_CONDUCTOR + "initial_state", "conductor_initial", z, layers, size)
    for track, depth in enumerate(depths):
        prefix = _CORE.format(track=track)
        core_layers, core_size = mapper.stack(prefix, f"cores.{track}.lstm.{{}}_l", depth + size)
        if (core_layers, core_size) != (layers, size):
            raise _error(f"Core decoder {track} is {core_layers} x {core_size} but the conductor "
                         f"is {layers} x {size}; sketchml's trio uses one size for both.")
        mapper.initial(prefix + "z_to_initial_state", f"cores.{track}.initial", size, layers, size)
        mapper.dense(prefix + "output_projection", f"cores.{track}.head", (size, depth))
    mapper.state["trio_spec"] = torch.tensor([z, bars, steps_per_bar, min_pitch, max_pitch],
                                             dtype=torch.int32)
    return mapper.state


def convert_magenta_file(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a MusicVAE checkpoint (``.tar``, ckpt prefix or folder, magenta.js folder) -> ``(state, metadata)``.

    Melody and hierarchical trio models are read; the coding (steps, bars, pitch range)
    comes from a magenta.js ``config.json`` where there is one, else Magenta's published
    configs' (32 steps; 16 bars of 16 steps; pitches 21-108).
    """
    from sketchml_music.magenta_io import read_magenta

    found = read_magenta(path)
    args = found.config.get("dataConverter", {}).get("args", {}) if found.config else {}
    kind = kind_of(found.variables)
    pitches = {"min_pitch": int(args.get("minPitch", 21)), "max_pitch": int(args.get("maxPitch", 108))}
    if kind == "melody":
        state = convert_magenta(found.variables, steps=int(args.get("numSteps", 32)), **pitches)
    elif kind == "trio":
        bars = int(args.get("numSegments", 16))
        steps = int(args.get("numSteps", 16 * bars))
        if steps % bars:
            raise _error(f"{path}: config.json says {steps} steps in {bars} bars.")
        state = convert_magenta_trio(found.variables, bars=bars, steps_per_bar=steps // bars,
                                     **pitches)
    elif kind == "hierarchical":
        raise _error(
            f"{path} is a hierarchical MusicVAE with one core decoder (such as hierdec-mel_16bar, "
            f"16-bar melodies); sketchml reads Magenta's flat melody models (cat-mel_2bar_*) and "
            f"the hierarchical trio (hierdec-trio_16bar), not this one.")
    else:
        raise _error(
            f"{path} is Magenta's multitrack MusicVAE (hier-multiperf_vel_1bar_med_chords: "
            f"encoder/hierarchical_level_0/ variables). Its events are 418 classes at 24 steps a "
            f"quarter, while sketchml's multitrack model reads a reduced vocabulary of 318 "
            f"classes at 4 steps a quarter, so its weights do not fit; train the multitrack "
            f"model on your MIDI instead (sketchml train musicvae --config "
            f"hier-multiperf_vel_1bar_med_chords).")
    meta = {"format": "sketchml.musicvae/1", "config": json.dumps(
        {"family": "musicvae", "kind": kind, "source": f"magenta {found.kind}",
         "sigma": "encoder/sigma/kernel" in found.variables})}
    return state, meta
