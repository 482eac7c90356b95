"""Pixels of a canvas: ``load_pixels``/``pixels``/``update_pixels``, ``get_pixels``,
``set_pixels``, and saving the canvas with ``save``/``save_frame``.

``pixels`` is a numpy ``(H, W, 4)`` uint8 RGBA array (rows top-down, straight
alpha) holding a snapshot taken by ``load_pixels()``. Writing to it changes
nothing on screen until ``update_pixels()`` copies it back, as in Processing.
The array keeps its identity while the canvas keeps its size: ``load_pixels()``
refills it in place, so imported-mode code holding ``pixels`` sees fresh values.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.graphics.image import Image, get_pixels_from, pixel_argb
from sketchml.graphics.numpy_pixels import PixelArray
from sketchml.graphics.state import CanvasState
from sketchml.graphics.textured import Sampling

__all__ = ["PixelsMixin"]


class PixelsMixin(CanvasState):
    """Canvas methods for reading and writing pixels and saving the canvas."""

    API_METHODS: tuple[str, ...] = ("get_pixels", "load_pixels", "save", "save_frame", "set_pixels", "update_pixels")
    #: read like a variable in imported/module mode (the runtime keeps it current)
    LIVE_ATTRIBUTES: tuple[str, ...] = ("pixels",)
    _pixels_array: np.ndarray | None = None
    _pixels_texture: Any = None
    _dot_image: Image | None = None  # the 1x1 texture set_pixels draws a colour with

    @property
    def pixels(self) -> np.ndarray:
        """The canvas as a writable ``(H, W, 4)`` uint8 RGBA array, as of the last
        ``load_pixels()`` (all zeros before the first). Call ``update_pixels()`` after
        writing to show the changes. The array stays the same object from frame to
        frame (``load_pixels()`` refills it), so a name bound to it stays current.
        As in Processing, ``pixels[i]`` with one number is pixel ``i`` along the rows
        (``y * width + x``): an ARGB int to read, any colour to write (``pixels[i] = "#F6C"``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> canvas = Canvas(40, 30); canvas._gl_init(create_headless_context())
            >>> canvas.load_pixels()
            >>> canvas.pixels[10:20, :, :3] = 0  # a black band
            >>> canvas.update_pixels()
            >>> canvas._read_pixels()[15, 5].tolist()
            [0, 0, 0, 255]
        """
        arr = self._pixels_array
        if arr is None or arr.shape[:2] != (self.height, self.width):
            # no read-back here: reading pixels must stay cheap (the runtime syncs it every frame)
            arr = self._pixels_array = np.zeros((self.height, self.width, 4), np.uint8).view(PixelArray)
        return arr

    def load_pixels(self) -> None:
        """Copy the canvas into ``pixels`` (a snapshot; load again after drawing more).

        Examples:
            >>> canvas.load_pixels()  # doctest: +SKIP
        """
        current = self._read_pixels()
        arr = self._pixels_array
        if arr is not None and arr.shape == current.shape and arr.dtype == np.uint8:
            np.copyto(arr, current)
        else:
            self._pixels_array = np.array(current, dtype=np.uint8, copy=True).view(PixelArray)

    def update_pixels(self) -> None:
        """Write ``pixels`` back to the canvas, replacing what is there (no blending,
        no transform).

        Examples:
            >>> canvas.load_pixels(); canvas.pixels[:] = 255; canvas.update_pixels()  # doctest: +SKIP
        """
        if self._pixels_array is None:
            raise SketchmlError("update_pixels() has nothing to write: call load_pixels() first, then change pixels.")
        arr = self._pixels_array
        if arr.ndim != 3 or arr.shape[2] != 4 or arr.dtype != np.uint8:
            raise SketchmlError(
                f"pixels must stay an (H, W, 4) uint8 array; it is now {arr.dtype} {arr.shape}. "
                "Assign into it (pixels[...] = values) rather than replacing it."
            )
        self._draw_unblended(self._pixels_texture_of(arr), (0.0, 0.0, float(self.width), float(self.height)))

    def _pixels_texture_of(self, arr: np.ndarray) -> Any:
        import moderngl

        h, w = arr.shape[:2]
        tex = self._pixels_texture
        if tex is None or tex.size != (w, h) or tex.ctx is not self.ctx:
            if tex is not None:
                tex.release()
            tex = self._pixels_texture = self._require_gl().texture((w, h), 4)
            # one texel per canvas pixel: nearest keeps values exact
            tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        tex.write(np.ascontiguousarray(arr))
        return tex

    def _draw_unblended(self, texture: Any, rect: tuple[float, float, float, float]) -> None:
        self._draw_texture_quad(texture, rect, sampling=Sampling(), transform=False, blend=False)

    def get_pixels(self, *args: int) -> Image | int:
        """Read the canvas: ``get_pixels()`` -> the whole canvas as an :class:`Image`;
        ``get_pixels(x, y)`` -> the colour at a point as an ARGB int (``0xAARRGGBB``,
        0 outside the canvas); ``get_pixels(x, y, w, h)`` -> a region as an Image.

        Each call reads the canvas; to look at many points, ``load_pixels()`` once
        and index ``pixels[y, x]``.

        Examples:
            >>> hex(canvas.get_pixels(0, 0))  # doctest: +SKIP
            '0xffcccccc'
        """
        if len(args) == 2:
            x, y = int(args[0]), int(args[1])
            return pixel_argb(self._read_region(x, y, 1, 1), 0, 0)
        if len(args) == 4:
            x, y, w, h = (int(v) for v in args)
            if w <= 0 or h <= 0:
                raise SketchmlError(f"get_pixels(x, y, w, h) needs a positive width and height, got w={w}, h={h}.")
            return Image.from_array(self._read_region(x, y, w, h))
        return get_pixels_from(self._read_pixels(), args)

    def _read_region(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """Read only the (x, y, w, h) part of the canvas (transparent outside it), straight alpha."""
        out = np.zeros((h, w, 4), np.uint8)
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x1 <= x0 or y1 <= y0:
            return out
        self._flush()
        # framebuffer row 0 is canvas y = 0, so the viewport needs no flip
        data = self._require_fbo().read(viewport=(x0, y0, x1 - x0, y1 - y0), components=4, alignment=1)
        px = np.frombuffer(data, np.uint8).reshape(y1 - y0, x1 - x0, 4).astype(np.float32)
        alpha = px[..., 3:4]
        rgb = np.where(alpha > 0, px[..., :3] * 255.0 / np.maximum(alpha, 1.0), 0.0)
        px[..., :3] = np.clip(np.rint(rgb), 0, 255)
        out[y0 - y : y1 - y, x0 - x : x1 - x] = px.astype(np.uint8)
        return out

    def set_pixels(self, x: int, y: int, c: Any) -> None:
        """Set one pixel to a colour (any ``fill`` form), or copy an :class:`Image`
        with its top-left corner at (x, y); no blending, no transform, and no
        ``update_pixels`` needed.

        Examples:
            >>> canvas.set_pixels(5, 5, canvas.color(255, 0, 0))  # doctest: +SKIP
        """
        x, y = int(x), int(y)
        if isinstance(c, Image):
            self._draw_unblended(c._texture(self._require_gl()), (float(x), float(y), float(c.width), float(c.height)))
            return
        if isinstance(c, (tuple, list)):
            rgba = self._color_to_rgba(*c)
        else:
            rgba = self._color_to_rgba(c)
        dot = self._dot_image
        if dot is None:
            dot = self._dot_image = Image(1, 1)
        dot.set_pixels(0, 0, tuple(round(v * 255) for v in rgba))
        self._draw_unblended(dot._texture(self._require_gl()), (float(x), float(y), 1.0, 1.0))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the canvas to ``path``; the extension picks the format (``.png``,
        ``.jpg``, ``.gif``, ``.webp``, ``.bmp``, ``.tif``). Folders are created and the
        file is written atomically.

        Examples:
            >>> canvas.save("out/picture.png")  # doctest: +SKIP
        """
        from sketchml.media.image_io import write_image

        write_image(path, self._read_pixels())

    def save_frame(self, pattern: str = "frame-####.png") -> str:
        """Save the canvas to ``pattern`` with its run of ``#`` replaced by the frame
        number, zero-padded (``frame-0042.png``); returns the path written.

        Examples:
            >>> canvas.save_frame("frames/walk-####.png")  # doctest: +SKIP
            'frames/walk-0000.png'
        """
        from sketchml.media.video import expand_frame_pattern

        path = expand_frame_pattern(str(pattern), int(getattr(self, "frame_count", 0) or 0))
        self.save(path)
        return path
