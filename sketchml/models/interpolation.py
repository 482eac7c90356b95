"""Walking latent spaces: lerp, slerp, keyframe paths with holds and easing.

Slerp keeps walks in a Gaussian latent space at the norm the generator was
trained on (a straight line through the middle shrinks the vector and washes
images out); lerp suits spaces such as StyleGAN's W. Both work on tensors of
any shape, and :func:`interpolate` builds a whole path through keyframes.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError, did_you_mean

if TYPE_CHECKING:
    import torch

    from sketchml.models.latent import Latent

__all__ = ["EASINGS", "interpolate", "lerp", "slerp", "truncated_normal"]


def _ease_in_out(t: float) -> float:
    return 4 * t ** 3 if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2


EASINGS: dict[str, Callable[[float], float]] = {
    "linear": lambda t: t,
    "ease-in": lambda t: t ** 3,
    "ease-out": lambda t: 1 - (1 - t) ** 3,
    "ease-in-out": _ease_in_out,
    "sine": lambda t: -(math.cos(math.pi * t) - 1) / 2,
}
"""Easing curves by name: each maps [0, 1] onto [0, 1] with 0 -> 0 and 1 -> 1."""


def _steps_tensor(t: Any, like: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``t`` as a float tensor and whether it was a sequence (adds a leading axis)."""
    import torch

    values = torch.as_tensor(t, dtype=torch.float64)
    if values.dim() > 1:
        raise SketchmlError(
            f"t must be a number or a 1-D sequence of numbers, got shape {tuple(values.shape)}."
        )
    return values.to(like.device), values.dim() == 1


def lerp(a: Any, b: Any, t: Any) -> Any:
    """Linear interpolation ``a + (b - a) * t``, for numbers or tensors of any shape.

    With numbers it is Processing's ``lerp``. With tensors, ``t`` may be a number
    (result shaped like ``a``) or a sequence of ``T`` numbers (result ``(T, *a.shape)``).

    Examples:
        >>> lerp(0, 10, 0.25)
        2.5
        >>> import torch
        >>> lerp(torch.zeros(2), torch.ones(2), [0.0, 0.5]).tolist()
        [[0.0, 0.0], [0.5, 0.5]]
    """
    if not (_is_tensor(a) or _is_tensor(b)):
        return a + (b - a) * t
    a, b = _pair(a, b)
    values, many = _steps_tensor(t, a)
    if many:
        values = values.reshape(-1, *([1] * a.dim()))
    out = a.double() + (b.double() - a.double()) * values
    return out.to(a.dtype)


