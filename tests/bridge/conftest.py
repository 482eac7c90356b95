"""Fixtures for bridge tests: a canvas on the process's headless EGL context."""
from __future__ import annotations

import pytest

from sketchml.graphics.canvas import Canvas
from sketchml.graphics.context import create_headless_context


@pytest.fixture
def canvas():
    """A 16x16 black canvas inside a frame."""
    c = Canvas(16, 16)
    c._gl_init(create_headless_context())
    c._begin_frame()
    c.background(0)
    yield c
    c.fbo.release()
    c._color_tex.release()
