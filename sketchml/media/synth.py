"""Notes to sound: FluidSynth with a General MIDI soundfont, or a plain built-in synth.

:func:`render_notes` turns notes (``sk.Notes``, a NoteSequence, ``Note`` lists) into a
waveform. With ``synth="auto"`` it uses FluidSynth (the ``pyfluidsynth`` binding over the
system's libfluidsynth) and the small General MIDI soundfont that ``pretty_midi`` ships
(TimGM6mb), so each note sounds as its General MIDI program (piano, strings, drums...);
when either is missing it says so once and falls back to :func:`plain_synth`, a few
decaying harmonics per note that needs only numpy. ``sk.Notes.to_audio`` and
``notes.save("x.wav")`` call it.

Examples:
    >>> from sketchml.media.midi import Note
    >>> from sketchml.media.synth import render_notes
    >>> wave, rate = render_notes([Note(69, 100, 0.0, 0.5)], sample_rate=8000, synth="plain")
    >>> wave.shape[0], rate, round(float(abs(wave).max()), 2) > 0
    (1, 8000, True)
"""
from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.media.midi import DRUM_CHANNEL, Note, notes_from

__all__ = ["fluidsynth_problem", "general_midi_soundfont", "plain_synth", "render_notes"]

SYNTHS = ("auto", "fluidsynth", "plain")
RELEASE = 1.0  # seconds of sound kept after the last note ends
_INSTALL = ("install libfluidsynth (Debian/Ubuntu: apt install libfluidsynth3; macOS: brew "
            "install fluid-synth) and `pip install pyfluidsynth pretty_midi`")
_warned = False


