"""MusicVAE's hierarchical models: the 16-bar trio and the multitrack bar that follows a chord.

After Roberts et al., "A Hierarchical Latent Vector Model for Learning Long-Term Structure
in Music" (ICML 2018), and Magenta's ``music_vae`` configs ``hierdec-trio_16bar`` and
``hier-multiperf_vel_1bar_med_chords`` (:data:`HIER_CONFIGS`). Both decode through a
*conductor*: an LSTM whose initial state comes from ``tanh(Linear(z))``, fed a single zero
at every step (Magenta's ``disable_autoregression``), whose output at step ``k`` is the
embedding of segment ``k`` (a bar of the trio, an instrument of the multitrack bar). Each
segment's *core* decoder starts from ``tanh(Linear(embedding))`` and sees, at every step,
the previous step's one-hot output with the embedding (and, for the multitrack, the chord's
one-hot) appended, as Magenta's ``HierarchicalLstmDecoder`` over ``CategoricalLstmDecoder``.

``hierdec-trio_16bar`` (:class:`TrioNet`): melody, bass and drums, 16 bars of 16 sixteenths
(256 steps). Melody and bass are Magenta's 90 melody classes (0 = hold, 1 = rest,
``2 + pitch - 21``); drums are Magenta's 9 drum classes (kick, snare, closed hi-hat, open
hi-hat, low, mid and high tom, crash, ride) hit at a step as a multi-hot, one class of
``2 ** 9 = 512``: ``sum(2 ** k for each class k hit)``. A bidirectional LSTM reads the three
one-hots side by side (692 numbers a step); the decoder is one core LSTM per track
(``SplitMultiOutLstmDecoder``), each bar's first input being the previous bar's last output.

``hier-multiperf_vel_1bar_med_chords`` (:class:`MultitrackNet`): one bar of up to 8
instruments, each a sequence of up to 64 performance events: a program token (128 General
MIDI programs and one for drums), then note-on / note-off per pitch, time shifts and 8
velocity bins, then an end token. A bidirectional LSTM reads each instrument's events, a
second one reads the 8 instrument embeddings (``HierarchicalLstmEncoder``, level lengths
[64, 8]); the conductor runs 8 steps, one per instrument. The chord of the bar, as Magenta's
``TriadChordOneHotEncoding`` (:func:`chord_index`: 0 = no chord, ``1 + 12 * quality + root``
for major, minor, augmented, diminished triads), is appended to every encoder and decoder
input. ``generate(latent, chords=[...])`` decodes each latent once per chord and plays the
bars one after the other, as magenta.js's Multitrack Chords demo does.

The multitrack has two vocabularies (:class:`MultitrackCoding`), told apart by the state
dict's ``multitrack_spec`` (8 numbers: reduced; 9: published):

* **Magenta's published layout** (:meth:`MultitrackCoding.published`), which Magenta's
  checkpoints use (note_seq's ``PerformanceOneHotEncoding`` inside Magenta's
  ``MultiInstrumentPerformanceConverter``): 24 steps a quarter, pitches 0-127, time shifts of
  1 to 96 steps (``DEFAULT_MAX_SHIFT_QUARTERS = 4``: the whole bar), 8 velocity bins:
  note-on ``p`` = ``p``, note-off ``p`` = ``128 + p``, shift ``s`` = ``255 + s``, velocity
  bin ``b`` = ``351 + b``, program ``q`` = ``360 + q``, drums = 488, end = 489: **490
  classes**. Bars are encoded and decoded by Magenta's rules (tracks sorted by program, drums
  last; notes quantized as note_seq does; events at a step ordered by their notes' start and
  pitch; tied notes clipped at the bar's end; a time shift pads each track to the bar's 96
  steps; velocity bins of 16 from 1), chords reach the network as Magenta's converter writes
  them (no chord at the program token, the chord at each event and the end token, zeros over
  the padding; when sampling, magenta.js's no chord then the chord), and each instrument's
  first input is the previous instrument's last slot (zeros, or its end token when it filled
  all 64), as Magenta's graph reads the flattened bar shifted by one step.
* **sketchml's reduced layout**, the shipped ``musicvae.multitrack``'s: 4 steps a quarter,
  pitches 21-108, shifts of 1-4 steps (a quarter), 318 classes, trained from scratch on a
  CPU; the chord at every step and a zero first input for each instrument. It stays reduced
  because it is trained here in about 10 CPU-minutes, where 490 classes at 24 steps a
  quarter would make every sequence longer and the softmax half as large again, and its
  tests and figures are of these weights; the published weights select their own layout.

Weights layout (sketchml's own, stable; safetensors, float16 or float32)::

  trio:
    trio_spec                (5,) int32   z, bars (16), steps a bar (16), min and max pitch
    encoder.weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse], bias_ih.., bias_hh..
                                          nn.LSTM, bidirectional; input 692 at l0
    mu.weight (Z, 2E), mu.bias; sigma.weight (Z, 2E), sigma.bias
    conductor_initial.weight (2 * L * D, Z), .bias     h of each layer, then c of each layer
    conductor.weight_ih_l{k} (4D, 1 at l0), weight_hh_l{k}, biases      nn.LSTM, input 0.0
    cores.{t}.initial.weight (2 * L * D, D), .bias     t = 0 melody, 1 bass, 2 drums
    cores.{t}.lstm.weight_ih_l0 (4D, V_t + D), ...      V = 90, 90, 512; input = one-hot, emb
    cores.{t}.head.weight (V_t, D), .bias
  multitrack:
    multitrack_spec          (8,) int32   z, instruments (8), events (64), steps a quarter (4),
                                          velocity bins (8), min and max pitch, chord classes (49
                                          or 0); a 9th number, the longest time shift (96), marks
                                          Magenta's published layout
    encoders.0.*  nn.LSTM bidirectional over events, input 318 (490) + 49
    encoders.1.*  nn.LSTM bidirectional over the instruments' 2E embeddings
    mu, sigma, conductor_initial, conductor  as for the trio
    core.initial, core.lstm (input 318 (490) + D + 49: one-hot, embedding, chord), core.head

Magenta's TensorFlow variables map onto these as: ``encoder/cell_{k}/bidirectional_rnn/
fw|bw/...`` -> ``encoder[s].weight_*_l{k}[_reverse]``, ``encoder/mu`` and
``encoder/sigma`` -> ``mu`` / ``sigma``, ``decoder/hierarchical_level_0/initial_state`` ->
``conductor_initial`` (TF orders the state c, h per layer: here all h, then all c),
``decoder/hierarchical_level_0/cell_{k}/lstm_cell`` (as Magenta and magenta.js name it;
the converter in ``musicvae_magenta`` also accepts ``.../multi_rnn_cell/cell_{k}``) ->
``conductor`` layer ``k``,
``core_decoder[/core_decoder_{t}]/decoder/z_to_initial_state`` -> ``cores.{t}.initial``,
``.../decoder/multi_rnn_cell/cell_{k}`` -> ``cores.{t}.lstm`` layer ``k``,
``.../decoder/output_projection`` -> ``cores.{t}.head``. The multitrack's are
``encoder/hierarchical_level_{l}/cell_0/bidirectional_rnn/fw|bw/...`` -> ``encoders.{l}``,
the conductor as above, and its one core ``core_decoder/decoder/z_to_initial_state``,
``.../multi_rnn_cell/cell_{k}``, ``.../output_projection`` -> ``core.initial``,
``core.lstm`` layer ``k``, ``core.head`` (:func:`~sketchml_music.musicvae_magenta.convert_magenta_multitrack`).
TF's LSTM kernels stack the gates
as i, j, f, o with input and hidden rows together and add 1.0 to the forget gate; torch's
are i, f, g, o with separate input and hidden matrices.
"""
from __future__ import annotations

import math
import re
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk

__all__ = ["DRUM_CLASSES", "HIER_CONFIGS", "MultitrackCoding", "MultitrackNet", "TrioCoding",
           "TrioNet", "chord_following", "chord_index", "chord_list", "chord_name",
           "chord_pitch_classes", "infer_chord", "network_from_state", "train_hier"]

# Magenta's published hierarchical configs (music_vae/configs.py): sizes of the encoder
# (per direction, per layer), decoder (conductor and core, per layer) and the KL schedule.
HIER_CONFIGS: dict[str, dict[str, Any]] = {
    "hierdec-trio_16bar": {"kind": "trio", "z": 512, "encoder": 2048, "encoder_layers": 2,
                           "decoder": 1024, "layers": 2, "max_beta": 0.2,
                           "beta_rate": 0.99999, "free_bits": 256.0, "batch_size": 256},
    "hier-multiperf_vel_1bar_med_chords": {
        "kind": "multitrack", "z": 512, "encoder": 1024, "encoder_layers": 1, "decoder": 512,
        "layers": 3, "max_beta": 1.0, "beta_rate": 0.0, "free_bits": 0.0, "batch_size": 256},
}

