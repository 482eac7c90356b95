"""Procedural datasets drawn by sketchml itself, so models can be trained offline.

:func:`shapes_world` draws pictures of coloured shapes on backgrounds, each with
its labels and a caption (see :mod:`sketchml.datasets.shapes`);
:func:`train_shape_classifier` trains a small classifier on them, the yardstick
for generators trained on the world.

Importing this package is light: numpy, GL and torch load on first use.

Examples:
    >>> import sketchml.datasets as datasets
    >>> datasets.SHAPES
    ('circle', 'square', 'triangle', 'star', 'cross')
"""
from __future__ import annotations

import importlib
from typing import Any

# name -> submodule that defines it; loaded on first attribute access.
_LAZY = {
    "BACKGROUNDS": "shapes",
    "COLORS": "shapes",
    "SHAPES": "shapes",
    "SIZES": "shapes",
    "ShapeClassifier": "classifier",
    "ShapesWorld": "shapes",
    "draw_shapes": "shapes",
    "sample_labels": "shapes",
    "shapes_world": "shapes",
    "train_shape_classifier": "classifier",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        from sketchml.errors import did_you_mean

        raise AttributeError(f"module 'sketchml.datasets' has no attribute {name!r}."
                             f"{did_you_mean(name, _LAZY)}")
    value = getattr(importlib.import_module(f"sketchml.datasets.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
