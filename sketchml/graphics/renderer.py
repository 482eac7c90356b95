"""The batched shape renderer: every shape of a batch goes into one draw call.

A shape is recorded as one *row* of ``ROW_FLOATS`` float32 values. At
flush, numpy turns the rows into six small vertices per shape (a quad around
the shape, or a triangle for tessellated geometry) and the fragment shader
evaluates a signed distance per shape, which gives anti-aliased fills and
centred strokes without tessellating circles, rounded rectangles or thick
lines on the CPU. A batch of only ellipses, rectangles, lines and points (the
common case, and every array-first call) is drawn as instances instead: one
record per shape, its corners made in the vertex shader; measured on Mesa's
llvmpipe (``benchmarks/draw_shapes.py``), that halves a 10k-circle frame.

Row layout (float32)::

    0      kind            KIND_* below
    1..4   p0              ellipse (cx, cy, rx, ry) · rect (cx, cy, hw, hh)
                           line (x1, y1, x2, y2) · point (x, y, 0, 0)
                           triangle and fringe (x1, y1, x2, y2)
                           triangle/quad shape (x1, y1, x2, y2)
    5..8   p1              rect corner radii (tl, tr, br, bl) · line and point (cap, 0, 0, 0)
                           triangle (x3, y3, 0, 0) · fringe (x3, y3, edge bits, 0)
                           triangle/quad shape (x3, y3, x4, y4)
    9..12  fill rgba       straight alpha; a = 0 for no fill
    13..16 stroke rgba     straight alpha
    17     stroke weight   local units; 0 for no stroke
    18..23 matrix          (a, c, e, b, d, f): local -> canvas pixels
    24..27 box             (x, y, w, h) of the whole shape, for a user shader's vertTexCoord;
                           triangle/quad shapes keep their stroke join in 24 instead, and
                           stroke bands (lines with cap CAP_BAND) their end-edge directions

Triangle and quad *shapes* (``triangle()``, ``quad()``) are drawn like the
others when they are convex and their MITER corners stay within the miter
limit: the signed distance of a convex polygon with mitered offsets is the
largest of its edges' distances, and each edge distance is linear, so the
vertices carry them and the rasteriser interpolates them. Other ones are
tessellated at flush (``geometry.polygon_shape_rows``).

Vertex layout (15 x 4 bytes)::

    pos (2f, canvas pixels) · q (4f: position in the shape frame; texture
    coordinate for triangles; the four edge distances of a triangle/quad shape)
    a (4f: half width, half height, half stroke weight, local units per pixel)
    c (4u: fill RGBA8, stroke RGBA8, corner radii tl|tr, br|bl as 16-bit fractions
    of the shorter half side) · k (1u: 0 circle, 1 rounded box, 2 solid triangle, 3 ellipse,
    4 fringe triangle, whose coverage rides in q.x, 5 convex triangle/quad shape,
    6 stroke band)

Shapes recorded one call at a time go through :class:`ShapeRecorder`, which
packs 10 floats per shape (kind, eight numbers, style id) into a bytearray
(the cheapest append Python has) and keeps a small table of styles (fill,
stroke, weight, matrix, cap, join) that grows only when the style or the matrix
changes; the style columns are gathered with numpy at flush.
Array-first calls build their rows with numpy directly.

Fragment output is premultiplied alpha; see :func:`apply_blend`.
"""
from __future__ import annotations

import ctypes
import math
import struct
from collections.abc import Callable, Sequence
from importlib import resources
from typing import TYPE_CHECKING, TypedDict, cast

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import moderngl

    from sketchml.graphics.winding import WindingFill

__all__ = [
    "ROW_FLOATS",
    "VERTEX_WORDS",
    "KIND_ELLIPSE",
    "KIND_FRINGE",
    "KIND_LINE",
    "KIND_POINT",
    "KIND_QUAD_SHAPE",
    "KIND_RECT",
    "KIND_TRIANGLE",
    "KIND_TRIANGLE_SHAPE",
    "Renderer",
    "ShapeFrames",
    "ShapeRecorder",
    "apply_blend",
    "compile_program",
    "fringe_rows",
    "segment_rows",
    "polygon_frames",
    "rows_to_vertices",
    "shape_frames",
    "snap_matrix",
    "snap_strokes",
    "triangle_rows",
    "uniform",
]

KIND_ELLIPSE = 0.0
KIND_RECT = 1.0
KIND_LINE = 2.0
KIND_POINT = 3.0
KIND_TRIANGLE = 4.0
KIND_FRINGE = 5.0
KIND_TRIANGLE_SHAPE = 6.0
KIND_QUAD_SHAPE = 7.0

ROW_FLOATS = 28
RECORD_FLOATS = 10
RECORD = struct.Struct(f"<{RECORD_FLOATS}f")
STYLE_FLOATS = 17

VERTEX_WORDS = 15
_ATTRS = ("i_pos", "i_q", "i_a", "i_c", "i_k")
_LAYOUT = "2f 4f 4f 4u 1u"
_TRIANGLE_CORNERS = np.array([0, 1, 2, 2, 2, 2])
_LAST_VERTEX_CONVENTION = 0x8E4E  # GL_LAST_VERTEX_CONVENTION, GL's default


def read_shader_source(name: str) -> str:
    """Return the text of one of the GLSL files shipped in ``sketchml/graphics/shaders``.

    Examples:
        >>> "void main" in read_shader_source("shape.vert")
        True
    """
    return (resources.files("sketchml.graphics") / "shaders" / name).read_text()


def uniform(program: moderngl.Program, name: str) -> moderngl.Uniform:
    """``program[name]``, typed as the uniform it is (moderngl types a program's members
    as uniform, uniform block, attribute or varying alike).

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> program = Renderer.for_context(create_headless_context()).program
        >>> uniform(program, "u_size").dimension
        2
    """
    return cast("moderngl.Uniform", program[name])


def compile_program(
    ctx: moderngl.Context, vertex_shader: str, fragment_shader: str, *, name: str
) -> moderngl.Program:
    """Compile a GLSL program, turning a compile/link error into a SketchmlError.

    ``name`` says where the source came from (a file name), so the message
    points at the right file.

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> ctx = create_headless_context()
        >>> vs = read_shader_source("shape.vert")
        >>> fs = "#version 330\\nout vec4 f;\\nvoid main() { f = vec4(1.0); }"
        >>> compile_program(ctx, vs, fs, name="shape.frag").glo > 0
        True
    """
    try:
        return ctx.program(vertex_shader=vertex_shader, fragment_shader=fragment_shader)
    except Exception as exc:  # moderngl raises a plain Error carrying the GL log
        raise SketchmlError(
            f"The shader {name} did not compile. The GLSL compiler said:\n{exc}\n"
            "Fix the line(s) named in the log; sketchml shaders are GLSL 3.30 core "
            "('#version 330'), or Processing-style GLSL without a #version line."
        ) from None