def general_midi_soundfont() -> Path | None:
    """The General MIDI soundfont pretty_midi ships (TimGM6mb.sf2), or ``None`` without pretty_midi."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "TimGM6mb.sf2"
    return path if path.is_file() else None


def fluidsynth_problem() -> str | None:
    """Why FluidSynth cannot render here (``None`` when it can).

    Examples:
        >>> problem = fluidsynth_problem()
        >>> problem is None or "libfluidsynth" in problem
        True
    """
    try:
        import fluidsynth  # noqa: F401
    except ImportError as exc:
        return f"FluidSynth is not available ({exc}); {_INSTALL}"
    except OSError as exc:  # the binding is installed but the C library is not
        return f"the FluidSynth library could not be loaded ({exc}); {_INSTALL}"
    if not hasattr(fluidsynth, "Synth"):
        return f"the installed `fluidsynth` module is not pyfluidsynth; {_INSTALL}"
    if general_midi_soundfont() is None:
        return "no General MIDI soundfont: `pip install pretty_midi` (it ships TimGM6mb.sf2)"
    return None


def render_notes(notes: Any, *, sample_rate: int = 44100, synth: str = "auto",
                 soundfont: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, int]:
    """Render notes to ``(waveform, sample_rate)``; ``waveform`` is ``(channels, samples)`` float32.

    Args:
        notes: anything ``sk.Notes`` accepts.
        sample_rate: samples per second (default 44100).
        synth: ``"auto"`` (FluidSynth when it works here, else the plain synth with a
            warning saying how to get FluidSynth), ``"fluidsynth"`` (an error when it is
            missing) or ``"plain"``.
        soundfont: a ``.sf2`` file for FluidSynth (default: pretty_midi's General MIDI one).

    FluidSynth gives stereo, the plain synth mono; both end a second after the last note.
    """
    global _warned
    if synth not in SYNTHS:
        raise SketchmlError(f"synth={synth!r} is not known: use one of {', '.join(SYNTHS)}.")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 4000 <= sample_rate <= 192000:
        raise SketchmlError(f"sample_rate must be a whole number of samples per second from 4000 "
                            f"to 192000 (e.g. 44100), got {sample_rate!r}.")
    items = notes_from(notes)
    if synth == "plain":
        return plain_synth(items, sample_rate=sample_rate)[None], sample_rate
    problem = fluidsynth_problem() if soundfont is None else _soundfont_problem(soundfont)
    if problem is None:
        return _fluidsynth(items, sample_rate, Path(soundfont or general_midi_soundfont())), sample_rate
    if synth == "fluidsynth":
        raise SketchmlError(f"Cannot render with FluidSynth: {problem}.")
    if not _warned:
        warnings.warn(f"Rendering notes with sketchml's plain synth because {problem}.",
                      stacklevel=3)
        _warned = True
    return plain_synth(items, sample_rate=sample_rate)[None], sample_rate


def _soundfont_problem(soundfont: str | os.PathLike[str]) -> str | None:
    if not Path(soundfont).is_file():
        raise SketchmlError(f"No soundfont at {str(soundfont)!r}: give the path of a .sf2 file.")
    problem = fluidsynth_problem()
    return None if problem is None or "soundfont" in problem else problem


def _fluidsynth(items: list[Note], sample_rate: int, soundfont: Path) -> np.ndarray:
    import fluidsynth

    # gain 1.0 (FluidSynth defaults to 0.2, which leaves a solo piano very quiet); peaks are
    # scaled down below full scale afterwards where many loud notes pile up.
    synth = fluidsynth.Synth(gain=1.0, samplerate=float(sample_rate))
    try:
        font = synth.sfload(str(soundfont))
        if font == -1:
            raise SketchmlError(f"FluidSynth could not read the soundfont {soundfont}.")
        channels: dict[tuple[int, int, bool], int] = {}
        melodic = [c for c in range(16) if c != DRUM_CHANNEL]
        for note in items:
            key = (note.instrument, note.program, note.is_drum)
            if key not in channels:
                channel = DRUM_CHANNEL if note.is_drum else melodic[len(
                    [k for k in channels if not k[2]]) % len(melodic)]
                channels[key] = channel
                synth.program_select(channel, font, 128 if note.is_drum else 0, note.program)
        events = sorted([(n.end, 0, channels[(n.instrument, n.program, n.is_drum)], n.pitch, 0)
                         for n in items] +
                        [(n.start, 1, channels[(n.instrument, n.program, n.is_drum)], n.pitch,
                          n.velocity) for n in items])
        total = int(round((max((n.end for n in items), default=0.0) + RELEASE) * sample_rate))
        pieces, done = [], 0
        for time, is_on, channel, pitch, velocity in events:
            frame = min(int(round(time * sample_rate)), total)
            if frame > done:
                pieces.append(synth.get_samples(frame - done))
                done = frame
            if is_on:
                synth.noteon(channel, pitch, max(1, velocity))
            else:
                synth.noteoff(channel, pitch)
        if total > done:
            pieces.append(synth.get_samples(total - done))
    finally:
        synth.delete()
    interleaved = np.concatenate(pieces) if pieces else np.zeros(2 * total, np.int16)
    wave = interleaved.reshape(-1, 2).T.astype(np.float32) / 32768.0
    peak = float(np.abs(wave).max(initial=0.0))
    return np.ascontiguousarray(wave * (0.99 / peak) if peak > 0.99 else wave)


def plain_synth(notes: Any, *, sample_rate: int = 44100) -> np.ndarray:
    """A mono waveform ``(samples,)`` float32: each note a few decaying harmonics.

    Loudness follows velocity; drums are short noise bursts. It needs only numpy, so it
    works everywhere; FluidSynth sounds far better.

    Examples:
        >>> from sketchml.media.midi import Note
        >>> plain_synth([Note(60, 100, 0, 0.25)], sample_rate=8000).shape
        (10000,)
    """
    items = notes_from(notes)
    total = int(round((max((n.end for n in items), default=0.0) + RELEASE) * sample_rate))
    out = np.zeros(total, np.float64)
    rng = np.random.default_rng(0)
    for note in items:
        start = int(round(note.start * sample_rate))
        held = max(note.end - note.start, 0.02)
        length = min(int((held + 0.3) * sample_rate), total - start)
        if length <= 0:
            continue
        t = np.arange(length) / sample_rate
        # A short attack, a decay while held, then a 0.3 s release after the note ends.
        envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t * 1.5)
        envelope *= np.clip(1.0 - (t - held) / 0.3, 0.0, 1.0)
        if note.is_drum:
            tone = rng.standard_normal(length) * np.exp(-t * 30)
        else:
            frequency = 440.0 * 2 ** ((note.pitch - 69) / 12)
            tone = sum(np.sin(2 * np.pi * frequency * k * t) / k ** 1.5 for k in (1, 2, 3)
                       if frequency * k < sample_rate / 2)
        out[start:start + length] += 0.2 * (note.velocity / 127) * envelope * tone
    peak = float(np.abs(out).max(initial=0.0))
    if peak > 0.99:
        out *= 0.99 / peak
    return out.astype(np.float32)
