"""Procedural datasets drawn by sketchml itself, so models can be trained offline.

:func:`shapes_world` draws pictures of coloured shapes on backgrounds, each with
its labels and a caption (see :mod:`sketchml.datasets.shapes`);
:func:`train_shape_classifier` trains a small classifier on them, the yardstick
for generators trained on the world; :func:`scene_clip` writes a stand-in webcam clip
(a room with things moving in it) for machines without a camera.

Importing this package is light: numpy, GL and torch load on first use.

Examples:
    >>> import sketchml.datasets as datasets
    >>> datasets.SHAPES
    ('circle', 'square', 'triangle', 'star', 'cross')
"""
from __future__ import annotations

from sketchml._lazy import lazy_exports

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
    "scene_clip": "scene",
    "scene_frames": "scene",
    "shapes_world": "shapes",
    "train_shape_classifier": "classifier",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
