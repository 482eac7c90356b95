"""Every docstring example of the sound modules runs (the docs show them as code)."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sketchml.media.soundtrack",
    "sketchml.sound.analysis",
    "sketchml.sound.audio_in",
    "sketchml.sound.engine",
    "sketchml.sound.features",
    "sketchml.sound.io",
    "sketchml.sound.react",
    "sketchml.sound.sound",
    "sketchml.sound.synth",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_public_functions_and_classes_have_examples():
    import sketchml.sound as sound

    for name in sound.__all__:
        obj = getattr(sound, name)
        if callable(obj):
            assert "Examples:" in (obj.__doc__ or ""), name
