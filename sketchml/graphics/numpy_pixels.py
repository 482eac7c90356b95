"""py5's numpy pixel API and Processing's one-index ``pixels[i]``.

``pixels`` (see :mod:`sketchml.graphics.pixels`) is an ``(H, W, 4)`` RGBA array of
the :class:`PixelArray` kind: numpy indexing as usual, and, as in Processing and
py5, ``pixels[i]`` with one whole number ``i`` is the pixel ``i`` counted along the
rows (``y * width + x``), read as an ARGB int and written with any colour
(``pixels[i] = "#F6C"``, ``color(255, 0, 0)``, ``(r, g, b)``), and ``len(pixels)`` is
the number of pixels, so ``for i in range(len(pixels))`` visits each one.

``np_pixels`` is py5's array: the same pixels with the channels in ARGB order.
``get_np_pixels``/``set_np_pixels``/``create_image_from_numpy`` take a ``bands``
string naming the channel order of the array given or wanted: ``"ARGB"`` (py5's
default), ``"RGBA"``, ``"RGB"``, ``"BGR"``, ``"BGRA"`` or ``"L"`` (grey).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.graphics.color import parse_color
from sketchml.graphics.state import CanvasState

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from sketchml.graphics.image import Image

__all__ = ["NumpyPixelsMixin", "PixelArray", "color_bytes", "from_bands", "to_bands"]

_BANDS = ("ARGB", "RGBA", "RGB", "BGR", "BGRA", "L")


def color_bytes(value: Any) -> np.ndarray:
    """Any one colour (an ARGB int, a CSS/hex string, an (r, g, b[, a]) tuple in 0..255)
    as 4 uint8 RGBA.

    Examples:
        >>> color_bytes("#F6C").tolist()
        [255, 102, 204, 255]
        >>> color_bytes(0x80FF0000).tolist()
        [255, 0, 0, 128]
    """
    if isinstance(value, (tuple, list)):
        rgba = parse_color(tuple(value))
    else:
        rgba = parse_color((value,))
    return np.array([round(v * 255.0) for v in rgba], dtype=np.uint8)


class PixelArray(np.ndarray):
    """An ``(H, W, 4)`` uint8 RGBA array where one whole-number index is a pixel number.

    Examples:
        >>> px = np.zeros((2, 3, 4), np.uint8).view(PixelArray)
        >>> px[4] = "#F6C"          # pixel 4 = row 1, column 1
        >>> px[1, 1].tolist(), hex(px[4])
        ([255, 102, 204, 255], '0xffff66cc')
    """

    def _pixel_index(self, key: Any) -> tuple[int, int] | None:
        if self.ndim != 3 or self.shape[2] != 4:
            return None
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)):
            return None
        h, w = self.shape[:2]
        i = int(key)
        if i < 0:
            i += h * w
        if not 0 <= i < h * w:
            raise IndexError(
                f"pixel index {int(key)} is outside the {w}x{h} pixels (0 to {w * h - 1}); "
                "pixels[y * width + x] is the pixel at (x, y)."
            )
        return divmod(i, w)

    def __len__(self) -> int:
        # As py5's pixels: one entry per pixel, so range(len(pixels)) walks every pixel.
        if self.ndim == 3 and self.shape[2] == 4:
            return self.shape[0] * self.shape[1]
        return super().__len__()

    def __getitem__(self, key: Any) -> Any:
        at = self._pixel_index(key)
        if at is None:
            return super().__getitem__(key)
        r, g, b, a = (int(v) for v in np.asarray(self)[at])
        return (a << 24) | (r << 16) | (g << 8) | b

    def __setitem__(self, key: Any, value: Any) -> None:
        at = self._pixel_index(key)
        if at is not None:
            np.asarray(self)[at] = color_bytes(value)
            return
        if isinstance(value, str) or (
            isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            and int(value) > 255
        ):
            # A colour for every pixel selected: a string, or an ARGB int from color().
            value = color_bytes(value)
        super().__setitem__(key, value)


def to_bands(rgba: np.ndarray, bands: str) -> np.ndarray:
    """``(H, W, 4)`` RGBA uint8 -> the channels ``bands`` names (a new array).

    Examples:
        >>> to_bands(np.array([[[1, 2, 3, 4]]], np.uint8), "ARGB").tolist()
        [[[4, 1, 2, 3]]]
    """
    bands = _check_bands(bands)
    rgba = np.asarray(rgba)
    if bands == "L":
        rgb = rgba[..., :3].astype(np.float32)
        grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    order = ["RGBA".index(c) for c in bands]
    return np.ascontiguousarray(rgba[..., order])


def from_bands(array: Any, bands: str) -> np.ndarray:
    """An array with channels ``bands`` (uint8, or float in [0, 1]) -> ``(H, W, 4)`` RGBA uint8.

    Examples:
        >>> from_bands(np.array([[[4, 1, 2, 3]]], np.uint8), "ARGB").tolist()
        [[[1, 2, 3, 4]]]
    """
    bands = _check_bands(bands)
    arr = np.asarray(array)
    if np.issubdtype(arr.dtype, np.floating):
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if bands == "L":
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        if arr.ndim != 2:
            raise SketchmlError(f"bands='L' expects an (H, W) array of greys, got shape {arr.shape}.")
        out = np.empty(arr.shape + (4,), np.uint8)
        out[..., :3] = arr[..., None]
        out[..., 3] = 255
        return out
    if arr.ndim != 3 or arr.shape[2] != len(bands):
        raise SketchmlError(
            f"bands={bands!r} expects an (H, W, {len(bands)}) array, got shape {arr.shape}."
        )
    out = np.empty(arr.shape[:2] + (4,), np.uint8)
    out[..., 3] = 255
    for i, c in enumerate(bands):
        out[..., "RGBA".index(c)] = arr[..., i]
    return out


def _check_bands(bands: str) -> str:
    if bands not in _BANDS:
        raise SketchmlError(f"bands={bands!r} is not a channel order; use one of {', '.join(_BANDS)}.")
    return bands


class NumpyPixelsMixin(CanvasState):
    """Canvas methods of py5's numpy pixel API."""

    API_METHODS: tuple[str, ...] = (
        "create_image_from_numpy", "get_np_pixels", "load_np_pixels", "set_np_pixels", "to_pil",
        "update_np_pixels",
    )
    LIVE_ATTRIBUTES: tuple[str, ...] = ("np_pixels",)
    _np_pixels_array: np.ndarray | None = None

    @property
    def np_pixels(self) -> np.ndarray:
        """The canvas as an ``(H, W, 4)`` uint8 array in ARGB order (py5's ``np_pixels``),
        as of the last ``load_np_pixels()``; ``update_np_pixels()`` shows changes made to it.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> canvas = Canvas(40, 30); canvas._gl_init(create_headless_context())
            >>> canvas.load_np_pixels()
            >>> canvas.np_pixels[:10, :, 1:] = (255, 0, 0)   # a red band
            >>> canvas.update_np_pixels()
            >>> canvas._read_pixels()[5, 5].tolist()
            [255, 0, 0, 255]
        """
        arr = self._np_pixels_array
        if arr is None or arr.shape[:2] != (self.height, self.width):
            arr = self._np_pixels_array = np.zeros((self.height, self.width, 4), np.uint8)
        return arr

    def load_np_pixels(self) -> None:
        """Copy the canvas into ``np_pixels`` (ARGB order).

        Examples:
            >>> canvas.load_np_pixels()  # doctest: +SKIP
        """
        argb = to_bands(self._read_pixels(), "ARGB")
        arr = self._np_pixels_array
        if arr is not None and arr.shape == argb.shape:
            np.copyto(arr, argb)
        else:
            self._np_pixels_array = argb

    def update_np_pixels(self) -> None:
        """Write ``np_pixels`` back to the canvas (no blending, no transform).

        Examples:
            >>> canvas.load_np_pixels(); canvas.np_pixels[..., 0] = 255; canvas.update_np_pixels()  # doctest: +SKIP
        """
        if self._np_pixels_array is None:
            raise SketchmlError(
                "update_np_pixels() has nothing to write: call load_np_pixels() first, then "
                "change np_pixels."
            )
        self._write_rgba(from_bands(self._np_pixels_array, "ARGB"))

    def _write_rgba(self, rgba: np.ndarray) -> None:
        """Replace the canvas with ``(H, W, 4)`` RGBA uint8 pixels."""
        self._draw_unblended(self._pixels_texture_of(np.ascontiguousarray(rgba)),
                             (0.0, 0.0, float(self.width), float(self.height)))

    def get_np_pixels(
        self, x: int | None = None, y: int | None = None, w: int | None = None,
        h: int | None = None, *, bands: str = "ARGB", dst: np.ndarray | None = None,
    ) -> np.ndarray:
        """A copy of the canvas (or of the ``w`` x ``h`` region at ``(x, y)``) as a numpy
        array with the channels ``bands`` (``"ARGB"``, ``"RGBA"``, ``"RGB"``, ``"BGR"``,
        ``"BGRA"`` or ``"L"``); written into ``dst`` when given.

        Examples:
            >>> canvas.get_np_pixels(0, 0, 10, 10, bands="RGB").shape  # doctest: +SKIP
            (10, 10, 3)
        """
        if x is None and y is None and w is None and h is None:
            rgba = self._read_pixels()
        elif x is None or y is None or w is None or h is None:
            raise SketchmlError("get_np_pixels() takes all of x, y, w, h or none of them.")
        else:
            rgba = self._read_region(int(x), int(y), int(w), int(h))
        out = to_bands(rgba, bands)
        if dst is None:
            return out
        if dst.shape != out.shape:
            raise SketchmlError(f"get_np_pixels(dst=...) needs an array of shape {out.shape}, got {dst.shape}.")
        np.copyto(dst, out, casting="unsafe")
        return dst

    def set_np_pixels(self, array: np.ndarray, bands: str = "ARGB") -> None:
        """Replace the whole canvas with ``array`` (``(height, width, channels)`` in the
        order ``bands``; uint8, or float in [0, 1]).

        Examples:
            >>> import numpy as np
            >>> canvas.set_np_pixels(np.zeros((canvas.height, canvas.width, 3), np.uint8), "RGB")  # doctest: +SKIP
        """
        rgba = from_bands(array, bands)
        if rgba.shape[:2] != (self.height, self.width):
            raise SketchmlError(
                f"set_np_pixels() needs an array of {self.height} rows and {self.width} columns "
                f"(the canvas), got {rgba.shape[0]}x{rgba.shape[1]}."
            )
        self._write_rgba(rgba)

    def to_pil(self) -> PILImage.Image:
        """The canvas as a Pillow RGBA image.

        Examples:
            >>> canvas.to_pil().size  # doctest: +SKIP
            (100, 100)
        """
        from PIL import Image as PILImage

        return PILImage.fromarray(self._read_pixels(), "RGBA")

    def create_image_from_numpy(self, array: np.ndarray, bands: str = "ARGB",
                                *, dst: Image | None = None) -> Image:
        """An :class:`~sketchml.Image` made from a numpy array whose channels are ``bands``
        (py5's default ``"ARGB"``); with ``dst`` that image is overwritten (same size).

        Examples:
            >>> import numpy as np
            >>> from sketchml.graphics.canvas import Canvas
            >>> img = Canvas(4, 4).create_image_from_numpy(np.full((2, 3, 3), 255, np.uint8), "RGB")
            >>> (img.width, img.height, hex(img.get_pixels(0, 0)))
            (3, 2, '0xffffffff')
        """
        from sketchml.graphics.image import Image

        rgba = from_bands(array, bands)
        if dst is None:
            return Image.from_array(rgba)
        if (dst.height, dst.width) != rgba.shape[:2]:
            raise SketchmlError(
                f"create_image_from_numpy(dst=...) needs an image of {rgba.shape[1]}x{rgba.shape[0]}, "
                f"got {dst.width}x{dst.height}."
            )
        dst.load_pixels()
        dst.pixels[...] = rgba
        dst.update_pixels()
        return dst
