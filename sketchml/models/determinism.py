"""Deterministic kernels: what sketchml selects so a seed or a stored latent gives the same bits.

The promise (written out in ``docs/determinism.md``): on one machine, one device, one
library version, one thread count and one batch layout, the same seed or stored latent
gives bit-identical results. Across machines (another CPU's instruction set, another GPU)
results are only close: images agree within :data:`CROSS_MACHINE_ATOL`.

CPU kernels are deterministic already, given data at the same alignment (weights and
latents read from files are copied into aligned memory for that reason, see
:func:`sketchml.models.weights.read_safetensors`). CUDA kernels are not by default, so the
first time a model or a training run picks a CUDA device, :func:`select_deterministic_kernels`
asks torch for deterministic ones.
"""
from __future__ import annotations

import os
from typing import Any

__all__ = ["CROSS_MACHINE_ATOL", "select_deterministic_kernels"]

CROSS_MACHINE_ATOL = 1e-4
"""How far an image value (in [0, 1]) may move between machines: a tenth of an 8-bit step,
measured as 7.7e-6 for dcgan.shapes between AVX-512 and SSE kernels."""


def select_deterministic_kernels(device: Any) -> bool:
    """Ask torch for deterministic kernels on ``device``; returns whether anything was set.

    On CUDA: cuDNN without autotuning and with deterministic algorithms, a fixed cuBLAS
    workspace (``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless already set) and
    ``torch.use_deterministic_algorithms(True, warn_only=True)`` (an operation without a
    deterministic kernel still runs, with a warning). CPU and MPS need nothing.
    ``SKETCHML_FAST_KERNELS=1`` leaves torch's settings alone (faster, not reproducible).

    Examples:
        >>> import torch
        >>> select_deterministic_kernels(torch.device("cpu"))
        False
    """
    import torch

    if os.environ.get("SKETCHML_FAST_KERNELS", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    if torch.device(device).type != "cuda":
        return False
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    return True
