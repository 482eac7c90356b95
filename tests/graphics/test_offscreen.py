"""Offscreen graphics: transparent by default, composited over the canvas, full drawing API."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics.canvas import Canvas
from sketchml.graphics.offscreen import Graphics


def test_graphics_composites_with_transparent_areas(canvas, rgba_at, assert_rgba):
    canvas.background(0, 0, 255)
    pg = canvas.create_graphics(50, 50)
    assert isinstance(pg, Graphics) and isinstance(pg, Canvas)
    assert pg.get_pixels(0, 0) == 0  # starts transparent
    pg.begin_draw()
    pg.no_stroke()
    pg.fill(255, 0, 0)
    pg.circle(25, 25, 20)
    pg.fill(0, 255, 0, 128)
    pg.rect(0, 40, 50, 10)
    pg.end_draw()
    canvas.image(pg, 25, 25)
    assert_rgba(rgba_at(canvas, 50, 50), (255, 0, 0, 255))  # the circle
    assert_rgba(rgba_at(canvas, 30, 30), (0, 0, 255, 255))  # transparent corner of pg
    assert_rgba(rgba_at(canvas, 10, 10), (0, 0, 255, 255))  # outside pg
    assert_rgba(rgba_at(canvas, 50, 70), (0, 128, 127, 255), tol=3)  # half green over blue


def test_graphics_scaled_tinted_and_transformed(canvas, rgba_at, assert_rgba):
    canvas.background(255)
    pg = canvas.create_graphics(10, 10)
    pg.background(0)
    canvas.tint(255, 128)
    canvas.translate(50, 0)
    canvas.image(pg, 0, 0, 40, 40)
    assert_rgba(rgba_at(canvas, 60, 20), (127, 127, 127, 255), tol=3)
    assert_rgba(rgba_at(canvas, 20, 20), (255, 255, 255, 255))


def test_begin_draw_resets_transform_and_all_drawing_works(canvas, rgba_at, assert_rgba):
    pg = canvas.create_graphics(60, 60)
    pg.translate(30, 30)
    pg.begin_draw()
    pg.no_stroke()
    pg.fill(255)
    pg.rect(0, 0, 10, 10)  # at the origin again
    pg.fill(0, 255, 0)
    pg.text_size(20)
    pg.text("Hi", 20, 40)
    pg.image(np.full((4, 4, 3), [0, 0, 255], np.uint8), 40, 0, 10, 10)
    pg.end_draw()
    assert pg.get_pixels(5, 5) == 0xFFFFFFFF
    assert pg.get_pixels(35, 35) == 0
    assert pg.get_pixels(45, 5) == 0xFF0000FF
    px = pg._read_pixels()
    assert (px[20:45, 20:45, 1] > 200).any()  # the green text
    canvas.background(0)
    canvas.image(pg, 0, 0)
    assert_rgba(rgba_at(canvas, 45, 5), (0, 0, 255, 255))


def test_graphics_on_graphics_and_save(canvas, tmp_path):
    outer = canvas.create_graphics(40, 40)
    inner = outer.create_graphics(20, 20)
    inner.background(255, 0, 0)
    outer.image(inner, 10, 10)
    assert outer.get_pixels(15, 15) == 0xFFFF0000 and outer.get_pixels(5, 5) == 0
    outer.save(tmp_path / "outer.png")
    assert (tmp_path / "outer.png").stat().st_size > 0


def test_create_graphics_needs_a_context():
    with pytest.raises(SketchmlError, match="setup"):
        Canvas(10, 10).create_graphics(5, 5)


def test_end_draw_checks_push_pop_balance(canvas):
    pg = canvas.create_graphics(10, 10)
    pg.begin_draw()
    pg.push()
    with pytest.raises(SketchmlError, match="push"):
        pg.end_draw()


def test_blend_modes_draw_graphics(canvas, rgba_at, assert_rgba):
    canvas.background(100, 100, 100)
    pg = canvas.create_graphics(10, 10)
    pg.background(50, 0, 200)
    canvas.blend_mode(K.ADD)
    canvas.image(pg, 0, 0, 100, 100)
    assert_rgba(rgba_at(canvas, 50, 50), (150, 100, 255, 255))


def test_a_graphics_releases_its_gl_objects_when_collected(canvas):
    import gc

    pg = canvas.create_graphics(16, 16)
    pg.circle(8, 8, 10)
    fbo, texture = pg.fbo, pg._color_tex
    pg._resize(20, 20)  # the first framebuffer is released by the reallocation
    assert type(fbo.mglo).__name__ == "InvalidObject"
    fbo, texture = pg.fbo, pg._color_tex
    del pg
    gc.collect()
    assert type(fbo.mglo).__name__ == "InvalidObject"
    assert type(texture.mglo).__name__ == "InvalidObject"
