"""Fills of any outline by counting windings on the GPU: "stencil, then cover".

Ear clipping an outline that crosses itself (or a smooth one of many vertices) costs
time quadratic in its vertices, and no triangulation of a crossing outline is linear
in general: its crossings alone can be quadratic in number. A GPU renderer fills such
outlines instead by counting, at every pixel, how often the outline winds round it
(NV_path_rendering, Skia, nanovg). The outline's edges, each closed into a triangle
with one fixed point (a fan), are drawn into a winding buffer, adding +1 where a
triangle faces one way and -1 where it faces the other: the sum at a pixel is the
outline's winding number there. A quad over the outline's box is then drawn in the
fill colour wherever the fill rule says a winding number is inside. Both passes are
linear in the vertices (the GPU's work grows with the triangles' area).

moderngl has no stencil operations, so the buffer is a one-channel float texture that
adds with blending (exact for winding numbers up to 2**24); the cover pass reads it
with ``texelFetch``. The fill rules are Processing's: a polygon fills its non-zero
windings (Java2D's ``GeneralPath`` default, and P2D's rule for shapes without
contours), a shape with contours its odd ones (P2D's rule there, which cuts every
contour as a hole; Java2D agrees whenever the contours wind the other way round,
as Processing asks).

The anti-aliasing fringe (:func:`geometry.polygon_fringe`) goes on both sides of
every edge and is drawn only where the winding buffer says "outside", so every
edge of the filled region is softened outwards whichever way the outline crosses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sketchml.graphics import geometry as G
from sketchml.graphics import renderer as R

if TYPE_CHECKING:
    import moderngl

__all__ = ["WindingFill", "WindingRenderer", "winding_fill"]

_VERTEX = """#version 330
in vec2 i_pos;      // canvas pixels
in float i_cov;     // fringe coverage: 1/2 on the outline, 0 a pixel out; 1 for the cover
uniform vec2 u_size;
out float v_cov;
void main() {
    gl_Position = vec4(i_pos / u_size * 2.0 - 1.0, 0.0, 1.0);
    v_cov = i_cov;
}
"""

_COUNT = """#version 330
out vec4 frag_color;
void main() {
    frag_color = vec4(gl_FrontFacing ? 1.0 : -1.0, 0.0, 0.0, 0.0);
}
"""

# The same colour arithmetic as shape.vert/shape.frag, so a winding fill and a
# triangulated fill of the same outline give the same pixels.
_COVER = """#version 330
in float v_cov;
uniform sampler2D u_winding;
uniform vec4 u_fill;        // straight RGBA, 8-bit steps
uniform bool u_even_odd;
uniform bool u_fringe;      // draw the fringe outside the fill instead of the fill
uniform bool u_darkest;
out vec4 frag_color;
void main() {
    float n = abs(texelFetch(u_winding, ivec2(gl_FragCoord.xy), 0).r);
    bool inside = u_even_odd ? mod(floor(n + 0.5), 2.0) > 0.5 : n > 0.5;
    if (inside == u_fringe) {
        discard;
    }
    vec4 color = vec4(u_fill.rgb * u_fill.a, u_fill.a);
    if (u_fringe) {
        color *= v_cov;
    }
    if (color.a <= 0.0) {
        discard;
    }
    frag_color = u_darkest ? vec4(color.rgb + (1.0 - color.a), color.a) : color;
}
"""


@dataclass
class WindingFill:
    """One filled outline waiting in a canvas's batch (see :class:`R.ShapeRecorder`).

    ``fans`` ``(T, 3, 2)`` float32 canvas pixels: each ring's edges closed into
    triangles with the ring's vertex mean; ``box`` ``(x0, y0, x1, y1)`` the pixels
    the cover pass draws; ``fill`` straight RGBA; ``even_odd`` the fill rule (else
    non-zero); ``fringe`` ``(F, 3, 2)`` float32 canvas pixels and ``coverage``
    ``(F, 3)`` its anti-aliasing triangles (empty under ``no_smooth()`` or a stroke).

    Examples:
        >>> square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
        >>> fill = winding_fill([square], (1, 0, 0, 0, 1, 0), (1, 1, 1, 1), size=(20, 20))
        >>> len(fill), fill.box
        (4, (0, 0, 11, 11))
    """

    fans: np.ndarray
    box: tuple[int, int, int, int]
    fill: tuple[float, float, float, float]
    even_odd: bool
    fringe: np.ndarray
    coverage: np.ndarray

    def __len__(self) -> int:
        return len(self.fans)


def _to_pixels(m6: tuple, pts: np.ndarray) -> np.ndarray:
    """Local points ``(..., 2)`` -> float32 canvas pixels, with the float32 arithmetic the
    renderer uses for triangle rows (so the same outline lands on the same pixels)."""
    m = np.asarray(m6, dtype=np.float32)
    xy = np.asarray(pts, dtype=np.float32)
    out = np.empty(xy.shape, dtype=np.float32)
    out[..., 0] = m[0] * xy[..., 0] + m[1] * xy[..., 1] + m[2]
    out[..., 1] = m[3] * xy[..., 0] + m[4] * xy[..., 1] + m[5]
    return out


def winding_fill(
    rings: list[np.ndarray], m6: tuple, fill: tuple, *, size: tuple[int, int],
    even_odd: bool = False, fringe: float = 0.0,
) -> WindingFill | None:
    """The winding fill of closed ``rings`` (local ``(N, 2)`` arrays) under the matrix
    ``m6``, or ``None`` when nothing of it lands on the ``size`` canvas. ``fringe`` > 0
    (local units per canvas pixel) adds the anti-aliasing fringe. Linear in the vertices.

    Examples:
        >>> star = np.array([[np.cos(a), np.sin(a)] for a in np.arange(5) * 4 * np.pi / 5])
        >>> f = winding_fill([50 + 40 * star], (1, 0, 0, 0, 1, 0), (1, 1, 1, 1), size=(100, 100))
        >>> f.fans.shape, f.even_odd
        ((5, 3, 2), False)
    """
    fans = []
    fringes = []
    edges = []
    lo = np.full(2, np.inf)
    hi = np.full(2, -np.inf)
    for ring in rings:
        ring = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
        ring = ring[np.isfinite(ring).all(axis=1)]
        if len(ring) < 3:
            continue
        px = _to_pixels(m6, ring)
        tri = np.empty((len(px), 3, 2), dtype=np.float32)
        tri[:, 0] = px.mean(axis=0, dtype=np.float64)
        tri[:, 1] = px
        tri[:, 2] = np.roll(px, -1, axis=0)
        fans.append(tri)
        lo = np.minimum(lo, px.min(axis=0))
        hi = np.maximum(hi, px.max(axis=0))
        if fringe > 0:
            for inward in (False, True):
                t, e = G.polygon_fringe(ring[None], fringe, inward=inward)
                fringes.append(_to_pixels(m6, t))
                edges.append(e)
    if not fans:
        return None
    # A pixel of margin for the fringe; the box is clipped to the canvas.
    x0, y0 = (max(int(v), 0) for v in np.floor(lo - 1.0))
    x1, y1 = (int(min(v, lim)) for v, lim in zip(np.ceil(hi + 1.0), size))
    if x1 <= x0 or y1 <= y0:
        return None
    if fringes:
        fringe_px = np.concatenate(fringes)
        coverage = 0.5 * np.concatenate(edges).astype(np.float32)
    else:
        fringe_px = np.zeros((0, 3, 2), dtype=np.float32)
        coverage = np.zeros((0, 3), dtype=np.float32)
    return WindingFill(np.concatenate(fans), (x0, y0, x1, y1),
                       tuple(float(c) for c in fill), even_odd, fringe_px, coverage)  # type: ignore[arg-type]


class WindingRenderer:
    """The GL side of winding fills on one context: two programs, a vertex buffer and a
    winding buffer per canvas size (a few sizes kept, the oldest released).

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> WindingRenderer.for_context(create_headless_context()).count.glo > 0
        True
    """

    _by_context: ClassVar[dict[int, WindingRenderer]] = {}
    _KEEP = 4

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.count = R.compile_program(ctx, _VERTEX, _COUNT, name="winding count")
        self.cover = R.compile_program(ctx, _VERTEX, _COVER, name="winding cover")
        self.buffer = ctx.buffer(reserve=1024 * 12, dynamic=True)
        self._capacity = 1024
        self._vaos = {
            prog.glo: ctx.vertex_array(prog, [(self.buffer, "2f 1f", "i_pos", "i_cov")]
                                       if "i_cov" in prog else [(self.buffer, "2f 4x", "i_pos")])
            for prog in (self.count, self.cover)
        }
        self._targets: dict[tuple[int, int], tuple[moderngl.Texture, moderngl.Framebuffer]] = {}

    @classmethod
    def for_context(cls, ctx: moderngl.Context) -> WindingRenderer:
        renderer = cls._by_context.get(id(ctx))
        if renderer is None or renderer.ctx is not ctx:
            renderer = cls._by_context[id(ctx)] = cls(ctx)
        return renderer

    def _target(self, size: tuple[int, int]) -> tuple[moderngl.Texture, moderngl.Framebuffer]:
        target = self._targets.pop(size, None)
        if target is None:
            texture = self.ctx.texture(size, 1, dtype="f4")
            fbo = self.ctx.framebuffer(color_attachments=[texture])
            fbo.clear(0.0, 0.0, 0.0, 0.0)
            target = (texture, fbo)
            while len(self._targets) >= self._KEEP:
                old = self._targets.pop(next(iter(self._targets)))
                old[1].release()
                old[0].release()
        self._targets[size] = target  # most recently used last
        return target

    def _upload(self, xy: np.ndarray, cov: np.ndarray) -> int:
        n = len(xy)
        if n > self._capacity:
            while self._capacity < n:
                self._capacity *= 2
            self.buffer.orphan(self._capacity * 12)
        data = np.empty((n, 3), dtype=np.float32)
        data[:, 0:2] = xy
        data[:, 2] = cov
        self.buffer.write(data)
        return n

    def draw(self, fill: WindingFill, canvas_fbo: moderngl.Framebuffer, size: tuple[int, int],
             *, apply_blend, darkest: bool) -> None:
        """Count ``fill``'s windings, then cover it (and its fringe) on ``canvas_fbo``
        with the blend state ``apply_blend()`` sets; leaves ``canvas_fbo`` in use."""
        ctx = self.ctx
        texture, fbo = self._target(size)
        x0, y0, x1, y1 = fill.box
        fbo.use()
        ctx.enable(ctx.BLEND)
        ctx.blend_equation = (ctx.FUNC_ADD, ctx.FUNC_ADD)
        ctx.blend_func = ctx.ONE, ctx.ONE
        R.uniform(self.count, "u_size").value = (float(size[0]), float(size[1]))
        n = self._upload(fill.fans.reshape(-1, 2), np.ones(3 * len(fill.fans), np.float32))
        self._vaos[self.count.glo].render(mode=ctx.TRIANGLES, vertices=n)

        canvas_fbo.use()
        apply_blend()
        prog = self.cover
        R.uniform(prog, "u_size").value = (float(size[0]), float(size[1]))
        R.uniform(prog, "u_winding").value = 0
        quantised = np.floor(np.clip(np.asarray(fill.fill) * 255.0 + 0.5, 0.0, 255.0)) / 255.0
        R.uniform(prog, "u_fill").value = tuple(float(c) for c in quantised)
        R.uniform(prog, "u_even_odd").value = fill.even_odd
        R.uniform(prog, "u_darkest").value = darkest
        texture.use(location=0)
        quad = np.array([[x0, y0], [x1, y0], [x0, y1], [x0, y1], [x1, y0], [x1, y1]], np.float32)
        parts = [(quad, np.ones(6, np.float32), False)]
        if len(fill.fringe):
            parts.append((fill.fringe.reshape(-1, 2), fill.coverage.reshape(-1), True))
        for xy, cov, is_fringe in parts:
            R.uniform(prog, "u_fringe").value = is_fringe
            n = self._upload(xy, cov)
            self._vaos[prog.glo].render(mode=ctx.TRIANGLES, vertices=n)
        fbo.clear(0.0, 0.0, 0.0, 0.0, viewport=(x0, y0, x1 - x0, y1 - y0))
        canvas_fbo.use()
