"""The model layer. ``sk.models(pattern=None)`` lists the installed models.

``sketchml.models`` is both this package (registry and hooks, the uniform
:class:`Model` interface, :class:`Latent`, interpolation, results by modality,
safe weight loading) and the public function ``sk.models()``: the package
module is callable, so ``import sketchml.models.weights`` and
``sk.models("big*")`` both work despite sharing a name.

``import sketchml.models`` stays light (no torch): torch is imported inside the
functions and methods that need it.

Examples:
    >>> import sketchml as sk
    >>> sk.models("no-such-model*")
    []
"""
import sys as _sys
import types as _types
from typing import Any as _Any

from sketchml.models.base import MissingVerbError, Model, resolve_device
from sketchml.models.guidance import guide
from sketchml.models.hookspecs import hookimpl, hookspec
from sketchml.models.interpolation import EASINGS, interpolate, slerp, truncated_normal
from sketchml.models.latent import Latent, load_latent
from sketchml.models.registry import (
    ModelEntry,
    ModelSpec,
    PluginError,
    PluginInfo,
    PluginWarning,
    Registry,
    VariantSpec,
    model,
)
from sketchml.models.registry import models as _list_models
from sketchml.models.results import Audio, Images, Notes, Text, load_result
from sketchml.models.streaming import Stream
from sketchml.models.threads import set_threads, thread_count
from sketchml.models.walks import walk, walk_frames, walk_path
from sketchml.models.weights import UnsafeWeightsError, WeightsFormatError, load_weights

__all__ = [
    "Audio",
    "EASINGS",
    "Images",
    "Latent",
    "MissingVerbError",
    "Model",
    "ModelEntry",
    "ModelSpec",
    "Notes",
    "PluginError",
    "PluginInfo",
    "PluginWarning",
    "Registry",
    "Stream",
    "Text",
    "UnsafeWeightsError",
    "VariantSpec",
    "WeightsFormatError",
    "guide",
    "hookimpl",
    "hookspec",
    "interpolate",
    "load_latent",
    "load_result",
    "load_weights",
    "model",
    "models",
    "resolve_device",
    "set_threads",
    "slerp",
    "thread_count",
    "truncated_normal",
    "walk",
    "walk_frames",
    "walk_path",
]


class _ModelsModule(_types.ModuleType):
    def __call__(self, pattern: str | None = None) -> list[ModelEntry]:
        """The installed models, sorted, optionally filtered by a glob such as ``"big*"``.

        Each entry has ``name``, ``family``, ``modality``, ``verbs`` and
        ``weights_available`` (whether the weights are on this machine now).

        Examples:
            >>> import sketchml as sk
            >>> [entry.name for entry in sk.models("dcgan*")]  # doctest: +SKIP
            ['dcgan.shapes']
        """
        return _list_models(pattern)

    def __repr__(self) -> str:
        return "<sketchml.models: call sk.models(pattern=None) to list the installed models>"


_sys.modules[__name__].__class__ = _ModelsModule
models: _Any = _sys.modules[__name__]