# Blend state per blend mode, for fragment shaders that output premultiplied colour:
# (rgb equation, alpha equation), (src rgb, dst rgb, src alpha, dst alpha).
def _blend_table(mgl) -> dict[int, tuple]:
    add, rsub = mgl.FUNC_ADD, mgl.FUNC_REVERSE_SUBTRACT
    one, zero, isa = mgl.ONE, mgl.ZERO, mgl.ONE_MINUS_SRC_ALPHA
    alpha = (one, isa)
    return {
        K.BLEND: ((add, add), (one, isa) + alpha),
        K.ADD: ((add, add), (one, one) + alpha),
        K.SUBTRACT: ((rsub, add), (one, one) + alpha),
        K.LIGHTEST: ((mgl.MAX, add), (one, one) + alpha),
        K.DARKEST: ((mgl.MIN, add), (one, one) + alpha),
        # Fixed-function blending cannot take |src - dst|; exclusion equals difference
        # wherever either colour is black or white and is the closest GL can do.
        K.DIFFERENCE: ((add, add), (mgl.ONE_MINUS_DST_COLOR, mgl.ONE_MINUS_SRC_COLOR) + alpha),
        K.EXCLUSION: ((add, add), (mgl.ONE_MINUS_DST_COLOR, mgl.ONE_MINUS_SRC_COLOR) + alpha),
        K.MULTIPLY: ((add, add), (mgl.DST_COLOR, isa) + alpha),
        K.SCREEN: ((add, add), (one, mgl.ONE_MINUS_SRC_COLOR) + alpha),
        K.REPLACE: ((add, add), (one, zero, one, zero)),
    }


_TABLE: dict[int, tuple] = {}


def apply_blend(ctx: moderngl.Context, mode: int, *, premultiplied: bool = True) -> None:
    """Set the GL blend state of ``ctx`` for a Processing blend mode.

    The canvas stores premultiplied colour, so an offscreen canvas with a
    transparent background composites correctly. Shaders should output
    premultiplied colour (``vec4(rgb * a, a)``); pass ``premultiplied=False``
    for a shader that outputs straight alpha (exact for BLEND, ADD and
    SUBTRACT, approximate for the others). Under ``DARKEST`` the GL ``MIN``
    equation ignores alpha, so a premultiplied shader should output
    ``rgb * a + (1 - a)`` for a transparent pixel to leave the canvas alone.

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> apply_blend(create_headless_context(), 1)
    """
    import moderngl as mgl

    if not _TABLE:
        _TABLE.update(_blend_table(mgl))
    table = _TABLE
    if mode not in table:
        raise SketchmlError(
            f"Unknown blend mode {mode!r}. Expected one of BLEND, ADD, SUBTRACT, LIGHTEST, "
            "DARKEST, DIFFERENCE, EXCLUSION, MULTIPLY, SCREEN or REPLACE."
        )
    equation, func = table[mode]
    if mode == K.REPLACE:
        ctx.disable(mgl.BLEND)
        return
    if not premultiplied:
        src = mgl.SRC_ALPHA if func[0] == mgl.ONE else func[0]
        func = (src,) + func[1:]
    ctx.enable(mgl.BLEND)
    ctx.blend_equation = equation
    ctx.blend_func = func


def triangle_rows(
    tris: np.ndarray, rgba: Sequence[float], m6: tuple, box: tuple | None = None
) -> np.ndarray:
    """Shape rows for solid triangles ``tris`` of shape ``(T, 3, 2)`` in local coordinates.

    ``box`` is the shape's bounding box ``(x, y, w, h)``; it defaults to the
    triangles' own bounds.

    Examples:
        >>> rows = triangle_rows(np.zeros((2, 3, 2)), (1, 0, 0, 1), (1, 0, 0, 0, 1, 0))
        >>> rows.shape
        (2, 28)
    """
    t = np.asarray(tris, dtype=np.float32).reshape(-1, 6)
    n = len(t)
    rows = np.zeros((n, ROW_FLOATS), dtype=np.float32)
    rows[:, 0] = KIND_TRIANGLE
    rows[:, 1:7] = t
    rows[:, 9:13] = rgba
    rows[:, 18:24] = m6
    if n:
        if box is None:
            xy = t.reshape(-1, 2)
            lo = xy.min(axis=0)
            hi = xy.max(axis=0)
            box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        rows[:, 24:28] = box
    return rows


#: Line "cap" of a stroke band: flat ends that the shader does not soften, so that
#: consecutive segments of a polyline meet without a seam.
CAP_BAND = 0.0


def segment_rows(
    segments: np.ndarray, rgba: Sequence[float], weight: float, m6: tuple
) -> np.ndarray:
    """Shape rows for stroke bands ``weight`` wide (see ``geometry.Mesh.segments``).

    ``segments`` is ``(S, 8)``: the two end points, then the two end-edge
    directions (kept in the row's box slots).

    Examples:
        >>> seg = np.array([[0, 0, 10, 0, 0, 1, 0, 1]])
        >>> segment_rows(seg, (0, 0, 0, 1), 2.0, (1, 0, 0, 0, 1, 0)).shape
        (1, 28)
    """
    seg = np.asarray(segments, dtype=np.float32).reshape(-1, 8)
    rows = np.zeros((len(seg), ROW_FLOATS), dtype=np.float32)
    rows[:, 0] = KIND_LINE
    rows[:, 1:5] = seg[:, 0:4]
    rows[:, 5] = CAP_BAND
    rows[:, 24:28] = seg[:, 4:8]
    rows[:, 13:17] = rgba
    rows[:, 17] = weight
    rows[:, 18:24] = m6
    return rows


def fringe_rows(
    tris: np.ndarray, edge: np.ndarray, rgba: Sequence[float], m6: tuple
) -> np.ndarray:
    """Shape rows for anti-aliasing fringe triangles (see ``geometry.Mesh``).

    ``edge`` ``(F, 3)`` marks the vertices on the outline (coverage 1/2);
    the others have coverage 0.

    Examples:
        >>> rows = fringe_rows(np.zeros((1, 3, 2)), np.array([[1, 1, 0]], bool), (1, 0, 0, 1),
        ...                    (1, 0, 0, 0, 1, 0))
        >>> rows[0, 0], rows[0, 7]
        (np.float32(5.0), np.float32(3.0))
    """
    rows = triangle_rows(tris, rgba, m6, (0.0, 0.0, 1.0, 1.0))
    rows[:, 0] = KIND_FRINGE
    rows[:, 7] = np.asarray(edge, dtype=np.float32) @ np.array([1.0, 2.0, 4.0], np.float32)
    return rows


def snap_matrix(m6: tuple, weight: float, anchor: tuple[float, float]) -> tuple:
    """``m6`` moved so that the shape point ``anchor`` (local units) lands on a pixel
    centre, for a shape with a stroke (``weight`` > 0); else ``m6`` itself.

    Processing's default renderer (Java2D, as py5 draws) normalises stroked paths to
    pixel centres: a 1-px line at ``x = 10`` fills pixel column 10 and nothing else,
    one at ``x = 57.5`` column 57, a line at ``x = 0`` is not half off the canvas, a
    stroked ``rect(10, 10, 20, 20)`` covers columns 10 to 30, and a 2-px line at
    ``x = 30`` covers column 30 and half of 29 and 31. Coordinates here name pixel
    corners, so a stroked shape moves by less than a pixel, all of it by the same
    amount (its anchor's), which keeps curves smooth. Fills without a stroke are left
    alone, so a ``no_stroke()`` rect still covers exactly the pixels it names.

    Examples:
        >>> snap_matrix((1, 0, 0, 0, 1, 0), 1.0, (10.0, 20.0))
        (1, 0, 0.5, 0, 1, 0.5)
        >>> snap_matrix((1, 0, 0, 0, 1, 0), 1.0, (57.5, 3.25))
        (1, 0, 0.0, 0, 1, 0.25)
    """
    if not weight > 0:
        return m6
    a, c, e, b, d, f = m6
    x = a * anchor[0] + c * anchor[1] + e
    y = b * anchor[0] + d * anchor[1] + f
    if not (math.isfinite(x) and math.isfinite(y)):  # a shape of NaNs is not drawn anyway
        return m6
    return (a, c, e + math.floor(x) + 0.5 - x, b, d, f + math.floor(y) + 0.5 - y)


