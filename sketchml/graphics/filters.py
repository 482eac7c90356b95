"""Processing's ``filter()``: whole-canvas image filters, computed with numpy.

Each kind follows Processing's own definition, so results match py5's
picture: ``THRESHOLD`` compares the brightest channel with ``level * 255``;
``GRAY`` uses the luminance weights 77/151/28 (of 256); ``POSTERIZE`` keeps
``levels`` values per channel; ``BLUR`` convolves with Processing's kernel
(radius ``3.5 * r`` pixels, weights ``(radius - |i|)^2``), rows then columns;
``ERODE``/``DILATE`` take the darkest/brightest of each pixel and its four
neighbours; ``INVERT`` inverts the colour and ``OPAQUE`` sets alpha to 255.

Examples:
    >>> import numpy as np
    >>> from sketchml import constants as K
    >>> px = np.array([[[200, 100, 0, 255]]], np.uint8)
    >>> apply_filter(px, K.INVERT).tolist()
    [[[55, 155, 255, 255]]]
"""
from __future__ import annotations

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics.state import CanvasState

__all__ = ["FilterMixin", "apply_filter"]

_NAMES = {
    K.BLUR: "BLUR", K.GRAY: "GRAY", K.INVERT: "INVERT", K.OPAQUE: "OPAQUE",
    K.POSTERIZE: "POSTERIZE", K.THRESHOLD: "THRESHOLD", K.ERODE: "ERODE", K.DILATE: "DILATE",
}


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 77 + rgb[..., 1] * 151 + rgb[..., 2] * 28) >> 8


def _blur_kernel(param: float) -> np.ndarray:
    radius = min(max(int(param * 3.5), 1), 248)
    i = np.arange(-radius, radius + 1)
    return ((radius - np.abs(i)) ** 2).astype(np.float64)


def _convolve_axis(values: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Weighted average along ``axis``; pixels past the edge are left out of the sum."""
    radius = len(kernel) // 2
    moved = np.moveaxis(values, axis, 0)
    n = moved.shape[0]
    total = np.zeros_like(moved)
    weight = np.zeros((n,) + (1,) * (moved.ndim - 1))
    for offset, k in zip(range(-radius, radius + 1), kernel):
        if k == 0.0:
            continue
        lo, hi = max(0, -offset), min(n, n - offset)
        if hi <= lo:
            continue
        total[lo:hi] += k * moved[lo + offset : hi + offset]
        weight[lo:hi] += k
    return np.moveaxis(total / weight, 0, axis)


def _extreme_neighbour(px: np.ndarray, *, darkest: bool) -> np.ndarray:
    lum = _luminance(px[..., :3].astype(np.int32))
    padded_px = np.pad(px, ((1, 1), (1, 1), (0, 0)), mode="edge")
    padded_lum = np.pad(lum, 1, mode="edge")
    h, w = lum.shape
    best_px = px.copy()
    best_lum = lum.copy()
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        cand_lum = padded_lum[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        better = cand_lum < best_lum if darkest else cand_lum > best_lum
        best_lum = np.where(better, cand_lum, best_lum)
        best_px = np.where(better[..., None], padded_px[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w], best_px)
    return best_px


def apply_filter(px: np.ndarray, kind: int, param: float | None = None) -> np.ndarray:
    """Filter ``(H, W, 4)`` uint8 straight RGBA pixels; returns a new array.

    ``param`` is the threshold level for ``THRESHOLD`` (0 to 1, 0.5 unless given),
    the number of levels for ``POSTERIZE`` (2 to 255, required) and the blur radius
    for ``BLUR`` (1 unless given); the other kinds take none.

    Examples:
        >>> import numpy as np
        >>> from sketchml import constants as K
        >>> apply_filter(np.array([[[100, 200, 50, 255]]], np.uint8), K.GRAY).tolist()
        [[[153, 153, 153, 255]]]
    """
    if kind not in _NAMES:
        raise SketchmlError(
            f"filter({kind!r}): not a filter kind; use one of {', '.join(sorted(_NAMES.values()))}."
        )
    name = _NAMES[kind]
    if param is not None and kind not in (K.THRESHOLD, K.POSTERIZE, K.BLUR):
        raise SketchmlError(f"filter({name}) takes no second argument, got {param!r}.")
    out = np.array(px, dtype=np.uint8, copy=True)
    rgb = out[..., :3].astype(np.int32)
    if kind == K.GRAY:
        out[..., :3] = _luminance(rgb)[..., None]
    elif kind == K.INVERT:
        out[..., :3] = 255 - rgb
    elif kind == K.OPAQUE:
        out[..., 3] = 255
    elif kind == K.THRESHOLD:
        level = 0.5 if param is None else float(param)
        if not 0.0 <= level <= 1.0:
            raise SketchmlError(f"filter(THRESHOLD, {param}): the level is between 0 and 1.")
        white = rgb.max(axis=-1) >= int(level * 255)
        out[..., :3] = np.where(white, 255, 0)[..., None]
    elif kind == K.POSTERIZE:
        if param is None or not 2 <= int(param) <= 255:
            raise SketchmlError(
                f"filter(POSTERIZE, levels) needs a number of levels from 2 to 255, got {param!r}; "
                "e.g. filter(POSTERIZE, 4)."
            )
        levels = int(param)
        out[..., :3] = ((rgb * levels) >> 8) * 255 // (levels - 1)
    elif kind == K.BLUR:
        radius = 1.0 if param is None else float(param)
        if radius <= 0:
            return out
        kernel = _blur_kernel(radius)
        values = out.astype(np.float64)
        values = _convolve_axis(_convolve_axis(values, kernel, 1), kernel, 0)
        out = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    else:
        out = _extreme_neighbour(out, darkest=kind == K.ERODE)
    return out


class FilterMixin(CanvasState):
    """The canvas method ``filter``."""

    API_METHODS: tuple[str, ...] = ("filter",)

    def filter(self, kind: int, param: float | None = None) -> None:
        """Filter everything drawn so far: ``THRESHOLD`` (black and white at ``param``, 0.5
        unless given), ``GRAY``, ``INVERT``, ``POSTERIZE`` (``param`` levels per channel),
        ``BLUR`` (radius ``param``, 1 unless given), ``ERODE``, ``DILATE`` or ``OPAQUE``.

        Examples:
            >>> import sketchml as sk
            >>> from sketchml.graphics.canvas import Canvas
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(8, 8); c._gl_init(create_headless_context())
            >>> c.background(200, 100, 0); c.filter(sk.INVERT)
            >>> c._read_pixels()[0, 0].tolist()
            [55, 155, 255, 255]
        """
        if not isinstance(kind, (int, np.integer)) or isinstance(kind, bool):
            raise SketchmlError(
                f"filter() takes a filter kind such as BLUR, GRAY or THRESHOLD, got "
                f"{type(kind).__name__}; for a shader, use shader(s) and draw rect(0, 0, width, height)."
            )
        self._write_rgba(apply_filter(self._read_pixels(), int(kind), param))
