"""Real music that installs offline: the Bach works bundled with music21, as note lists.

music21 (pip ``music21``) ships hundreds of Bach chorales and other works as MusicXML.
:func:`bach_pieces` reads them into ``sk.Notes`` at a fixed tempo, and :func:`split`
divides them by piece (a stable hash of the piece's name), so held-out music is music the
model never heard in any voice or key.

Each work can also be read as its voices alone: :func:`voicings` gives the full texture,
the outer voices and the soprano line, so a model trained on them has seen a range of
note densities (about 1.5 to 8 notes a second), which is what density conditioning needs.

Examples:
    >>> from sketchml_music.corpus import split
    >>> train, held_out = split(["bwv1.6", "bwv10.7", "bwv101.7", "bwv102.7"], every=2)
    >>> sorted(train + held_out)
    ['bwv1.6', 'bwv10.7', 'bwv101.7', 'bwv102.7']
"""
from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import sketchml as sk

__all__ = ["BACH_TEMPO", "Piece", "bach_pieces", "split", "voicings"]

BACH_TEMPO = 100.0
VELOCITY = 80


class Piece:
    """One work: its ``name`` and ``parts`` (one ``sk.Notes`` per voice, top voice first)."""

    def __init__(self, name: str, parts: list[sk.Notes]) -> None:
        self.name = name
        self.parts = parts

    def notes(self, voices: Sequence[int] | None = None) -> sk.Notes:
        """The chosen voices (default all) together as one ``sk.Notes``."""
        chosen = range(len(self.parts)) if voices is None else voices
        return sk.Notes([n for i in chosen for n in self.parts[i].notes], tempo=BACH_TEMPO)


def _part_notes(part: Any, tempo: float) -> sk.Notes:
    seconds = 60.0 / tempo
    notes = []
    for element in part.stripTies().flatten().notes:
        start = float(element.offset) * seconds
        end = start + float(element.quarterLength) * seconds
        if end <= start:
            continue  # grace notes have no length in the score
        for pitch in element.pitches:
            notes.append({"pitch": int(pitch.midi), "velocity": VELOCITY,
                          "start_time": start, "end_time": end})
    return sk.Notes(notes, tempo=tempo)


def bach_pieces(limit: int | None = None, *, cache: bool = True) -> Iterator[Piece]:
    """The Bach works in music21's corpus with two or more voices, read at ``BACH_TEMPO`` bpm.

    Reading the MusicXML takes a few minutes, so the notes are kept (with ``cache``, the
    default) in sketchml's cache folder, keyed by music21's version, and read from there
    next time.

    Examples:
        >>> piece = next(bach_pieces(limit=1))
        >>> piece.name, len(piece.parts) >= 2
        ('bwv1.6', True)
    """
    try:
        import music21
    except ImportError as exc:  # music21 is a dependency of sketchml-music
        raise sk.SketchmlError("The offline corpus needs music21: pip install music21.") from exc
    from sketchml.plugin import atomic_write_text, sketchml_home

    store = sketchml_home() / "music" / f"music21-{music21.__version__}-bach.json"
    if cache and store.is_file():
        saved = json.loads(store.read_text())
        pieces = [Piece(name, [sk.Notes([{"pitch": p, "velocity": VELOCITY, "start_time": a,
                                          "end_time": b} for p, a, b in part], tempo=BACH_TEMPO)
                               for part in parts]) for name, parts in saved]
    else:
        pieces = list(_read_bach())
        if cache:
            atomic_write_text(store, json.dumps(
                [[piece.name, [[[n.pitch, round(n.start, 6), round(n.end, 6)] for n in part.notes]
                               for part in piece.parts]] for piece in pieces]))
    yield from pieces[:limit]


def _read_bach() -> Iterator[Piece]:
    from music21 import converter, corpus

    paths = [p for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml")]
    for path in sorted(paths, key=lambda p: p.name):
        score = converter.parse(path)
        parts = [_part_notes(part, BACH_TEMPO) for part in score.parts]
        parts = [p for p in parts if len(p)]
        if len(parts) >= 2:
            yield Piece(path.name.rsplit(".", 1)[0], parts)


def voicings(piece: Piece) -> list[sk.Notes]:
    """The piece in three textures: all voices, soprano and bass, soprano alone."""
    last = len(piece.parts) - 1
    return [piece.notes(), piece.notes([0, last]), piece.notes([0])]


def split(names: Sequence[str], *, every: int = 10) -> tuple[list[str], list[str]]:
    """``(train, held_out)``: about one name in ``every`` is held out, chosen by a stable hash."""
    held = [n for n in names if zlib.crc32(n.encode()) % every == 0]
    return [n for n in names if n not in held], held
