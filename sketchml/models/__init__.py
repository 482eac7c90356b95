"""The model layer: plugin registry and hooks, the uniform Model interface, latents,
interpolation, results by modality and safe weight loading.

``import sketchml.models`` stays light (no torch): torch is imported inside the
functions and methods that need it.
"""
from sketchml.models.base import MissingVerbError, Model, resolve_device
from sketchml.models.hookspecs import hookimpl, hookspec
from sketchml.models.interpolation import EASINGS, interpolate, lerp, slerp, truncated_normal
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
    models,
)

__all__ = [
    "EASINGS",
    "Latent",
    "MissingVerbError",
    "Model",
    "ModelEntry",
    "ModelSpec",
    "PluginError",
    "PluginInfo",
    "PluginWarning",
    "Registry",
    "VariantSpec",
    "hookimpl",
    "hookspec",
    "interpolate",
    "lerp",
    "load_latent",
    "model",
    "models",
    "resolve_device",
    "slerp",
    "truncated_normal",
]
