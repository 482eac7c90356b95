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

The multitrack model ``hier-multiperf_vel_1bar_med_chords`` (and ``..._med``, ``..._big``,
``..._big_chords``; magenta.js's ``multitrack*`` folders) maps onto
:class:`sketchml_music.musicvae_hier.MultitrackNet` in Magenta's published vocabulary
(490 event classes; :func:`convert_magenta_multitrack`)::

    encoder/hierarchical_level_0/cell_{k}/bidirectional_rnn/fw|bw/multi_rnn_cell/cell_0/lstm_cell/...
                                                                 encoders.0.*_l{k}[_reverse] (input:
                                                                   the event's one-hot (490), then
                                                                   the chord's (49, or none))
    encoder/hierarchical_level_1/cell_{k}/bidirectional_rnn/...  encoders.1.*_l{k}[_reverse] (input:
                                                                   the instruments' [fw, bw] states)
    encoder/mu, encoder/sigma                                    mu, sigma
    decoder/hierarchical_level_0/initial_state, cell_{k}         conductor_initial, conductor (8 steps)
    core_decoder/decoder/z_to_initial_state/kernel, bias         core.initial (h/c reordered)
    core_decoder/decoder/multi_rnn_cell/cell_{k}/lstm_cell/...   core.lstm.*_l{k} (input: one-hot,
                                                                   conductor output, chord)
    core_decoder/decoder/output_projection/kernel, bias          core.head (490 classes)

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

__all__ = ["convert_magenta", "convert_magenta_file", "convert_magenta_multitrack",
           "convert_magenta_trio", "kind_of"]

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

    def bidirectional(self, prefix: str, key: str, inputs: int) -> tuple[int, int]:
        """A stacked bidirectional LSTM under ``prefix`` (``encoder/``) -> ``key`` (``encoder.``);
        returns ``(layers, size)``."""
        pattern = prefix + _ENCODER[len("encoder/"):]
        layers = size = 0
        while f"{pattern.format(layer=layers, direction='fw')}kernel" in self.variables:
            for direction, suffix in (("fw", ""), ("bw", "_reverse")):
                size = self.lstm(pattern.format(layer=layers, direction=direction),
                                 key + "{}_l" + str(layers) + suffix,
                                 inputs if layers == 0 else 2 * size)
            layers += 1
        if not layers:
            self.get(pattern.format(layer=0, direction="fw") + "kernel")
        return layers, size

    def encoder(self, inputs: int) -> tuple[int, int]:
        """The (stacked) bidirectional encoder, ``mu`` and ``sigma``; returns ``(z, layers)``."""
        layers, size = self.bidirectional("encoder/", "encoder.", inputs)
        return self.latent(size), layers

    def latent(self, size: int) -> int:
        """``encoder/mu`` and ``encoder/sigma`` over an encoding of ``2 * size``; returns z's size."""
        mu = self.dense("encoder/mu", "mu")
        if mu.shape[0] != 2 * size:
            raise _error(f"encoder/mu/kernel is {mu.shape}; the encoder gives {2 * size} numbers.")
        z = mu.shape[1]
        if "encoder/sigma/kernel" in self.variables:
            self.dense("encoder/sigma", "sigma", mu.shape)
        else:
            self.put("sigma.weight", np.zeros_like(mu.T))
            self.put("sigma.bias", np.full(z, _UNIT_SIGMA_BIAS))
        return z


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


def convert_magenta_multitrack(variables: dict[str, Any], *, instruments: int = 8, events: int = 64,
                               steps_per_quarter: int = 24, min_pitch: int = 0,
                               max_pitch: int = 127, max_shift: int | None = None,
                               velocity_bins: int = 8) -> dict[str, torch.Tensor]:
    """Magenta's multitrack variables (``hier-multiperf_vel_1bar_med_chords``, ``..._med``,
    ``..._big[_chords]``) -> :class:`~sketchml_music.musicvae_hier.MultitrackNet`'s state dict,
    in the published coding (:meth:`~sketchml_music.musicvae_hier.MultitrackCoding.published`).

    The two encoder levels (``encoder/hierarchical_level_{0,1}/cell_{k}/bidirectional_rnn/
    fw|bw/...``) -> ``encoders.0`` / ``encoders.1``; ``encoder/mu``, ``encoder/sigma``; the
    conductor (``decoder/hierarchical_level_0/``) as for the trio; the one core decoder
    (``core_decoder/decoder/``: ``z_to_initial_state``, ``multi_rnn_cell/cell_{k}``,
    ``output_projection``) -> ``core.initial`` / ``core.lstm`` / ``core.head``. The event
    classes read from ``output_projection`` must be the coding's (490 for the published
    layout: 128 note-ons, 128 note-offs, 96 shifts, 8 velocity bins, 129 programs, end); the
    chord classes are read from the encoder's input (49 with chords, 0 without).
    """
    from sketchml_music.musicvae_hier import CHORD_CLASSES, MultitrackCoding

    mapper = _Mapper(variables, "multitrack MusicVAE")
    head = mapper.get("core_decoder/decoder/output_projection/bias")
    depth = head.shape[0]
    max_shift = max_shift or 4 * steps_per_quarter
    coding = MultitrackCoding.published(instruments=instruments, events=events,
                                        steps_per_quarter=steps_per_quarter,
                                        velocity_bins=velocity_bins, min_pitch=min_pitch,
                                        max_pitch=max_pitch, max_shift=max_shift)
    if coding.classes != depth:
        raise _error(
            f"This multitrack MusicVAE predicts {depth} event classes, but pitches {min_pitch}-"
            f"{max_pitch}, time shifts of 1-{max_shift} steps, {velocity_bins} velocity bins "
            f"and 130 program and end tokens make {coding.classes}. Magenta's published layout "
            f"has 490 classes (pitches 0-127, 24 steps a quarter, shifts up to 96, 8 velocity "
            f"bins); a magenta.js config.json states another one (MultitrackConverter's args).")
    level0 = "encoder/hierarchical_level_0/" + _ENCODER[len("encoder/"):].format(layer=0, direction="fw")
    kernel, bias = mapper.get(level0 + "kernel"), mapper.get(level0 + "bias")
    chords = kernel.shape[0] - bias.shape[0] // 4 - depth
    if chords not in (0, CHORD_CLASSES):
        raise _error(f"This multitrack MusicVAE's encoder reads {chords} numbers beside the "
                     f"{depth} event classes; Magenta's reads {CHORD_CLASSES} (triad chords) "
                     f"or none.")
    layers0, size0 = mapper.bidirectional("encoder/hierarchical_level_0/", "encoders.0.",
                                          depth + chords)
    layers1, size1 = mapper.bidirectional("encoder/hierarchical_level_1/", "encoders.1.", 2 * size0)
    if (layers0, size0) != (layers1, size1):
        raise _error(f"The encoder's levels are {layers0} x {size0} and {layers1} x {size1}; "
                     f"Magenta's (and sketchml's) use one size for both.")
    z = mapper.latent(size1)
    layers, size = mapper.stack(_CONDUCTOR, "conductor.{}_l", 1)
    mapper.initial(_CONDUCTOR + "initial_state", "conductor_initial", z, layers, size)
    core = "core_decoder/decoder/"
    core_layers, core_size = mapper.stack(core, "core.lstm.{}_l", depth + size + chords)
    if (core_layers, core_size) != (layers, size):
        raise _error(f"The core decoder is {core_layers} x {core_size} but the conductor is "
                     f"{layers} x {size}; Magenta's (and sketchml's) use one size for both.")
    mapper.initial(core + "z_to_initial_state", "core.initial", size, layers, size)
    mapper.dense(core + "output_projection", "core.head", (size, depth))
    spec = [z, instruments, events, steps_per_quarter, coding.velocity_bins, min_pitch, max_pitch,
            chords, max_shift]
    mapper.state["multitrack_spec"] = torch.tensor(spec, dtype=torch.int32)
    return mapper.state


def convert_magenta_file(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a MusicVAE checkpoint (``.tar``, ckpt prefix or folder, magenta.js folder) -> ``(state, metadata)``.

    Melody, hierarchical trio and multitrack models are read; the coding (steps, bars, pitch
    range, instruments...) comes from a magenta.js ``config.json`` where there is one, else
    Magenta's published configs' (32 steps; 16 bars of 16 steps; pitches 21-108; for the
    multitrack, 8 instruments of 64 events at 24 steps a quarter, pitches 0-127).
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
        # magenta.js's MultitrackConverter states the coding in config.json; a TensorFlow
        # checkpoint has none, and gets the published config's (8 instruments of 64 events,
        # 24 steps a quarter, pitches 0-127, shifts up to a 96-step bar).
        segments = int(args.get("numSegments", 8))
        state = convert_magenta_multitrack(
            found.variables, instruments=segments,
            events=int(args.get("numSteps", 64 * segments)) // segments,
            steps_per_quarter=int(args.get("stepsPerQuarter", 24)),
            min_pitch=int(args.get("minPitch", 0)), max_pitch=int(args.get("maxPitch", 127)),
            max_shift=int(args["totalSteps"]) if "totalSteps" in args else None,
            velocity_bins=int(args.get("numVelocityBins", 8)))
    meta = {"format": "sketchml.musicvae/1", "config": json.dumps(
        {"family": "musicvae", "kind": kind, "source": f"magenta {found.kind}",
         "sigma": "encoder/sigma/kernel" in found.variables})}
    return state, meta