def _soften_small_points(rows: np.ndarray) -> np.ndarray:
    """Round points under a pixel across cover only their area of their pixel, as
    anti-aliased points do in py5 (a 1-px point is a disc of 78% there, not a solid
    pixel); ``no_smooth()`` points stay solid. Works in place; returns ``rows``.
    """
    point = rows[:, 0] == KIND_POINT
    if not point.any():
        return rows
    point &= np.rint(rows[:, 5]) != K.SQUARE
    if not point.any():
        return rows
    det = np.abs(rows[point, 18] * rows[point, 22] - rows[point, 19] * rows[point, 21])
    width = rows[point, 17] * np.sqrt(det)
    rows[point, 16] *= np.minimum(1.0, 0.25 * np.pi * width * width)
    return rows


def snap_strokes(rows: np.ndarray, *, polygons_only: bool = False) -> np.ndarray:
    """Move the stroked shape rows by :func:`snap_matrix`'s rule, in place; returns ``rows``.
    With ``polygons_only`` only triangle and quad shapes move (the renderer snaps the
    others as it builds their records, see :func:`_shape_instances`).

    The anchor is a line's first end, a point, a triangle's or quad's first corner,
    and the top-left of an ellipse's or rectangle's box. Stroke bands and triangles
    come from shapes tessellated with a snapped matrix already, so they are left alone.

    Examples:
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, :5] = (KIND_LINE, 0, 0, 10, 0); row[0, 5] = K.ROUND
        >>> row[0, 16:18] = (1, 1); row[0, 18] = row[0, 22] = 1
        >>> snap_strokes(row)[0, [20, 23]].tolist()
        [0.5, 0.5]
    """
    weight = rows[:, 17]
    stroked = weight > 0
    if not stroked.any():
        return rows
    kind = rows[:, 0]
    if polygons_only:
        polygon = kind >= KIND_TRIANGLE_SHAPE
        if not polygon.any():
            return rows
        stroked &= polygon
    snapped = stroked & (rows[:, 16] > 0) & ~((kind == KIND_LINE) & (rows[:, 5] == CAP_BAND))
    boxed = kind <= KIND_RECT
    # Shapes given NaN or infinite numbers are not drawn; numpy need not warn about them.
    with np.errstate(all="ignore"):
        ax = np.where(boxed, rows[:, 1] - np.abs(rows[:, 3]), rows[:, 1])
        ay = np.where(boxed, rows[:, 2] - np.abs(rows[:, 4]), rows[:, 2])
        x = rows[:, 18] * ax + rows[:, 19] * ay + rows[:, 20]
        y = rows[:, 21] * ax + rows[:, 22] * ay + rows[:, 23]
        rows[:, 20] += np.where(snapped, np.floor(x) + 0.5 - x, 0.0)
        rows[:, 23] += np.where(snapped, np.floor(y) + 0.5 - y, 0.0)
    return rows


class ShapeRecorder:
    """Shapes recorded one call at a time, in call order, plus ready-made row chunks.

    ``records`` is a bytearray of ``RECORD`` structs, one per shape: kind,
    eight numbers and a style id into ``styles``. For ellipses and rectangles
    the numbers are the centre and the full width and height; for lines the two
    end points; for points the position; for triangle and quad shapes the
    corners. A style is (fill rgba, stroke rgba, stroke weight, matrix (6),
    stroke cap, stroke join). ``chunks`` keeps the order between
    those records and rows built elsewhere (array-first calls, tessellated
    geometry): adding a chunk first converts the pending records.

    The bytearray is cleared in place, never replaced, so a caller may keep
    its bound ``extend``.

    Examples:
        >>> rec = ShapeRecorder()
        >>> sid = rec.add_style((1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 2, 8))
        >>> rec.records.extend(RECORD.pack(KIND_ELLIPSE, 5, 5, 4, 4, 0, 0, 0, 0, sid))
        >>> rec.rows()[0, :5].tolist()
        [0.0, 5.0, 5.0, 2.0, 2.0]
    """

    def __init__(self) -> None:
        self.records = bytearray()
        self.styles: list[tuple] = []
        self.chunks: list[np.ndarray | WindingFill] = []
        self.fills = False  # whether chunks holds a WindingFill

    def add_style(self, style: tuple) -> int:
        self.styles.append(style)
        return len(self.styles) - 1

    def _convert_records(self) -> None:
        if not self.records:
            return
        rec = np.frombuffer(self.records, dtype=np.float32).reshape(-1, RECORD_FLOATS)
        kind = rec[:, 0]
        rows = np.empty((len(rec), ROW_FLOATS), dtype=np.float32)
        rows[:, :9] = rec[:, :9]
        sized = kind <= KIND_RECT
        # Most batches are all ellipses and rectangles in one style (a loop of ellipse()
        # calls): whole-column work then, and the style broadcast instead of gathered.
        if sized.all():
            rows[:, 3:5] *= 0.5
        else:
            rows[sized, 3:5] *= 0.5
        table = np.asarray(self.styles, dtype=np.float32)
        style = table[:1] if len(table) == 1 else table[rec[:, 9].astype(np.intp)]
        rows[:, 9:24] = style[:, :15]
        rows[:, 24:] = 0.0
        del rec, kind  # views of the records, which are cleared next
        self.records.clear()
        kind = rows[:, 0]
        capped = (kind == KIND_LINE) | (kind == KIND_POINT)
        if capped.any():
            rows[capped, 5] = style[capped, 15] if len(style) > 1 else style[0, 15]
        polygon = kind >= KIND_TRIANGLE_SHAPE
        if polygon.any():
            rows[polygon, 24] = style[polygon, 16] if len(style) > 1 else style[0, 16]
        self.chunks.append(rows)

    def add_rows(self, rows: np.ndarray) -> None:
        if len(rows):
            self._convert_records()
            self.chunks.append(rows)

    def add_fill(self, fill: WindingFill) -> None:
        """A winding fill (an outline of any kind), drawn in its place between the rows."""
        self._convert_records()
        self.fills = True
        self.chunks.append(fill)

    def parts(self) -> list[np.ndarray | WindingFill]:
        """The pending work in order: row arrays (one draw call each) between winding fills."""
        self._convert_records()
        if not self.fills:
            return [self.rows()] if self.chunks else []
        parts: list[np.ndarray | WindingFill] = []
        run: list[np.ndarray] = []
        for chunk in self.chunks:
            if isinstance(chunk, np.ndarray):
                run.append(chunk)
                continue
            if run:
                parts.append(np.concatenate(run))
                run = []
            parts.append(chunk)
        if run:
            parts.append(np.concatenate(run))
        return parts

    def __len__(self) -> int:
        return len(self.records) // RECORD.size + sum(len(c) for c in self.chunks)

    def __bool__(self) -> bool:
        return bool(self.records) or bool(self.chunks)

    def rows(self) -> np.ndarray:
        """All pending shape rows, in order, as one ``(N, ROW_FLOATS)`` array (winding
        fills, which are not rows, are in :meth:`parts`)."""
        self._convert_records()
        chunks = [c for c in self.chunks if isinstance(c, np.ndarray)]
        if not chunks:
            return np.zeros((0, ROW_FLOATS), dtype=np.float32)
        if len(chunks) == 1:
            return chunks[0]
        return np.concatenate(chunks)

    def clear(self) -> None:
        self.records.clear()
        self.styles.clear()
        self.chunks.clear()
        self.fills = False


