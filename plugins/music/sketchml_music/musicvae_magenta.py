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
Optimizer slots (``.../Adam``, ``beta*_power``) and ``global_step`` are ignored. A
checkpoint without ``encoder/sigma`` (some magenta.js folders leave it out: magenta.js
samples and interpolates with ``mu`` alone) gets ``sigma = 1`` everywhere, which
``encode`` then reports.

Hierarchical checkpoints (``hierdec-trio_16bar``, ``hier-multiperf_vel_1bar_med_chords``,
``decoder/hierarchical_level_0/...``) are recognised and refused with a message.

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

__all__ = ["convert_magenta", "convert_magenta_file"]

_MAGENTA_ENCODER = "encoder/cell_0/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/"
_MAGENTA_DECODER = re.compile(r"decoder/multi_rnn_cell/cell_(\d+)/lstm_cell/(kernel|bias)$")
# softplus(log(e - 1)) = 1: the sigma a checkpoint without encoder/sigma is given.
_UNIT_SIGMA_BIAS = math.log(math.e - 1)


def convert_magenta(variables: dict[str, Any], *, steps: int = 32, min_pitch: int = 21,
                    max_pitch: int = 108) -> dict[str, torch.Tensor]:
    """Magenta's 2-bar melody MusicVAE variables (``cat-mel_2bar_*``) -> this module's state dict.

    Args:
        variables: variable name -> array, as :func:`sketchml_music.magenta_io.read_magenta`
            gives them (optimizer slots and ``global_step`` are ignored).
        steps, min_pitch, max_pitch: the melody coding (Magenta's: 32 steps, pitches 21-108;
            a magenta.js ``config.json`` states them as ``numSteps``, ``minPitch``, ``maxPitch``).
    """
    from sketchml.plugin import WeightsFormatError
    from sketchml_music.magenta_io import lstm_from_tf

    if any("hierarchical_level" in k or k.startswith("core_decoder") for k in variables):
        raise WeightsFormatError(
            "This is a hierarchical MusicVAE checkpoint (a trio or multitrack model: it has "
            "decoder/hierarchical_level_0/ or core_decoder/ variables); sketchml converts the "
            "melody configs cat-mel_2bar_small and cat-mel_2bar_big (and magenta.js melody "
            "models such as mel_2bar_small).")

    def get(name: str) -> np.ndarray:
        if name not in variables:
            raise WeightsFormatError(
                f"These are not 2-bar melody MusicVAE weights: {name!r} is missing (found "
                f"{', '.join(sorted(variables)[:5])}...).")
        return np.asarray(variables[name], np.float32)

    if any(k.startswith("encoder/cell_1/") for k in variables):
        raise WeightsFormatError("This MusicVAE's encoder has several bidirectional layers; the "
                                 "2-bar melody configs sketchml reads have one.")
    classes = 2 + max_pitch - min_pitch + 1
    state: dict[str, torch.Tensor] = {}

    def put(key: str, value: np.ndarray) -> None:
        state[key] = torch.from_numpy(np.ascontiguousarray(value, np.float32))

    for direction, suffix in (("fw", ""), ("bw", "_reverse")):
        prefix = _MAGENTA_ENCODER.format(direction)
        tensors = lstm_from_tf(get(prefix + "kernel"), get(prefix + "bias"), inputs=classes)
        for key, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), tensors):
            put(f"encoder.{key}_l0{suffix}", value)
    mu = get("encoder/mu/kernel")
    z = mu.shape[1]
    put("mu.weight", mu.T)
    put("mu.bias", get("encoder/mu/bias"))
    if "encoder/sigma/kernel" in variables:
        put("sigma.weight", get("encoder/sigma/kernel").T)
        put("sigma.bias", get("encoder/sigma/bias"))
    else:
        put("sigma.weight", np.zeros_like(mu.T))
        put("sigma.bias", np.full(z, _UNIT_SIGMA_BIAS))
    layers = sorted({int(m.group(1)) for k in variables if (m := _MAGENTA_DECODER.match(k))})
    if not layers or layers != list(range(len(layers))):
        raise WeightsFormatError("No decoder/multi_rnn_cell/cell_0/lstm_cell/kernel: these are "
                                 "not MusicVAE decoder weights.")
    size = get("decoder/multi_rnn_cell/cell_0/lstm_cell/bias").shape[0] // 4
    for layer in layers:
        prefix = f"decoder/multi_rnn_cell/cell_{layer}/lstm_cell/"
        tensors = lstm_from_tf(get(prefix + "kernel"), get(prefix + "bias"),
                               inputs=classes + z if layer == 0 else size)
        for key, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), tensors):
            put(f"decoder.{key}_l{layer}", value)
    # TF flattens MultiRNNCell's state as (c, h) per layer; sketchml's initial layer gives
    # every layer's h, then every layer's c.
    count = len(layers)
    kernel, bias = get("decoder/z_to_initial_state/kernel"), get("decoder/z_to_initial_state/bias")
    if kernel.shape != (z, 2 * count * size):
        raise WeightsFormatError(f"decoder/z_to_initial_state/kernel is {kernel.shape}, expected "
                                 f"({z}, {2 * count * size}) for {count} layers of {size}.")
    blocks = [2 * layer + (1 - part) for part in (0, 1) for layer in range(count)]
    order = np.concatenate([np.arange(b * size, (b + 1) * size) for b in blocks])
    put("initial.weight", kernel.T[order])
    put("initial.bias", bias[order])
    head = get("decoder/output_projection/kernel")
    if head.shape != (size, classes):
        raise WeightsFormatError(f"decoder/output_projection/kernel is {head.shape}, expected "
                                 f"({size}, {classes}) for the melody classes.")
    put("head.weight", head.T)
    put("head.bias", get("decoder/output_projection/bias"))
    state["spec"] = torch.tensor([z, steps, min_pitch, max_pitch], dtype=torch.int32)
    return state


def convert_magenta_file(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a MusicVAE checkpoint (``.tar``, ckpt prefix or folder, magenta.js folder) -> ``(state, metadata)``."""
    from sketchml_music.magenta_io import read_magenta

    found = read_magenta(path)
    args = found.config.get("dataConverter", {}).get("args", {}) if found.config else {}
    coding = {"steps": int(args.get("numSteps", 32)), "min_pitch": int(args.get("minPitch", 21)),
              "max_pitch": int(args.get("maxPitch", 108))}
    state = convert_magenta(found.variables, **coding)
    meta = {"format": "sketchml.musicvae/1", "config": json.dumps(
        {"family": "musicvae", "z": int(state["spec"][0]), "source": f"magenta {found.kind}",
         "sigma": "encoder/sigma/kernel" in found.variables})}
    return state, meta
