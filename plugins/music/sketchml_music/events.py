"""Magenta's performance event encoding, and the control signals Performance RNN is conditioned on.

After Oore et al., "This Time with Feeling: Learning Expressive Musical Performance" (2018),
and Magenta's ``performance_lib`` / ``performance_encoder_decoder``: a performance is a
stream of events, each one class of a single softmax, in this order of ranges::

    NOTE_ON    pitch 0-127            classes   0 .. 127
    NOTE_OFF   pitch 0-127            classes 128 .. 255
    TIME_SHIFT 1-100 steps of 10 ms   classes 256 .. 355
    VELOCITY   bin 1-32 (optional)    classes 356 .. 387

A velocity event sets the loudness of the note-ons after it and is written only when the
bin changes (bin = ``(velocity - 1) * bins // 127 + 1``, decoded as ``1 + (bin - 1) *
ceil(127 / bins)``). Simultaneous events are written note-offs first, then note-ons, by
pitch. Gaps longer than a second are written as several time shifts.

The controls, as in Magenta's ``performance_controls``, look forward from each event:

* note density: note-ons per second in the 3 seconds from the event, one-hot in the bins
  ``[<1, 1-2, 2-4, 4-8, 8-16, 16-32, 32-64, >=64]``;
* pitch-class histogram: the share of each pitch class (C, C#, ... B) among the note-ons
  in the 5 seconds from the event (uniform where there are none).

Examples:
    >>> from sketchml_music.events import PerformanceEncoding
    >>> code = PerformanceEncoding(velocity_bins=32)
    >>> events = code.encode([{"pitch": 60, "velocity": 100, "start_time": 0.0, "end_time": 0.5}])
    >>> [code.describe(e) for e in events]
    ['velocity 25', 'note-on 60', 'shift 50', 'note-off 60']
    >>> code.decode(events)[0]["end_time"]
    0.5
"""
from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import sketchml as sk

__all__ = ["DENSITY_BINS", "DENSITY_WINDOW", "EventDecoder", "MAX_NOTE_DURATION", "PITCH_WINDOW",
           "PerformanceEncoding", "key_histogram", "note_density", "pitch_histogram"]

DENSITY_BINS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
DENSITY_WINDOW = 3.0
MAX_NOTE_DURATION = 5.0
PITCH_WINDOW = 5.0
_NOTE_NAMES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
# Scale weights from the tonic up, the tonic counted twice (as Magenta's examples do).
_SCALES = {"major": (2, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1),
           "minor": (2, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0)}


