"""Pixel tests of the basic primitives: background, rect, ellipse, line, point."""
from __future__ import annotations

import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics.canvas import Canvas


def test_new_canvas_is_grey_204(make_canvas):
    c = make_canvas(20, 10)
    px = c._read_pixels()
    assert px.shape == (10, 20, 4)
    assert (px == [204, 204, 204, 255]).all()


def test_canvas_without_gl_has_a_clear_error():
    c = Canvas(10, 10)
    c.fill(255)
    with pytest.raises(SketchmlError, match="no OpenGL context"):
        c.background(0)


def test_background_forms(canvas, rgba_at, assert_rgba):
    canvas.background(10, 20, 30)
    assert_rgba(rgba_at(canvas, 50, 50), [10, 20, 30, 255], tol=0)
    canvas.background("#ff8000")
    assert_rgba(rgba_at(canvas, 0, 99), [255, 128, 0, 255], tol=0)
    canvas.background(77)
    assert_rgba(rgba_at(canvas, 99, 0), [77, 77, 77, 255], tol=0)


def test_rect_default_corner_mode_fill_and_stroke(canvas, rgba_at, assert_rgba):
    canvas.fill(255, 0, 0)
    canvas.stroke(0, 255, 0)
    canvas.stroke_weight(4)
    canvas.rect(20, 30, 40, 20)
    assert_rgba(rgba_at(canvas, 40, 40), [255, 0, 0, 255])     # inside
    assert_rgba(rgba_at(canvas, 20, 40), [0, 255, 0, 255])     # on the left edge
    assert_rgba(rgba_at(canvas, 40, 49), [0, 255, 0, 255])     # on the bottom edge
    assert_rgba(rgba_at(canvas, 15, 40), [0, 0, 0, 255])       # outside


def test_rows_are_top_down(canvas):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.rect(0, 0, 100, 10)
    px = canvas._read_pixels()
    assert (px[5, :, 0] == 255).all()
    assert (px[95, :, 0] == 0).all()


