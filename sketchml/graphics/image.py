"""Images: the :class:`Image` class, and drawing images, arrays and tensors on a canvas.

``image(src, x, y[, w, h])`` draws an :class:`Image`, an offscreen ``Graphics``,
a numpy array or a torch tensor (through :mod:`sketchml.bridge`) as one
textured quad, through the current transform, tint and blend mode.
"""
from __future__ import annotations

import os
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics.state import CanvasState
from sketchml.graphics.textured import Sampling, draw_textured, quad_corners, quads_to_triangles

if TYPE_CHECKING:
    import moderngl

__all__ = ["Image", "ImageMixin"]

_UV = np.array([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]], dtype=np.float32)
_IMAGE_MODES = {K.CORNER: "CORNER", K.CORNERS: "CORNERS", K.CENTER: "CENTER"}


def _release_quietly(tex: Any) -> None:
    try:
        tex.release()
    except Exception:  # the context may already be gone at interpreter exit
        pass


def pixel_argb(pixels: np.ndarray, x: int, y: int) -> int:
    """Processing's ``get(x, y)``: the ARGB int (``0xAARRGGBB``) at a point, 0 outside."""
    h, w = pixels.shape[:2]
    x, y = int(x), int(y)
    if not (0 <= x < w and 0 <= y < h):
        return 0
    r, g, b, a = (int(v) for v in pixels[y, x])
    return (a << 24) | (r << 16) | (g << 8) | b


def pixel_region(pixels: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """A copy of the ``w`` x ``h`` region at (x, y); parts outside the source are transparent."""
    x, y, w, h = int(x), int(y), int(w), int(h)
    if w <= 0 or h <= 0:
        raise SketchmlError(f"get_pixels(x, y, w, h) needs a positive width and height, got w={w}, h={h}.")
    out = np.zeros((h, w, 4), np.uint8)
    sh, sw = pixels.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, sw), min(y + h, sh)
    if x1 > x0 and y1 > y0:
        out[y0 - y : y1 - y, x0 - x : x1 - x] = pixels[y0:y1, x0:x1]
    return out


def get_pixels_from(pixels: np.ndarray, args: tuple) -> Image | int:
    """The three ``get_pixels`` forms over an ``(H, W, 4)`` array (see ``Image.get_pixels``)."""
    if len(args) == 0:
        return Image.from_array(pixels.copy())
    if len(args) == 2:
        return pixel_argb(pixels, *args)
    if len(args) == 4:
        return Image.from_array(pixel_region(pixels, *args))
    raise SketchmlError(
        f"get_pixels takes no arguments (everything), (x, y) (one colour) or (x, y, w, h) (a region); "
        f"got {len(args)} arguments."
    )


def _color_to_bytes(c: Any) -> np.ndarray:
    """An ARGB int (from ``color()``) or an (r, g, b[, a]) 0..255 tuple, as 4 uint8."""
    if isinstance(c, (int, np.integer)):
        v = int(c) & 0xFFFFFFFF
        return np.array([(v >> 16) & 255, (v >> 8) & 255, v & 255, (v >> 24) & 255], np.uint8)
    values = list(c)
    if len(values) == 3:
        values.append(255)
    if len(values) != 4:
        raise SketchmlError(f"A pixel colour is an ARGB int from color() or (r, g, b[, a]) in 0..255; got {c!r}.")
    return np.clip(np.array(values, float), 0, 255).astype(np.uint8)


