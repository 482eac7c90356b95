"""CUDA-GL interop: copy a CUDA tensor into a GL texture without leaving the GPU.

The tensor's bytes are copied device-to-device into a GL pixel-unpack buffer
registered with CUDA (``cudaGraphicsGLRegisterBuffer``), then the texture is
filled from that buffer by GL, on the GPU. This works only when the GL context
runs on the tensor's GPU (NVIDIA's EGL or GLX driver); :func:`interop_device_ok`
asks CUDA which devices the current GL context uses.

Selection (see :func:`sketchml.bridge.set_cuda_interop`): ``"auto"`` (default)
uses interop when it is possible and otherwise one device-to-host copy;
``"on"`` raises when it is impossible; ``"off"`` always copies through the host.

Uses ``cuda.bindings.runtime`` (the ``cuda-bindings`` package, installed with
CUDA builds of torch); imported only when a CUDA tensor is drawn.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import moderngl

__all__ = ["InteropUnavailable", "interop_device_ok", "upload_cuda"]


class InteropUnavailable(SketchmlError):
    """CUDA-GL interop cannot be used here (no cuda-bindings, or GL on another device)."""


def _cudart() -> Any:
    try:
        from cuda.bindings import runtime as cudart
    except ImportError as exc:
        raise InteropUnavailable(
            "CUDA-GL interop needs the cuda-bindings package (`pip install cuda-bindings`), "
            f"which could not be imported ({exc})."
        ) from exc
    return cudart


def _check(result: Any, what: str) -> Any:
    """Unpack a cuda-bindings result tuple, raising on a CUDA error."""
    err, *values = result if isinstance(result, tuple) else (result,)
    cudart = _cudart()
    if err != cudart.cudaError_t.cudaSuccess:
        raise InteropUnavailable(f"CUDA-GL interop failed in {what}: {err!r}.")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


_device_ok: weakref.WeakKeyDictionary[moderngl.Context, frozenset[int]] = weakref.WeakKeyDictionary()


def interop_device_ok(ctx: moderngl.Context, device_index: int) -> bool:
    """True when the (current) GL context ``ctx`` runs on CUDA device ``device_index``."""
    if ctx not in _device_ok:
        try:
            cudart = _cudart()
            count, devices = _check(
                cudart.cudaGLGetDevices(8, cudart.cudaGLDeviceList.cudaGLDeviceListAll), "cudaGLGetDevices"
            )
            _device_ok[ctx] = frozenset(int(d) for d in list(devices)[: int(count)])
        except InteropUnavailable:
            _device_ok[ctx] = frozenset()
    return device_index in _device_ok[ctx]


class _PixelBuffer:
    """A GL pixel-unpack buffer registered with CUDA once and reused every frame."""

    def __init__(self, ctx: moderngl.Context, nbytes: int) -> None:
        cudart = _cudart()
        self.nbytes = nbytes
        self.buffer = ctx.buffer(reserve=nbytes)
        flags = cudart.cudaGraphicsRegisterFlags.cudaGraphicsRegisterFlagsWriteDiscard
        self.resource = _check(cudart.cudaGraphicsGLRegisterBuffer(self.buffer.glo, flags), "register buffer")

    def release(self) -> None:
        cudart = _cudart()
        cudart.cudaGraphicsUnregisterResource(self.resource)
        self.buffer.release()


_buffers: weakref.WeakKeyDictionary[moderngl.Context, _PixelBuffer] = weakref.WeakKeyDictionary()


def upload_cuda(ctx: moderngl.Context, texture: Any, tensor: Any) -> None:
    """Copy a contiguous CUDA ``tensor`` into ``texture`` (same byte layout) on the GPU."""
    import torch

    cudart = _cudart()
    nbytes = tensor.numel() * tensor.element_size()
    # the runtime API calls below act on the current device: make it the tensor's
    with torch.cuda.device(tensor.device):
        pbo = _buffers.get(ctx)
        if pbo is None or pbo.nbytes < nbytes:
            if pbo is not None:
                pbo.release()
            pbo = _buffers[ctx] = _PixelBuffer(ctx, nbytes)
        stream = torch.cuda.current_stream(tensor.device).cuda_stream
        _check(cudart.cudaGraphicsMapResources(1, pbo.resource, stream), "map")
        try:
            pointer, _size = _check(cudart.cudaGraphicsResourceGetMappedPointer(pbo.resource), "mapped pointer")
            _check(
                cudart.cudaMemcpyAsync(
                    pointer, tensor.data_ptr(), nbytes, cudart.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream
                ),
                "device-to-device copy",
            )
        finally:
            # unmapping orders the copy before any later GL use of the buffer
            _check(cudart.cudaGraphicsUnmapResources(1, pbo.resource, stream), "unmap")
    texture.write(pbo.buffer)