# Magenta's 9 drum classes (drums_encoder_decoder.DEFAULT_DRUM_TYPE_PITCHES): the first pitch
# of each is the one played back.
DRUM_CLASSES: tuple[tuple[int, ...], ...] = (
    (36, 35),                                                        # kick
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),    # snare
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),                    # closed hi-hat
    (46, 67, 72, 74, 79, 81, 26),                                    # open hi-hat
    (45, 29, 41, 43, 61, 64, 84),                                    # low tom
    (48, 47, 60, 63, 77, 86, 87),                                    # mid tom
    (50, 30, 62, 76, 83),                                            # high tom
    (49, 52, 55, 57, 58),                                            # crash
    (51, 53, 59, 82),                                                # ride
)
_DRUM_OF = {pitch: k for k, pitches in enumerate(DRUM_CLASSES) for pitch in pitches}
HOLD, REST = 0, 1

# -- chords ----------------------------------------------------------------------------------

_QUALITIES = (("", (0, 4, 7)), ("m", (0, 3, 7)), ("aug", (0, 4, 8)), ("dim", (0, 3, 6)))
_ROOTS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
CHORD_CLASSES = 1 + 12 * len(_QUALITIES)
_SUFFIX = {"": 0, "maj": 0, "M": 0, "major": 0, "m": 1, "min": 1, "minor": 1, "-": 1,
           "aug": 2, "+": 2, "dim": 3, "o": 3, "°": 3}


def chord_index(name: str | None) -> int:
    """A chord symbol's class in Magenta's triad one-hot: 0 for none, else ``1 + 12 * quality + root``.

    Sevenths and other extensions count as their triad (``"G7"`` is G major), as in
    Magenta's ``TriadChordOneHotEncoding``; ``None``, ``""`` and ``"N.C."`` are no chord.

    Examples:
        >>> chord_index("C"), chord_index("Am"), chord_index("F#dim"), chord_index("N.C.")
        (1, 22, 43, 0)
    """
    if name is None or (isinstance(name, str) and name.strip().upper() in ("", "N.C.", "NC")):
        return 0
    found = re.fullmatch(r"\s*([A-Ga-g])([#b♯♭]?)(maj|major|minor|min|aug|dim|M|m|\+|-|o|°)?"
                         r"(?:\d+|sus\d|add\d+)*\s*", str(name)) if isinstance(name, str) else None
    if found is None:
        raise sk.SketchmlError(
            f"{name!r} is not a chord symbol this model reads: write a root A-G, then # or b, "
            f"then nothing (major), m (minor), aug or dim, e.g. 'C', 'F#m', 'Bb', 'Bdim'; "
            f"'N.C.' is no chord.")
    letter, accidental, suffix = found.groups()
    root = (_ROOTS[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)) % 12
    return 1 + 12 * _SUFFIX[suffix or ""] + root


def chord_name(index: int) -> str:
    """The symbol of a chord class (the inverse of :func:`chord_index`).

    Examples:
        >>> chord_name(22), chord_name(0)
        ('Am', 'N.C.')
    """
    if index == 0:
        return "N.C."
    quality, root = divmod(index - 1, 12)
    return _NAMES[root] + _QUALITIES[quality][0]


def chord_pitch_classes(index: int) -> frozenset[int]:
    """The pitch classes of a chord class (empty for no chord).

    Examples:
        >>> sorted(chord_pitch_classes(chord_index("Am")))
        [0, 4, 9]
    """
    if index == 0:
        return frozenset()
    quality, root = divmod(index - 1, 12)
    return frozenset((root + step) % 12 for step in _QUALITIES[quality][1])


def _transpose_chords(chords: torch.Tensor, shift: int) -> torch.Tensor:
    quality, root = torch.div(chords - 1, 12, rounding_mode="floor"), (chords - 1) % 12
    return torch.where(chords > 0, 1 + 12 * quality + (root + shift) % 12, chords)


def infer_chord(notes: Sequence[Any], *, start: float = 0.0, end: float = math.inf) -> int:
    """The triad that best fits the notes sounding between ``start`` and ``end`` (seconds).

    Each pitch class weighs as long as it sounds (the lowest note of the span twice as
    much); a triad scores its tones' weight less the other tones' weight, the root's own
    weight breaking ties. Magenta infers chords in a similar spirit from the notes of a bar.

    Examples:
        >>> chord_name(infer_chord([{"pitch": p, "start_time": 0, "end_time": 1}
        ...                         for p in (57, 60, 64, 72)]))
        'Am'
    """
    weights = [0.0] * 12
    items = sk.Notes(list(notes)).notes if notes and isinstance(notes[0], dict) else list(notes)
    sounding = [n for n in items if not n.is_drum and n.end > start and n.start < end]
    if not sounding:
        return 0
    lowest = min(n.pitch for n in sounding)
    for n in sounding:
        length = min(n.end, end) - max(n.start, start)
        weights[n.pitch % 12] += length * (2.0 if n.pitch == lowest else 1.0)
    total = sum(weights)
    best, best_score = 0, -math.inf
    for quality, (_, steps) in enumerate(_QUALITIES):
        for root in range(12):
            tones = {(root + s) % 12 for s in steps}
            inside = sum(weights[t] for t in tones)
            score = 2 * inside - total + 0.25 * weights[root]
            if score > best_score + 1e-9:
                best, best_score = 1 + 12 * quality + root, score
    return best


# -- the trio --------------------------------------------------------------------------------

class TrioCoding:
    """Trios as ``(steps, 3)`` classes: melody and bass (90 melody classes), drums (512).

    Examples:
        >>> code = TrioCoding(bars=1)
        >>> steps = code.encode([{"pitch": 72, "start_time": 0, "end_time": 0.5},
        ...                      {"pitch": 36, "start_time": 0, "end_time": 1.0, "instrument": 1},
        ...                      {"pitch": 36, "start_time": 0, "end_time": 0.1, "is_drum": True}])
        >>> steps[0], steps[1]
        ([53, 17, 1], [0, 0, 0])
    """

    depths = (90, 90, 512)
    tracks = ("melody", "bass", "drums")
    programs = (0, 33, 0)

    def __init__(self, *, bars: int = 16, steps_per_bar: int = 16, min_pitch: int = 21,
                 max_pitch: int = 108, qpm: float = 120.0) -> None:
        self.bars, self.steps_per_bar = bars, steps_per_bar
        self.min_pitch, self.max_pitch, self.qpm = min_pitch, max_pitch, qpm

    @property
    def steps(self) -> int:
        """Sixteenth steps in all (256 for 16 bars)."""
        return self.bars * self.steps_per_bar

    @property
    def step_seconds(self) -> float:
        """The length of one sixteenth note at ``qpm``."""
        return 60.0 / self.qpm / 4

    def _line(self, notes: list[Any], step: float, size: int) -> list[int]:
        from sketchml_music.musicvae import monophonic_line

        return monophonic_line(notes, step, size, self.min_pitch, self.max_pitch)

    def split(self, notes: Any) -> tuple[list[Any], list[Any], list[Any]]:
        """``(melody, bass, drums)`` notes: drums are the drum notes; of the other instruments the
        highest on average is the melody and the lowest the bass (one instrument is both)."""
        music = sk.Notes(notes) if not isinstance(notes, sk.Notes) else notes
        drums = [n for n in music.notes if n.is_drum]
        voices: dict[int, list[Any]] = {}
        for n in music.notes:
            if not n.is_drum:
                voices.setdefault(n.instrument, []).append(n)
        if not voices:
            return [], [], drums
        mean = {k: sum(n.pitch for n in v) / len(v) for k, v in voices.items()}
        top, low = max(mean, key=mean.get), min(mean, key=mean.get)
        return voices[top], voices[low] if low != top else [], drums

    def grid(self, melody: list[Any], bass: list[Any], drums: list[Any], step: float,
             size: int) -> list[list[int]]:
        """``(size, 3)`` classes of the three lines on a grid of ``step`` seconds from time 0."""
        top, low = self._line(melody, step, size), self._line(bass, step, size)
        hits = [0] * size
        for n in drums:
            at = round(n.start / step)
            if 0 <= at < size and n.pitch in _DRUM_OF:
                hits[at] |= 1 << _DRUM_OF[n.pitch]
        return [list(row) for row in zip(top, low, hits)]

    def encode(self, notes: Any) -> list[list[int]]:
        """The first ``bars`` bars of a trio (``sk.Notes``; see :meth:`split`), at its own tempo."""
        music = sk.Notes(notes) if not isinstance(notes, sk.Notes) else notes
        melody, bass, drums = self.split(music)
        return self.grid(melody, bass, drums, 60.0 / music.tempo / 4, self.steps)

    def decode(self, classes: Sequence[Sequence[int]], *, velocity: int = 90) -> list[dict[str, Any]]:
        """Notes of the three tracks (instrument 0 melody, 1 bass, 9 drums) from ``(steps, 3)``."""
        step = self.step_seconds
        notes: list[dict[str, Any]] = []
        for track in (0, 1):
            current, began = None, 0
            for at, row in enumerate(list(classes) + [[REST, REST, 0]]):
                value = row[track]
                if value == HOLD:
                    continue
                if current is not None:
                    notes.append({"pitch": current, "velocity": velocity, "start_time": began * step,
                                  "end_time": at * step, "instrument": track,
                                  "program": self.programs[track]})
                current, began = (value - 2 + self.min_pitch, at) if value >= 2 else (None, at)
        for at, row in enumerate(classes):
            for k in range(len(DRUM_CLASSES)):
                if row[2] >> k & 1:
                    notes.append({"pitch": DRUM_CLASSES[k][0], "velocity": velocity,
                                  "start_time": at * step, "end_time": (at + 1) * step,
                                  "instrument": 9, "is_drum": True})
        return notes