class Image:
    """An RGBA image held in memory, drawn with ``image(img, x, y)``.

    ``pixels`` is a writable ``(H, W, 4)`` uint8 RGBA numpy array (rows
    top-down). After writing to it call ``update_pixels()``: the image is
    uploaded to the GPU lazily when drawn, and again only after it changed.
    Make one with ``load_image(path)``, ``create_image(w, h)`` (transparent)
    or ``Image.from_array(array)``.

    Examples:
        >>> from sketchml.graphics.image import Image
        >>> img = Image(4, 3)
        >>> img.load_pixels()
        >>> img.pixels[:, :] = (255, 0, 0, 255)
        >>> img.update_pixels()
        >>> hex(img.get_pixels(0, 0))
        '0xffff0000'
    """

    def __init__(self, width: int, height: int) -> None:
        width, height = int(width), int(height)
        if width <= 0 or height <= 0:
            raise SketchmlError(f"An image needs a positive width and height, got {width} x {height}.")
        self._pixels = np.zeros((height, width, 4), np.uint8)
        self._version = 0
        self._gl: tuple[Any, Any, int] | None = None  # (context, texture, version uploaded)
        self._finalizer: weakref.finalize | None = None

    @classmethod
    def from_array(cls, array: Any) -> Image:
        """Make an Image from ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` pixels:
        uint8, or float in [0, 1]; a torch tensor in CHW order is accepted too.

        Examples:
            >>> import numpy as np
            >>> Image.from_array(np.ones((2, 5, 3))).width
            5
        """
        from sketchml.bridge.layout import is_torch_tensor

        if is_torch_tensor(array):
            t = array.detach().cpu()
            if t.dim() == 4:
                t = t[0]
            if t.dim() == 3 and t.shape[0] in (1, 3, 4) and t.shape[2] not in (1, 3, 4):
                t = t.permute(1, 2, 0)
            array = t.float().numpy() if t.is_floating_point() else t.numpy()
        arr = np.asarray(array)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
            raise SketchmlError(
                f"Image.from_array expects (H, W), (H, W, 3) or (H, W, 4) pixels, got shape {arr.shape}."
            )
        if arr.dtype != np.uint8:
            if not np.issubdtype(arr.dtype, np.floating):
                raise SketchmlError(
                    f"Image.from_array expects uint8 or float pixels in [0, 1], got dtype {arr.dtype}."
                )
            arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        h, w, c = arr.shape
        img = cls(w, h)
        if c == 1:
            img._pixels[:, :, :3] = arr
            img._pixels[:, :, 3] = 255
        else:
            img._pixels[:, :, :c] = arr
            if c == 3:
                img._pixels[:, :, 3] = 255
        return img

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self._pixels.shape[1]

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self._pixels.shape[0]

    @property
    def pixels(self) -> np.ndarray:
        """The writable ``(H, W, 4)`` uint8 RGBA array; call ``update_pixels()`` after writing.
        ``pixels[i]`` with one number is pixel ``i`` along the rows, as in Processing."""
        from sketchml.graphics.numpy_pixels import PixelArray

        return self._pixels.view(PixelArray)

    def load_pixels(self) -> None:
        """Make ``pixels`` current. An Image's pixels always are; kept for Processing habits."""

    def update_pixels(self) -> None:
        """Mark ``pixels`` as changed, so the next draw uploads them again."""
        self._version += 1

    def get_pixels(self, *args: int) -> Image | int:
        """``get_pixels()``: a copy of the whole image; ``get_pixels(x, y)``: the colour
        at a point as an ARGB int (``0xAARRGGBB``, 0 outside); ``get_pixels(x, y, w, h)``:
        a region as a new Image (transparent outside).

        Examples:
            >>> Image(8, 8).get_pixels(2, 2, 4, 4).width
            4
        """
        return get_pixels_from(self._pixels, args)

    def set_pixels(self, x: int, y: int, c: Any) -> None:
        """Set the pixel at (x, y) to a colour (ARGB int or (r, g, b[, a]) in 0..255),
        or copy an Image with its top-left corner at (x, y). No update_pixels needed.

        Examples:
            >>> img = Image(2, 2)
            >>> img.set_pixels(1, 1, 0xFF00FF00)
            >>> hex(img.get_pixels(1, 1))
            '0xff00ff00'
        """
        x, y = int(x), int(y)
        if isinstance(c, Image):
            src = c.pixels
            h, w = src.shape[:2]
            x0, y0 = max(x, 0), max(y, 0)
            x1, y1 = min(x + w, self.width), min(y + h, self.height)
            if x1 > x0 and y1 > y0:
                self._pixels[y0:y1, x0:x1] = src[y0 - y : y1 - y, x0 - x : x1 - x]
        elif 0 <= x < self.width and 0 <= y < self.height:
            self._pixels[y, x] = _color_to_bytes(c)
        self._version += 1

    def resize(self, width: int, height: int) -> None:
        """Resize in place (bicubic); a 0 width or height keeps the aspect ratio.

        Examples:
            >>> img = Image(8, 4)
            >>> img.resize(4, 0)
            >>> (img.width, img.height)
            (4, 2)
        """
        from PIL import Image as PILImage

        width, height = int(width), int(height)
        if width <= 0 and height <= 0:
            raise SketchmlError("resize needs a positive width or height (0 for one of them keeps the aspect ratio).")
        if width <= 0:
            width = max(1, round(self.width * height / self.height))
        if height <= 0:
            height = max(1, round(self.height * width / self.width))
        pil = PILImage.fromarray(self._pixels, "RGBA").resize((width, height), PILImage.Resampling.BICUBIC)
        self._pixels = np.asarray(pil, dtype=np.uint8).copy()
        self._version += 1

    def copy(self) -> Image:
        """A new Image with a copy of these pixels.

        Examples:
            >>> Image(3, 2).copy().height
            2
        """
        return Image.from_array(self._pixels.copy())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save to ``path`` (PNG, JPEG, GIF, WebP, BMP, TIFF by extension), atomically.

        Examples:
            >>> import tempfile, os
            >>> Image(4, 4).save(os.path.join(tempfile.mkdtemp(), "blank.png"))
        """
        from sketchml.media.image_io import write_image

        write_image(path, self._pixels)

    def _repr_png_(self) -> bytes:
        import io

        from PIL import Image as PILImage

        buf = io.BytesIO()
        PILImage.fromarray(self._pixels, "RGBA").save(buf, format="PNG")
        return buf.getvalue()

    def __repr__(self) -> str:
        return f"Image(width={self.width}, height={self.height})"

    def _texture(self, ctx: moderngl.Context) -> Any:
        """The GL texture of these pixels on ``ctx``, uploaded only when they changed."""
        import moderngl

        if self._gl is not None:
            gl_ctx, tex, version = self._gl
            if gl_ctx is ctx and tex.size == (self.width, self.height):
                if version != self._version:
                    tex.write(self._pixels)
                    self._gl = (ctx, tex, self._version)
                return tex
            if self._finalizer is not None:
                self._finalizer.detach()
            _release_quietly(tex)
        tex = ctx.texture((self.width, self.height), 4, self._pixels)
        tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        tex.repeat_x = tex.repeat_y = False
        self._gl = (ctx, tex, self._version)
        self._finalizer = weakref.finalize(self, _release_quietly, tex)
        return tex


class ImageMixin(CanvasState):
    """Canvas methods for images: ``image``, ``image_mode``, ``tint``, ``no_tint``,
    ``load_image``, ``create_image``. State lives on the canvas (defaults below)."""

    API_METHODS: tuple[str, ...] = ("create_image", "image", "image_mode", "load_image", "no_tint", "tint")
    _STYLE_ATTRS: tuple[str, ...] = ("_image_mode", "_tint_rgba")
    _image_mode: int = K.CORNER
    _tint_rgba: tuple[float, float, float, float] | None = None

    def load_image(self, path: str | os.PathLike[str]) -> Image:
        """Load a PNG, JPEG, GIF (first frame), WebP, BMP or TIFF file as an :class:`Image`.

        A relative path is looked for in the sketch's ``data/`` folder, beside the sketch
        file, then in the working directory (see ``data_path()``); an ``https://`` URL is
        downloaded. A missing file raises an error naming every place looked.

        Examples:
            >>> import numpy as np, tempfile, os
            >>> from sketchml.media.image_io import write_image
            >>> from sketchml.graphics.image import ImageMixin
            >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
            >>> write_image(path, np.zeros((5, 7, 4), np.uint8))
            >>> ImageMixin().load_image(path).width
            7
        """
        from sketchml.media.image_io import read_image
        from sketchml.paths import find_input

        return Image.from_array(read_image(find_input(path, getattr(self, "_sketch_folder", None),
                                                      what="image")))

    def create_image(self, width: int, height: int, format: int = K.ARGB) -> Image:
        """A new :class:`Image` of ``width`` x ``height`` pixels: transparent for ``ARGB``
        (the default) and ``ALPHA``, opaque black for ``RGB``.

        Examples:
            >>> import sketchml as sk
            >>> from sketchml.graphics.image import ImageMixin
            >>> img = ImageMixin().create_image(10, 20, sk.RGB)
            >>> img.pixels.shape, hex(img.get_pixels(0, 0))
            ((20, 10, 4), '0xff000000')
        """
        if format not in (K.RGB, K.ARGB, K.ALPHA):
            raise SketchmlError(
                f"create_image(width, height, format): format {format!r} is not RGB, ARGB or ALPHA."
            )
        img = Image(width, height)
        if format == K.RGB:
            img._pixels[..., 3] = 255
        return img

    def image_mode(self, mode: int) -> None:
        """How ``image(img, a, b, c, d)`` reads its numbers: ``CORNER`` (default: x, y,
        width, height), ``CORNERS`` (two opposite corners) or ``CENTER`` (centre, size).

        Examples:
            >>> import sketchml as sk
            >>> canvas.image_mode(sk.CENTER)  # doctest: +SKIP
        """
        if mode not in _IMAGE_MODES:
            raise SketchmlError(
                f"image_mode takes CORNER, CORNERS or CENTER, got {mode!r}."
            )
        self._image_mode = mode

    def tint(self, *args: Any) -> None:
        """Multiply every image drawn from now on by a colour (any ``fill`` form);
        its alpha fades the image: ``tint(255, 128)`` draws at half opacity.

        Examples:
            >>> canvas.tint(255, 0, 0)  # doctest: +SKIP
        """
        self._tint_rgba = self._color_to_rgba(*args)

    def no_tint(self) -> None:
        """Draw images with their own colours again.

        Examples:
            >>> canvas.no_tint()  # doctest: +SKIP
        """
        self._tint_rgba = None

    def image(
        self,
        img: Any,
        x: float = 0,
        y: float = 0,
        w: float | None = None,
        h: float | None = None,
        *,
        value_range: tuple[float, float] | None = None,
    ) -> None:
        """Draw ``img`` at (x, y) (read by ``image_mode``), at its own size or ``w`` x ``h``.

        ``img`` is an :class:`Image`, a ``Graphics`` from ``create_graphics``, a
        Pillow image, a numpy array or a torch tensor: ``(N, C, H, W)`` (first item), ``(C, H, W)``,
        ``(H, W, C)`` or ``(H, W)`` with 1, 3 or 4 channels; uint8, or float
        (float16, bfloat16, float32) whose ``value_range`` (default ``(0, 1)``;
        ``(-1, 1)`` for tanh outputs) maps to black..white. Tensors on the CPU are
        uploaded once as they lie; CUDA tensors use CUDA-GL interop when possible.
        The current transform, ``tint`` and ``blend_mode`` apply.

        Examples:
            >>> import torch
            >>> canvas.image(torch.rand(3, 64, 64), 10, 10, 128, 128)  # doctest: +SKIP
        """
        if (w is None) != (h is None):
            raise SketchmlError(
                "image(img, x, y, w, h) needs both a width and a height to resize, or neither "
                "to draw at the image's own size."
            )
        self._require_gl()
        texture, sampling, iw, ih = self._image_source(img, value_range)
        a, b = float(x), float(y)
        c = float(iw if w is None else w)
        d = float(ih if h is None else h)
        mode = self._image_mode
        if mode == K.CORNERS:
            if w is None:
                c, d = a + iw, b + ih
            a, b, c, d = a, b, c - a, d - b
        elif mode == K.CENTER:
            a, b = a - c / 2.0, b - d / 2.0
        self._draw_texture_quad(texture, (a, b, c, d), sampling=sampling, tint=self._tint_rgba)

    def _image_source(self, img: Any, value_range: tuple[float, float] | None) -> tuple[Any, Sampling, int, int]:
        """(texture, sampling, width, height) for anything ``image()`` accepts."""
        if isinstance(img, Image):
            return img._texture(self._require_gl()), Sampling(), img.width, img.height
        from sketchml.graphics.canvas import Canvas

        if isinstance(img, Canvas):
            if img is self:
                raise SketchmlError(
                    "A canvas cannot draw itself with image(); draw get_pixels() (a snapshot) instead."
                )
            if img.ctx is not self.ctx:
                raise SketchmlError(
                    "This graphics belongs to another GL context; make it with create_graphics() on this canvas."
                )
            return img._texture(), Sampling(premultiplied=True), img.width, img.height
        if type(img).__module__.startswith("PIL."):
            from sketchml.media.image_io import eight_bit

            img = np.asarray(eight_bit(img).convert("RGBA"))
        from sketchml.bridge import to_texture

        tt = to_texture(self._require_gl(), img, value_range=value_range)
        return tt.texture, tt.sampling, tt.width, tt.height

    def _is_darkest(self) -> bool:
        return getattr(self, "_blend_mode", K.BLEND) == K.DARKEST

    def _draw_texture_quad(
        self,
        texture: Any,
        rect: tuple[float, float, float, float],
        *,
        sampling: Sampling = Sampling(),
        tint: tuple[float, float, float, float] | None = None,
        transform: bool = True,
        blend: bool = True,
    ) -> None:
        """Draw ``texture`` into the local rectangle (x, y, w, h), keeping painter's order."""
        self._flush()
        matrix = self._matrix() if transform else np.eye(3)
        corners = quad_corners(matrix, *rect)[None]
        # texels exactly on pixels (unscaled, unrotated, whole-pixel offset): filtering changes nothing
        size = texture.size[:2]
        exact = (
            np.array_equal(corners[0, 2] - corners[0, 0], size)
            and np.array_equal(corners[0, 1] - corners[0, 0], (size[0], 0))
            and np.array_equal(corners[0, 0], np.round(corners[0, 0]))
        )
        vertices = quads_to_triangles(corners, _UV)
        ctx, fbo = self._require_gl(), self._require_fbo()
        if blend:
            self._apply_blend()
        else:
            ctx.disable(ctx.BLEND)
        draw_textured(
            ctx, fbo, (self.width, self.height), texture, vertices,
            sampling=sampling, tint=tint or (1.0, 1.0, 1.0, 1.0), darkest=blend and self._is_darkest(),
            nearest=exact,
        )
        if not blend:
            self._apply_blend()
