"""Graphics: an offscreen canvas, made by ``create_graphics(w, h)`` and drawn onto
another canvas with ``image(pg, x, y)``.

A Graphics starts transparent, so only what is drawn on it covers the canvas
beneath. It has every drawing method of the canvas. ``begin_draw()`` resets its
transform (as Processing's ``beginDraw``) and ``end_draw()`` draws what is
pending; both are optional here, since ``image(pg)`` flushes ``pg`` itself.
"""
from __future__ import annotations

import weakref
from typing import Any

from sketchml.graphics.canvas import Canvas

__all__ = ["Graphics"]


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
        self._require_fbo().clear(0.0, 0.0, 0.0, 0.0)

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


def _release_gl(*objects: Any) -> None:
    for obj in objects:
        try:
            obj.release()
        except Exception:  # noqa: BLE001 - the context may be gone already (at exit)
            pass