class _Core(nn.Module):
    """One segment decoder: LSTM from ``tanh(Linear(embedding))``, input = one-hot, embedding, control."""

    def __init__(self, depth: int, size: int, layers: int, embedding: int, control: int = 0) -> None:
        super().__init__()
        self.depth = depth
        self.initial = nn.Linear(embedding, 2 * layers * size)
        self.lstm = nn.LSTM(depth + embedding + control, size, layers, batch_first=True)
        self.head = nn.Linear(size, depth)
        with torch.no_grad():
            self.lstm.weight_ih_l0[:, :depth].normal_(0.0, 1.0)

    def start(self, embedding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        layers, size = self.lstm.num_layers, self.lstm.hidden_size
        state = torch.tanh(self.initial(embedding)).view(-1, 2, layers, size).permute(1, 2, 0, 3)
        return state[0].contiguous(), state[1].contiguous()

    def inputs(self, previous: torch.Tensor, embedding: torch.Tensor,
               control: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, depth + E [+ C])`` from previous classes ``(B, T)`` (-1 = a zero input) and a
        control ``(B, C)`` for every step or ``(B, T, C)``, one a step."""
        parts = [F.one_hot(previous.clamp(min=-1) + 1, self.depth + 1)[..., 1:].float(),
                 embedding[:, None].expand(-1, previous.shape[1], -1)]
        if control is not None:
            parts.append(control if control.dim() == 3 else
                         control[:, None].expand(-1, previous.shape[1], -1))
        return torch.cat(parts, -1)


class _Conductor(nn.Module):
    def __init__(self, z: int, size: int, layers: int) -> None:
        super().__init__()
        self.conductor_initial = nn.Linear(z, 2 * layers * size)
        self.conductor = nn.LSTM(1, size, layers, batch_first=True)

    def embeddings(self, z: torch.Tensor, segments: int) -> torch.Tensor:
        """``(N, segments, D)``: the conductor's output at each of its steps (input 0.0)."""
        layers, size = self.conductor.num_layers, self.conductor.hidden_size
        state = torch.tanh(self.conductor_initial(z)).view(-1, 2, layers, size).permute(1, 2, 0, 3)
        out, _ = self.conductor(z.new_zeros(len(z), segments, 1),
                                (state[0].contiguous(), state[1].contiguous()))
        return out


def _sample(logits: torch.Tensor, temperature: float | None,
            generator: torch.Generator | None) -> torch.Tensor:
    logits = logits.double().cpu()
    if temperature is None:
        return logits.argmax(-1)
    return torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator)[:, 0]


def _lstm_layers(state: dict[str, torch.Tensor], prefix: str) -> int:
    return sum(1 for k in state if re.fullmatch(re.escape(prefix) + r"weight_hh_l\d+", k))


class TrioNet(_Conductor):
    """``hierdec-trio_16bar``: bidirectional LSTM encoder, conductor over bars, one core per track.

    Examples:
        >>> net = TrioNet(z=8, encoder=16, decoder=16, layers=1, coding=TrioCoding(bars=2))
        >>> x = torch.zeros(3, 32, 3, dtype=torch.long)
        >>> mu, sigma = net.encode(x)
        >>> [tuple(t.shape) for t in net.decode_logits(mu, x)]
        [(3, 32, 90), (3, 32, 90), (3, 32, 512)]
    """

    kind = "trio"

    def __init__(self, *, z: int = 512, encoder: int = 2048, decoder: int = 1024, layers: int = 2,
                 encoder_layers: int = 2, coding: TrioCoding | None = None) -> None:
        super().__init__(z, decoder, layers)
        self.coding = coding or TrioCoding()
        c = self.coding
        self.register_buffer("trio_spec", torch.tensor(
            [z, c.bars, c.steps_per_bar, c.min_pitch, c.max_pitch], dtype=torch.int32))
        self.encoder = nn.LSTM(sum(c.depths), encoder, encoder_layers, batch_first=True,
                               bidirectional=True)
        self.mu = nn.Linear(2 * encoder, z)
        self.sigma = nn.Linear(2 * encoder, z)
        self.cores = nn.ModuleList(_Core(d, decoder, layers, decoder) for d in c.depths)
        with torch.no_grad():
            self.encoder.weight_ih_l0.normal_(0.0, 1.0)
            self.encoder.weight_ih_l0_reverse.normal_(0.0, 1.0)

    @property
    def z_size(self) -> int:
        """The size of the latent."""
        return self.mu.out_features

    def encode(self, classes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, sigma)``, each ``(N, Z)``, of trios ``(N, steps, 3)`` of classes."""
        x = torch.cat([F.one_hot(classes[..., t], d).float()
                       for t, d in enumerate(self.coding.depths)], -1)
        _, (h, _) = self.encoder(x)
        last = torch.cat([h[-2], h[-1]], -1)
        return self.mu(last), F.softplus(self.sigma(last))

    def decode_logits(self, z: torch.Tensor, targets: torch.Tensor) -> list[torch.Tensor]:
        """Teacher-forced logits per track, ``(N, steps, V_t)``, for trios ``(N, steps, 3)``."""
        n, bars, size = len(z), self.coding.bars, self.coding.steps_per_bar
        embedding = self.embeddings(z, bars).reshape(n * bars, -1)
        previous = torch.cat([targets.new_full((n, 1, 3), -1), targets[:, :-1]], 1)
        previous = previous.reshape(n * bars, size, 3)
        out = []
        for t, core in enumerate(self.cores):
            hidden, _ = core.lstm(core.inputs(previous[..., t], embedding), core.start(embedding))
            out.append(core.head(hidden).reshape(n, bars * size, -1))
        return out

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, temperature: float | None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Classes ``(N, steps, 3)`` from ``z``: sampled at ``temperature``, or greedy if None."""
        embeddings = self.embeddings(z, self.coding.bars)
        previous = [torch.full((len(z), 1), -1, dtype=torch.long, device=z.device)] * 3
        steps: list[torch.Tensor] = []
        for bar in range(self.coding.bars):
            emb = embeddings[:, bar]
            states = [core.start(emb) for core in self.cores]
            for _ in range(self.coding.steps_per_bar):
                row = []
                for t, core in enumerate(self.cores):
                    hidden, states[t] = core.lstm(core.inputs(previous[t], emb), states[t])
                    choice = _sample(core.head(hidden[:, -1]), temperature, generator)
                    row.append(choice)
                    previous[t] = choice[:, None].to(z.device)
                steps.append(torch.stack(row, -1))
        return torch.stack(steps, 1)

    def classes_of(self, items: Sequence[Any]) -> torch.Tensor:
        """``(N, steps, 3)`` classes of trios given as notes."""
        return torch.tensor([self.coding.encode(item) for item in items], dtype=torch.long)

    def notes_of(self, classes: torch.Tensor, chords: Sequence[int] | None = None) -> list[list[dict]]:
        return [self.coding.decode(row) for row in classes.tolist()]

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], source: str) -> TrioNet:
        """Rebuild and load the network a state dict in this module's trio layout came from."""
        z, bars, per_bar, low, high = (int(v) for v in state["trio_spec"].tolist())
        net = cls(z=z, encoder=state["encoder.weight_hh_l0"].shape[1],
                  decoder=state["conductor.weight_hh_l0"].shape[1],
                  layers=_lstm_layers(state, "conductor."),
                  encoder_layers=_lstm_layers(state, "encoder."),
                  coding=TrioCoding(bars=bars, steps_per_bar=per_bar, min_pitch=low, max_pitch=high))
        return _load(net, state, source)


def _load(net: nn.Module, state: dict[str, torch.Tensor], source: str) -> Any:
    try:
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    except RuntimeError as err:
        raise sk.SketchmlError(f"{source} does not match the MusicVAE {net.kind} layout: {err}") from err
    return net


# -- the multitrack bar ----------------------------------------------------------------------

