"""Long runs of shapes are drawn a chunk at a time (issue 17, drawing speed): a loop of
per-call shapes is drawn in runs (``R.FIRST_RUN`` records, then twice as many, up to
``R.INSTANCE_CHUNK``), and an instanced batch of more than ``R.INSTANCE_CHUNK`` shapes in
several draw calls, each handed to the GL at once. The picture must be the one drawing
everything in one call gives, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.graphics import renderer as R
from sketchml.graphics.canvas import Canvas


def _chunks(monkeypatch, run: int, chunk: int) -> None:
    monkeypatch.setattr(R, "FLUSH_SHAPES", run)
    monkeypatch.setattr(R, "FIRST_RUN", run)
    monkeypatch.setattr(R, "INSTANCE_CHUNK", chunk)


def _per_call(c: Canvas, rng: np.random.Generator) -> None:
    c.background(255)
    c.stroke(0)
    for i in range(700):
        if i == 400:  # a second style part-way through a run
            c.fill(200, 30, 30, 90)
            c.stroke_weight(2)
        x, y = rng.uniform(-5, 125, 2)
        # Mostly circles, some ellipses and rectangles: chunks differ in the kinds they hold.
        w = float(rng.choice([6.0, 6.0, 6.0, 9.0]))
        if i % 7 == 3:
            c.rect(x, y, w, 5.0)
        else:
            c.ellipse(x, y, w, 6.0 if i % 5 else w)
    c.line(0, 0, 120, 90)
    c.point(60, 45)


def _arrays(c: Canvas, rng: np.random.Generator) -> None:
    c.background(255)
    c.fill(30, 120, 220, 128)
    c.stroke(0)
    n = 900
    c.circles(rng.uniform(0, 120, n), rng.uniform(0, 90, n), rng.choice([5.0, 7.0, 12.0], n),
              fills=rng.uniform(0, 1, (n, 4)))


@pytest.mark.parametrize("draw", [_per_call, _arrays])
def test_drawing_in_chunks_gives_the_picture_of_one_draw(make_canvas, monkeypatch, draw):
    pictures = []
    # One draw call for everything, then runs and chunks of a few hundred shapes
    # (the real sizes, in the thousands, take longer to test and behave the same).
    for run, chunk in ((10**9, 10**9), (128, 256), (97, 300), (40, 1000)):
        _chunks(monkeypatch, run, chunk)
        c = make_canvas(120, 90)
        c.fill(30, 120, 220, 128)
        draw(c, np.random.default_rng(3))
        c._flush()
        pictures.append(c._read_pixels())
    assert (pictures[0] != 255).any()
    for picture in pictures[1:]:
        assert np.array_equal(picture, pictures[0])


def test_a_loop_of_calls_is_drawn_while_it_runs(make_canvas, monkeypatch):
    _chunks(monkeypatch, 100, 256)
    drawn, handed = [], []
    c = make_canvas(60, 60)
    original = c._renderer.draw

    def counting(rows, size, **kw):
        drawn.append(len(rows))
        return original(rows, size, **kw)

    monkeypatch.setattr(c._renderer, "draw", counting)
    monkeypatch.setattr(c._renderer, "flush_gl", lambda: handed.append(len(drawn)))
    for i in range(700):
        c.ellipse(i % 60, 30, 4, 4)
    # Runs of 100, then twice as many, up to the chunk size; each handed to the GL.
    assert drawn == [100, 200, 256]
    assert sorted(set(handed)) == [1, 2, 3]  # (the renderer may hand a big one over too)
    assert len(c._batch) == 700 - 556
    c._flush()
    assert drawn == [100, 200, 256, 144]
    # The next loop starts with a short run again.
    for i in range(150):
        c.rect(i % 60, 10, 3, 3)
    assert drawn[4:] == [100]


def test_a_canvas_with_no_gl_yet_keeps_recording(gl_ctx, monkeypatch):
    _chunks(monkeypatch, 100, 256)
    c = Canvas(60, 60)
    for i in range(250):
        c.ellipse(i % 60, 30, 4, 4)
    assert len(c._batch) == 250  # nothing to draw on yet, and no error
    c._gl_init(gl_ctx)  # (which starts the canvas afresh, as before)
    c._begin_frame()
    c.background(0)
    c.fill(255)
    c.no_stroke()
    c.ellipse(30, 30, 10, 10)
    assert c._read_pixels()[30, 30].tolist() == [255, 255, 255, 255]


def test_gl_flush_is_found_on_the_headless_context(gl_ctx):
    flush = R.gl_flush_function(gl_ctx)
    # The real glFlush (a ctypes function), not the no-op fallback.
    assert type(flush).__name__ == "CFunctionType"
    flush()