class Renderer:
    """GL resources for drawing shape rows onto a framebuffer of one context.

    One renderer is shared by every canvas of a context (see :meth:`for_context`).

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> r = Renderer.for_context(create_headless_context())
        >>> uniform(r.program, "u_size").value = (100.0, 100.0)
    """

    _by_context: dict[int, Renderer] = {}

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.vertex_source = read_shader_source("shape.vert")
        self._fragment_template = read_shader_source("shape.frag")
        self._instanced_vertex_source = read_shader_source("shape_instanced.vert")
        self._programs: dict[tuple, moderngl.Program] = {}
        self.program = self.program_for(tuple(sorted(_KIND_CODE)))
        self._capacity = 0
        self.buffer = ctx.buffer(reserve=6 * VERTEX_WORDS * 4, dynamic=True)
        self._vaos: dict[int, moderngl.VertexArray] = {}
        self._grow(4096)
        self._instance_capacity = 0
        self.instances = ctx.buffer(reserve=INSTANCE_WORDS * 4, dynamic=True)
        self._instance_uniforms: dict[int, tuple] = {}
        # Whether a chunk drawn from ``instances`` was handed to the GL (see INSTANCE_CHUNK):
        # the next write then goes to fresh storage instead of waiting for that draw.
        self._instances_in_flight = False
        self.flush_gl = gl_flush_function(ctx)

    def _grow(self, shapes: int) -> None:
        capacity = max(self._capacity, 1024)
        while capacity < shapes:
            capacity *= 2
        if capacity != self._capacity:
            self._capacity = capacity
            self.buffer.orphan(capacity * 6 * VERTEX_WORDS * 4)
            self._vertices = np.zeros((capacity * 6, VERTEX_WORDS), dtype=np.float32)

    def program_for(
        self, kinds: tuple[int, ...], *, darkest: bool = False, instanced: bool = False
    ) -> moderngl.Program:
        """The shape program specialised to the vertex kinds present in a batch (for
        per-vertex records, or for instances: see :func:`_shape_instances`)."""
        key = (kinds, darkest, instanced)
        program = self._programs.get(key)
        if program is None:
            main = _fragment_main(kinds, finish="finish_darkest" if darkest else "finish")
            source = self._fragment_template.replace("// @main@", main)
            vertex = self._instanced_vertex_source if instanced else self.vertex_source
            program = compile_program(self.ctx, vertex, source, name="shape.frag")
            self._programs[key] = program
        return program

    @classmethod
    def for_context(cls, ctx: moderngl.Context) -> Renderer:
        renderer = cls._by_context.get(id(ctx))
        if renderer is None or renderer.ctx is not ctx:
            renderer = cls._by_context[id(ctx)] = cls(ctx)
        return renderer

    def _vao(self, program: moderngl.Program) -> moderngl.VertexArray:
        vao = self._vaos.get(program.glo)
        if vao is None:
            # A user shader may not read every input: the layout skips what the linker dropped.
            layout, present = _read_layout(program, _ATTRS, _LAYOUT)
            vao = self.ctx.vertex_array(program, [(self.buffer, layout, *present)])
            self._vaos[program.glo] = vao
        return vao

    def draw(
        self,
        rows: np.ndarray,
        size: tuple[int, int],
        *,
        program: moderngl.Program | None = None,
        darkest: bool = False,
        smooth: bool = True,
    ) -> None:
        """Draw shape rows onto the framebuffer currently in use (one draw call)."""
        n = len(rows)
        if n == 0:
            return
        from sketchml.graphics.geometry import polygon_shape_rows

        if smooth:
            rows = _soften_small_points(rows)
        if program is None and instanced_rows(rows):
            self._draw_instances(rows, size, darkest=darkest, smooth=smooth)
            return
        # Shapes given NaN or infinite numbers end up with NaN corners, which GL
        # drops; numpy need not warn about them on the way.
        with np.errstate(all="ignore"):
            rows = polygon_shape_rows(snap_strokes(rows, polygons_only=True))
            if not smooth:
                rows = rows[rows[:, 0] != KIND_FRINGE]
            n = len(rows)
            self._grow(n)
            vertices = rows_to_vertices(rows, self._vertices[: 6 * n])
        self.buffer.write(vertices)
        if program is None:
            # Vertex 2 of every shape carries its kind (the provoking vertex).
            kinds = vertices.view(np.uint32).reshape(n, 6, VERTEX_WORDS)[:, 2, 14]
            present = np.flatnonzero(np.bincount(kinds, minlength=len(_KIND_CODE)))
            program = self.program_for(tuple(int(k) for k in present), darkest=darkest)
        prog = program
        _set_uniforms(prog, size, smooth)
        # The flat inputs are only written to the last vertex of each triangle.
        self.ctx.provoking_vertex = _LAST_VERTEX_CONVENTION
        self._vao(prog).render(mode=self.ctx.TRIANGLES, vertices=6 * n)

    def _draw_instances(
        self, rows: np.ndarray, size: tuple[int, int], *, darkest: bool, smooth: bool
    ) -> None:
        """Ellipses, rectangles, lines and points as instanced draws: a record per shape
        instead of six vertices, so numpy builds and GL reads a sixth as much.

        A batch of more than ``INSTANCE_CHUNK`` shapes is drawn one chunk at a time, and a
        chunk of ``FLUSH_SHAPES`` or more is handed to the GL as soon as it is drawn.
        """
        n = len(rows)
        chunk = min(n, INSTANCE_CHUNK)
        if chunk > self._instance_capacity:
            self._instance_capacity = max(2 * self._instance_capacity, chunk, 1024)
            self.instances.orphan(self._instance_capacity * INSTANCE_WORDS * 4)
            self._instances_in_flight = False
        for start in range(0, n, INSTANCE_CHUNK):
            part = rows[start:start + INSTANCE_CHUNK] if n > INSTANCE_CHUNK else rows
            with np.errstate(all="ignore"):
                inst = _shape_instances(part)
            if self._instances_in_flight:
                # The GL may still be reading the last chunk: write into new storage.
                self.instances.orphan(self._instance_capacity * INSTANCE_WORDS * 4)
                self._instances_in_flight = False
            self.instances.write(inst)
            kinds = inst.view(np.uint32)[:, 16]
            present = np.flatnonzero(np.bincount(kinds, minlength=len(_KIND_CODE)))
            prog = self.program_for(
                tuple(int(k) for k in present), darkest=darkest, instanced=True)
            # Only this renderer uses its instanced programs: their uniforms change only here.
            state = (size, smooth)
            if self._instance_uniforms.get(prog.glo) != state:
                _set_uniforms(prog, size, smooth)
                self._instance_uniforms[prog.glo] = state
            vao = self._vaos.get(prog.glo)
            if vao is None:
                # Attributes a specialised program does not read are optimised away: skip them.
                layout, attrs = _read_layout(prog, _INSTANCE_ATTRS, _INSTANCE_LAYOUT)
                vao = self._vaos[prog.glo] = self.ctx.vertex_array(
                    prog, [(self.instances, layout + "/i", *attrs)])
            vao.render(mode=self.ctx.TRIANGLES, vertices=6, instances=len(part))
            if len(part) >= FLUSH_SHAPES:
                self.hand_over()

    def hand_over(self) -> None:
        """Hand what was drawn so far to the GL (glFlush) without waiting for it; the next
        instance records then go into new storage rather than wait for these."""
        self.flush_gl()
        self._instances_in_flight = True


