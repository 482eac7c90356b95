"""Read and write still images (PNG, JPEG, GIF, WebP, BMP, TIFF) through Pillow.

Pixels cross this module as ``(H, W, 4)`` uint8 RGBA arrays, rows top-down,
the layout of :class:`sketchml.graphics.image.Image` and of
``Canvas._read_pixels()``. Files are written atomically: into a temporary file
beside the target, then renamed over it, so a crash never leaves half a PNG.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.files import atomic_path

__all__ = ["SAVE_FORMATS", "eight_bit", "read_image", "write_image"]

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
            rgba = eight_bit(im, source=repr(str(path))).convert("RGBA")
            return np.asarray(rgba, dtype=np.uint8).copy()
    except SketchmlError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SketchmlError(
            f"Cannot load image {str(path)!r}: the file exists but is not a readable image ({exc}). "
            "Expected a PNG, JPEG, GIF, WebP, BMP or TIFF file; re-export it in one of those formats."
        ) from exc


def eight_bit(image: Any, *, source: str = "the image") -> Any:
    """A Pillow image with 8 bits per channel: 16-bit, 32-bit and float greyscale scaled down.

    Pillow reads 16-bit RGB(A) PNGs as 8-bit already, but keeps 16-bit greyscale
    (mode ``I;16``), 32-bit integer (``I``) and float (``F``) images as they are, and
    converting those to RGB clips every value above 255 to white. Here 16-bit values
    are scaled by 255/65535, ``I`` images whose values fit 16 bits likewise, ``F``
    images in [0, 1] by 255; others are refused with a :class:`SketchmlError`.
    Any other mode is returned unchanged.

    Examples:
        >>> import numpy as np
        >>> from PIL import Image
        >>> grey16 = Image.fromarray(np.array([[0, 32896, 65535]], np.uint16))
        >>> grey16.mode, np.asarray(eight_bit(grey16)).tolist()
        ('I;16', [[0, 128, 255]])
    """
    from PIL import Image as PILImage

    mode = image.mode
    if not (mode.startswith("I;16") or mode in ("I", "F")):
        return image
    values = np.asarray(image).astype(np.float64)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if mode == "F":
        if low < 0 or high > 1:
            raise SketchmlError(
                f"Cannot load {source}: it is a floating-point image with values from {low:g} to "
                f"{high:g}, but sketchml reads float images in [0, 1]. Save it as an 8- or 16-bit "
                "PNG, or scale it to [0, 1]."
            )
        scaled = values * 255.0
    else:
        if low < 0 or high > 65535:
            raise SketchmlError(
                f"Cannot load {source}: it is a 32-bit integer image with values from {low:g} to "
                f"{high:g}, beyond 16 bits. sketchml reads images of 1 to 16 bits per channel; "
                "save it as an 8- or 16-bit PNG."
            )
        scaled = values * (255.0 / 65535.0)
    return PILImage.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


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
