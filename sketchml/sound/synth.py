"""Songs made from numbers, with beats at known times: for tests, lessons and offline sketches.

:func:`beat_song` mixes a kick drum on every beat, a hi-hat between beats and a chord
pad that changes every bar (so it has percussive onsets, harmonic energy and chroma),
all from sine waves and seeded noise: the same arguments give the same samples.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["beat_song", "beat_times"]

# A I-V-vi-IV progression in C (MIDI notes), one chord per bar.
_CHORDS = ((60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60))


def beat_times(*, bpm: float = 120.0, seconds: float = 8.0,
               silence: tuple[float, float] | None = None) -> np.ndarray:
    """The times (s) of the kicks :func:`beat_song` plays with the same arguments.

    Examples:
        >>> beat_times(bpm=120, seconds=2).tolist()
        [0.0, 0.5, 1.0, 1.5]
    """
    times = np.arange(0.0, seconds - 1e-9, 60.0 / bpm)
    if silence is not None:
        times = times[(times < silence[0]) | (times >= silence[1])]
    return times


def beat_song(*, bpm: float = 120.0, seconds: float = 8.0, rate: int = 44100, seed: int = 0,
              silence: tuple[float, float] | None = None, pad: bool = True,
              chords: Sequence[Sequence[int]] = _CHORDS) -> Any:
    """A mono :class:`sketchml.Audio` with a kick on every beat (``bpm``), a hi-hat between
    beats and, with ``pad``, a chord per bar (4 beats); ``silence=(start, end)`` in seconds
    leaves that stretch silent.

    Examples:
        >>> song = beat_song(bpm=100, seconds=3)
        >>> song.duration, song.sample_rate
        (3.0, 44100)
    """
    from sketchml.models.results import Audio

    total = int(round(seconds * rate))
    out = np.zeros(total, np.float64)
    beat = 60.0 / bpm
    t = np.arange(int(0.25 * rate)) / rate
    # Kick: a sine sliding from 150 Hz to 50 Hz, dying in about a tenth of a second.
    kick = np.sin(2 * np.pi * (50 * t + 100 * (1 - np.exp(-t * 30)) / 30)) * np.exp(-t * 25)
    rng = np.random.default_rng(seed)
    hat_t = t[: int(0.05 * rate)]
    hat = rng.standard_normal(len(hat_t)) * np.exp(-hat_t * 90) * 0.15
    hat = np.diff(hat, prepend=0.0)          # high-pass: a hi-hat has no body
    for start in beat_times(bpm=bpm, seconds=seconds):
        _add(out, kick * 0.8, int(round(start * rate)))
        _add(out, hat, int(round((start + beat / 2) * rate)))
    if pad:
        bar = 4 * beat
        for number, start in enumerate(np.arange(0.0, seconds, bar)):
            length = int(round(min(bar, seconds - start) * rate))
            tt = np.arange(length) / rate
            envelope = np.minimum(1.0, tt / 0.05) * np.minimum(1.0, (length / rate - tt) / 0.05)
            chord = chords[number % len(chords)]
            tone = sum(np.sin(2 * np.pi * 440.0 * 2 ** ((note - 69) / 12) * tt) for note in chord)
            _add(out, tone * envelope * 0.06, int(round(start * rate)))
    if silence is not None:
        out[int(silence[0] * rate): int(silence[1] * rate)] = 0.0
    return Audio(np.clip(out, -1, 1).astype(np.float32), sample_rate=rate)


def _add(out: np.ndarray, sound: np.ndarray, start: int) -> None:
    end = min(len(out), start + len(sound))
    if start < end:
        out[start:end] += sound[: end - start]
