"""Text: fonts, a glyph atlas per (font, size) and the ``text`` family of canvas methods.

Glyphs are rasterised by Pillow's FreeType binding into one coverage texture
per font, size and GL context (grown and re-uploaded only when a new
character appears). A ``text()`` call lays the string out on the CPU and draws
every glyph as a quad, transformed by the current matrix and coloured by the
fill, in one draw call. The default font is DejaVu Sans, bundled (see
``fonts/LICENSE_DEJAVU.txt``).

A character the font has no glyph for (an emoji, a symbol, another script) is
drawn with an installed font that has one, found through fontconfig
(``fc-list``), instead of an empty box. Installed fonts load by family name
(``load_font("DejaVu Serif")``) through fontconfig too, or by file name.
"""
from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError, did_you_mean
from sketchml.graphics.state import CanvasState
from sketchml.graphics.textured import Sampling, draw_textured, quads_to_triangles

if TYPE_CHECKING:
    import moderngl
    from PIL import ImageFont

__all__ = ["DEFAULT_FONT_PATH", "Font", "TextMixin"]

DEFAULT_FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans.ttf"
_BUNDLED = {"dejavu sans": DEFAULT_FONT_PATH, "dejavusans": DEFAULT_FONT_PATH, "sans-serif": DEFAULT_FONT_PATH,
            "sans": DEFAULT_FONT_PATH, "default": DEFAULT_FONT_PATH}
_DEFAULT_SIZE = 12.0
_LEADING_FACTOR = 1.275  # Processing's default leading: (ascent + descent) * 1.275
_H_ALIGN = {K.LEFT: "LEFT", K.CENTER: "CENTER", K.RIGHT: "RIGHT"}
_V_ALIGN = {K.BASELINE: "BASELINE", K.TOP: "TOP", K.CENTER: "CENTER", K.BOTTOM: "BOTTOM"}


class Font:
    """A TrueType/OpenType font, usable at any size; make one with ``load_font``
    or ``create_font``.

    Examples:
        >>> from sketchml.graphics.text import Font, DEFAULT_FONT_PATH
        >>> Font(DEFAULT_FONT_PATH).name
        'DejaVu Sans'
    """

    def __init__(self, path: str | os.PathLike[str], *, size: float = _DEFAULT_SIZE) -> None:
        self.path = Path(path)
        self.size = float(size)
        self._faces: dict[float, ImageFont.FreeTypeFont] = {}
        self._vertical: tuple[float, float] | None = None
        self._chars: frozenset[int] | None = None
        self.name = " ".join(p for p in self.face(self.size).getname() if p and p != "Book" and p != "Regular")

    def face(self, size: float) -> ImageFont.FreeTypeFont:
        """The Pillow FreeType face of this font at ``size`` pixels (cached)."""
        face = self._faces.get(size)
        if face is None:
            from PIL import ImageFont

            try:
                face = ImageFont.truetype(str(self.path), size=max(1, round(size)))
            except OSError as exc:
                raise SketchmlError(
                    f"Cannot read the font {str(self.path)!r}: {exc}. Expected a TrueType (.ttf) "
                    "or OpenType (.otf) file."
                ) from exc
            self._faces[size] = face
        return face

    def has_glyph(self, ch: str) -> bool:
        """Whether the font draws ``ch`` (from its character map; whitespace always counts).

        Examples:
            >>> from sketchml.graphics.text import Font, DEFAULT_FONT_PATH
            >>> f = Font(DEFAULT_FONT_PATH); f.has_glyph("a"), f.has_glyph("\U0001F98A")
            (True, False)
        """
        if self._chars is None:
            from fontTools.ttLib import TTFont

            try:
                with TTFont(str(self.path), fontNumber=0, lazy=True) as font:
                    self._chars = frozenset(font.getBestCmap() or ())
            except Exception:  # a font fontTools cannot read: trust FreeType with every character
                self._chars = frozenset()
        return not self._chars or ord(ch) in self._chars or ch.isspace()

    def face_for(self, ch: str, size: float) -> ImageFont.FreeTypeFont:
        """The face that draws ``ch`` at ``size``: this font's, or a fallback font's."""
        if self.has_glyph(ch):
            return self.face(size)
        fallback = _fallback_font(ord(ch))
        return (fallback or self).face(size)

    def vertical_metrics(self) -> tuple[float, float]:
        """(ascent, descent) per pixel of text size, measured as Processing measures a
        font: the height of 'd' above the baseline and the depth of 'p' below it, at the
        size the font was made (at least 32 px, where pixel rounding is small); text
        sizes scale them linearly, so ``text_ascent()`` is ``text_size * ascent``.

        Examples:
            >>> from sketchml.graphics.text import Font, DEFAULT_FONT_PATH
            >>> Font(DEFAULT_FONT_PATH, size=32).vertical_metrics()
            (0.75, 0.21875)
        """
        if self._vertical is None:
            size = max(self.size, 32.0)
            face = self.face(size)
            _, top, _, _ = face.getbbox("d", anchor="ls")
            _, _, _, bottom = face.getbbox("p", anchor="ls")
            if top >= 0 or bottom <= 0:  # no 'd' or 'p' in this font: its own line metrics
                ascent, descent = face.getmetrics()
                top, bottom = -ascent, descent
            scale = 1.0 / max(1, round(size))
            self._vertical = (-top * scale, bottom * scale)
        return self._vertical

    def __repr__(self) -> str:
        return f"Font({self.name!r}, size={self.size:g})"


