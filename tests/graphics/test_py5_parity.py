"""py5's 2D names: one test per name or group, checking pixels or values (issue 17)."""
from __future__ import annotations

import numpy as np
import pytest

import sketchml as sk
from sketchml.errors import SketchmlError


def test_crisp_one_pixel_lines_on_pixel_centres(canvas, rgba_at):
    canvas.background(255)
    canvas.stroke(0)
    canvas.line(10, 0, 10, 100)
    canvas.line(0, 50, 100, 50)
    canvas.line(0, 0, 0, 100)          # at x = 0: fully on the canvas
    px = canvas._read_pixels()
    assert px[20, 10, 0] == 0 and px[20, 9, 0] == 255 and px[20, 11, 0] == 255
    assert px[50, 30, 0] == 0 and px[49, 30, 0] == 255 and px[51, 30, 0] == 255
    assert px[20, 0, 0] == 0 and px[20, 1, 0] == 255


def test_stroked_rect_covers_one_more_pixel_like_processing(canvas):
    canvas.background(255)
    canvas.fill(200)
    canvas.stroke(0)
    canvas.rect(10, 10, 20, 20)
    row = canvas._read_pixels()[20, :, 0]
    assert row[9] == 255 and row[10] == 0 and row[11] == 200
    assert row[29] == 200 and row[30] == 0 and row[31] == 255
    canvas.background(255)
    canvas.no_stroke()
    canvas.rect(10, 10, 20, 20)
    row = canvas._read_pixels()[20, :, 0]
    assert row[9] == 255 and row[10] == 200 and row[29] == 200 and row[30] == 255


def test_two_pixel_strokes_are_centred_on_the_pixel_like_py5(canvas):
    # py5 draws line(30, 0, 30, 100) at weight 2 as [128, 0, 128] over columns 29-31
    canvas.background(255)
    canvas.stroke(0)
    canvas.stroke_weight(2)
    canvas.line(10, 0, 10, 100)
    row = canvas._read_pixels()[50, :, 0].astype(int)
    assert row[8] == 255 and row[10] == 0 and row[12] == 255
    assert abs(row[9] - 128) <= 3 and abs(row[11] - 128) <= 3


@pytest.mark.parametrize("smooth", [True, False])
def test_point_is_one_pixel(canvas, smooth):
    canvas.background(255)
    if not smooth:
        canvas.no_smooth()
    canvas.point(40, 40)
    px = canvas._read_pixels()[39:42, 39:42, 0].astype(int)
    if smooth:
        # a disc one pixel across covers 78% of its pixel (py5 draws 74 of 255 here)
        assert 40 <= px[1, 1] <= 90
    else:
        assert px[1, 1] == 0
    assert (px[[0, 0, 0, 1, 1, 2, 2, 2], [0, 1, 2, 0, 2, 0, 1, 2]] == 255).all()


def test_with_push_restores_state(canvas):
    with canvas.push():
        canvas.translate(30, 30)
        canvas.fill(255, 0, 0)
    canvas.no_stroke()
    canvas.rect(0, 0, 10, 10)
    px = canvas._read_pixels()
    assert px[5, 5].tolist() == [255, 255, 255, 255]
    with canvas.push_matrix():
        canvas.translate(5, 5)
    with canvas.push_style():
        canvas.fill(0)
    assert canvas._m[2] == 0.0 and canvas._fill_rgba == (1.0, 1.0, 1.0, 1.0)


def test_with_begin_shape_and_closed_shape(canvas):
    canvas.fill(0, 255, 0)
    canvas.no_stroke()
    with canvas.begin_shape():
        canvas.vertices([(10, 10), (90, 10), (90, 90), (10, 90)])
    assert canvas._read_pixels()[50, 50].tolist() == [0, 255, 0, 255]
    canvas.background(0)
    canvas.no_fill()
    canvas.stroke(255)
    with canvas.begin_closed_shape():
        canvas.vertices([(10, 10), (90, 10), (90, 90)])
    # the closing edge runs from (90, 90) back to (10, 10): the diagonal is drawn
    assert canvas._read_pixels()[50, 50, 0] > 128


def test_contour_cuts_a_hole(canvas):
    canvas.fill(255)
    canvas.no_stroke()
    canvas.begin_shape()
    canvas.vertices([(10, 10), (90, 10), (90, 90), (10, 90)])
    canvas.begin_contour()
    canvas.vertices([(30, 30), (30, 70), (70, 70), (70, 30)])
    canvas.end_contour()
    canvas.end_shape(sk.CLOSE)
    px = canvas._read_pixels()
    assert px[50, 50, 0] == 0 and px[20, 20, 0] == 255 and px[80, 50, 0] == 255
    canvas.begin_shape()
    with pytest.raises(SketchmlError, match="end_contour"):
        canvas.end_contour()


