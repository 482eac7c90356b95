"""Every docstring example in sketchml.graphics runs (headless, on the process's EGL
context), so an example that goes stale with the API fails here, not in a reader's hands."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sketchml.graphics

MODULES = sorted(
    f"sketchml.graphics.{info.name}" for info in pkgutil.iter_modules(sketchml.graphics.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, gl_ctx):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_the_modules_have_examples():
    counts = {name: doctest.testmod(importlib.import_module(name), verbose=False).attempted
              for name in MODULES}
    assert len(counts) >= 20
    # The drawing modules document their calls with examples.
    for name in ("canvas", "shapes", "curves", "arrays", "renderer", "pixels", "numpy_pixels"):
        assert counts[f"sketchml.graphics.{name}"] >= 3, name
