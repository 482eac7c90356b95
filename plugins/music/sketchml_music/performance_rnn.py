"""Performance RNN: expressive piano as a stream of note-on, note-off, time-shift and velocity events.

After Simon & Oore, "Performance RNN: Generating Music with Expressive Timing and Dynamics"
(Magenta blog, 2017) and Oore et al. (2018). The event encoding is Magenta's
(:mod:`sketchml_music.events`); the network is Magenta's ``performance_rnn`` graph: the
one-hot event (plus the control signals of the *next* event, when conditioned) feeds a
stack of LSTM layers and a linear layer over the event classes. The published configs
(:data:`CONFIGS`) differ in velocity bins and conditioning; all use 3 layers of 512 units.

Generation samples one event at a time with a temperature, optionally keeping the most
likely of ``beam_size`` x ``branch_factor`` continuations (Magenta's beam search), and
stops when the performance reaches ``seconds``. Conditioning steers the next events: a
note density (note-ons per second) and a pitch-class histogram (12 weights or a key).

Weights layout (sketchml's own; safetensors)::

    spec                (5,)     int32   velocity_bins, max_shift_steps, steps_per_second,
                                         density conditioned (0/1), pitch conditioned (0/1)
    rnn.weight_ih_l0    (4H, V + C)      torch.nn.LSTM layout (gates i, f, g, o); input is
                                         the one-hot event (V classes) then the controls:
                                         8 density bins, then 12 pitch-class shares
    rnn.weight_hh_l{k}  (4H, H);  rnn.weight_ih_l{k>0} (4H, H);  rnn.bias_*_l{k} (4H,)
    head.weight (V, H), head.bias (V,)

The first input of a performance is a blank event (all zeros but the controls), so a
network can start from nothing as well as from a primer.

Magenta's published checkpoints (``performance.mag``, ``performance_with_dynamics.mag``,
``density_conditioned_...``, ``pitch_conditioned_...``, ``multiconditioned_...`` and
``optional_multiconditioned_performance_with_dynamics.mag``) load unchanged:
``sk.model("performance_rnn", weights="performance_with_dynamics.mag")`` converts the
bundle once (no TensorFlow: :mod:`sketchml_music.magenta_io` reads it) into safetensors
in sketchml's cache, and ``scripts/convert_magenta_checkpoint.py`` writes the file where
you choose. The bundle's generator id names the config. :func:`convert_magenta` maps the
variables of Magenta's ``events_rnn_graph`` (a ``MultiRNNCell`` of ``BasicLSTMCell`` s and
a linear layer)::

    TensorFlow variable                                     sketchml key (transform)
    rnn/multi_rnn_cell/cell_{k}/basic_lstm_cell/kernel      rnn.weight_ih_l{k}, rnn.weight_hh_l{k}
        (I + H, 4H), gates i, j, f, o, applied to [x, h]      kernel transposed, split at I, gate
                                                              blocks reordered to i, f, j, o
    rnn/multi_rnn_cell/cell_{k}/basic_lstm_cell/bias (4H,)  rnn.bias_ih_l{k} (reordered, + 1.0 on
                                                              the forget gate: TF adds it at run
                                                              time), rnn.bias_hh_l{k} = 0
    fully_connected/weights (H, V), fully_connected/biases  head.weight (transposed), head.bias

(Older TensorFlow spelled the cell's variables ``weights`` / ``biases`` and some graphs
name the cell ``lstm_cell``; both are read.) Magenta's input at layer 0 is the controls
first (for the ``optional_`` config a leading "conditioning off" flag, then 8 density bins,
then 12 pitch-class shares) and the event's one-hot last; sketchml's is the one-hot first,
so the columns of ``weight_ih_l0`` are moved, and the flag's column is dropped (the flag
is 0 whenever conditioning is on, so it adds nothing).
"""
from __future__ import annotations

import json
import math
import os
import re
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import (TrainingRun, TrainSettings, check_state_keys, did_you_mean,
                             load_state_checked, setting)
from sketchml_music.events import (DENSITY_BINS, EventDecoder, PerformanceEncoding,
                                   key_histogram, note_density, pitch_histogram)

__all__ = ["CONFIGS", "PerformanceRNN", "PerformanceRNNNet", "PerformanceRNNTraining",
           "convert_magenta", "convert_magenta_file", "event_log_likelihood",
           "train_performance_rnn"]

EXPORT_NAME = "performance_rnn.safetensors"
DENSITY_SIZE = len(DENSITY_BINS) + 1

# Magenta's published configs (performance_model.py): sizes [512, 512, 512], batch 64,
# learning rate 0.001, gradient clip norm 3.
CONFIGS: dict[str, dict[str, Any]] = {
    "performance": {"velocity_bins": 0, "density": False, "pitch": False},
    "performance_with_dynamics": {"velocity_bins": 32, "density": False, "pitch": False},
    "density_conditioned_performance_with_dynamics":
        {"velocity_bins": 32, "density": True, "pitch": False},
    "pitch_conditioned_performance_with_dynamics":
        {"velocity_bins": 32, "density": False, "pitch": True},
    "multiconditioned_performance_with_dynamics":
        {"velocity_bins": 32, "density": True, "pitch": True},
}
PUBLISHED_SIZE = {"hidden": 512, "layers": 3}


