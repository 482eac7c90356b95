"""Notes and MIDI files: a small :class:`Note` record, MIDI read/write (mido), piano rolls.

Music families speak ``note_seq.NoteSequence``; this module never imports
note_seq. It reads anything NoteSequence-like by duck typing: an object with a
``.notes`` list whose items have ``pitch``, ``velocity``, ``start_time`` and
``end_time`` (and optionally ``instrument``, ``program``, ``is_drum``).
Times are in seconds.
"""
from __future__ import annotations

import io
import os
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sketchml.errors import SketchmlError
from sketchml.files import atomic_write_bytes

__all__ = ["Note", "notes_from", "piano_roll_png", "read_midi", "write_midi"]

DRUM_CHANNEL = 9


@dataclass(frozen=True)
class Note:
    """One note: MIDI ``pitch`` (0-127), ``velocity`` (1-127), ``start``/``end`` in seconds.

    ``instrument`` groups notes into a track; ``program`` is the General MIDI
    instrument (0 = acoustic grand piano); ``is_drum`` puts the track on the drum channel.

    Examples:
        >>> from sketchml.media.midi import Note
        >>> Note(60, 100, 0.0, 0.5).duration
        0.5
    """

    pitch: int
    velocity: int
    start: float
    end: float
    instrument: int = 0
    program: int = 0
    is_drum: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise SketchmlError(f"Note pitch {self.pitch} is outside MIDI's 0-127 (60 is middle C).")
        if not 0 <= self.velocity <= 127:
            raise SketchmlError(f"Note velocity {self.velocity} is outside MIDI's 0-127.")
        if not 0 <= self.program <= 127:
            raise SketchmlError(f"Note program {self.program} is outside General MIDI's 0-127.")
        if self.start < 0 or self.end < self.start:
            raise SketchmlError(f"Note times start={self.start}, end={self.end}: expected "
                                f"0 <= start <= end (seconds).")

    @property
    def duration(self) -> float:
        """``end - start`` in seconds."""
        return self.end - self.start

    @property
    def start_time(self) -> float:
        """``start``, under ``note_seq.NoteSequence.Note``'s name, so code written for note_seq reads it."""
        return self.start

    @property
    def end_time(self) -> float:
        """``end``, under ``note_seq.NoteSequence.Note``'s name."""
        return self.end


def _note_from(item: Any) -> Note:
    if isinstance(item, Note):
        return item
    if isinstance(item, dict):
        get = item.get
    else:
        def get(name: str, default: Any = None) -> Any:
            return getattr(item, name, default)
    start = get("start_time", get("start"))
    end = get("end_time", get("end"))
    if get("pitch") is None or start is None or end is None:
        raise SketchmlError(
            f"Cannot read a note from {item!r}: expected pitch, velocity and start_time/end_time "
            f"(or start/end) in seconds, like note_seq's NoteSequence.Note."
        )
    return Note(pitch=int(get("pitch")), velocity=int(get("velocity", 100) or 100),
                start=float(start), end=float(end), instrument=int(get("instrument", 0) or 0),
                program=int(get("program", 0) or 0), is_drum=bool(get("is_drum", False)))


def notes_from(notes: Any) -> list[Note]:
    """Turn :class:`Note` lists, dicts or a NoteSequence-like object into a sorted ``list[Note]``.

    Examples:
        >>> from types import SimpleNamespace as NS
        >>> from sketchml.media.midi import notes_from
        >>> seq = NS(notes=[NS(pitch=64, velocity=90, start_time=0.5, end_time=1.0),
        ...                 NS(pitch=60, velocity=80, start_time=0.0, end_time=0.5)])
        >>> [n.pitch for n in notes_from(seq)]
        [60, 64]
    """
    items = getattr(notes, "notes", notes)
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
        raise SketchmlError(f"Expected notes (a list of Note, or an object with .notes like a "
                            f"NoteSequence), got {type(notes).__name__}.")
    return sorted((_note_from(item) for item in items), key=lambda n: (n.start, n.pitch, n.end))


def _tempo_of(notes: Any, tempo: float | None) -> float:
    if tempo is not None:
        return float(tempo)
    tempos = getattr(notes, "tempos", None)
    if tempos:
        qpm = getattr(tempos[0], "qpm", None)
        if qpm:
            return float(qpm)
    return 120.0


