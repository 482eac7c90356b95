"""Writing what a model makes while it trains: image grids (PNG) and text samples."""
from __future__ import annotations

import io
import math
import os
from pathlib import Path

import torch
from PIL import Image

from sketchml.errors import SketchmlError
from sketchml.files import atomic_write_bytes, atomic_write_text

__all__ = ["image_grid", "save_image_grid", "save_text_sample"]


def image_grid(images: torch.Tensor, *, nrow: int | None = None, padding: int = 2,
               value_range: tuple[float, float] = (0.0, 1.0)) -> Image.Image:
    """Tile images ``(N, C, H, W)`` (C = 1 or 3, floats in ``value_range``) into one picture.

    ``nrow`` is the number of images per row (default: a square-ish grid).

    Examples:
        >>> import torch
        >>> from sketchml.training import image_grid
        >>> image_grid(torch.rand(4, 3, 8, 8)).size
        (22, 22)
    """
    if not isinstance(images, torch.Tensor):
        raise SketchmlError(f"image_grid expects a torch tensor (N, C, H, W), got {type(images).__name__}.")
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise SketchmlError(
            f"image_grid expects images shaped (N, 1 or 3, H, W); got {tuple(images.shape)}. "
            f"Permute channels-last images with images.permute(0, 3, 1, 2)."
        )
    low, high = value_range
    pixels = ((images.detach().float().cpu() - low) / (high - low)).clamp(0, 1)
    pixels = (pixels * 255 + 0.5).to(torch.uint8)
    if pixels.shape[1] == 1:
        pixels = pixels.expand(-1, 3, -1, -1)
    count, _, h, w = pixels.shape
    columns = nrow or max(1, math.ceil(math.sqrt(count)))
    rows = math.ceil(count / columns)
    grid = torch.full((3, rows * (h + padding) + padding, columns * (w + padding) + padding), 255,
                      dtype=torch.uint8)
    for i in range(count):
        r, c = divmod(i, columns)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[:, y:y + h, x:x + w] = pixels[i]
    return Image.fromarray(grid.permute(1, 2, 0).contiguous().numpy())


def save_image_grid(images: torch.Tensor, path: str | os.PathLike[str], *, nrow: int | None = None,
                    value_range: tuple[float, float] = (0.0, 1.0)) -> Path:
    """Write :func:`image_grid` of ``images`` to ``path`` as a PNG, atomically; return the path.

    Examples:
        >>> import tempfile, os, torch
        >>> from sketchml.training import save_image_grid
        >>> save_image_grid(torch.rand(4, 3, 8, 8), os.path.join(tempfile.mkdtemp(), "g.png")).suffix
        '.png'
    """
    buffer = io.BytesIO()
    image_grid(images, nrow=nrow, value_range=value_range).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def save_text_sample(text: str, path: str | os.PathLike[str]) -> Path:
    """Write a text sample atomically; return the path.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training.samples import save_text_sample
        >>> save_text_sample("once upon a time", os.path.join(tempfile.mkdtemp(), "s.txt")).name
        's.txt'
    """
    atomic_write_text(path, text)
    return Path(path)
