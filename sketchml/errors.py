"""Errors for people: what was wrong, what was expected, how to fix it.

Every error sketchml raises on purpose is a :class:`SketchmlError`, so a sketch
(or a plugin host) can catch them all with one ``except``.
"""
from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable

__all__ = ["ApiUsageError", "DiskFullError", "SketchmlError", "did_you_mean", "suggest"]


class SketchmlError(Exception):
    """Base class of every error sketchml raises for a user mistake."""


class ApiUsageError(SketchmlError, TypeError):
    """A drawing/API function was called with the wrong arguments.

    It is also a ``TypeError`` so code written against plain Python habits
    still catches it.
    """


class DiskFullError(SketchmlError, OSError):
    """The disk filled up while a file was written; the unfinished file was removed.

    It is also an ``OSError`` (``errno`` is ``ENOSPC``), so code that handles
    write errors the usual way still catches it. Whatever was at the path
    before is left as it was.

    Examples:
        >>> err = DiskFullError.writing("out/walk.mp4")
        >>> isinstance(err, OSError), str(err).startswith("disk full while writing 'out/walk.mp4'")
        (True, True)
    """

    def __str__(self) -> str:
        return str(self.strerror)

    @classmethod
    def writing(cls, path: str | os.PathLike[str]) -> DiskFullError:
        """The error for a full disk while writing ``path``."""
        return cls(
            errno.ENOSPC,
            f"disk full while writing {os.fspath(path)!r}: free some space (or write to another "
            "disk) and run again. The unfinished file was removed; what was there before, and "
            "every file finished earlier, was kept.",
            os.fspath(path),
        )

    @staticmethod
    def caused(err: BaseException) -> bool:
        """Whether ``err`` (or what it was raised from) is a full disk or quota."""
        while err is not None:
            if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
                return True
            if "No space left on device" in str(err):
                return True
            err = err.__cause__ or err.__context__
        return False


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