class MultitrackCoding:
    """One bar of up to ``instruments`` tracks, each a list of performance event classes.

    Classes: note-on per pitch, note-off per pitch, time shifts of 1..``max_shift`` steps,
    velocity bins 1..``velocity_bins``, 129 program tokens (128 = drums), end.

    Two layouts share these classes. ``MultitrackCoding()`` is sketchml's reduced one (4 steps
    a quarter, pitches 21-108, shifts up to a quarter: 318 classes), which the shipped
    ``musicvae.multitrack`` was trained on. :meth:`published` is Magenta's
    (``MultiInstrumentPerformanceConverter`` in ``hier-multiperf_vel_1bar_med_chords``: 24
    steps a quarter, pitches 0-127, shifts up to 4 quarters, 8 velocity bins: 490 classes),
    and encodes and decodes by Magenta's rules (:meth:`encode_track`, :meth:`decode_track`).

    Examples:
        >>> code = MultitrackCoding()
        >>> track = code.encode_track([{"pitch": 60, "velocity": 80, "start_time": 0,
        ...                             "end_time": 0.5}], program=40)
        >>> [code.describe(c) for c in track]
        ['program 40', 'velocity 6', 'on 60', 'shift 4', 'off 60', 'end']
    """

    def __init__(self, *, instruments: int = 8, events: int = 64, steps_per_quarter: int = 4,
                 velocity_bins: int = 8, min_pitch: int = 21, max_pitch: int = 108,
                 qpm: float = 120.0, max_shift: int | None = None, published: bool = False) -> None:
        self.instruments, self.events = instruments, events
        self.steps_per_quarter, self.velocity_bins = steps_per_quarter, velocity_bins
        self.min_pitch, self.max_pitch, self.qpm = min_pitch, max_pitch, qpm
        self.pitches = max_pitch - min_pitch + 1
        # The reduced layout shifts by up to a quarter; Magenta's by up to 4 quarters (note_seq's
        # DEFAULT_MAX_SHIFT_QUARTERS), which is the whole bar.
        self.max_shift = max_shift or steps_per_quarter
        self.published = published
        self.shift0 = 2 * self.pitches
        self.velocity0 = self.shift0 + self.max_shift
        self.program0 = self.velocity0 + velocity_bins
        self.end = self.program0 + 129

    @classmethod
    def published(cls, *, instruments: int = 8, events: int = 64, steps_per_quarter: int = 24,
                  velocity_bins: int = 8, min_pitch: int = 0, max_pitch: int = 127,
                  max_shift: int | None = None) -> MultitrackCoding:
        """Magenta's published multitrack layout (490 classes), read by Magenta's rules.

        Examples:
            >>> code = MultitrackCoding.published()
            >>> code.classes, code.max_shift, code.bar_steps
            (490, 96, 96)
        """
        return cls(instruments=instruments, events=events, steps_per_quarter=steps_per_quarter,
                   velocity_bins=velocity_bins, min_pitch=min_pitch, max_pitch=max_pitch,
                   max_shift=max_shift or 4 * steps_per_quarter, published=True)

    @property
    def classes(self) -> int:
        """Event classes (318 for the reduced defaults, 490 for Magenta's layout)."""
        return self.end + 1

    @property
    def bar_steps(self) -> int:
        """Steps in a bar of 4/4."""
        return 4 * self.steps_per_quarter

    def step_seconds(self, qpm: float | None = None) -> float:
        """One time step in seconds at ``qpm`` (default this coding's)."""
        return 60.0 / (qpm or self.qpm) / self.steps_per_quarter

    def describe(self, c: int) -> str:
        """A class in words (for people and doctests)."""
        if c < self.pitches:
            return f"on {c + self.min_pitch}"
        if c < self.shift0:
            return f"off {c - self.pitches + self.min_pitch}"
        if c < self.velocity0:
            return f"shift {c - self.shift0 + 1}"
        if c < self.program0:
            return f"velocity {c - self.velocity0 + 1}"
        if c < self.end:
            return "drums" if c - self.program0 == 128 else f"program {c - self.program0}"
        return "end"

    def encode_track(self, notes: Sequence[Any], *, program: int = 0, is_drum: bool = False,
                     start: float = 0.0, qpm: float | None = None) -> list[int]:
        """The events of one track in the bar from ``start`` seconds, program token first, end last.

        Notes are cut at the bar's end; events past ``events - 1`` are dropped (the end token
        stays). In the published layout the rules are Magenta's (:meth:`_magenta_track`).
        """
        items = sk.Notes(list(notes)).notes if notes and isinstance(notes[0], dict) else list(notes)
        if self.published:
            return self._magenta_track(items, program=program, is_drum=is_drum, start=start, qpm=qpm)
        step = self.step_seconds(qpm)
        events: list[tuple[int, int, int, int]] = []  # (time, order, pitch, velocity)
        for n in items:
            if not self.min_pitch <= n.pitch <= self.max_pitch:
                continue
            begin = round((n.start - start) / step)
            if not 0 <= begin < self.bar_steps:
                continue
            finish = min(max(round((n.end - start) / step), begin + 1), self.bar_steps)
            events.append((begin, 1, n.pitch, n.velocity))
            events.append((finish, 0, n.pitch, n.velocity))
        out = [self.program0 + (128 if is_drum else program)]
        now, velocity = 0, None
        for at, on, pitch, vel in sorted(events):
            while at > now:
                shift = min(at - now, self.max_shift)
                out.append(self.shift0 + shift - 1)
                now += shift
            if on:
                bin_ = min(self.velocity_bins, vel * self.velocity_bins // 128 + 1)
                if bin_ != velocity:
                    out.append(self.velocity0 + bin_ - 1)
                    velocity = bin_
                out.append(pitch - self.min_pitch)
            else:
                out.append(self.pitches + pitch - self.min_pitch)
        return out[:self.events - 1] + [self.end]

    # -- Magenta's rules (the published layout) ---------------------------------------------

    def _velocity_bin(self, velocity: int) -> int:
        """note_seq's ``velocity_to_bin``: bins of ``ceil(127 / bins)`` velocities from 1."""
        size = -(-127 // self.velocity_bins)
        return (max(1, min(127, velocity)) - 1) // size + 1

    def _bin_velocity(self, velocity_bin: int) -> int:
        """note_seq's ``velocity_bin_to_velocity``: the lowest velocity of the bin."""
        return 1 + (velocity_bin - 1) * -(-127 // self.velocity_bins)

    def _performance(self, notes: Sequence[tuple[int, int, int, int]]) -> list[tuple[str, int]]:
        """note_seq's ``Performance`` events of notes ``(start step, end step, pitch, velocity
        bin)`` given in Magenta's note order: at each step, events go by the note's rank in
        that order, its note-off before its note-on (``sorted((step, rank, is_offset))``); a
        velocity event comes before a note-on whose bin differs from the last one."""
        marks = sorted([(b, i, False) for i, (b, _, _, _) in enumerate(notes)] +
                       [(e, i, True) for i, (_, e, _, _) in enumerate(notes)])
        out: list[tuple[str, int]] = []
        now, velocity = 0, 0
        for at, i, off in marks:
            while at > now:
                shift = min(at - now, self.max_shift)
                out.append(("shift", shift))
                now += shift
            if not off and notes[i][3] != velocity:
                velocity = notes[i][3]
                out.append(("velocity", velocity))
            out.append(("off" if off else "on", notes[i][2]))
        return out

    def _performance_notes(self, events: Sequence[tuple[str, int]],
                           length: int) -> list[tuple[int, int, int, int]]:
        """Notes ``(start, end, pitch, velocity)`` of events as note_seq's ``to_sequence`` makes
        them after ``set_length(length)``: events past ``length`` steps are cut, a note-off
        ends the oldest sounding note of its pitch, notes still sounding end at ``length``,
        notes of no length are dropped, velocity is 100 until a velocity event."""
        now, velocity = 0, 100
        sounding: dict[int, list[tuple[int, int]]] = {}
        out = []
        for kind, value in events:
            if kind == "shift":
                now += value
                if now > length:
                    break
            elif kind == "velocity":
                velocity = self._bin_velocity(value)
            elif kind == "on":
                sounding.setdefault(value, []).append((now, velocity))
            elif sounding.get(value):
                begin, vel = sounding[value].pop(0)
                if now > begin:
                    out.append((begin, now, value, vel))
        for pitch, started in sounding.items():
            out += [(begin, length, pitch, vel) for begin, vel in started if length > begin]
        return out

    def _magenta_track(self, items: Sequence[Any], *, program: int, is_drum: bool, start: float,
                       qpm: float | None) -> list[int]:
        """A track as Magenta's ``MultiInstrumentPerformanceConverter`` encodes it: the notes
        starting in the bar (split in seconds, cut at its end), quantized as note_seq does
        (``int(steps + 0.5)``, a note of no length made one step), as a ``MetricPerformance``
        whose tied notes are clipped by a round trip through notes (``split_performance``
        with ``clip_tied_notes``), padded with a time shift to the bar's end, then the
        program token first and the end token last (cut to ``events``, as magenta.js does)."""
        step, bar = self.step_seconds(qpm), self.bar_steps
        end_time = start + bar * step
        quantized = []
        for n in sorted(items, key=lambda n: (n.start - start, n.pitch)):
            if not (self.min_pitch <= n.pitch <= self.max_pitch and start <= n.start < end_time):
                continue
            begin = int((n.start - start) / step + 0.5)
            finish = int((min(n.end, end_time) - start) / step + 0.5)
            finish = max(finish, begin + 1)
            if begin < bar:
                quantized.append((begin, min(finish, bar), n.pitch, self._velocity_bin(n.velocity)))
        clipped = [(b, e, p, self._velocity_bin(v))
                   for b, e, p, v in self._performance_notes(self._performance(quantized), bar)]
        events = self._performance(sorted(clipped, key=lambda n: (n[0], n[2])))
        now = sum(v for kind, v in events if kind == "shift")
        if now < bar:
            events.append(("shift", bar - now))
        codes = {"on": lambda v: v - self.min_pitch, "off": lambda v: self.pitches + v - self.min_pitch,
                 "shift": lambda v: self.shift0 + v - 1, "velocity": lambda v: self.velocity0 + v - 1}
        out = [self.program0 + (128 if is_drum else program)] + [codes[k](v) for k, v in events]
        return out[:self.events - 1] + [self.end]

    def _magenta_decode(self, classes: Sequence[int], *, instrument: int, start: float,
                        qpm: float | None) -> list[dict[str, Any]]:
        """Magenta's ``_to_single_notesequence`` for one track: tokens up to the end token, the
        first program token names the program (128: drums), the rest are performance events
        read by note_seq's rules (:meth:`_performance_notes`) over one bar."""
        tokens = list(classes)
        if self.end in tokens:
            tokens = tokens[:tokens.index(self.end)]
        programs = [c - self.program0 for c in tokens if self.program0 <= c < self.end]
        program, drum = (0, False) if not programs else \
            ((0, True) if programs[0] == 128 else (programs[0], False))
        events = []
        for c in tokens:
            if c < self.pitches:
                events.append(("on", c + self.min_pitch))
            elif c < self.shift0:
                events.append(("off", c - self.pitches + self.min_pitch))
            elif c < self.velocity0:
                events.append(("shift", c - self.shift0 + 1))
            elif c < self.program0:
                events.append(("velocity", c - self.velocity0 + 1))
        step = self.step_seconds(qpm)
        return [{"pitch": p, "velocity": v, "start_time": start + b * step,
                 "end_time": start + e * step, "instrument": instrument, "program": program,
                 "is_drum": drum} for b, e, p, v in self._performance_notes(events, self.bar_steps)]

    def decode_track(self, classes: Sequence[int], *, instrument: int, start: float = 0.0,
                     qpm: float | None = None) -> list[dict[str, Any]]:
        """Notes of one track from its event classes (reading stops at the end token)."""
        if self.published:
            return self._magenta_decode(classes, instrument=instrument, start=start, qpm=qpm)
        step = self.step_seconds(qpm)
        program, drum, now, velocity = 0, False, 0, 80
        sounding: dict[int, tuple[int, int]] = {}
        notes: list[dict[str, Any]] = []

        def close(pitch: int) -> None:
            begin, vel = sounding.pop(pitch)
            notes.append({"pitch": pitch, "velocity": vel, "start_time": start + begin * step,
                          "end_time": start + max(now, begin + 1) * step,
                          "instrument": instrument, "program": program, "is_drum": drum})

        for c in classes:
            if c >= self.end:
                break
            if c >= self.program0:
                program, drum = (0, True) if c - self.program0 == 128 else (c - self.program0, False)
            elif c >= self.velocity0:
                velocity = round((c - self.velocity0 + 0.5) * 128 / self.velocity_bins)
            elif c >= self.shift0:
                now = min(now + c - self.shift0 + 1, self.bar_steps)
            elif c >= self.pitches:
                pitch = c - self.pitches + self.min_pitch
                if pitch in sounding:
                    close(pitch)
            else:
                pitch = c + self.min_pitch
                if pitch in sounding:
                    close(pitch)
                sounding[pitch] = (now, min(velocity, 127))
        now = self.bar_steps
        for pitch in list(sounding):
            close(pitch)
        for n in notes:
            n["end_time"] = min(n["end_time"], start + self.bar_steps * step)
        return notes

    def encode_bar(self, notes: Any, *, start: float = 0.0, qpm: float | None = None,
                   programs: Sequence[int] | None = None) -> list[list[int]]:
        """The tracks of one bar: one per instrument (sorted by program, drums last), padded
        with empty tracks (``[end]``) to ``instruments``. In the published layout, as in
        Magenta's converter, the instruments are those with a note starting in the bar."""
        music = notes if isinstance(notes, sk.Notes) else sk.Notes(notes)
        groups: dict[int, list[Any]] = {}
        for n in music.notes:
            groups.setdefault(n.instrument, []).append(n)
        if self.published:
            bar = self.bar_steps * self.step_seconds(qpm or music.tempo)
            groups = {k: v for k, v in groups.items()
                      if any(start <= n.start < start + bar for n in v)}
        order = sorted(groups, key=lambda k: (groups[k][0].is_drum, groups[k][0].program, k))
        tracks = [self.encode_track(groups[k], program=groups[k][0].program,
                                    is_drum=groups[k][0].is_drum, start=start,
                                    qpm=qpm or music.tempo) for k in order][:self.instruments]
        return tracks + [[self.end]] * (self.instruments - len(tracks))


class MultitrackNet(_Conductor):
    """``hier-multiperf_vel_1bar_med_chords``: events -> instruments -> z -> conductor -> events.

    ``chord_classes`` is 49 (Magenta's triads) or 0 for a model without chords (Magenta's
    ``hier-multiperf_vel_1bar_med``). With the published coding
    (:meth:`MultitrackCoding.published`) the network feeds chords and the first input of each
    instrument as Magenta's graph does (:meth:`controls`, :meth:`decode_logits`).

    Examples:
        >>> net = MultitrackNet(z=8, encoder=16, decoder=16, layers=1)
        >>> x = torch.full((2, 8, 5), net.coding.end)
        >>> chords = torch.tensor([1, 0])
        >>> mu, sigma = net.encode(x, chords)
        >>> tuple(net.decode_logits(mu, x, chords).shape)
        (2, 8, 5, 318)
    """

    kind = "multitrack"

    def __init__(self, *, z: int = 512, encoder: int = 1024, decoder: int = 512, layers: int = 3,
                 encoder_layers: int = 1, coding: MultitrackCoding | None = None,
                 chord_classes: int = CHORD_CLASSES) -> None:
        super().__init__(z, decoder, layers)
        self.coding = coding or MultitrackCoding()
        c = self.coding
        if chord_classes not in (0, CHORD_CLASSES):
            raise sk.SketchmlError(f"chord_classes is {CHORD_CLASSES} (Magenta's triads) or 0 "
                                   f"(no chords), not {chord_classes}.")
        self.chord_classes = chord_classes
        spec = [z, c.instruments, c.events, c.steps_per_quarter, c.velocity_bins, c.min_pitch,
                c.max_pitch, chord_classes] + ([c.max_shift] if c.published else [])
        self.register_buffer("multitrack_spec", torch.tensor(spec, dtype=torch.int32))
        self.encoders = nn.ModuleList([
            nn.LSTM(c.classes + chord_classes, encoder, encoder_layers, batch_first=True,
                    bidirectional=True),
            nn.LSTM(2 * encoder, encoder, encoder_layers, batch_first=True, bidirectional=True)])
        self.mu = nn.Linear(2 * encoder, z)
        self.sigma = nn.Linear(2 * encoder, z)
        self.core = _Core(c.classes, decoder, layers, decoder, chord_classes)
        with torch.no_grad():
            self.encoders[0].weight_ih_l0.normal_(0.0, 1.0)
            self.encoders[0].weight_ih_l0_reverse.normal_(0.0, 1.0)

    @property
    def z_size(self) -> int:
        """The size of the latent."""
        return self.mu.out_features

    def controls(self, tracks: torch.Tensor, chords: torch.Tensor | None, *,
                 sampling: bool = False) -> torch.Tensor | None:
        """The chord input at each event, ``(N * instruments, T, chord_classes)`` (None without chords).

        Reduced layout: the bar's chord at every step. Published layout, as Magenta's converter
        builds it: no chord (class 0) at the program token, the chord at every event and the
        end token, zeros over the padding (an empty track, ``[end]``, has no chord); when
        ``sampling``, as magenta.js's ``encodeChordProgression``: no chord at the first step,
        the chord at every other one.
        """
        if not self.chord_classes:
            return None
        n, k, length = tracks.shape
        if chords is None:
            chords = torch.zeros(n, dtype=torch.long, device=tracks.device)
        chord = chords.to(tracks.device).repeat_interleave(k, 0)[:, None].expand(-1, length)
        if not self.coding.published:
            return F.one_hot(chord, self.chord_classes).float()
        flat = tracks.reshape(n * k, length)
        at = torch.arange(length, device=tracks.device)[None]
        index = torch.where(at == 0, torch.zeros_like(chord), chord)
        if not sampling:
            index = torch.where(flat >= 0, index, torch.full_like(index, -1))
        return F.one_hot(index + 1, self.chord_classes + 1)[..., 1:].float()

    def encode(self, tracks: torch.Tensor, chords: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, sigma)`` of bars ``(N, instruments, T)`` of classes (-1 = padding after the
        end token) with their chords ``(N,)``."""
        n, k, length = tracks.shape
        flat = tracks.reshape(n * k, length)
        lengths = (flat >= 0).sum(-1).clamp(min=1).cpu()
        parts = [F.one_hot(flat + 1, self.coding.classes + 1)[..., 1:].float()]
        control = self.controls(tracks, chords)
        if control is not None:
            parts.append(control)
        packed = nn.utils.rnn.pack_padded_sequence(torch.cat(parts, -1), lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, (h, _) = self.encoders[0](packed)
        per_track = torch.cat([h[-2], h[-1]], -1).reshape(n, k, -1)
        _, (h, _) = self.encoders[1](per_track)
        last = torch.cat([h[-2], h[-1]], -1)
        return self.mu(last), F.softplus(self.sigma(last))

    def _first_inputs(self, last: torch.Tensor) -> torch.Tensor:
        """Each instrument's first input ``(N, instruments)``: none (-1) in the reduced layout; in
        the published one, as Magenta feeds its flattened bar shifted by one step, the previous
        instrument's token in the last of the ``events`` slots (-1, a zero input, unless that
        instrument filled all its slots). ``last`` is ``(N, instruments)`` of those tokens."""
        first = torch.full_like(last, -1)
        if self.coding.published:
            first[:, 1:] = last[:, :-1]
        return first

    def decode_logits(self, z: torch.Tensor, targets: torch.Tensor,
                      chords: torch.Tensor | None) -> torch.Tensor:
        """Teacher-forced logits ``(N, instruments, T, V)`` for bars ``(N, instruments, T)``."""
        n, k, length = targets.shape
        embedding = self.embeddings(z, k).reshape(n * k, -1)
        last = targets[..., self.coding.events - 1] if length >= self.coding.events else \
            targets.new_full((n, k), -1)
        first = self._first_inputs(last).reshape(n * k, 1)
        flat = targets.reshape(n * k, length)
        previous = torch.cat([first, flat[:, :-1]], 1)
        hidden, _ = self.core.lstm(self.core.inputs(previous, embedding, self.controls(targets, chords)),
                                   self.core.start(embedding))
        return self.core.head(hidden).reshape(n, k, length, -1)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, chords: torch.Tensor | None, *, temperature: float | None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Classes ``(N, instruments, events)`` (-1 after each end token) from ``z`` and chords ``(N,)``.

        The reduced layout ends every track at its last slot; the published one samples all
        ``events`` slots, as Magenta does (a track without an end token is read to its end).
        """
        k, length = self.coding.instruments, self.coding.events
        embeddings = self.embeddings(z, k)
        slots = torch.zeros(len(z), 1, length, dtype=torch.long, device=z.device)
        control = self.controls(slots, chords, sampling=True)
        out = torch.full((len(z), k, length), -1, dtype=torch.long)
        previous = torch.full((len(z), 1), -1, dtype=torch.long, device=z.device)
        for slot in range(k):
            emb = embeddings[:, slot]
            state = self.core.start(emb)
            done = torch.zeros(len(z), dtype=torch.bool)
            for at in range(length):
                step_control = None if control is None else control[:, at]
                hidden, state = self.core.lstm(self.core.inputs(previous, emb, step_control), state)
                logits = self.core.head(hidden[:, -1])
                if at == length - 1 and not self.coding.published:
                    choice = torch.full((len(z),), self.coding.end, dtype=torch.long)
                else:
                    choice = _sample(logits, temperature, generator)
                out[:, slot, at] = torch.where(done, torch.full_like(choice, -1), choice)
                done |= choice == self.coding.end
                if bool(done.all()):
                    break
                previous = choice[:, None].to(z.device)
            last = out[:, slot, length - 1]
            previous = self._first_inputs(torch.stack([last, last], 1))[:, 1:].to(z.device)
        return out

    def notes_of(self, classes: torch.Tensor, *, start: float = 0.0,
                 qpm: float | None = None) -> list[list[dict]]:
        """Notes of each bar ``(N, instruments, events)``; each track is its own instrument."""
        return [[n for slot, track in enumerate(bar) for n in self.coding.decode_track(
                    [c for c in track if c >= 0], instrument=slot, start=start, qpm=qpm)]
                for bar in classes.tolist()]

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], source: str) -> MultitrackNet:
        """Rebuild and load the network a state dict in this module's multitrack layout came from."""
        spec = [int(v) for v in state["multitrack_spec"].tolist()]
        z, k, events, per_quarter, bins, low, high, chords = spec[:8]
        settings = {"instruments": k, "events": events, "steps_per_quarter": per_quarter,
                    "velocity_bins": bins, "min_pitch": low, "max_pitch": high}
        coding = MultitrackCoding.published(**settings, max_shift=spec[8]) if len(spec) > 8 \
            else MultitrackCoding(**settings)
        net = cls(z=z, encoder=state["encoders.0.weight_hh_l0"].shape[1],
                  decoder=state["conductor.weight_hh_l0"].shape[1],
                  layers=_lstm_layers(state, "conductor."),
                  encoder_layers=_lstm_layers(state, "encoders.0."), coding=coding,
                  chord_classes=chords)
        return _load(net, state, source)


