"""py5's shape objects (create_shape, shape, shape_mode, Shape) and CMAP colours (issue 17)."""
from __future__ import annotations

import numpy as np
import pytest

import sketchml as sk
from sketchml.errors import SketchmlError


def _square_path(c):
    for v in [(0, 0), (0, 50), (50, 50), (50, 0)]:
        c.vertex(*v)


def test_create_shape_path_draws_what_the_same_calls_draw(make_canvas):
    direct, shaped = make_canvas(), make_canvas()
    for c in (direct, shaped):
        c.background(204)
    direct.translate(25, 25)
    direct.fill(0, 0, 255)
    direct.no_stroke()
    direct.begin_shape()
    _square_path(direct)
    direct.end_shape(sk.CLOSE)
    s = shaped.create_shape()
    s.begin_shape()
    s.fill(0, 0, 255)        # the shape's own style, set while it is made
    s.no_stroke()
    _square_path(s)
    s.end_shape(sk.CLOSE)
    shaped.fill(255, 0, 0)   # the canvas's style does not reach a styled shape
    shaped.shape(s, 25, 25)
    a, b = direct._read_pixels(), shaped._read_pixels()
    assert np.array_equal(a, b)
    assert b[50, 50].tolist() == [0, 0, 255, 255] and b[10, 10].tolist() == [204, 204, 204, 255]
    assert s.get_vertex_count() == 4 and s.get_vertex(2) == (50.0, 50.0)
    assert s.get_width() == 50.0 and s.get_family() == 103


def test_create_shape_rect_set_fill_set_stroke_and_group(make_canvas):
    c = make_canvas()
    c.background(204)
    c.ellipse_mode(sk.CORNER)
    alien = c.create_shape(sk.GROUP)
    head = c.create_shape(sk.ELLIPSE, -25, 0, 50, 50)
    head.set_fill("#FFFFFF")
    body = c.create_shape(sk.RECT, -25, 45, 50, 40)
    body.set_fill("#000000")
    alien.add_child(body)
    alien.add_child(head)
    c.ellipse_mode(sk.CENTER)   # a primitive keeps the mode it was made in
    c.translate(50, 15)
    c.shape(alien)
    px = c._read_pixels()
    assert px[40, 50, :3].tolist() == [255, 255, 255]      # the head's middle
    assert px[80, 50, :3].tolist() == [0, 0, 0]            # the body below it
    assert px[90, 10, :3].tolist() == [204, 204, 204]     # beside the body
    assert alien.get_child_count() == 2 and alien.get_child(1) is head
    c.background(204)
    c.reset_matrix()
    body.set_stroke(False)
    body.set_fill(0, 128, 0)
    c.shape(body, 50, 0)
    px = c._read_pixels()
    assert px[65, 50, :3].tolist() == [0, 128, 0]
    assert px[45, 50, :3].tolist() == [0, 128, 0]           # no black outline on the top row
    body.set_fill(False)
    assert body.get_fill() is None
    body.set_fill(True)
    assert hex(body.get_fill()) == "0xff008000"


def test_disable_style_uses_the_canvas_style(make_canvas):
    c = make_canvas()
    c.background(0)
    s = c.create_shape(sk.RECT, 10, 10, 30, 30)
    s.set_fill(255, 0, 0)
    s.disable_style()
    c.fill(0, 255, 0)
    c.no_stroke()
    c.shape(s)
    assert c._read_pixels()[25, 25, :3].tolist() == [0, 255, 0]
    s.enable_style()
    c.shape(s)
    assert c._read_pixels()[25, 25, :3].tolist() == [255, 0, 0]
    assert c._fill_rgba == (0.0, 1.0, 0.0, 1.0)  # drawing a styled shape leaves the canvas's style


def test_shape_mode_and_stretching(make_canvas):
    c = make_canvas()
    c.background(0)
    c.no_stroke()
    c.fill(255)
    s = c.create_shape(sk.RECT, 0, 0, 10, 10)
    c.shape(s, 20, 20, 40, 20)            # CORNER: 40 x 20 from (20, 20)
    px = c._read_pixels()
    assert px[30, 55, 0] == 255 and px[30, 65, 0] == 0 and px[45, 30, 0] == 0
    c.background(0)
    c.shape_mode(sk.CENTER)
    c.shape(s, 50, 50)                    # centred on (50, 50)
    px = c._read_pixels()
    assert px[50, 50, 0] == 255 and px[46, 46, 0] == 255 and px[56, 56, 0] == 0
    c.background(0)
    c.shape_mode(sk.CORNERS)
    c.shape(s, 10, 10, 30, 90)
    px = c._read_pixels()
    assert px[80, 20, 0] == 255 and px[80, 35, 0] == 0


