"""Work out how an array or tensor's own bytes can become a texture, without moving them.

A :class:`Plan` says which texture to make (size, layers, components, GL dtype)
and how the shader must read it (:class:`sketchml.graphics.textured.Sampling`),
and holds the data to upload: a numpy view of the tensor's memory on the CPU,
or the (contiguous) tensor itself on a GPU. The memory order decides the
texture, not the shape's spelling: a CHW tensor in ``channels_last`` memory, or
an HWC view made by ``permute``, is uploaded as the bytes lie.

Accepted shapes (C is 1, 3 or 4): torch ``(N, C, H, W)`` (first item),
``(C, H, W)``, ``(H, W, C)``, ``(H, W)``; numpy ``(H, W)``, ``(H, W, C)``,
``(C, H, W)``, ``(N, H, W, C)`` (first item).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.graphics.textured import Sampling

__all__ = ["ACCEPTED_SHAPES", "Plan", "is_torch_tensor", "plan"]

ACCEPTED_SHAPES = (
    "torch tensors (N, C, H, W) (the first item is drawn), (C, H, W), (H, W, C) or (H, W); "
    "numpy arrays (H, W), (H, W, C), (C, H, W) or (N, H, W, C); with C = 1, 3 or 4 channels"
)
_CHANNELS = (1, 3, 4)
_DTYPES = "uint8, float16, bfloat16 (torch), float32 or float64"


@dataclass(frozen=True)
class Plan:
    """One texture upload: what to allocate, how to sample it, and the data."""

    width: int
    height: int
    channels: int
    layout: str  # "planar" (one texture layer per channel) or "interleaved"
    gl_dtype: str  # moderngl texture dtype: "f1", "f2", "f4" or "u2" (raw bfloat16 bits)
    sampling: Sampling
    data: Any  # numpy array (CPU) or torch tensor (GPU), contiguous in ``layout`` order
    device: str  # "cpu" or e.g. "cuda:0"

    @property
    def texture_key(self) -> tuple:
        """Textures with equal keys are interchangeable (reused across frames)."""
        return (self.layout, self.width, self.height, self.channels, self.gl_dtype)


def is_torch_tensor(obj: object) -> bool:
    """True for a ``torch.Tensor``, checked without importing torch."""
    return any(cls.__module__.startswith("torch") and cls.__name__ == "Tensor" for cls in type(obj).__mro__)


def _shape_error(shape: tuple, kind: str) -> SketchmlError:
    return SketchmlError(
        f"image() cannot draw a {kind} of shape {tuple(shape)}. It accepts {ACCEPTED_SHAPES}. "
        "Fix: select one image (e.g. t[0]) or reshape it, e.g. t.permute(2, 0, 1) for HWC -> CHW."
    )


def _hwc_axes(shape: tuple, *, torch_first: bool, kind: str) -> tuple[int, int, int] | None:
    """Axes (h, w, c) of a 3-D shape, or None for a 2-D one; channels-first wins ties for torch."""
    if len(shape) == 2:
        return None
    if len(shape) != 3:
        raise _shape_error(shape, kind)
    first, last = shape[0] in _CHANNELS, shape[2] in _CHANNELS
    if first and (torch_first or not last):
        return (1, 2, 0)
    if last:
        return (0, 1, 2)
    raise _shape_error(shape, kind)


def _value_range(value_range: tuple[float, float] | None, is_uint8: bool) -> tuple[float, float]:
    if value_range is None:
        lo, hi = (0.0, 255.0) if is_uint8 else (0.0, 1.0)
    else:
        try:
            lo, hi = (float(v) for v in value_range)
        except (TypeError, ValueError):
            raise SketchmlError(
                f"value_range must be two numbers (low, high), got {value_range!r}. "
                "Example: value_range=(-1, 1) for a tanh generator's output."
            ) from None
        if hi == lo:
            raise SketchmlError(
                f"value_range={value_range!r} has low == high; it must span the values, e.g. (0, 1) or (-1, 1)."
            )
    if is_uint8:
        # a normalized uint8 texture samples v / 255 in the shader
        lo, hi = lo / 255.0, hi / 255.0
    return lo, hi


def _arrange(shape: tuple, strides: tuple, axes: tuple[int, int, int] | None) -> tuple[str, tuple[int, ...] | None]:
    """Decide the texture layout from the memory order.

    Returns ("interleaved" | "planar", permutation to a C-contiguous view) or
    ("copy", None) when neither order matches the memory.
    """
    if axes is None:
        h, w = shape
        if strides == (w, 1):
            return "interleaved", (0, 1)
        return "copy", None
    ah, aw, ac = axes
    h, w, c = shape[ah], shape[aw], shape[ac]
    sh, sw, sc = strides[ah], strides[aw], strides[ac]
    if sw == c and sh == w * c and (sc == 1 or c == 1):
        return "interleaved", (ah, aw, ac)
    if sw == 1 and sh == w and sc == h * w:
        return "planar", (ac, ah, aw)
    return "copy", None


def plan(obj: Any, *, value_range: tuple[float, float] | None = None) -> Plan:
    """Plan the upload of a numpy array or torch tensor (see the module docstring).

    Examples:
        >>> import numpy as np
        >>> from sketchml.bridge.layout import plan
        >>> p = plan(np.zeros((3, 64, 32), np.float32))
        >>> (p.width, p.height, p.channels, p.layout, p.gl_dtype)
        (32, 64, 3, 'planar', 'f4')
    """
    if is_torch_tensor(obj):
        # A sketch draws the same tensor (often changed in place) frame after frame: its plan
        # is kept while it reads the tensor's own memory, which the kept plan keeps alive, so
        # the same address, shape, strides and dtype are the same tensor's bytes. Planning
        # again cost a fifth of a 512 px float32 upload.
        key = (obj.data_ptr(), tuple(obj.shape), obj.stride(), obj.dtype, obj.device, obj.requires_grad,
               value_range)
        if _last_torch_plan[0] == key:
            return _last_torch_plan[1]
        p, own_memory = _plan_torch(obj, value_range)
        _last_torch_plan[:] = [key, p] if own_memory else [None, None]
        return p
    if isinstance(obj, np.ndarray):
        return _plan_numpy(obj, value_range)
    raise SketchmlError(
        f"image() cannot draw a {type(obj).__name__}. It draws an Image (load_image, create_image), "
        f"a Graphics (create_graphics), a numpy array or a torch tensor: {ACCEPTED_SHAPES}."
    )


def _plan_numpy(arr: np.ndarray, value_range: tuple[float, float] | None) -> Plan:
    if arr.ndim == 4:
        if arr.shape[0] < 1:
            raise _shape_error(arr.shape, "numpy array")
        arr = arr[0]
    dtype_map = {np.dtype(np.uint8): "f1", np.dtype(np.float16): "f2", np.dtype(np.float32): "f4"}
    if arr.dtype == np.float64:
        # GL has no 64-bit textures: the one conversion we cannot avoid
        arr = arr.astype(np.float32)
    if arr.dtype not in dtype_map:
        raise SketchmlError(
            f"image() cannot draw a numpy array of dtype {arr.dtype}; it accepts {_DTYPES}. "
            "Fix: convert it, e.g. arr.astype(np.uint8) for 0..255 values or arr.astype(np.float32)."
        )
    axes = _hwc_axes(arr.shape, torch_first=False, kind="numpy array")
    strides = tuple(s // arr.itemsize for s in arr.strides)
    layout, perm = _arrange(arr.shape, strides, axes)
    if layout == "copy":
        arr = np.ascontiguousarray(arr)
        strides = tuple(s // arr.itemsize for s in arr.strides)
        layout, perm = _arrange(arr.shape, strides, axes)
    data = arr.transpose(perm)
    return _make_plan(arr.shape, axes, layout, dtype_map[arr.dtype], data, "cpu", value_range)


_TORCH_DTYPES: dict[Any, str] = {}
# (key, plan) of the last torch tensor planned without a copy (see plan()).
_last_torch_plan: list[Any] = [None, None]


def _plan_torch(t: Any, value_range: tuple[float, float] | None) -> tuple[Plan, bool]:
    """The plan, and whether its data is the tensor's own memory (no conversion or copy)."""
    import torch

    # detach() makes a new tensor object (a tenth of a small upload's time): only when needed
    if t.requires_grad:
        t = t.detach()
    if t.dim() == 4:
        if t.shape[0] < 1:
            raise _shape_error(tuple(t.shape), "torch tensor")
        t = t[0]
    if not _TORCH_DTYPES:
        _TORCH_DTYPES.update(
            {torch.uint8: "f1", torch.float16: "f2", torch.float32: "f4", torch.bfloat16: "u2"}
        )
    dtype_map = _TORCH_DTYPES
    own_memory = True
    if t.dtype == torch.float64:
        t = t.to(torch.float32)
        own_memory = False
    if t.dtype not in dtype_map:
        raise SketchmlError(
            f"image() cannot draw a torch tensor of dtype {t.dtype}; it accepts {_DTYPES}. "
            "Fix: convert it, e.g. t.float() / 255 for 0..255 integers, or t.to(torch.uint8)."
        )
    shape = tuple(t.shape)
    axes = _hwc_axes(shape, torch_first=True, kind="torch tensor")
    layout, perm = _arrange(shape, tuple(t.stride()), axes)
    if layout == "copy":
        # a strided view neither order can read directly: the documented one copy
        t = t.contiguous()
        own_memory = False
        layout, perm = _arrange(shape, tuple(t.stride()), axes)
    view = t.permute(*perm)  # a view: the memory is already in this order
    gl_dtype = dtype_map[t.dtype]
    if t.device.type == "cpu":
        if t.dtype == torch.bfloat16:
            # numpy has no bfloat16: reinterpret the same bytes as 16-bit integers
            data = view.view(torch.int16).numpy().view(np.uint16)
        else:
            data = view.numpy()
        device = "cpu"
    else:
        data = view
        device = str(t.device)
    return _make_plan(shape, axes, layout, gl_dtype, data, device, value_range), own_memory


def _make_plan(shape, axes, layout, gl_dtype, data, device, value_range) -> Plan:
    if axes is None:
        h, w = shape
        c = 1
    else:
        h, w, c = (shape[a] for a in axes)
    if c == 1:
        layout = "interleaved"
    sampling = Sampling(
        layout=layout,
        encoding="bf16" if gl_dtype == "u2" else "float",
        channels=c,
        value_range=_value_range(value_range, gl_dtype == "f1"),
    )
    return Plan(width=w, height=h, channels=c, layout=layout, gl_dtype=gl_dtype,
                sampling=sampling, data=data, device=device)
