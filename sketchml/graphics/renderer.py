"""The batched shape renderer: every shape of a batch goes into one draw call.

A shape is recorded as one *row* of ``ROW_FLOATS`` float32 values. At
flush, numpy turns the rows into six small vertices per shape (a quad around
the shape, or a triangle for tessellated geometry) and the fragment shader
evaluates a signed distance per shape, which gives anti-aliased fills and
centred strokes without tessellating circles, rounded rectangles or thick
lines on the CPU. (Instanced drawing would upload less, but Mesa's llvmpipe
runs instances one at a time and a heavy vertex shader six times per shape,
so the corners are computed once, in numpy, and the vertex shader is trivial.)

Row layout (float32)::

    0      kind            KIND_* below
    1..4   p0              ellipse (cx, cy, rx, ry) · rect (cx, cy, hw, hh)
                           line (x1, y1, x2, y2) · point (x, y, cap, 0)
                           triangle (x1, y1, x2, y2)
    5..8   p1              rect corner radii (tl, tr, br, bl) · line (cap, 0, 0, 0)
                           triangle (x3, y3, 0, 0)
    9..12  fill rgba       straight alpha; a = 0 for no fill
    13..16 stroke rgba     straight alpha
    17     stroke weight   local units; 0 for no stroke
    18..23 matrix          (a, c, e, b, d, f): local -> canvas pixels
    24..27 box             (x, y, w, h) of the whole shape, for a user shader's vertTexCoord

Vertex layout (13 x 4 bytes)::

    pos (2f, canvas pixels) · q (2f, shape frame; texture coordinate for triangles)
    a (4f: half width, half height, half stroke weight, local units per pixel)
    c (4u: fill RGBA8, stroke RGBA8, corner radii tl|tr, br|bl as 16-bit fractions
    of the shorter half side) · k (1u: 0 ellipse, 1 rounded box, 2 solid triangle)

Shapes recorded one call at a time go through :class:`ShapeRecorder`, which
keeps a flat ``array('f')`` of 10 floats per shape (kind, p0, p1, style id) and
a small table of styles (fill, stroke, weight, matrix) that grows only when the
style or the matrix changes; the style columns are gathered with numpy at flush.
Array-first calls build their rows with numpy directly.

Fragment output is premultiplied alpha; see :func:`apply_blend`.
"""
from __future__ import annotations

from array import array
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import moderngl

__all__ = [
    "ROW_FLOATS",
    "VERTEX_WORDS",
    "KIND_ELLIPSE",
    "KIND_LINE",
    "KIND_POINT",
    "KIND_RECT",
    "KIND_TRIANGLE",
    "Renderer",
    "ShapeRecorder",
    "apply_blend",
    "compile_program",
    "rows_to_vertices",
    "shape_frames",
    "triangle_rows",
]

KIND_ELLIPSE = 0.0
KIND_RECT = 1.0
KIND_LINE = 2.0
KIND_POINT = 3.0
KIND_TRIANGLE = 4.0

ROW_FLOATS = 28
RECORD_FLOATS = 10
STYLE_FLOATS = 15

VERTEX_WORDS = 13
_ATTRS = ("i_pos", "i_q", "i_a", "i_c", "i_k")
_LAYOUT = "2f 2f 4f 4u 1u"
_CORNERS = np.array([[-1, -1], [1, -1], [-1, 1], [-1, 1], [1, -1], [1, 1]], dtype=np.float32)
_TRIANGLE_CORNERS = np.array([0, 1, 2, 2, 2, 2])


def read_shader_source(name: str) -> str:
    """Return the text of one of the GLSL files shipped in ``sketchml/graphics/shaders``.

    Example:
        >>> "void main" in read_shader_source("shape.vert")
        True
    """
    return resources.files("sketchml.graphics").joinpath("shaders", name).read_text()


def compile_program(
    ctx: moderngl.Context, vertex_shader: str, fragment_shader: str, *, name: str
) -> moderngl.Program:
    """Compile a GLSL program, turning a compile/link error into a SketchmlError.

    ``name`` says where the source came from (a file name), so the message
    points at the right file.

    Example:
        >>> from sketchml.graphics.context import create_headless_context
        >>> ctx = create_headless_context()
        >>> vs = read_shader_source("shape.vert")
        >>> fs = read_shader_source("shape.frag")
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

    Example:
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
    tris: np.ndarray, rgba: tuple[float, float, float, float], m6: tuple, box: tuple | None = None
) -> np.ndarray:
    """Shape rows for solid triangles ``tris`` of shape ``(T, 3, 2)`` in local coordinates.

    ``box`` is the shape's bounding box ``(x, y, w, h)``; it defaults to the
    triangles' own bounds.

    Example:
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


