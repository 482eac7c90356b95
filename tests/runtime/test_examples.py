"""Every docstring example in the runtime, maths, video and run-command modules runs."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sketchml.maths",
    "sketchml.media.video",
    "sketchml.runtime.events",
    "sketchml.runtime.imported",
    "sketchml.runtime.loop",
    "sketchml.runtime.module_api",
    "sketchml.runtime.notebook",
    "sketchml.runtime.reload",
    "sketchml.runtime.sketch",
    "sketchml.runtime.tracebacks",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
