"""Per-call shapes of the Canvas: ellipse, rect, line, point, triangle, quad, arc,
bezier and begin_shape/vertex/end_shape.

Shapes the fragment shader draws exactly (ellipses, rectangles, lines, points,
convex triangles and quads) are packed into one record each; the others are
tessellated here (:mod:`sketchml.graphics.geometry`) into rows of the same batch.
Part of :class:`sketchml.graphics.canvas.Canvas`.
"""
from __future__ import annotations

import functools
import math
import struct
from typing import Any

import numpy as np

from sketchml import constants as K
from sketchml.errors import ApiUsageError, SketchmlError
from sketchml.graphics import geometry as G
from sketchml.graphics import renderer as R
from sketchml.graphics.state import CanvasState
from sketchml.graphics.winding import winding_fill

__all__ = ["ShapesMixin"]

_PACK = R.RECORD.pack
_CENTER, _CORNER = K.CENTER, K.CORNER
_SHAPE_KINDS = (
    K.POINTS, K.LINES, K.TRIANGLES, K.TRIANGLE_STRIP, K.TRIANGLE_FAN, K.QUADS, K.QUAD_STRIP,
)


def _quiet_numpy(method):
    """Numbers that are NaN or infinite make NaN corners, which GL drops; numpy need not warn."""

    @functools.wraps(method)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return method(*args, **kwargs)

    return quiet


