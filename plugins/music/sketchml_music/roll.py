"""A piano roll on the canvas: every note a rectangle, drawn in one batched ``rects()`` call.

:func:`piano_roll` draws the notes sounding in a window of time (time across, pitch up,
brighter = louder) into a box of the canvas. Give ``now`` to make it scroll: the window
ends at ``now``, so notes arriving from a stream enter at the right edge and move left.
:func:`roll_rects` is the arithmetic alone (arrays of x, y, w, h and colours), for drawing
them some other way.

Examples:
    >>> import sketchml as sk
    >>> from sketchml_music.roll import roll_rects
    >>> tune = sk.Notes([{"pitch": 60, "velocity": 100, "start_time": 0, "end_time": 1}])
    >>> x, y, w, h, colours = roll_rects(tune, 0, 0, 400, 100, start=0, seconds=4, low=48, high=72)
    >>> float(x[0]), float(w[0]), round(float(y[0]), 1)
    (0.0, 100.0, 48.0)
"""
from __future__ import annotations

from typing import Any

import numpy as np

import sketchml as sk

__all__ = ["piano_roll", "roll_rects"]

_LOUD = np.array([0.98, 0.45, 0.2])
_SOFT = np.array([0.35, 0.55, 0.95])


def roll_rects(notes: Any, x: float, y: float, w: float, h: float, *, start: float,
               seconds: float, low: int = 21, high: int = 108
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rectangles ``(x, y, w, h, colours)`` for the notes between ``start`` and ``start + seconds``.

    Pitches ``low``..``high`` (default the piano's 21..108) fill the box's height, one row
    each; notes outside them are left out, notes crossing the window's edges are cut.
    Colours ``(N, 3)`` in [0, 1] go from blue (soft) to orange (loud).
    """
    if seconds <= 0 or high < low or w <= 0 or h <= 0:
        raise sk.SketchmlError(f"A piano roll needs seconds > 0, high >= low and a box of positive "
                               f"size; got seconds={seconds}, low={low}, high={high}, w={w}, h={h}.")
    items = notes if isinstance(notes, (list, tuple)) and not notes else sk.Notes(notes).notes
    table = np.array([(n.pitch, n.velocity, n.start, n.end) for n in items], np.float64).reshape(-1, 4)
    pitch, velocity, begin, end = table.T
    keep = (pitch >= low) & (pitch <= high) & (end > start) & (begin < start + seconds)
    pitch, velocity = pitch[keep], velocity[keep]
    begin = np.maximum(begin[keep], start)
    end = np.minimum(end[keep], start + seconds)
    scale = w / seconds
    row = h / (high - low + 1)
    loud = (velocity / 127.0)[:, None]
    colours = _SOFT * (1 - loud) + _LOUD * loud
    return (x + (begin - start) * scale, y + (high - pitch) * row,
            np.maximum((end - begin) * scale, 1.0), np.full(len(pitch), max(row - 1, 1.0)), colours)


def piano_roll(notes: Any, x: float, y: float, w: float, h: float, *, now: float | None = None,
               seconds: float = 8.0, low: int = 21, high: int = 108, canvas: Any = None) -> int:
    """Draw the notes as a piano roll in the box ``(x, y, w, h)`` in one ``rects()`` call.

    Args:
        notes: anything ``sk.Notes`` takes (a list of ``Note`` s from a stream works).
        x, y, w, h: the box on the canvas (corner and size, whatever ``rect_mode`` is).
        now: the time at the box's right edge, for a roll that scrolls (default: the
            window starts at 0).
        seconds: the length of time the box shows (default 8).
        low, high: the lowest and highest pitch shown (default the piano's 21 and 108).
        canvas: what to draw on: a ``Sketch`` or ``Graphics`` (default: the running sketch).

    Returns:
        How many notes were drawn.

    Examples:
        >>> from sketchml_music.roll import piano_roll
        >>> def draw():  # in a sketch: the last 8 seconds, scrolling
        ...     piano_roll(notes, 0, 0, width, height, now=millis() / 1000)
    """
    start = 0.0 if now is None else now - seconds
    rx, ry, rw, rh, colours = roll_rects(notes, x, y, w, h, start=start, seconds=seconds,
                                         low=low, high=high)
    target = canvas if canvas is not None else sk
    target.push()
    try:
        target.rect_mode(sk.CORNER)
        target.no_stroke()
        target.rects(rx, ry, rw, rh, fills=colours)
    finally:
        target.pop()
    return len(rx)
