"""Hints for people who know Processing or p5.js: their spellings, and Python's traps.

* :func:`processing_name`: the sketchml name for a Processing/p5 spelling
  (``strokeWeight`` -> ``stroke_weight``, ``map`` -> ``remap``, ``createCanvas`` -> ``size``),
  used by the "did you mean" of misspelt names;
* :func:`python_map`: Python's ``map`` for imported-mode sketches, which refuses
  Processing's ``map(value, start1, stop1, start2, stop2)`` with a pointer to ``remap``;
* :func:`callback_warnings`: a warning for each function named like a callback
  that sketchml will never call (``keyPressed``, ``mouse_click``, ``preload`` ...).

Examples:
    >>> processing_name("strokeWeight"), processing_name("map")
    ('stroke_weight', 'remap')
"""
from __future__ import annotations

import builtins
import numbers
import re
from collections.abc import Iterable
from typing import Any

from sketchml.errors import SketchmlError, suggest

__all__ = [
    "callback_warnings", "map_hint", "processing_name", "python_map", "snake_case", "warn_callbacks",
]

#: Processing / p5.js names whose sketchml name is not just their snake_case.
RENAMED = {
    "map": "remap",
    "createCanvas": "size",
    "resizeCanvas": "size",
    "frameRate": "frame_rate",
    "mouseIsPressed": "is_mouse_pressed",
    "keyIsPressed": "is_key_pressed",
    "keyIsDown": "is_key_pressed",
    "get": "get_pixels",
    "set": "set_pixels",
    "exit": "exit_sketch",
    "PImage": "Image",
    "PGraphics": "Graphics",
    "PFont": "Font",
    "PShader": "Shader",
    "print": "println",
}

#: p5.js callbacks with no sketchml counterpart, and what to do instead.
_NO_CALLBACK = {
    "preload": "sketchml has no preload(): load files at the start of setup(), which runs once "
               "before the first draw().",
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    """``strokeWeight`` -> ``stroke_weight`` (names already in snake_case are unchanged).

    Examples:
        >>> snake_case("mouseDragged"), snake_case("line")
        ('mouse_dragged', 'line')
    """
    return _CAMEL.sub("_", name).lower()


def processing_name(name: str, candidates: Iterable[str] | None = None) -> str | None:
    """The sketchml name for a Processing/p5 spelling, or ``None``; with ``candidates``
    only a name among them is returned.

    Examples:
        >>> processing_name("noFill", ["no_fill"]), processing_name("circle", ["circle"])
        ('no_fill', None)
    """
    known = set(candidates) if candidates is not None else None
    target = RENAMED.get(name)
    if target is None:
        snake = snake_case(name)
        target = snake if snake != name else None
    if target is None or (known is not None and target not in known):
        return None
    return target


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def map_hint(args: tuple) -> str | None:
    """The message for ``map`` called the way Processing's ``map`` is, else ``None``."""
    if len(args) == 5 and all(_is_number(a) for a in args):
        values = ", ".join(repr(a) for a in args)
        return (
            f"map({values}) is Python's map(function, iterable), not Processing's map(). "
            f"sketchml calls Processing's map() remap(): remap({values})."
        )
    return None


def python_map(*args: Any) -> Any:
    """Python's builtin ``map``, except that Processing's ``map(value, start1, stop1,
    start2, stop2)`` raises an error that names ``remap``.

    Examples:
        >>> list(python_map(abs, [-1, 2]))
        [1, 2]
        >>> python_map(5, 0, 10, 0, 100)
        Traceback (most recent call last):
        ...
        sketchml.errors.SketchmlError: map(5, 0, 10, 0, 100) is Python's map(function, iterable), not Processing's map(). sketchml calls Processing's map() remap(): remap(5, 0, 10, 0, 100).
    """
    hint = map_hint(args)
    if hint is not None:
        raise SketchmlError(hint)
    return builtins.map(*args)


def callback_warnings(defined: Iterable[str]) -> list[str]:
    """A warning for each of the ``defined`` function names that looks like a callback
    but is not one sketchml calls (so it would be silently ignored).

    Examples:
        >>> for line in callback_warnings(["setup", "keyPressed", "mouse_click", "draw_tree"]):
        ...     print(line)
        keyPressed() is never called: sketchml spells this callback key_pressed().
        mouse_click() is never called: it is not a sketchml callback. Did you mean mouse_clicked()?
    """
    from sketchml.runtime.sketch import CALLBACK_NAMES, HOOK_NAMES

    known = HOOK_NAMES + CALLBACK_NAMES
    out = []
    for name in defined:
        if name in known or name.startswith("_"):
            continue
        if name in _NO_CALLBACK:
            out.append(f"{name}() is never called: {_NO_CALLBACK[name]}")
            continue
        snake = snake_case(name)
        if snake in known:
            out.append(f"{name}() is never called: sketchml spells this callback {snake}().")
            continue
        close = suggest(snake, known, n=1, cutoff=0.8)
        if close:
            out.append(
                f"{name}() is never called: it is not a sketchml callback. "
                f"Did you mean {close[0]}()?"
            )
    return out


def warn_callbacks(defined: Iterable[str]) -> None:
    """Print :func:`callback_warnings` for ``defined`` to standard error."""
    import sys

    for message in callback_warnings(defined):
        print(f"sketchml: warning: {message}", file=sys.stderr, flush=True)