class ShapesMixin(CanvasState):
    """The per-call drawing methods; state lives on the Canvas."""

    def _style_id(self) -> int:
        """Style-table id for the current fill, stroke, weight, matrix, cap and join (adds one)."""
        fill = self._fill_rgba or (0.0, 0.0, 0.0, 0.0)
        stroke = self._stroke_rgba
        weight = self._stroke_weight if stroke is not None else 0.0
        self._sid = self._batch.add_style(
            fill + (stroke or (0.0, 0.0, 0.0, 0.0)) + (weight,) + self._m
            + (float(self._stroke_cap), float(self._stroke_join))
        )
        return self._sid

    def _rect_params(self, a: Any, b: Any, c: Any, d: Any, mode: int) -> tuple:
        """(cx, cy, half_w, half_h) for rect/ellipse numbers (or arrays) under ``mode``."""
        if mode == K.CENTER:
            return a, b, c * 0.5, d * 0.5
        if mode == K.CORNER:
            return a + c * 0.5, b + d * 0.5, c * 0.5, d * 0.5
        if mode == K.RADIUS:
            return a, b, c, d
        return (a + c) * 0.5, (b + d) * 0.5, (c - a) * 0.5, (d - b) * 0.5

    # The per-call shapes below are the hot path of a sketch: each packs one record
    # (see renderer.ShapeRecorder). struct.pack checks that the numbers are numbers.

    def ellipse(self, a: float, b: float, c: float, d: float) -> None:
        """Draw an ellipse. By default ``(a, b)`` is the centre and ``c``, ``d`` the width and height.

        ``ellipse_mode()`` changes how the four numbers are read.

        Examples:
            >>> from sketchml.graphics.context import create_headless_context
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40); c._gl_init(create_headless_context())
            >>> c.ellipse(20, 20, 30, 20)
        """
        if self._ellipse_mode != _CENTER:
            a, b, c, d = self._rect_params(a, b, c, d, self._ellipse_mode)
            c, d = c * 2.0, d * 2.0
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(0.0, a, b, c, d, 0.0, 0.0, 0.0, 0.0, sid))
        except (struct.error, OverflowError):
            raise _not_numbers(a, b, c, d) from None
        if len(self._records) >= self._run_bytes:
            self._draw_run()

    def circle(self, x: float, y: float, extent: float) -> None:
        """Draw a circle of diameter ``extent`` at ``(x, y)`` (read through ``ellipse_mode()``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.circle(20, 20, 10)
        """
        self.ellipse(x, y, extent, extent)

    def rect(
        self, a: float, b: float, c: float, d: float, tl: float | None = None,
        tr: float | None = None, br: float | None = None, bl: float | None = None,
    ) -> None:
        """Draw a rectangle; by default ``(a, b)`` is the top-left corner and ``c``, ``d`` the size.

        One more number rounds every corner by that radius; four more round
        the top-left, top-right, bottom-right and bottom-left corners.
        ``rect_mode()`` changes how the first four numbers are read.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.rect(5, 5, 30, 20, 4)
        """
        mode = self._rect_mode
        if mode == _CORNER:
            a, b = a + c * 0.5, b + d * 0.5
        elif mode != _CENTER:
            a, b, c, d = self._rect_params(a, b, c, d, mode)
            c, d = c * 2.0, d * 2.0
        if tl is not None:
            self._rounded_rect(a, b, c, d, tl, tr, br, bl)
            return
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(1.0, a, b, c, d, 0.0, 0.0, 0.0, 0.0, sid))
        except (struct.error, OverflowError):
            raise _not_numbers(a, b, c, d) from None
        if len(self._records) >= self._run_bytes:
            self._draw_run()

    def _rounded_rect(self, cx, cy, w, h, tl, tr, br, bl) -> None:
        if tr is None:
            radii = (float(tl),) * 4
        elif br is None or bl is None:
            raise ApiUsageError("rect takes 4, 5 or 8 numbers: x, y, w, h[, r] or [, tl, tr, br, bl]")
        else:
            radii = (float(tl), float(tr), float(br), float(bl))
        row = self._batch_rows(1, R.KIND_RECT)
        row[0, 1:5] = (float(cx), float(cy), float(w) * 0.5, float(h) * 0.5)
        row[0, 5:9] = radii
        if self._fill_rgba is not None:
            row[0, 9:13] = self._fill_rgba
        if self._stroke_rgba is not None:
            row[0, 13:17] = self._stroke_rgba
            row[0, 17] = self._stroke_weight
        self._batch.add_rows(row)

    def square(self, x: float, y: float, extent: float) -> None:
        """Draw a square of side ``extent`` (read through ``rect_mode()``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.square(10, 10, 20)
        """
        self.rect(x, y, extent, extent)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """Draw a line from ``(x1, y1)`` to ``(x2, y2)`` in the stroke colour and weight.

        Its ends follow ``stroke_cap()``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.line(0, 0, 40, 40)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            record = _PACK(2.0, x1, y1, x2, y2, 0.0, 0.0, 0.0, 0.0, sid)
        except (struct.error, OverflowError):
            raise _not_numbers(x1, y1, x2, y2) from None
        if self._stroke_rgba is not None:
            self._record(record)
            if len(self._records) >= self._run_bytes:
                self._draw_run()

    def point(self, x: float, y: float) -> None:
        """Draw a point: a dot of the stroke colour, ``stroke_weight()`` across.

        It is round, or square under ``stroke_cap(SQUARE)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.stroke_weight(6); c.point(20, 20)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            record = _PACK(3.0, x, y, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, sid)
        except (struct.error, OverflowError):
            raise _not_numbers(x, y) from None
        if self._stroke_rgba is not None:
            self._record(record)
            if len(self._records) >= self._run_bytes:
                self._draw_run()

    # ------------------------------------------------------------------ tessellated shapes

    def _scale(self) -> float:
        """Canvas pixels per local unit (geometric mean), to choose curve detail."""
        a, c, _, b, d, _ = self._m
        return math.sqrt(abs(a * d - b * c)) or 1.0

    @_quiet_numpy
    def _emit(self, pts: np.ndarray, *, closed: bool, fill_tris: np.ndarray | None = None,
              cap: int | None = None) -> None:
        """Record the fill (``fill_tris`` or the polygon ``pts``) and the stroke of an outline.

        Both get an anti-aliasing fringe one canvas pixel wide; the fill's is
        left out under a stroke, which covers the outline anyway. An outline that
        crosses itself, or any other that is neither small nor seen whole from its
        centre, is filled by counting windings (non-zero rule, as Processing), in
        time linear in its vertices (:mod:`sketchml.graphics.winding`).
        """
        fill = self._fill_rgba
        stroke = self._stroke_rgba
        if (fill is None and stroke is None) or len(pts) < 2:
            return
        lo = pts.min(axis=0)
        hi = pts.max(axis=0)
        box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        pixel = 1.0 / self._scale() if self._smooth else 0.0
        stroked = stroke is not None and self._stroke_weight > 0
        m = R.snap_matrix(self._m, self._stroke_weight, pts[0]) if stroked else self._m
        batch = self._batch
        if fill is not None:
            if fill_tris is not None:
                tris = fill_tris
            elif self._shader is not None:
                # A user shader shades real triangles, which the winding fill has not.
                tris = G.fill_polygon(pts)
            else:
                found = G.fill_triangles(pts)
                if found is None:
                    self._winding_fill([pts], m, even_odd=False, fringe=0.0 if stroked else pixel)
                    found = np.zeros((0, 3, 2))
                tris = found
            if len(tris):
                batch.add_rows(R.triangle_rows(tris, fill, m, box))
                if not stroked:
                    fringe, edge = G.polygon_fringe(pts[None], pixel)
                    batch.add_rows(R.fringe_rows(fringe, edge, fill, m))
        if stroke is not None and stroked:
            mesh = G.stroke_polyline(
                pts, self._stroke_weight, closed=closed, join=self._stroke_join,
                cap=self._stroke_cap if cap is None else cap, fringe=pixel,
            )
            batch.add_rows(R.segment_rows(mesh.segments, stroke, self._stroke_weight, m))
            batch.add_rows(R.triangle_rows(mesh.triangles, stroke, m, box))
            batch.add_rows(R.fringe_rows(mesh.fringe, mesh.edge, stroke, m))

    def _winding_fill(self, rings: list[np.ndarray], m: tuple, *, even_odd: bool,
                      fringe: float) -> None:
        """Record the fill of closed ``rings`` by counting windings (see ``_emit``)."""
        assert self._fill_rgba is not None
        fill = winding_fill(rings, m, self._fill_rgba, size=(self.width, self.height),
                            even_odd=even_odd, fringe=fringe)
        if fill is not None:
            self._batch.add_fill(fill)

    def triangle(self, x1: float, y1: float, x2: float, y2: float, x3: float, y3: float) -> None:
        """Draw a triangle with corners ``(x1, y1)``, ``(x2, y2)``, ``(x3, y3)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.triangle(20, 5, 35, 35, 5, 35)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(6.0, x1, y1, x2, y2, x3, y3, 0.0, 0.0, sid))
        except (struct.error, OverflowError):
            raise _not_numbers(x1, y1, x2, y2, x3, y3) from None
        if len(self._records) >= self._run_bytes:
            self._draw_run()

    def quad(
        self, x1: float, y1: float, x2: float, y2: float,
        x3: float, y3: float, x4: float, y4: float,
    ) -> None:
        """Draw a four-sided shape through four corners given in order (it may be concave).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.quad(5, 5, 35, 10, 30, 35, 10, 30)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(7.0, x1, y1, x2, y2, x3, y3, x4, y4, sid))
        except (struct.error, OverflowError):
            raise _not_numbers(x1, y1, x2, y2, x3, y3, x4, y4) from None
        if len(self._records) >= self._run_bytes:
            self._draw_run()

    @_quiet_numpy
    def arc(
        self, a: float, b: float, c: float, d: float, start: float, stop: float,
        mode: int | None = None,
    ) -> None:
        """Draw part of an ellipse, from angle ``start`` to ``stop`` (radians, clockwise on screen).

        The first four numbers are read like ``ellipse()``'s. ``mode`` chooses how
        it is closed: ``OPEN`` (fill closed by a chord, outline open), ``CHORD``,
        ``PIE``; without a mode the fill is a pie slice and the outline is open.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.arc(20, 20, 30, 30, 0, 3.14159, 3)   # a PIE half disc
        """
        cx, cy, rx, ry = self._rect_params(float(a), float(b), float(c), float(d), self._ellipse_mode)
        start, stop = float(start), float(stop)
        if mode is not None and int(mode) not in (K.OPEN, K.CHORD, K.PIE):
            raise SketchmlError(f"arc(..., mode={mode}): expected OPEN, CHORD or PIE.")
        if not (math.isfinite(start) and math.isfinite(stop)) or stop <= start:
            return
        if start < 0:
            turns = math.ceil(-start / K.TWO_PI)
            start += turns * K.TWO_PI
            stop += turns * K.TWO_PI
        if stop - start >= K.TWO_PI:
            saved = self._ellipse_mode
            self._ellipse_mode = K.RADIUS
            self.ellipse(cx, cy, rx, ry)
            self._ellipse_mode = saved
            return
        arc = G.arc_points(cx, cy, rx, ry, start, stop, scale=self._scale())
        center = np.array([[cx, cy]])
        pie = np.concatenate([center, arc])
        fill_tris = G.fan_triangles(arc if mode in (K.OPEN, K.CHORD) else pie)
        if mode == K.PIE:
            self._emit(pie, closed=True, fill_tris=fill_tris)
        else:
            self._emit(arc, closed=mode == K.CHORD, fill_tris=fill_tris)

    @_quiet_numpy
    def bezier(
        self, x1: float, y1: float, x2: float, y2: float,
        x3: float, y3: float, x4: float, y4: float,
    ) -> None:
        """Draw a cubic Bezier curve from ``(x1, y1)`` to ``(x4, y4)``, pulled towards the two controls.

        With a fill, the region between the curve and its chord is filled.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.no_fill(); c.bezier(5, 35, 5, 5, 35, 5, 35, 35)
        """
        pts = G.bezier_points(
            (float(x1), float(y1)), (float(x2), float(y2)), (float(x3), float(y3)),
            (float(x4), float(y4)), scale=self._scale(),
        )
        self._emit(pts, closed=False)

    def begin_shape(self, kind: int | None = None) -> None:
        """Start recording vertices of a shape; ``end_shape()`` draws it.

        Without ``kind`` the vertices outline one polygon (concave allowed). Kinds:
        ``POINTS``, ``LINES``, ``TRIANGLES``, ``TRIANGLE_STRIP``, ``TRIANGLE_FAN``,
        ``QUADS``, ``QUAD_STRIP``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape()
            >>> for x, y in [(5, 5), (35, 5), (20, 35)]:
            ...     c.vertex(x, y)
            >>> c.end_shape(2)   # CLOSE
        """
        if kind is not None and int(kind) not in _SHAPE_KINDS:
            raise SketchmlError(
                f"begin_shape({kind}): expected no argument (a polygon) or one of POINTS, LINES, "
                "TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN, QUADS, QUAD_STRIP."
            )
        self._shape_kind = None if kind is None else int(kind)
        self._shape = []

    def _shape_list(self, caller: str) -> list:
        shape = getattr(self, "_shape", None)
        if shape is None:
            raise SketchmlError(f"{caller}() outside begin_shape()/end_shape(). Call begin_shape() first.")
        return shape

    def vertex(self, x: float, y: float) -> None:
        """Add a corner to the shape being recorded (between ``begin_shape()`` and ``end_shape()``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(0, 0); c.vertex(40, 0); c.vertex(20, 40); c.end_shape()
        """
        self._shape_list("vertex").append(("v", float(x), float(y)))

    def bezier_vertex(
        self, x2: float, y2: float, x3: float, y3: float, x4: float, y4: float
    ) -> None:
        """Add a cubic Bezier segment from the previous vertex to ``(x4, y4)`` with two controls.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(5, 35); c.bezier_vertex(5, 5, 35, 5, 35, 35); c.end_shape()
        """
        self._shape_list("bezier_vertex").append(
            ("b", float(x2), float(y2), float(x3), float(y3), float(x4), float(y4))
        )

    def curve_vertex(self, x: float, y: float) -> None:
        """Add a point of a smooth (Catmull-Rom) curve; the first and last points only steer it.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> c.no_fill(); _ = c.begin_shape()
            >>> for x, y in [(0, 0), (5, 20), (20, 5), (35, 20), (40, 40)]:
            ...     c.curve_vertex(x, y)
            >>> c.end_shape()
        """
        self._shape_list("curve_vertex").append(("c", float(x), float(y)))

    def _shape_points(self, entries: list) -> np.ndarray:
        if all(e[0] == "v" for e in entries):
            return np.array([e[1:] for e in entries], dtype=np.float64).reshape(-1, 2)
        pts: list = []
        curve: list = []
        scale = self._scale()

        def take_curve() -> None:
            if len(curve) >= 4:
                pts.extend(G.catmull_rom_points(
                    np.array(curve), scale=scale, tightness=self._curve_tightness).tolist())
            curve.clear()

        for e in entries:
            if e[0] == "c":
                curve.append(e[1:])
                continue
            take_curve()
            if e[0] == "v":
                pts.append(e[1:])
            else:
                if not pts:
                    raise SketchmlError(
                        "bezier_vertex() needs a starting point: call vertex(x, y) before the "
                        "first bezier_vertex() of a shape."
                    )
                seg = G.bezier_points(pts[-1], e[1:3], e[3:5], e[5:7], scale=scale)
                pts.extend(seg[1:].tolist())
        take_curve()
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    @_quiet_numpy
    def end_shape(self, mode: int | None = None) -> None:
        """Draw the shape recorded since ``begin_shape()``; ``end_shape(CLOSE)`` closes its outline.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(40, 40)
            >>> _ = c.begin_shape(); c.vertex(5, 5); c.vertex(35, 5); c.vertex(35, 35); c.end_shape(2)
        """
        entries = self._shape_list("end_shape")
        kind = self._shape_kind
        self._shape = None
        if mode is not None and int(mode) != K.CLOSE:
            raise SketchmlError(f"end_shape({mode}): the only mode is CLOSE (or no argument).")
        pts = self._shape_points(entries)
        if kind is None:
            if len(pts) >= 2:
                self._emit(pts, closed=mode == K.CLOSE)
            return
        if kind == K.POINTS:
            for x, y in pts.tolist():
                self.point(x, y)
            return
        if kind == K.LINES:
            for x1, y1, x2, y2 in pts[: len(pts) // 2 * 2].reshape(-1, 4).tolist():
                self.line(x1, y1, x2, y2)
            return
        n = len(pts)
        if kind == K.TRIANGLES:
            polys = pts[: n // 3 * 3].reshape(-1, 3, 2)
        elif kind == K.TRIANGLE_STRIP:
            i = np.arange(max(n - 2, 0))
            polys = pts[np.stack([i, i + 1, i + 2], axis=1)]
        elif kind == K.TRIANGLE_FAN:
            i = np.arange(1, max(n - 1, 1))
            polys = pts[np.stack([np.zeros_like(i), i, i + 1], axis=1)]
        elif kind == K.QUADS:
            polys = pts[: n // 4 * 4].reshape(-1, 4, 2)
        else:  # QUAD_STRIP: vertices pair up as the two sides of a ribbon
            pairs = pts[: n // 2 * 2].reshape(-1, 2, 2)
            polys = np.stack([pairs[:-1, 0], pairs[:-1, 1], pairs[1:, 1], pairs[1:, 0]], axis=1)
        self._emit_primitives(polys)

    @_quiet_numpy
    def _emit_primitives(self, polys: np.ndarray) -> None:
        """Fill and outline many triangles (K, 3, 2) or quads (K, 4, 2) in one go."""
        if len(polys) == 0:
            return
        flat = polys.reshape(-1, 2)
        lo, hi = flat.min(axis=0), flat.max(axis=0)
        box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        pixel = 1.0 / self._scale() if self._smooth else 0.0
        fill, stroke = self._fill_rgba, self._stroke_rgba
        stroked = stroke is not None and self._stroke_weight > 0
        m = R.snap_matrix(self._m, self._stroke_weight, flat[0]) if stroked else self._m
        if fill is not None:
            tris = polys if polys.shape[1] == 3 else polys[:, [0, 1, 2, 0, 2, 3]].reshape(-1, 3, 2)
            self._batch.add_rows(R.triangle_rows(tris, fill, m, box))
            if not stroked:
                fringe, edge = G.polygon_fringe(polys, pixel)
                self._batch.add_rows(R.fringe_rows(fringe, edge, fill, m))
        if stroke is not None and stroked:
            mesh = G.stroke_polygons(polys, self._stroke_weight, join=self._stroke_join, fringe=pixel)
            self._batch.add_rows(R.segment_rows(mesh.segments, stroke, self._stroke_weight, m))
            self._batch.add_rows(R.triangle_rows(mesh.triangles, stroke, m, box))
            self._batch.add_rows(R.fringe_rows(mesh.fringe, mesh.edge, stroke, m))


def _not_numbers(*values: Any) -> ApiUsageError:
    big = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
           and abs(v) > 3.4e38 and v == v]
    if big:
        return ApiUsageError(
            f"{big[0]:g} is too large to draw: the GPU's 32-bit floats stop at about 3.4e38. "
            "Keep positions and sizes far smaller (a canvas is a few thousand pixels wide); "
            "constrain() or remap() can bring a value into range."
        )
    kinds = ", ".join(type(v).__name__ for v in values)
    return ApiUsageError(f"expected numbers, got ({kinds}); positions and sizes are ints or floats")
