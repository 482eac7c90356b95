"""Every docstring example in sketchml.learn runs, and every public name has one."""
from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

MODULES = ["sketchml.learn", "sketchml.learn.algorithms", "sketchml.learn.dtw",
           "sketchml.learn.features", "sketchml.learn.learner", "sketchml.learn.midi_in",
           "sketchml.learn.osc", "sketchml.learn.store"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_public_names_have_examples():
    import sketchml.learn as learn
    from sketchml.learn import features

    names = [(name, getattr(learn, name)) for name in learn.__all__]
    names += [(f"features.{name}", getattr(features, name)) for name in features.__all__]
    missing = [name for name, value in names if "Examples:" not in (inspect.getdoc(value) or "")]
    assert not missing, missing
