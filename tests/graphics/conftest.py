"""Shared fixtures for graphics tests: canvases on the process's headless EGL context."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.graphics.canvas import Canvas
from sketchml.graphics.context import create_headless_context


@pytest.fixture(scope="session")
def gl_ctx():
    """The process-wide headless OpenGL context (EGL, Mesa llvmpipe on CPU)."""
    return create_headless_context()


@pytest.fixture
def make_canvas(gl_ctx):
    """Factory: ``make_canvas(w, h)`` gives a fresh GL-attached Canvas inside a frame."""
    made = []

    def make(width: int = 100, height: int = 100) -> Canvas:
        c = Canvas(width, height)
        c._gl_init(gl_ctx)
        c._begin_frame()
        made.append(c)
        return c

    yield make
    for c in made:
        c.fbo.release()
        c._color_tex.release()


@pytest.fixture
def canvas(make_canvas):
    """A 100x100 canvas on a black background, inside a frame."""
    c = make_canvas(100, 100)
    c.background(0)
    return c


def _rgba_at(canvas: Canvas, x: int, y: int) -> np.ndarray:
    return canvas._read_pixels()[y, x].astype(int)


def _assert_rgba(actual, expected, tol: int = 3) -> None:
    actual = np.asarray(actual, dtype=int)
    expected = np.asarray(expected, dtype=int)
    assert np.all(np.abs(actual[: len(expected)] - expected) <= tol), (
        f"pixel {actual.tolist()} != expected {expected.tolist()} (tolerance {tol})"
    )


@pytest.fixture
def rgba_at():
    """``rgba_at(canvas, x, y)``: the pixel at column x, row y as 4 ints (straight RGBA)."""
    return _rgba_at


@pytest.fixture
def assert_rgba():
    """``assert_rgba(actual, expected, tol=3)``: compare a pixel with a colour, per channel."""
    return _assert_rgba
