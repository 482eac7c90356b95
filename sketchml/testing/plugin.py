"""The pytest plugin behind ``sketchml.testing`` (the ``pytest11`` entry point ``sketchml``).

pytest loads this module in every test run of every environment where sketchml
is installed, so importing it must cost nothing and change nothing: it only
defines fixtures, and each fixture imports what it needs when a test asks for it.

Fixtures:

* ``sketchml_registry`` -- a fresh :class:`sketchml.Registry` that does not scan
  the installed plugins; register yours with ``sketchml_registry.register(module)``.
  ``sk.model()`` and ``sk.models()`` use it for the duration of the test.
* ``sketchml_gl`` -- the process's headless OpenGL context (EGL), or a skip that
  says why there is none.
* ``sketchml_canvas`` -- a 64x64 black :class:`~sketchml.graphics.canvas.Canvas` on
  that context, inside a frame; read it back with ``sketchml_canvas._read_pixels()``.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import moderngl

    from sketchml.graphics.canvas import Canvas
    from sketchml.models.registry import Registry

__all__ = ["sketchml_canvas", "sketchml_gl", "sketchml_registry"]

CANVAS_SIZE = 64


@pytest.fixture
def sketchml_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A fresh registry without entry-point discovery, used by ``sk.model`` during the test.

    Plugins are registered explicitly, exactly as an entry point would register
    them. Strict mode (``SKETCHML_STRICT_PLUGINS=1``) is on, so a plugin whose
    hook fails raises :class:`sketchml.PluginError` instead of only warning.

    Examples:
        >>> def test_noise_is_listed(sketchml_registry):  # doctest: +SKIP
        ...     import sketchml as sk, sketchml_noise
        ...     sketchml_registry.register(sketchml_noise)
        ...     assert [e.name for e in sk.models()] == ["noise.default"]
    """
    from sketchml.models import registry as registry_module

    fresh = registry_module.Registry(discover=False)
    monkeypatch.setenv("SKETCHML_STRICT_PLUGINS", "1")
    # sk.model()/sk.models() read the process-wide registry: point it at this one.
    monkeypatch.setattr(registry_module, "_default", fresh)
    return fresh


@pytest.fixture(scope="session")
def sketchml_gl() -> moderngl.Context:
    """The process's headless OpenGL context (EGL); the test is skipped when there is none.

    Examples:
        >>> def test_gl_version(sketchml_gl):  # doctest: +SKIP
        ...     assert sketchml_gl.version_code >= 330
    """
    from sketchml.errors import SketchmlError
    from sketchml.graphics import context

    try:
        return context.create_headless_context()
    except SketchmlError as err:
        pytest.skip(f"sketchml GL tests need a headless OpenGL context and none is available: {err}")


@pytest.fixture
def sketchml_canvas(sketchml_gl: moderngl.Context) -> Iterator[Canvas]:
    """A 64x64 canvas, cleared to black, on the headless context and inside a frame.

    ``canvas._resize(w, h)`` changes its size; ``canvas._read_pixels()`` gives
    ``(H, W, 4)`` uint8 RGBA, row 0 at the top.

    Examples:
        >>> def test_red_circle(sketchml_canvas):  # doctest: +SKIP
        ...     sketchml_canvas.fill(255, 0, 0)
        ...     sketchml_canvas.circle(32, 32, 20)
        ...     assert sketchml_canvas._read_pixels()[32, 32].tolist() == [255, 0, 0, 255]
    """
    from sketchml.graphics.canvas import Canvas

    canvas = Canvas(CANVAS_SIZE, CANVAS_SIZE)
    canvas._gl_init(sketchml_gl)
    canvas._begin_frame()
    canvas.background(0)
    yield canvas
    canvas.fbo.release()
    canvas._color_tex.release()
