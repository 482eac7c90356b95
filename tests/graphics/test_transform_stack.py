"""Transforms, push/pop of matrix and style, the frame life cycle."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError


def test_translate_moves_shapes(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.translate(60, 60)
    canvas.rect(0, 0, 20, 20)
    assert rgba_at(canvas, 70, 70)[0] == 255
    assert rgba_at(canvas, 10, 10)[0] == 0


def test_rotate_is_clockwise_on_screen(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.translate(50, 50)
    canvas.rotate(K.HALF_PI)
    canvas.rect(0, -5, 40, 10)          # along +x before rotating -> along +y (down) after
    assert rgba_at(canvas, 50, 80)[0] == 255
    assert rgba_at(canvas, 80, 50)[0] == 0


def test_scale_scales_stroke_too(canvas, rgba_at):
    canvas.no_fill()
    canvas.stroke(255)
    canvas.stroke_weight(2)
    canvas.scale(5)
    canvas.line(2, 10, 18, 10)           # a 10 px thick line at y = 50
    assert rgba_at(canvas, 50, 46)[0] == 255
    assert rgba_at(canvas, 50, 54)[0] == 255
    assert rgba_at(canvas, 50, 57)[0] == 0


def test_non_uniform_scale_makes_an_ellipse(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.translate(50, 50)
    canvas.scale(2, 0.5)
    canvas.circle(0, 0, 40)             # 80 wide, 20 tall
    assert rgba_at(canvas, 88, 50)[0] == 255
    assert rgba_at(canvas, 50, 63)[0] == 0


def test_shear(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255)
    canvas.shear_x(math.atan(1.0))      # x' = x + y
    canvas.rect(0, 40, 20, 20)          # rows 40..60 shifted right by their y
    assert rgba_at(canvas, 55, 50)[0] == 255
    assert rgba_at(canvas, 10, 50)[0] == 0
    canvas.reset_matrix()
    canvas.shear_y(math.atan(1.0))      # y' = y + x
    canvas.rect(40, 0, 20, 10)
    assert rgba_at(canvas, 50, 55)[0] == 255


def test_matrix_contract(canvas):
    canvas.translate(10, 20)
    canvas.scale(2)
    m = canvas._matrix()
    assert m.dtype == np.float64 and m.shape == (3, 3)
    assert np.allclose(m @ [1, 1, 1], [12, 22, 1])


def test_push_pop_restores_matrix_and_style(canvas, rgba_at):
    canvas.no_stroke()
    canvas.fill(255, 0, 0)
    canvas.push()
    canvas.translate(50, 0)
    canvas.fill(0, 255, 0)
    canvas.stroke_weight(9)
    canvas.rect(0, 0, 10, 10)
    canvas.pop()
    canvas.rect(0, 0, 10, 10)
    assert rgba_at(canvas, 55, 5)[:3].tolist() == [0, 255, 0]
    assert rgba_at(canvas, 5, 5)[:3].tolist() == [255, 0, 0]
    assert canvas._stroke_weight == 1.0
    assert canvas._stroke_rgba is None


def test_push_matrix_and_push_style_are_separate(canvas):
    canvas.push_matrix()
    canvas.fill(1, 2, 3)
    canvas.translate(5, 5)
    canvas.pop_matrix()
    assert canvas._matrix()[0, 2] == 0
    assert canvas._fill_rgba[0] == pytest.approx(1 / 255)
    canvas.push_style()
    canvas.translate(7, 0)
    canvas.fill(200)
    canvas.color_mode(K.HSB, 1.0)
    canvas.rect_mode(K.CENTER)
    canvas.pop_style()
    assert canvas._matrix()[0, 2] == 7
    assert canvas._fill_rgba[0] == pytest.approx(1 / 255)
    assert canvas._color_mode.mode == K.RGB
    assert canvas._rect_mode == K.CORNER


def test_pop_without_push_raises_at_once(canvas):
    with pytest.raises(SketchmlError, match="pop\\(\\) without push\\(\\)"):
        canvas.pop()
    with pytest.raises(SketchmlError, match="without push_matrix"):
        canvas.pop_matrix()
    with pytest.raises(SketchmlError, match="without push_style"):
        canvas.pop_style()


def test_push_without_pop_is_reported_at_frame_end(canvas, rgba_at):
    canvas.fill(255)
    canvas.no_stroke()
    canvas.push()
    canvas.rect(0, 0, 10, 10)
    with pytest.raises(SketchmlError, match="push\\(\\) without pop\\(\\)"):
        canvas._end_frame()
    assert rgba_at(canvas, 5, 5)[0] == 255        # the frame was still drawn
    canvas._begin_frame()
    canvas._end_frame()                            # and the next frame starts clean


def test_begin_frame_resets_matrix_keeps_style(canvas):
    canvas.translate(30, 30)
    canvas.fill(10, 20, 30)
    canvas._end_frame()
    canvas._begin_frame()
    assert np.allclose(canvas._matrix(), np.eye(3))
    assert canvas._fill_rgba[2] == pytest.approx(30 / 255)


def test_mixin_style_attributes_are_pushed(make_canvas):
    from sketchml.graphics.canvas import Canvas

    class Styled(Canvas):
        _STYLE_ATTRS = ("_extra",)
        _extra = "a"

    c = Styled(10, 10)
    c.push_style()
    c._extra = "b"
    c.pop_style()
    assert c._extra == "a"
