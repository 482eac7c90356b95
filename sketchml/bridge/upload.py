"""Upload a planned array/tensor into a reused texture: one write of its own bytes."""
from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sketchml.bridge.layout import Plan, plan
from sketchml.errors import SketchmlError, did_you_mean
from sketchml.graphics.textured import Sampling

if TYPE_CHECKING:
    import moderngl

__all__ = ["TensorTexture", "cuda_interop_mode", "set_cuda_interop", "to_texture"]

_MODES = ("auto", "on", "off")
_mode = os.environ.get("SKETCHML_CUDA_INTEROP", "auto").lower()
if _mode not in _MODES:
    _mode = "auto"

# Textures are kept per shape so a sketch drawing one tensor per frame allocates once.
_CACHE_SIZE = 8


@dataclass(frozen=True)
class TensorTexture:
    """A texture holding an array's bytes, with how the shader must read it."""

    texture: Any  # moderngl.Texture or moderngl.TextureArray
    sampling: Sampling
    width: int
    height: int


def set_cuda_interop(mode: str) -> None:
    """Choose how CUDA tensors reach GL: ``"auto"`` (interop when the GL context
    is on the tensor's GPU, else one device-to-host copy), ``"on"`` (interop or
    an error) or ``"off"`` (always through the host). The environment variable
    ``SKETCHML_CUDA_INTEROP`` sets the starting mode.

    Examples:
        >>> from sketchml.bridge import set_cuda_interop, cuda_interop_mode
        >>> set_cuda_interop("off"); cuda_interop_mode()
        'off'
        >>> set_cuda_interop("auto")
    """
    global _mode
    if mode not in _MODES:
        raise SketchmlError(
            f"Unknown CUDA interop mode {mode!r}; expected one of {', '.join(_MODES)}.{did_you_mean(mode, _MODES)}"
        )
    _mode = mode


def cuda_interop_mode() -> str:
    """The current CUDA interop mode (see :func:`set_cuda_interop`).

    Examples:
        >>> from sketchml.bridge import cuda_interop_mode
        >>> cuda_interop_mode() in ("auto", "on", "off")
        True
    """
    return _mode


_textures: weakref.WeakKeyDictionary[moderngl.Context, OrderedDict] = weakref.WeakKeyDictionary()


def _texture(ctx: moderngl.Context, p: Plan) -> Any:
    import moderngl

    cache = _textures.setdefault(ctx, OrderedDict())
    key = p.texture_key
    tex = cache.pop(key, None)
    if tex is None:
        if p.layout == "planar":
            tex = ctx.texture_array((p.width, p.height, p.channels), 1, dtype=p.gl_dtype)
        else:
            tex = ctx.texture((p.width, p.height), p.channels, dtype=p.gl_dtype)
        # integer (bfloat16-bits) textures are incomplete unless sampled NEAREST
        filt = moderngl.NEAREST if p.gl_dtype == "u2" else moderngl.LINEAR
        tex.filter = (filt, filt)
        tex.repeat_x = tex.repeat_y = False
        while len(cache) >= _CACHE_SIZE:
            _, old = cache.popitem(last=False)
            old.release()
    cache[key] = tex
    return tex


def to_texture(ctx: moderngl.Context, obj: Any, *, value_range: tuple[float, float] | None = None) -> TensorTexture:
    """Put a numpy array or torch tensor into a GL texture, ready to draw.

    On the CPU this is one ``texture.write`` of the tensor's own memory (no
    permute, no dtype conversion): the shader reads CHW or HWC, uint8, float16,
    bfloat16 or float32 as they lie. CUDA tensors go through CUDA-GL interop or
    one device-to-host copy (see :func:`set_cuda_interop`). Accepted shapes are
    listed in :mod:`sketchml.bridge.layout`.

    Examples:
        >>> import moderngl, numpy as np
        >>> from sketchml.bridge import to_texture
        >>> ctx = moderngl.create_standalone_context(backend="egl")
        >>> tt = to_texture(ctx, np.zeros((3, 4, 5), np.float32))
        >>> (tt.width, tt.height, tt.sampling.layout)
        (5, 4, 'planar')
    """
    p = plan(obj, value_range=value_range)
    tex = _texture(ctx, p)
    if p.device == "cpu":
        tex.write(p.data)
    else:
        _upload_device(ctx, tex, p)
    return TensorTexture(texture=tex, sampling=p.sampling, width=p.width, height=p.height)


def _upload_device(ctx: moderngl.Context, tex: Any, p: Plan) -> None:
    from sketchml.bridge import cuda

    tensor = p.data
    if _mode != "off" and tensor.device.type == "cuda":
        usable = cuda.interop_device_ok(ctx, tensor.device.index or 0)
        if usable:
            cuda.upload_cuda(ctx, tex, tensor)
            return
        if _mode == "on":
            raise cuda.InteropUnavailable(
                f"CUDA-GL interop was requested (mode 'on') but the GL context is not on {tensor.device}. "
                "Run the sketch on that GPU's display/EGL device, or set_cuda_interop('auto') to copy through the host."
            )
    host = tensor.cpu()  # the one device-to-host copy
    if p.gl_dtype == "u2":
        import torch

        host = host.view(torch.int16)
    tex.write(host.numpy())