_default_font: Font | None = None


def _default() -> Font:
    global _default_font
    if _default_font is None:
        _default_font = Font(DEFAULT_FONT_PATH)
    return _default_font


def load_font_file(path_or_name: str | os.PathLike[str], *, size: float = _DEFAULT_SIZE) -> Font:
    """Find a font by path, bundled name ("DejaVu Sans") or system font file name."""
    p = Path(path_or_name)
    if p.is_file():
        return Font(p, size=size)
    key = str(path_or_name).strip().lower()
    if key in _BUNDLED:
        return Font(_BUNDLED[key], size=size)
    if p.suffix.lower() in (".ttf", ".otf", ".ttc") or os.sep in str(path_or_name):
        system = _system_font(p.name)
        if system is not None and p.parent == Path("."):
            return Font(system, size=size)
        raise SketchmlError(
            f"Cannot load font {str(path_or_name)!r}: no such file (looked for {str(p.resolve())!r}; "
            f"working directory {os.getcwd()!r}). Give the path of a .ttf or .otf file, "
            "or use the bundled 'DejaVu Sans'."
        )
    system = _system_font(str(path_or_name))
    if system is not None:
        return Font(system, size=size)
    raise SketchmlError(
        f"Cannot find a font named {str(path_or_name)!r}: it is not a file, not a bundled font "
        f"and not an installed font file. Give the path of a .ttf or .otf file, or use 'DejaVu Sans'."
        f"{did_you_mean(key, list(_BUNDLED))}"
    )


@functools.lru_cache(maxsize=None)
def _fallback_font(codepoint: int) -> Font | None:
    """An installed font with a glyph for ``codepoint`` (through fontconfig), or None."""
    if shutil.which("fc-list") is None:
        return None
    try:
        listed = subprocess.run(
            ["fc-list", f":charset={codepoint:x}", "file"], capture_output=True, text=True, timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    files = [f for f in files if f.lower().endswith((".ttf", ".otf"))]
    # Regular faces first: the shortest file name of a family is usually its plain style.
    files.sort(key=lambda f: (len(Path(f).stem), f))
    return Font(files[0]) if files else None


def _fontconfig_family(name: str) -> Path | None:
    """The file of the installed font family ``name`` (regular style), through fontconfig."""
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{family}|%{file}", name], capture_output=True, text=True, timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _, file = found.partition("|")
    # fc-match always answers with some font: keep it only when the family is the one asked for.
    wanted = name.strip().lower()
    if file and any(f.strip().lower() == wanted for f in families.split(",")):
        return Path(file)
    return None


def _system_font(name: str) -> Path | None:
    """An installed font: the family ``name`` (fontconfig), else a font file in the usual
    system folders whose name (without extension) matches."""
    family = _fontconfig_family(name)
    if family is not None:
        return family
    stem = Path(name).stem.lower().replace(" ", "")
    folders = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts",
               Path.home() / ".local/share/fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts"),
               Path.home() / "Library/Fonts", Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts"]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.suffix.lower() in (".ttf", ".otf") and path.stem.lower().replace(" ", "") == stem:
                return path
    return None


@dataclass(frozen=True)
class _Glyph:
    uv: tuple[float, float, float, float]  # u0, v0, u1, v1 in the atlas
    box: tuple[int, int, int, int]  # left, top, width, height relative to the pen on the baseline


