"""Pixels: load_pixels/pixels/update_pixels round trips, get_pixels forms, set_pixels."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.errors import SketchmlError
from sketchml.graphics.image import Image


def test_pixels_round_trip(canvas):
    canvas.background(10, 20, 30)
    canvas.load_pixels()
    px = canvas.pixels
    assert px.shape == (100, 100, 4) and px.dtype == np.uint8
    assert px[50, 50].tolist() == [10, 20, 30, 255]
    px[40:60, :, :] = (255, 0, 0, 255)
    # nothing changes before update_pixels
    assert canvas._read_pixels()[50, 50].tolist() == [10, 20, 30, 255]
    canvas.update_pixels()
    back = canvas._read_pixels()
    assert back[50, 0].tolist() == [255, 0, 0, 255]
    assert back[39, 50].tolist() == [10, 20, 30, 255] and back[60, 50].tolist() == [10, 20, 30, 255]
    assert np.array_equal(back, px)


def test_update_pixels_ignores_transform_and_blending(canvas):
    canvas.background(0)
    canvas.load_pixels()
    canvas.pixels[:, :50] = (0, 255, 0, 255)
    canvas.translate(30, 30)
    canvas.scale(0.5)
    canvas.update_pixels()
    back = canvas._read_pixels()
    assert back[5, 5].tolist() == [0, 255, 0, 255] and back[95, 95].tolist() == [0, 0, 0, 255]


def test_pixels_is_one_array_refilled_by_load_pixels(make_canvas):
    c = make_canvas(10, 10)
    with pytest.raises(SketchmlError, match="load_pixels"):
        c.update_pixels()
    held = c.pixels
    assert held.shape == (10, 10, 4) and not held.any()  # zeros until the first load
    c.load_pixels()
    assert held[0, 0].tolist() == [204, 204, 204, 255] and c.pixels is held
    c.background(1, 2, 3)
    c.load_pixels()
    assert held[9, 9].tolist() == [1, 2, 3, 255]
    c._pixels_array = c.pixels.astype(np.float32)
    with pytest.raises(SketchmlError, match=r"\(H, W, 4\) uint8"):
        c.update_pixels()


def test_get_pixels_forms(canvas):
    canvas.background(0)
    canvas.no_stroke()
    canvas.fill(255, 128, 0)
    canvas.rect(20, 20, 10, 10)
    assert canvas.get_pixels(25, 25) == 0xFFFF8000
    assert canvas.get_pixels(5, 5) == 0xFF000000
    assert canvas.get_pixels(-1, 5) == 0 and canvas.get_pixels(5, 100) == 0
    whole = canvas.get_pixels()
    assert isinstance(whole, Image) and (whole.width, whole.height) == (100, 100)
    assert whole.pixels[25, 25].tolist() == [255, 128, 0, 255]
    part = canvas.get_pixels(15, 15, 10, 20)
    assert (part.width, part.height) == (10, 20)
    assert part.pixels[10, 8].tolist() == [255, 128, 0, 255] and part.pixels[0, 0].tolist() == [0, 0, 0, 255]
    edge = canvas.get_pixels(95, 95, 10, 10)  # half outside: transparent there
    assert edge.pixels[2, 2, 3] == 255 and edge.pixels[7, 7, 3] == 0
    with pytest.raises(SketchmlError, match=r"\(x, y\)"):
        canvas.get_pixels(1, 2, 3)
    with pytest.raises(SketchmlError, match="positive width"):
        canvas.get_pixels(0, 0, 0, 5)


def test_get_pixels_reads_partial_alpha_straight(make_canvas):
    pg = make_canvas(10, 10)
    pg.background(0, 0)
    pg.no_stroke()
    pg.fill(255, 0, 0, 128)
    pg.rect(0, 0, 10, 10)
    argb = pg.get_pixels(5, 5)
    assert abs((argb >> 24) - 128) <= 1 and abs(((argb >> 16) & 255) - 255) <= 2 and argb & 0xFFFF == 0


def test_set_pixels_colour_and_image(canvas):
    canvas.background(0)
    canvas.translate(10, 10)  # set_pixels ignores the transform
    canvas.set_pixels(3, 4, canvas.color(0, 0, 255))
    canvas.set_pixels(5, 5, (0, 255, 0))
    assert canvas.get_pixels(3, 4) == 0xFF0000FF and canvas.get_pixels(5, 5) == 0xFF00FF00
    assert canvas.get_pixels(13, 14) == 0xFF000000
    img = Image.from_array(np.full((3, 2, 4), 255, np.uint8))
    canvas.set_pixels(50, 60, img)
    assert canvas.get_pixels(51, 62) == 0xFFFFFFFF and canvas.get_pixels(52, 62) == 0xFF000000