def test_quadratic_vertex_and_array_forms(canvas):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.begin_shape()
    canvas.vertex(10, 90)
    canvas.quadratic_vertices([(50, -70, 90, 90)])   # apex of the curve at y = 10
    canvas.end_shape(sk.CLOSE)
    px = canvas._read_pixels()
    assert px[20, 50, 0] == 255 and px[5, 50, 0] == 0
    canvas.background(0)
    canvas.begin_shape()
    canvas.vertex(10, 90)
    canvas.bezier_vertices([(10, 10, 90, 10, 90, 90)])
    canvas.end_shape(sk.CLOSE)
    assert canvas._read_pixels()[40, 50, 0] == 255
    canvas.background(0)
    canvas.stroke(255)
    canvas.stroke_weight(3)
    canvas.no_fill()
    canvas.begin_shape()
    canvas.curve_vertices([(0, 50), (10, 50), (90, 50), (100, 50)])
    canvas.end_shape()
    assert canvas._read_pixels()[50, 50, 0] == 255
    with pytest.raises(SketchmlError, match=r"\(N, 2\)"):
        canvas.vertices([1, 2, 3])


def test_curve_point_tangent_and_tightness():
    c = sk.Sketch()
    assert c.curve_point(0, 10, 20, 30, 0.0) == 10.0
    assert c.curve_point(0, 10, 20, 30, 1.0) == 20.0
    assert c.curve_point(0, 10, 20, 30, 0.5) == 15.0
    # Catmull-Rom: the tangent at b is (c - a) / 2
    assert c.curve_tangent(0, 10, 40, 30, 0.0) == pytest.approx(20.0)
    c.curve_tightness(1.0)
    assert c.curve_tangent(0, 10, 40, 30, 0.0) == pytest.approx(0.0)
    # tightness 1: the path is the straight segment, eased (zero tangents at both ends)
    assert c.curve_point(5, 10, 20, 7, 0.25) == pytest.approx(11.5625)


def test_bezier_point_and_tangent():
    c = sk.Sketch()
    assert c.bezier_point(85, 10, 90, 15, 0.0) == 85
    assert c.bezier_point(85, 10, 90, 15, 1.0) == 15
    assert c.bezier_point(0, 10, 20, 30, 0.5) == pytest.approx(15.0)
    assert c.bezier_tangent(0, 10, 20, 30, 0.3) == pytest.approx(30.0)


def test_curve_draws_between_the_middle_points(canvas):
    canvas.stroke(255)
    canvas.stroke_weight(3)
    canvas.no_fill()
    canvas.curve(0, 50, 20, 50, 80, 50, 100, 50)
    px = canvas._read_pixels()
    assert px[50, 50, 0] == 255 and px[50, 10, 0] == 0


def test_clear_makes_graphics_transparent(make_canvas):
    c = make_canvas(10, 10)
    c.background(255, 0, 0)
    c.clear()
    assert c._read_pixels()[5, 5].tolist() == [0, 0, 0, 0]


def test_clear_leaves_the_sketch_canvas_alone_as_in_py5():
    class Cleared(sk.Sketch):
        def setup(self):
            self.size(10, 10)
            self.background(255, 0, 0)
            self.clear()
            self.seen = self.get_pixels(5, 5)

    s = Cleared()
    s.run_sketch(headless=True, frames=0)
    assert hex(s.seen) == "0xffff0000"


def test_clip_limits_drawing_and_follows_translate(canvas):
    canvas.translate(10, 0)
    canvas.clip(0, 0, 20, 100)
    canvas.reset_matrix()
    canvas.fill(255)
    canvas.no_stroke()
    canvas.rect(0, 0, 100, 100)
    canvas.no_clip()
    px = canvas._read_pixels()
    assert px[50, 5, 0] == 0 and px[50, 15, 0] == 255 and px[50, 35, 0] == 0
    canvas.rect(0, 0, 100, 100)
    assert canvas._read_pixels()[50, 50, 0] == 255


def test_get_graphics_is_the_canvas(canvas):
    assert canvas.get_graphics() is canvas