class ShapeRecorder:
    """Shapes recorded one call at a time, in call order, plus ready-made row chunks.

    ``records`` holds ``RECORD_FLOATS`` floats per shape: kind, p0 (4), p1 (4)
    and a style id into ``styles``. ``chunks`` keeps the order between those
    records and shape rows built elsewhere (array-first calls, tessellated
    geometry): adding a chunk first converts the pending records.

    Example:
        >>> rec = ShapeRecorder()
        >>> sid = rec.add_style((1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0))
        >>> rec.records.extend((0.0, 5, 5, 2, 2, 0, 0, 0, 0, sid))
        >>> rec.rows().shape
        (1, 28)
    """

    def __init__(self) -> None:
        self.records: array = array("f")
        self.styles: list[tuple] = []
        self.chunks: list[np.ndarray] = []

    def add_style(self, style: tuple) -> int:
        self.styles.append(style)
        return len(self.styles) - 1

    def _convert_records(self) -> None:
        if not self.records:
            return
        rec = np.frombuffer(self.records, dtype=np.float32).reshape(-1, RECORD_FLOATS)
        rows = np.zeros((len(rec), ROW_FLOATS), dtype=np.float32)
        rows[:, :9] = rec[:, :9]
        table = np.asarray(self.styles, dtype=np.float32)
        rows[:, 9:24] = table[rec[:, 9].astype(np.intp)]
        self.chunks.append(rows)
        self.records = array("f")

    def add_rows(self, rows: np.ndarray) -> None:
        if len(rows):
            self._convert_records()
            self.chunks.append(rows)

    def __len__(self) -> int:
        return len(self.records) // RECORD_FLOATS + sum(len(c) for c in self.chunks)

    def __bool__(self) -> bool:
        return bool(self.records) or bool(self.chunks)

    def rows(self) -> np.ndarray:
        """All pending shape rows, in order, as one ``(N, ROW_FLOATS)`` array."""
        self._convert_records()
        if not self.chunks:
            return np.zeros((0, ROW_FLOATS), dtype=np.float32)
        if len(self.chunks) == 1:
            return self.chunks[0]
        return np.concatenate(self.chunks)

    def clear(self) -> None:
        self.records = array("f")
        self.styles.clear()
        self.chunks.clear()


class Renderer:
    """GL resources for drawing shape rows onto a framebuffer of one context.

    One renderer is shared by every canvas of a context (see :meth:`for_context`).

    Example:
        >>> from sketchml.graphics.context import create_headless_context
        >>> r = Renderer.for_context(create_headless_context())
        >>> r.program["u_size"].value = (100.0, 100.0)
    """

    _by_context: dict[int, Renderer] = {}

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.vertex_source = read_shader_source("shape.vert")
        self.program = compile_program(
            ctx, self.vertex_source, read_shader_source("shape.frag"), name="shape.frag"
        )
        self._capacity = 0
        self.buffer = ctx.buffer(reserve=6 * VERTEX_WORDS * 4, dynamic=True)
        self._vaos: dict[int, moderngl.VertexArray] = {}
        self._grow(4096)

    def _grow(self, shapes: int) -> None:
        capacity = max(self._capacity, 1024)
        while capacity < shapes:
            capacity *= 2
        if capacity != self._capacity:
            self._capacity = capacity
            self.buffer.orphan(capacity * 6 * VERTEX_WORDS * 4)

    @classmethod
    def for_context(cls, ctx: moderngl.Context) -> Renderer:
        renderer = cls._by_context.get(id(ctx))
        if renderer is None or renderer.ctx is not ctx:
            renderer = cls._by_context[id(ctx)] = cls(ctx)
        return renderer

    def _vao(self, program: moderngl.Program) -> moderngl.VertexArray:
        vao = self._vaos.get(program.glo)
        if vao is None:
            present = [name for name in _ATTRS if name in program]
            # A user shader may not read every input; the layout skips the bytes of
            # attributes the linker optimised away.
            layout = " ".join(
                fmt if name in present else _skip(fmt)
                for name, fmt in zip(_ATTRS, _LAYOUT.split())
            )
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
    ) -> None:
        """Draw shape rows onto the framebuffer currently in use (one draw call)."""
        n = len(rows)
        if n == 0:
            return
        self._grow(n)
        self.buffer.write(rows_to_vertices(rows))
        prog = program or self.program
        if "u_size" in prog:
            prog["u_size"].value = (float(size[0]), float(size[1]))
        if "resolution" in prog:
            prog["resolution"].value = (float(size[0]), float(size[1]))
        if "u_darkest" in prog:
            prog["u_darkest"].value = 1 if darkest else 0
        self._vao(prog).render(mode=self.ctx.TRIANGLES, vertices=6 * n)