class _Atlas:
    """Glyph coverage bitmaps of one face packed in shelves of a single-channel texture."""

    PAD = 1  # empty texels around each glyph so linear filtering never picks up a neighbour

    def __init__(self, ctx: moderngl.Context, font: Font, size: float) -> None:
        self.ctx = ctx
        self.font = font
        self.font_size = size
        self.size = 256
        self.data = np.zeros((self.size, self.size), np.uint8)
        self.glyphs: dict[str, _Glyph | None] = {}
        self.advances: dict[str, float] = {}
        self.cursor = (0, 0)
        self.shelf = 0
        self.texture: Any = None
        self.dirty = True

    def advance(self, ch: str) -> float:
        adv = self.advances.get(ch)
        if adv is None:
            adv = self.advances[ch] = float(self.font.face_for(ch, self.font_size).getlength(ch))
        return adv

    def glyph(self, ch: str) -> _Glyph | None:
        if ch in self.glyphs:
            return self.glyphs[ch]
        from PIL import Image as PILImage
        from PIL import ImageDraw

        face = self.font.face_for(ch, self.font_size)
        # Pixels, whole numbers (Pillow types the box as floats for its other fonts).
        left, top, right, bottom = (int(v) for v in face.getbbox(ch, anchor="ls"))
        w, h = right - left, bottom - top
        if w <= 0 or h <= 0:
            self.glyphs[ch] = None
            return None
        bitmap = PILImage.new("L", (w, h), 0)
        ImageDraw.Draw(bitmap).text((-left, -top), ch, font=face, fill=255, anchor="ls")
        x, y = self._place(w, h)
        self.data[y : y + h, x : x + w] = np.asarray(bitmap)
        self.dirty = True
        g = _Glyph(uv=(x, y, x + w, y + h), box=(left, top, w, h))
        self.glyphs[ch] = g
        return g

    def _place(self, w: int, h: int) -> tuple[int, int]:
        pad = self.PAD
        x, y = self.cursor
        if x + w + pad > self.size:
            x, y = 0, y + self.shelf
            self.shelf = 0
        while y + h + pad > self.size or w + pad > self.size:
            self._grow()
        self.cursor = (x + w + pad, y)
        self.shelf = max(self.shelf, h + pad)
        return x, y

    def _grow(self) -> None:
        bigger = np.zeros((self.size * 2, self.size * 2), np.uint8)
        bigger[: self.size, : self.size] = self.data
        self.data, self.size = bigger, self.size * 2
        if self.texture is not None:
            self.texture.release()
            self.texture = None

    def upload(self) -> Any:
        import moderngl

        if self.texture is None:
            self.texture = self.ctx.texture((self.size, self.size), 1, self.data)
            self.texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self.texture.repeat_x = self.texture.repeat_y = False
        elif self.dirty:
            self.texture.write(self.data)
        self.dirty = False
        return self.texture


_atlases: weakref.WeakKeyDictionary[moderngl.Context, dict[tuple[str, float], _Atlas]] = weakref.WeakKeyDictionary()