def test_shape_transform_children_and_errors(make_canvas):
    c = make_canvas()
    c.background(0)
    s = c.create_shape(sk.TRIANGLE, 0, 0, 20, 0, 0, 20)
    s.set_stroke(False)
    s.translate(60, 60)
    c.shape(s)
    px = c._read_pixels()
    assert px[63, 63, 0] == 255 and px[3, 3, 0] == 0
    s.set_visible(False)
    c.background(0)
    c.shape(s)
    assert c._read_pixels()[63, 63, 0] == 0
    with pytest.raises(SketchmlError, match="RECT, 0, 0, 50, 50|takes 4"):
        c.create_shape(sk.RECT, 0, 0, 50)
    with pytest.raises(SketchmlError, match="begin_shape"):
        c.create_shape().vertex(0, 0)
    with pytest.raises(SketchmlError, match="group"):
        s.add_child(c.create_shape())
    with pytest.raises(SketchmlError, match="not a 2D shape kind"):
        c.create_shape(99, 1, 2)


def test_cmap_colour_mode_picks_colours_from_a_matplotlib_colormap(canvas):
    pytest.importorskip("matplotlib")
    canvas.color_mode(sk.CMAP, sk.mpl_cmaps.VIRIDIS, 100)
    # viridis runs from dark purple (#440154) to yellow (#fde725)
    assert hex(canvas.color(0)) == "0xff440154" and hex(canvas.color(100)) == "0xfffde725"
    canvas.color_mode(sk.CMAP, "viridis", 100, 100)
    canvas.no_stroke()
    canvas.fill(100, 50)                  # the map's end, half transparent
    canvas.rect(0, 0, 50, 50)
    canvas.fill(255, 0, 0)                # three numbers are RGB out of 255
    canvas.rect(50, 0, 50, 50)
    px = canvas._read_pixels()
    assert np.abs(px[25, 25, :3].astype(int) - (0xFD // 2, 0xE7 // 2, 0x25 // 2)).max() <= 1
    assert px[25, 75, :3].tolist() == [255, 0, 0]
    canvas.color_mode(sk.RGB, 255)
    assert hex(canvas.color(0)) == "0xff000000"   # back to grey levels
    with pytest.raises(SketchmlError, match="no colormap"):
        canvas.color_mode(sk.CMAP, "viridiss")


def test_mpl_cmaps_names_matplotlibs_colormaps():
    pytest.importorskip("matplotlib")
    assert sk.mpl_cmaps.VIRIDIS == "viridis" and sk.mpl_cmaps.RDBU_R == "RdBu_r"
    assert "OCEAN" in dir(sk.mpl_cmaps)
    with pytest.raises(AttributeError, match="VIRIDIS"):
        sk.mpl_cmaps.VIRIDI


def test_convert_shape_turns_shapely_geometry_into_shapes(make_canvas):
    pytest.importorskip("shapely")
    from shapely import LineString, MultiPolygon, Point, Polygon

    c = make_canvas()
    c.background(0)
    c.no_stroke()
    c.fill(255)
    # A square with a square hole, the outline given clockwise and the hole too.
    square = Polygon([(10, 10), (10, 90), (90, 90), (90, 10)], [[(30, 30), (70, 30), (70, 70), (30, 70)]])
    s = c.convert_shape(square)
    s.set_stroke(False)
    c.shape(s)
    px = c._read_pixels()
    assert px[20, 20, 0] == 255 and px[50, 50, 0] == 0 and px[5, 5, 0] == 0
    # Lines are not filled; two points make a LINES shape.
    assert c.convert_shape(LineString([(0, 0), (5, 5), (9, 0)]))._fill_on is False
    assert c.convert_shape(LineString([(0, 0), (5, 5)])).get_kind() == sk.LINES
    group = c.convert_shape(MultiPolygon([Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(5, 5), (6, 5), (6, 6)])]))
    assert group.get_family() == sk.GROUP and group.get_child_count() == 2
    assert c.convert_shape(Point(3, 4)).get_params() == [3.0, 4.0]
    flipped = c.convert_shape(Polygon([(0, 0), (0, 10), (4, 0)]), flip_y_axis=True)
    assert {flipped.get_vertex(i) for i in range(3)} == {(0.0, 10.0), (0.0, 0.0), (4.0, 10.0)}
    with pytest.raises(SketchmlError, match="shapely geometry"):
        c.convert_shape([(0, 0), (1, 1)])