def slerp(a: Any, b: Any, t: Any, *, dim: int | tuple[int, ...] | None = None,
          eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation between tensors of any shape (Shoemake's slerp).

    The angle is measured over ``dim`` (all elements by default, i.e. each tensor
    is one vector; ``dim=-1`` slerps each row separately). Where ``a`` and ``b``
    are (nearly) parallel the arc is undefined and lerp is used instead. Unit
    vectors stay unit vectors; in general the norm is interpolated smoothly.

    Examples:
        >>> import torch
        >>> a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
        >>> torch.allclose(slerp(a, b, 0.5), torch.tensor([0.7071, 0.7071]), atol=1e-4)
        True
    """
    import torch

    a, b = _pair(a, b)
    values, many = _steps_tensor(t, a)
    dims = tuple(range(a.dim())) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    a64, b64 = a.double(), b.double()
    a_unit = a64 / torch.linalg.vector_norm(a64, dim=dims, keepdim=True).clamp_min(1e-30)
    b_unit = b64 / torch.linalg.vector_norm(b64, dim=dims, keepdim=True).clamp_min(1e-30)
    cos = (a_unit * b_unit).sum(dim=dims, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    if many:
        values = values.reshape(-1, *([1] * a.dim()))
    parallel = sin.abs() < eps
    safe_sin = torch.where(parallel, torch.ones_like(sin), sin)
    wa = torch.where(parallel, 1 - values, torch.sin((1 - values) * omega) / safe_sin)
    wb = torch.where(parallel, values, torch.sin(values * omega) / safe_sin)
    return (wa * a64 + wb * b64).to(a.dtype)


def interpolate(
    keyframes: Any,
    *,
    steps: int = 10,
    hold: int | Sequence[int] = 0,
    easing: str | Callable[[float], float] = "linear",
    method: str | dict[str, str] = "slerp",
    loop: bool = False,
) -> Any:
    """A path through several keyframes: the frames of a latent walk.

    Args:
        keyframes: tensors (a sequence, or one tensor whose first axis lists the
            keyframes), or :class:`~sketchml.Latent` s (a sequence, or one Latent
            whose items are the keyframes).
        steps: frames per segment, both ends included; consecutive segments
            share their end frame, so ``k`` keyframes give
            ``(steps - 1) * (k - 1) + 1`` frames before holds.
        hold: extra frames to stay on each keyframe (one number, or one per keyframe).
        easing: a name from ``EASINGS`` (linear, ease-in, ease-out, ease-in-out,
            sine) or a function of ``t`` in [0, 1]; applied within each segment.
        method: ``"slerp"`` (Gaussian latents) or ``"lerp"``; for Latents also a
            dict per tensor name (e.g. ``{"z": "slerp", "y": "lerp"}``).
        loop: go back from the last keyframe to the first (for seamless GIFs).

    Returns:
        a tensor ``(F, *keyframe_shape)`` for tensor keyframes, or a Latent with
        ``F`` items for Latent keyframes.

    Examples:
        >>> import torch, sketchml as sk
        >>> keys = [torch.randn(128) for _ in range(3)]
        >>> sk.interpolate(keys, steps=5, hold=2, easing="ease-in-out").shape
        torch.Size([15, 128])
    """
    from sketchml.models.latent import Latent

    if isinstance(keyframes, Latent) or (
        isinstance(keyframes, Sequence) and keyframes and isinstance(keyframes[0], Latent)
    ):
        items = list(keyframes)
        keys = list(items[0].tensors)
        tensors = {}
        for key in keys:
            how = method.get(key, "slerp") if isinstance(method, dict) else method
            frames = [item.tensors[key] for item in items]
            path = _path(frames, steps=steps, hold=hold, easing=easing, method=how, loop=loop,
                         batched=True)
            tensors[key] = path.flatten(0, 1)
        return items[0]._with(tensors, seed=None)
    frames = list(keyframes)
    return _path(frames, steps=steps, hold=hold, easing=easing,
                 method=method if isinstance(method, str) else "slerp", loop=loop)


def interpolate_latents(a: Latent, b: Latent, *, steps: int,
                        method: str | dict[str, str]) -> Latent:
    """``steps`` Latent items from ``a`` to ``b`` (endpoints included), item by item."""
    if list(a.tensors) != list(b.tensors):
        raise SketchmlError(
            f"Cannot interpolate latents with different tensors: {list(a.tensors)} and "
            f"{list(b.tensors)}; both should come from the same family."
        )
    return interpolate([a, b], steps=steps, method=method)


def _path(frames: list[Any], *, steps: int, hold: int | Sequence[int],
          easing: str | Callable[[float], float], method: str, loop: bool,
          batched: bool = False) -> torch.Tensor:
    """Frames ``(F, *shape)``; ``batched`` keyframes are ``(N, ...)`` and walk item by item."""
    import torch

    if len(frames) < 2:
        raise SketchmlError(f"A path needs at least 2 keyframes, got {len(frames)}.")
    if not isinstance(steps, int) or steps < 2:
        raise SketchmlError(f"steps must be an int >= 2 (frames per segment, ends included), got {steps!r}.")
    holds = [hold] * len(frames) if isinstance(hold, int) else list(hold)
    if len(holds) != len(frames) or any(h < 0 for h in holds):
        raise SketchmlError(
            f"hold must be a number >= 0 or one per keyframe ({len(frames)}), got {hold!r}."
        )
    ease = _easing(easing)
    if method not in ("slerp", "lerp"):
        raise SketchmlError(f"method={method!r} is not known: use 'slerp' or 'lerp'."
                            f"{did_you_mean(method, ['slerp', 'lerp'])}")
    tensors = [torch.as_tensor(f) for f in frames]
    item_dims = tuple(range(1, tensors[0].dim())) if batched and tensors[0].dim() > 1 else None

    def mix(a: torch.Tensor, b: torch.Tensor, t: list[float]) -> torch.Tensor:
        return slerp(a, b, t, dim=item_dims) if method == "slerp" else lerp(a, b, t)

    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise SketchmlError(f"Keyframes must all have the same shape, got {sorted(shapes)}.")
    ts = [ease(j / (steps - 1)) for j in range(steps)]
    order = list(range(len(tensors))) + ([0] if loop else [])
    out = []
    for n, (i, j) in enumerate(itertools.pairwise(order)):
        out += [tensors[i]] * holds[i]
        segment = mix(tensors[i], tensors[j], ts)
        last = n == len(order) - 2
        out += list(segment if last and not loop else segment[:-1])
    if not loop:
        out += [tensors[order[-1]]] * holds[order[-1]]
    return torch.stack(out)


def _easing(easing: str | Callable[[float], float]) -> Callable[[float], float]:
    if callable(easing):
        return easing
    if easing not in EASINGS:
        raise SketchmlError(
            f"easing={easing!r} is not known.{did_you_mean(easing, EASINGS)} "
            f"Use one of {', '.join(EASINGS)} or a function of t in [0, 1]."
        )
    return EASINGS[easing]


def truncated_normal(shape: Sequence[int], truncation: float,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal samples with every value inside ``[-truncation, truncation]``.

    Values outside are redrawn (not clipped), as BigGAN's truncation trick does.
    Draws on the CPU with ``generator`` so a seed reproduces the same tensor.

    Examples:
        >>> import torch
        >>> z = truncated_normal((4, 128), 0.5, torch.Generator().manual_seed(0))
        >>> bool(z.abs().max() <= 0.5)
        True
    """
    import torch

    if not truncation > 0:
        raise SketchmlError(f"truncation must be > 0 (e.g. 0.5), got {truncation!r}.")
    out = torch.randn(*shape, generator=generator)
    for _ in range(1000):
        bad = out.abs() > truncation
        count = int(bad.sum())
        if count == 0:
            return out
        out[bad] = torch.randn(count, generator=generator)
    # Only reachable for tiny truncations; clamping the few stragglers keeps the promise.
    return out.clamp_(-truncation, truncation)


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") or hasattr(value, "__torch_function__")


def _pair(a: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    a = torch.as_tensor(a)
    b = torch.as_tensor(b, device=a.device)
    if a.shape != b.shape:
        raise SketchmlError(
            f"Cannot interpolate tensors of different shapes {tuple(a.shape)} and {tuple(b.shape)}."
        )
    if not a.is_floating_point():
        a = a.float()
    return a, b.to(a.dtype)
