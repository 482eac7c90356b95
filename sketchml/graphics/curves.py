"""Curves and shape building beyond the basics, with py5's names and semantics.

``curve``/``curve_point``/``curve_tangent``/``curve_tightness`` (Processing's
cardinal spline), ``bezier_point``/``bezier_tangent``, ``quadratic_vertex``, the
array forms ``vertices``/``bezier_vertices``/``curve_vertices``/``quadratic_vertices``,
contours (holes) with ``begin_contour``/``end_contour``, and ``begin_closed_shape``.
``begin_shape()``, ``begin_closed_shape()`` and ``begin_contour()`` also work as
context managers (``with begin_shape(): ...``), as in py5.

Part of :class:`sketchml.graphics.canvas.Canvas`; it comes before the per-call
shapes in the method order, so its ``begin_shape``/``end_shape`` wrap theirs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics import geometry as G
from sketchml.graphics import renderer as R
from sketchml.graphics.scope import Scope
from sketchml.graphics.state import CanvasState

__all__ = ["CurvesMixin", "bezier_point", "bezier_tangent", "curve_point", "curve_tangent"]


def _cardinal(tightness: float) -> np.ndarray:
    """Processing's curve basis matrix for a tightness ``s`` (Catmull-Rom at 0)."""
    s = float(tightness)
    return np.array([
        [(s - 1) / 2, (s + 3) / 2, (-3 - s) / 2, (1 - s) / 2],
        [1 - s, (-5 - s) / 2, s + 2, (s - 1) / 2],
        [(s - 1) / 2, 0.0, (1 - s) / 2, 0.0],
        [0.0, 1.0, 0.0, 0.0],
    ])


def curve_point(a: float, b: float, c: float, d: float, t: float, tightness: float = 0.0) -> float:
    """One coordinate of a curve through ``b`` and ``c`` (``a`` and ``d`` steer) at ``t`` in [0, 1].

    Examples:
        >>> curve_point(0, 10, 20, 30, 0.5)
        15.0
    """
    m = _cardinal(tightness) @ np.array([a, b, c, d], dtype=np.float64)
    return float(((m[0] * t + m[1]) * t + m[2]) * t + m[3])


def curve_tangent(a: float, b: float, c: float, d: float, t: float, tightness: float = 0.0) -> float:
    """The derivative of :func:`curve_point` with respect to ``t``.

    Examples:
        >>> curve_tangent(0, 10, 20, 30, 0.5)
        10.0
    """
    m = _cardinal(tightness) @ np.array([a, b, c, d], dtype=np.float64)
    return float((3 * m[0] * t + 2 * m[1]) * t + m[2])


def bezier_point(a: float, b: float, c: float, d: float, t: float) -> float:
    """One coordinate of the cubic Bezier from ``a`` to ``d`` (controls ``b``, ``c``) at ``t``.

    Examples:
        >>> bezier_point(0, 0, 10, 10, 0.5)
        5.0
    """
    u = 1.0 - t
    return float(u * u * u * a + 3 * u * u * t * b + 3 * u * t * t * c + t * t * t * d)


def bezier_tangent(a: float, b: float, c: float, d: float, t: float) -> float:
    """The derivative of :func:`bezier_point` with respect to ``t``.

    Examples:
        >>> bezier_tangent(0, 0, 10, 10, 0.5)
        15.0
    """
    return float(3 * t * t * (-a + 3 * b - 3 * c + d) + 6 * t * (a - 2 * b + c) + 3 * (-a + b))


