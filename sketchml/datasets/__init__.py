"""Procedural datasets drawn by sketchml itself, so models can be trained offline.

:func:`shapes_world` draws pictures of coloured shapes on backgrounds, each with
its labels and a caption (see :mod:`sketchml.datasets.shapes`);
:func:`train_shape_classifier` trains a small classifier on them, the yardstick
for generators trained on the world; :func:`faces_world` draws cartoon faces with
attribute labels (the autoencoders' data) and :func:`train_face_checker` trains their
yardstick; :func:`scene_clip` writes a stand-in webcam clip
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
    "EXPRESSIONS": "faces",
    "FACE_ATTRIBUTES": "faces",
    "FaceChecker": "faces",
    "FacesWorld": "faces",
    "NO_SHAPE_KINDS": "classifier",
    "SHAPES": "shapes",
    "SIZES": "shapes",
    "ShapeClassifier": "classifier",
    "ShapesWorld": "shapes",
    "draw_faces": "faces",
    "draw_shapes": "shapes",
    "face_labels": "faces",
    "faces_world": "faces",
    "no_shape_pictures": "classifier",
    "sample_labels": "shapes",
    "save_face_folders": "faces",
    "scene_clip": "scene",
    "scene_frames": "scene",
    "shapes_world": "shapes",
    "train_face_checker": "faces",
    "train_shape_classifier": "classifier",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
