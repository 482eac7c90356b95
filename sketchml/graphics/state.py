"""CanvasState: the drawing state and helpers that the canvas mixins share, declared once.

:class:`~sketchml.graphics.canvas.Canvas` is made of mixins (shapes, arrays, images,
text, pixels ...) that read state which ``Canvas.__init__`` sets and call helpers that
``Canvas`` or a sibling mixin defines. Each mixin subclasses ``CanvasState``, which
declares that state and those helpers with their types, so a type checker checks every
mixin on its own. The declarations are annotations only: nothing here exists at run
time, so each attribute and method still comes from the one place that defines it.

Examples:
    >>> from sketchml.graphics.canvas import Canvas
    >>> issubclass(Canvas, CanvasState), Canvas(8, 8)._stroke_weight
    (True, 1.0)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import moderngl
    import numpy as np

    from sketchml.graphics.color import ColorMode
    from sketchml.graphics.renderer import Renderer, ShapeRecorder
    from sketchml.graphics.shader import Shader
    from sketchml.graphics.textured import Sampling

__all__ = ["RGBA", "CanvasState"]

#: A colour as four floats in [0, 1] (premultiplied or straight, as the caller says).
RGBA = tuple[float, float, float, float]


class CanvasState:
    """The state every canvas has (set by ``Canvas.__init__`` and ``Canvas._gl_init``)
    and the helpers the mixins call on each other, for type checkers."""

    width: int
    height: int
    # The GL handles are None until _gl_init(); _require_gl() says so to the user.
    ctx: moderngl.Context | None
    fbo: moderngl.Framebuffer | None
    _color_tex: moderngl.Texture | None
    _renderer: Renderer | None
    _batch: ShapeRecorder
    _record: Callable[[Iterable[Any]], None]
    _records: bytearray
    _run_bytes: int
    _fill_rgba: RGBA | None
    _stroke_rgba: RGBA | None
    _stroke_weight: float
    _stroke_cap: int
    _stroke_join: int
    _color_mode: ColorMode
    _rect_mode: int
    _ellipse_mode: int
    _blend_mode: int
    _m: tuple[float, float, float, float, float, float]
    _sid: int
    _shape: list[Any] | None
    _shape_kind: int | None
    _shader: Shader | None
    _smooth: bool
    _curve_tightness: float

    if TYPE_CHECKING:
        # Canvas's helpers.
        def _require_gl(self) -> moderngl.Context: ...
        def _require_fbo(self) -> moderngl.Framebuffer: ...
        def _flush(self) -> None: ...
        def _draw_run(self) -> None: ...
        def _apply_blend(self, *, premultiplied: bool = True) -> None: ...
        def _read_pixels(self) -> np.ndarray: ...
        def _matrix(self) -> np.ndarray: ...
        def _batch_rows(self, n: int, kind: float) -> np.ndarray: ...
        def _color_to_rgba(self, *args: Any) -> RGBA: ...

        # ShapesMixin's.
        def _scale(self) -> float: ...
        def _emit(self, pts: np.ndarray, *, closed: bool, fill_tris: np.ndarray | None = None,
                  cap: int | None = None) -> None: ...
        def _winding_fill(self, rings: list[np.ndarray], m: tuple, *, even_odd: bool,
                          fringe: float) -> None: ...
        def _rect_params(self, a: Any, b: Any, c: Any, d: Any, mode: int) -> tuple: ...
        def _shape_list(self, caller: str) -> list: ...
        def _shape_points(self, entries: list) -> np.ndarray: ...
        def vertex(self, x: float, y: float) -> None: ...
        def bezier_vertex(self, x2: float, y2: float, x3: float, y3: float, x4: float,
                          y4: float) -> None: ...
        def curve_vertex(self, x: float, y: float) -> None: ...

        # ImageMixin's.
        def _is_darkest(self) -> bool: ...
        def _draw_texture_quad(self, texture: Any, rect: tuple[float, float, float, float], *,
                               sampling: Sampling = ..., tint: RGBA | None = None,
                               transform: bool = True, blend: bool = True) -> None: ...

        # PixelsMixin's and NumpyPixelsMixin's.
        def _pixels_texture_of(self, arr: np.ndarray) -> Any: ...
        def _draw_unblended(self, texture: Any, rect: tuple[float, float, float, float]) -> None: ...
        def _read_region(self, x: int, y: int, w: int, h: int) -> np.ndarray: ...
        def _write_rgba(self, rgba: np.ndarray) -> None: ...
