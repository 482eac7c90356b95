"""Shapes as objects, as py5's ``Py5Shape`` has them in 2D: made once, drawn many times.

``create_shape()`` gives an empty shape to fill with ``begin_shape()`` / ``vertex()`` /
``end_shape()`` (and the curve, contour and style calls between them);
``create_shape(RECT, x, y, w, h)`` (``ELLIPSE``, ``ARC``, ``TRIANGLE``, ``QUAD``, ``LINE``,
``POINT``) a primitive; ``create_shape(GROUP)`` a group, filled with ``add_child()``.
``shape(s, x, y)`` draws one. A shape keeps the fill, stroke and rect/ellipse modes the
canvas had when it was made, changed with ``set_fill()``, ``set_stroke()`` ...; after
``disable_style()`` it is drawn in the canvas's style of the moment instead.

A shape records the calls that make it and replays them on the canvas that draws it,
so it looks exactly as the same calls made directly would.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sketchml import constants as K
from sketchml.errors import ApiUsageError, SketchmlError
from sketchml.graphics.scope import Scope
from sketchml.graphics.state import RGBA, CanvasState

if TYPE_CHECKING:
    from sketchml.graphics.canvas import Canvas

__all__ = ["GEOMETRY", "PRIMITIVE", "Shape", "ShapeObjectMixin"]

#: Shape families, with Processing's values (``Shape.get_family()``; ``GROUP`` is 0).
PRIMITIVE = 101
GEOMETRY = 103

# Primitive kinds, the canvas method that draws each and how many numbers it takes.
_PRIMITIVES: dict[int, tuple[str, tuple[int, ...]]] = {
    K.POINT: ("point", (2,)), K.LINE: ("line", (4,)), K.TRIANGLE: ("triangle", (6,)),
    K.QUAD: ("quad", (8,)), K.RECT: ("rect", (4, 5, 8)), K.ELLIPSE: ("ellipse", (4,)),
    K.ARC: ("arc", (6, 7)),
}
_NAMES = {K.GROUP: "GROUP", K.POINT: "POINT", K.LINE: "LINE", K.TRIANGLE: "TRIANGLE", K.QUAD: "QUAD",
          K.RECT: "RECT", K.ELLIPSE: "ELLIPSE", K.ARC: "ARC"}
# Calls recorded between begin_shape() and end_shape(), replayed by name on the canvas.
_PATH_CALLS = ("vertex", "bezier_vertex", "quadratic_vertex", "curve_vertex", "begin_contour",
               "end_contour")
_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def _mul(m: tuple, n: tuple) -> tuple:
    a, c, e, b, d, f = m
    a2, c2, e2, b2, d2, f2 = n
    return (a * a2 + c * b2, a * c2 + c * d2, a * e2 + c * f2 + e,
            b * a2 + d * b2, b * c2 + d * d2, b * e2 + d * f2 + f)


class Shape:
    """A shape made once with ``create_shape()`` and drawn with ``shape()`` (py5's ``Py5Shape``).

    Examples:
        >>> from sketchml.graphics.canvas import Canvas
        >>> from sketchml.graphics.context import create_headless_context
        >>> c = Canvas(100, 100); c._gl_init(create_headless_context()); c.background(255)
        >>> s = c.create_shape()
        >>> with s.begin_closed_shape():
        ...     s.fill(0, 0, 255); s.no_stroke()
        ...     s.vertices([(0, 0), (0, 50), (50, 50), (50, 0)])
        >>> c.shape(s, 25, 25)
        >>> hex(c.get_pixels(50, 50)), hex(c.get_pixels(10, 10))
        ('0xff0000ff', '0xffffffff')
    """

    def __init__(self, canvas: CanvasState, family: int, kind: int | None = None,
                 params: tuple[float, ...] = ()) -> None:
        self._canvas = canvas
        self._family = family
        self._kind = kind
        self._params = params
        self._calls: list[tuple[str, tuple[float, ...]]] = []
        self._recording = False
        self._close: int | None = None
        self._children: list[Shape] = []
        self._name: str | None = None
        self._visible = True
        self._style = True
        self._matrix = _IDENTITY
        # The canvas's style when the shape is made, as Processing's PShape takes it; a
        # colour is kept while it is switched off, for set_fill(True).
        self._fill: RGBA = canvas._fill_rgba or (1.0, 1.0, 1.0, 1.0)
        self._fill_on = canvas._fill_rgba is not None
        self._stroke: RGBA = canvas._stroke_rgba or (0.0, 0.0, 0.0, 1.0)
        self._stroke_on = canvas._stroke_rgba is not None
        self._stroke_weight = canvas._stroke_weight
        self._stroke_cap = canvas._stroke_cap
        self._stroke_join = canvas._stroke_join
        self._rect_mode = canvas._rect_mode
        self._ellipse_mode = canvas._ellipse_mode

    def __repr__(self) -> str:
        family = {K.GROUP: "GROUP", PRIMITIVE: "PRIMITIVE", GEOMETRY: "GEOMETRY"}[self._family]
        kind = f" {_NAMES.get(self.get_kind(), self._kind)}" if self._family == PRIMITIVE else ""
        return f"<Shape {family}{kind}, {len(self._children)} children, {self.get_vertex_count()} vertices>"

    # ------------------------------------------------------------------ making a path

    def begin_shape(self, kind: int | None = None) -> Scope:
        """Start (again) recording this shape's vertices, as ``begin_shape()`` does on a
        canvas; the kinds are the same (``TRIANGLE_STRIP`` ...). Also a context manager.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertices([(0, 0), (5, 0), (0, 5)])
            >>> s.get_vertex_count()
            3
        """
        if self._family != GEOMETRY:
            raise SketchmlError("begin_shape() fills a shape made by create_shape() with no "
                                f"arguments; this one is a {self!r}.")
        self._kind = None if kind is None else int(kind)
        self._calls = []
        self._close = None
        self._recording = True
        return Scope(self.end_shape)

    def begin_closed_shape(self, kind: int | None = None) -> Scope:
        """``begin_shape()`` whose context manager ends with ``end_shape(CLOSE)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_closed_shape(): s.vertices([(0, 0), (5, 0), (0, 5)])
        """
        self.begin_shape(kind)
        return Scope(lambda: self.end_shape(K.CLOSE))

    def end_shape(self, mode: int | None = None) -> None:
        """Stop recording; ``end_shape(CLOSE)`` closes the outline.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> _ = s.begin_shape(); s.vertex(0, 0); s.vertex(5, 5); s.end_shape(2)
        """
        self._need_recording("end_shape")
        if mode is not None and int(mode) != K.CLOSE:
            raise SketchmlError(f"end_shape({mode}): the only mode is CLOSE (or no argument).")
        self._close = None if mode is None else K.CLOSE
        self._recording = False

    def _need_recording(self, caller: str) -> None:
        if not self._recording:
            raise SketchmlError(f"Shape.{caller}() outside begin_shape()/end_shape(): call "
                                "s.begin_shape() first.")

    def _path(self, name: str, *values: float) -> None:
        self._need_recording(name)
        self._calls.append((name, tuple(float(v) for v in values)))

    def vertex(self, x: float, y: float) -> None:
        """Add a vertex ``(x, y)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); _ = s.begin_shape(); s.vertex(1, 2); s.end_shape()
            >>> s.get_vertex(0)
            (1.0, 2.0)
        """
        self._path("vertex", x, y)

    def vertices(self, coords: Any) -> None:
        """Add many vertices: ``coords`` is ``(N, 2)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertices([(0, 0), (4, 0), (0, 4)])
        """
        for x, y in _rows(coords, 2, "vertices"):
            self.vertex(x, y)

    def bezier_vertex(self, x2: float, y2: float, x3: float, y3: float, x4: float, y4: float) -> None:
        """Add a cubic Bezier segment ending at ``(x4, y4)``, as on a canvas.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(0, 0); s.bezier_vertex(5, 0, 9, 4, 9, 9)
        """
        self._path("bezier_vertex", x2, y2, x3, y3, x4, y4)

    def bezier_vertices(self, coords: Any) -> None:
        """Add many ``bezier_vertex`` segments: ``coords`` is ``(N, 6)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(0, 0); s.bezier_vertices([(5, 0, 9, 4, 9, 9)])
        """
        for row in _rows(coords, 6, "bezier_vertices"):
            self.bezier_vertex(*row)

    def quadratic_vertex(self, cx: float, cy: float, x3: float, y3: float) -> None:
        """Add a quadratic Bezier segment ending at ``(x3, y3)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(0, 9); s.quadratic_vertex(5, 0, 9, 9)
        """
        self._path("quadratic_vertex", cx, cy, x3, y3)

    def quadratic_vertices(self, coords: Any) -> None:
        """Add many ``quadratic_vertex`` segments: ``coords`` is ``(N, 4)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(0, 9); s.quadratic_vertices([(5, 0, 9, 9)])
        """
        for row in _rows(coords, 4, "quadratic_vertices"):
            self.quadratic_vertex(*row)

    def curve_vertex(self, x: float, y: float) -> None:
        """Add a Catmull-Rom curve vertex, as on a canvas.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.curve_vertices([(0, 0), (0, 0), (5, 9), (9, 0), (9, 0)])
        """
        self._path("curve_vertex", x, y)

    def curve_vertices(self, coords: Any) -> None:
        """Add many curve vertices: ``coords`` is ``(N, 2)``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.curve_vertices([(0, 0), (0, 0), (5, 9), (9, 0), (9, 0)])
        """
        for x, y in _rows(coords, 2, "curve_vertices"):
            self.curve_vertex(x, y)

    def begin_contour(self) -> Scope:
        """Start a hole in the shape (also a context manager), as on a canvas.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_closed_shape():
            ...     s.vertices([(0, 0), (9, 0), (9, 9), (0, 9)])
            ...     with s.begin_contour(): s.vertices([(3, 3), (3, 6), (6, 6), (6, 3)])
        """
        self._path("begin_contour")
        return Scope(self.end_contour)

    def end_contour(self) -> None:
        """End the hole ``begin_contour()`` started.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); _ = s.begin_shape(); _ = s.begin_contour()
            >>> s.end_contour(); s.end_shape()
        """
        self._path("end_contour")

    # ------------------------------------------------------------------ style

    def fill(self, *args: Any) -> None:
        """Set the shape's fill (any colour form ``fill()`` takes, read in the canvas's
        colour mode).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.fill(255, 0, 0); hex(s.get_fill())
            '0xffff0000'
        """
        self._fill, self._fill_on = self._canvas._color_to_rgba(*args), True

    def no_fill(self) -> None:
        """Draw the shape without a fill.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.no_fill(); s.get_fill() is None
            True
        """
        self._fill_on = False

    def stroke(self, *args: Any) -> None:
        """Set the shape's outline colour.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.stroke("blue"); hex(s.get_stroke())
            '0xff0000ff'
        """
        self._stroke, self._stroke_on = self._canvas._color_to_rgba(*args), True

    def no_stroke(self) -> None:
        """Draw the shape without an outline.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.no_stroke(); s.get_stroke() is None
            True
        """
        self._stroke_on = False

    def stroke_weight(self, weight: float) -> None:
        """Set the shape's outline width.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.stroke_weight(3); s.get_stroke_weight()
            3.0
        """
        w = float(weight)
        if not w >= 0:
            raise SketchmlError(f"stroke_weight({weight}) must be 0 or more, e.g. stroke_weight(2).")
        self._stroke_weight = w

    def stroke_cap(self, cap: int) -> None:
        """Set how the shape's line ends look: ``ROUND``, ``SQUARE`` or ``PROJECT``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.stroke_cap(1)
        """
        if int(cap) not in (K.ROUND, K.SQUARE, K.PROJECT):
            raise SketchmlError(f"stroke_cap({cap}): expected ROUND, SQUARE or PROJECT.")
        self._stroke_cap = int(cap)

    def stroke_join(self, join: int) -> None:
        """Set how the shape's corners look: ``MITER``, ``BEVEL`` or ``ROUND``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.stroke_join(32)
        """
        if int(join) not in (K.MITER, K.BEVEL, K.ROUND):
            raise SketchmlError(f"stroke_join({join}): expected MITER, BEVEL or ROUND.")
        self._stroke_join = int(join)

    def _set_colour(self, caller: str, args: tuple) -> RGBA | bool:
        if len(args) == 1 and isinstance(args[0], bool):
            return args[0]
        if not args:
            raise ApiUsageError(f"{caller}() takes a colour, or False to draw none")
        return self._canvas._color_to_rgba(*args)

    def set_fill(self, *args: Any) -> None:
        """Change the shape's fill after it is made: a colour in any form, ``False`` for no
        fill or ``True`` to fill again (with the colour it had). A group passes it to its
        children.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(8, 0, 0, 5, 5, 9, 0)  # TRIANGLE
            >>> s.set_fill("#0000FF"); hex(s.get_fill())
            '0xff0000ff'
        """
        value = self._set_colour("set_fill", args)
        for target in self._targets():
            if isinstance(value, bool):
                target._fill_on = value
            else:
                target._fill, target._fill_on = value, True

    def set_stroke(self, *args: Any) -> None:
        """Change the shape's outline after it is made: a colour, ``False`` for none or
        ``True`` to draw it again. A group passes it to its children.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(30, 0, 0, 5, 5)  # RECT
            >>> s.set_stroke(False); s.get_stroke() is None
            True
        """
        value = self._set_colour("set_stroke", args)
        for target in self._targets():
            if isinstance(value, bool):
                target._stroke_on = value
            else:
                target._stroke, target._stroke_on = value, True

    def set_stroke_weight(self, weight: float) -> None:
        """Change the shape's outline width (a group's children too).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(30, 0, 0, 5, 5); s.set_stroke_weight(4)
            >>> s.get_stroke_weight()
            4.0
        """
        for target in self._targets():
            target.stroke_weight(weight)

    def _targets(self) -> list[Shape]:
        return [self] + [d for c in self._children for d in c._targets()]

    def get_fill(self) -> int | None:
        """The shape's fill as an ARGB int (as ``color()`` gives), or ``None`` without one.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> hex(Canvas(10, 10).create_shape().get_fill())   # the canvas's, white
            '0xffffffff'
        """
        from sketchml.graphics.color import rgba_to_argb

        return rgba_to_argb(self._fill) if self._fill_on else None

    def get_stroke(self) -> int | None:
        """The shape's outline colour as an ARGB int, or ``None`` without one.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> hex(Canvas(10, 10).create_shape().get_stroke())
            '0xff000000'
        """
        from sketchml.graphics.color import rgba_to_argb

        return rgba_to_argb(self._stroke) if self._stroke_on else None

    def get_stroke_weight(self) -> float:
        """The shape's outline width.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape().get_stroke_weight()
            1.0
        """
        return self._stroke_weight

    def disable_style(self) -> None:
        """Draw the shape (and its children) in the canvas's style of the moment, not its own.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.disable_style(); s.is_style_enabled()
            False
        """
        for target in self._targets():
            target._style = False

    def enable_style(self) -> None:
        """Draw the shape in its own style again (the default).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.disable_style(); s.enable_style()
            >>> s.is_style_enabled()
            True
        """
        for target in self._targets():
            target._style = True

    def is_style_enabled(self) -> bool:
        """Whether the shape is drawn in its own style.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape().is_style_enabled()
            True
        """
        return self._style

    # ------------------------------------------------------------------ groups

    def add_child(self, child: Shape, idx: int | None = None) -> None:
        """Add ``child`` to this group (made with ``create_shape(GROUP)``), at the end or at
        position ``idx``; children are drawn in order, later ones on top.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(10, 10); group = c.create_shape(0)  # GROUP
            >>> group.add_child(c.create_shape(30, 0, 0, 5, 5)); group.get_child_count()
            1
        """
        if self._family != K.GROUP:
            raise SketchmlError("add_child() adds to a group: make it with create_shape(GROUP).")
        if not isinstance(child, Shape):
            raise ApiUsageError(f"add_child() takes a shape from create_shape(), got {type(child).__name__}")
        if idx is None:
            self._children.append(child)
        else:
            self._children.insert(int(idx), child)

    def remove_child(self, idx: int) -> None:
        """Take the child at position ``idx`` out of the group.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(10, 10); group = c.create_shape(0)
            >>> group.add_child(c.create_shape()); group.remove_child(0); group.get_child_count()
            0
        """
        del self._children[int(idx)]

    def get_child(self, which: int | str) -> Shape | None:
        """The child at position ``which``, or the one with that name (``set_name``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(10, 10); group = c.create_shape(0); head = c.create_shape()
            >>> head.set_name("head"); group.add_child(head); group.get_child("head") is head
            True
        """
        if isinstance(which, str):
            return next((c for c in self._children if c._name == which), None)
        return self._children[int(which)]

    def get_child_count(self) -> int:
        """How many children the group has.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(0).get_child_count()
            0
        """
        return len(self._children)

    def get_children(self) -> list[Shape]:
        """The group's children, in drawing order.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(0).get_children()
            []
        """
        return list(self._children)

    def set_name(self, name: str) -> None:
        """Name the shape, so ``get_child(name)`` finds it.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.set_name("tail"); s.get_name()
            'tail'
        """
        self._name = str(name)

    def get_name(self) -> str | None:
        """The shape's name (``None`` until ``set_name``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape().get_name() is None
            True
        """
        return self._name

    # ------------------------------------------------------------------ what it is

    def get_family(self) -> int:
        """``GROUP`` (0), ``PRIMITIVE`` (101) or ``GEOMETRY`` (103), as in Processing.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(30, 0, 0, 5, 5).get_family()
            101
        """
        return self._family

    def get_kind(self) -> int:
        """A primitive's kind (``RECT`` ...), a path's ``begin_shape`` kind (0 for a plain
        polygon), or ``GROUP``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(31, 0, 0, 5, 5).get_kind()   # ELLIPSE
            31
        """
        return 0 if self._kind is None else self._kind

    def get_params(self) -> list[float]:
        """A primitive's numbers (``create_shape(RECT, 0, 0, 5, 5)`` gives ``[0, 0, 5, 5]``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(30, 0, 0, 5, 5).get_params()
            [0.0, 0.0, 5.0, 5.0]
        """
        return list(self._params)

    def get_vertex_count(self) -> int:
        """How many vertices the path has (``vertex`` and ``curve_vertex`` calls, and the end
        point of each Bezier or quadratic segment).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertices([(0, 0), (4, 0), (0, 4)])
            >>> s.get_vertex_count()
            3
        """
        return len(self._vertex_calls())

    def _vertex_calls(self) -> list[int]:
        return [i for i, (name, _) in enumerate(self._calls) if name not in ("begin_contour", "end_contour")]

    def get_vertex(self, index: int) -> tuple[float, float]:
        """Vertex ``index`` as ``(x, y)`` (a curve segment's end point).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertices([(0, 0), (4, 0), (0, 4)])
            >>> s.get_vertex(1)
            (4.0, 0.0)
        """
        _, values = self._calls[self._vertex_calls()[int(index)]]
        return (values[-2], values[-1])

    def get_vertex_x(self, index: int) -> float:
        """The x of vertex ``index``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(3, 4)
            >>> s.get_vertex_x(0)
            3.0
        """
        return self.get_vertex(index)[0]

    def get_vertex_y(self, index: int) -> float:
        """The y of vertex ``index``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(3, 4)
            >>> s.get_vertex_y(0)
            4.0
        """
        return self.get_vertex(index)[1]

    def set_vertex(self, index: int, x: float, y: float) -> None:
        """Move vertex ``index`` to ``(x, y)`` (a curve segment's end point).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape()
            >>> with s.begin_shape(): s.vertex(3, 4)
            >>> s.set_vertex(0, 1, 1); s.get_vertex(0)
            (1.0, 1.0)
        """
        at = self._vertex_calls()[int(index)]
        name, values = self._calls[at]
        self._calls[at] = (name, values[:-2] + (float(x), float(y)))

    def _bounds(self) -> tuple[float, float, float, float] | None:
        if self._family == K.GROUP:
            boxes = [b for b in (c._bounds() for c in self._children) if b is not None]
            if not boxes:
                return None
            return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                    max(b[2] for b in boxes), max(b[3] for b in boxes))
        if self._family == PRIMITIVE:
            p = self._params
            if self._kind in (K.RECT, K.ELLIPSE, K.ARC):
                return (p[0], p[1], p[0] + p[2], p[1] + p[3])
            xs, ys = p[0::2], p[1::2]
        else:
            points = [self.get_vertex(i) for i in range(self.get_vertex_count())]
            if not points:
                return None
            xs, ys = tuple(x for x, _ in points), tuple(y for _, y in points)
        return (min(xs), min(ys), max(xs), max(ys))

    def get_width(self) -> float:
        """The width of the shape's vertices (a rectangle's or ellipse's ``w``; a group's
        children together).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(30, 0, 0, 5, 7).get_width()
            5.0
        """
        box = self._bounds()
        return 0.0 if box is None else box[2] - box[0]

    def get_height(self) -> float:
        """The height of the shape's vertices.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape(30, 0, 0, 5, 7).get_height()
            7.0
        """
        box = self._bounds()
        return 0.0 if box is None else box[3] - box[1]

    def set_visible(self, visible: bool) -> None:
        """Show or hide the shape: ``shape()`` skips a hidden one.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.set_visible(False); s.is_visible()
            False
        """
        self._visible = bool(visible)

    def is_visible(self) -> bool:
        """Whether ``shape()`` draws the shape.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> Canvas(10, 10).create_shape().is_visible()
            True
        """
        return self._visible

    # ------------------------------------------------------------------ its own transform

    def translate(self, x: float, y: float) -> None:
        """Move the shape by ``(x, y)`` every time it is drawn (adds to earlier moves).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.translate(3, 4); s._matrix[2], s._matrix[5]
            (3.0, 4.0)
        """
        self._matrix = _mul(self._matrix, (1.0, 0.0, float(x), 0.0, 1.0, float(y)))

    def rotate(self, angle: float) -> None:
        """Rotate the shape by ``angle`` radians every time it is drawn.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.rotate(0.0); s._matrix[0]
            1.0
        """
        cs, sn = math.cos(float(angle)), math.sin(float(angle))
        self._matrix = _mul(self._matrix, (cs, -sn, 0.0, sn, cs, 0.0))

    def scale(self, sx: float, sy: float | None = None) -> None:
        """Scale the shape every time it is drawn (``sy`` defaults to ``sx``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.scale(2); s._matrix[0], s._matrix[4]
            (2.0, 2.0)
        """
        sy = sx if sy is None else sy
        self._matrix = _mul(self._matrix, (float(sx), 0.0, 0.0, 0.0, float(sy), 0.0))

    def reset_matrix(self) -> None:
        """Forget the shape's own ``translate``/``rotate``/``scale``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).create_shape(); s.scale(2); s.reset_matrix(); s._matrix[0]
            1.0
        """
        self._matrix = _IDENTITY

    # ------------------------------------------------------------------ drawing

    def _draw(self, canvas: Canvas) -> None:
        if not self._visible:
            return
        canvas.push_matrix()
        if self._matrix != _IDENTITY:
            canvas._set_matrix(_mul(canvas._m, self._matrix))
        if self._style:
            canvas.push_style()
            canvas._fill_rgba = self._fill if self._fill_on else None
            canvas._stroke_rgba = self._stroke if self._stroke_on else None
            canvas._stroke_weight, canvas._stroke_cap = self._stroke_weight, self._stroke_cap
            canvas._stroke_join = self._stroke_join
            canvas._rect_mode, canvas._ellipse_mode = self._rect_mode, self._ellipse_mode
            canvas._sid = -1
        try:
            if self._family == K.GROUP:
                for child in self._children:
                    child._draw(canvas)
            elif self._family == PRIMITIVE:
                method, _ = _PRIMITIVES[self._kind]  # type: ignore[index]
                getattr(canvas, method)(*self._params)
            elif self._calls:
                if self._recording:
                    raise SketchmlError("shape() of a shape still being made: call its end_shape() first.")
                canvas.begin_shape(self._kind)
                for name, values in self._calls:
                    getattr(canvas, name)(*values)
                canvas.end_shape(self._close)
        finally:
            if self._style:
                canvas.pop_style()
            canvas.pop_matrix()


def _from_shapely(canvas: Any, obj: Any, geometry: Any, fill_lines: bool) -> Shape:
    """One shapely geometry as a Shape (see ``convert_shape``)."""
    import numpy as np

    def ring(coords: Any, ccw: bool, want_ccw: bool) -> np.ndarray:
        points = np.asarray(coords, dtype=np.float64)[:-1]  # shapely repeats the first point
        return points if ccw == want_ccw else points[::-1]

    if isinstance(obj, geometry.Polygon):
        shape = canvas.create_shape()
        with shape.begin_closed_shape():
            if not obj.exterior.is_empty:
                shape.vertices(ring(obj.exterior.coords, obj.exterior.is_ccw, True))
            for hole in obj.interiors:
                with shape.begin_contour():
                    shape.vertices(ring(hole.coords, hole.is_ccw, False))
        return shape
    if isinstance(obj, geometry.LinearRing):
        shape = canvas.create_shape()
        with shape.begin_closed_shape():
            if not fill_lines:
                shape.no_fill()
            shape.vertices(np.asarray(obj.coords, dtype=np.float64)[:-1])
        return shape
    if isinstance(obj, geometry.LineString):
        coords = np.asarray(obj.coords, dtype=np.float64)
        shape = canvas.create_shape()
        if len(coords) == 2:
            with shape.begin_shape(K.LINES):
                shape.vertices(coords)
        elif len(coords) > 2:
            with shape.begin_shape():
                if not fill_lines:
                    shape.no_fill()
                shape.vertices(coords)
        return shape
    if isinstance(obj, geometry.Point):
        return canvas.create_shape(K.POINT, obj.x, obj.y)
    if isinstance(obj, geometry.MultiPoint):
        shape = canvas.create_shape()
        with shape.begin_shape(K.POINTS):
            shape.vertices(np.array([[p.x, p.y] for p in obj.geoms], dtype=np.float64).reshape(-1, 2))
        return shape
    if isinstance(obj, (geometry.GeometryCollection, geometry.MultiPolygon, geometry.MultiLineString)):
        group = canvas.create_shape(K.GROUP)
        for part in obj.geoms:
            group.add_child(_from_shapely(canvas, part, geometry, fill_lines))
        return group
    raise ApiUsageError(f"convert_shape() cannot convert a shapely {type(obj).__name__}")


def _rows(coords: Any, width: int, caller: str) -> list[list[float]]:
    import numpy as np

    arr = np.asarray(coords, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ApiUsageError(f"{caller}() takes an (N, {width}) array or list of {width}-number rows, "
                            f"got shape {arr.shape}")
    return arr.tolist()


class ShapeObjectMixin(CanvasState):
    """The canvas methods ``create_shape``, ``shape`` and ``shape_mode``."""

    API_METHODS: tuple[str, ...] = ("convert_shape", "create_shape", "shape", "shape_mode")
    _STYLE_ATTRS: tuple[str, ...] = ("_shape_mode",)
    _shape_mode: int = K.CORNER

    def create_shape(self, kind: int | None = None, *params: float) -> Shape:
        """A shape to draw later, and as often as wanted, with ``shape()`` (py5's
        ``create_shape``).

        ``create_shape()`` is an empty path: fill it with ``s.begin_shape()``,
        ``s.vertex(x, y)`` ... ``s.end_shape()``, with ``s.fill()``/``s.stroke()`` between
        them for its colours. ``create_shape(GROUP)`` is a group for ``s.add_child()``.
        ``create_shape(RECT, x, y, w, h)`` and ``ELLIPSE``, ``ARC``, ``TRIANGLE``, ``QUAD``,
        ``LINE``, ``POINT`` take the numbers of ``rect()``, ``ellipse()`` ... and are read
        in the rect and ellipse modes of the moment. A shape starts with the canvas's fill
        and stroke of the moment.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(100, 100); c._gl_init(create_headless_context()); c.background(255)
            >>> s = c.create_shape(30, 0, 0, 50, 50)   # RECT
            >>> s.set_fill("#0000FF"); s.set_stroke(False)
            >>> c.shape(s, 25, 25)
            >>> hex(c.get_pixels(50, 50))
            '0xff0000ff'
        """
        if kind is None:
            if params:
                raise ApiUsageError("create_shape() with numbers needs a kind first, e.g. "
                                    "create_shape(RECT, 0, 0, 50, 50)")
            return Shape(self, GEOMETRY)
        kind = int(kind)
        if kind == K.GROUP:
            if params:
                raise ApiUsageError("create_shape(GROUP) takes no numbers; add shapes with add_child()")
            return Shape(self, K.GROUP)
        if kind in (K.POINTS, K.LINES, K.TRIANGLES, K.TRIANGLE_STRIP, K.TRIANGLE_FAN, K.QUADS,
                    K.QUAD_STRIP) and not params:
            shape = Shape(self, GEOMETRY)
            shape._kind = kind
            return shape
        if kind not in _PRIMITIVES:
            raise SketchmlError(
                f"create_shape({kind}, ...) is not a 2D shape kind. Expected nothing (a path), GROUP, "
                "or one of POINT, LINE, TRIANGLE, QUAD, RECT, ELLIPSE, ARC followed by its numbers."
            )
        method, counts = _PRIMITIVES[kind]
        if len(params) not in counts:
            expected = " or ".join(str(n) for n in counts)
            raise ApiUsageError(f"create_shape({_NAMES[kind]}, ...) takes {expected} numbers, as "
                                f"{method}() does; got {len(params)}")
        return Shape(self, PRIMITIVE, kind, tuple(float(p) for p in params))

    def convert_shape(self, obj: Any, **kwargs: Any) -> Shape:
        """A shape made from another library's geometry, as py5's ``convert_shape``: a
        shapely ``Polygon`` (its holes as contours), ``LinearRing``, ``LineString``,
        ``Point``, ``MultiPoint``, or a collection of them (a ``GROUP``).

        Outlines wind one way and holes the other, whatever the geometry's own order.
        Lines and rings are not filled unless ``lines_allow_fill=True``;
        ``flip_y_axis=True`` turns the geometry upside down about its centre (shapely's y
        grows upwards, the canvas's downwards).

        Examples:
            >>> from shapely import Polygon
            >>> from sketchml.graphics.canvas import Canvas
            >>> s = Canvas(10, 10).convert_shape(Polygon([(0, 0), (0, 4), (4, 4), (4, 0)]))
            >>> s.get_vertex_count(), s.get_width()
            (4, 4.0)
        """
        try:
            import shapely.geometry as geometry
        except ImportError:
            geometry = None
        if geometry is None or not isinstance(obj, geometry.base.BaseGeometry):
            raise ApiUsageError(
                f"convert_shape() converts shapely geometry (Polygon, LineString, Point, their "
                f"Multi- forms and collections), got {type(obj).__name__}"
                + ("" if geometry is not None else "; shapely is not installed: pip install shapely"))
        unknown = set(kwargs) - {"flip_y_axis", "lines_allow_fill"}
        if unknown:
            raise ApiUsageError(f"convert_shape() options are flip_y_axis and lines_allow_fill, "
                                f"got {sorted(unknown)}")
        if kwargs.get("flip_y_axis", False):
            from shapely import affinity

            obj = affinity.scale(obj, yfact=-1, origin="center")
        return _from_shapely(self, obj, geometry, bool(kwargs.get("lines_allow_fill", False)))

    def shape_mode(self, mode: int) -> None:
        """How ``shape(s, a, b, c, d)`` reads its numbers: ``CORNER`` (default: the corner,
        then width and height), ``CORNERS`` (two corners) or ``CENTER`` (the centre).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(10, 10); c.shape_mode(3); c._shape_mode
            3
        """
        mode = int(mode)
        if mode not in (K.CORNER, K.CORNERS, K.CENTER):
            raise SketchmlError(f"shape_mode({mode}): expected CORNER, CORNERS or CENTER.")
        self._shape_mode = mode

    def shape(self, shape: Shape, x: float | None = None, y: float | None = None,
              width: float | None = None, height: float | None = None) -> None:
        """Draw a shape from ``create_shape()``: at its own coordinates, moved to ``(x, y)``,
        or stretched to ``width`` x ``height`` (read by ``shape_mode()``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(100, 100); c._gl_init(create_headless_context()); c.background(255)
            >>> s = c.create_shape(31, 0, 0, 20, 20)   # ELLIPSE, centred on 0, 0
            >>> s.set_fill(255, 0, 0); c.shape(s, 50, 50)
            >>> hex(c.get_pixels(50, 50))
            '0xffff0000'
        """
        if not isinstance(shape, Shape):
            raise ApiUsageError(f"shape() draws a shape from create_shape(), got {type(shape).__name__}")
        if not shape._visible:
            return
        canvas: Any = self
        if x is None:
            shape._draw(canvas)
            return
        if y is None:
            raise ApiUsageError("shape(s, x, y) needs both x and y")
        x, y = float(x), float(y)
        canvas.push_matrix()
        try:
            if width is None:
                if self._shape_mode == K.CENTER:
                    canvas.translate(x - shape.get_width() / 2, y - shape.get_height() / 2)
                else:
                    canvas.translate(x, y)
            else:
                if height is None:
                    raise ApiUsageError("shape(s, x, y, width, height) needs both width and height")
                w, h = float(width), float(height)
                if self._shape_mode == K.CENTER:
                    x, y = x - w / 2, y - h / 2
                elif self._shape_mode == K.CORNERS:
                    w, h = w - x, h - y
                canvas.translate(x, y)
                sw, sh = shape.get_width(), shape.get_height()
                canvas.scale(w / sw if sw else 1.0, h / sh if sh else 1.0)
            shape._draw(canvas)
        finally:
            canvas.pop_matrix()