# Shapes per instanced draw call. A bigger batch (a long loop of ellipse() calls, or one
# circles() call with many circles) is drawn a chunk at a time, and each full chunk is
# handed to the GL at once (glFlush): numpy's work on a chunk stays in the CPU's caches
# (at 100k circles, half the time of one pass over all the rows), and a GL that
# rasterises on other threads (Mesa's llvmpipe) or on a GPU draws one chunk while Python
# records and numpy builds the next. Smaller batches are drawn as before, in one call.
INSTANCE_CHUNK = 8192
# An instanced draw of at least this many shapes is handed to the GL at once (a smaller
# one waits for the next flush, as GL calls usually do: a glFlush per small batch costs
# more than it saves).
FLUSH_SHAPES = 2048
# A loop of per-call shapes is drawn and handed to the GL after this many, then after
# twice as many more, and so on up to INSTANCE_CHUNK (Canvas._draw_run). Measured with
# benchmarks/draw_shapes.py on llvmpipe: 2048 beats 512 and 1024 at 10k and 100k
# ellipse() calls, and a first run of 512 made 1k-call frames slower (0.71x vs 0.80x of
# the reference), its extra flush costing more than the early start gains.
FIRST_RUN = 2048


def gl_flush_function(ctx: moderngl.Context) -> Callable[[], None]:
    """A callable that runs ``glFlush`` on ``ctx`` (moderngl does not wrap it): the GL
    starts on what it has been given without the caller waiting for it. Where the
    context's loader cannot find the function it does nothing, which is also correct
    (GL flushes by itself at the latest when the picture is read or shown).

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> gl_flush_function(create_headless_context())()
    """
    try:
        # moderngl keeps the glcontext loader it made the context with.
        address = ctx.mglo._context.load("glFlush")  # pyright: ignore[reportAttributeAccessIssue]
    except Exception:  # another moderngl or loader: no glFlush, no harm
        address = 0
    if not address:
        return lambda: None
    return ctypes.CFUNCTYPE(None)(address)


# Fragment code per vertex kind (see the vertex layout above and shape.frag).
_KIND_CODE = {
    0: "shade(distance_circle())",
    1: "shade(distance_round_box())",
    2: "solid()",
    3: "shade(distance_ellipse())",
    4: "fringe()",
    5: "shade(distance_polygon())",
    6: "shade(distance_band())",
}


def _set_uniforms(prog: moderngl.Program, size: tuple[int, int], smooth: bool) -> None:
    if "u_size" in prog:
        uniform(prog, "u_size").value = (float(size[0]), float(size[1]))
    if "resolution" in prog:
        uniform(prog, "resolution").value = (float(size[0]), float(size[1]))
    if "u_sharpness" in prog:
        uniform(prog, "u_sharpness").value = 1.0 if smooth else 1000.0
        uniform(prog, "u_edge").value = 0.5 if smooth else 1.0


def _fragment_main(kinds: tuple[int, ...], *, finish: str = "finish") -> str:
    """main() for the shape program, testing only the kinds given (the last one untested).

    Examples:
        >>> print(_fragment_main((0,)))
        void main() {
            finish(shade(distance_circle()));
        }
    """
    if len(kinds) == 1:
        return f"void main() {{\n    {finish}({_KIND_CODE[kinds[0]]});\n}}"
    lines = ["void main() {", "    uint kind = v_r.z;", "    vec4 color;"]
    for i, kind in enumerate(kinds):
        if i == len(kinds) - 1:
            lines.append(f"    else color = {_KIND_CODE[kind]};")
        else:
            keyword = "if" if i == 0 else "else if"
            lines.append(f"    {keyword} (kind == {kind}u) color = {_KIND_CODE[kind]};")
    lines += [f"    {finish}(color);", "}"]
    return "\n".join(lines)


def _read_layout(program: moderngl.Program, names: tuple[str, ...] | list[str],
                 layout: str) -> tuple[str, list[str]]:
    """The buffer layout for ``program`` and the attributes it reads, skipping the bytes of the rest."""
    present = [name for name in names if name in program]
    return " ".join(fmt if name in present else _skip(fmt)
                    for name, fmt in zip(names, layout.split())), present


def _skip(fmt: str) -> str:
    count = int(fmt[0])
    return f"{4 * count}x"