def pad_tracks(bars: Sequence[Sequence[Sequence[int]]], length: int | None = None) -> torch.Tensor:
    """``(N, instruments, T)`` long, -1 after each track's end token."""
    size = length or max(len(t) for bar in bars for t in bar)
    out = torch.full((len(bars), len(bars[0]), size), -1, dtype=torch.long)
    for i, bar in enumerate(bars):
        for j, track in enumerate(bar):
            out[i, j, :len(track)] = torch.tensor(track[:size])
    return out


def network_from_state(state: dict[str, torch.Tensor], source: str) -> nn.Module | None:
    """A :class:`TrioNet` or :class:`MultitrackNet` for a state dict in their layout, else None."""
    if "trio_spec" in state:
        return TrioNet.from_state_dict(state, source)
    if "multitrack_spec" in state:
        return MultitrackNet.from_state_dict(state, source)
    return None


# -- accuracy and chords ---------------------------------------------------------------------

@torch.no_grad()
def trio_accuracy(net: TrioNet, trios: torch.Tensor, latents: torch.Tensor | None = None) -> list[float]:
    """Per track, the share of steps that come back right from ``mu`` (or ``latents``) decoded greedily."""
    was = net.training
    net.eval()
    z = net.encode(trios)[0] if latents is None else latents
    decoded = net.decode(z, temperature=None)
    net.train(was)
    return [float((decoded[..., t] == trios[..., t]).float().mean()) for t in range(3)]