def _array(coords: Any, columns: int, caller: str) -> np.ndarray:
    arr = np.asarray(coords, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != columns:
        raise SketchmlError(
            f"{caller}() takes an (N, {columns}) array of coordinates, got shape {arr.shape}."
        )
    return arr


class CurvesMixin(CanvasState):
    """Curve, contour and array-vertex methods; state lives on the Canvas."""

    API_METHODS: tuple[str, ...] = (
        "begin_closed_shape", "begin_contour", "begin_shape", "bezier_point", "bezier_tangent",
        "bezier_vertices", "curve", "curve_point", "curve_tangent", "curve_tightness",
        "curve_vertices", "end_contour", "end_shape", "quadratic_vertex", "quadratic_vertices",
        "vertices",
    )
    _STYLE_ATTRS: tuple[str, ...] = ("_curve_tightness",)
    _curve_tightness: float = 0.0
    # Where each contour starts and ends in the shape's vertex list (see end_shape).
    _contours: list[list[int]] | None = None

    # ------------------------------------------------------------------ curves

    def curve_tightness(self, tightness: float) -> None:
        """How tight ``curve()`` and ``curve_vertex()`` curves are: 0 (the default) is a
        Catmull-Rom spline, 1 joins the points with straight lines, negative values bulge.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40); c.curve_tightness(0.5)
        """
        self._curve_tightness = float(tightness)

    def curve_point(self, a: float, b: float, c: float, d: float, t: float) -> float:
        """One coordinate (call it for x, then y) of the curve ``curve()`` draws through
        ``b`` and ``c``, at ``t`` from 0 (at ``b``) to 1 (at ``c``); follows ``curve_tightness``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).curve_point(0, 10, 20, 30, 0.5)
            15.0
        """
        return curve_point(a, b, c, d, t, self._curve_tightness)

    def curve_tangent(self, a: float, b: float, c: float, d: float, t: float) -> float:
        """The tangent (derivative along ``t``) of one coordinate of a curve at ``t``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).curve_tangent(0, 10, 20, 30, 0.5)
            10.0
        """
        return curve_tangent(a, b, c, d, t, self._curve_tightness)

    def bezier_point(self, a: float, b: float, c: float, d: float, t: float) -> float:
        """One coordinate (call it for x, then y) of a Bezier curve at ``t`` from 0 to 1:
        ``a`` and ``d`` are the ends, ``b`` and ``c`` the controls.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).bezier_point(0, 0, 10, 10, 0.5)
            5.0
        """
        return bezier_point(a, b, c, d, t)

    def bezier_tangent(self, a: float, b: float, c: float, d: float, t: float) -> float:
        """The tangent (derivative along ``t``) of one coordinate of a Bezier curve at ``t``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).bezier_tangent(0, 0, 10, 10, 0.5)
            15.0
        """
        return bezier_tangent(a, b, c, d, t)

    def curve(
        self, x1: float, y1: float, x2: float, y2: float,
        x3: float, y3: float, x4: float, y4: float,
    ) -> None:
        """Draw a curve from ``(x2, y2)`` to ``(x3, y3)``; ``(x1, y1)`` and ``(x4, y4)`` steer
        how it leaves and arrives (Processing's Catmull-Rom ``curve``, see ``curve_tightness``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.no_fill(); c.curve(0, 40, 5, 5, 35, 5, 40, 40)
        """
        ctrl = np.array([[x1, y1], [x2, y2], [x3, y3], [x4, y4]], dtype=np.float64)
        pts = G.catmull_rom_points(ctrl, scale=self._scale(), tightness=self._curve_tightness)
        self._emit(pts, closed=False)

    # ------------------------------------------------------------------ shapes

    def begin_shape(self, kind: int | None = None) -> Scope:
        """Start recording vertices of a shape; ``end_shape()`` draws it. As a context
        manager (``with begin_shape():``) it calls ``end_shape()`` at the end of the block.

        Without ``kind`` the vertices outline one polygon (concave allowed, with holes
        from ``begin_contour()``). Kinds: ``POINTS``, ``LINES``, ``TRIANGLES``,
        ``TRIANGLE_STRIP``, ``TRIANGLE_FAN``, ``QUADS``, ``QUAD_STRIP``.

        An outline may cross itself: as in Processing, the fill covers every point it
        winds round (the non-zero rule: a pentagram's centre is filled), and with
        contours every point inside an odd number of outlines (each contour cuts a hole,
        whichever way it winds). Any number of vertices fills in time linear in them.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> with c.begin_shape():
            ...     c.vertices([(5, 5), (35, 5), (20, 35)])
        """
        super().begin_shape(kind)  # type: ignore[misc]
        self._contours = []
        return Scope(self.end_shape)

    def begin_closed_shape(self, kind: int | None = None) -> Scope:
        """``begin_shape()`` whose context manager ends with ``end_shape(CLOSE)``:
        ``with begin_closed_shape(): ...`` draws a closed outline.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> with c.begin_closed_shape():
            ...     c.vertices([(5, 5), (35, 5), (20, 35)])
        """
        self.begin_shape(kind)
        return Scope(lambda: self.end_shape(K.CLOSE))

    def begin_contour(self) -> Scope:
        """Start a hole in the shape being recorded: the vertices up to ``end_contour()``
        outline a part cut out of it (wind them the other way round from the outside, as
        Processing asks). Also a context manager: ``with begin_contour(): ...``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> with c.begin_closed_shape():
            ...     c.vertices([(0, 0), (40, 0), (40, 40), (0, 40)])
            ...     with c.begin_contour():
            ...         c.vertices([(10, 10), (10, 30), (30, 30), (30, 10)])
        """
        shape = self._shape_list("begin_contour")
        contours = self._contours if self._contours is not None else []
        if contours and len(contours[-1]) == 1:
            raise SketchmlError("begin_contour() inside a contour: call end_contour() first.")
        if self._shape_kind is not None:
            raise SketchmlError(
                "begin_contour() works in a plain begin_shape() polygon, not with a kind "
                "such as TRIANGLES."
            )
        contours.append([len(shape)])
        self._contours = contours
        return Scope(self.end_contour)

    def end_contour(self) -> None:
        """End the hole started by ``begin_contour()``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40); _ = c.begin_shape(); c.vertex(0, 0)
            >>> _ = c.begin_contour(); c.vertex(1, 1); c.end_contour()
        """
        shape = self._shape_list("end_contour")
        if not self._contours or len(self._contours[-1]) != 1:
            raise SketchmlError("end_contour() without begin_contour(): call begin_contour() first.")
        self._contours[-1].append(len(shape))

    def end_shape(self, mode: int | None = None) -> None:
        """Draw the shape recorded since ``begin_shape()``; ``end_shape(CLOSE)`` closes its outline.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(5, 5); c.vertex(35, 5); c.vertex(35, 35); c.end_shape(2)
        """
        contours = self._contours
        self._contours = None
        if not contours:
            super().end_shape(mode)  # type: ignore[misc]
            return
        if len(contours[-1]) == 1:
            raise SketchmlError("end_shape() inside a contour: call end_contour() first.")
        entries = self._shape_list("end_shape")
        if mode is not None and int(mode) != K.CLOSE:
            raise SketchmlError(f"end_shape({mode}): the only mode is CLOSE (or no argument).")
        self._shape = None
        outer = entries[: contours[0][0]]
        for (_, stop), (start, _) in zip(contours, contours[1:] + [[len(entries), 0]]):
            outer = outer + entries[stop:start]
        rings = [self._shape_points(outer)]
        rings += [self._shape_points(entries[a:b]) for a, b in contours]
        rings = [r for r in rings if len(r) >= 3]
        if not rings:
            return
        self._emit_rings(rings)

    def _emit_rings(self, rings: list[np.ndarray]) -> None:
        """Fill an outline with holes (odd windings, as Processing's P2D: every contour cuts
        a hole) and stroke every ring closed. The fill counts windings on the GPU, in time
        linear in the vertices; under a user shader, which needs real triangles, it is ear
        clipped."""
        import mapbox_earcut

        fill = self._fill_rgba
        if fill is not None and self._shader is None:
            stroked = self._stroke_rgba is not None and self._stroke_weight > 0
            pixel = 1.0 / self._scale() if self._smooth and not stroked else 0.0
            m = R.snap_matrix(self._m, self._stroke_weight, rings[0][0]) if stroked else self._m
            self._winding_fill(rings, m, even_odd=True, fringe=pixel)
            self._fill_rgba = None
            try:
                for ring in rings:
                    self._emit(ring, closed=True)
            finally:
                self._fill_rgba = fill
            return
        if fill is not None:
            pts = np.concatenate(rings)
            ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
            idx = mapbox_earcut.triangulate_float64(pts, ends)
            tris = pts[np.asarray(idx, dtype=np.intp).reshape(-1, 3)]
            self._emit(rings[0], closed=True, fill_tris=tris)
        else:
            self._emit(rings[0], closed=True)
        saved = self._fill_rgba
        self._fill_rgba = None
        try:
            for ring in rings[1:]:
                self._emit(ring, closed=True)
        finally:
            self._fill_rgba = saved

    def quadratic_vertex(self, cx: float, cy: float, x3: float, y3: float) -> None:
        """Add a quadratic Bezier segment from the previous vertex to ``(x3, y3)`` with one
        control point ``(cx, cy)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(5, 35); c.quadratic_vertex(20, 0, 35, 35); c.end_shape()
        """
        shape = self._shape_list("quadratic_vertex")
        if not shape:
            raise SketchmlError(
                "quadratic_vertex() needs a starting point: call vertex(x, y) before the first "
                "quadratic_vertex() of a shape."
            )
        x0, y0 = shape[-1][-2:]
        cx, cy, x3, y3 = float(cx), float(cy), float(x3), float(y3)
        # The same curve as a cubic: controls two thirds of the way to the quadratic's one.
        self.bezier_vertex(x0 + 2.0 / 3.0 * (cx - x0), y0 + 2.0 / 3.0 * (cy - y0),
                           x3 + 2.0 / 3.0 * (cx - x3), y3 + 2.0 / 3.0 * (cy - y3), x3, y3)

    def vertices(self, coords: Any) -> None:
        """Add many vertices at once: ``coords`` is an ``(N, 2)`` array (or list of pairs).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertices([(0, 0), (40, 0), (20, 40)]); c.end_shape()
        """
        for x, y in _array(coords, 2, "vertices").tolist():
            self.vertex(x, y)

    def bezier_vertices(self, coords: Any) -> None:
        """Add many ``bezier_vertex`` segments: ``coords`` is ``(N, 6)``, one row per call.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(5, 35); c.bezier_vertices([(5, 5, 35, 5, 35, 35)]); c.end_shape()
        """
        for row in _array(coords, 6, "bezier_vertices").tolist():
            self.bezier_vertex(*row)

    def curve_vertices(self, coords: Any) -> None:
        """Add many ``curve_vertex`` points: ``coords`` is an ``(N, 2)`` array.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.curve_vertices([(0, 0), (5, 20), (35, 20), (40, 40)]); c.end_shape()
        """
        for x, y in _array(coords, 2, "curve_vertices").tolist():
            self.curve_vertex(x, y)

    def quadratic_vertices(self, coords: Any) -> None:
        """Add many ``quadratic_vertex`` segments: ``coords`` is ``(N, 4)``, one row per call.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(5, 35); c.quadratic_vertices([(20, 0, 35, 35)]); c.end_shape()
        """
        for row in _array(coords, 4, "quadratic_vertices").tolist():
            self.quadratic_vertex(*row)