@dataclass(frozen=True)
class PerformanceEncoding:
    """The event vocabulary: 128 note-ons, 128 note-offs, ``max_shift_steps`` shifts, velocity bins.

    Args:
        velocity_bins: 0 (every note at ``default_velocity``) or the number of bins (32 in
            Magenta's ``*_with_dynamics`` configs).
        max_shift_steps: the longest single time shift in steps (100 = one second).
        steps_per_second: the time grid (100 = 10 ms).
        default_velocity: the loudness of decoded notes before any velocity event.

    Examples:
        >>> PerformanceEncoding(velocity_bins=32).num_classes
        388
        >>> PerformanceEncoding(velocity_bins=0).num_classes
        356
    """

    velocity_bins: int = 32
    max_shift_steps: int = 100
    steps_per_second: int = 100
    default_velocity: int = 80

    @property
    def num_classes(self) -> int:
        """How many event classes (the softmax size)."""
        return 256 + self.max_shift_steps + self.velocity_bins

    @property
    def shift_offset(self) -> int:
        """Class of the one-step time shift."""
        return 256

    @property
    def velocity_offset(self) -> int:
        """Class of velocity bin 1."""
        return 256 + self.max_shift_steps

    def velocity_bin(self, velocity: int) -> int:
        """The bin (1..velocity_bins) a MIDI velocity (1..127) falls in."""
        return (max(1, min(127, int(velocity))) - 1) * self.velocity_bins // 127 + 1

    def bin_velocity(self, bin_: int) -> int:
        """The MIDI velocity a bin decodes to."""
        return 1 + (bin_ - 1) * math.ceil(127 / self.velocity_bins)

    def describe(self, event: int) -> str:
        """A readable name for an event class, e.g. ``'note-on 60'`` or ``'shift 12'``."""
        if not 0 <= event < self.num_classes:
            raise sk.SketchmlError(f"Event {event} is outside this encoding's 0..{self.num_classes - 1}.")
        if event < 128:
            return f"note-on {event}"
        if event < 256:
            return f"note-off {event - 128}"
        if event < self.velocity_offset:
            return f"shift {event - self.shift_offset + 1}"
        return f"velocity {event - self.velocity_offset + 1}"

    def encode(self, notes: Any) -> list[int]:
        """Events for notes (``sk.Notes``, a NoteSequence, dicts or ``Note`` s), from time 0.

        Drum notes are left out: a performance is pitched.
        """
        items = [n for n in sk.Notes(notes).notes if not n.is_drum]
        rate = self.steps_per_second
        timeline = []
        for note in items:
            on = round(note.start * rate)
            off = max(round(note.end * rate), on + 1)
            timeline.append((off, 0, note.pitch, 0))
            timeline.append((on, 1, note.pitch, note.velocity))
        timeline.sort()
        events: list[int] = []
        now, current_bin = 0, None
        for step, is_on, pitch, velocity in timeline:
            events.extend(self.shifts(step - now))
            now = step
            if is_on:
                if self.velocity_bins:
                    bin_ = self.velocity_bin(velocity)
                    if bin_ != current_bin:
                        events.append(self.velocity_offset + bin_ - 1)
                        current_bin = bin_
                events.append(pitch)
            else:
                events.append(128 + pitch)
        return events

    def shifts(self, steps: int) -> list[int]:
        """The time-shift events that move ``steps`` forward (none for 0)."""
        out = []
        while steps > 0:
            size = min(steps, self.max_shift_steps)
            out.append(self.shift_offset + size - 1)
            steps -= size
        return out

    def decode(self, events: Sequence[int], *, start: float = 0.0,
               max_note_duration: float | None = MAX_NOTE_DURATION) -> list[dict[str, Any]]:
        """Notes (dicts with pitch, velocity, start_time, end_time) from events.

        A note-off ends the earliest sounding note of its pitch (and is ignored when none
        sounds); notes still sounding at the end are ended there (at least one step long).
        Notes are cut at ``max_note_duration`` seconds (5, as Magenta's generator does; a
        network that forgets a note-off would otherwise hold the key for good).
        """
        decoder = EventDecoder(self, start=start, max_note_duration=max_note_duration)
        notes = []
        for event in events:
            notes.extend(decoder.push(int(event)))
        notes.extend(decoder.close())
        return sorted(notes, key=lambda n: (n["start_time"], n["pitch"]))

    def duration(self, events: Sequence[int]) -> int:
        """How many steps the events span (the sum of their time shifts)."""
        codes = np.asarray(events, dtype=np.int64)
        is_shift = (codes >= self.shift_offset) & (codes < self.velocity_offset)
        return int((codes[is_shift] - self.shift_offset + 1).sum())

    def times(self, events: Sequence[int]) -> np.ndarray:
        """The time in steps at which each event happens (before its own shift)."""
        codes = np.asarray(events, dtype=np.int64)
        is_shift = (codes >= self.shift_offset) & (codes < self.velocity_offset)
        sizes = np.where(is_shift, codes - self.shift_offset + 1, 0)
        return np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(codes) else np.zeros(0, np.int64)


class EventDecoder:
    """Turns events into notes one at a time (for streaming): :meth:`push` returns finished notes.

    Examples:
        >>> code = PerformanceEncoding()
        >>> decoder = EventDecoder(code)
        >>> decoder.push(60), decoder.push(code.shift_offset + 9), decoder.push(128 + 60)
        ([], [], [{'pitch': 60, 'velocity': 80, 'start_time': 0.0, 'end_time': 0.1}])
    """

    def __init__(self, encoding: PerformanceEncoding, *, start: float = 0.0,
                 max_note_duration: float | None = MAX_NOTE_DURATION) -> None:
        self.encoding = encoding
        self.step = round(start * encoding.steps_per_second)
        self.velocity = encoding.default_velocity
        self.sounding: dict[int, deque[tuple[int, int]]] = defaultdict(deque)
        self.longest = None if max_note_duration is None else round(
            max_note_duration * encoding.steps_per_second)

    @property
    def time(self) -> float:
        """Where the performance is now, in seconds."""
        return self.step / self.encoding.steps_per_second

    def _note(self, pitch: int, began: int, velocity: int, end: int) -> dict[str, Any]:
        rate = self.encoding.steps_per_second
        return {"pitch": pitch, "velocity": velocity, "start_time": began / rate,
                "end_time": max(end, began + 1) / rate}

    def push(self, event: int) -> list[dict[str, Any]]:
        """Apply one event; the notes it ends (a note-off ends one, a shift may cut long ones)."""
        code = self.encoding
        if event < 128:
            self.sounding[event].append((self.step, self.velocity))
        elif event < 256:
            queue = self.sounding.get(event - 128)
            if queue:
                began, velocity = queue.popleft()
                return [self._note(event - 128, began, velocity, self.step)]
        elif event < code.velocity_offset:
            self.step += event - code.shift_offset + 1
            if self.longest is not None:
                return self._cut_long_notes()
        elif event < code.num_classes:
            self.velocity = code.bin_velocity(event - code.velocity_offset + 1)
        else:
            raise sk.SketchmlError(f"Event {event} is outside this encoding's 0..{code.num_classes - 1}.")
        return []

    def _cut_long_notes(self) -> list[dict[str, Any]]:
        cut = []
        for pitch, queue in self.sounding.items():
            while queue and self.step - queue[0][0] >= self.longest:  # type: ignore[operator]
                began, velocity = queue.popleft()
                cut.append(self._note(pitch, began, velocity, began + self.longest))  # type: ignore[operator]
        return cut

    def close(self) -> list[dict[str, Any]]:
        """End every sounding note now."""
        notes = [self._note(pitch, began, velocity, self.step)
                 for pitch, queue in self.sounding.items() for began, velocity in queue]
        self.sounding.clear()
        return notes


