"""The examples in the plugin kit's docstrings run."""
from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module_name", [
    "sketchml.testing", "sketchml.testing.conformance", "sketchml.testing.plugin",
    "sketchml.cli.new_plugin",
])
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if module_name != "sketchml.testing.plugin":  # its fixture examples are for pytest to run
        assert result.attempted > 0
