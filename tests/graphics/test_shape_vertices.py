"""begin_shape() with many vertices: linear for outlines seen whole from their centre, exact fills.

Ear clipping is quadratic on smooth outlines (80k vertices of a circle took 13 s); such
outlines are now fanned from their vertex mean. These tests check the fan is taken where it
is exact, refused where it is not, and that the fills cover what they should.
"""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.graphics import geometry as G


def _shoelace(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def _area(tris: np.ndarray) -> float:
    u, v = tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    return float(np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]).sum() / 2)


def _outline(kind: str, n: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = {"circle": np.full(n, 40.0), "star": 40.0 - 15.0 * (np.arange(n) % 2),
              "blob": 35.0 + 5.0 * np.sin(7 * t)}[kind]
    return np.stack([50 + radius * np.cos(t), 50 + radius * np.sin(t)], axis=1)


@pytest.mark.parametrize("kind", ["circle", "star", "blob"])
def test_a_smooth_outline_of_many_vertices_is_one_fan(kind):
    pts = _outline(kind, 200_000)
    tris = G.fill_polygon(pts)
    assert tris.shape == (200_000, 3, 2)  # one triangle per vertex: the linear fan
    assert np.allclose(tris[:, 0], pts.mean(axis=0))
    assert _area(tris) == pytest.approx(_shoelace(pts), rel=1e-9)


@pytest.mark.parametrize("pts", [
    [[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]],                 # an L: its corner hides
    [[np.cos(a), np.sin(a)] for a in np.arange(5) * 4 * np.pi / 5],   # a pentagram: twice round
    [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]],  # a U
])
def test_outlines_the_centre_cannot_see_whole_are_not_fanned(pts):
    pts = np.asarray(pts, dtype=float)
    assert G.radial_fan(pts) is None


def test_concave_outlines_still_fill_exactly():
    u = np.array([[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]], float)
    assert _area(G.fill_polygon(u)) == pytest.approx(_shoelace(u))
    clockwise = _outline("star", 1000)[::-1]
    assert _area(G.fill_polygon(clockwise)) == pytest.approx(_shoelace(clockwise))


def test_a_shape_of_many_vertices_draws_filled(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.begin_shape()
    for x, y in _outline("star", 100_000).tolist():
        canvas.vertex(x, y)
    canvas.end_shape()
    assert rgba_at(canvas, 50, 50)[0] == 255      # the centre
    assert rgba_at(canvas, 50, 78)[0] == 255      # inside the inner radius (25)
    assert rgba_at(canvas, 2, 2)[0] == 0          # outside the outer radius (40)


def _spiral_band(n: int) -> np.ndarray:
    t = np.linspace(0, 6 * np.pi, n // 2)
    r = 10 + 4 * t
    outer = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    inner = np.stack([(r - 6) * np.cos(t), (r - 6) * np.sin(t)], axis=1)[::-1]
    return 100 + np.concatenate([outer, inner])


def test_a_smooth_outline_the_centre_cannot_see_is_thinned_before_ear_clipping():
    band = _spiral_band(100_000)
    assert G.radial_fan(band) is None
    tris = G.fill_polygon(band)
    assert len(tris) < 20_000  # the flattest vertices went: ear clipping is quick on the rest
    assert _area(tris) == pytest.approx(_shoelace(band), rel=1e-5)


def test_thinning_keeps_corners_and_spikes():
    # A square with a needle: the needle's tip lies on the line of its neighbours, but beyond them.
    square = np.array([[0, 0], [10, 0], [10, 5], [20, 5], [10, 5.000001], [10, 10], [0, 10]], float)
    edge = np.stack([np.linspace(0, 10, 5000, endpoint=False), np.zeros(5000)], axis=1)
    outline = np.concatenate([edge, square[1:]])
    thinned = G.thin_outline(outline, 1e-4)
    assert len(thinned) < 20
    for corner in square:
        assert np.any(np.all(np.isclose(thinned, corner), axis=1)), corner