def write_midi(path: str | os.PathLike[str], notes: Any, *, tempo: float | None = None,
               ticks_per_beat: int = 480) -> Path:
    """Write notes (or a NoteSequence-like object) as a type-1 MIDI file, atomically.

    ``tempo`` is in beats per minute (default: the sequence's first tempo, else 120).
    Each (instrument, program, is_drum) group becomes a track on its own channel
    (drums on channel 10). Returns the path.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.media.midi import Note, read_midi, write_midi
        >>> path = write_midi(os.path.join(tempfile.mkdtemp(), "c.mid"), [Note(60, 100, 0, 0.5)])
        >>> [(n.pitch, n.end) for n in read_midi(path)]
        [(60, 0.5)]
    """
    import mido

    bpm = _tempo_of(notes, tempo)
    if not 1 <= bpm <= 1000:
        raise SketchmlError(f"tempo={bpm} beats per minute is not usable; expected 1 to 1000.")
    items = notes_from(notes)
    ticks_per_second = ticks_per_beat * bpm / 60.0
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    midi.tracks.append(conductor)

    groups: dict[tuple[int, int, bool], list[Note]] = defaultdict(list)
    for note in items:
        groups[(note.instrument, note.program, note.is_drum)].append(note)
    melodic_channels = [c for c in range(16) if c != DRUM_CHANNEL]
    next_channel = 0
    for (instrument, program, is_drum), group in sorted(groups.items()):
        if is_drum:
            channel = DRUM_CHANNEL
        else:
            channel = melodic_channels[next_channel % len(melodic_channels)]
            next_channel += 1
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=f"instrument {instrument}", time=0))
        track.append(mido.Message("program_change", program=program, channel=channel, time=0))
        events = []
        for note in group:
            on = round(note.start * ticks_per_second)
            off = max(round(note.end * ticks_per_second), on + 1)
            # Offs sort before ons at the same tick so a repeated pitch is not cut short.
            events.append((off, 0, note.pitch, 0))
            events.append((on, 1, note.pitch, max(note.velocity, 1)))
        events.sort()
        now = 0
        for tick, is_on, pitch, velocity in events:
            kind = "note_on" if is_on else "note_off"
            track.append(mido.Message(kind, note=pitch, velocity=velocity if is_on else 0,
                                      channel=channel, time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)

    buffer = io.BytesIO()
    midi.save(file=buffer)
    target = Path(path)
    atomic_write_bytes(target, buffer.getvalue())
    return target


def read_midi(path: str | os.PathLike[str]) -> list[Note]:
    """Read the notes of a MIDI file (times in seconds, following its tempo changes).

    Each (track, channel) with notes becomes one ``instrument`` number; channel 10
    notes are drums.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.media.midi import Note, read_midi, write_midi
        >>> path = write_midi(os.path.join(tempfile.mkdtemp(), "c.mid"), [Note(64, 90, 1, 2)])
        >>> read_midi(path)[0].pitch
        64
    """
    import mido

    source = Path(path)
    if not source.is_file():
        raise SketchmlError(f"No MIDI file at {source}. Check the path.")
    try:
        midi = mido.MidiFile(str(source))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise SketchmlError(f"Could not read {source} as a MIDI file ({exc}). It is damaged or "
                            f"not MIDI.") from exc
    if midi.type == 2:
        raise SketchmlError(f"{source} is a type-2 MIDI file (independent songs); only types 0 "
                            f"and 1 are read.")

    # A type-1 file's tempo changes live in any track but apply to all of them.
    tempo_changes = sorted(
        (tick, msg.tempo)
        for track in midi.tracks
        for tick, msg in _absolute(track) if msg.type == "set_tempo"
    )
    beat = midi.ticks_per_beat

    def seconds(tick: int) -> float:
        elapsed, last_tick, tempo = 0.0, 0, 500_000
        for change_tick, new_tempo in tempo_changes:
            if change_tick >= tick:
                break
            elapsed += (change_tick - last_tick) * tempo / (beat * 1e6)
            last_tick, tempo = change_tick, new_tempo
        return elapsed + (tick - last_tick) * tempo / (beat * 1e6)

    notes: list[Note] = []
    instruments: dict[tuple[int, int], int] = {}
    for track_index, track in enumerate(midi.tracks):
        programs: dict[int, int] = defaultdict(int)
        sounding: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
        for tick, msg in _absolute(track):
            if msg.type == "program_change":
                programs[msg.channel] = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                sounding[(msg.channel, msg.note)].append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on") and sounding[(msg.channel, msg.note)]:
                start, velocity = sounding[(msg.channel, msg.note)].popleft()
                key = (track_index, msg.channel)
                instrument = instruments.setdefault(key, len(instruments))
                notes.append(Note(pitch=msg.note, velocity=velocity, start=seconds(start),
                                  end=seconds(tick), instrument=instrument,
                                  program=programs[msg.channel],
                                  is_drum=msg.channel == DRUM_CHANNEL))
    return sorted(notes, key=lambda n: (n.start, n.pitch, n.end))


def _absolute(track: Any) -> Iterable[tuple[int, Any]]:
    tick = 0
    for msg in track:
        tick += msg.time
        yield tick, msg


_TRACK_COLOURS = [(66, 133, 244), (234, 67, 53), (251, 188, 5), (52, 168, 83), (171, 71, 188),
                  (0, 172, 193), (255, 112, 67), (158, 157, 36)]


def piano_roll_png(notes: Any, *, width: int = 800, height: int = 300) -> bytes:
    """A piano-roll picture of the notes (time across, pitch up), as PNG bytes.

    Colours tell instruments apart; brighter means louder. Lines mark each C.

    Examples:
        >>> from sketchml.media.midi import Note, piano_roll_png
        >>> piano_roll_png([Note(60, 100, 0, 1), Note(67, 60, 1, 2)])[:4]
        b'\\x89PNG'
    """
    from PIL import Image, ImageDraw

    if width < 16 or height < 16:
        raise SketchmlError(f"A piano roll of {width}x{height} pixels is too small; use at least "
                            f"16x16.")
    items = notes_from(notes)
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    if items:
        low = max(min(n.pitch for n in items) - 2, 0)
        high = min(max(n.pitch for n in items) + 2, 127)
        end = max(n.end for n in items) or 1.0
        row = height / (high - low + 1)
        for pitch in range(low, high + 1):
            if pitch % 12 == 0:
                y = height - (pitch - low + 1) * row
                draw.line([0, y + row, width, y + row], fill=(215, 215, 215))
        for note in items:
            x0 = note.start / end * (width - 1)
            x1 = max(note.end / end * (width - 1), x0 + 1)
            y0 = height - (note.pitch - low + 1) * row
            base = _TRACK_COLOURS[note.instrument % len(_TRACK_COLOURS)]
            strength = 0.35 + 0.65 * note.velocity / 127
            colour = tuple(int(255 - (255 - c) * strength) for c in base)
            draw.rectangle([x0, y0, x1, max(y0 + row - 1, y0)], fill=colour, outline=base)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
