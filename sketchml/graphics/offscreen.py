"""Offscreen graphics: ``create_graphics(w, h)`` gives a :class:`Graphics`, a canvas
of its own on the same GL context, drawn onto another canvas with ``image(pg, x, y)``.

A Graphics starts transparent, so only what is drawn on it covers the canvas
beneath. It has every drawing method of the canvas. ``begin_draw()`` resets its
transform (as Processing's ``beginDraw``) and ``end_draw()`` draws what is
pending; both are optional here, since ``image(pg)`` flushes ``pg`` itself.

``Graphics`` subclasses ``Canvas``, which itself mixes in :class:`OffscreenMixin`;
the class is therefore built on first use (``from sketchml.graphics.offscreen
import Graphics`` works as usual) to keep the two modules importable in either order.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.graphics.state import CanvasState

if TYPE_CHECKING:
    from sketchml.graphics.canvas import Canvas

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
            >>> pg.begin_draw(); pg.fill(255, 0, 0); pg.circle(25, 25, 40); pg.end_draw()
            >>> canvas.image(pg, 25, 25)
            >>> hex(canvas.get_pixels(50, 50))
            '0xffff0000'
        """
        if getattr(self, "ctx", None) is None:
            raise SketchmlError(
                "create_graphics() needs the sketch's OpenGL context, which exists once the sketch "
                "runs: call it in setup() (after size()) or draw(), not at import time."
            )
        pg = _graphics_class()(width, height)
        pg._gl_init(self.ctx)
        return pg


def _build_graphics_class() -> type:
    from sketchml.graphics.canvas import Canvas

    class Graphics(Canvas):
        """An offscreen canvas made by ``create_graphics(w, h)``; transparent at first.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> canvas = Canvas(64, 64); canvas._gl_init(create_headless_context())
            >>> pg = canvas.create_graphics(32, 32)
            >>> pg.get_pixels(0, 0)   # transparent
            0
        """

        def _allocate(self) -> None:
            # GL objects are not garbage collected: a Graphics made in every draw()
            # would leak its framebuffer. A finalizer releases them with the object.
            finalizer = getattr(self, "_finalizer", None)
            if finalizer is not None:
                finalizer.detach()  # the old ones are released by the reallocation itself
            super()._allocate()
            self._finalizer = weakref.finalize(self, _release_gl, self.fbo, self._color_tex)
            self.fbo.clear(0.0, 0.0, 0.0, 0.0)

        def begin_draw(self) -> Any:
            """Start drawing on this graphics: resets its transform (optional in sketchml).
            ``with pg.begin_draw():`` calls ``end_draw()`` at the end of the block, as in py5.

            Examples:
                >>> with pg.begin_draw():  # doctest: +SKIP
                ...     pg.circle(16, 16, 20)
            """
            from sketchml.graphics.scope import Scope

            self._begin_frame()
            return Scope(self.end_draw)

        def end_draw(self) -> None:
            """Finish drawing: draws pending shapes and checks push/pop balance.

            Examples:
                >>> pg.end_draw()  # doctest: +SKIP
            """
            self._end_frame()

        def __repr__(self) -> str:
            return f"Graphics(width={self.width}, height={self.height})"

    Graphics.__module__ = __name__
    Graphics.__qualname__ = "Graphics"
    return Graphics


def _release_gl(*objects: Any) -> None:
    for obj in objects:
        try:
            obj.release()
        except Exception:  # noqa: BLE001 - the context may be gone already (at exit)
            pass


_graphics: type | None = None


def _graphics_class() -> type[Canvas]:
    global _graphics
    if _graphics is None:
        _graphics = _build_graphics_class()
    return _graphics


def __getattr__(name: str) -> Any:
    if name == "Graphics":
        return _graphics_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
