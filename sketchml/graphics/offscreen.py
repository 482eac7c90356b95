"""Offscreen graphics: ``create_graphics(w, h)`` gives a :class:`Graphics`, a canvas
of its own on the same GL context, drawn onto another canvas with ``image(pg, x, y)``.

``Graphics`` (:mod:`sketchml.graphics.graphics`) subclasses ``Canvas``, which itself
mixes in :class:`OffscreenMixin`, so this module imports it on first use
(``from sketchml.graphics.offscreen import Graphics`` works as usual).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.graphics.state import CanvasState

if TYPE_CHECKING:
    from sketchml.graphics.graphics import Graphics

__all__ = ["Graphics", "OffscreenMixin"]


class OffscreenMixin(CanvasState):
    """The canvas method ``create_graphics``."""

    API_METHODS: tuple[str, ...] = ("create_graphics",)

    def create_graphics(self, width: int, height: int) -> Graphics:
        """A new transparent offscreen canvas of ``width`` x ``height`` pixels on this
        canvas's GL context; draw on it like on the canvas, show it with ``image(pg, x, y)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> canvas = Canvas(100, 100); canvas._gl_init(create_headless_context())
            >>> pg = canvas.create_graphics(50, 50)
            >>> _ = pg.begin_draw(); pg.fill(255, 0, 0); pg.circle(25, 25, 40); pg.end_draw()
            >>> canvas.image(pg, 25, 25)
            >>> hex(canvas.get_pixels(50, 50))
            '0xffff0000'
        """
        if getattr(self, "ctx", None) is None:
            raise SketchmlError(
                "create_graphics() needs the sketch's OpenGL context, which exists once the sketch "
                "runs: call it in setup() (after size()) or draw(), not at import time."
            )
        from sketchml.graphics.graphics import Graphics

        pg = Graphics(width, height)
        pg._gl_init(self._require_gl())
        return pg


def __getattr__(name: str) -> Any:
    if name == "Graphics":
        from sketchml.graphics.graphics import Graphics

        return Graphics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
