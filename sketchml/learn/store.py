"""What both learners share: input vectors, the input normaliser, and the saved file.

A learner file is one safetensors file: the examples and every trained model as named
numpy arrays, and the learner's settings as JSON in the header. Loading it runs no code
(no pickle), so a file from someone else is as safe to open as a picture.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.files import atomic_write_bytes

__all__ = ["Normaliser", "load_learner", "read_file", "vector", "write_file"]

FORMAT = "sketchml.learner/1"


def vector(values: Any, size: int, what: str = "inputs") -> np.ndarray:
    """``values`` (a number, list, numpy array or torch tensor) as a float vector of ``size``.

    Examples:
        >>> vector([1, 2], 2).tolist()
        [1.0, 2.0]
    """
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise SketchmlError(
            f"The {what} must be numbers (a list, numpy array or tensor), got {values!r}."
        ) from None
    if array.size != size:
        raise SketchmlError(
            f"Expected {size} {what}, got {array.size}: {array.tolist()[:8]}. The learner was "
            f"made with {size}; make a new one for a different count."
        )
    if not np.all(np.isfinite(array)):
        raise SketchmlError(f"The {what} contain NaN or infinity: {array.tolist()[:8]}.")
    return array


class Normaliser:
    """Scales each input by its range in the examples, to [0, 1] over the examples (an input
    that never changed is left centred at 0.5 rather than divided by zero)."""

    def __init__(self, low: np.ndarray, high: np.ndarray) -> None:
        self.low = np.asarray(low, np.float64)
        span = np.asarray(high, np.float64) - self.low
        self.span = np.where(span > 1e-12, span, 1.0)
        self.low = np.where(span > 1e-12, self.low, self.low - 0.5)

    @classmethod
    def fit(cls, x: np.ndarray) -> Normaliser:
        """The normaliser of the examples ``x`` ``(N, D)``."""
        return cls(x.min(axis=0), x.max(axis=0))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (x - self.low) / self.span

    def arrays(self) -> dict[str, np.ndarray]:
        return {"norm.low": self.low, "norm.span": self.span}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Normaliser:
        norm = cls.__new__(cls)
        norm.low = np.asarray(arrays["norm.low"], np.float64)
        norm.span = np.asarray(arrays["norm.span"], np.float64)
        return norm


def write_file(path: str | os.PathLike[str], kind: str, config: Mapping[str, Any],
               arrays: Mapping[str, np.ndarray]) -> Path:
    """Write a learner file atomically: ``arrays`` as tensors, ``config`` as JSON."""
    from safetensors.numpy import save

    target = Path(path)
    if target.suffix != ".safetensors":
        raise SketchmlError(
            f"Save a learner to a .safetensors file, e.g. {target.with_suffix('.safetensors')}."
        )
    tensors = {key: np.ascontiguousarray(value) for key, value in arrays.items()}
    header = {"format": FORMAT, "kind": kind, "sketchml": json.dumps(dict(config))}
    return atomic_write_bytes(target, save(tensors, metadata=header))


def read_file(path: str | os.PathLike[str]) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """``(kind, config, arrays)`` from a file :func:`write_file` wrote."""
    from safetensors import safe_open

    file = Path(path)
    if not file.is_file():
        raise SketchmlError(f"No learner file at {str(file)!r}; save one with learner.save(path).")
    try:
        with safe_open(str(file), framework="numpy") as handle:
            header = handle.metadata() or {}
            arrays = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except Exception as err:
        raise SketchmlError(
            f"{str(file)!r} is not a readable safetensors file ({err}); learners are saved "
            "with learner.save(path)."
        ) from err
    if header.get("format") != FORMAT:
        raise SketchmlError(
            f"{str(file)!r} is a safetensors file but not a sketchml learner (no "
            f"'format: {FORMAT}' in its header)."
        )
    return header["kind"], json.loads(header["sketchml"]), arrays


def load_learner(path: str | os.PathLike[str]) -> Any:
    """A :class:`~sketchml.learn.Learner` or :class:`~sketchml.learn.GestureLearner` back
    from its file, with its examples and trained models, ready to ``predict``.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> learner = sk.Learner(inputs=1, outputs=1, model="linear")
        >>> learner.add_example([0], [0]); learner.add_example([1], [2])
        >>> _ = learner.train()
        >>> path = learner.save(tempfile.mkdtemp() + "/mapping.safetensors")
        >>> round(sk.load_learner(path).predict([0.5])[0], 3)
        1.0
    """
    kind, config, arrays = read_file(path)
    if kind == "mapping":
        from sketchml.learn.learner import Learner

        return Learner._from_file(config, arrays)
    if kind == "gestures":
        from sketchml.learn.dtw import GestureLearner

        return GestureLearner._from_file(config, arrays)
    raise SketchmlError(f"{str(path)!r} holds a learner of kind {kind!r}, which this sketchml "
                        "does not know; it may come from a newer version.")
