"""The context-manager form of paired calls, as py5 has it: ``with push(): ...``.

``push()``, ``push_matrix()``, ``push_style()``, ``begin_shape()``,
``begin_closed_shape()``, ``begin_contour()`` and ``Graphics.begin_draw()`` do
their work when called and return a :class:`Scope`; used in a ``with``
statement, the scope makes the matching call (``pop()``, ``end_shape()`` ...)
when the block ends, even when it ends with an error. Called plainly, the
returned scope is simply dropped and the matching call is up to the sketch.

Examples:
    >>> calls = []
    >>> with Scope(lambda: calls.append("pop")):
    ...     calls.append("draw")
    >>> calls
    ['draw', 'pop']
"""
from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["Scope"]


class Scope:
    """Calls ``close`` at the end of a ``with`` block (and only there)."""

    __slots__ = ("_close",)

    def __init__(self, close: Callable[[], Any]) -> None:
        self._close = close

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._close()

    def __repr__(self) -> str:
        name = getattr(self._close, "__name__", "the matching call")
        return f"<scope: use it as `with ...:` to call {name}() at the end of the block>"
