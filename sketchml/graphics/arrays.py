"""Array-first drawing: points, lines, circles and rects from numpy arrays or torch tensors.

Each call builds its rows with numpy and adds them to the batch as one chunk,
so N shapes cost one numpy pass, not N Python calls. Tensors on any device are
read with ``.detach().cpu().numpy()``; torch is never imported here.
Part of :class:`sketchml.graphics.canvas.Canvas`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.graphics import renderer as R
from sketchml.graphics.state import CanvasState

__all__ = ["ArraysMixin"]

RGBA = tuple[float, float, float, float]


class ArraysMixin(CanvasState):
    """The array-first drawing methods; state lives on the Canvas."""

    def points(self, xy: Any, *, colors: Any = None, sizes: Any = None) -> None:
        """Draw many points in one batch: ``xy`` is an ``(N, 2)`` array (numpy or torch, any device).

        ``colors``: one colour per point, ``(N, 3)`` or ``(N, 4)``, floats in
        [0, 1] or uint8 in [0, 255]; the default is the current stroke colour.
        ``sizes``: ``(N,)`` diameters in pixels; the default is ``stroke_weight()``.

        Examples:
            >>> import numpy as np
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.points(np.random.rand(100, 2) * 40, sizes=np.full(100, 3.0))
        """
        pts = _as_array(xy, "points(xy)").reshape(-1, 2) if _size(xy) else np.zeros((0, 2))
        n = len(pts)
        if n == 0:
            return
        strokes = _as_colors(colors, n, "points(colors=...)", self._stroke_rgba)
        if strokes is None:
            return
        rows = self._batch_rows(n, R.KIND_POINT)
        rows[:, 1:3] = pts
        rows[:, 5] = float(self._stroke_cap)
        rows[:, 13:17] = strokes
        rows[:, 17] = self._stroke_weight if sizes is None else _as_vector(sizes, n, "points(sizes=...)")
        self._batch.add_rows(rows)

    def lines(self, segments: Any, *, colors: Any = None, weights: Any = None) -> None:
        """Draw many lines in one batch: ``segments`` is ``(N, 4)`` (x1, y1, x2, y2) or ``(N, 2, 2)``.

        ``colors``: ``(N, 3)``/``(N, 4)`` floats in [0, 1] or uint8, default the
        stroke colour; ``weights``: ``(N,)``, default ``stroke_weight()``. Ends
        follow ``stroke_cap()``. Numpy arrays or torch tensors (any device).

        Examples:
            >>> import numpy as np
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.lines(np.array([[0, 0, 40, 40], [0, 40, 40, 0]]), colors=np.eye(2, 3))
        """
        seg = _as_array(segments, "lines(segments)").reshape(-1, 4) if _size(segments) else np.zeros((0, 4))
        n = len(seg)
        if n == 0:
            return
        strokes = _as_colors(colors, n, "lines(colors=...)", self._stroke_rgba)
        if strokes is None:
            return
        rows = self._batch_rows(n, R.KIND_LINE)
        rows[:, 1:5] = seg
        rows[:, 5] = float(self._stroke_cap)
        rows[:, 13:17] = strokes
        rows[:, 17] = self._stroke_weight if weights is None else _as_vector(weights, n, "lines(weights=...)")
        self._batch.add_rows(rows)

    def _shape_batch(self, kind: float, a: Any, b: Any, c: Any, d: Any, mode: int,
                     fills: Any, strokes: Any, name: str) -> None:
        cols = np.broadcast_arrays(*(
            _as_array(v, f"{name}({arg})") for v, arg in zip((a, b, c, d), ("x", "y", "w", "h"))
        ))
        n = cols[0].size
        if n == 0:
            return
        x, y, w, h = (v.reshape(-1) for v in cols)
        cx, cy, hw, hh = self._rect_params(x, y, w, h, mode)
        fill = _as_colors(fills, n, f"{name}(fills=...)", self._fill_rgba)
        stroke = _as_colors(strokes, n, f"{name}(strokes=...)", self._stroke_rgba)
        if fill is None and stroke is None:
            return
        # What every row shares goes into one template row, copied down in one pass;
        # only the per-shape columns are then written one by one (a third of the time
        # of zeroing the rows and filling each column).
        template = np.zeros(R.ROW_FLOATS, dtype=np.float32)
        template[0] = kind
        template[18:24] = self._m
        if stroke is not None:
            template[17] = self._stroke_weight
        colour_columns = [(9, fill), (13, stroke)]
        for start, colours in colour_columns:
            if colours is not None and colours.size == 4:
                template[start:start + 4] = colours.reshape(4)
        rows = np.empty((n, R.ROW_FLOATS), dtype=np.float32)
        rows[:] = template
        rows[:, 1] = cx
        rows[:, 2] = cy
        rows[:, 3] = hw
        rows[:, 4] = hh
        for start, colours in colour_columns:
            if colours is not None and colours.size != 4:
                rows[:, start:start + 4] = colours
        self._batch.add_rows(rows)

    def circles(self, x: Any, y: Any, d: Any, *, fills: Any = None, strokes: Any = None) -> None:
        """Draw many circles in one batch; ``x``, ``y``, ``d`` are arrays (or scalars) that broadcast.

        Numbers are read like ``circle()``'s (``ellipse_mode()``). ``fills`` and
        ``strokes``: one colour per circle, ``(N, 3)``/``(N, 4)`` floats in [0, 1]
        or uint8; the defaults are the current fill and stroke. Accepts numpy
        arrays and torch tensors on any device.

        Examples:
            >>> import numpy as np
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.circles(np.arange(4) * 10 + 5, 20, 8, fills=np.random.rand(4, 3))
        """
        self._shape_batch(R.KIND_ELLIPSE, x, y, d, d, self._ellipse_mode, fills, strokes, "circles")

    def rects(self, x: Any, y: Any, w: Any, h: Any, *, fills: Any = None, strokes: Any = None) -> None:
        """Draw many rectangles in one batch; the arrays (or scalars) broadcast.

        Numbers are read like ``rect()``'s (``rect_mode()``). ``fills`` and
        ``strokes`` are per-rectangle colours as for :meth:`circles`.

        Examples:
            >>> import numpy as np
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.rects(np.arange(4) * 10, 0, 8, np.arange(4) * 10 + 5)
        """
        self._shape_batch(R.KIND_RECT, x, y, w, h, self._rect_mode, fills, strokes, "rects")


def _size(value: Any) -> int:
    size = getattr(value, "size", None)
    if callable(size):  # torch.Tensor.size is a method
        return int(value.numel())
    if size is not None:
        return int(size)
    return int(np.size(value))


def _as_array(value: Any, what: str) -> np.ndarray:
    """A float64 numpy array from numpy, torch (any device), lists or scalars."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SketchmlError(f"{what} must be numbers (a numpy array, torch tensor or list): {exc}") from None


def _as_vector(value: Any, n: int, what: str) -> np.ndarray:
    v = _as_array(value, what).reshape(-1)
    if v.size not in (1, n):
        raise SketchmlError(f"{what} needs {n} values (one per shape) or one, got {v.size}.")
    return v


def _as_colors(value: Any, n: int, what: str, default: RGBA | None) -> np.ndarray | None:
    """Per-shape straight RGBA floats ``(n, 4)`` (or one colour), or ``None`` for none."""
    if value is None:
        return None if default is None else np.asarray(default, dtype=np.float32)
    raw = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
    scale = 255.0 if raw.dtype == np.uint8 else 1.0
    arr = np.asarray(raw, dtype=np.float32) / scale
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] not in (3, 4) or arr.shape[0] not in (1, n):
        raise SketchmlError(
            f"{what} must be ({n}, 3) or ({n}, 4) colours (floats in [0, 1] or uint8 in "
            f"[0, 255]), got shape {tuple(raw.shape)}."
        )
    if arr.shape[1] == 3:
        arr = np.concatenate([arr, np.ones((len(arr), 1), dtype=np.float32)], axis=1)
    return np.clip(arr, 0.0, 1.0)