def _wrap(line: str, width: float, measure) -> list[str]:
    """Break ``line`` into lines no wider than ``width``, at spaces; over-long words by character."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = word if not current else current + " " + word
        if measure(candidate) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = ""
        for ch in word:
            if current and measure(current + ch) > width:
                out.append(current)
                current = ""
            current += ch
    out.append(current)
    return out


class TextMixin(CanvasState):
    """Canvas methods for text. State lives on the canvas (defaults below)."""

    API_METHODS: tuple[str, ...] = (
        "create_font", "load_font", "text", "text_align", "text_ascent", "text_descent",
        "text_font", "text_leading", "text_size", "text_width",
    )
    _STYLE_ATTRS: tuple[str, ...] = (
        "_text_font_obj", "_text_size_px", "_text_leading_px", "_text_align_x", "_text_align_y",
    )
    _text_font_obj: Font | None = None
    _text_size_px: float = _DEFAULT_SIZE
    _text_leading_px: float | None = None  # None: the font's default leading
    _text_align_x: int = K.LEFT
    _text_align_y: int = K.BASELINE

    # -- state -----------------------------------------------------------------
    def load_font(self, path_or_name: str | os.PathLike[str]) -> Font:
        """Load a TrueType/OpenType font from a ``.ttf``/``.otf`` path, or by name: the
        bundled ``"DejaVu Sans"`` or an installed font file's name (e.g. ``"Arial"``).

        Examples:
            >>> from sketchml.graphics.text import TextMixin
            >>> TextMixin().load_font("DejaVu Sans").name
            'DejaVu Sans'
        """
        return load_font_file(path_or_name)

    def create_font(self, name: str | os.PathLike[str], size: float) -> Font:
        """Processing's ``createFont``: a font by name or path, with a default size.

        Examples:
            >>> from sketchml.graphics.text import TextMixin
            >>> TextMixin().create_font("DejaVu Sans", 32).size
            32.0
        """
        return load_font_file(name, size=size)

    def text_font(self, font: Font, size: float | None = None) -> None:
        """Draw text with ``font`` from now on, at ``size`` (default: the font's size).

        Examples:
            >>> canvas.text_font(canvas.create_font("DejaVu Sans", 24))  # doctest: +SKIP
        """
        if not isinstance(font, Font):
            raise SketchmlError(
                f"text_font expects a font from load_font() or create_font(), got {type(font).__name__}. "
                "Example: text_font(load_font('DejaVu Sans'), 24)."
            )
        self._text_font_obj = font
        self.text_size(font.size if size is None else size)

    def text_size(self, size: float) -> None:
        """Set the text size in pixels (default 12); resets the leading to the font's default.

        Examples:
            >>> canvas.text_size(32)  # doctest: +SKIP
        """
        size = float(size)
        if not size > 0:
            raise SketchmlError(f"text_size needs a positive size in pixels, got {size!r}.")
        self._text_size_px = size
        self._text_leading_px = None

    @overload
    def text_leading(self) -> float: ...
    @overload
    def text_leading(self, leading: float) -> None: ...

    def text_leading(self, leading: float | None = None) -> float | None:
        """Set the distance between lines in pixels; with no argument, return it.

        Examples:
            >>> canvas.text_leading(20)  # doctest: +SKIP
        """
        if leading is None:
            if self._text_leading_px is not None:
                return self._text_leading_px
            return (self.text_ascent() + self.text_descent()) * _LEADING_FACTOR
        self._text_leading_px = float(leading)
        return None

    def text_align(self, align_x: int, align_y: int | None = None) -> None:
        """Align text to its (x, y): horizontally ``LEFT`` (default), ``CENTER`` or
        ``RIGHT``; vertically ``BASELINE`` (default), ``TOP``, ``CENTER`` or ``BOTTOM``.

        Examples:
            >>> import sketchml as sk
            >>> canvas.text_align(sk.CENTER, sk.CENTER)  # doctest: +SKIP
        """
        if align_x not in _H_ALIGN:
            raise SketchmlError(f"text_align's first argument is LEFT, CENTER or RIGHT, got {align_x!r}.")
        if align_y is not None and align_y not in _V_ALIGN:
            raise SketchmlError(
                f"text_align's second argument is TOP, CENTER, BOTTOM or BASELINE, got {align_y!r}."
            )
        self._text_align_x = align_x
        self._text_align_y = K.BASELINE if align_y is None else align_y

    def text_ascent(self) -> float:
        """Height above the baseline of the current font at the current size, in pixels:
        as in Processing, the height of a lower-case 'd' (``text_size`` is the font's em
        size, so DejaVu Sans at 32 has an ascent of 24).

        Examples:
            >>> from sketchml.graphics.text import TextMixin
            >>> t = TextMixin(); t.text_size(32); t.text_ascent()
            24.0
        """
        return (self._text_font_obj or _default()).vertical_metrics()[0] * self._text_size_px

    def text_descent(self) -> float:
        """Depth below the baseline of the current font at the current size, in pixels:
        as in Processing, the depth of a lower-case 'p'.

        Examples:
            >>> from sketchml.graphics.text import TextMixin
            >>> t = TextMixin(); t.text_size(32); t.text_descent()
            7.0
        """
        return (self._text_font_obj or _default()).vertical_metrics()[1] * self._text_size_px

    def text_width(self, s: Any) -> float:
        """Width in pixels of ``s`` (its widest line) in the current font and size.

        Examples:
            >>> from sketchml.graphics.text import TextMixin
            >>> t = TextMixin()
            >>> t.text_width("ab") > t.text_width("a")
            True
        """
        font, size = self._text_font_obj or _default(), self._text_size_px
        return max(
            (float(sum(font.face_for(ch, size).getlength(ch) for ch in line)) for line in str(s).split("\n")),
            default=0.0,
        )

    # -- drawing ---------------------------------------------------------------
    def text(self, s: Any, x: float, y: float, w: float | None = None, h: float | None = None) -> None:
        """Draw ``s`` (any value; ``\\n`` starts a new line) at (x, y) in the fill colour.

        With ``w`` and ``h`` the text is wrapped at spaces inside the box whose
        top-left corner is (x, y); lines that do not fit are left out.
        ``text_align`` places it; the current transform applies.

        Examples:
            >>> canvas.text("hello", 10, 30)  # doctest: +SKIP
        """
        if self._fill_rgba is None:
            return
        if (w is None) != (h is None):
            raise SketchmlError("text(s, x, y, w, h) needs both a width and a height for a text box, or neither.")
        atlas = self._atlas()

        def measure(line: str) -> float:
            return sum(atlas.advance(ch) for ch in line)

        ascent, descent = self.text_ascent(), self.text_descent()
        leading = self.text_leading()
        lines = str(s).split("\n")
        x, y = float(x), float(y)
        if w is None or h is None:  # both or neither (checked above)
            n = len(lines)
            if self._text_align_y == K.TOP:
                y += ascent
            elif self._text_align_y == K.CENTER:
                y += ascent / 2.0 - descent / 2.0 - (n - 1) * leading / 2.0
            elif self._text_align_y == K.BOTTOM:
                y -= descent + (n - 1) * leading
            left, width = x, 0.0
        else:
            w, h = float(w), float(h)
            lines = [part for line in lines for part in _wrap(line, w, measure)]
            fit = max(0, 1 + math.floor((h - ascent - descent) / leading)) if h >= ascent + descent else 0
            lines = lines[:fit]
            n = len(lines)
            block = (n - 1) * leading + ascent + descent if n else 0.0
            if self._text_align_y == K.CENTER:
                y += (h - block) / 2.0 + ascent
            elif self._text_align_y == K.BOTTOM:
                y += h - descent - (n - 1) * leading
            else:
                y += ascent
            left, width = x, w
        quads = []
        for i, line in enumerate(lines):
            line_w = measure(line)
            if self._text_align_x == K.CENTER:
                pen = left + (width - line_w) / 2.0 if w is not None else left - line_w / 2.0
            elif self._text_align_x == K.RIGHT:
                pen = left + width - line_w if w is not None else left - line_w
            else:
                pen = left
            base = round(y + i * leading)
            for ch in line:
                g = atlas.glyph(ch)
                if g is not None:
                    gx, gy = round(pen + g.box[0]), base + g.box[1]
                    quads.append((gx, gy, g.box[2], g.box[3]))
                pen += atlas.advance(ch)
        if not quads:
            return
        # uv must be computed after all glyphs are placed: the atlas may have grown
        uvs = self._glyph_uvs(atlas, lines)
        texture = atlas.upload()
        q = np.asarray(quads, np.float64)
        corners = np.stack(
            [q[:, :2], q[:, :2] + q[:, 2:3] * [1, 0], q[:, :2] + q[:, 2:4], q[:, :2] + q[:, 3:4] * [0, 1]], axis=1
        )
        m = self._matrix()
        canvas_xy = corners @ m[:2, :2].T + m[:2, 2]
        vertices = quads_to_triangles(canvas_xy.astype(np.float32), uvs)
        self._flush()
        self._apply_blend()
        draw_textured(
            self._require_gl(), self._require_fbo(), (self.width, self.height), texture, vertices,
            sampling=Sampling(channels=1, mask=True), tint=self._fill_rgba, darkest=self._is_darkest(),
        )

    @staticmethod
    def _glyph_uvs(atlas: _Atlas, lines: list[str]) -> np.ndarray:
        inv = 1.0 / atlas.size
        out = []
        for line in lines:
            for ch in line:
                g = atlas.glyphs.get(ch)
                if g is not None:
                    u0, v0, u1, v1 = (c * inv for c in g.uv)
                    out.append(((u0, v0), (u1, v0), (u1, v1), (u0, v1)))
        return np.asarray(out, np.float32).reshape(-1, 4, 2)

    def _atlas(self) -> _Atlas:
        font = self._text_font_obj or _default()
        key = (str(font.path), self._text_size_px)
        ctx = self._require_gl()
        per_ctx = _atlases.setdefault(ctx, {})
        atlas = per_ctx.get(key)
        if atlas is None:
            atlas = per_ctx[key] = _Atlas(ctx, font, self._text_size_px)
        return atlas