class PerformanceRNNNet(nn.Module):
    """One-hot event (+ controls) -> LSTM layers -> logits over the event classes.

    Args:
        encoding: the event vocabulary.
        density: whether a note-density control is part of the input.
        pitch: whether a pitch-class histogram control is part of the input.
        hidden: units per LSTM layer (512 as published).
        layers: LSTM layers (3 as published).

    Examples:
        >>> from sketchml_music.events import PerformanceEncoding
        >>> net = PerformanceRNNNet(PerformanceEncoding(), density=True, pitch=True,
        ...                         hidden=16, layers=1)
        >>> events = torch.full((2, 5), -1)
        >>> logits, _ = net(events, torch.zeros(2, 5, net.control_size))
        >>> tuple(logits.shape)
        (2, 5, 388)
    """

    def __init__(self, encoding: PerformanceEncoding, *, density: bool = True, pitch: bool = True,
                 hidden: int = 512, layers: int = 3) -> None:
        super().__init__()
        self.encoding = encoding
        self.density = density
        self.pitch = pitch
        self.register_buffer("spec", torch.tensor(
            [encoding.velocity_bins, encoding.max_shift_steps, encoding.steps_per_second,
             int(density), int(pitch)], dtype=torch.int32))
        self.rnn = nn.LSTM(encoding.num_classes + self.control_size, hidden, layers,
                           batch_first=True)
        self.head = nn.Linear(hidden, encoding.num_classes)
        # The input is one-hot, so each event reaches the cells through one column of
        # weight_ih_l0: at torch's default scale (+/- 1/sqrt(hidden)) that signal is so faint
        # that training sits at the unigram loss for hundreds of steps. Columns of unit scale
        # (what an embedding of the events would give) start learning at once.
        with torch.no_grad():
            self.rnn.weight_ih_l0.normal_(0.0, 1.0)

    @property
    def control_size(self) -> int:
        """How many control values follow the one-hot event in each input."""
        return DENSITY_SIZE * self.density + 12 * self.pitch

    @property
    def hidden(self) -> int:
        """Units per LSTM layer."""
        return self.rnn.hidden_size

    @property
    def layers(self) -> int:
        """Number of LSTM layers."""
        return self.rnn.num_layers

    def forward(self, events: torch.Tensor, controls: torch.Tensor | None = None,
                state: Any = None) -> tuple[torch.Tensor, Any]:
        """Logits ``(N, T, V)`` for the event after each of ``events`` ``(N, T)`` (-1 = blank).

        ``controls`` ``(N, T, C)`` are the controls of the events being predicted.
        """
        v = self.encoding.num_classes
        x = F.one_hot(events.clamp(min=-1) + 1, v + 1)[..., 1:].float()
        if self.control_size:
            if controls is None:
                raise sk.SketchmlError("This Performance RNN is conditioned: pass controls.")
            x = torch.cat([x, controls.to(x.dtype)], dim=-1)
        out, state = self.rnn(x, state)
        return self.head(out), state

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], source: str) -> PerformanceRNNNet:
        """Rebuild and load the network a state dict in this module's layout came from."""
        check_state_keys(state, ("spec", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"),
                         source=source, what="Performance RNN weights",
                         how="Load a file written by sketchml's Performance RNN training "
                             "(`sketchml train performance_rnn FOLDER --out DIR`).")
        bins, shift, rate, density, pitch = (int(v) for v in state["spec"].tolist())
        encoding = PerformanceEncoding(velocity_bins=bins, max_shift_steps=shift,
                                       steps_per_second=rate)
        layers = sum(1 for k in state if re.fullmatch(r"rnn\.weight_hh_l\d+", k))
        net = cls(encoding, density=bool(density), pitch=bool(pitch),
                  hidden=state["rnn.weight_hh_l0"].shape[1], layers=layers)
        load_state_checked(net, state, source=source, what="Performance RNN")
        return net


_MAGENTA_CELL = re.compile(
    r"rnn/multi_rnn_cell/cell_(\d+)/(?:basic_lstm_cell|lstm_cell)/(kernel|bias|weights|biases)$")
OPTIONAL_CONFIG = "optional_multiconditioned_performance_with_dynamics"


def convert_magenta(variables: dict[str, np.ndarray], config: str) -> dict[str, torch.Tensor]:
    """Magenta's Performance RNN variables (a ``.mag`` bundle's) -> this module's state dict.

    Args:
        variables: variable name -> array, as :func:`sketchml_music.magenta_io.read_magenta`
            gives them (optimizer slots and ``global_step`` are ignored).
        config: the Magenta config the weights belong to (a ``.mag`` bundle's generator id):
            one of :data:`CONFIGS` or ``optional_multiconditioned_performance_with_dynamics``.

    Examples:
        >>> import numpy as np
        >>> tf = {"rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel": np.zeros((356 + 4, 16)),
        ...       "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias": np.zeros(16),
        ...       "fully_connected/weights": np.zeros((4, 356)), "fully_connected/biases": np.zeros(356)}
        >>> state = convert_magenta(tf, "performance")
        >>> tuple(state["rnn.weight_ih_l0"].shape), state["spec"].tolist()
        ((16, 356), [0, 100, 100, 0, 0])
    """
    from sketchml.plugin import WeightsFormatError
    from sketchml_music.magenta_io import lstm_from_tf

    optional = config == OPTIONAL_CONFIG
    settings = CONFIGS["multiconditioned_performance_with_dynamics"] if optional else CONFIGS.get(config)
    if settings is None:
        raise WeightsFormatError(
            f"Magenta config {config!r} is not one sketchml's Performance RNN can run: it reads "
            f"{', '.join([*CONFIGS, OPTIONAL_CONFIG])} (the modulo- and note-encoded configs use "
            f"other event encodings).{did_you_mean(config, [*CONFIGS, OPTIONAL_CONFIG])}")
    cells: dict[int, dict[str, np.ndarray]] = {}
    for name, value in variables.items():
        found = _MAGENTA_CELL.match(name)
        if found:
            kind = {"weights": "kernel", "biases": "bias"}.get(found.group(2), found.group(2))
            cells.setdefault(int(found.group(1)), {})[kind] = np.asarray(value, np.float32)
    head_w, head_b = variables.get("fully_connected/weights"), variables.get("fully_connected/biases")
    if not cells or head_w is None or head_b is None or sorted(cells) != list(range(len(cells))) \
            or any(set(c) != {"kernel", "bias"} for c in cells.values()):
        raise WeightsFormatError(
            f"These are not Performance RNN weights: expected rnn/multi_rnn_cell/cell_0/"
            f"basic_lstm_cell/kernel|bias (one per layer) and fully_connected/weights|biases; "
            f"found {', '.join(sorted(variables)[:6])}...")
    hidden = {c["bias"].shape[0] // 4 for c in cells.values()}
    if len(hidden) != 1:
        raise WeightsFormatError(f"The LSTM layers have different sizes ({sorted(hidden)}); "
                                 f"Magenta's configs use one size for every layer.")
    size = hidden.pop()
    classes = head_b.shape[0]
    encoding = PerformanceEncoding(velocity_bins=settings["velocity_bins"])
    if classes != encoding.num_classes or head_w.shape != (size, classes):
        raise WeightsFormatError(
            f"The output layer is {tuple(head_w.shape)} but config {config!r} has "
            f"{encoding.num_classes} event classes with {size} units: the checkpoint does not "
            f"belong to this config.")
    controls = DENSITY_SIZE * settings["density"] + 12 * settings["pitch"]
    flag = int(optional)
    inputs = flag + controls + classes
    state: dict[str, torch.Tensor] = {}
    for layer, cell in sorted(cells.items()):
        w_ih, w_hh, b_ih, b_hh = lstm_from_tf(cell["kernel"], cell["bias"],
                                              inputs=inputs if layer == 0 else size)
        if layer == 0:
            # Magenta: [flag, controls, event one-hot]; sketchml: [event one-hot, controls].
            w_ih = np.concatenate([w_ih[:, flag + controls:], w_ih[:, flag:flag + controls]], 1)
        for key, value in (("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih),
                           ("bias_hh", b_hh)):
            state[f"rnn.{key}_l{layer}"] = torch.from_numpy(np.ascontiguousarray(value))
    state["head.weight"] = torch.from_numpy(np.ascontiguousarray(head_w.T, np.float32))
    state["head.bias"] = torch.from_numpy(np.asarray(head_b, np.float32))
    state["spec"] = torch.tensor([encoding.velocity_bins, encoding.max_shift_steps,
                                  encoding.steps_per_second, int(settings["density"]),
                                  int(settings["pitch"])], dtype=torch.int32)
    return state


def convert_magenta_file(path: str | os.PathLike[str], config: str | None = None
                         ) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a ``.mag`` bundle (or a TF checkpoint with ``config``) -> ``(state dict, metadata)``."""
    from sketchml.plugin import WeightsFormatError
    from sketchml_music.magenta_io import read_magenta

    found = read_magenta(path)
    config = config or found.id
    if config is None:
        raise WeightsFormatError(
            f"{path} is a TensorFlow checkpoint without a generator id: say which Performance RNN "
            f"config it is (convert_magenta_checkpoint.py --config NAME), one of "
            f"{', '.join([*CONFIGS, OPTIONAL_CONFIG])}.")
    state = convert_magenta(found.variables, config)
    layers = sum(1 for k in state if k.startswith("rnn.weight_hh_l"))
    meta = {"format": "sketchml.performance_rnn/1", "config": json.dumps(
        {"family": "performance_rnn", "config": config, "hidden": int(state["rnn.weight_hh_l0"].shape[1]),
         "layers": layers, "source": f"magenta {found.kind}"})}
    return state, meta


def _controls(net: PerformanceRNNNet, density: np.ndarray | None,
              histogram: np.ndarray | None) -> np.ndarray:
    """Control rows ``(T, C)`` from per-event densities ``(T,)`` and histograms ``(T, 12)``."""
    parts = []
    length = len(density) if density is not None else len(histogram)  # type: ignore[arg-type]
    if net.density:
        onehot = np.zeros((length, DENSITY_SIZE), np.float32)
        onehot[np.arange(length), np.searchsorted(DENSITY_BINS, density, side="right")] = 1
        parts.append(onehot)
    if net.pitch:
        parts.append(np.asarray(histogram, np.float32))
    return np.concatenate(parts, axis=1) if parts else np.zeros((length, 0), np.float32)


def _performance_controls(net: PerformanceRNNNet, events: Sequence[int]) -> np.ndarray:
    """The controls measured on a real performance, event by event ``(T, C)``."""
    code = net.encoding
    density = note_density(code, events) if net.density else None
    histogram = pitch_histogram(code, events) if net.pitch else None
    if density is None and histogram is None:
        return np.zeros((len(events), 0), np.float32)
    return _controls(net, density, histogram)


@torch.no_grad()
def event_log_likelihood(net: PerformanceRNNNet, performances: Sequence[Sequence[int]]) -> float:
    """Mean log-likelihood per event (nats; higher is better) of whole performances.

    Each performance is read from its start, with the controls measured on it.

    Examples:
        >>> from sketchml_music.events import PerformanceEncoding
        >>> net = PerformanceRNNNet(PerformanceEncoding(), hidden=8, layers=1)
        >>> -7 < event_log_likelihood(net, [[60, 300, 188]]) < 0
        True
    """
    device = net.head.weight.device
    total, count = 0.0, 0
    was_training = net.training
    net.eval()
    for events in performances:
        if not len(events):
            continue
        targets = torch.tensor(list(events), dtype=torch.long, device=device)
        inputs = torch.cat([targets.new_full((1,), -1), targets[:-1]])
        controls = torch.from_numpy(_performance_controls(net, events)).to(device)
        logits, _ = net(inputs[None], controls[None])
        total -= float(F.cross_entropy(logits[0], targets, reduction="sum"))
        count += len(targets)
    net.train(was_training)
    if not count:
        raise sk.SketchmlError("event_log_likelihood needs at least one non-empty performance.")
    return total / count


# -- primers and controls from the user --------------------------------------------------------

def _primer_notes(primer: Any) -> sk.Notes | None:
    """Notes from a primer: pitches (a chord), a melody, a MIDI file, or notes."""
    if primer is None:
        return None
    if isinstance(primer, (str, os.PathLike)):
        from sketchml.plugin import read_midi

        return sk.Notes(read_midi(primer))
    if isinstance(primer, (list, tuple)) and primer and all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in primer):
        values = [int(p) for p in primer]
        if any(p > 127 or p < -2 for p in values):
            raise sk.SketchmlError(f"primer pitches must be MIDI numbers 0-127 (melodies may use "
                                   f"-1 = stop, -2 = hold), got {primer!r}.")
        if min(values) >= 0:
            # Magenta's primer_pitches: a chord held for one second.
            return sk.Notes([{"pitch": p, "velocity": 80, "start_time": 0.0, "end_time": 1.0}
                             for p in values])
        return _melody_notes(values)
    try:
        return sk.Notes(primer)
    except sk.SketchmlError as exc:
        raise sk.SketchmlError(
            f"primer must be pitches ([60, 64, 67] = a chord), a melody ([60, -2, 62, -1], one "
            f"sixteenth note at 120 bpm per value: -2 holds, -1 stops), a MIDI file path, or "
            f"notes (sk.Notes or a NoteSequence); got {type(primer).__name__}."
        ) from exc


def _melody_notes(values: list[int]) -> sk.Notes:
    """Magenta's melody lists: one value per sixteenth at 120 bpm; -2 holds, -1 stops."""
    step = 0.125
    notes, current, began = [], None, 0.0
    for i, value in enumerate(values + [-1]):
        if value == -2:
            continue
        if current is not None:
            notes.append({"pitch": current, "velocity": 80, "start_time": began, "end_time": i * step})
        current, began = (value, i * step) if value >= 0 else (None, 0.0)
    return sk.Notes(notes)


def _control_value(value: Any) -> Callable[[], Any]:
    """A zero-argument function giving the value (a constant or the user's function)."""
    return value if callable(value) else (lambda: value)


def _fresh_seed() -> int:
    """A new seed to record, so a result made without one can be made again."""
    import secrets

    return secrets.randbits(62)


def _check_density(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(float(value)) or value < 0:
        raise sk.SketchmlError(f"notes_per_second must be a number >= 0 (e.g. 2 for sparse, 8 "
                               f"for busy), got {value!r}.")
    return float(value)


# -- the family ----------------------------------------------------------------------------------

@dataclass
class PerformanceRNNTraining(TrainSettings):
    """What ``PerformanceRNN.train`` and ``sketchml train performance_rnn`` take.

    Examples:
        >>> PerformanceRNNTraining.build("performance_rnn", {"hidden": 16}).layers
        3
    """

    batch_size: int = setting(64, "windows per step (64, as published)")
    config: str = setting("multiconditioned_performance_with_dynamics",
                          "one of Magenta's Performance RNN configs (CONFIGS)")
    hidden: int = setting(512, "units per LSTM layer (512, as published)")
    layers: int = setting(3, "LSTM layers (3, as published)")
    length: int = setting(256, "events per training window")
    lr: float = setting(0.001, "Adam's learning rate (as published); gradients are clipped at "
                               "norm 3")
    transpose: int = setting(3, "each window is transposed by a random number of semitones in "
                                "-transpose..transpose (as Magenta does)")
    stretch: float = setting(0.05, "each window's time is stretched by a random factor in "
                                   "1 +/- stretch (as Magenta does)")
    validation: float = setting(0.1, "the share of pieces held out (by a stable hash of their "
                                     "names) to measure val_ll, the per-event log-likelihood")
    eval_every: int | None = setting(None, "steps between validation measurements (default: "
                                           "ten over the run)")
    sample_every: int | None = setting(None, "not used: a Performance RNN run writes no "
                                             "samples", flag=False)


class PerformanceRNN(sk.Model):
    """Expressive piano from Magenta's Performance RNN: temperature, primer, density and key.

    ``sk.model("performance_rnn")`` is ``performance_rnn.default``: Magenta's
    multiconditioned-with-dynamics config at a small size (one LSTM layer of 256), trained offline
    on the Bach works in music21's corpus (``scripts/train_performance_rnn_default.py``).
    ``sk.model("performance_rnn", weights=DIR)`` loads one you trained into ``DIR``.

    Examples:
        >>> import sketchml as sk
        >>> rnn = sk.model("performance_rnn", device="cpu")
        >>> tune = rnn.generate(seconds=4, notes_per_second=4, pitch_histogram="C major", seed=1)
        >>> tune.total_time <= 4.0 and len(tune) > 0
        True
    """

    TrainSettings = PerformanceRNNTraining

    def load(self) -> None:
        state, source = self._find_weights()
        self.network = PerformanceRNNNet.from_state_dict(state, source).to(self.device).eval()
        self.source = source

    def _find_weights(self) -> tuple[dict[str, torch.Tensor], str]:
        given = Path(self.weights).expanduser() if self.weights is not None else None
        if given is not None and given.suffix == ".mag":
            from sketchml.plugin import load_weights
            from sketchml_music.magenta_io import converted

            if not given.is_file():
                raise sk.SketchmlError(f"No Magenta bundle at {str(given)!r}: download one of "
                                       f"Magenta's .mag files (see the Performance RNN lesson).")
            return load_weights(converted(given, self.family, convert_magenta_file)), repr(str(given))
        if given is None or not given.is_dir():
            return self.load_weights(), repr(str(given)) if given else f"model {self.name!r}"
        from sketchml.plugin import run_weights

        found = run_weights(given, export=EXPORT_NAME, models=("model",))
        if found is not None:
            return found
        raise sk.SketchmlError(
            f"{str(given)!r} holds no trained Performance RNN: no {EXPORT_NAME} and no "
            f"checkpoints/. Train one there with `sketchml train performance_rnn MIDI_FOLDER "
            f"--out {given}`, or pass the path of a .safetensors file."
        )

    @property
    def encoding(self) -> PerformanceEncoding:
        """The event vocabulary of this model."""
        return self.network.encoding

    # -- generating ---------------------------------------------------------------------------

    def _prepare(self, primer: Any, notes_per_second: Any, pitch_histogram: Any,
                 temperature: float, seconds: float, beam_size: int, branch_factor: int
                 ) -> tuple[list[int], sk.Notes | None, Callable[[], np.ndarray]]:
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
                or not math.isfinite(temperature) or temperature <= 0:
            raise sk.SketchmlError(f"temperature must be a number above 0 (1.0 samples as "
                                   f"trained, lower is tamer), got {temperature!r}.")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0 \
                or not math.isfinite(seconds):
            raise sk.SketchmlError(f"seconds is how long the performance lasts, a number above "
                                   f"0; got {seconds!r}.")
        for name, value in (("beam_size", beam_size), ("branch_factor", branch_factor)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise sk.SketchmlError(f"{name} must be a whole number >= 1, got {value!r}.")
        net = self.network
        if notes_per_second is not None and not net.density:
            raise sk.SketchmlError(f"{self.name} is not density-conditioned, so it cannot take "
                                   f"notes_per_second; train a density-conditioned config.")
        if pitch_histogram is not None and not net.pitch:
            raise sk.SketchmlError(f"{self.name} is not pitch-conditioned, so it cannot take "
                                   f"pitch_histogram; train a pitch-conditioned config.")
        notes = _primer_notes(primer)
        events = self.encoding.encode(notes) if notes is not None else []
        if notes is not None:
            # A primer that ends in silence keeps its length.
            rate = self.encoding.steps_per_second
            events += self.encoding.shifts(round(notes.total_time * rate) - self.encoding.duration(events))
        density = _control_value(notes_per_second)
        histogram = _control_value(pitch_histogram)
        # Unconditioned means the training data's own: a typical density, no key preference.
        fallback_density = 6.0

        def controls() -> np.ndarray:
            d = density()
            h = histogram()
            row_density = np.array([_check_density(d) if d is not None else fallback_density])
            row_histogram = (key_histogram(h) if h is not None else np.full(12, 1 / 12))[None]
            return _controls(net, row_density, row_histogram)[0]

        controls()  # refuse bad values before any work
        return events, notes, controls

    @torch.no_grad()
    def _events(self, n: int, primer_events: list[int], controls: Callable[[], np.ndarray],
                seconds: float, temperature: float, beam_size: int, branch_factor: int,
                seed: int | None) -> Iterator[tuple[int, list[int]]]:
        """Yield ``(index, events)`` as each of the ``n`` performances grows.

        With a beam, the surviving continuations are chosen every event, so each yield
        holds the events the best beam has settled (all its events: they can change).
        """
        net, code, device = self.network, self.encoding, self.device
        gen = self.generator(seed)
        width = beam_size
        rows = n * width
        end_step = round(seconds * code.steps_per_second)
        history = [[*primer_events] for _ in range(rows)]
        steps = torch.tensor([code.duration(primer_events)] * rows)
        score = torch.zeros(rows, dtype=torch.float64)
        inputs = torch.tensor([-1] + primer_events, dtype=torch.long, device=device)[None].repeat(rows, 1)
        control = torch.from_numpy(controls()).to(device)
        logits, state = net(inputs, control.expand(rows, inputs.shape[1], -1))
        logits = logits[:, -1]
        shift_sizes = torch.zeros(code.num_classes, dtype=torch.long)
        shift_sizes[code.shift_offset:code.velocity_offset] = torch.arange(1, code.max_shift_steps + 1)
        while bool((steps < end_step).any()):
            branch = branch_factor
            logp = torch.log_softmax(logits.double().cpu() / temperature, dim=-1)
            if branch > 1:
                logp = logp.repeat_interleave(branch, 0)
            choice = torch.multinomial(logp.exp(), 1, generator=gen)[:, 0]
            gained = logp.gather(1, choice[:, None])[:, 0]
            candidate_steps = steps.repeat_interleave(branch) + shift_sizes[choice]
            # Finished performances keep their score and take no more events.
            finished = steps.repeat_interleave(branch) >= end_step
            candidate_score = score.repeat_interleave(branch) + torch.where(finished, 0.0, gained)
            if branch > 1:
                per = candidate_score.view(n, width * branch)
                keep = per.topk(min(width, width * branch), dim=1).indices
                pick = (keep + torch.arange(n)[:, None] * width * branch).reshape(-1)
            else:
                pick = torch.arange(rows)
            source = pick // branch
            choice, score = choice[pick], candidate_score[pick]
            was_finished = finished[pick]
            steps = torch.where(was_finished, steps[source], candidate_steps[pick])
            if width == 1 and branch == 1:
                for row, c, f in zip(history, choice.tolist(), was_finished.tolist()):
                    if not f:
                        row.append(c)
            else:
                history = [history[s] + ([] if f else [c]) for s, c, f in
                           zip(source.tolist(), choice.tolist(), was_finished.tolist())]
            if width * branch > 1:
                state = tuple(s[:, source.to(device)] for s in state)
            for i in range(n):
                yield i, history[i * width]
            control = torch.from_numpy(controls()).to(device)
            feed = choice.to(device)[:, None]
            logits, state = net(feed, control.expand(rows, 1, -1), state)
            logits = logits[:, -1]

    def _finish(self, events: list[int], seconds: float) -> list[dict[str, Any]]:
        notes = self.encoding.decode(events)
        return [{**note, "end_time": min(note["end_time"], seconds)} for note in notes
                if note["start_time"] < seconds]

    def generate(self, latent: Any = None, *, seconds: float = 10.0, temperature: float = 1.0,
                 primer: Any = None, notes_per_second: Any = None, pitch_histogram: Any = None,
                 beam_size: int = 1, branch_factor: int = 1,
                 seed: int | None = None) -> sk.Notes | list[sk.Notes]:
        """Play a performance ``seconds`` long (the primer included, as Magenta counts).

        Args:
            latent: ``None`` for one performance, a count ``n`` for a list of ``n``.
            seconds: the length of the performance in seconds (default 10).
            temperature: above 0 (default 1.0): lower plays safer, higher wilder.
            primer: what the performance starts with and the model continues: pitches
                (``[60, 64, 67]``, a chord held a second), a melody (``[60, -2, 62, -1]``:
                sixteenths at 120 bpm, -2 holds, -1 stops), a MIDI file, or notes.
            notes_per_second: the note density to aim for (e.g. 2 sparse, 8 busy), or a
                function of no arguments returning it, called before every event.
            pitch_histogram: the pitch classes to favour: a key (``"C major"``,
                ``"F# minor"``) or 12 weights for C, C#, ... B; or a function returning one.
            beam_size: performances kept by beam search (default 1 = plain sampling).
            branch_factor: continuations sampled from each kept performance per event.
            seed: makes the performance reproducible.

        Returns:
            ``sk.Notes`` (a list of them when ``latent`` is a count).

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("performance_rnn", device="cpu")
            >>> busy = rnn.generate(seconds=6, notes_per_second=8, seed=2)
            >>> calm = rnn.generate(seconds=6, notes_per_second=2, seed=2)
            >>> len(busy) > len(calm)
            True
        """
        if latent is not None and (isinstance(latent, bool) or not isinstance(latent, int) or latent < 1):
            raise sk.SketchmlError(f"Performance RNN's latent is None (one performance) or a count "
                                   f"n (a list of n); got {type(latent).__name__}.")
        n = 1 if latent is None else latent
        seed = _fresh_seed() if seed is None else seed
        events, _, controls = self._prepare(primer, notes_per_second, pitch_histogram, temperature,
                                            seconds, beam_size, branch_factor)
        final: dict[int, list[int]] = {}
        for index, grown in self._events(n, events, controls, float(seconds), float(temperature),
                                         beam_size, branch_factor, seed):
            final[index] = grown
        results = [sk.Notes(self._finish(final.get(i, events), float(seconds))) for i in range(n)]
        for result in results:
            result.seed = seed  # type: ignore[attr-defined]
        return results[0] if latent is None else results

    def stream(self, latent: None = None, *, seconds: float = 30.0, temperature: float = 1.0,
               primer: Any = None, notes_per_second: Any = None, pitch_histogram: Any = None,
               seed: int | None = None, lead: float | None = None) -> sk.Stream:
        """Play as :meth:`generate` does, on a background thread, yielding each note as it ends.

        Returns an ``sk.Stream`` at once: ``stream.poll()`` gives the notes finished since
        the last call (``Note`` s with ``pitch``, ``velocity``, ``start``, ``end`` in
        seconds), in the order they end. ``notes_per_second`` and ``pitch_histogram`` may be functions, called
        before every event, so a sketch steers the music while it plays. ``lead`` keeps
        the music at most that many seconds ahead of the clock (default: as fast as it
        can), so steering is heard soon after it happens.

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("performance_rnn", device="cpu")
            >>> notes = rnn.stream(seconds=3, notes_per_second=6, seed=3).wait()
            >>> played = rnn.generate(seconds=3, notes_per_second=6, seed=3)
            >>> sorted((n.start, n.pitch) for n in notes) == [(n.start, n.pitch) for n in played]
            True
        """
        if latent is not None:
            raise sk.SketchmlError("stream() plays one performance: leave latent out (use "
                                   "generate(n) for several).")
        if lead is not None and (isinstance(lead, bool) or not isinstance(lead, (int, float))
                                 or lead <= 0):
            raise sk.SketchmlError(f"lead is how far (in seconds) the music may run ahead of the "
                                   f"clock, a number above 0; got {lead!r}.")
        events, primer_notes, controls = self._prepare(primer, notes_per_second, pitch_histogram,
                                                       temperature, seconds, 1, 1)
        code, limit = self.encoding, float(seconds)

        def produce(cancelled: Any) -> Iterator[Any]:
            decoder = EventDecoder(code)
            started = time.monotonic()
            done = 0
            pending: list[dict[str, Any]] = []
            for _, grown in self._events(1, events, controls, limit, float(temperature), 1, 1, seed):
                if cancelled.is_set():
                    return
                for event in grown[done:]:
                    pending.extend(decoder.push(event))
                done = len(grown)
                ready = [n for n in pending if n["start_time"] < limit]
                pending.clear()
                if ready:
                    yield from sorted(sk.Notes([{**n, "end_time": min(n["end_time"], limit)}
                                                for n in ready]).notes, key=lambda n: n.start)
                if lead is not None:
                    wait = decoder.time - lead - (time.monotonic() - started)
                    if wait > 0 and cancelled.wait(wait):
                        return
            rest = [n for n in decoder.close() if n["start_time"] < limit]
            if rest:
                yield from sk.Notes([{**n, "end_time": min(n["end_time"], limit)} for n in rest]).notes

        return sk.Stream(produce, text=False, name=f"{self.name}-stream")

    # -- measuring ------------------------------------------------------------------------------

    def log_likelihood(self, notes: Any) -> float:
        """Mean log-likelihood per event of a performance (nats; higher = more expected).

        Examples:
            >>> import sketchml as sk
            >>> rnn = sk.model("performance_rnn", device="cpu")
            >>> rnn.log_likelihood(rnn.generate(seconds=3, seed=1)) > -6
            True
        """
        return event_log_likelihood(self.network, [self.encoding.encode(notes)])

    # -- training ----------------------------------------------------------------------------------

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train a new Performance RNN on a folder of MIDI files (or ``"bach"``, or a list of notes).

        Args:
            data: a folder of MIDI files (bad or empty files are skipped with a summary),
                ``"bach"`` (the Bach works bundled with music21) or a list of ``sk.Notes``.
            out: the run's folder (required). Training again into it resumes.
            **options: the :class:`PerformanceRNNTraining` settings, the flags of ``sketchml
                train performance_rnn``: ``steps``, ``config`` (one of :data:`CONFIGS`),
                ``hidden``, ``layers``, ``length``, ``batch_size``, ``lr``, ``transpose``,
                ``stretch``, ``validation``, ``eval_every``, ``seed`` (default: the resumed
                run's, else a new one, recorded in the run), ``minutes``,
                ``checkpoint_every``, ``progress``; and ``should_stop``, called after every
                step: training stops (and saves) once it returns True.

        Returns:
            The ``TrainingRun`` (``.history`` holds ``nll`` per step and ``val_ll`` where
            measured). This model then plays with the trained network.

        Examples:
            >>> import sketchml as sk, tempfile
            >>> rnn = sk.model("performance_rnn", device="cpu")
            >>> scale = sk.Notes([{"pitch": 60 + i, "start_time": i / 4, "end_time": i / 4 + 0.2}
            ...                   for i in range(12)])
            >>> run = rnn.train([scale] * 4, out=tempfile.mkdtemp(), steps=2, hidden=16, layers=1,
            ...                 length=16, batch_size=2, validation=0, progress=False)
            >>> run.step
            2
        """
        settings = PerformanceRNNTraining.build(self.family, options)
        run, net = train_performance_rnn(
            data, out=out, device=self.device,
            **{f.name: getattr(settings, f.name) for f in fields(settings)
               if f.name != "sample_every"})
        self.network = net.to(self.device).eval()
        self.source = repr(str(Path(out) / EXPORT_NAME))  # type: ignore[arg-type]
        return run


# -- training ------------------------------------------------------------------------------------

def _named_performances(data: Any) -> list[tuple[str, sk.Notes]]:
    """``(name, notes)`` pairs from a MIDI folder, ``"bach"`` or a list of notes."""
    if isinstance(data, (list, tuple)):
        if not data:
            raise sk.SketchmlError("The list of performances to train on is empty.")
        return [(f"item{i}", sk.Notes(item)) for i, item in enumerate(data)]
    if data == "bach":
        from sketchml_music.corpus import bach_pieces, voicings

        return [(piece.name, notes) for piece in bach_pieces() for notes in voicings(piece)]
    if isinstance(data, (str, os.PathLike)):
        from sketchml.plugin import MidiFolder

        folder = MidiFolder(data)
        return [(str(p.relative_to(folder.root)), sk.Notes(notes))
                for p, notes in zip(folder.paths, folder.songs)]
    raise sk.SketchmlError(f"data must be a folder of MIDI files, 'bach' or a list of notes; got "
                           f"{type(data).__name__}.")


def _held_out(name: str, validation: float) -> bool:
    return validation > 0 and (zlib.crc32(name.encode()) % 1000) < validation * 1000


class _Windows(torch.utils.data.Dataset):
    """Random windows of ``length`` events, each transposed and stretched afresh."""

    def __init__(self, net: PerformanceRNNNet, performances: list[sk.Notes], length: int,
                 transpose: int, stretch: float) -> None:
        self.net = net
        self.performances = [[(n.pitch, n.velocity, n.start, n.end) for n in p.notes
                              if not n.is_drum] for p in performances]
        self.length = length
        self.transpose = transpose
        self.stretch = stretch
        rough = [max(1, 3 * len(p) // length) for p in self.performances]
        self.index = np.repeat(np.arange(len(rough)), rough)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        notes = self.performances[int(self.index[index])]
        shift = int(torch.randint(-self.transpose, self.transpose + 1, ()).item())
        factor = 1.0 + (float(torch.rand(())) * 2 - 1) * self.stretch
        moved = [{"pitch": p + shift, "velocity": v, "start_time": s * factor,
                  "end_time": e * factor} for p, v, s, e in notes if 0 <= p + shift <= 127]
        events = self.net.encoding.encode(moved)
        controls = _performance_controls(self.net, events)
        n = self.length
        begin = int(torch.randint(0, max(1, len(events) - n + 1), ()).item())
        targets = torch.full((n,), -100, dtype=torch.long)
        window = events[begin:begin + n]
        targets[:len(window)] = torch.tensor(window, dtype=torch.long)
        inputs = torch.full((n,), -1, dtype=torch.long)
        previous = ([events[begin - 1]] if begin else [-1]) + window[:-1]
        inputs[:len(previous)] = torch.tensor(previous, dtype=torch.long)
        ctrl = torch.zeros(n, controls.shape[1])
        ctrl[:len(window)] = torch.from_numpy(controls[begin:begin + n])
        return inputs, targets, ctrl


def _whole(name: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise sk.SketchmlError(f"{name} must be a whole number >= {low}, got {value!r}.")


def train_performance_rnn(data: Any, *, out: str | os.PathLike[str] | None, steps: int = 2000,
                          config: str = "multiconditioned_performance_with_dynamics",
                          hidden: int = 512, layers: int = 3, length: int = 256,
                          batch_size: int = 64, lr: float = 0.001, transpose: int = 3,
                          stretch: float = 0.05, validation: float = 0.1,
                          seed: int | None = None, minutes: float | None = None,
                          checkpoint_every: int | None = None, eval_every: int | None = None,
                          progress: bool | None = None,
                          should_stop: Callable[[], bool] | None = None,
                          device: Any = None) -> tuple[TrainingRun, PerformanceRNNNet]:
    """Train a Performance RNN (see :meth:`PerformanceRNN.train`); returns ``(run, net)``.

    ``seed=None`` takes the resumed run's seed, else a new one (recorded in the run).

    Examples:
        >>> import tempfile, sketchml as sk
        >>> from sketchml_music.performance_rnn import train_performance_rnn
        >>> tune = sk.Notes([{"pitch": 62, "start_time": 0, "end_time": 0.5}])
        >>> run, net = train_performance_rnn([tune], out=tempfile.mkdtemp(), steps=1, hidden=8,
        ...                                  layers=1, length=8, batch_size=1, validation=0,
        ...                                  progress=False, device="cpu")
        >>> net.encoding.num_classes
        388
    """
    from sketchml.plugin import latest_checkpoint, seed_everything

    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints and the trained "
                               "weights, e.g. rnn.train('my_midis/', out='runs/piano').")
    seed = PerformanceRNNTraining(seed=seed).seed_for(out)
    if config not in CONFIGS:
        raise sk.SketchmlError(f"config={config!r} is not a Performance RNN config; use one of "
                               f"{', '.join(CONFIGS)}.{did_you_mean(config, CONFIGS)}")
    for name, value in (("steps", steps), ("hidden", hidden), ("layers", layers),
                        ("length", length), ("batch_size", batch_size)):
        _whole(name, value)
    _whole("transpose", transpose, 0)
    if not 0 <= stretch < 0.5:
        raise sk.SketchmlError(f"stretch is a fraction from 0 to 0.5 (0.05 = +/-5 %), got {stretch!r}.")
    if not 0 <= validation < 0.5:
        raise sk.SketchmlError(f"validation is the share of pieces held out, from 0 to 0.5; "
                               f"got {validation!r}.")

    named = _named_performances(data)
    train_set = [notes for name, notes in named if not _held_out(name, validation)]
    held = [notes for name, notes in named if _held_out(name, validation)]
    if not train_set:
        raise sk.SketchmlError("Every piece was held out for validation; pass more pieces or "
                               "validation=0.")
    settings = CONFIGS[config]
    encoding = PerformanceEncoding(velocity_bins=settings["velocity_bins"])
    model_config = {"family": "performance_rnn", "config": config, "hidden": hidden,
                    "layers": layers, "length": length}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in ("config", "hidden", "layers") if before.get(k) != model_config[k]]
        if changed:
            raise sk.SketchmlError(
                f"{out} holds a Performance RNN run with different "
                f"{', '.join(f'{k}={before.get(k)!r}' for k in changed)}; resume with the same "
                f"settings or train into another out= folder.")

    seed_everything(seed)
    net = PerformanceRNNNet(encoding, density=settings["density"], pitch=settings["pitch"],
                            hidden=hidden, layers=layers)
    windows = _Windows(net, train_set, length, transpose, stretch)
    held_events = [encoding.encode(notes) for notes in held]
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    run = TrainingRun(out=out, model=net, optimizers=optimizer, steps=steps, seed=seed,
                      device=device, progress=progress, config=model_config,
                      checkpoint_every=checkpoint_every)
    eval_every = eval_every or max(1, steps // 10)
    started = time.monotonic()
    for step, (inputs, targets, controls) in run.loop(windows, batch_size=min(batch_size, len(windows))):
        if (minutes is not None and time.monotonic() - started > minutes * 60) or \
                (should_stop is not None and should_stop()):
            break
        logits, _ = run.model(inputs, controls)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 3.0)
        optimizer.step()
        values = {"nll": loss.detach()}
        if held_events and (step % eval_every == 0 or step == steps):
            values["val_ll"] = event_log_likelihood(net, held_events)
        run.log(**values)
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    if run.is_main:
        export(net, Path(out) / EXPORT_NAME, config={**model_config, "step": run.step})
    return run, net.eval()


def export(net: PerformanceRNNNet, path: str | os.PathLike[str], *, config: dict[str, Any]) -> Path:
    """Write the network's weights as safetensors (settings in the header), atomically."""
    from safetensors.torch import save

    from sketchml.plugin import atomic_write_bytes

    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    meta = {"format": "sketchml.performance_rnn/1", "config": json.dumps(config)}
    return atomic_write_bytes(path, save(state, metadata=meta))
