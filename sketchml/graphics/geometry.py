"""Tessellation on the CPU: polygon fills, stroked polylines, curves, outlines.

Everything returns triangles as float64 arrays of shape ``(T, 3, 2)`` in the
caller's (local) coordinates; the renderer applies the transform on the GPU.
Shapes that the fragment shader draws exactly (ellipses, rounded rectangles,
lines, points) only come here when a user shader needs real geometry
(:func:`rows_to_triangles`).

Anti-aliasing without multisampling: tessellated shapes get a *fringe*, a band
one canvas pixel wide just outside their outline whose coverage falls from 1/2
on the outline to 0 (:class:`Mesh`), which the renderer draws with the
shape's colour times that coverage.
"""
from __future__ import annotations

import math

import numpy as np

from dataclasses import dataclass

from sketchml import constants as K

__all__ = [
    "MITER_LIMIT",
    "Mesh",
    "arc_points",
    "bezier_points",
    "catmull_rom_points",
    "fan_triangles",
    "fill_polygon",
    "fill_triangles",
    "polygon_fringe",
    "polygon_shape_rows",
    "rows_to_triangles",
    "stroke_polygons",
    "stroke_polyline",
]

#: Miter length (in half stroke widths) beyond which a MITER join becomes a BEVEL, as Java2D.
MITER_LIMIT = 10.0

_EMPTY = np.zeros((0, 3, 2))


@dataclass
class Mesh:
    """A stroke: straight bands, solid triangles (joins, caps) and their fringe.

    ``segments`` ``(S, 8)``: (x1, y1, x2, y2) of bands the stroke weight wide
    with flat, un-softened ends (the shader anti-aliases their sides), and
    the direction of each end's edge ((sx, sy), (ex, ey)), scaled so that
    its component across the band is 1;
    ``triangles`` ``(T, 3, 2)``; ``fringe`` ``(F, 3, 2)``; ``edge`` ``(F, 3)``
    bool, True where a fringe vertex lies on the outline (coverage 1/2) and
    False on its outer side (coverage 0).

    Examples:
        >>> Mesh.empty().triangles.shape
        (0, 3, 2)
    """

    segments: np.ndarray
    triangles: np.ndarray
    fringe: np.ndarray
    edge: np.ndarray

    @staticmethod
    def empty() -> Mesh:
        return Mesh(np.zeros((0, 8)), _EMPTY, _EMPTY, np.zeros((0, 3), dtype=bool))


def _fringe_quads(ia: np.ndarray, ib: np.ndarray, oa: np.ndarray, ob: np.ndarray) -> tuple:
    """Fringe triangles of quads with inner edge ia-ib and outer edge oa-ob (vectorised)."""
    tris = np.concatenate([np.stack([ia, ib, oa], axis=1), np.stack([oa, ib, ob], axis=1)])
    q = len(ia)
    edge = np.zeros((2 * q, 3), dtype=bool)
    edge[:q, 0:2] = True
    edge[q:, 1] = True
    return tris, edge