def _pack_rgba8(colors: np.ndarray) -> np.ndarray:
    """(N, 4) floats in [0, 1] -> (N,) uint32 holding RGBA8 (r in the low byte)."""
    c = np.clip(colors * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    return np.ascontiguousarray(c).view(np.uint32).reshape(-1)


class ShapeFrames(TypedDict):
    """:func:`shape_frames`'s arrays, one row per shape (``axis`` is None when no shape
    is rotated)."""

    shape: np.ndarray
    center: np.ndarray
    half: np.ndarray
    radii: np.ndarray
    fill: np.ndarray
    stroke: np.ndarray
    weight: np.ndarray
    axis: np.ndarray | None


def shape_frames(rows: np.ndarray) -> ShapeFrames:
    """Each shape row as a signed-distance primitive in its own frame (vectorised).

    Lines become boxes (rounded for ROUND caps) along their axis and points
    become discs or squares; both take the stroke colour as their fill.
    Returns float32 arrays ``center``, ``half``, ``radii`` (tl, tr, br, bl),
    ``fill``, ``stroke``, ``weight``, ``shape`` (uint32: 0 ellipse, 1 rounded
    box, 2 stroke band) and ``axis`` (the frame's unit x axis; ``None`` when no shape is
    rotated, i.e. there are no lines). Arrays may be views of ``rows``.

    Examples:
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, :5] = (KIND_LINE, 0, 0, 10, 0); row[0, 5] = 2; row[0, 17] = 4
        >>> shape_frames(row)["half"].tolist()
        [[7.0, 2.0]]
    """
    kind = rows[:, 0]
    shape = (kind != KIND_ELLIPSE).astype(np.uint32)
    frames: ShapeFrames = {
        "shape": shape, "center": rows[:, 1:3], "half": np.abs(rows[:, 3:5]),
        "radii": rows[:, 5:9], "fill": rows[:, 9:13], "stroke": rows[:, 13:17],
        "weight": rows[:, 17], "axis": None,
    }
    line = kind == KIND_LINE
    point = kind == KIND_POINT
    solid = line | point
    if not solid.any():
        return frames
    center = rows[:, 1:3].copy()
    half = frames["half"]
    radii = rows[:, 5:9].copy()
    fill = rows[:, 9:13].copy()
    stroke = rows[:, 13:17].copy()
    weight = rows[:, 17].copy()
    if line.any():
        axis = np.zeros_like(center)
        axis[:, 0] = 1.0
        p0 = rows[line, 1:5]
        d = p0[:, 2:4] - p0[:, 0:2]
        length = np.hypot(d[:, 0], d[:, 1])
        safe = np.where(length > 0, length, 1.0)[:, None]
        axis[line] = np.where(length[:, None] > 0, d / safe, np.array([1.0, 0.0], np.float32))
        center[line] = 0.5 * (p0[:, 0:2] + p0[:, 2:4])
        cap = np.rint(radii[line, 0])
        hw = 0.5 * weight[line]
        flat = (cap == K.SQUARE) | (cap == CAP_BAND)
        half[line] = np.stack([0.5 * length + np.where(flat, 0.0, hw), hw], axis=1)
        radii[line] = np.where(cap == K.ROUND, hw, 0.0)[:, None]
        shape[np.flatnonzero(line)[cap == CAP_BAND]] = 2
        frames["axis"] = axis
    if point.any():
        hw = 0.5 * weight[point]
        half[point] = np.stack([hw, hw], axis=1)
        shape[point] = np.rint(rows[point, 5]) == K.SQUARE
        radii[point] = 0.0
    fill[solid] = stroke[solid]
    stroke[solid] = 0.0
    weight[solid] = 0.0
    frames.update(center=center, half=half, radii=radii, fill=fill, stroke=stroke, weight=weight)
    return frames


def _apply(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Apply per-shape affine matrices ``m`` (N, 6) to points ``xy`` (N, K, 2)."""
    x, y = xy[..., 0], xy[..., 1]
    out = np.empty(xy.shape, dtype=np.float32)
    out[..., 0] = m[:, 0:1] * x + m[:, 1:2] * y + m[:, 2:3]
    out[..., 1] = m[:, 3:4] * x + m[:, 4:5] * y + m[:, 5:6]
    return out


def rows_to_vertices(rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Six vertices per row, ``(6 N, VERTEX_WORDS)`` 32-bit words, in row order.

    The flat (per-shape) fields are written only to each triangle's provoking
    (last) vertex; ``out`` (``(6 N, VERTEX_WORDS)`` float32) is filled in place
    when given.

    Examples:
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, :5] = (KIND_ELLIPSE, 5, 5, 2, 2); row[0, 18] = row[0, 22] = 1
        >>> rows_to_vertices(row).shape
        (6, 15)
    """
    n = len(rows)
    if out is None:
        out = np.zeros((6 * n, VERTEX_WORDS), dtype=np.float32)
    block = out.reshape(n, 6, VERTEX_WORDS)
    kind = rows[:, 0]
    groups = (
        (kind < KIND_TRIANGLE, _shape_vertices),
        ((kind == KIND_TRIANGLE) | (kind == KIND_FRINGE), _triangle_vertices),
        (kind >= KIND_TRIANGLE_SHAPE, _polygon_vertices),
    )
    for mask, build in groups:
        if mask.all():
            build(rows, block)
            return out
    for mask, build in groups:
        if mask.any():
            index = np.flatnonzero(mask)
            part = np.zeros((len(index), 6, VERTEX_WORDS), dtype=np.float32)
            build(rows[index], part)
            block[index] = part
    return out


# Canvas pixels a shape's quad reaches beyond its outline. Coverage is 0 from 1/2 px
# on; 0.6 px would save 13% of fragments but moves the quad corners, which changed
# the rounding of one interpolated pixel between two placements of the same shape
# in the shapes-world determinism test, so the full pixel stays.
_GROW = 1.0

# Corner signs of the six vertices (two triangles) of a shape's quad.
_SX = (-1.0, 1.0, -1.0, -1.0, 1.0, 1.0)
_SY = (-1.0, -1.0, 1.0, 1.0, -1.0, 1.0)


INSTANCE_WORDS = 17
_INSTANCE_ATTRS = ("i_p", "i_u", "i_v", "i_e", "i_a", "i_c", "i_k")
_INSTANCE_LAYOUT = "2f 2f 2f 2f 4f 4u 1u"


def _uniform(block: np.ndarray) -> bool:
    """Whether every row of ``block`` equals the first (NaNs never do)."""
    return len(block) > 0 and bool((block == block[0]).all())


def _uniform_style(rows: np.ndarray) -> bool:
    """Whether every row has the first row's fill, stroke, weight and matrix (and last
    corner radius): bit for bit, compared as 64-bit words, which halves the work."""
    if len(rows) == 0 or not rows.flags.c_contiguous or ROW_FLOATS % 2:
        return False
    words = rows.view(np.uint64)[:, 4:12]  # floats 8-23
    return bool((words == words[0]).all())


def _shape_instances(rows: np.ndarray) -> np.ndarray:
    """One ``INSTANCE_WORDS`` record per shape row (no stroke bands): the quad's centre,
    its two half-axes and half-extents in the shape frame, then the flat fields.

    Layout (32-bit words): centre (2f, canvas pixels) · U, V (2f each: the quad's
    half-axes in canvas pixels, corner = centre + sx U + sy V) · e (2f: half-extents
    in the shape frame, the corner's frame position is (sx ex, sy ey)) · a (4f: half
    width, half height, half stroke weight, local units per pixel) · c (4u: fill,
    stroke, radii) · k (1u: kind).

    A batch usually shares one matrix and one fill and stroke (a loop of ``ellipse()``
    calls, or ``circles()``): those are then worked out once, as scalars, not per row;
    the numbers are the same either way, only fewer passes over the rows are made.
    """
    n = len(rows)
    same_style = _uniform_style(rows)
    if same_style and rows[:, 0].max() <= KIND_RECT:
        return _box_instances(rows)
    # Built field by field into contiguous rows of a transposed record, then turned
    # round in one copy: far fewer passes over memory than writing strided columns.
    out = np.empty((INSTANCE_WORDS, n), dtype=np.float32)
    f = shape_frames(rows)
    matrix = rows[:, 18:24]
    if same_style or _uniform(matrix):
        a, c, e, b, d, g = (matrix[0, i] for i in range(6))
    else:
        a, c, e, b, d, g = (matrix[:, i] for i in range(6))
    aa, grow = _matrix_terms(a, b, c, d)
    half = f["half"]
    hw = 0.5 * f["weight"]
    band = f["shape"] == 2
    any_band = bool(band.any())
    # A band's quad ends exactly at its ends; everything else grows by a pixel.
    ex = half[:, 0] + (np.where(band, 0.0, hw + grow) if any_band else hw + grow)
    ey = half[:, 1] + hw + grow
    cx, cy = f["center"][:, 0], f["center"][:, 1]
    px = a * cx + c * cy + e
    py = b * cx + d * cy + g
    # Strokes on pixel centres (see snap_matrix): the anchor is the top-left of an
    # ellipse's or rectangle's box, a line's first end, or a point.
    snapped = (rows[:, 17] > 0) & (rows[:, 16] > 0)
    if any_band:
        snapped &= ~band
    if snapped.any():
        kind = rows[:, 0]
        boxed = kind <= KIND_RECT
        if boxed.all():
            ax, ay = rows[:, 1] - np.abs(rows[:, 3]), rows[:, 2] - np.abs(rows[:, 4])
        else:
            ax = np.where(boxed, rows[:, 1] - np.abs(rows[:, 3]), rows[:, 1])
            ay = np.where(boxed, rows[:, 2] - np.abs(rows[:, 4]), rows[:, 2])
        x = a * ax + c * ay + e
        y = b * ax + d * ay + g
        if snapped.all():
            px = px + (np.floor(x) + 0.5 - x)
            py = py + (np.floor(y) + 0.5 - y)
        else:
            px = px + np.where(snapped, np.floor(x) + 0.5 - x, 0.0)
            py = py + np.where(snapped, np.floor(y) + 0.5 - y, 0.0)
    out[0] = px
    out[1] = py
    axis = f["axis"]
    if axis is None:
        np.multiply(a, ex, out=out[2])
        np.multiply(b, ex, out=out[3])
        np.multiply(c, ey, out=out[4])
        np.multiply(d, ey, out=out[5])
    else:
        ax, ay = axis[:, 0], axis[:, 1]
        out[2], out[3] = (a * ax + c * ay) * ex, (b * ax + d * ay) * ex
        out[4], out[5] = (c * ax - a * ay) * ey, (d * ax - b * ay) * ey
    out[6] = ex
    out[7] = ey
    out[8:10] = half.T
    out[10] = hw
    out[11] = aa
    words = out.view(np.uint32)
    radii = f["radii"]
    if radii.any():
        shorter = np.maximum(np.minimum(half[:, 0], half[:, 1]), np.float32(1e-12))
        # nan_to_num: a shape with NaN numbers is simply not drawn, without a warning.
        frac = np.clip(np.nan_to_num(radii / shorter[:, None]), 0.0, 1.0)
        frac = np.rint(frac * 65535.0).astype(np.uint32)
        words[14] = frac[:, 0] | (frac[:, 1] << 16)
        words[15] = frac[:, 2] | (frac[:, 3] << 16)
    else:
        words[14:16] = 0
    for column, colours in ((12, f["fill"]), (13, f["stroke"])):
        # Lines and points take their stroke as fill: shape_frames then copies the colours.
        same = (same_style and np.may_share_memory(colours, rows)) or _uniform(colours)
        words[column] = _pack_rgba8(colours[:1])[0] if same else _pack_rgba8(colours)
    # Kind 0 is a circle; ellipses that are not circles take the slower kind 3.
    shape = f["shape"].copy()
    shape[(shape == 0) & (np.abs(half[:, 0] - half[:, 1]) > 1e-4 * half[:, 0])] = 3
    if any_band:
        shape[band] = 6
    words[16] = shape
    return np.ascontiguousarray(out.T)


def _matrix_terms(a, b, c, d):
    """Local units per canvas pixel, and how far a quad grows for _GROW canvas pixels,
    of the matrix (a, c, ., b, d, .): scalars or per-shape arrays."""
    det = np.maximum(np.abs(a * d - c * b), np.float32(1e-12))
    # Local units per canvas pixel (for anti-aliasing), and the largest singular value
    # of the inverse matrix, to grow the quad by _GROW canvas pixels in every direction.
    aa = 1.0 / np.sqrt(det)
    inv_det2 = 1.0 / (det * det)
    s2 = (a * a + b * b + c * c + d * d) * inv_det2
    grow = _GROW * np.sqrt(0.5 * (s2 + np.sqrt(np.maximum(s2 * s2 - 4.0 * inv_det2, 0.0))))
    return aa, grow


def _box_instances(rows: np.ndarray) -> np.ndarray:
    """:func:`_shape_instances` for a batch of only ellipses and rectangles in one style
    and matrix (a loop of ``ellipse()`` calls, or ``circles()``): the same records, bit
    for bit, with what every shape shares worked out once (the style's stroke weight,
    whether strokes snap, the colours) and no line or point cases to mask."""
    n = len(rows)
    out = np.empty((INSTANCE_WORDS, n), dtype=np.float32)
    first = rows[0]
    a, c, e, b, d, g = (first[18 + i] for i in range(6))
    aa, grow = _matrix_terms(a, b, c, d)
    half = np.abs(rows[:, 3:5])
    hx, hy = half[:, 0], half[:, 1]
    hw = 0.5 * first[17]
    ex = hx + (hw + grow)
    ey = hy + hw + grow
    cx, cy = rows[:, 1], rows[:, 2]
    px = a * cx + c * cy + e
    py = b * cx + d * cy + g
    if first[17] > 0 and first[16] > 0:
        # Strokes on pixel centres (see snap_matrix), anchored at the box's top-left.
        ax = cx - hx
        ay = cy - hy
        x = a * ax + c * ay + e
        y = b * ax + d * ay + g
        px = px + (np.floor(x) + 0.5 - x)
        py = py + (np.floor(y) + 0.5 - y)
    out[0] = px
    out[1] = py
    np.multiply(a, ex, out=out[2])
    np.multiply(b, ex, out=out[3])
    np.multiply(c, ey, out=out[4])
    np.multiply(d, ey, out=out[5])
    out[6] = ex
    out[7] = ey
    out[8:10] = half.T
    out[10] = hw
    out[11] = aa
    words = out.view(np.uint32)
    radii = rows[:, 5:9]
    if radii.any():
        shorter = np.maximum(np.minimum(hx, hy), np.float32(1e-12))
        frac = np.clip(np.nan_to_num(radii / shorter[:, None]), 0.0, 1.0)
        frac = np.rint(frac * 65535.0).astype(np.uint32)
        words[14] = frac[:, 0] | (frac[:, 1] << 16)
        words[15] = frac[:, 2] | (frac[:, 3] << 16)
    else:
        words[14:16] = 0
    words[12] = _pack_rgba8(rows[:1, 9:13])[0]
    words[13] = _pack_rgba8(rows[:1, 13:17])[0]
    # Kind 0 is a circle; ellipses that are not circles take the slower kind 3.
    shape = (rows[:, 0] != KIND_ELLIPSE).astype(np.uint32)
    shape[(shape == 0) & (np.abs(hx - hy) > 1e-4 * hx)] = 3
    words[16] = shape
    return np.ascontiguousarray(out.T)


def instanced_rows(rows: np.ndarray) -> bool:
    """Whether a batch can be drawn as instances: only ellipses, rectangles, lines and
    points, and no stroke bands (whose quads end along their own edges)."""
    kind = rows[:, 0]
    if kind.max() > KIND_POINT:
        return False
    line = kind == KIND_LINE
    return not (line.any() and (rows[line, 5] == CAP_BAND).any())


def _shape_vertices(rows: np.ndarray, block: np.ndarray) -> None:
    inst = _shape_instances(rows)
    # Corners P + sx U + sy V of the quad, and the frame coordinates (sx ex, sy ey).
    # Each field is built whole and written once: strided writes into the
    # interleaved block are what costs at 100k shapes.
    sx = np.asarray(_SX, dtype=np.float32)[None, :]
    sy = np.asarray(_SY, dtype=np.float32)[None, :]
    block[..., 0] = inst[:, 0:1] + inst[:, 2:3] * sx + inst[:, 4:5] * sy
    block[..., 1] = inst[:, 1:2] + inst[:, 3:4] * sx + inst[:, 5:6] * sy
    block[..., 2] = inst[:, 6:7] * sx
    block[..., 3] = inst[:, 7:8] * sy
    block[..., 4:6] = 0.0
    band = inst.view(np.uint32)[:, 16] == 6
    if band.any():
        # Bands end along the edges their polyline gave them (square or mitered).
        rb = rows[band]
        start, end = rb[:, 1:3], rb[:, 3:5]
        cuts = {-1.0: rb[:, 24:26], 1.0: rb[:, 26:28]}
        e = inst[band, 7][:, None]
        mb = rb[:, 18:24]
        for k, (sx_k, sy_k) in enumerate(zip(_SX, _SY)):
            p = (start if sx_k < 0 else end) + sy_k * cuts[sx_k] * e
            block[band, k, 0] = mb[:, 0] * p[:, 0] + mb[:, 1] * p[:, 1] + mb[:, 2]
            block[band, k, 1] = mb[:, 3] * p[:, 0] + mb[:, 4] * p[:, 1] + mb[:, 5]
    # Flat inputs come from each triangle's provoking (last) vertex: 2 and 5.
    for k in (2, 5):
        block[:, k, 6:15] = inst[:, 8:17]


def _triangle_vertices(rows: np.ndarray, block: np.ndarray) -> None:
    """Solid and fringe triangles: every vertex carries all its fields."""
    m = rows[:, 18:24]
    corners = rows[:, 1:7].reshape(-1, 3, 2)[:, _TRIANGLE_CORNERS]
    block[..., 0:2] = _apply(m, corners)
    fringe = rows[:, 0] == KIND_FRINGE
    # q: texture coordinates over the box for solid triangles; for fringes, the
    # coverage (1/2 on the outline, 0 outside) in q.x.
    box = rows[:, 24:28]
    size = np.where(np.abs(box[:, 2:4]) > 1e-12, box[:, 2:4], np.float32(1.0))
    q = (corners - box[:, None, 0:2]) / size[:, None, :]
    if fringe.any():
        bits = rows[:, 7].astype(np.uint32)[:, None] >> _TRIANGLE_CORNERS.astype(np.uint32)
        q[..., 0] = np.where(fringe[:, None], 0.5 * (bits & 1), q[..., 0])
    block[..., 2:4] = q
    block[..., 4:10] = 0.0
    view = block.view(np.uint32)
    view[..., 10] = _pack_rgba8(rows[:, 9:13])[:, None]
    view[..., 11:14] = 0
    view[..., 14] = np.where(fringe, 4, 2)[:, None]


# Triangles of the grown polygon; a triangle's second one is degenerate.
_POLYGON_CORNERS = (np.array([0, 1, 2, 2, 2, 2]), np.array([0, 1, 2, 0, 2, 3]))
_FAR = -1e9  # distance to a triangle's missing fourth edge: never the largest


def polygon_frames(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Corners, outward edge normals and offsets of triangle/quad shape rows.

    Returns ``pts`` (N, 4, 2) (a triangle repeats its last corner), ``tri``
    (bool), ``normal`` (N, 4, 2) of edges i -> i+1, ``offset`` (N, 4) so that
    ``normal . x - offset`` is the distance outside edge i, ``prev`` (the
    normal of the edge before each corner) and ``eligible``: convex, not
    degenerate, and when stroked MITER-joined within the miter limit, so that
    the signed distance is the largest edge distance.

    Examples:
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, :9] = (KIND_TRIANGLE_SHAPE, 0, 0, 10, 0, 0, 10, 0, 0)
        >>> row[0, 24] = K.MITER
        >>> polygon_frames(row)["eligible"].tolist()
        [True]
    """
    n = len(rows)
    tri = rows[:, 0] == KIND_TRIANGLE_SHAPE
    pts = rows[:, 1:9].astype(np.float64).reshape(n, 4, 2)
    pts[tri, 3] = pts[tri, 2]
    # Corner order around the outline; a triangle's edge 3 repeats edge 2.
    nxt_index = np.where(tri[:, None], [1, 2, 0, 0], [1, 2, 3, 0])
    prv_index = np.where(tri[:, None], [2, 0, 1, 1], [3, 0, 1, 2])
    nxt = np.take_along_axis(pts, nxt_index[..., None], axis=1)
    edge = nxt - pts
    length = np.hypot(edge[..., 0], edge[..., 1])
    area2 = np.sum(pts[..., 0] * nxt[..., 1] - nxt[..., 0] * pts[..., 1], axis=1)
    area2 = np.where(tri, area2 - (pts[:, 3, 0] * nxt[:, 3, 1] - nxt[:, 3, 0] * pts[:, 3, 1]), area2)
    sign = np.where(area2 >= 0, 1.0, -1.0)
    unit = edge / np.where(length > 0, length, 1.0)[..., None]
    normal = np.stack([unit[..., 1], -unit[..., 0]], axis=-1) * sign[:, None, None]
    offset = np.sum(normal * pts, axis=-1)
    prev = np.take_along_axis(normal, prv_index[..., None], axis=1)
    prev_unit = np.take_along_axis(unit, prv_index[..., None], axis=1)
    # Convex: every corner turns the same way as the whole outline.
    turn = (prev_unit[..., 0] * unit[..., 1] - prev_unit[..., 1] * unit[..., 0]) * sign[:, None]
    convex = np.all(turn > 1e-6, axis=1)
    cos = np.sum(prev * normal, axis=-1)
    # Miter length over half the stroke width at a corner: 1 / cos(half the turn).
    ratio = np.sqrt(2.0 / np.maximum(1.0 + cos, 1e-12))
    stroked = (rows[:, 16] > 0) & (rows[:, 17] > 0)
    mitered = (np.rint(rows[:, 24]) == K.MITER) & np.all(ratio <= 10.0, axis=1)
    eligible = convex & np.all(length > 1e-9, axis=1) & (abs(area2) > 1e-9) & (~stroked | mitered)
    return {"pts": pts, "tri": tri, "normal": normal, "offset": offset, "prev": prev,
            "cos": cos, "eligible": eligible}


def _polygon_vertices(rows: np.ndarray, block: np.ndarray) -> None:
    """Convex triangle/quad shapes: the outline grown by the half stroke and one pixel,
    each vertex carrying its distances to the four edges."""
    f = polygon_frames(rows)
    m = rows[:, 18:24].astype(np.float64)
    det = np.maximum(np.abs(m[:, 0] * m[:, 4] - m[:, 1] * m[:, 3]), 1e-12)
    inv_det2 = 1.0 / (det * det)
    s2 = (m[:, 0] ** 2 + m[:, 1] ** 2 + m[:, 3] ** 2 + m[:, 4] ** 2) * inv_det2
    grow = _GROW * np.sqrt(0.5 * (s2 + np.sqrt(np.maximum(s2 * s2 - 4.0 * inv_det2, 0.0))))
    hw = 0.5 * rows[:, 17] * (rows[:, 16] > 0)
    e = (hw + grow)[:, None, None]
    # A corner moves to where both its edges are e away: the miter point.
    grown = f["pts"] + e * (f["prev"] + f["normal"]) / np.maximum(1.0 + f["cos"], 1e-12)[..., None]
    distance = np.einsum("nvk,njk->nvj", grown, f["normal"]) - f["offset"][:, None, :]
    tri = f["tri"]
    distance[tri, :, 3] = _FAR
    corners = np.where(tri[:, None], _POLYGON_CORNERS[0], _POLYGON_CORNERS[1])
    picked = np.take_along_axis(grown, corners[..., None], axis=1)
    block[..., 0:2] = _apply(m, picked)
    block[..., 2:6] = np.take_along_axis(distance, corners[..., None], axis=1)
    flat = np.zeros((len(rows), 4), dtype=np.float32)
    flat[:, 2] = hw
    flat[:, 3] = 1.0 / np.sqrt(det)
    block[..., 6:10] = flat[:, None, :]
    view = block.view(np.uint32)
    view[..., 10] = _pack_rgba8(rows[:, 9:13])[:, None]
    view[..., 11] = _pack_rgba8(rows[:, 13:17])[:, None]
    view[..., 12:14] = 0
    view[..., 14] = 5