@pytest.mark.parametrize(
    "mode, args",
    [
        (K.CORNER, (20, 20, 60, 40)),
        (K.CORNERS, (20, 20, 80, 60)),
        (K.CENTER, (50, 40, 60, 40)),
        (K.RADIUS, (50, 40, 30, 20)),
    ],
)
def test_rect_modes_cover_the_same_area(canvas, mode, args, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.rect_mode(mode)
    canvas.rect(*args)
    assert rgba_at(canvas, 21, 21)[0] == 255
    assert rgba_at(canvas, 78, 58)[0] == 255
    assert rgba_at(canvas, 18, 40)[0] == 0
    assert rgba_at(canvas, 50, 62)[0] == 0
    assert rgba_at(canvas, 82, 40)[0] == 0


def test_rounded_rect_leaves_corners_empty(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.rect(10, 10, 80, 80, 20)
    assert rgba_at(canvas, 11, 11)[0] == 0          # the corner is cut
    assert rgba_at(canvas, 50, 11)[0] == 255        # the edge middle is not
    assert rgba_at(canvas, 20, 20)[0] == 255


def test_rounded_rect_per_corner_radii(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.rect(10, 10, 80, 80, 30, 0, 0, 0)
    assert rgba_at(canvas, 12, 12)[0] == 0          # top-left rounded
    assert rgba_at(canvas, 88, 12)[0] == 255        # top-right square
    assert rgba_at(canvas, 88, 88)[0] == 255
    assert rgba_at(canvas, 12, 88)[0] == 255


def test_ellipse_default_center_mode(canvas, rgba_at, assert_rgba):
    canvas.no_stroke()
    canvas.fill(0, 0, 255)
    canvas.ellipse(50, 50, 60, 20)
    assert_rgba(rgba_at(canvas, 50, 50), [0, 0, 255, 255])
    assert_rgba(rgba_at(canvas, 75, 50), [0, 0, 255, 255])
    assert_rgba(rgba_at(canvas, 50, 65), [0, 0, 0, 255])       # beyond the short axis
    assert_rgba(rgba_at(canvas, 25, 43), [0, 0, 0, 255])       # corner of the bounding box


@pytest.mark.parametrize(
    "mode, args",
    [
        (K.CENTER, (50, 50, 40, 40)),
        (K.RADIUS, (50, 50, 20, 20)),
        (K.CORNER, (30, 30, 40, 40)),
        (K.CORNERS, (30, 30, 70, 70)),
    ],
)
def test_ellipse_modes(canvas, mode, args, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.ellipse_mode(mode)
    canvas.ellipse(*args)
    assert rgba_at(canvas, 50, 50)[0] == 255
    assert rgba_at(canvas, 50, 32)[0] == 255
    assert rgba_at(canvas, 50, 28)[0] == 0
    assert rgba_at(canvas, 33, 33)[0] == 0          # outside the circle, inside the box


def test_circle_stroke_is_centred_on_the_outline(canvas, rgba_at, assert_rgba):
    canvas.fill(255, 0, 0)
    canvas.stroke(0, 255, 0)
    canvas.stroke_weight(10)
    canvas.circle(50, 50, 60)              # radius 30; stroke from 25 to 35
    assert_rgba(rgba_at(canvas, 50, 50), [255, 0, 0, 255])
    assert_rgba(rgba_at(canvas, 50 + 27, 50), [0, 255, 0, 255])
    assert_rgba(rgba_at(canvas, 50 + 33, 50), [0, 255, 0, 255])
    assert_rgba(rgba_at(canvas, 50 + 37, 50), [0, 0, 0, 255])
    assert_rgba(rgba_at(canvas, 50 + 23, 50), [255, 0, 0, 255])


def test_no_fill_and_no_stroke(canvas, rgba_at):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(4)
    canvas.circle(50, 50, 60)
    assert rgba_at(canvas, 50, 50)[0] == 0
    assert rgba_at(canvas, 80, 50)[0] == 255
    canvas.no_stroke()
    canvas.fill(0, 255, 0)
    canvas.rect(0, 0, 10, 10)
    canvas.line(0, 50, 100, 50)            # no stroke: lines draw nothing
    assert rgba_at(canvas, 5, 5)[1] == 255
    assert rgba_at(canvas, 50, 50)[1] == 0


def test_fill_alpha_blends_over_the_background(canvas, rgba_at, assert_rgba):
    canvas.background(0, 0, 255)
    canvas.no_stroke()
    canvas.fill(255, 0, 0, 128)
    canvas.rect(0, 0, 50, 50)
    assert_rgba(rgba_at(canvas, 25, 25), [128, 0, 127, 255], tol=2)


@pytest.mark.parametrize(
    "cap, inside_beyond_end",
    [(K.ROUND, True), (K.SQUARE, False), (K.PROJECT, True)],
)
def test_line_caps(canvas, cap, inside_beyond_end, rgba_at):
    canvas.stroke(255)
    canvas.stroke_weight(20)
    canvas.stroke_cap(cap)
    canvas.line(30, 50, 70, 50)
    assert rgba_at(canvas, 50, 55)[0] == 255
    assert rgba_at(canvas, 50, 65)[0] == 0
    # 5 px beyond the end, on the axis: covered by ROUND and PROJECT only
    assert bool(rgba_at(canvas, 75, 50)[0] == 255) is inside_beyond_end
    # 8 px beyond and 8 px off-axis: inside PROJECT's square, outside ROUND's disc
    assert bool(rgba_at(canvas, 78, 58)[0] > 128) is (cap == K.PROJECT)


def test_diagonal_line_covers_its_path(canvas, rgba_at):
    canvas.stroke(255)
    canvas.stroke_weight(3)
    canvas.line(10, 10, 90, 90)
    assert rgba_at(canvas, 50, 50)[0] == 255
    assert rgba_at(canvas, 50, 60)[0] == 0


def test_points_round_and_square(canvas, rgba_at, assert_rgba):
    canvas.stroke(255, 255, 0)
    canvas.stroke_weight(20)
    canvas.point(30, 30)
    canvas.stroke_cap(K.SQUARE)
    canvas.point(70, 70)
    assert_rgba(rgba_at(canvas, 30, 30), [255, 255, 0, 255])
    assert rgba_at(canvas, 22, 22)[0] == 0          # round: the box corner is empty
    assert rgba_at(canvas, 62, 62)[0] == 255        # square: the corner is filled
    assert rgba_at(canvas, 82, 70)[0] == 0


def test_square_and_circle_helpers(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.square(10, 10, 20)
    canvas.circle(70, 70, 20)
    assert rgba_at(canvas, 28, 28)[0] == 255
    assert rgba_at(canvas, 32, 20)[0] == 0
    assert rgba_at(canvas, 70, 78)[0] == 255
    assert rgba_at(canvas, 78, 78)[0] == 0


def test_resize_clears_to_grey(make_canvas):
    c = make_canvas(10, 10)
    c.background(0)
    c._resize(30, 20)
    px = c._read_pixels()
    assert px.shape == (20, 30, 4)
    assert (px == [204, 204, 204, 255]).all()


def test_texture_is_the_canvas(canvas):
    canvas.fill(255, 0, 0)
    canvas.no_stroke()
    canvas.rect(0, 0, 100, 50)
    tex = canvas._texture()
    assert tex.size == (100, 100)
    import numpy as np

    data = np.frombuffer(tex.read(), dtype=np.uint8).reshape(100, 100, 4)
    assert data[10, 10].tolist() == [255, 0, 0, 255]
    assert data[90, 10].tolist() == [0, 0, 0, 255]


def test_bad_argument_types_fail_in_the_call(canvas):
    from sketchml.errors import ApiUsageError

    with pytest.raises(ApiUsageError, match=r"expected numbers, got \(int, int, str, int\)"):
        canvas.ellipse(1, 2, "three", 4)
    with pytest.raises((TypeError, ValueError)):
        canvas.rect(1, 2, 3, None)
    with pytest.raises(ApiUsageError, match="rect takes 4, 5 or 8 numbers"):
        canvas.rect(1, 2, 3, 4, 5, 6)
    with pytest.raises(ApiUsageError, match="color_mode takes a mode and 1, 3 or 4 maxima"):
        canvas.color_mode(1, 255, 255)
    with pytest.raises(TypeError):
        canvas.line(1, 2, 3)
    canvas._flush()   # nothing half-recorded is left behind


def test_no_smooth_gives_hard_edges_and_smooth_restores(canvas):
    def partial(c):
        red = c._read_pixels()[..., 0].astype(int)
        return int(((red > 0) & (red < 255)).sum())

    canvas.no_stroke()
    canvas.fill(255)
    canvas.no_smooth()
    canvas.circle(30, 30, 41)
    canvas.triangle(60, 60, 95, 70, 65, 95)
    assert partial(canvas) == 0
    assert canvas._read_pixels()[30, 30, 0] == 255
    canvas.background(0)
    canvas.smooth()
    canvas.circle(30, 30, 41)
    canvas.triangle(60, 60, 95, 70, 65, 95)
    assert partial(canvas) > 50


def test_nan_and_infinite_numbers_draw_nothing_quietly(canvas, recwarn):
    import numpy as np

    nan, inf = float("nan"), float("inf")
    canvas.stroke_weight(3)
    canvas.ellipse(nan, 10, 10, 10)
    canvas.rect(nan, 0, 5, 5, 2)
    canvas.line(0, inf, 5, 5)
    canvas.triangle(0, 0, nan, 1, 2, 2)
    canvas.arc(5, 5, nan, inf, 0, 1)
    canvas.bezier(0, 0, inf, 1, 2, 2, 3, 3)
    canvas.circles(np.array([nan]), 0, 5)
    canvas.begin_shape()
    for x, y in [(0, 0), (nan, 5), (5, 5)]:
        canvas.vertex(x, y)
    canvas.end_shape(K.CLOSE)
    px = canvas._read_pixels()
    assert (px[..., :3] == 0).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