def polygon_fringe(
    polys: np.ndarray, width: float, *, inward: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The fringe outside closed polygons ``(K, M, 2)``: (triangles, edge flags).

    Each vertex moves out along its miter direction (limited to 4 widths),
    so neighbouring edges' fringes meet without gaps. ``inward`` gives the band
    on the other side of every edge (a self-crossing outline has fill on either
    side; the winding fill keeps only the parts that lie outside it).

    Examples:
        >>> sq = np.array([[[0, 0], [4, 0], [4, 4], [0, 4]]], float)
        >>> tris, edge = polygon_fringe(sq, 1.0)
        >>> round(_area(tris), 6)   # four 4x1 bands plus four corner triangles
        20.0
    """
    polys = np.asarray(polys, dtype=np.float64)
    if polys.ndim != 3 or polys.shape[1] < 3 or width <= 0:
        return _EMPTY, np.zeros((0, 3), dtype=bool)
    nxt = np.roll(polys, -1, axis=1)
    area2 = np.sum(polys[..., 0] * nxt[..., 1] - nxt[..., 0] * polys[..., 1], axis=1)
    d = _unit(nxt - polys)
    sign = np.where(area2 > 0, 1.0, -1.0)[:, None, None] * (-1.0 if inward else 1.0)
    n = np.stack([d[..., 1], -d[..., 0]], axis=-1) * sign      # outward edge normals
    prev_n = np.roll(n, 1, axis=1)
    m = _unit(prev_n + n)
    cos = np.sum(m * n, axis=-1, keepdims=True)
    outer = polys + m / np.maximum(cos, 0.25) * width
    outer_next = np.roll(outer, -1, axis=1)
    tris, edge = _fringe_quads(
        polys.reshape(-1, 2), nxt.reshape(-1, 2), outer.reshape(-1, 2), outer_next.reshape(-1, 2)
    )
    return tris, edge


def _dedupe(pts: np.ndarray, closed: bool) -> np.ndarray:
    """Drop consecutive repeated points (and a closing point equal to the first)."""
    if len(pts) < 2:
        return pts
    step = np.abs(pts[1:] - pts[:-1])
    moved = (step[:, 0] > 1e-9) | (step[:, 1] > 1e-9)
    if not moved.all():
        pts = pts[np.concatenate([[True], moved])]
    if closed and len(pts) > 2 and abs(pts[0, 0] - pts[-1, 0]) <= 1e-9 \
            and abs(pts[0, 1] - pts[-1, 1]) <= 1e-9:
        pts = pts[:-1]
    return pts


def fan_triangles(pts: np.ndarray) -> np.ndarray:
    """Triangles of a convex polygon as a fan from its first vertex.

    Examples:
        >>> fan_triangles(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)).shape
        (2, 3, 2)
    """
    pts = np.asarray(pts, dtype=np.float64)
    n = len(pts)
    if n < 3:
        return _EMPTY
    idx = np.stack([np.zeros(n - 2, dtype=np.intp), np.arange(1, n - 1), np.arange(2, n)], axis=1)
    return pts[idx]


def fill_polygon(pts: np.ndarray) -> np.ndarray:
    """Triangulate a simple polygon (convex or concave) given as ``(N, 2)`` points.

    An outline seen whole from the mean of its vertices (every convex one, and
    stars, flowers, blobs: each ray from that centre crosses it once) is a fan
    around that centre, in time linear in its vertices. Other outlines go through
    ear clipping (mapbox_earcut), so any concave outline fills correctly; ear
    clipping can take time quadratic in the vertices, which is why smooth outlines
    with many vertices never reach it.

    Examples:
        >>> L = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]], float)
        >>> tris = fill_polygon(L)
        >>> tris.shape, round(float(_area(tris)), 6)
        ((4, 3, 2), 3.0)
    """
    import mapbox_earcut

    pts = _dedupe(np.asarray(pts, dtype=np.float64).reshape(-1, 2), closed=True)
    if len(pts) < 3:
        return _EMPTY
    if len(pts) == 3:
        return pts[None]
    fan = radial_fan(pts)
    if fan is not None:
        return fan
    if len(pts) > _THIN_ABOVE:
        span = float(np.ptp(pts, axis=0).max())
        pts = thin_outline(pts, span * 1e-6)
    idx = mapbox_earcut.triangulate_float64(pts, np.array([len(pts)], dtype=np.uint32))
    return pts[np.asarray(idx, dtype=np.intp).reshape(-1, 3)]


# Outlines with more vertices than this lose their flattest ones before ear clipping.
_THIN_ABOVE = 4096

#: Outlines up to this many vertices that do not cross themselves are ear clipped (their
#: triangles join the batch); any other outline is filled by counting windings on the GPU
#: (:mod:`sketchml.graphics.winding`), in time linear in its vertices.
EAR_CLIP_MAX = 64


def fill_triangles(pts: np.ndarray) -> np.ndarray | None:
    """Triangles ``(T, 3, 2)`` filling the closed outline ``pts`` exactly, or ``None`` when
    it is neither seen whole from its vertex mean (:func:`radial_fan`) nor a small outline
    that does not cross itself: those go to the winding fill, which is linear and exact
    for any outline.

    Examples:
        >>> L = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]], float)
        >>> round(_area(fill_triangles(L)), 6)
        3.0
        >>> bowtie = np.array([[0, 0], [2, 2], [2, 0], [0, 2]], float)
        >>> fill_triangles(bowtie) is None
        True
    """
    pts = _dedupe(np.asarray(pts, dtype=np.float64).reshape(-1, 2), closed=True)
    if len(pts) < 3:
        return _EMPTY
    if len(pts) == 3:
        return pts[None]
    fan = radial_fan(pts)
    if fan is not None:
        return fan
    if len(pts) > EAR_CLIP_MAX or crosses_itself(pts):
        return None
    import mapbox_earcut

    idx = mapbox_earcut.triangulate_float64(pts, np.array([len(pts)], dtype=np.uint32))
    return pts[np.asarray(idx, dtype=np.intp).reshape(-1, 3)]


def crosses_itself(pts: np.ndarray) -> bool:
    """Whether two edges of the closed outline ``pts`` that are not neighbours touch or
    cross (collinear overlaps count). It compares every pair: for small outlines only.

    Examples:
        >>> crosses_itself(np.array([[0, 0], [2, 2], [2, 0], [0, 2]], float))
        True
        >>> crosses_itself(np.array([[0, 0], [2, 0], [2, 2], [0, 2]], float))
        False
    """
    a = np.asarray(pts, dtype=np.float64)
    b = np.roll(a, -1, axis=0)
    n = len(a)

    def side(p, q, r):
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) \
            - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])

    ai, bi, aj, bj = a[:, None], b[:, None], a[None], b[None]
    hit = (side(ai, bi, aj) * side(ai, bi, bj) <= 0) & (side(aj, bj, ai) * side(aj, bj, bi) <= 0)
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))
    return bool(hit[i[keep], j[keep]].any())


def thin_outline(pts: np.ndarray, tolerance: float) -> np.ndarray:
    """The closed outline ``pts`` without the vertices that lie within ``tolerance`` of the
    chord between their neighbours (each pass drops every other such vertex, so the outline
    moves at most ``tolerance`` per pass). Linear time per pass, at most 64 passes.

    A smooth outline of many vertices (a spiral, a traced contour) keeps its shape to a
    small fraction of a pixel with far fewer vertices, which ear clipping, quadratic on
    nearly collinear corners, then triangulates quickly.

    Examples:
        >>> t = np.linspace(0, 3 * np.pi, 10_000)
        >>> arc = np.stack([np.cos(t), np.sin(t)], axis=1) * (1 + t[:, None])
        >>> len(thin_outline(arc, 1e-4)) < 1500
        True
    """
    pts = np.asarray(pts, dtype=np.float64)
    parity = 0
    for _ in range(64):  # smooth outlines halve in a few passes; this bounds any other
        if len(pts) <= 4:
            break
        prev, nxt = np.roll(pts, 1, axis=0), np.roll(pts, -1, axis=0)
        chord = nxt - prev
        rel = pts - prev
        length2 = np.einsum("ij,ij->i", chord, chord)
        along = np.einsum("ij,ij->i", rel, chord)
        height = np.abs(rel[:, 0] * chord[:, 1] - rel[:, 1] * chord[:, 0])
        flat = (height <= tolerance * np.sqrt(length2)) & (along > 0) & (along < length2)
        if not flat.any():
            break
        drop = flat & (np.arange(len(pts)) % 2 == parity)
        drop[-1] &= not drop[0]  # the ends are neighbours too
        parity ^= 1
        if drop.any():
            pts = pts[~drop]
    return pts


def radial_fan(pts: np.ndarray) -> np.ndarray | None:
    """Triangles ``(N, 3, 2)`` fanning the closed outline ``pts`` from its vertex mean, or ``None``.

    The fan is exact when the outline's angle around the mean only ever grows
    (or only shrinks) and goes round once: then every ray from the mean meets
    the outline once. Otherwise (a spiral, an L whose corner hides part of it,
    a pentagram that goes round twice) it returns ``None``.

    Examples:
        >>> square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
        >>> radial_fan(square).shape
        (4, 3, 2)
        >>> radial_fan(np.array([[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]], float)) is None
        True
    """
    pts = np.asarray(pts, dtype=np.float64)
    center = pts.mean(axis=0)
    rel = pts - center
    steps = np.diff(np.arctan2(rel[:, 1], rel[:, 0]), append=math.atan2(rel[0, 1], rel[0, 0]))
    steps = (steps + np.pi) % (2 * np.pi) - np.pi
    if not ((steps > 1e-12).all() or (steps < -1e-12).all()):
        return None
    if abs(abs(float(steps.sum())) - 2 * np.pi) > 1e-6:
        return None
    tris = np.empty((len(pts), 3, 2))
    tris[:, 0] = center
    tris[:, 1] = pts
    tris[:, 2] = np.roll(pts, -1, axis=0)
    return tris


def _area(tris: np.ndarray) -> float:
    a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
    return float(np.abs(np.cross(b - a, c - a)).sum() / 2)


class _Parts:
    """Collects solid triangles and fringe triangles of one stroke."""

    def __init__(self, fringe: float) -> None:
        self.width = fringe
        self.segments: list[np.ndarray] = []
        self.solid: list[np.ndarray] = []
        self.fringe: list[np.ndarray] = []
        self.edge: list[np.ndarray] = []

    def add_fringe(self, ia, ib, oa, ob) -> None:
        if self.width > 0 and len(ia):
            tris, edge = _fringe_quads(ia, ib, oa, ob)
            self.fringe.append(tris)
            self.edge.append(edge)

    def mesh(self) -> Mesh:
        segments = np.concatenate(self.segments) if self.segments else np.zeros((0, 8))
        solid = np.concatenate(self.solid).reshape(-1, 3, 2) if self.solid else _EMPTY
        if not self.fringe:
            return Mesh(segments, solid, _EMPTY, np.zeros((0, 3), dtype=bool))
        return Mesh(segments, solid, np.concatenate(self.fringe), np.concatenate(self.edge))


def _arc_fan(parts: _Parts, center: np.ndarray, r: float, a0: np.ndarray, sweep: np.ndarray,
             steps: int) -> None:
    """Fans of ``steps`` triangles around each center from angle a0 over sweep, and their rim."""
    t = a0[:, None] + sweep[:, None] * np.linspace(0.0, 1.0, steps + 1)[None, :]
    unit = np.stack([np.cos(t), np.sin(t)], axis=-1)
    ring = center[:, None, :] + r * unit
    tris = np.empty((len(center), steps, 3, 2))
    tris[:, :, 0] = center[:, None, :]
    tris[:, :, 1] = ring[:, :-1]
    tris[:, :, 2] = ring[:, 1:]
    parts.solid.append(tris.reshape(-1, 3, 2))
    rim = ring + parts.width * unit
    parts.add_fringe(ring[:, :-1].reshape(-1, 2), ring[:, 1:].reshape(-1, 2),
                     rim[:, :-1].reshape(-1, 2), rim[:, 1:].reshape(-1, 2))


def _round_steps(hw: float, sweep: float) -> int:
    # About one segment per 2 pixels of arc at scale 1, at least a few.
    return int(min(64, max(3, math.ceil(abs(sweep) * max(hw, 1.0) / 2.0))))


def stroke_polyline(
    pts: np.ndarray,
    weight: float,
    *,
    closed: bool = False,
    join: int = K.MITER,
    cap: int = K.ROUND,
    miter_limit: float = MITER_LIMIT,
    fringe: float = 0.0,
) -> Mesh:
    """The stroke of a polyline, centred on the line, ``weight`` wide.

    ``join`` is MITER (falling back to BEVEL beyond ``miter_limit``), BEVEL
    or ROUND; ``cap`` (ROUND, SQUARE or PROJECT) shapes the ends of an open
    polyline. ``fringe`` > 0 adds an anti-aliasing fringe that wide.

    Examples:
        >>> mesh = stroke_polyline(np.array([[0, 0], [10, 0]], float), 2, cap=1)
        >>> mesh.segments[:, :4].tolist(), len(mesh.triangles)
        ([[0.0, 0.0, 10.0, 0.0]], 0)
    """
    pts = _dedupe(np.asarray(pts, dtype=np.float64).reshape(-1, 2), closed)
    hw = 0.5 * float(weight)
    if hw <= 0 or len(pts) < 2:
        return Mesh.empty()
    if closed and len(pts) < 3:
        closed = False
    count = len(pts)
    if closed:
        a, b = pts.copy(), np.roll(pts, -1, axis=0)
        inc = np.arange(count)
    else:
        a, b = pts[:-1].copy(), pts[1:].copy()
        inc = np.arange(count - 2)
    out = (inc + 1) % len(a)
    joint = pts[(inc + 1) % count]
    parts = _Parts(fringe)
    ends_d = _unit(np.stack([b[0] - a[0], b[-1] - a[-1]]))
    if not closed and cap == K.PROJECT:
        a[0] -= ends_d[0] * hw
        b[-1] += ends_d[1] * hw
    _stroke_core(parts, a, b, inc, out, joint, hw, join, miter_limit)
    if not closed and cap == K.ROUND:
        ends = np.stack([pts[0], pts[-1]])
        # Half discs facing away from the line at each end.
        start_angle = np.arctan2(ends_d[:, 0], -ends_d[:, 1]) + np.array([0.0, np.pi])
        steps = _round_steps(hw, math.pi)
        _arc_fan(parts, ends, hw, start_angle, np.array([np.pi, np.pi]), steps)
    elif not closed:
        # Flat ends: fringe across each end, pushed out along the line.
        n = np.stack([-ends_d[:, 1], ends_d[:, 0]], axis=1) * hw
        tips = np.stack([a[0], b[-1]])
        out_d = np.stack([-ends_d[0], ends_d[1]]) * fringe
        parts.add_fringe(tips + n, tips - n, tips + n + out_d, tips - n + out_d)
    return parts.mesh()


def stroke_polygons(
    polys: np.ndarray, weight: float, *, join: int = K.MITER, miter_limit: float = MITER_LIMIT,
    fringe: float = 0.0,
) -> Mesh:
    """The strokes of the closed outlines of many polygons with the same vertex count at once.

    ``polys`` has shape ``(K, M, 2)``; used for the primitives of
    ``begin_shape(TRIANGLES)``, ``QUADS`` and the strips, which Processing
    outlines one by one.

    Examples:
        >>> sq = np.array([[[0, 0], [4, 0], [4, 4], [0, 4]]], float)
        >>> mesh = stroke_polygons(sq, 2, join=32, fringe=0.1)   # BEVEL
        >>> len(mesh.segments), round(_area(mesh.triangles), 6)    # four bevel corners
        (4, 2.0)
    """
    polys = np.asarray(polys, dtype=np.float64)
    hw = 0.5 * float(weight)
    k, m = polys.shape[:2]
    if hw <= 0 or k == 0 or m < 2:
        return Mesh.empty()
    a = polys.reshape(-1, 2)
    b = np.roll(polys, -1, axis=1).reshape(-1, 2)
    seg = np.arange(k * m)
    out = (seg // m) * m + (seg % m + 1) % m
    parts = _Parts(fringe)
    _stroke_core(parts, a, b, seg, out, b, hw, join, miter_limit)
    return parts.mesh()


def _unit(v: np.ndarray) -> np.ndarray:
    length = np.hypot(v[..., 0], v[..., 1])
    return v / np.where(length > 0, length, 1.0)[..., None]


def _stroke_core(
    parts: _Parts, a: np.ndarray, b: np.ndarray, inc: np.ndarray, out: np.ndarray,
    joint: np.ndarray, hw: float, join: int, miter_limit: float,
) -> None:
    """Bands a -> b plus the joins between segments ``inc[i]`` and ``out[i]`` at ``joint[i]``.

    Where two segments meet at a mitered corner (a MITER join within the limit,
    or any join at a turn too gentle for the join style to show), both bands
    end on the corner's bisector, so they meet edge to edge with no overlap and
    no gap. Elsewhere the bands end square and a join shape fills the gap.
    """
    d = _unit(b - a)
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)
    # How far a band end's corners sit from the end point, per unit across: the
    # normal for a square end, the bisector over cos(half turn) for a mitered one.
    cut_start, cut_end = n.copy(), n.copy()
    w = parts.width
    if len(inc):
        d0, d1, n0, n1 = d[inc], d[out], n[inc], n[out]
        real = (np.abs(d0).sum(axis=1) > 0) & (np.abs(d1).sum(axis=1) > 0)
        cross = d0[:, 0] * d1[:, 1] - d0[:, 1] * d1[:, 0]
        turning = (np.abs(cross) > 1e-12) & real
        mid = _unit(n0 + n1)
        cos_half = np.sum(mid * n0, axis=1)
        ratio = 1.0 / np.maximum(cos_half, 1e-12)
        # The miter tip passes the bevel by about hw (ratio - cos_half); under a
        # quarter pixel no join style can be told apart.
        gentle = hw * (ratio - cos_half) <= 0.25 * w
        mitered = real & (gentle | ((join == K.MITER) & (ratio <= miter_limit)))
        cut = mid * ratio[:, None]
        # Mitered ends of a short band must not cross: then it ends square.
        e = hw + w
        # Each segment is the incoming one of at most one joint and the outgoing one
        # of at most one, so plain fancy-index additions do not collide.
        along = e * np.abs(cut[:, 0] * d0[:, 0] + cut[:, 1] * d0[:, 1])
        shift = np.zeros(len(a))
        shift[inc[mitered]] += along[mitered]
        shift[out[mitered]] += along[mitered]
        length = np.hypot(*(b - a).T)
        crossing = shift >= length
        mitered &= ~crossing[inc] & ~crossing[out]
        cut_end[inc[mitered]] = cut[mitered]
        cut_start[out[mitered]] = cut[mitered]
        _join_shapes(parts, joint, n0, n1, d0, d1, cross, turning & ~mitered, real, hw, join,
                     ratio, mid, miter_limit)
    parts.segments.append(np.concatenate([a, b, cut_start, cut_end], axis=1))


def _join_shapes(parts, joint, n0, n1, d0, d1, cross, sel, real, hw, join, ratio, mid,
                 miter_limit) -> None:
    """Fill the outer gap at square-ended joints ``sel`` with a bevel, miter or round join."""
    w = parts.width
    # The gap to fill opens on the side away from the turn.
    side = np.where(cross > 0, -1.0, 1.0)[:, None]
    outer0 = joint + side * n0 * hw
    outer1 = joint + side * n1 * hw
    if join == K.ROUND:
        a0 = np.arctan2(side[:, 0] * n0[:, 1], side[:, 0] * n0[:, 0])
        a1 = np.arctan2(side[:, 0] * n1[:, 1], side[:, 0] * n1[:, 0])
        sweep = (a1 - a0 + np.pi) % (2 * np.pi) - np.pi
        reverse = ~sel & real & (np.abs(cross) <= 1e-12) & (np.sum(d0 * d1, axis=1) < 0)
        sweep[reverse] = np.pi
        pick = sel | reverse
        if pick.any():
            steps = _round_steps(hw, float(np.abs(sweep[pick]).max()))
            _arc_fan(parts, joint[pick], hw, a0[pick], sweep[pick], steps)
        return
    miter = sel & (join == K.MITER) & (ratio <= miter_limit)
    if miter.any():
        tip = joint + side * mid * (hw * ratio)[:, None]
        parts.solid += [np.stack([joint, outer0, tip], axis=1)[miter],
                        np.stack([joint, tip, outer1], axis=1)[miter]]
        tip_out = tip + side * mid * (w * ratio)[:, None]
        o0, o1 = outer0 + side * n0 * w, outer1 + side * n1 * w
        parts.add_fringe(outer0[miter], tip[miter], o0[miter], tip_out[miter])
        parts.add_fringe(tip[miter], outer1[miter], tip_out[miter], o1[miter])
    bevel = sel & ~miter
    parts.solid.append(np.stack([joint, outer0, outer1], axis=1)[bevel])
    parts.add_fringe(outer0[bevel], outer1[bevel], (outer0 + side * n0 * w)[bevel],
                     (outer1 + side * n1 * w)[bevel])


def _pieces(estimate: float, *, low: int, high: int) -> int:
    """How many straight pieces to cut a curve into; NaN or infinite numbers give ``low``."""
    if not math.isfinite(estimate):
        return low
    return int(min(high, max(low, math.ceil(estimate))))


def arc_points(
    cx: float, cy: float, rx: float, ry: float, start: float, stop: float, *, scale: float = 1.0
) -> np.ndarray:
    """Points along an elliptical arc from ``start`` to ``stop`` radians (clockwise on screen).

    ``scale`` (canvas pixels per local unit) sets how finely it is divided.

    Examples:
        >>> arc_points(0, 0, 10, 10, 0, math.pi / 2)[[0, -1]].round(6).tolist()
        [[10.0, 0.0], [0.0, 10.0]]
    """
    sweep = stop - start
    r = max(abs(rx), abs(ry)) * scale
    n = _pieces(abs(sweep) * math.sqrt(r if r > 1.0 else 1.0) * 2.5, low=4, high=512)
    t = start + sweep * np.linspace(0.0, 1.0, n + 1)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def bezier_points(p0, p1, p2, p3, *, scale: float = 1.0, tolerance: float = 0.2) -> np.ndarray:
    """Points along a cubic Bezier curve from ``p0`` to ``p3`` with controls ``p1``, ``p2``.

    The curve is cut into as few straight pieces as keep it within
    ``tolerance`` canvas pixels (``scale``: canvas pixels per unit) of the
    true curve, from the bound on its second derivative.

    Examples:
        >>> bezier_points((0, 0), (0, 10), (10, 10), (10, 0))[[0, -1]].tolist()
        [[0.0, 0.0], [10.0, 0.0]]
    """
    ctrl = np.array([p0, p1, p2, p3], dtype=np.float64)
    second = float(np.hypot(*(ctrl[:2] - 2 * ctrl[1:3] + ctrl[2:]).T).max() * scale)
    n = _pieces(math.sqrt(0.75 * second / tolerance) if second > 0 else 0.0, low=4, high=256)
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    u = 1.0 - t
    return u**3 * ctrl[0] + 3 * u * u * t * ctrl[1] + 3 * u * t * t * ctrl[2] + t**3 * ctrl[3]


def catmull_rom_points(ctrl: np.ndarray, *, scale: float = 1.0, tightness: float = 0.0) -> np.ndarray:
    """Points of a Catmull-Rom spline through ``ctrl[1:-1]`` (the first and last only steer).

    This is Processing's ``curve_vertex``: ``tightness`` 0 (the default) is Catmull-Rom,
    1 gives straight segments (Processing's cardinal spline, tangents scaled by ``1 - s``).

    Examples:
        >>> pts = catmull_rom_points(np.array([[0, 0], [0, 0], [10, 0], [10, 0]], float))
        >>> pts[[0, -1]].tolist()
        [[0.0, 0.0], [10.0, 0.0]]
    """
    ctrl = np.asarray(ctrl, dtype=np.float64)
    if len(ctrl) < 4:
        return np.zeros((0, 2))
    out = []
    for i in range(1, len(ctrl) - 2):
        p0, p1, p2, p3 = ctrl[i - 1], ctrl[i], ctrl[i + 1], ctrl[i + 2]
        # The cardinal segment p1 -> p2 as a Bezier with controls p1 + k (p2 - p0), p2 - k (p3 - p1).
        k = (1.0 - tightness) / 6.0
        seg = bezier_points(p1, p1 + k * (p2 - p0), p2 - k * (p3 - p1), p2, scale=scale)
        out.append(seg if not out else seg[1:])
    return np.concatenate(out)


# ---------------------------------------------------------------------------- rows -> triangles

_RING = 32  # outline points per shape when a user shader needs real geometry


def _outline(kind: np.ndarray, center, half, radii, axis) -> np.ndarray:
    """``(N, _RING, 2)`` outlines of ellipses (kind 0) and rounded boxes (kind 1), vectorised."""
    n = len(kind)
    t = np.linspace(0.0, 2 * np.pi, _RING, endpoint=False)
    ell = np.stack([np.cos(t), np.sin(t)], axis=-1)[None] * half[:, None, :]
    # Rounded box: 8 points per corner, corners in the order br, bl, tl, tr (angle order).
    k = _RING // 4
    q = np.linspace(0.0, np.pi / 2, k)
    corner_sign = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)
    corner_radius = radii[:, [2, 3, 0, 1]]
    corner_radius = np.clip(corner_radius, 0.0, np.minimum(half[:, 0], half[:, 1])[:, None])
    box = np.empty((n, 4, k, 2))
    for ci in range(4):
        base = np.pi / 2 * ci
        r = corner_radius[:, ci][:, None]
        cc = corner_sign[ci] * (half - corner_radius[:, ci][:, None])
        box[:, ci, :, 0] = cc[:, 0:1] + r * np.cos(base + q)[None]
        box[:, ci, :, 1] = cc[:, 1:2] + r * np.sin(base + q)[None]
    box = box.reshape(n, _RING, 2)
    shape = np.where((kind == 0)[:, None, None], ell, box)
    rot = np.stack([axis, np.stack([-axis[:, 1], axis[:, 0]], axis=1)], axis=1)  # (N, 2, 2) rows
    return center[:, None, :] + shape @ rot


def polygon_shape_rows(rows: np.ndarray, *, everything: bool = False) -> np.ndarray:
    """Replace the triangle/quad shape rows the shader cannot draw exactly by tessellated rows.

    Concave or degenerate ones, and stroked ones with BEVEL or ROUND joins or
    corners beyond the miter limit, become solid triangles plus fringes (all
    of them with ``everything``, for user shaders). Order is kept.

    Examples:
        >>> from sketchml.graphics import renderer as R
        >>> row = np.zeros((1, R.ROW_FLOATS), np.float32)
        >>> row[0, :9] = (R.KIND_QUAD_SHAPE, 0, 0, 10, 0, 2, 2, 0, 10)   # concave
        >>> row[0, 9:13] = 1; row[0, 18] = row[0, 22] = 1; row[0, 24] = K.MITER
        >>> set(polygon_shape_rows(row)[:, 0].tolist()) <= {R.KIND_TRIANGLE, R.KIND_FRINGE}
        True
    """
    from sketchml.graphics import renderer as R

    polygon = rows[:, 0] >= R.KIND_TRIANGLE_SHAPE
    if not polygon.any():
        return rows
    index = np.flatnonzero(polygon)
    if not everything:
        index = index[~R.polygon_frames(rows[index])["eligible"]]
        if not len(index):
            return rows
    pieces = []
    start = 0
    for i in index:
        pieces.append(rows[start:i])
        pieces.append(_tessellate_polygon_row(rows[i]))
        start = i + 1
    pieces.append(rows[start:])
    return np.concatenate(pieces)


def _tessellate_polygon_row(row: np.ndarray) -> np.ndarray:
    from sketchml.graphics import renderer as R

    count = 4 if row[0] == R.KIND_QUAD_SHAPE else 3
    pts = row[1:1 + 2 * count].astype(np.float64).reshape(count, 2)
    m6 = tuple(float(v) for v in row[18:24])
    pixel = 1.0 / math.sqrt(max(abs(m6[0] * m6[4] - m6[1] * m6[3]), 1e-12))
    fill = tuple(float(v) for v in row[9:13])
    stroke = tuple(float(v) for v in row[13:17])
    weight = float(row[17])
    stroked = stroke[3] > 0 and weight > 0
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
    out = []
    if fill[3] > 0:
        tris = fill_polygon(pts)
        if len(tris):
            out.append(R.triangle_rows(tris, fill, m6, box))
            if not stroked:
                fringe, edge = polygon_fringe(_dedupe(pts, True)[None], pixel)
                out.append(R.fringe_rows(fringe, edge, fill, m6))
    if stroked:
        mesh = stroke_polyline(pts, weight, closed=True, join=int(round(float(row[24]))), fringe=pixel)
        out.append(R.segment_rows(mesh.segments, stroke, weight, m6))
        out.append(R.triangle_rows(mesh.triangles, stroke, m6, box))
        out.append(R.fringe_rows(mesh.fringe, mesh.edge, stroke, m6))
    if not out:
        return np.zeros((0, R.ROW_FLOATS), dtype=np.float32)
    return np.concatenate(out)


def rows_to_triangles(rows: np.ndarray) -> np.ndarray:
    """Replace shape shape rows (ellipse, rect, line, point) by solid-triangle rows.

    A user fragment shader has no signed distance to work with, so every shape
    becomes real geometry: a fan for the fill and a ring for the stroke, each
    triangle carrying the shape's bounding box for ``vertTexCoord``.
    Triangle rows pass through unchanged and the order of shapes is kept.

    Examples:
        >>> from sketchml.graphics.renderer import ROW_FLOATS
        >>> row = np.zeros((1, ROW_FLOATS), np.float32)
        >>> row[0, 1:5] = (50, 50, 10, 10); row[0, 9:13] = 1; row[0, 18] = row[0, 22] = 1
        >>> rows_to_triangles(row).shape
        (30, 28)
    """
    rows = polygon_shape_rows(rows, everything=True)
    # Fringes only soften edges; a user shader colours whole triangles instead.
    rows = rows[rows[:, 0] != 5]
    kinds = rows[:, 0]
    if np.all(kinds == 4):
        return rows
    out = []
    start = 0
    # Keep order: convert maximal runs of shape rows, pass triangle runs through.
    is_tri = kinds == 4
    boundaries = np.flatnonzero(np.diff(is_tri.astype(np.int8))) + 1
    for stop in list(boundaries) + [len(rows)]:
        run = rows[start:stop]
        out.append(run if is_tri[start] else _shapes_to_triangles(run))
        start = stop
    return np.concatenate(out)


def _shapes_to_triangles(rows: np.ndarray) -> np.ndarray:
    from sketchml.graphics.renderer import shape_frames

    n = len(rows)
    f = shape_frames(rows)
    shape, center, half, radii = f["shape"], f["center"], f["half"], f["radii"]
    axis = f["axis"] if f["axis"] is not None else np.tile([1.0, 0.0], (n, 1))
    fill, stroke, w = f["fill"], f["stroke"], f["weight"]
    hw = 0.5 * w
    inner = _outline(shape, center, np.maximum(half - hw[:, None], 0.0),
                     np.maximum(radii - hw[:, None], 0.0), axis)
    outer = _outline(shape, center, half + hw[:, None], radii + hw[:, None], axis)
    edge = _outline(shape, center, half, radii, axis)
    m = _RING
    fan_idx = np.stack([np.zeros(m - 2, np.intp), np.arange(1, m - 1), np.arange(2, m)], axis=1)
    fill_tris = edge[:, fan_idx]                                  # (N, m-2, 3, 2)
    nxt = np.roll(np.arange(m), -1)
    ring = np.concatenate(
        [np.stack([outer, inner, outer[:, nxt]], axis=2), np.stack([inner, inner[:, nxt], outer[:, nxt]], axis=2)],
        axis=1,
    )                                                             # (N, 2m, 3, 2)
    lo = np.minimum(outer.min(axis=1), edge.min(axis=1))
    hi = np.maximum(outer.max(axis=1), edge.max(axis=1))
    box = np.concatenate([lo, hi - lo], axis=1)

    def rows_for(tris: np.ndarray, colors: np.ndarray, keep: np.ndarray) -> np.ndarray:
        per = tris.shape[1]
        t = tris[keep].reshape(-1, 6)
        out = np.zeros((len(t), rows.shape[1]), dtype=np.float32)
        out[:, 0] = 4.0
        out[:, 1:7] = t
        out[:, 9:13] = np.repeat(colors[keep], per, axis=0)
        out[:, 18:24] = np.repeat(rows[keep, 18:24], per, axis=0)
        out[:, 24:28] = np.repeat(box[keep], per, axis=0)
        return out.reshape(int(keep.sum()), per, -1)

    has_fill = fill[:, 3] > 0
    has_stroke = (stroke[:, 3] > 0) & (w > 0)
    f = rows_for(fill_tris, fill, np.ones(n, dtype=bool))
    s = rows_for(ring, stroke, np.ones(n, dtype=bool))
    # Interleave per shape (fill then its stroke), dropping invisible parts.
    f_mask = np.repeat(has_fill[:, None], f.shape[1], axis=1)
    s_mask = np.repeat(has_stroke[:, None], s.shape[1], axis=1)
    both = np.concatenate([f, s], axis=1)
    mask = np.concatenate([f_mask, s_mask], axis=1)
    return both[mask]
