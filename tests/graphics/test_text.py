"""Text: ink appears in the fill colour inside the expected box, alignment moves it, fonts load."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics.text import DEFAULT_FONT_PATH, Font


def ink_box(canvas, colour=(255, 0, 0)):
    """(x0, y0, x1, y1) of the pixels close to ``colour`` (inclusive), or None."""
    px = canvas._read_pixels()[..., :3].astype(int)
    # anti-aliased edges blend with the black background; keep clearly tinted pixels
    weight = px @ np.array(colour) / (np.dot(colour, colour) or 1)
    other = px - weight[..., None] * np.array(colour)
    mask = (weight > 0.35) & (np.abs(other).max(axis=-1) < 40)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return xs.min(), ys.min(), xs.max(), ys.max()


@pytest.fixture
def text_canvas(make_canvas):
    c = make_canvas(200, 120)
    c.background(0)
    c.fill(255, 0, 0)
    c.text_size(24)
    return c


def test_text_draws_in_fill_colour_inside_its_box(text_canvas):
    c = text_canvas
    c.text("Hello", 20, 60)
    x0, y0, x1, y1 = ink_box(c)
    width, ascent, descent = c.text_width("Hello"), c.text_ascent(), c.text_descent()
    assert 20 <= x0 <= 24 and x1 <= 20 + width + 1
    assert x1 >= 20 + width - 4  # the ink spans the measured width
    assert 60 - ascent - 1 <= y0 < 60 - 10 and y1 <= 60 + 1  # no descenders in "Hello"
    assert ink_box(c, (0, 255, 0)) is None


def test_horizontal_alignment_moves_the_ink(text_canvas):
    c = text_canvas
    c.text_align(K.CENTER)
    c.text("Mid", 100, 60)
    x0, _, x1, _ = ink_box(c)
    assert abs((x0 + x1) / 2 - 100) <= 2
    c.background(0)
    c.text_align(K.RIGHT)
    c.text("Right", 150, 60)
    x0, _, x1, _ = ink_box(c)
    assert 146 <= x1 <= 150 and x0 < 120


def test_vertical_alignment_moves_the_ink(text_canvas):
    c = text_canvas
    c.text_align(K.LEFT, K.TOP)
    c.text("Top", 10, 20)
    _, y0, _, _ = ink_box(c)
    assert 20 <= y0 <= 26
    c.background(0)
    c.text_align(K.LEFT, K.BOTTOM)
    c.text("Bgy", 10, 100)
    _, _, _, y1 = ink_box(c)
    assert 92 <= y1 <= 100
    c.background(0)
    c.text_align(K.LEFT, K.CENTER)
    c.text("HH", 10, 60)
    _, y0, _, y1 = ink_box(c)
    assert abs((y0 + y1) / 2 - 60) <= 4


def test_multiple_lines_and_leading(text_canvas):
    c = text_canvas
    c.text_leading(40)
    c.text("A\nA", 10, 40)
    px = c._read_pixels()[..., 0] > 128
    rows = np.nonzero(px.any(axis=1))[0]
    assert rows.min() < 40 and rows.max() < 80 and rows.max() > 60
    gap = np.setdiff1d(np.arange(rows.min(), rows.max() + 1), rows)
    assert len(gap) > 5  # two separate bands of ink
    assert c.text_leading() == 40
    c.text_size(10)
    assert c.text_leading() == pytest.approx((c.text_ascent() + c.text_descent()) * 1.275)


def test_text_box_wraps_words_inside_the_box(text_canvas):
    c = text_canvas
    c.text_size(14)
    c.text("the quick brown fox jumps over the lazy dog", 20, 10, 80, 100)
    x0, y0, x1, y1 = ink_box(c)
    # the first baseline is ascent (the height of 'd') below the top, as in Processing;
    # 'f' and 'k' reach a fraction of a pixel higher
    assert x0 >= 20 and x1 < 100 and y0 >= 9 and y1 < 110
    assert y1 - y0 > 3 * c.text_ascent()  # several lines
    c.background(0)
    c.text("one two three four five six seven eight nine ten", 20, 10, 80, 20)
    _, _, _, y1 = ink_box(c)
    assert y1 < 30  # lines beyond the box height are left out


def test_transform_moves_text_and_no_fill_hides_it(text_canvas):
    c = text_canvas
    c.translate(100, 0)
    c.text("T", 0, 60)
    x0, _, _, _ = ink_box(c)
    assert 100 <= x0 <= 106
    c.background(0)
    c.no_fill()
    c.text("hidden", 10, 60)
    assert ink_box(c) is None


def test_push_pop_restores_text_settings(text_canvas):
    c = text_canvas
    c.push()
    c.text_size(50)
    c.text_align(K.RIGHT, K.TOP)
    c.pop()
    assert c._text_size_px == 24 and c._text_align_x == K.LEFT and c._text_align_y == K.BASELINE


def test_metrics_and_fonts(text_canvas, tmp_path):
    c = text_canvas
    assert c.text_width("ab") > c.text_width("a") > 0
    assert c.text_width("long line\nx") == pytest.approx(c.text_width("long line"))
    small = c.text_ascent()
    c.text_size(48)
    assert c.text_ascent() > 1.8 * small
    font = c.load_font(DEFAULT_FONT_PATH)
    assert isinstance(font, Font) and font.name == "DejaVu Sans"
    big = c.create_font("DejaVu Sans", 30)
    c.text_font(big)
    assert c._text_size_px == 30
    c.text_font(font, 16)
    assert c._text_size_px == 16
    c.text("ok", 10, 60)
    assert ink_box(c) is not None


def test_font_errors_name_the_path(text_canvas, tmp_path):
    c = text_canvas
    missing = tmp_path / "fonts" / "Nope.ttf"
    with pytest.raises(SketchmlError) as info:
        c.load_font(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(SketchmlError, match="Cannot find a font named 'dejavu sanz'.*Did you mean"):
        c.load_font("dejavu sanz")
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(SketchmlError, match="Cannot read the font"):
        c.load_font(bad)
    with pytest.raises(SketchmlError, match="load_font"):
        c.text_font("DejaVu Sans")
    with pytest.raises(SketchmlError, match="LEFT, CENTER or RIGHT"):
        c.text_align(K.TOP)


def test_new_characters_grow_the_atlas(text_canvas):
    c = text_canvas
    c.text_size(40)
    many = "".join(chr(cp) for cp in range(0x21, 0x17F) if chr(cp).isprintable())
    c.text(many, 0, 60)
    atlas = c._atlas()
    assert atlas.size > 256
    c.background(0)
    c.text("Ωq", 10, 60)  # glyphs placed before the growth still draw correctly
    assert ink_box(c) is not None


def test_one_draw_call_per_text_call(text_canvas, monkeypatch):
    import sketchml.graphics.text as text_module

    calls = []
    real = text_module.draw_textured

    def counting(*args, **kwargs):
        calls.append(len(args[4]))  # the vertices: 6 per glyph quad
        return real(*args, **kwargs)

    monkeypatch.setattr(text_module, "draw_textured", counting)
    text_canvas.text("many glyphs\non two lines", 10, 40)
    assert calls == [6 * len("manyglyphsontwolines")]
    assert ink_box(text_canvas) is not None