@torch.no_grad()
def multitrack_accuracy(net: MultitrackNet, tracks: torch.Tensor, chords: torch.Tensor,
                        latents: torch.Tensor | None = None) -> float:
    """The share of events (end tokens included) that come back right, in place, decoded greedily."""
    was = net.training
    net.eval()
    z = net.encode(tracks, chords)[0] if latents is None else latents
    decoded = net.decode(z, chords, temperature=None)
    net.train(was)
    length = min(decoded.shape[-1], tracks.shape[-1])
    target, got = tracks[..., :length], decoded[..., :length]
    mask = target >= 0
    return float(((got == target) & mask).sum() / mask.sum())


def in_chord_share(notes: Sequence[dict[str, Any]], chord: int) -> float:
    """The share of (pitched) notes whose pitch class is one of ``chord``'s; nan without notes."""
    tones = chord_pitch_classes(chord)
    pitched = [n for n in notes if not n.get("is_drum")]
    return sum(n["pitch"] % 12 in tones for n in pitched) / len(pitched) if pitched else math.nan


# -- data ------------------------------------------------------------------------------------

def _drums_from_voices(parts: Sequence[Any], step: float, size: int, steps_per_bar: int) -> list[Any]:
    """A drum part drawn from a piece's rhythm (chorales have none): kick on bass onsets on beats
    1 and 3, snare on onsets on beats 2 and 4, closed hi-hat on the inner voices' onsets."""
    from sketchml.plugin import Note

    onsets: dict[int, set[int]] = {}
    for voice, part in enumerate(parts):
        for n in part.notes:
            at = round(n.start / step)
            if 0 <= at < size:
                onsets.setdefault(at, set()).add(voice)
    last = len(parts) - 1
    hits = []
    for at, voices in onsets.items():
        beat, offbeat = divmod(at % steps_per_bar, steps_per_bar // 4)
        drums = []
        if not offbeat and beat in (0, 2) and last in voices:
            drums.append(36)
        if not offbeat and beat in (1, 3):
            drums.append(38)
        if voices - {0, last}:
            drums.append(42)
        hits += [Note(p, 80, at * step, (at + 1) * step, 9, 0, True) for p in drums]
    return hits


def trio_windows(piece: Any, coding: TrioCoding, *, hop_bars: int = 2) -> list[list[list[int]]]:
    """16-bar trios of a piece, ``hop_bars`` apart: its top voice is the melody, its lowest the
    bass, its drum notes the drums, or for a piece with no drums (a chorale) drums drawn from
    its rhythm (:func:`_drums_from_voices`).

    Every window is music to its end. A piece shorter than 16 bars is played again from its
    start (in whole bars) until 16 bars are full, as a hymn goes on to its next verse; in a
    longer one the windows lie wholly inside it, the last ending with it. (Windows that ran
    past a piece's end used to end in rests: 72% of the chorales are shorter than 16 bars,
    the 16th bar of 70% of the windows was silent, and the trio learnt to fall silent.)

    Examples:
        >>> code = TrioCoding()
        >>> tune = sk.Notes([{"pitch": 60 + i % 7, "start_time": i * 0.5, "end_time": i * 0.5 + 0.5,
        ...                   "instrument": 0} for i in range(20)])   # 5 bars at 120 bpm
        >>> class Piece: parts = [tune]
        >>> [window] = trio_windows(Piece, code)
        >>> all(any(row[0] >= 2 for row in window[b * 16:(b + 1) * 16]) for b in range(16))
        True
    """
    tempo = piece.parts[0].tempo
    step = 60.0 / tempo / 4
    bar = coding.steps_per_bar
    length = max(round(n.end / step) for p in piece.parts for n in p.notes)
    span = max(1, -(-length // bar)) * bar  # whole bars
    parts = [p for p in piece.parts if not any(n.is_drum for n in p.notes)]
    drums = [n for p in piece.parts for n in p.notes if n.is_drum] or \
        _drums_from_voices(parts, step, length, coding.steps_per_bar)
    full = coding.grid(parts[0].notes, parts[-1].notes if len(parts) > 1 else [], drums, step, span)
    if span < coding.steps:
        full = (full * -(-coding.steps // span))[:coding.steps]
        span = coding.steps
    begins = list(range(0, span - coding.steps + 1, hop_bars * bar))
    if begins[-1] != span - coding.steps:
        begins.append(span - coding.steps)
    out = []
    for begin in begins:
        window = [list(r) for r in full[begin:begin + coding.steps]]
        for t in (0, 1):
            s = 0
            while s < len(window) and window[s][t] == HOLD:
                window[s][t] = REST  # a note held into the window starts it as a rest
                s += 1
        out.append(window)
    return out


QUARTET = (40, 40, 41, 42)


def chorale_bars(piece: Any, coding: MultitrackCoding,
                 programs: Sequence[int] | None = None) -> list[tuple[list[list[int]], int]]:
    """``(tracks, chord)`` for each bar of a piece with two or more voices sounding, the chord
    inferred from all voices (:func:`infer_chord`). ``programs`` gives the voices General MIDI
    programs (the chorales are read as a string quartet, :data:`QUARTET`: violin, violin,
    viola, cello); by default each keeps its own."""
    tempo = piece.parts[0].tempo
    bar = 4 * 60.0 / tempo
    end = max(n.end for p in piece.parts for n in p.notes)
    voices = [[{"pitch": n.pitch, "velocity": n.velocity, "start_time": n.start,
                "end_time": n.end, "instrument": v, "is_drum": n.is_drum,
                "program": n.program if programs is None else programs[min(v, len(programs) - 1)]}
               for n in part.notes] for v, part in enumerate(piece.parts)]
    music = sk.Notes([n for v in voices for n in v], tempo=tempo)
    out = []
    for b in range(int(math.ceil(end / bar - 1e-6))):
        start = b * bar
        tracks = coding.encode_bar(music, start=start, qpm=tempo)
        if sum(len(t) > 2 for t in tracks) < 2:
            continue
        out.append((tracks, infer_chord(music.notes, start=start, end=start + bar)))
    return out


def _held(name: str, validation: float) -> bool:
    return validation > 0 and zlib.crc32(name.encode()) % 1000 < validation * 1000


class _Own:
    """A piece of the user's: its voices keep their own programs."""

    def __init__(self, name: str, parts: list[sk.Notes]) -> None:
        self.name, self.parts = name, parts


def _pieces(data: Any) -> list[Any]:
    """Pieces (``name``, ``parts``) from ``"bach"``, a list of pieces or a list of ``sk.Notes``."""
    from sketchml_music.corpus import Piece, bach_pieces

    if isinstance(data, str) and data == "bach":
        return list(bach_pieces())
    if isinstance(data, (list, tuple)) and data:
        out = []
        for i, item in enumerate(data):
            if isinstance(item, Piece):
                out.append(item)
            else:
                music = item if isinstance(item, sk.Notes) else sk.Notes(item)
                groups: dict[int, list[Any]] = {}
                for n in music.notes:
                    groups.setdefault(n.instrument, []).append(n)
                parts = [sk.Notes(groups[k], tempo=music.tempo) for k in sorted(
                    groups, key=lambda k: -sum(n.pitch for n in groups[k]) / len(groups[k]))]
                out.append(_Own(f"item{i}", parts))
        return out
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from sketchml.plugin import MidiFolder

        folder = MidiFolder(data)
        pieces = []
        for path, notes in zip(folder.paths, folder.songs):
            music = sk.Notes(notes)
            groups = {}
            for n in music.notes:
                groups.setdefault(n.instrument, []).append(n)
            parts = [sk.Notes(groups[k], tempo=music.tempo) for k in sorted(
                groups, key=lambda k: -sum(n.pitch for n in groups[k]) / len(groups[k]))]
            if parts:
                pieces.append(_Own(str(path.relative_to(folder.root)), parts))
        return pieces
    raise sk.SketchmlError(f"data must be a folder of MIDI files, 'bach' or a list of notes; got "
                           f"{type(data).__name__}.")


def examples(kind: str, pieces: Sequence[Any], coding: Any, *, hop_bars: int = 2) -> list[Any]:
    """Training examples of ``kind`` from pieces: trios ``(steps, 3)`` or ``(tracks, chord)`` bars
    (music21's chorales, :class:`~sketchml_music.corpus.Piece` s, as a string quartet)."""
    from sketchml_music.corpus import Piece

    if kind == "trio":
        return [w for p in pieces if any(not n.is_drum for part in p.parts for n in part.notes)
                for w in trio_windows(p, coding, hop_bars=hop_bars)]
    return [b for p in pieces for b in chorale_bars(
        p, coding, QUARTET if isinstance(p, Piece) else None)]


# -- training --------------------------------------------------------------------------------

def _transpose_trio(batch: torch.Tensor, shift: int) -> torch.Tensor:
    moved = batch.clone()
    for t in (0, 1):
        notes = moved[..., t] >= 2
        moved[..., t] = torch.where(notes, moved[..., t] + shift, moved[..., t])
    return moved


def _trio_shift_range(batch: torch.Tensor, transpose: int, classes: int = 90) -> tuple[int, int]:
    notes = batch[..., :2][batch[..., :2] >= 2]
    if not len(notes):
        return 0, 0
    return max(-transpose, 2 - int(notes.min())), min(transpose, classes - 1 - int(notes.max()))


def _transpose_bars(tracks: torch.Tensor, chords: torch.Tensor, shift: int,
                    coding: MultitrackCoding) -> tuple[torch.Tensor, torch.Tensor]:
    p = coding.pitches
    moved = tracks.clone()
    pitched = (tracks >= 0) & (tracks < 2 * p)
    moved[pitched] += shift
    return moved, _transpose_chords(chords, shift)


def _bars_shift_range(tracks: torch.Tensor, transpose: int, coding: MultitrackCoding) -> tuple[int, int]:
    p = coding.pitches
    pitched = tracks[(tracks >= 0) & (tracks < 2 * p)] % p
    if not len(pitched):
        return 0, 0
    return max(-transpose, -int(pitched.min())), min(transpose, p - 1 - int(pitched.max()))


class _Rows(torch.utils.data.Dataset):
    """The rows of a tensor as a map-style dataset."""

    def __init__(self, rows: torch.Tensor) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.rows[index]


def train_hier(data: Any, *, out: Any, config: str, steps: int = 2000, z: int | None = None,
               encoder: int | None = None, decoder: int | None = None, layers: int | None = None,
               encoder_layers: int | None = None, batch_size: int = 64, lr: float = 0.001,
               max_beta: float | None = None, beta_rate: float | None = None,
               free_bits: float | None = None, transpose: int = 3, validation: float = 0.1,
               chord_dropout: float = 0.1, seed: int | None = None, minutes: float | None = None,
               checkpoint_every: int | None = None, progress: bool | None = None,
               should_stop: Callable[[], bool] | None = None, device: Any = None,
               bars: int = 16, export: str = "musicvae.safetensors") -> tuple[Any, nn.Module]:
    """Train a trio or multitrack MusicVAE (``config`` one of :data:`HIER_CONFIGS`); ``(run, net)``.

    ``data`` is ``"bach"`` (music21's chorales), a list of ``sk.Notes`` (one piece each, its
    instruments the voices, highest first) or a folder of MIDI files. Trios are 16-bar windows
    (``bars`` sets fewer for tests) two bars apart; multitrack examples are bars with their
    inferred chord (``chord_dropout`` of them shown as no chord, so the model also plays
    unconditioned). Each batch is transposed by a random number of semitones in
    ``-transpose..transpose`` (chords with it). ``validation`` holds out that share of pieces
    (stable hash of the name) and logs ``val_accuracy``.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> tune = sk.Notes([{"pitch": 60 + i % 5 + 12 * v, "start_time": i / 2,
        ...                   "end_time": i / 2 + 0.5, "instrument": v} for v in range(2)
        ...                  for i in range(16)])
        >>> run, net = train_hier([tune], out=tempfile.mkdtemp(), config="hierdec-trio_16bar",
        ...                       steps=1, z=4, encoder=8, decoder=8, layers=1, encoder_layers=1,
        ...                       batch_size=1, validation=0, progress=False, bars=2, device="cpu")
        >>> net.z_size
        4
    """
    import json
    from pathlib import Path

    from sketchml.plugin import TrainingRun, latest_checkpoint, seed_everything
    from sketchml_music.musicvae import MusicVAETraining, kl_penalty

    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints and the trained "
                               "weights, e.g. vae.train('bach', out='runs/trio', "
                               "config='hierdec-trio_16bar').")
    seed = MusicVAETraining(seed=seed).seed_for(out)
    base = HIER_CONFIGS[config]
    kind = base["kind"]
    given = {"z": z, "encoder": encoder, "decoder": decoder, "layers": layers,
             "encoder_layers": encoder_layers, "max_beta": max_beta, "beta_rate": beta_rate,
             "free_bits": free_bits}
    settings = {**{k: v for k, v in base.items() if k not in ("kind", "batch_size")},
                **{k: v for k, v in given.items() if v is not None}}
    for name in ("z", "encoder", "decoder", "layers", "encoder_layers"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise sk.SketchmlError(f"{name} must be a whole number >= 1, got {value!r}.")
    if not 0 <= validation < 0.5:
        raise sk.SketchmlError(f"validation is the share of pieces held out, from 0 to 0.5; "
                               f"got {validation!r}.")
    pieces = _pieces(data)
    coding: Any = TrioCoding(bars=bars) if kind == "trio" else MultitrackCoding()
    train_set = examples(kind, [p for p in pieces if not _held(p.name, validation)], coding)
    held_set = examples(kind, [p for p in pieces if _held(p.name, validation)], coding, hop_bars=16)
    if not train_set:
        raise sk.SketchmlError(f"No {'trio' if kind == 'trio' else 'bar with two or more voices'} "
                               f"was found to train on: give music with at least two voices.")
    model_config = {"family": "musicvae", "config": config, "kind": kind, **settings}
    if kind == "trio":
        model_config["bars"] = bars
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in ("config", "z", "encoder", "decoder", "layers", "encoder_layers")
                   if before.get(k) != model_config[k]]
        if changed:
            raise sk.SketchmlError(
                f"{out} holds a MusicVAE run with different "
                f"{', '.join(f'{k}={before.get(k)!r}' for k in changed)}; resume with the same "
                f"settings or train into another out= folder.")
    seed_everything(seed)
    sizes = {k: settings[k] for k in ("z", "encoder", "decoder", "layers", "encoder_layers")}
    net: Any = TrioNet(**sizes, coding=coding) if kind == "trio" else MultitrackNet(**sizes, coding=coding)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    run = TrainingRun(out=out, model=net, optimizers=optimizer, steps=steps, seed=seed,
                      device=device, progress=progress, config=model_config,
                      checkpoint_every=checkpoint_every)
    if kind == "trio":
        dataset: Any = _Rows(torch.tensor(train_set, dtype=torch.long))
        held = torch.tensor(held_set[:64], dtype=torch.long) if held_set else None
    else:
        dataset = _Rows(torch.arange(len(train_set)))
        held = (pad_tracks([t for t, _ in held_set[:128]]),
                torch.tensor([c for _, c in held_set[:128]])) if held_set else None
    eval_every = max(1, steps // 10)
    started = time.monotonic()
    for step, batch in run.loop(dataset, batch_size=min(batch_size, len(dataset))):
        if (minutes is not None and time.monotonic() - started > minutes * 60) or \
                (should_stop is not None and should_stop()):
            break
        model = run.model
        if kind == "trio":
            low, high = _trio_shift_range(batch, transpose)
            trios = _transpose_trio(batch, int(torch.randint(low, high + 1, ())))
            mu, sigma = model.encode(trios)
            logits = model.decode_logits(mu + sigma * torch.randn_like(mu), trios)
            recon = sum(F.cross_entropy(lg.flatten(0, 1), trios[..., t].flatten(), reduction="sum")
                        for t, lg in enumerate(logits)) / len(trios)
        else:
            chosen = [train_set[int(i)] for i in batch]
            tracks = pad_tracks([t for t, _ in chosen]).to(mu_device(model))
            chords = torch.tensor([c for _, c in chosen], device=tracks.device)
            chords = torch.where(torch.rand(len(chords), device=tracks.device) < chord_dropout,
                                 torch.zeros_like(chords), chords)
            low, high = _bars_shift_range(tracks, transpose, coding)
            tracks, chords = _transpose_bars(tracks, chords, int(torch.randint(low, high + 1, ())), coding)
            mu, sigma = model.encode(tracks, chords)
            logits = model.decode_logits(mu + sigma * torch.randn_like(mu), tracks, chords)
            recon = F.cross_entropy(logits.flatten(0, 2), tracks.flatten(), ignore_index=-1,
                                    reduction="sum") / len(tracks)
        kl, beta, penalty = kl_penalty(mu, sigma, step, settings)
        loss = recon + penalty
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        values = {"recon": recon.detach(), "kl": kl.detach(), "beta": beta}
        if held is not None and (step % eval_every == 0 or step == steps):
            if kind == "trio":
                values["val_accuracy"] = sum(trio_accuracy(net, held[:16])) / 3
            else:
                values["val_accuracy"] = multitrack_accuracy(net, held[0][:32], held[1][:32])
        run.log(**values)
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    if run.is_main:
        from safetensors.torch import save

        from sketchml.plugin import atomic_write_bytes

        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        meta = {"format": f"sketchml.musicvae.{kind}/1",
                "config": json.dumps({**model_config, "step": run.step})}
        atomic_write_bytes(Path(out) / export, save(state, metadata=meta))
    return run, net.eval()


def mu_device(net: nn.Module) -> torch.device:
    """The device a network's weights are on."""
    return net.mu.weight.device


# -- what the MusicVAE family calls -----------------------------------------------------------

def encode_music(net: Any, music: Sequence[sk.Notes]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mu, sigma)`` of trios (their first 16 bars) or bars (their first bar, chord inferred)."""
    device = mu_device(net)
    if net.kind == "trio":
        return net.encode(net.classes_of(music).to(device))
    bars = [net.coding.encode_bar(m, qpm=m.tempo) for m in music]
    chords = [infer_chord(m.notes, end=4 * 60.0 / m.tempo) for m in music]
    return net.encode(pad_tracks(bars).to(device), torch.tensor(chords, device=device))


def chord_list(chords: Any) -> list[int]:
    """Chord classes from a list of symbols or one string of them (``"C G Am F"``).

    Examples:
        >>> chord_list("C G Am F")
        [1, 8, 22, 6]
    """
    items = re.split(r"[\s,|]+", chords.strip()) if isinstance(chords, str) else chords
    if not isinstance(items, (list, tuple)) or not items or items == [""]:
        raise sk.SketchmlError(f"chords= is a list of chord symbols, one a bar, e.g. "
                               f"['C', 'G', 'Am', 'F'] (or 'C G Am F'); got {chords!r}.")
    return [chord_index(c) for c in items]


def decode_music(net: Any, z: torch.Tensor, *, temperature: float | None,
                 generator: torch.Generator | None, chords: Any = None) -> list[list[dict[str, Any]]]:
    """Note dicts for each latent: a 16-bar trio, or one bar per chord (one bar, no chord, if None)."""
    if net.kind == "trio":
        if chords is not None:
            raise sk.SketchmlError("chords= steers the multitrack MusicVAE "
                                   "(sk.model('musicvae.multitrack')); the trio plays without chords.")
        return net.notes_of(net.decode(z, temperature=temperature, generator=generator))
    if chords is not None and not net.chord_classes:
        raise sk.SketchmlError("This multitrack MusicVAE was trained without chords (as Magenta's "
                               "hier-multiperf_vel_1bar_med); generate without chords=, or load a "
                               "chord-conditioned one such as musicvae.multitrack.")
    indices = [0] if chords is None else chord_list(chords)
    n, k = len(z), len(indices)
    classes = net.decode(z.repeat_interleave(k, 0), torch.tensor(indices * n), temperature=temperature,
                         generator=generator)
    bar = 4 * 60.0 / net.coding.qpm
    return [[note for j in range(k) for note in net.notes_of(
        classes[i * k + j:i * k + j + 1], start=j * bar)[0]] for i in range(n)]


def accuracy(net: Any, music: Sequence[sk.Notes]) -> float:
    """Reconstruction accuracy of trios (mean over the tracks) or bars (events in place)."""
    if net.kind == "trio":
        return sum(trio_accuracy(net, net.classes_of(music))) / 3
    bars = [net.coding.encode_bar(m, qpm=m.tempo) for m in music]
    chords = [infer_chord(m.notes, end=4 * 60.0 / m.tempo) for m in music]
    return multitrack_accuracy(net, pad_tracks(bars), torch.tensor(chords))


@torch.no_grad()
def chord_following(net: MultitrackNet, latents: torch.Tensor, chords: Sequence[int], *,
                    temperature: float = 0.5, seed: int = 0) -> dict[str, float]:
    """How much chords steer: the share of generated pitched notes in chord ``chords[i]`` when
    latent ``i`` is decoded with that chord (``"given"``), with no chord (``"none"``) and with
    the chord a tritone away (``"other"``). Sampled at ``temperature`` from ``seed``."""
    target = torch.tensor(list(chords))
    other = _transpose_chords(target, 6)
    shares = {}
    for name, given in (("given", target), ("none", torch.zeros_like(target)), ("other", other)):
        generator = torch.Generator().manual_seed(seed)
        classes = net.decode(latents, given, temperature=temperature, generator=generator)
        notes = net.notes_of(classes)
        hits = total = 0
        for bar, chord in zip(notes, target.tolist()):
            tones = chord_pitch_classes(chord)
            pitched = [n for n in bar if not n.get("is_drum")]
            hits += sum(n["pitch"] % 12 in tones for n in pitched)
            total += len(pitched)
        shares[name] = hits / total if total else math.nan
        shares[f"{name}_notes"] = total
    return shares
