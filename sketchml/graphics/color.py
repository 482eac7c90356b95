"""Colour: parsing every argument form Processing accepts, colour modes, ARGB ints.

Every colour is carried internally as a tuple of four floats in ``[0, 1]``
(straight, not premultiplied, alpha). ``color()`` packs one into Processing's
32-bit ARGB integer; we return it unsigned (``0xAARRGGBB``) and accept signed
values (Java's ``int``, as py5 returns them) wherever a colour is read.
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field
from typing import Any

from sketchml import constants as K
from sketchml.errors import ApiUsageError, SketchmlError, did_you_mean
from sketchml.graphics.state import CanvasState

__all__ = ["CSS_COLORS", "ColorChannelsMixin", "ColorMode", "argb_to_rgba", "colormap", "lerp_rgba", "parse_color",
           "rgba_to_argb"]

RGBA = tuple[float, float, float, float]

# The CSS Color Module Level 4 named colours, as 0xRRGGBB.
CSS_COLORS: dict[str, int] = {
    "aliceblue": 0xF0F8FF, "antiquewhite": 0xFAEBD7, "aqua": 0x00FFFF, "aquamarine": 0x7FFFD4,
    "azure": 0xF0FFFF, "beige": 0xF5F5DC, "bisque": 0xFFE4C4, "black": 0x000000,
    "blanchedalmond": 0xFFEBCD, "blue": 0x0000FF, "blueviolet": 0x8A2BE2, "brown": 0xA52A2A,
    "burlywood": 0xDEB887, "cadetblue": 0x5F9EA0, "chartreuse": 0x7FFF00, "chocolate": 0xD2691E,
    "coral": 0xFF7F50, "cornflowerblue": 0x6495ED, "cornsilk": 0xFFF8DC, "crimson": 0xDC143C,
    "cyan": 0x00FFFF, "darkblue": 0x00008B, "darkcyan": 0x008B8B, "darkgoldenrod": 0xB8860B,
    "darkgray": 0xA9A9A9, "darkgreen": 0x006400, "darkgrey": 0xA9A9A9, "darkkhaki": 0xBDB76B,
    "darkmagenta": 0x8B008B, "darkolivegreen": 0x556B2F, "darkorange": 0xFF8C00,
    "darkorchid": 0x9932CC, "darkred": 0x8B0000, "darksalmon": 0xE9967A,
    "darkseagreen": 0x8FBC8F, "darkslateblue": 0x483D8B, "darkslategray": 0x2F4F4F,
    "darkslategrey": 0x2F4F4F, "darkturquoise": 0x00CED1, "darkviolet": 0x9400D3,
    "deeppink": 0xFF1493, "deepskyblue": 0x00BFFF, "dimgray": 0x696969, "dimgrey": 0x696969,
    "dodgerblue": 0x1E90FF, "firebrick": 0xB22222, "floralwhite": 0xFFFAF0,
    "forestgreen": 0x228B22, "fuchsia": 0xFF00FF, "gainsboro": 0xDCDCDC, "ghostwhite": 0xF8F8FF,
    "gold": 0xFFD700, "goldenrod": 0xDAA520, "gray": 0x808080, "green": 0x008000,
    "greenyellow": 0xADFF2F, "grey": 0x808080, "honeydew": 0xF0FFF0, "hotpink": 0xFF69B4,
    "indianred": 0xCD5C5C, "indigo": 0x4B0082, "ivory": 0xFFFFF0, "khaki": 0xF0E68C,
    "lavender": 0xE6E6FA, "lavenderblush": 0xFFF0F5, "lawngreen": 0x7CFC00,
    "lemonchiffon": 0xFFFACD, "lightblue": 0xADD8E6, "lightcoral": 0xF08080,
    "lightcyan": 0xE0FFFF, "lightgoldenrodyellow": 0xFAFAD2, "lightgray": 0xD3D3D3,
    "lightgreen": 0x90EE90, "lightgrey": 0xD3D3D3, "lightpink": 0xFFB6C1,
    "lightsalmon": 0xFFA07A, "lightseagreen": 0x20B2AA, "lightskyblue": 0x87CEFA,
    "lightslategray": 0x778899, "lightslategrey": 0x778899, "lightsteelblue": 0xB0C4DE,
    "lightyellow": 0xFFFFE0, "lime": 0x00FF00, "limegreen": 0x32CD32, "linen": 0xFAF0E6,
    "magenta": 0xFF00FF, "maroon": 0x800000, "mediumaquamarine": 0x66CDAA,
    "mediumblue": 0x0000CD, "mediumorchid": 0xBA55D3, "mediumpurple": 0x9370DB,
    "mediumseagreen": 0x3CB371, "mediumslateblue": 0x7B68EE, "mediumspringgreen": 0x00FA9A,
    "mediumturquoise": 0x48D1CC, "mediumvioletred": 0xC71585, "midnightblue": 0x191970,
    "mintcream": 0xF5FFFA, "mistyrose": 0xFFE4E1, "moccasin": 0xFFE4B5,
    "navajowhite": 0xFFDEAD, "navy": 0x000080, "oldlace": 0xFDF5E6, "olive": 0x808000,
    "olivedrab": 0x6B8E23, "orange": 0xFFA500, "orangered": 0xFF4500, "orchid": 0xDA70D6,
    "palegoldenrod": 0xEEE8AA, "palegreen": 0x98FB98, "paleturquoise": 0xAFEEEE,
    "palevioletred": 0xDB7093, "papayawhip": 0xFFEFD5, "peachpuff": 0xFFDAB9, "peru": 0xCD853F,
    "pink": 0xFFC0CB, "plum": 0xDDA0DD, "powderblue": 0xB0E0E6, "purple": 0x800080,
    "rebeccapurple": 0x663399, "red": 0xFF0000, "rosybrown": 0xBC8F8F, "royalblue": 0x4169E1,
    "saddlebrown": 0x8B4513, "salmon": 0xFA8072, "sandybrown": 0xF4A460, "seagreen": 0x2E8B57,
    "seashell": 0xFFF5EE, "sienna": 0xA0522D, "silver": 0xC0C0C0, "skyblue": 0x87CEEB,
    "slateblue": 0x6A5ACD, "slategray": 0x708090, "slategrey": 0x708090, "snow": 0xFFFAFA,
    "springgreen": 0x00FF7F, "steelblue": 0x4682B4, "tan": 0xD2B48C, "teal": 0x008080,
    "thistle": 0xD8BFD8, "tomato": 0xFF6347, "turquoise": 0x40E0D0, "violet": 0xEE82EE,
    "wheat": 0xF5DEB3, "white": 0xFFFFFF, "whitesmoke": 0xF5F5F5, "yellow": 0xFFFF00,
    "yellowgreen": 0x9ACD32,
}


@dataclass(frozen=True)
class ColorMode:
    """A colour mode: ``RGB``, ``HSB`` or ``CMAP`` and the maximum of each channel.

    In ``CMAP`` mode (py5's matplotlib colormap mode) ``cmap`` is a matplotlib
    ``Colormap``: a single number from 0 to ``max_map`` picks a colour from it, while
    three or four numbers are RGB out of 255 (alpha out of ``max_a``), as in py5.

    Examples:
        >>> ColorMode(mode=3, max1=360, max2=100, max3=100, max_a=1).mode
        3
    """

    mode: int = K.RGB
    max1: float = 255.0
    max2: float = 255.0
    max3: float = 255.0
    max_a: float = 255.0
    cmap: Any = field(default=None, compare=False)
    max_map: float = 1.0


DEFAULT_MODE = ColorMode()


def _clamp(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def argb_to_rgba(value: int) -> RGBA:
    """Unpack a 32-bit ARGB int (signed or unsigned) into four floats in [0, 1].

    Examples:
        >>> argb_to_rgba(0xFFFF0000)
        (1.0, 0.0, 0.0, 1.0)
    """
    v = int(value) & 0xFFFFFFFF
    return ((v >> 16 & 255) / 255.0, (v >> 8 & 255) / 255.0, (v & 255) / 255.0, (v >> 24 & 255) / 255.0)


def rgba_to_argb(rgba: RGBA) -> int:
    """Pack four floats in [0, 1] into an unsigned 32-bit ARGB int.

    Examples:
        >>> hex(rgba_to_argb((1.0, 0.0, 0.0, 1.0)))
        '0xffff0000'
    """
    r, g, b, a = (int(round(_clamp(c) * 255.0)) for c in rgba)
    return (a << 24) | (r << 16) | (g << 8) | b


def _parse_hex(text: str) -> RGBA:
    digits = text[1:]
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    if len(digits) == 6:
        digits += "ff"
    if len(digits) != 8:
        raise ValueError
    v = int(digits, 16)
    return ((v >> 24 & 255) / 255.0, (v >> 16 & 255) / 255.0, (v >> 8 & 255) / 255.0, (v & 255) / 255.0)


def _parse_string(text: str) -> RGBA:
    key = text.strip().lower()
    if key.startswith("#"):
        try:
            return _parse_hex(key)
        except ValueError:
            raise SketchmlError(
                f"Colour {text!r} is not a valid hex colour. Expected '#rgb', '#rrggbb' or "
                "'#rrggbbaa' with hexadecimal digits, e.g. '#ff8800'."
            ) from None
    if key == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    named = CSS_COLORS.get(key.replace(" ", ""))
    if named is None:
        raise SketchmlError(
            f"Unknown colour name {text!r}. Expected a CSS colour name such as 'red' or "
            f"'steelblue', or a hex string like '#ff8800'.{did_you_mean(key, CSS_COLORS)}"
        )
    return ((named >> 16 & 255) / 255.0, (named >> 8 & 255) / 255.0, (named & 255) / 255.0, 1.0)


def _is_color_int(value: Any, mode: ColorMode) -> bool:
    # Processing's rule: an int is a packed colour unless it fits in the gray range
    # with no alpha bits set.
    return isinstance(value, int) and not (0 <= value <= mode.max1 and not value & 0xFF000000)


def colormap(name_or_map: Any) -> Any:
    """The matplotlib ``Colormap`` named ``name_or_map`` (``"viridis"``, or
    ``mpl_cmaps.VIRIDIS``), or ``name_or_map`` itself when it is a ``Colormap``.

    Examples:
        >>> colormap("viridis").name
        'viridis'
    """
    try:
        import matplotlib
        from matplotlib.colors import Colormap
    except ImportError:
        raise SketchmlError(
            "color_mode(CMAP, ...) reads colours from a matplotlib colormap, and matplotlib is "
            "not installed: pip install matplotlib"
        ) from None
    if isinstance(name_or_map, Colormap):
        return name_or_map
    if isinstance(name_or_map, str):
        if name_or_map in matplotlib.colormaps:
            return matplotlib.colormaps[name_or_map]
        raise SketchmlError(
            f"color_mode(CMAP, {name_or_map!r}): matplotlib has no colormap of that name. "
            f"Use one of mpl_cmaps (e.g. mpl_cmaps.VIRIDIS).{did_you_mean(name_or_map, list(matplotlib.colormaps))}"
        )
    raise ApiUsageError(
        f"color_mode(CMAP, ...) takes a colormap name such as mpl_cmaps.VIRIDIS or a matplotlib "
        f"Colormap, got {type(name_or_map).__name__}"
    )


def _from_cmap(mode: ColorMode, value: float) -> RGBA:
    """The colour the colormap gives ``value`` out of ``mode.max_map``, in 8-bit steps as py5
    reads it (through a hex string); a NaN is transparent."""
    v = float(value) / mode.max_map
    if math.isnan(v):
        return (0.0, 0.0, 0.0, 0.0)
    rgba = mode.cmap(v)
    return tuple(round(c * 255.0) / 255.0 for c in rgba)  # type: ignore[return-value]


def _is_cmap_value(v: Any, mode: ColorMode) -> bool:
    # Any number is a place on the colormap, except an int that is a packed colour with
    # alpha bits (from color()) and beyond the map's range.
    if mode.cmap is None or isinstance(v, (bool, str)) or not isinstance(v, (int, float)):
        return False
    return not (isinstance(v, int) and v & 0xFF000000 and abs(v) > mode.max_map)


def _channels(mode: ColorMode, v1: float, v2: float, v3: float, a: float) -> RGBA:
    c1 = _clamp(float(v1) / mode.max1)
    c2 = _clamp(float(v2) / mode.max2)
    c3 = _clamp(float(v3) / mode.max3)
    alpha = _clamp(float(a) / mode.max_a)
    if mode.mode == K.HSB:
        # A hue of exactly max1 wraps to red, as in Processing.
        r, g, b = colorsys.hsv_to_rgb(c1 % 1.0 if c1 < 1.0 else 0.0, c2, c3)
        return (r, g, b, alpha)
    return (c1, c2, c3, alpha)


def parse_color(args: tuple, mode: ColorMode = DEFAULT_MODE) -> RGBA:
    """Parse any colour argument form into ``(r, g, b, a)`` floats in ``[0, 1]``.

    Accepted forms (values are read in the current colour ``mode``):
    ``(gray)``, ``(gray, alpha)``, ``(v1, v2, v3)``, ``(v1, v2, v3, alpha)``,
    a packed ARGB int from ``color()`` (optionally followed by an alpha),
    a hex string ``'#rgb'`` / ``'#rrggbb'`` / ``'#rrggbbaa'``, a CSS colour name
    such as ``'red'`` (optionally followed by an alpha), or any of these
    wrapped in one tuple/list.

    Examples:
        >>> parse_color((255, 0, 0))
        (1.0, 0.0, 0.0, 1.0)
        >>> parse_color(("#00ff00", 127.5))
        (0.0, 1.0, 0.0, 0.5)
    """
    n = len(args)
    if n == 1:
        v = args[0]
        if isinstance(v, str):
            return _parse_string(v)
        if isinstance(v, (tuple, list)):
            return parse_color(tuple(v), mode)
        if hasattr(v, "tolist") and getattr(v, "ndim", 0) == 1:
            return parse_color(tuple(v.tolist()), mode)
        if isinstance(v, bool):
            raise ApiUsageError("a colour cannot be True/False; pass a number, a hex string or a name")
        if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
            v = v.item()
        if _is_cmap_value(v, mode):
            return _from_cmap(mode, v)
        if _is_color_int(v, mode):
            return argb_to_rgba(v)
        g = float(v)
        return _channels(mode, g, g, g, mode.max_a) if mode.mode != K.HSB else _gray(g, mode)
    if n == 2:
        v, a = args
        if isinstance(v, str):
            r, g, b, _ = _parse_string(v)
            return (r, g, b, _clamp(float(a) / mode.max_a))
        if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
            v = v.item()
        if _is_cmap_value(v, mode):
            r, g, b, _ = _from_cmap(mode, v)
            return (r, g, b, _clamp(float(a) / mode.max_a))
        if _is_color_int(v, mode):
            r, g, b, _ = argb_to_rgba(v)
            return (r, g, b, _clamp(float(a) / mode.max_a))
        g = float(v)
        rgba = _gray(g, mode)
        return (rgba[0], rgba[1], rgba[2], _clamp(float(a) / mode.max_a))
    if n == 3:
        return _channels(mode, args[0], args[1], args[2], mode.max_a)
    if n == 4:
        return _channels(mode, args[0], args[1], args[2], args[3])
    raise ApiUsageError(
        f"expected 1 to 4 colour values (gray, gray+alpha, r,g,b or r,g,b,a), got {n}"
    )


def _gray(g: float, mode: ColorMode) -> RGBA:
    # Gray is read against the first channel's maximum in RGB and against the
    # brightness maximum in HSB, as Processing does.
    level = _clamp(g / (mode.max3 if mode.mode == K.HSB else mode.max1))
    return (level, level, level, 1.0)


def lerp_rgba(c1: RGBA, c2: RGBA, t: float, *, mode: int = K.RGB) -> RGBA:
    """Interpolate two colours; in ``HSB`` mode hue takes the shorter way round.

    Examples:
        >>> lerp_rgba((0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0, 1.0), 0.5)
        (0.5, 0.5, 0.5, 1.0)
    """
    t = _clamp(float(t))
    if mode == K.HSB:
        h1, s1, v1 = colorsys.rgb_to_hsv(*c1[:3])
        h2, s2, v2 = colorsys.rgb_to_hsv(*c2[:3])
        dh = h2 - h1
        if dh > 0.5:
            dh -= 1.0
        elif dh < -0.5:
            dh += 1.0
        r, g, b = colorsys.hsv_to_rgb((h1 + dh * t) % 1.0, s1 + (s2 - s1) * t, v1 + (v2 - v1) * t)
        return (r, g, b, c1[3] + (c2[3] - c1[3]) * t)
    return tuple(a + (b - a) * t for a, b in zip(c1, c2))  # type: ignore[return-value]


class ColorChannelsMixin(CanvasState):
    """Canvas methods that read one channel of a colour (py5's ``red()`` ... ``hex_color()``).

    Each takes any colour form ``fill()`` takes (usually an int from ``color()``) and
    answers in the current ``color_mode()``'s range, as Processing does: ``red``,
    ``green`` and ``blue`` scale by the first three maxima, ``hue``, ``saturation`` and
    ``brightness`` by the same three (whatever the mode), ``alpha`` by the alpha maximum.
    """

    API_METHODS: tuple[str, ...] = (
        "alpha", "blue", "brightness", "green", "hex_color", "hue", "red", "saturation",
    )

    def _channels_of(self, c: Any) -> RGBA:
        return parse_color(tuple(c) if isinstance(c, (tuple, list)) else (c,), self._color_mode)

    def red(self, c: Any) -> float:
        """The red part of a colour, in the colour mode's range (0-255 by default).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.red(c.color(255, 128, 0))
            255.0
        """
        return round(self._channels_of(c)[0] * 255.0) / 255.0 * self._color_mode.max1

    def green(self, c: Any) -> float:
        """The green part of a colour, in the colour mode's range (0-255 by default).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.green(c.color(255, 128, 0))
            128.0
        """
        return round(self._channels_of(c)[1] * 255.0) / 255.0 * self._color_mode.max2

    def blue(self, c: Any) -> float:
        """The blue part of a colour, in the colour mode's range (0-255 by default).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.blue(c.color(255, 128, 0))
            0.0
        """
        return round(self._channels_of(c)[2] * 255.0) / 255.0 * self._color_mode.max3

    def alpha(self, c: Any) -> float:
        """The opacity of a colour, in the colour mode's alpha range (0-255 by default).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.alpha(c.color(255, 0, 0, 51))
            51.0
        """
        return round(self._channels_of(c)[3] * 255.0) / 255.0 * self._color_mode.max_a

    def _hsb(self, c: Any) -> tuple[float, float, float]:
        r, g, b, _ = (round(v * 255.0) / 255.0 for v in self._channels_of(c))
        return colorsys.rgb_to_hsv(r, g, b)

    def hue(self, c: Any) -> float:
        """The hue of a colour, scaled to the colour mode's first maximum (255 by default;
        360 after ``color_mode(HSB, 360, 100, 100)``).

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.color_mode(3, 360, 100, 100); round(c.hue(c.color(120, 100, 100)))
            120
        """
        return self._hsb(c)[0] * self._color_mode.max1

    def saturation(self, c: Any) -> float:
        """The saturation of a colour, scaled to the colour mode's second maximum.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.saturation(c.color(255, 0, 0))
            255.0
        """
        return self._hsb(c)[1] * self._color_mode.max2

    def brightness(self, c: Any) -> float:
        """The brightness (the largest of red, green and blue) of a colour, scaled to the
        colour mode's third maximum.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.brightness(c.color(0, 0, 255))
            255.0
        """
        return self._hsb(c)[2] * self._color_mode.max3

    def hex_color(self, c: Any) -> str:
        """A colour as py5 writes it for people: ``"#RRGGBBAA"``.

        Examples:
            >>> from sketchml.graphics.canvas import Canvas
            >>> c = Canvas(4, 4); c.hex_color(c.color(255, 102, 204))
            '#FF66CCFF'
        """
        r, g, b, a = (round(v * 255.0) for v in self._channels_of(c))
        return f"#{r:02X}{g:02X}{b:02X}{a:02X}"
