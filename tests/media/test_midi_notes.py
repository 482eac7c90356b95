"""Notes, MIDI files (mido) and piano-roll pictures."""
from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace as NS

import mido
import pytest
from PIL import Image

from sketchml.errors import SketchmlError
from sketchml.media.midi import Note, notes_from, piano_roll_png, read_midi, write_midi


def _song() -> list[Note]:
    return [
        Note(60, 100, 0.0, 0.5),
        Note(64, 80, 0.5, 1.0),
        Note(67, 60, 1.0, 2.25),
        Note(60, 90, 1.0, 1.5),  # the same pitch again, right after its first note
        Note(48, 70, 0.0, 2.0, instrument=1, program=33),
        Note(36, 120, 0.0, 0.1, instrument=2, is_drum=True),
        Note(38, 110, 0.5, 0.6, instrument=2, is_drum=True),
    ]


@pytest.mark.parametrize("tempo", [120, 90, 171])
def test_round_trip_keeps_pitches_times_velocities_programs_and_drums(tmp_path: Path,
                                                                     tempo: int) -> None:
    path = write_midi(tmp_path / "song.mid", _song(), tempo=tempo)
    back = read_midi(path)
    original = notes_from(_song())
    assert len(back) == len(original)
    for a, b in zip(original, back):
        assert (a.pitch, a.velocity, a.program, a.is_drum) == (b.pitch, b.velocity, b.program,
                                                               b.is_drum)
        assert abs(a.start - b.start) < 2e-3 and abs(a.end - b.end) < 2e-3
    # Instruments come back as separate tracks, drums on MIDI channel 10.
    assert len({n.instrument for n in back}) == 3
    channels = {m.channel for t in mido.MidiFile(str(path)).tracks for m in t
                if m.type == "note_on"}
    assert 9 in channels and len(channels) == 3


def test_tempo_changes_are_followed_when_reading(tmp_path: Path) -> None:
    midi = mido.MidiFile(type=1, ticks_per_beat=100)
    track = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=500_000, time=0),      # 120 bpm: 100 ticks = 0.5 s
        mido.Message("note_on", note=60, velocity=90, time=0),
        mido.Message("note_off", note=60, time=100),
        mido.MetaMessage("set_tempo", tempo=1_000_000, time=0),    # 60 bpm: 100 ticks = 1 s
        mido.Message("note_on", note=62, velocity=90, time=0),
        mido.Message("note_on", note=62, velocity=0, time=100),
    ])
    midi.tracks.append(track)
    midi.save(str(tmp_path / "tempo.mid"))
    first, second = read_midi(tmp_path / "tempo.mid")
    assert (first.start, first.end) == (0.0, 0.5)
    assert (second.start, second.end) == (0.5, 1.5)


def test_note_sequence_like_objects_are_duck_typed(tmp_path: Path) -> None:
    sequence = NS(
        notes=[NS(pitch=62, velocity=70, start_time=0.5, end_time=1.0, instrument=0, program=0,
                  is_drum=False),
               NS(pitch=60, velocity=90, start_time=0.0, end_time=0.5, instrument=0, program=0,
                  is_drum=False)],
        tempos=[NS(qpm=100.0)],
    )
    notes = notes_from(sequence)
    assert [n.pitch for n in notes] == [60, 62]
    path = write_midi(tmp_path / "seq.mid", sequence)
    tempos = [m.tempo for t in mido.MidiFile(str(path)).tracks for m in t if m.type == "set_tempo"]
    assert tempos == [mido.bpm2tempo(100)]
    assert [n.pitch for n in read_midi(path)] == [60, 62]
    assert notes_from([{"pitch": 64, "velocity": 50, "start": 0, "end": 1}])[0].velocity == 50


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="0-127"):
        Note(128, 100, 0, 1)
    with pytest.raises(SketchmlError, match="start <= end"):
        Note(60, 100, 1, 0.5)
    with pytest.raises(SketchmlError, match="Cannot read a note"):
        notes_from([NS(pitch=60)])
    with pytest.raises(SketchmlError, match="Expected notes"):
        notes_from(42)
    with pytest.raises(SketchmlError, match="No MIDI file"):
        read_midi(tmp_path / "missing.mid")
    (tmp_path / "bad.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    with pytest.raises(SketchmlError, match="Could not read .*bad.mid"):
        read_midi(tmp_path / "bad.mid")
    with pytest.raises(SketchmlError, match="tempo"):
        write_midi(tmp_path / "x.mid", _song(), tempo=0)
    assert not (tmp_path / "x.mid").exists()


def test_piano_roll_png_draws_the_notes() -> None:
    png = piano_roll_png([Note(60, 127, 0.0, 1.0), Note(72, 127, 1.0, 2.0, instrument=1)],
                         width=200, height=100)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (200, 100)
    # Low note at the bottom-left quarter, high note at the top-right; the rest stays light.
    low = image.getpixel((50, 100 - int(100 * (60 - 58 + 0.5) / 17)))
    high = image.getpixel((150, 100 - int(100 * (72 - 58 + 0.5) / 17)))
    assert low != high and max(low) - min(low) > 100 and max(high) - min(high) > 100
    assert image.getpixel((150, 100 - int(100 * (60 - 58 + 0.5) / 17))) == (250, 250, 250)
    assert Image.open(io.BytesIO(piano_roll_png([]))).size == (800, 300)
    with pytest.raises(SketchmlError, match="too small"):
        piano_roll_png([], width=4, height=4)
