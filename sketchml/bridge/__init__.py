"""The tensor -> texture bridge: draw numpy arrays and torch tensors without reshuffling them.

``image(t)`` on a canvas calls :func:`to_texture`, which uploads the tensor's
own bytes once (CPU), copies device-to-device through CUDA-GL interop (CUDA,
when GL runs on the same GPU), or copies once to the host (other devices). The
layout (CHW/HWC), dtype (uint8, float16, bfloat16, float32) and value range are
decoded by the fragment shader. Importing this package does not import torch.

Examples:
    >>> import moderngl, numpy as np
    >>> from sketchml.bridge import to_texture
    >>> ctx = moderngl.create_standalone_context(backend="egl")
    >>> to_texture(ctx, np.zeros((8, 8, 3), np.uint8)).sampling.channels
    3
"""
from sketchml.bridge.layout import ACCEPTED_SHAPES, Plan, plan
from sketchml.bridge.upload import TensorTexture, cuda_interop_mode, set_cuda_interop, to_texture

__all__ = sorted(
    ["ACCEPTED_SHAPES", "Plan", "TensorTexture", "cuda_interop_mode", "plan", "set_cuda_interop", "to_texture"]
)
