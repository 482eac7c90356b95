"""Colour parsing, colour modes, color() and lerp_color()."""
from __future__ import annotations

import pytest

from sketchml import constants as K
from sketchml.errors import ApiUsageError, SketchmlError
from sketchml.graphics.canvas import Canvas
from sketchml.graphics.color import ColorMode, parse_color


def approx(rgba, expected, tol=1 / 255):
    return all(abs(a - b) <= tol for a, b in zip(rgba, expected))


@pytest.mark.parametrize(
    "args, expected",
    [
        ((0,), (0, 0, 0, 1)),
        ((255,), (1, 1, 1, 1)),
        ((51, 102), (0.2, 0.2, 0.2, 0.4)),
        ((255, 0, 0), (1, 0, 0, 1)),
        ((0, 255, 0, 51), (0, 1, 0, 0.2)),
        (("#f80",), (1, 0x88 / 255, 0, 1)),
        (("#ff8000",), (1, 128 / 255, 0, 1)),
        (("#ff800080",), (1, 128 / 255, 0, 128 / 255)),
        (("red",), (1, 0, 0, 1)),
        (("SteelBlue",), (70 / 255, 130 / 255, 180 / 255, 1)),
        (("red", 51), (1, 0, 0, 0.2)),
        (((10, 20, 30),), (10 / 255, 20 / 255, 30 / 255, 1)),
        (([10, 20, 30, 40],), (10 / 255, 20 / 255, 30 / 255, 40 / 255)),
        ((0xFF336699,), (0x33 / 255, 0x66 / 255, 0x99 / 255, 1)),
        ((-16777216,), (0, 0, 0, 1)),                       # Java's signed int for opaque black
        ((0xFF0000FF, 51), (0, 0, 1, 0.2)),
    ],
)
def test_parse_forms(args, expected):
    assert approx(parse_color(args), expected)


def test_unknown_name_suggests():
    with pytest.raises(SketchmlError, match="Did you mean.*'orange'"):
        parse_color(("ornage",))


def test_bad_hex_and_bad_count():
    with pytest.raises(SketchmlError, match="hex"):
        parse_color(("#12345",))
    with pytest.raises(ApiUsageError, match="expected 1 to 4 colour values"):
        parse_color((1, 2, 3, 4, 5))
    with pytest.raises(ApiUsageError, match="cannot be True/False"):
        parse_color((True,))


def test_hsb_mode():
    c = Canvas(10, 10)
    c.color_mode(K.HSB, 360, 100, 100)
    assert c.color(0, 100, 100) == 0xFFFF0000
    assert c.color(120, 100, 100) == 0xFF00FF00
    assert c.color(240, 100, 50) == 0xFF000080
    assert c.color(360, 100, 100) == 0xFFFF0000       # hue wraps
    c.fill(60, 100, 100)
    assert approx(c._fill_rgba, (1, 1, 0, 1))
    c.fill(50)                                         # gray reads against brightness in HSB
    assert approx(c._fill_rgba, (0.5, 0.5, 0.5, 1))


def test_color_mode_maxima():
    c = Canvas(10, 10)
    c.color_mode(K.RGB, 1.0)
    c.fill(1.0, 0.5, 0.0, 0.5)
    assert approx(c._fill_rgba, (1, 0.5, 0, 0.5))
    c.color_mode(K.RGB, 100, 100, 100, 10)
    c.stroke(50, 0, 100, 5)
    assert approx(c._stroke_rgba, (0.5, 0, 1, 0.5))
    with pytest.raises(SketchmlError):
        c.color_mode(7)


def test_color_returns_argb_and_round_trips():
    c = Canvas(10, 10)
    value = c.color(255, 128, 0, 64)
    assert value == 0x40FF8000
    c.fill(value)
    assert approx(c._fill_rgba, (1, 128 / 255, 0, 64 / 255))
    assert c.color("#102030") == 0xFF102030
    assert ColorMode().max1 == 255


def test_lerp_color_rgb_and_hsb():
    c = Canvas(10, 10)
    mid = c.lerp_color(c.color(0, 0, 0), c.color(255, 255, 255), 0.5)
    assert mid == 0xFF808080
    assert c.lerp_color(c.color(255, 0, 0), c.color(0, 0, 255), 0.0) == 0xFFFF0000
    assert c.lerp_color(c.color(255, 0, 0), c.color(0, 0, 255), 1.0) == 0xFF0000FF
    c.color_mode(K.HSB, 360, 100, 100)
    # red -> green through yellow (the short way round the hue circle)
    assert c.lerp_color(c.color(0, 100, 100), c.color(120, 100, 100), 0.5) == 0xFFFFFF00


def test_hsb_fill_draws_that_colour(canvas, rgba_at, assert_rgba):
    canvas.color_mode(K.HSB, 360, 100, 100)
    canvas.no_stroke()
    canvas.fill(240, 100, 100)
    canvas.rect(0, 0, 50, 50)
    assert_rgba(rgba_at(canvas, 25, 25), [0, 0, 255, 255], tol=1)


def test_default_style():
    c = Canvas(10, 10)
    assert c._fill_rgba == (1.0, 1.0, 1.0, 1.0)
    assert c._stroke_rgba == (0.0, 0.0, 0.0, 1.0)
    assert c._stroke_weight == 1.0
