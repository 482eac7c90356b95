"""Every example in the training and audio/MIDI/frames docstrings runs and shows what it says."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sketchml.training", "sketchml.training.batches", "sketchml.training.checkpoint", "sketchml.training.data",
    "sketchml.training.device", "sketchml.training.distributed", "sketchml.files",
    "sketchml.training.losses", "sketchml.training.progress", "sketchml.training.run",
    "sketchml.training.samples", "sketchml.media.audio", "sketchml.media.frames",
    "sketchml.media.midi",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
