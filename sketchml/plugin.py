"""The public API for plugin authors: everything a model plugin may import from sketchml.

A plugin (first-party or third-party) imports ``sketchml`` (``sk.Model``, ``sk.Latent``,
``sk.hookimpl``, the result types) and this module, and nothing else from sketchml.
A test fails when a first-party plugin imports any other ``sketchml.*`` module, so what
is listed here is the whole contract, kept stable across releases.

What is here:

* errors for people: :class:`SketchmlError`, :class:`ApiUsageError`, :func:`did_you_mean`,
  :func:`suggest`, and the weight errors;
* weights: :func:`find_weights`, :func:`resolve_weights`, :func:`load_weights` (never runs
  code; :class:`UnsafeWeightsError` and :class:`WeightsFormatError` when it will not),
  :func:`module_state_dict`, :func:`sketchml_home`, :func:`hf_cache_dir`, :func:`offline`
  (``Model.weights_path`` / ``Model.load_weights`` wrap these for a family);
  :func:`check_state_keys` and :func:`load_state_checked` (is a state dict in our layout?);
* atomic writes: :func:`atomic_write_bytes`, :func:`atomic_write_text`, :func:`atomic_path`;
* renamed arguments and attributes that keep working for one release, with a
  ``FutureWarning``: :func:`renamed`, :class:`deprecated_alias`, :func:`warn_renamed`;
* media I/O: :func:`read_image`, :func:`write_image`, :func:`read_wav`, :func:`write_wav`,
  :func:`read_midi`, :func:`write_midi`, :func:`open_frame_writer`,
  :func:`read_video_frames`, :func:`video_frame_count`;
* training: :class:`TrainingRun`, :class:`TrainSettings`, :class:`ImageTrainSettings` and
  :func:`setting` (a family's training options, which ``sketchml train`` reads too),
  :func:`image_dataset`,
  :func:`latest_checkpoint`, :func:`run_weights`, :func:`seed_everything`,
  :func:`progress_bar`, :func:`pick_device` and the datasets (:class:`ImageFolder`,
  :class:`VideoFrames`, :class:`TextFile`, :class:`MidiFolder`);
* the procedural worlds: :func:`shapes_world`, :class:`ShapesWorld`, :func:`faces_world`,
  :data:`FACE_ATTRIBUTES`, and the stand-in camera clip :func:`scene_frames`;
* guidance batches: :func:`guide_prompts`, :func:`result_name`.

Importing this module is light (no torch): names load on first use.

Examples:
    >>> from sketchml.plugin import did_you_mean
    >>> did_you_mean("trunction", ["truncation", "seed"])
    " Did you mean 'truncation'?"
"""
from __future__ import annotations

from sketchml._lazy import lazy_exports

# name -> module (under sketchml) that defines it; loaded on first attribute access.
_LAZY = {
    "ApiUsageError": "errors",
    "ImageFolder": "training.data",
    "ImageTrainSettings": "training.settings",
    "MidiFolder": "training.data",
    "Note": "media.midi",
    "FACE_ATTRIBUTES": "datasets.faces",
    "ShapesWorld": "datasets.shapes",
    "SketchmlError": "errors",
    "TextFile": "training.data",
    "TrainSettings": "training.settings",
    "TrainingRun": "training.run",
    "UnsafeWeightsError": "models.weights",
    "VideoFrames": "training.data",
    "WeightsFormatError": "models.weights",
    "atomic_path": "files",
    "atomic_write_bytes": "files",
    "atomic_write_text": "files",
    "check_state_keys": "models.state_layout",
    "cpu_budget": "training.settings",
    "deprecated_alias": "models.deprecation",
    "did_you_mean": "errors",
    "faces_world": "datasets.faces",
    "find_weights": "models.weights",
    "guide_prompts": "models.guidance",
    "hf_cache_dir": "models.weights",
    "image_dataset": "training.images",
    "latest_checkpoint": "training.checkpoint",
    "load_state_checked": "models.state_layout",
    "load_weights": "models.weights",
    "module_state_dict": "models.weights",
    "offline": "models.weights",
    "open_frame_writer": "media.video",
    "pick_device": "training.device",
    "progress_bar": "training.progress",
    "read_image": "media.image_io",
    "read_midi": "media.midi",
    "read_video_frames": "media.frames",
    "read_wav": "media.audio",
    "renamed": "models.deprecation",
    "resolve_weights": "models.weights",
    "result_name": "models.guidance",
    "run_weights": "training.checkpoint",
    "seed_everything": "training.device",
    "setting": "training.settings",
    "scene_frames": "datasets.scene",
    "shapes_world": "datasets.shapes",
    "sketchml_home": "models.weights",
    "suggest": "errors",
    "video_frame_count": "media.frames",
    "warn_renamed": "models.deprecation",
    "write_image": "media.image_io",
    "write_midi": "media.midi",
    "write_wav": "media.audio",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports("sketchml", _LAZY, globals())