def test_colour_channels_and_hex_color():
    c = sk.Sketch()
    argb = c.color(255, 102, 204, 128)
    assert (c.red(argb), c.green(argb), c.blue(argb), c.alpha(argb)) == (255.0, 102.0, 204.0, 128.0)
    assert c.hex_color(argb) == "#FF66CC80"
    assert c.brightness(c.color(0, 0, 255)) == 255.0
    assert c.saturation(c.color(255, 255, 255)) == 0.0
    c.color_mode(sk.HSB, 360, 100, 100)
    green = c.color(120, 100, 100)
    assert c.hue(green) == pytest.approx(120.0, abs=0.5)
    assert c.saturation(green) == pytest.approx(100.0)
    assert c.red(c.color(0, 100, 100)) == pytest.approx(360.0)   # scaled by max1, as Processing


def test_pixels_take_one_index_and_colour_strings(canvas):
    canvas.load_pixels()
    i = 3 * canvas.width + 7
    canvas.pixels[i] = "#F6C"
    canvas.pixels[i + 1] = canvas.color(0, 255, 0)
    canvas.pixels[0:2, 0:2] = "red"
    canvas.update_pixels()
    assert hex(canvas.get_pixels(7, 3)) == "0xffff66cc"
    assert hex(canvas.get_pixels(8, 3)) == "0xff00ff00"
    assert hex(canvas.get_pixels(1, 1)) == "0xffff0000"
    assert canvas.pixels[i] == 0xFFFF66CC
    assert len(canvas.pixels) == canvas.width * canvas.height    # py5: one entry per pixel
    assert canvas.pixels[3, 5].shape == (4,)       # tuple and slice indexing stay numpy's
    with pytest.raises(IndexError, match="y \\* width \\+ x"):
        canvas.pixels[10**6] = "red"


def test_image_pixels_take_one_index():
    img = sk.Sketch().create_image(4, 2)
    img.pixels[5] = "#00F"
    img.update_pixels()
    assert hex(img.get_pixels(1, 1)) == "0xff0000ff"


def test_create_image_formats():
    c = sk.Sketch()
    assert hex(c.create_image(3, 3, sk.RGB).get_pixels(1, 1)) == "0xff000000"
    assert c.create_image(3, 3, sk.ARGB).get_pixels(1, 1) == 0
    with pytest.raises(SketchmlError, match="RGB, ARGB or ALPHA"):
        c.create_image(3, 3, 99)


def test_np_pixels_round_trip_in_argb(canvas):
    canvas.background(10, 20, 30)
    canvas.load_np_pixels()
    assert canvas.np_pixels[0, 0].tolist() == [255, 10, 20, 30]
    canvas.np_pixels[:10, :, 1:] = (255, 0, 0)
    canvas.update_np_pixels()
    assert canvas._read_pixels()[5, 5].tolist() == [255, 0, 0, 255]
    assert canvas._read_pixels()[50, 5].tolist() == [10, 20, 30, 255]


def test_get_and_set_np_pixels_with_bands(canvas):
    canvas.background(10, 20, 30)
    rgb = canvas.get_np_pixels(0, 0, 4, 3, bands="RGB")
    assert rgb.shape == (3, 4, 3) and rgb[0, 0].tolist() == [10, 20, 30]
    assert canvas.get_np_pixels(bands="BGR")[0, 0].tolist() == [30, 20, 10]
    grey = np.full((100, 100), 77, np.uint8)
    canvas.set_np_pixels(grey, bands="L")
    assert canvas._read_pixels()[9, 9].tolist() == [77, 77, 77, 255]
    with pytest.raises(SketchmlError, match="100 rows"):
        canvas.set_np_pixels(np.zeros((5, 5, 4), np.uint8))
    with pytest.raises(SketchmlError, match="channel order"):
        canvas.get_np_pixels(bands="XYZ")


def test_create_image_from_numpy_and_to_pil(canvas):
    argb = np.zeros((2, 3, 4), np.uint8)
    argb[..., 0] = 255
    argb[..., 2] = 200
    img = canvas.create_image_from_numpy(argb)
    assert (img.width, img.height, hex(img.get_pixels(2, 1))) == (3, 2, "0xff00c800")
    canvas.background(1, 2, 3)
    pil = canvas.to_pil()
    assert pil.mode == "RGBA" and pil.size == (100, 100) and pil.getpixel((0, 0)) == (1, 2, 3, 255)


@pytest.mark.parametrize(
    ("kind", "param", "before", "after"),
    [
        (sk.INVERT, None, (200, 100, 0), (55, 155, 255)),
        (sk.GRAY, None, (100, 200, 50), (153, 153, 153)),
        (sk.THRESHOLD, None, (100, 140, 0), (255, 255, 255)),
        (sk.THRESHOLD, 0.6, (100, 140, 0), (0, 0, 0)),
        (sk.POSTERIZE, 2, (100, 200, 50), (0, 255, 0)),
        (sk.OPAQUE, None, (1, 2, 3), (1, 2, 3)),
    ],
)
def test_filter_point_operations(canvas, kind, param, before, after):
    canvas.background(*before)
    canvas.filter(kind, param) if param is not None else canvas.filter(kind)
    assert canvas._read_pixels()[50, 50, :3].tolist() == list(after)


