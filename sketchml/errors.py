"""Errors for people: what was wrong, what was expected, how to fix it.

Every error sketchml raises on purpose is a :class:`SketchmlError`, so a sketch
(or a plugin host) can catch them all with one ``except``.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["ApiUsageError", "SketchmlError", "did_you_mean", "suggest"]


class SketchmlError(Exception):
    """Base class of every error sketchml raises for a user mistake."""


class ApiUsageError(SketchmlError, TypeError):
    """A drawing/API function was called with the wrong arguments.

    It is also a ``TypeError`` so code written against plain Python habits
    still catches it.
    """


def suggest(name: str, candidates: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` names from ``candidates`` that look like ``name``.

    Examples:
        >>> suggest("elipse", ["ellipse", "rect", "line"])
        ['ellipse']
    """
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=cutoff)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ``" Did you mean 'x'?"`` sentence, or ``""`` when nothing is close.

    Examples:
        >>> did_you_mean("elipse", ["ellipse", "rect"])
        " Did you mean 'ellipse'?"
    """
    close = suggest(name, candidates)
    if not close:
        return ""
    if len(close) == 1:
        return f" Did you mean {close[0]!r}?"
    return " Did you mean one of: " + ", ".join(repr(c) for c in close) + "?"
