"""Outlines that cross themselves fill by Processing's rules, counted on the GPU in linear time.

begin_shape() fills a polygon's non-zero windings (Java2D's and P2D's rule for shapes without
contours); a shape with contours fills its odd windings (P2D's rule, every contour a hole).
The expected pixels come from a winding number computed here on the CPU, away from edges.
"""
from __future__ import annotations

import numpy as np
import pytest

from sketchml import constants as K


def _winding(pts: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Winding number of the closed outline ``pts`` around each point ``xy`` (P, 2)."""
    a = pts[None]
    b = np.roll(pts, -1, axis=0)[None]
    x, y = xy[:, None, 0], xy[:, None, 1]
    cross = (b[..., 0] - a[..., 0]) * (y - a[..., 1]) - (x - a[..., 0]) * (b[..., 1] - a[..., 1])
    up = (a[..., 1] <= y) & (b[..., 1] > y) & (cross > 0)
    down = (a[..., 1] > y) & (b[..., 1] <= y) & (cross < 0)
    return up.sum(axis=1) - down.sum(axis=1)


def _edge_distance(pts: np.ndarray, xy: np.ndarray) -> np.ndarray:
    a = pts[None]
    d = np.roll(pts, -1, axis=0)[None] - a
    rel = xy[:, None] - a
    t = np.clip((rel * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-12), 0, 1)
    return np.hypot(*(rel - t[..., None] * d).transpose(2, 0, 1)).min(axis=1)


def _pixel_centres(w: int, h: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)


def _vertex_distance(rings: list[np.ndarray], xy: np.ndarray) -> np.ndarray:
    pts = np.concatenate(rings)
    return np.hypot(*(xy[:, None] - pts[None]).transpose(2, 0, 1)).min(axis=1)


def _draw(canvas, rings: list[np.ndarray]) -> np.ndarray:
    canvas.no_stroke()
    canvas.fill(255)
    canvas.begin_shape()
    canvas.vertices(rings[0])
    for ring in rings[1:]:
        canvas.begin_contour()
        canvas.vertices(ring)
        canvas.end_contour()
    canvas.end_shape(K.CLOSE)
    return canvas._read_pixels()[..., 0].astype(int)


def _pentagram(cx: float, cy: float, r: float) -> np.ndarray:
    a = np.arange(5) * 4 * np.pi / 5 - np.pi / 2
    return np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1)


def test_a_pentagram_fills_its_centre_by_the_non_zero_rule(canvas):
    px = _draw(canvas, [_pentagram(50, 50, 45)])
    assert px[50, 50] == 255          # wound round twice: filled under non-zero
    assert px[12, 50] == 255          # the top point
    assert px[8, 10] == 0 and px[95, 50] == 0


def test_a_bowtie_fills_both_lobes_and_not_the_gaps(canvas):
    px = _draw(canvas, [np.array([[10, 10], [90, 90], [90, 10], [10, 90]], float)])
    assert px[50, 25] == 255 and px[50, 75] == 255    # left and right lobes (opposite windings)
    assert px[25, 50] == 0 and px[75, 50] == 0        # above and below the crossing


def test_contours_fill_odd_windings_whichever_way_they_wind(canvas):
    square = np.array([[5, 5], [95, 5], [95, 95], [5, 95]], float)
    star = _pentagram(50, 50, 40)
    px = _draw(canvas, [square, star])
    assert px[50, 50] == 255          # 1 + 2 windings: odd, filled
    assert px[17, 50] == 0            # inside one point of the star: 1 + 1, a hole
    assert px[8, 8] == 255            # the square outside the star
    # A hole wound the same way as the outline is still a hole.
    hole = np.array([[30, 30], [70, 30], [70, 70], [30, 70]], float)
    canvas.background(0)
    px = _draw(canvas, [square, hole])
    assert px[50, 50] == 0 and px[15, 15] == 255


@pytest.mark.parametrize("smooth", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_self_crossing_polygon_fills_its_non_zero_windings(make_canvas, seed, smooth):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(5, 95, size=(120, 2))
    canvas = make_canvas(100, 100)
    if not smooth:
        canvas.no_smooth()
    canvas.background(0)
    px = _draw(canvas, [pts]).ravel()
    xy = _pixel_centres(100, 100)
    if smooth:
        # Anti-aliasing softens a pixel along each edge, and up to 4 at sharp corners (the
        # fringe's miter limit): those pixels are left out.
        clear = (_edge_distance(pts, xy) > 1.0) & (_vertex_distance([pts], xy) > 4.5)
    else:
        clear = _edge_distance(pts, xy) > 0.01
    inside = _winding(pts, xy) != 0
    assert clear.sum() > 2000
    assert np.all(px[clear & inside] == 255)
    assert np.all(px[clear & ~inside] == 0)


@pytest.mark.parametrize("smooth", [False, True])
def test_random_contours_fill_their_odd_windings(make_canvas, smooth):
    rng = np.random.default_rng(7)
    rings = [rng.uniform(5, 95, size=(n, 2)) for n in (40, 25, 9)]
    canvas = make_canvas(100, 100)
    if not smooth:
        canvas.no_smooth()
    canvas.background(0)
    px = _draw(canvas, rings).ravel()
    xy = _pixel_centres(100, 100)
    edge = np.min([_edge_distance(r, xy) for r in rings], axis=0)
    clear = (edge > 1.0) & (_vertex_distance(rings, xy) > 4.5) if smooth else edge > 0.01
    odd = sum(_winding(r, xy) for r in rings) % 2 == 1
    assert clear.sum() > 2000
    assert np.all(px[clear & odd] == 255)
    assert np.all(px[clear & ~odd] == 0)


def test_a_translucent_self_crossing_fill_covers_each_pixel_once(canvas):
    canvas.no_stroke()
    canvas.fill(255, 0, 0, 128)
    canvas.begin_shape()
    canvas.vertices(_pentagram(50, 50, 45))
    canvas.end_shape()
    px = canvas._read_pixels()
    centre, point = px[50, 50, :3].astype(int), px[15, 50, :3].astype(int)
    assert abs(centre[0] - point[0]) <= 1        # winding 2 is not painted twice
    assert 120 <= centre[0] <= 136


def test_edges_of_a_self_crossing_fill_are_antialiased(make_canvas):
    canvas = make_canvas(100, 100)
    canvas.background(0)
    # A bowtie whose left edge runs down x = 10: the fill covers column 10 on, the fringe
    # gives column 9 (its centre half a pixel out) a quarter, fading to nothing at 8.
    bowtie = np.array([[10, 10], [90, 90], [90, 10], [10, 90]], float)
    px = _draw(canvas, [bowtie])
    assert px[50, 10] == 255 and px[50, 8] == 0
    assert 40 <= px[50, 9] <= 90
    # ... and on the right lobe, which winds the other way, the same outwards.
    assert px[50, 89] == 255 and 40 <= px[50, 90] <= 90 and px[50, 91] == 0
    canvas.no_smooth()
    canvas.background(0)
    px = _draw(canvas, [bowtie])
    assert px[50, 9] == 0 and px[50, 10] == 255


def test_a_winding_fill_keeps_its_place_between_other_shapes(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255, 0, 0)
    canvas.rect(0, 0, 100, 100)
    canvas.fill(0, 0, 255)
    canvas.begin_shape()
    canvas.vertices(_pentagram(50, 50, 45))
    canvas.end_shape()
    canvas.fill(0, 255, 0)
    canvas.circle(50, 50, 10)
    assert rgba_at(canvas, 50, 50)[:3].tolist() == [0, 255, 0]   # drawn last, on top
    assert rgba_at(canvas, 50, 20)[:3].tolist() == [0, 0, 255]   # the star over the rect
    assert rgba_at(canvas, 5, 95)[:3].tolist() == [255, 0, 0]


def test_a_self_crossing_outline_is_stroked_along_every_edge(canvas, rgba_at):
    canvas.stroke(255, 0, 0)
    canvas.stroke_weight(3)
    canvas.fill(0, 0, 255)
    canvas.begin_shape()
    canvas.vertices([(10, 10), (90, 90), (90, 10), (10, 90)])
    canvas.end_shape(K.CLOSE)
    assert rgba_at(canvas, 50, 50)[:3].tolist() == [255, 0, 0]   # where the edges cross
    assert rgba_at(canvas, 75, 50)[:3].tolist() == [0, 0, 255]


@pytest.mark.slow
def test_a_million_vertex_scribble_fills_by_its_windings(make_canvas):
    # A closed random walk: it crosses itself everywhere; ear clipping never finished it.
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(0, 0.06, size=(1_000_000, 2)), axis=0)
    walk -= np.linspace(0, 1, len(walk))[:, None] * walk[-1]     # back to its start
    pts = 50 + 40 * walk / np.abs(walk).max()
    canvas = make_canvas(100, 100)
    canvas.no_smooth()
    canvas.background(0)
    px = _draw(canvas, [pts]).ravel()
    xy = _pixel_centres(100, 100)[np.random.default_rng(1).integers(0, 100 * 100, size=40)]
    checked = set()
    for (x, y) in xy:
        point = np.array([[x, y]])
        if _edge_distance(pts, point)[0] > 0.01:
            inside = _winding(pts, point)[0] != 0
            assert px[int(y) * 100 + int(x)] == (255 if inside else 0), (x, y)
            checked.add(bool(inside))
    assert checked == {True, False}


def test_a_winding_fill_respects_clip_and_leaves_it_in_place(canvas, rgba_at):
    canvas.no_stroke()
    canvas.clip(0, 0, 50, 100)
    canvas.fill(0, 0, 255)
    canvas.begin_shape()
    canvas.vertices(_pentagram(50, 50, 45))
    canvas.end_shape()
    canvas.fill(255, 0, 0)
    canvas.rect(0, 0, 100, 10)                                    # after the fill: still clipped
    assert rgba_at(canvas, 45, 50)[:3].tolist() == [0, 0, 255]
    assert rgba_at(canvas, 55, 50)[:3].tolist() == [0, 0, 0]
    assert rgba_at(canvas, 5, 5)[:3].tolist() == [255, 0, 0]
    assert rgba_at(canvas, 95, 5)[:3].tolist() == [0, 0, 0]
    canvas.no_clip()
