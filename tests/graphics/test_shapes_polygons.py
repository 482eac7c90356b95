"""Pixel tests of tessellated shapes: triangle, quad, arc, bezier, begin_shape kinds, joins."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError


def white_fill(c):
    c.no_stroke()
    c.fill(255)


def test_triangle_fill_and_outside(canvas, rgba_at):
    white_fill(canvas)
    canvas.triangle(50, 10, 90, 90, 10, 90)
    assert rgba_at(canvas, 50, 60)[0] == 255
    assert rgba_at(canvas, 15, 20)[0] == 0
    assert rgba_at(canvas, 85, 20)[0] == 0


def test_triangle_stroke_is_drawn_around(canvas, rgba_at):
    canvas.no_fill()
    canvas.stroke(255, 0, 0)
    canvas.stroke_weight(6)
    canvas.triangle(10, 90, 90, 90, 50, 10)
    assert rgba_at(canvas, 50, 90)[0] == 255     # bottom edge
    assert rgba_at(canvas, 50, 60)[0] == 0       # inside is empty


def test_concave_quad(canvas, rgba_at):
    white_fill(canvas)
    # an arrow head: (50, 60) is the reflex corner
    canvas.quad(10, 10, 50, 60, 90, 10, 50, 90)
    assert rgba_at(canvas, 50, 75)[0] == 255
    assert rgba_at(canvas, 50, 40)[0] == 0       # the notch stays empty
    assert rgba_at(canvas, 20, 25)[0] == 255


def test_concave_polygon_from_vertices(canvas, rgba_at):
    white_fill(canvas)
    canvas.begin_shape()
    for x, y in [(10, 10), (90, 10), (90, 90), (60, 90), (60, 40), (40, 40), (40, 90), (10, 90)]:
        canvas.vertex(x, y)
    canvas.end_shape(K.CLOSE)
    assert rgba_at(canvas, 20, 80)[0] == 255
    assert rgba_at(canvas, 80, 80)[0] == 255
    assert rgba_at(canvas, 50, 20)[0] == 255
    assert rgba_at(canvas, 50, 70)[0] == 0       # inside the U's gap


def test_open_vs_closed_outline(make_canvas, rgba_at):
    outlines = {}
    for mode in (None, K.CLOSE):
        c = make_canvas(100, 100)
        c.background(0)
        c.no_fill()
        c.stroke(255)
        c.stroke_weight(4)
        c.begin_shape()
        for x, y in [(10, 10), (90, 10), (90, 90), (10, 90)]:
            c.vertex(x, y)
        c.end_shape(mode)
        outlines[mode] = rgba_at(c, 10, 50)[0]
    assert outlines[None] == 0          # the closing edge (left side) is missing
    assert outlines[K.CLOSE] == 255


@pytest.mark.parametrize(
    "mode, center_filled, chord_mid_stroked, radius_stroked",
    [
        (None, True, False, False),
        (K.OPEN, False, False, False),
        (K.CHORD, False, True, False),
        (K.PIE, True, False, True),
    ],
)
def test_arc_modes(canvas, rgba_at, mode, center_filled, chord_mid_stroked, radius_stroked):
    canvas.fill(255, 0, 0)
    canvas.stroke(0, 255, 0)
    canvas.stroke_weight(4)
    # Quarter of a circle of radius 40 around (50, 50): from angle 0 (right) to HALF_PI (down).
    args = (50, 50, 80, 80, 0, K.HALF_PI) + ((mode,) if mode is not None else ())
    canvas.arc(*args)
    # A point near the centre but inside the slice: filled only by the pie fill.
    assert bool(rgba_at(canvas, 56, 56)[0] > 200) is center_filled
    # The middle of the chord from (90, 50) to (50, 90) is (70, 70).
    assert bool(rgba_at(canvas, 70, 70)[1] > 200) is chord_mid_stroked
    # A point on the radius from the centre to the right: stroked only for PIE.
    assert bool(rgba_at(canvas, 70, 50)[1] > 200) is radius_stroked
    # The arc itself (45 degrees, radius 40) is always stroked.
    x = round(50 + 40 * math.cos(math.pi / 4))
    assert rgba_at(canvas, x, x)[1] > 200
    # Outside the slice (upper half) stays black.
    assert rgba_at(canvas, 50, 30)[:3].tolist() == [0, 0, 0]


def test_arc_full_turn_is_an_ellipse_and_reversed_angles_draw_nothing(canvas, rgba_at):
    white_fill(canvas)
    canvas.arc(30, 30, 40, 40, 0, 10)
    assert rgba_at(canvas, 30, 30)[0] == 255
    assert rgba_at(canvas, 30, 12)[0] == 255
    canvas.arc(70, 70, 40, 40, 2, 1)
    assert rgba_at(canvas, 70, 70)[0] == 0


def test_bezier_passes_through_its_curve(canvas, rgba_at):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(4)
    canvas.bezier(10, 90, 10, 10, 90, 10, 90, 90)
    # The curve's midpoint at t = 0.5 is (50, 30).
    assert rgba_at(canvas, 50, 30)[0] == 255
    assert rgba_at(canvas, 50, 60)[0] == 0
    assert rgba_at(canvas, 10, 88)[0] == 255


def test_bezier_vertex_and_curve_vertex(canvas, rgba_at):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(4)
    canvas.begin_shape()
    canvas.vertex(10, 90)
    canvas.bezier_vertex(10, 10, 90, 10, 90, 90)
    canvas.end_shape()
    assert rgba_at(canvas, 50, 30)[0] == 255
    canvas.background(0)
    canvas.begin_shape()
    for x, y in [(0, 50), (10, 50), (50, 20), (90, 50), (100, 50)]:
        canvas.curve_vertex(x, y)
    canvas.end_shape()
    assert rgba_at(canvas, 50, 20)[0] == 255      # passes through the middle point
    assert rgba_at(canvas, 10, 50)[0] == 255
    assert rgba_at(canvas, 2, 50)[0] == 0         # the first point only steers


def test_bezier_vertex_needs_a_start(canvas):
    canvas.begin_shape()
    canvas.bezier_vertex(1, 2, 3, 4, 5, 6)
    with pytest.raises(SketchmlError, match="vertex"):
        canvas.end_shape()


def test_vertex_outside_begin_shape(canvas):
    with pytest.raises(SketchmlError, match="begin_shape"):
        canvas.vertex(1, 2)


def test_kind_points_and_lines(canvas, rgba_at):
    canvas.stroke(255)
    canvas.stroke_weight(6)
    canvas.begin_shape(K.POINTS)
    canvas.vertex(20, 20)
    canvas.vertex(80, 20)
    canvas.end_shape()
    assert rgba_at(canvas, 20, 20)[0] == 255
    assert rgba_at(canvas, 50, 20)[0] == 0
    canvas.begin_shape(K.LINES)
    for x, y in [(10, 60), (90, 60), (10, 90), (90, 90)]:
        canvas.vertex(x, y)
    canvas.end_shape()
    assert rgba_at(canvas, 50, 60)[0] == 255
    assert rgba_at(canvas, 50, 90)[0] == 255
    assert rgba_at(canvas, 50, 75)[0] == 0          # no segment from (90, 60) to (10, 90)


@pytest.mark.parametrize(
    "kind, vertices, inside, outside",
    [
        (K.TRIANGLES, [(10, 10), (50, 10), (10, 50), (60, 60), (90, 60), (90, 90)],
         [(20, 20), (85, 70)], [(40, 40), (70, 85)]),
        (K.TRIANGLE_STRIP, [(10, 10), (10, 50), (50, 10), (50, 50), (90, 10)],
         [(30, 30), (60, 20)], [(80, 45)]),
        (K.TRIANGLE_FAN, [(50, 50), (90, 50), (50, 90), (10, 50)],
         [(60, 60), (40, 60)], [(50, 30)]),
        (K.QUADS, [(10, 10), (40, 10), (40, 40), (10, 40), (60, 60), (90, 60), (90, 90), (60, 90)],
         [(25, 25), (75, 75)], [(50, 50)]),
        (K.QUAD_STRIP, [(10, 10), (10, 40), (50, 10), (50, 40), (90, 20), (90, 30)],
         [(30, 25), (70, 25)], [(50, 60)]),
    ],
)
def test_begin_shape_kinds(canvas, rgba_at, kind, vertices, inside, outside):
    white_fill(canvas)
    canvas.begin_shape(kind)
    for x, y in vertices:
        canvas.vertex(x, y)
    canvas.end_shape()
    for x, y in inside:
        assert rgba_at(canvas, x, y)[0] == 255, (x, y)
    for x, y in outside:
        assert rgba_at(canvas, x, y)[0] == 0, (x, y)


def _corner(canvas, join):
    canvas.background(0)
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(20)
    canvas.stroke_join(join)
    canvas.begin_shape()
    canvas.vertex(20, 80)
    canvas.vertex(50, 30)      # a sharp corner pointing up
    canvas.vertex(80, 80)
    canvas.end_shape()
    px = canvas._read_pixels()[..., 0]
    # The topmost lit row above the corner tells the join apart.
    rows = np.flatnonzero(px[:, 50] > 128)
    return int(rows.min())


def test_joins_miter_reaches_furthest_then_round_then_bevel(canvas):
    miter = _corner(canvas, K.MITER)
    round_ = _corner(canvas, K.ROUND)
    bevel = _corner(canvas, K.BEVEL)
    # Half width 10; the corner's half angle is about 31 degrees:
    # the miter tip is 10/sin(31deg) ~ 19.4 px above, round 10 px, bevel ~5 px.
    assert miter < round_ < bevel
    assert abs((30 - miter) - 19.4) <= 2
    assert abs((30 - round_) - 10) <= 2


def test_miter_limit_falls_back_to_bevel(canvas):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(10)
    canvas.begin_shape()
    canvas.vertex(45, 90)
    canvas.vertex(50, 10)      # a very sharp corner: the miter would be ~ 16 x the half width
    canvas.vertex(55, 90)
    canvas.end_shape()
    px = canvas._read_pixels()[..., 0]
    top = int(np.flatnonzero(px[:, 50] > 128).min())
    assert top >= 10 - 6        # no long spike above the corner


def test_stroke_caps_on_polylines(make_canvas):
    ends = {}
    for cap in (K.SQUARE, K.PROJECT, K.ROUND):
        c = make_canvas(100, 100)
        c.background(0)
        c.no_fill()
        c.stroke(255)
        c.stroke_weight(20)
        c.stroke_cap(cap)
        c.begin_shape()
        c.vertex(30, 50)
        c.vertex(60, 50)
        c.vertex(70, 50)
        c.end_shape()
        px = c._read_pixels()[..., 0]
        ends[cap] = (int(np.flatnonzero(px[50] > 128).max()), int(px[58, 77]))
    assert abs(ends[K.SQUARE][0] - 69) <= 1
    assert abs(ends[K.PROJECT][0] - 79) <= 1
    assert abs(ends[K.ROUND][0] - 79) <= 1
    assert ends[K.PROJECT][1] > 128 and ends[K.ROUND][1] < 128


def _partial(px: np.ndarray) -> int:
    """How many pixels are neither background (0) nor fully covered (255)."""
    red = px[..., 0].astype(int)
    return int(((red > 20) & (red < 235)).sum())


def test_tessellated_fill_edges_are_antialiased(canvas):
    white_fill(canvas)
    canvas.triangle(10, 10, 90, 30, 30, 90)
    px = canvas._read_pixels()
    assert _partial(px) > 100                    # the three slanted edges are soft
    assert px[40, 40, 0] == 255 and px[95, 95, 0] == 0
    # the soft band hugs the outline: nothing far outside is touched
    assert px[5, 50, 0] == 0 and px[60, 85, 0] == 0


def test_fringe_coverage_follows_distance_to_the_edge(canvas):
    white_fill(canvas)
    # A nearly vertical edge from (50.3, 0) to (50.3, 100): pixel 50's centre (50.5)
    # lies 0.2 px outside, so it should be about 0.3 covered; pixel 49 is inside.
    canvas.quad(0, 0, 50.3, 0, 50.3, 100, 0, 100)
    px = canvas._read_pixels()[50, :, 0].astype(int)
    assert px[49] == 255
    assert 40 <= px[50] <= 110
    assert px[51] == 0


def test_tessellated_stroke_edges_are_antialiased(canvas):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(6)
    canvas.begin_shape()
    for x, y in [(10, 80), (40, 20), (70, 70), (90, 15)]:
        canvas.vertex(x, y)
    canvas.end_shape()
    px = canvas._read_pixels()
    assert _partial(px) > 100
    assert px[50, 25, 0] == 255                  # on the first segment (25, 50)


def test_triangle_corners_follow_the_join(make_canvas):
    tips = {}
    for join in (K.MITER, K.BEVEL, K.ROUND):
        c = make_canvas(100, 100)
        c.background(0)
        c.no_fill()
        c.stroke(255)
        c.stroke_weight(10)
        c.stroke_join(join)
        c.triangle(20, 90, 80, 90, 50, 20)           # apex at (50, 20)
        column = c._read_pixels()[:, 50, 0]
        tips[join] = int(np.flatnonzero(column > 128).min())
    # the miter reaches furthest above the apex, then round (5 px), then bevel
    assert tips[K.MITER] < tips[K.ROUND] < tips[K.BEVEL]
    assert abs((20 - tips[K.ROUND]) - 5) <= 1


def test_transformed_triangle_and_quad(canvas, rgba_at):
    white_fill(canvas)
    canvas.translate(50, 50)
    canvas.rotate(K.PI)                               # upside down
    canvas.scale(2)
    canvas.triangle(0, 0, 20, 0, 0, 20)               # now (50, 50), (10, 50), (50, 10)
    assert rgba_at(canvas, 40, 40)[0] == 255
    assert rgba_at(canvas, 20, 20)[0] == 0
    assert rgba_at(canvas, 55, 55)[0] == 0
    canvas.reset_matrix()
    canvas.fill(255, 0, 0)
    canvas.translate(60, 60)
    canvas.quad(0, 0, 30, 0, 30, 30, 0, 30)
    assert rgba_at(canvas, 75, 75)[:3].tolist() == [255, 0, 0]
    assert rgba_at(canvas, 58, 75)[:3].tolist() == [0, 0, 0]


def test_many_triangles_in_one_batch_keep_their_order(canvas, rgba_at):
    canvas.no_stroke()
    for i in range(50):
        canvas.fill(i * 5, 0, 0)
        canvas.triangle(0, 0, 100, 0, 0, 100)
    canvas.fill(0, 255, 0)
    canvas.quad(0, 0, 30, 0, 30, 30, 0, 30)
    canvas.fill(0, 0, 255)
    canvas.triangle(0, 0, 10, 0, 0, 10)
    assert rgba_at(canvas, 40, 40)[:3].tolist() == [245, 0, 0]
    assert rgba_at(canvas, 20, 20)[:3].tolist() == [0, 255, 0]
    assert rgba_at(canvas, 2, 2)[:3].tolist() == [0, 0, 255]


def test_degenerate_triangle_draws_only_its_stroke(canvas, rgba_at):
    canvas.fill(255, 0, 0)
    canvas.stroke(0, 255, 0)
    canvas.stroke_weight(4)
    canvas.triangle(10, 50, 50, 50, 90, 50)           # all on one line
    assert rgba_at(canvas, 30, 50)[1] == 255
    assert rgba_at(canvas, 30, 50)[0] == 0


def test_join_changes_between_shapes_of_one_batch(canvas):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(10)
    canvas.triangle(10, 90, 40, 90, 25, 30)
    canvas.stroke_join(K.BEVEL)
    canvas.triangle(60, 90, 90, 90, 75, 30)
    px = canvas._read_pixels()[..., 0]
    miter_top = int(np.flatnonzero(px[:, 25] > 128).min())
    bevel_top = int(np.flatnonzero(px[:, 75] > 128).min())
    assert miter_top < bevel_top - 5