# -- controls -------------------------------------------------------------------------------

def _window_ends(times: np.ndarray, seconds: float, rate: int) -> np.ndarray:
    return np.searchsorted(times, times + seconds * rate, side="left")


def note_density(encoding: PerformanceEncoding, events: Sequence[int]) -> np.ndarray:
    """Note-ons per second in the window from each event (``(T,)``, Magenta's 3 s window)."""
    codes = np.asarray(events, dtype=np.int64)
    times = encoding.times(codes)
    ons = np.concatenate([[0], np.cumsum(codes < 128)])
    ends = _window_ends(times, DENSITY_WINDOW, encoding.steps_per_second)
    return (ons[ends] - ons[np.arange(len(codes))]) / DENSITY_WINDOW


def pitch_histogram(encoding: PerformanceEncoding, events: Sequence[int]) -> np.ndarray:
    """Pitch-class shares of the note-ons in the window from each event (``(T, 12)``, 5 s window)."""
    codes = np.asarray(events, dtype=np.int64)
    times = encoding.times(codes)
    onehot = np.zeros((len(codes), 12))
    on = codes < 128
    onehot[np.flatnonzero(on), codes[on] % 12] = 1.0
    counts = np.concatenate([np.zeros((1, 12)), np.cumsum(onehot, axis=0)])
    ends = _window_ends(times, PITCH_WINDOW, encoding.steps_per_second)
    window = counts[ends] - counts[np.arange(len(codes))]
    total = window.sum(axis=1, keepdims=True)
    return np.where(total > 0, window / np.maximum(total, 1), 1.0 / 12)


def key_histogram(key: str | Sequence[float]) -> np.ndarray:
    """A normalised 12-value pitch-class histogram from a key name or 12 weights.

    Key names: a note (``C``, ``F#``, ``Bb``) then ``major`` or ``minor`` (``"A minor"``;
    ``"Am"`` and a bare ``"G"`` work too).

    Examples:
        >>> [round(float(v), 3) for v in key_histogram("C major")][:5]
        [0.25, 0.0, 0.125, 0.0, 0.125]
        >>> int(key_histogram("A minor").argmax())
        9
    """
    if isinstance(key, str):
        match = re.fullmatch(r"\s*([A-Ga-g])\s*([#b♯♭]?)\s*(major|minor|maj|min|m)?\s*", key)
        if match is None:
            raise sk.SketchmlError(
                f"pitch_histogram={key!r} is not a key: use a note and major/minor such as "
                f"'C major', 'F# minor', 'Bb major' (or 'Am'), or 12 weights for C, C#, ... B."
            )
        tonic = _NOTE_NAMES[match.group(1).lower()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(
            match.group(2), 0)
        mode = "minor" if (match.group(3) or "major").startswith("m") and match.group(3) not in (
            "major", "maj") else "major"
        weights = np.roll(np.array(_SCALES[mode], dtype=np.float64), tonic % 12)
    else:
        try:
            weights = np.asarray(key, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise sk.SketchmlError(f"pitch_histogram must be a key name or 12 numbers, got "
                                   f"{key!r}.") from exc
        if weights.size != 12 or not np.all(np.isfinite(weights)) or np.any(weights < 0) \
                or weights.sum() <= 0:
            raise sk.SketchmlError(
                f"pitch_histogram needs 12 weights >= 0 (C, C#, D, ... B), not all zero; got "
                f"{weights.size} value(s). A key name such as 'C major' works too."
            )
    return weights / weights.sum()