def test_filter_blur_erode_dilate(canvas):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.rect(40, 40, 20, 20)
    canvas.filter(sk.BLUR, 2)
    px = canvas._read_pixels()[:, :, 0].astype(int)
    assert px[50, 50] > 200 and 30 < px[50, 40] < 225 and px[50, 20] == 0
    canvas.background(0)
    canvas.rect(40, 40, 20, 20)
    canvas.filter(sk.ERODE)
    px = canvas._read_pixels()[:, :, 0]
    assert px[50, 40] == 0 and px[50, 41] == 255
    canvas.filter(sk.DILATE)
    canvas.filter(sk.DILATE)
    px = canvas._read_pixels()[:, :, 0]
    assert px[50, 39] == 255 and px[50, 38] == 0
    with pytest.raises(SketchmlError, match="POSTERIZE, levels"):
        canvas.filter(sk.POSTERIZE)
    with pytest.raises(SketchmlError, match="not a filter kind"):
        canvas.filter(99)


# Measured with py5 0.10.12a0 (Processing 4, JAVA2D) by scripts/py5_reference.py:
# create_font(<the bundled DejaVuSans.ttf>, 32), then text_size(size).
PY5_DEJAVU = {12: (9.0, 2.625, 67.271), 32: (24.0, 7.0, 179.391), 64: (48.0, 14.0, 358.781)}


@pytest.mark.parametrize("size", sorted(PY5_DEJAVU))
def test_text_metrics_match_py5_for_the_bundled_font(size):
    c = sk.Sketch()
    c.text_font(c.create_font("DejaVu Sans", 32))
    c.text_size(size)
    ascent, descent, width = PY5_DEJAVU[size]
    assert c.text_ascent() == pytest.approx(ascent, rel=0.03)
    assert c.text_descent() == pytest.approx(descent, rel=0.03)
    assert c.text_width("Hello world") == pytest.approx(width, rel=0.03)
    assert c.text_leading() == pytest.approx((ascent + descent) * 1.275, rel=0.03)


def test_text_falls_back_to_a_font_with_the_glyph(make_canvas):
    from sketchml.graphics.text import _fallback_font

    fox = "\U0001F98A"   # not in DejaVu Sans
    if _fallback_font(ord(fox)) is None:
        pytest.skip("no installed font has U+1F98A (scripts/setup.sh installs fonts-symbola)")
    c = make_canvas(80, 60)
    c.background(0)
    c.fill(255)
    c.text_size(40)
    c.text(fox, 10, 45)
    ink = c._read_pixels()[..., 0] > 128
    assert ink.sum() > 100
    font = c._atlas().font
    assert not font.has_glyph(fox)
    assert font.face_for(fox, 40).path != font.face(40).path     # drawn by the fallback font
    assert c.text_width(fox) > 20


def test_installed_fonts_load_by_family_name():
    import shutil

    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig is not installed")
    c = sk.Sketch()
    serif = c.load_font("DejaVu Serif")
    assert serif.path.name == "DejaVuSerif.ttf" and serif.name == "DejaVu Serif"
    with pytest.raises(SketchmlError, match="Cannot find a font named"):
        c.load_font("No Such Family Anywhere")


def test_with_graphics_begin_draw_ends_the_drawing(canvas):
    pg = canvas.create_graphics(20, 20)
    with pg.begin_draw():
        pg.translate(10, 10)
        pg.no_stroke()
        pg.fill(255, 0, 0)
        pg.rect(-5, -5, 10, 10)
    assert not pg._batch and pg._read_pixels()[10, 10].tolist() == [255, 0, 0, 255]
    canvas.image(pg, 0, 0)
    assert canvas._read_pixels()[10, 10].tolist() == [255, 0, 0, 255]


def test_strokes_at_half_pixels_stay_crisp_like_py5(canvas):
    # py5's TRIANGLE_FAN example puts vertices at x = 57.5: the line covers column 57 only
    canvas.background(255)
    canvas.stroke(0)
    canvas.line(57.5, 10, 57.5, 90)
    canvas.line(20.25, 0, 20.25, 100)
    row = canvas._read_pixels()[50, :, 0]
    assert row[57] == 0 and row[56] == 255 and row[58] == 255
    assert row[20] == 0 and row[19] == 255 and row[21] == 255
