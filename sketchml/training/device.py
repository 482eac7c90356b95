"""Where training runs and how it is made reproducible: device choice, seeds, RNG state."""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from sketchml.errors import SketchmlError

__all__ = ["capture_rng_state", "pick_device", "restore_rng_state", "seed_everything"]


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train or generate on: CUDA, then Apple MPS, then CPU.

    ``device`` overrides the choice ("cpu", "cuda", "cuda:1", "mps" or a
    ``torch.device``); asking for a device this machine lacks is an error that
    says what is available. On CUDA it also selects deterministic kernels
    (:func:`sketchml.models.determinism.select_deterministic_kernels`).

    Examples:
        >>> from sketchml.training import pick_device
        >>> pick_device("cpu")
        device(type='cpu')
    """
    from sketchml.models.determinism import select_deterministic_kernels

    if device is None:
        if torch.cuda.is_available():
            select_deterministic_kernels("cuda")
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise SketchmlError(
            f"{device!r} is not a device name. Expected 'cpu', 'cuda', 'cuda:N' or 'mps'."
        ) from exc
    available = ["cpu"]
    if torch.cuda.is_available():
        available += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available():
        available.append("mps")
    if chosen.type == "cuda" and (
        not torch.cuda.is_available()
        or (chosen.index is not None and chosen.index >= torch.cuda.device_count())
    ):
        raise SketchmlError(
            f"device={str(device)!r} was asked for but this machine has no such CUDA device. "
            f"Available: {', '.join(available)}. Leave device=None to pick the best one."
        )
    if chosen.type == "mps" and not _mps_available():
        raise SketchmlError(
            f"device='mps' was asked for but Apple MPS is not available here. "
            f"Available: {', '.join(available)}. Leave device=None to pick the best one."
        )
    select_deterministic_kernels(chosen)
    return chosen


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and every GPU) random generators.

    Call it before building a model so its initial weights are reproducible.

    Examples:
        >>> import torch
        >>> from sketchml.training import seed_everything
        >>> seed_everything(1); a = torch.rand(2)
        >>> seed_everything(1); bool((a == torch.rand(2)).all())
        True
    """
    from sketchml.models.base import check_seed

    seed = check_seed(seed)
    random.seed(seed)
    # NumPy's legacy seeding only takes 32-bit values.
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def capture_rng_state() -> dict[str, Any]:
    """Every global random generator's state, in a form ``torch.load(weights_only=True)`` reads.

    Examples:
        >>> from sketchml.training import capture_rng_state, restore_rng_state
        >>> import torch
        >>> state = capture_rng_state(); a = torch.rand(1)
        >>> restore_rng_state(state); bool(a == torch.rand(1))
        True
    """
    kind, keys, pos, has_gauss, cached_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        # A NumPy array is not weights_only-loadable; a tensor is.
        "numpy": (kind, torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos),
                  int(has_gauss), float(cached_gauss)),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back the generator states returned by :func:`capture_rng_state`.

    Examples:
        >>> from sketchml.training import capture_rng_state, restore_rng_state
        >>> restore_rng_state(capture_rng_state())
    """
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached_gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached_gauss))
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
