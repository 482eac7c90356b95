"""Read and write still images (PNG, JPEG, GIF, WebP, BMP, TIFF) through Pillow.

Pixels cross this module as ``(H, W, 4)`` uint8 RGBA arrays, rows top-down,
the layout of :class:`sketchml.graphics.image.Image` and of
``Canvas._read_pixels()``. Files are written atomically: into a temporary file
beside the target, then renamed over it, so a crash never leaves half a PNG.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.files import atomic_path

__all__ = ["SAVE_FORMATS", "read_image", "write_image"]

# extension -> Pillow format name; formats without alpha get the RGB channels only
SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
_NO_ALPHA = {"JPEG", "BMP"}


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file (its first frame for GIF/WebP animations) as ``(H, W, 4)`` uint8 RGBA.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "dot.png")
        >>> write_image(path, np.full((2, 3, 4), 200, np.uint8))
        >>> read_image(path).shape
        (2, 3, 4)
    """
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        where = "is a folder" if p.is_dir() else "does not exist"
        raise SketchmlError(
            f"Cannot load image {str(path)!r}: the file {where} "
            f"(looked for {str(p.resolve())!r}; working directory {os.getcwd()!r}). "
            "Check the spelling, or give a path relative to the working directory or an absolute one."
        )
    try:
        with PILImage.open(p) as im:
            im.seek(0)
            rgba = im.convert("RGBA")
            return np.asarray(rgba, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SketchmlError(
            f"Cannot load image {str(path)!r}: the file exists but is not a readable image ({exc}). "
            "Expected a PNG, JPEG, GIF, WebP, BMP or TIFF file; re-export it in one of those formats."
        ) from exc


def write_image(path: str | os.PathLike[str], pixels: np.ndarray) -> None:
    """Write ``(H, W, 4)``/``(H, W, 3)`` uint8 pixels to ``path``, the format chosen by
    its extension; folders are created and the file appears atomically.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> write_image(os.path.join(tempfile.mkdtemp(), "out", "a.jpg"), np.zeros((4, 4, 4), np.uint8))
    """
    from PIL import Image as PILImage

    target = Path(path)
    fmt = SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise SketchmlError(
            f"Cannot save {str(path)!r}: unknown image extension {target.suffix!r}. "
            f"Use one of {', '.join(sorted(SAVE_FORMATS))}, e.g. 'frame.png'."
        )
    arr = np.ascontiguousarray(pixels, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise SketchmlError(f"write_image expects (H, W, 3) or (H, W, 4) uint8 pixels, got shape {arr.shape}.")
    image = PILImage.fromarray(arr, "RGBA" if arr.shape[2] == 4 else "RGB")
    if fmt in _NO_ALPHA:
        image = image.convert("RGB")
    with atomic_path(target) as tmp:
        image.save(tmp, format=fmt)
