"""Blend modes against Processing's formulas, and alpha on transparent canvases."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError

DST = np.array([100, 150, 200]) / 255
SRC = np.array([200, 100, 50]) / 255


def expected(mode, a=1.0):
    """Processing's blend of SRC (with alpha a) over DST, as 0..255 floats."""
    s, d = SRC, DST
    full = {
        K.BLEND: s,
        K.ADD: np.minimum(d + s, 1),
        K.SUBTRACT: np.maximum(d - s, 0),
        K.LIGHTEST: np.maximum(d, s),
        K.DARKEST: np.minimum(d, s),
        K.EXCLUSION: s + d - 2 * s * d,
        K.MULTIPLY: s * d,
        K.SCREEN: 1 - (1 - s) * (1 - d),
    }[mode]
    if mode in (K.ADD,):
        return np.minimum(d + s * a, 1) * 255
    if mode in (K.SUBTRACT,):
        return np.maximum(d - s * a, 0) * 255
    return (d + (full - d) * a) * 255


def draw(canvas, mode, alpha=255):
    canvas.background(100, 150, 200)
    canvas.no_stroke()
    canvas.blend_mode(mode)
    canvas.fill(200, 100, 50, alpha)
    canvas.rect(10, 10, 80, 80)
    return canvas._read_pixels()[50, 50].astype(float)


@pytest.mark.parametrize(
    "mode", [K.BLEND, K.ADD, K.SUBTRACT, K.LIGHTEST, K.DARKEST, K.EXCLUSION, K.MULTIPLY, K.SCREEN]
)
def test_opaque_source_matches_processing(canvas, mode):
    px = draw(canvas, mode)
    assert np.allclose(px[:3], expected(mode), atol=2), (px, expected(mode))
    assert px[3] == 255


@pytest.mark.parametrize("mode", [K.BLEND, K.ADD, K.SUBTRACT, K.MULTIPLY, K.SCREEN, K.EXCLUSION])
def test_translucent_source_mixes_by_alpha(canvas, mode):
    px = draw(canvas, mode, alpha=128)
    assert np.allclose(px[:3], expected(mode, 128 / 255), atol=3), (px, expected(mode, 128 / 255))


def test_difference_is_exact_for_white_and_black_sources(canvas, rgba_at):
    canvas.background(100, 150, 200)
    canvas.no_stroke()
    canvas.blend_mode(K.DIFFERENCE)
    canvas.fill(255)
    canvas.rect(0, 0, 50, 100)
    canvas.fill(0)
    canvas.rect(50, 0, 50, 100)
    assert np.allclose(rgba_at(canvas, 25, 50)[:3], [155, 105, 55], atol=2)
    assert np.allclose(rgba_at(canvas, 75, 50)[:3], [100, 150, 200], atol=2)


def test_replace_writes_alpha_through(canvas, rgba_at):
    canvas.background(100, 150, 200)
    canvas.no_stroke()
    canvas.blend_mode(K.REPLACE)
    canvas.fill(200, 100, 50, 128)
    canvas.rect(10, 10, 80, 80)
    px = rgba_at(canvas, 50, 50)
    assert abs(px[3] - 128) <= 1
    assert np.allclose(px[:3], [200, 100, 50], atol=3)


def test_darkest_leaves_the_corners_of_a_circle_alone(canvas, rgba_at):
    canvas.background(255)
    canvas.no_stroke()
    canvas.blend_mode(K.DARKEST)
    canvas.fill(0, 0, 255)
    canvas.circle(50, 50, 80)
    assert rgba_at(canvas, 50, 50)[:3].tolist() == [0, 0, 255]
    assert rgba_at(canvas, 14, 14)[:3].tolist() == [255, 255, 255]


def test_blend_mode_applies_only_to_later_shapes(canvas, rgba_at):
    canvas.background(0)
    canvas.no_stroke()
    canvas.fill(100)
    canvas.rect(0, 0, 50, 50)
    canvas.blend_mode(K.ADD)
    canvas.rect(0, 0, 50, 50)
    canvas.rect(50, 50, 50, 50)
    canvas.blend_mode(K.BLEND)
    assert rgba_at(canvas, 25, 25)[0] == 200
    assert rgba_at(canvas, 75, 75)[0] == 100


def test_unknown_blend_mode(canvas):
    with pytest.raises(SketchmlError, match="blend_mode"):
        canvas.blend_mode(3)


def test_transparent_canvas_keeps_straight_colour_and_alpha(make_canvas, rgba_at):
    c = make_canvas(50, 50)
    c.background(0, 0)
    c.no_stroke()
    c.fill(255, 0, 0, 128)
    c.rect(0, 0, 30, 50)
    c.rect(20, 0, 30, 50)                          # overlap in 20..30
    single = rgba_at(c, 10, 25)
    double = rgba_at(c, 25, 25)
    assert np.allclose(single, [255, 0, 0, 128], atol=1)
    assert np.allclose(double, [255, 0, 0, 192], atol=2)
    assert rgba_at(c, 40, 25)[3] == 128
    tex = c._texture()                              # the texture is premultiplied
    data = np.frombuffer(tex.read(), np.uint8).reshape(50, 50, 4)
    assert np.allclose(data[25, 10], [128, 0, 0, 128], atol=1)


def test_antialiased_edge_on_transparent_canvas_is_not_darkened(make_canvas):
    c = make_canvas(60, 60)
    c.background(255, 255, 255, 0)
    c.no_stroke()
    c.fill(255, 255, 255)
    c.circle(30, 30, 41)
    px = c._read_pixels()
    edge = px[30, 9]                                 # partially covered pixel on the rim
    assert 0 < edge[3] < 255
    assert edge[:3].tolist() == [255, 255, 255]
