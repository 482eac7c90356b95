"""Is this state dict in our layout? Clear errors for a weights file of another network.

A family that rebuilds its network from a state dict (the sizes read off the tensors)
first checks that the keys it reads are there, then loads the tensors; both steps
fail with a :class:`SketchmlError` that names the file, what it holds and how to get
the right one, instead of a ``KeyError`` or torch's size-mismatch ``RuntimeError``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sketchml.errors import SketchmlError

__all__ = ["check_state_keys", "load_state_checked"]


def check_state_keys(state: Mapping[str, Any], needed: Iterable[str], *, source: str,
                     what: str, how: str) -> None:
    """Raise a :class:`SketchmlError` unless ``state`` has every key in ``needed``.

    ``source`` names the file, ``what`` the weights it should hold (``"char-RNN
    weights"``), ``how`` says how to get such a file.

    Examples:
        >>> check_state_keys({"head.weight": 0}, ["head.weight"], source="a.safetensors",
        ...                  what="toy weights", how="Train one.")
        >>> check_state_keys({"w": 0}, ["head.weight"], source="a.safetensors",
        ...                  what="toy weights", how="Train one.")
        Traceback (most recent call last):
        ...
        sketchml.errors.SketchmlError: a.safetensors is not toy weights: it lacks head.weight (it has w). Train one.
    """
    missing = [key for key in needed if key not in state]
    if missing:
        keys = sorted(state)
        more = "..." if len(keys) > 6 else ""
        raise SketchmlError(
            f"{source} is not {what}: it lacks {', '.join(missing)} (it has "
            f"{', '.join(keys[:6]) or 'nothing'}{more}). {how}"
        )


def load_state_checked(net: Any, state: Mapping[str, Any], *, source: str, what: str) -> None:
    """``net.load_state_dict(state)``, a mismatch (missing, extra or wrongly shaped tensors)
    reported as a :class:`SketchmlError` naming ``source`` and ``what`` layout it expected.

    Examples:
        >>> import torch
        >>> load_state_checked(torch.nn.Linear(2, 1), {"weight": torch.zeros(1, 3),
        ...                    "bias": torch.zeros(1)}, source="a.pt", what="toy")
        Traceback (most recent call last):
        ...
        sketchml.errors.SketchmlError: a.pt does not match the toy layout: Error(s) in loading ...
    """
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        raise SketchmlError(f"{source} does not match the {what} layout: {err}") from err