def _skip(fmt: str) -> str:
    count = int(fmt[0])
    return f"{4 * count}x"


def _pack_rgba8(colors: np.ndarray) -> np.ndarray:
    """(N, 4) floats in [0, 1] -> (N,) uint32 holding RGBA8 (r in the low byte)."""
    c = np.clip(colors * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    return np.ascontiguousarray(c).view(np.uint32).reshape(-1)


def shape_frames(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Each shape row as a signed-distance primitive in its own frame (vectorised).

    Lines become boxes (rounded for ROUND caps) along their axis and points
    become discs or squares; both take the stroke colour as their fill.
    Returns arrays ``shape`` (0 ellipse, 1 rounded box), ``center``, ``half``,
    ``axis`` (unit x axis of the frame), ``radii`` (tl, tr, br, bl), ``fill``,
    ``stroke`` and ``weight``.

    Example:
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, :5] = (KIND_LINE, 0, 0, 10, 0); row[0, 5] = 2; row[0, 17] = 4
        >>> shape_frames(row)["half"].tolist()
        [[7.0, 2.0]]
    """
    kind = rows[:, 0]
    p0 = rows[:, 1:5].astype(np.float64)
    fill = rows[:, 9:13].copy()
    stroke = rows[:, 13:17].copy()
    weight = rows[:, 17].astype(np.float64).copy()
    center = p0[:, 0:2].copy()
    half = np.abs(p0[:, 2:4])
    radii = rows[:, 5:9].astype(np.float64).copy()
    axis = np.zeros_like(center)
    axis[:, 0] = 1.0
    shape = (kind != KIND_ELLIPSE).astype(np.uint32)
    line = kind == KIND_LINE
    if line.any():
        d = p0[line, 2:4] - p0[line, 0:2]
        length = np.hypot(d[:, 0], d[:, 1])
        safe = np.where(length > 0, length, 1.0)[:, None]
        axis[line] = np.where(length[:, None] > 0, d / safe, [1.0, 0.0])
        center[line] = 0.5 * (p0[line, 0:2] + p0[line, 2:4])
        cap = np.rint(radii[line, 0])
        hw = 0.5 * weight[line]
        half[line] = np.stack([0.5 * length + np.where(cap == K.SQUARE, 0.0, hw), hw], axis=1)
        radii[line] = np.where(cap == K.ROUND, hw, 0.0)[:, None]
    point = kind == KIND_POINT
    if point.any():
        hw = 0.5 * weight[point]
        half[point] = np.stack([hw, hw], axis=1)
        shape[point] = np.rint(p0[point, 2]) == K.SQUARE
        radii[point] = 0.0
    solid = line | point
    if solid.any():
        fill[solid] = stroke[solid]
        stroke[solid] = 0.0
        weight[solid] = 0.0
    return {
        "shape": shape, "center": center, "half": half, "axis": axis, "radii": radii,
        "fill": fill, "stroke": stroke, "weight": weight,
    }


def _apply(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Apply per-shape affine matrices ``m`` (N, 6) to points ``xy`` (N, K, 2)."""
    x, y = xy[..., 0], xy[..., 1]
    out = np.empty(xy.shape, dtype=np.float32)
    out[..., 0] = m[:, 0:1] * x + m[:, 1:2] * y + m[:, 2:3]
    out[..., 1] = m[:, 3:4] * x + m[:, 4:5] * y + m[:, 5:6]
    return out


def rows_to_vertices(rows: np.ndarray) -> np.ndarray:
    """Six vertices per row, ``(6 N, VERTEX_WORDS)`` 32-bit words, in row order.

    Example:
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, :5] = (KIND_ELLIPSE, 5, 5, 2, 2); row[0, 18] = row[0, 22] = 1
        >>> rows_to_vertices(row).shape
        (6, 13)
    """
    n = len(rows)
    out = np.zeros((n, 6, VERTEX_WORDS), dtype=np.float32)
    tri = rows[:, 0] == KIND_TRIANGLE
    if tri.all():
        out[:] = _triangle_vertices(rows)
    elif not tri.any():
        out[:] = _shape_vertices(rows)
    else:
        out[~tri] = _shape_vertices(rows[~tri])
        out[tri] = _triangle_vertices(rows[tri])
    return out.reshape(-1, VERTEX_WORDS)


def _shape_vertices(rows: np.ndarray) -> np.ndarray:
    n = len(rows)
    block = np.empty((n, 6, VERTEX_WORDS), dtype=np.float32)
    words = block.view(np.uint32)
    m = rows[:, 18:24].astype(np.float64)
    f = shape_frames(rows)
    det = np.maximum(np.abs(m[:, 0] * m[:, 4] - m[:, 1] * m[:, 3]), 1e-12)
    # Local units per canvas pixel (for anti-aliasing), and the largest singular value
    # of the inverse matrix (to grow the quad by one canvas pixel in every direction).
    aa = 1.0 / np.sqrt(det)
    s2 = (m[:, 0] ** 2 + m[:, 1] ** 2 + m[:, 3] ** 2 + m[:, 4] ** 2) / (det * det)
    grow = np.sqrt(0.5 * (s2 + np.sqrt(np.maximum(s2 * s2 - 4.0 / (det * det), 0.0))))
    hw = 0.5 * f["weight"]
    extent = f["half"] + (hw + grow)[:, None]
    center, axis = f["center"], f["axis"]
    # Corners: M (center + axis * qx + perp * qy) = P + U qx + V qy, per shape.
    p = np.stack([m[:, 0] * center[:, 0] + m[:, 1] * center[:, 1] + m[:, 2],
                  m[:, 3] * center[:, 0] + m[:, 4] * center[:, 1] + m[:, 5]], axis=1)
    u = np.stack([m[:, 0] * axis[:, 0] + m[:, 1] * axis[:, 1],
                  m[:, 3] * axis[:, 0] + m[:, 4] * axis[:, 1]], axis=1) * extent[:, 0:1]
    v = np.stack([-m[:, 0] * axis[:, 1] + m[:, 1] * axis[:, 0],
                  -m[:, 3] * axis[:, 1] + m[:, 4] * axis[:, 0]], axis=1) * extent[:, 1:2]
    sx = _CORNERS[None, :, 0:1]
    sy = _CORNERS[None, :, 1:2]
    block[..., 0:2] = p[:, None, :] + u[:, None, :] * sx + v[:, None, :] * sy
    block[..., 2:4] = _CORNERS[None] * extent[:, None, :].astype(np.float32)
    a = np.empty((n, 4), dtype=np.float32)
    a[:, 0:2] = f["half"]
    a[:, 2] = hw
    a[:, 3] = aa
    block[..., 4:8] = a[:, None, :]
    shorter = np.maximum(np.minimum(f["half"][:, 0], f["half"][:, 1]), 1e-12)
    frac = np.rint(np.clip(f["radii"] / shorter[:, None], 0.0, 1.0) * 65535.0).astype(np.uint32)
    c = np.empty((n, 5), dtype=np.uint32)
    c[:, 0] = _pack_rgba8(f["fill"])
    c[:, 1] = _pack_rgba8(f["stroke"])
    c[:, 2] = frac[:, 0] | (frac[:, 1] << 16)
    c[:, 3] = frac[:, 2] | (frac[:, 3] << 16)
    c[:, 4] = f["shape"]
    words[..., 8:13] = c[:, None, :]
    return block


def _triangle_vertices(rows: np.ndarray) -> np.ndarray:
    n = len(rows)
    block = np.zeros((n, 6, VERTEX_WORDS), dtype=np.float32)
    words = block.view(np.uint32)
    m = rows[:, 18:24].astype(np.float64)
    corners = rows[:, 1:7].astype(np.float64).reshape(-1, 3, 2)[:, _TRIANGLE_CORNERS]
    block[..., 0:2] = _apply(m, corners)
    box = rows[:, 24:28].astype(np.float64)
    size = np.where(np.abs(box[:, 2:4]) > 1e-12, box[:, 2:4], 1.0)
    block[..., 2:4] = (corners - box[:, None, 0:2]) / size[:, None, :]
    words[..., 8] = _pack_rgba8(rows[:, 9:13])[:, None]
    words[..., 12] = 2
    return block
