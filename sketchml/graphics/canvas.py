"""Canvas: all drawing state and every drawing method.

``Sketch`` (the runtime) and ``Graphics`` (offscreen canvases) subclass it.
A Canvas can be built without OpenGL; :meth:`Canvas._gl_init` attaches it to a
``moderngl.Context`` and allocates its framebuffer. Shapes are recorded into a
batch (see :mod:`sketchml.graphics.renderer`) and drawn in one draw
call when something needs the pixels.

The framebuffer holds premultiplied colour, rows top-down (row 0 is ``y = 0``).
"""
from __future__ import annotations

import math
import os
import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.graphics import geometry as G
from sketchml.graphics import renderer as R
from sketchml.graphics.color import ColorMode, lerp_rgba, parse_color, rgba_to_argb
from sketchml.graphics.image import ImageMixin
from sketchml.graphics.offscreen import OffscreenMixin
from sketchml.graphics.pixels import PixelsMixin
from sketchml.graphics.shader import Shader
from sketchml.graphics.text import TextMixin

if TYPE_CHECKING:
    import moderngl

__all__ = ["Canvas"]

RGBA = tuple[float, float, float, float]
_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # (a, c, e, b, d, f): x' = a x + c y + e
_BACKGROUND_GRAY = 204 / 255.0
_BLEND_MODES = (
    K.BLEND, K.ADD, K.SUBTRACT, K.LIGHTEST, K.DARKEST, K.DIFFERENCE, K.EXCLUSION,
    K.MULTIPLY, K.SCREEN, K.REPLACE,
)
_PACK = R.RECORD.pack
_CENTER, _CORNER = K.CENTER, K.CORNER
_SHAPE_KINDS = (
    K.POINTS, K.LINES, K.TRIANGLES, K.TRIANGLE_STRIP, K.TRIANGLE_FAN, K.QUADS, K.QUAD_STRIP,
)
_MODE_NAMES = {K.CORNER: "CORNER", K.CORNERS: "CORNERS", K.RADIUS: "RADIUS", K.CENTER: "CENTER"}


def _mul(m: tuple, n: tuple) -> tuple:
    """Affine product ``m @ n`` of two (a, c, e, b, d, f) tuples."""
    a, c, e, b, d, f = m
    a2, c2, e2, b2, d2, f2 = n
    return (
        a * a2 + c * b2, a * c2 + c * d2, a * e2 + c * f2 + e,
        b * a2 + d * b2, b * c2 + d * d2, b * e2 + d * f2 + f,
    )


class Canvas(ImageMixin, TextMixin, PixelsMixin, OffscreenMixin):
    """A drawing surface with Processing's drawing state and API.

    ``width`` and ``height`` are in pixels. Drawing needs an OpenGL context:
    call ``_gl_init(ctx)`` (the runtime and ``create_graphics`` do this for you).
    Everything is anti-aliased: shapes by their signed distance in the shader,
    tessellated outlines by a one-pixel fringe (no multisampling, so the
    framebuffer is plain RGBA8 and ``fbo.read()`` works directly).

    Example:
        >>> from sketchml.graphics.context import create_headless_context
        >>> c = Canvas(64, 48)
        >>> c._gl_init(create_headless_context())
        >>> c.background(0)
        >>> c.fill(255, 0, 0)
        >>> c.circle(32, 24, 20)
        >>> c._read_pixels()[24, 32].tolist()
        [255, 0, 0, 255]
    """

    #: Names of the public drawing methods, the mixins' included (each mixin lists its own
    #: in ``API_METHODS``); the runtime generates the module-level API from it.
    API_METHODS: tuple[str, ...] = tuple(sorted(set((
        "arc", "background", "begin_shape", "bezier", "bezier_vertex", "blend_mode", "circle",
        "circles", "color", "color_mode", "curve_vertex", "ellipse", "ellipse_mode", "end_shape",
        "fill", "lerp_color", "line", "lines", "load_shader", "no_fill", "no_smooth", "no_stroke",
        "point", "points", "pop", "pop_matrix", "pop_style", "push", "push_matrix", "push_style",
        "quad", "rect", "rect_mode", "rects", "reset_matrix", "reset_shader", "rotate", "scale",
        "shader", "shear_x", "shear_y", "smooth", "square", "stroke", "stroke_cap", "stroke_join",
        "stroke_weight", "translate", "triangle", "vertex",
    )).union(*(
        getattr(mixin, "API_METHODS", ())
        for mixin in (ImageMixin, TextMixin, PixelsMixin, OffscreenMixin)
    ))))

    #: Attributes saved by push()/push_style(); mixins add their own ``_STYLE_ATTRS``.
    _STYLE_ATTRS: tuple[str, ...] = (
        "_fill_rgba", "_stroke_rgba", "_stroke_weight", "_stroke_cap", "_stroke_join",
        "_color_mode", "_rect_mode", "_ellipse_mode", "_blend_mode",
    )

    def __init__(self, width: int = 100, height: int = 100) -> None:
        self.width = int(width)
        self.height = int(height)
        if self.width <= 0 or self.height <= 0:
            raise SketchmlError(
                f"A canvas must be at least 1x1 pixels, got {width}x{height}. "
                "Pass positive integer sizes, e.g. Canvas(400, 300)."
            )
        self.ctx: moderngl.Context | None = None
        self.fbo: moderngl.Framebuffer | None = None
        self._color_tex: moderngl.Texture | None = None
        self._renderer: R.Renderer | None = None
        self._batch = R.ShapeRecorder()
        self._record = self._batch.records.extend
        self._fill_rgba: RGBA | None = (1.0, 1.0, 1.0, 1.0)
        self._stroke_rgba: RGBA | None = (0.0, 0.0, 0.0, 1.0)
        self._stroke_weight = 1.0
        self._stroke_cap = K.ROUND
        self._stroke_join = K.MITER
        self._color_mode = ColorMode()
        self._rect_mode = K.CORNER
        self._ellipse_mode = K.CENTER
        self._blend_mode = K.BLEND
        self._m = _IDENTITY
        self._matrix_stack: list[tuple] = []
        self._style_stack: list[dict[str, Any]] = []
        # Style id of the current (fill, stroke, weight, matrix, cap, join) in the
        # batch's style table; -1 means "changed since the last shape".
        self._sid = -1
        self._shape: list | None = None
        self._shape_kind: int | None = None
        self._shader: Shader | None = None
        self._smooth = True

    # ------------------------------------------------------------------ GL life cycle

    def _gl_init(self, ctx: moderngl.Context) -> None:
        """Attach to ``ctx`` and allocate the framebuffer (cleared to grey 204)."""
        self.ctx = ctx
        self._renderer = R.Renderer.for_context(ctx)
        self._allocate()

    def _allocate(self) -> None:
        ctx = self.ctx
        if self.fbo is not None:
            self.fbo.release()
            self._color_tex.release()
        self._color_tex = ctx.texture((self.width, self.height), 4)
        self._color_tex.filter = (ctx.LINEAR, ctx.LINEAR)
        self.fbo = ctx.framebuffer(color_attachments=[self._color_tex])
        self._batch.clear()
        self._sid = -1
        self.fbo.clear(_BACKGROUND_GRAY, _BACKGROUND_GRAY, _BACKGROUND_GRAY, 1.0)

    def _resize(self, w: int, h: int) -> None:
        """Reallocate the framebuffer at ``w`` x ``h``; contents are cleared to grey 204."""
        if int(w) <= 0 or int(h) <= 0:
            raise SketchmlError(
                f"A canvas must be at least 1x1 pixels, got {w}x{h}. Pass positive sizes."
            )
        self.width, self.height = int(w), int(h)
        if self.ctx is not None:
            self._allocate()

    def _require_gl(self) -> moderngl.Context:
        if self.ctx is None:
            raise SketchmlError(
                "This canvas has no OpenGL context yet, so it cannot draw. Draw inside "
                "setup()/draw() of a running sketch, or call canvas._gl_init(ctx) first "
                "(sketchml.graphics.context.create_headless_context() gives a headless one)."
            )
        return self.ctx

    def _begin_frame(self) -> None:
        """Start a frame: the matrix stack is reset to identity, style is kept."""
        self._m = _IDENTITY
        self._matrix_stack.clear()
        self._style_stack.clear()
        self._sid = -1

    def _end_frame(self) -> None:
        """Finish a frame: draw what is pending and check push/pop balance."""
        self._flush()
        pushes = max(len(self._matrix_stack), len(self._style_stack))
        if pushes:
            self._matrix_stack.clear()
            self._style_stack.clear()
            raise SketchmlError(
                f"push() without pop(): {pushes} push() (or push_matrix()/push_style()) "
                "call(s) in this frame had no matching pop(). Every push() needs a pop() "
                "before draw() returns."
            )

    def _flush(self) -> None:
        """Draw every pending shape onto the framebuffer (one draw call)."""
        batch = self._batch
        if not batch:
            return
        rows = batch.rows()
        batch.clear()
        self._sid = -1
        self._require_gl()
        self.fbo.use()
        user = self._shader
        if user is None:
            self._apply_blend()
            self._renderer.draw(
                rows, (self.width, self.height), darkest=self._blend_mode == K.DARKEST,
                smooth=self._smooth,
            )
            return
        # A user shader has no signed distance to shade with: give it real triangles.
        rows = G.rows_to_triangles(rows)
        user._bind(self)
        self._apply_blend(premultiplied=False)
        self._renderer.draw(rows, (self.width, self.height), program=user.program)

    def _apply_blend(self, *, premultiplied: bool = True) -> None:
        """Set the GL blend state for the current blend mode (see ``renderer.apply_blend``)."""
        R.apply_blend(self._require_gl(), self._blend_mode, premultiplied=premultiplied)

    def _texture(self) -> moderngl.Texture:
        """Flush and return the canvas texture (premultiplied RGBA, rows top-down).

        The texture is the framebuffer's own attachment: copy it before drawing
        it onto this same canvas.
        """
        self._flush()
        self._require_gl()
        return self._color_tex

    def _read_pixels(self) -> np.ndarray:
        """Flush and return the canvas as ``(H, W, 4)`` uint8 straight-alpha RGBA, top-down."""
        self._flush()
        self._require_gl()
        data = self.fbo.read(components=4, alignment=1)
        px = np.frombuffer(data, dtype=np.uint8).reshape(self.height, self.width, 4).copy()
        alpha = px[..., 3]
        partial = (alpha > 0) & (alpha < 255)
        if partial.any():
            a = alpha[partial].astype(np.float32)[:, None]
            rgb = px[..., :3][partial].astype(np.float32) * 255.0 / a
            px[..., :3][partial] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        return px

    # ------------------------------------------------------------------ matrix

    def _matrix(self) -> np.ndarray:
        """The current transform as a 3x3 float64 affine matrix (local -> canvas pixels)."""
        a, c, e, b, d, f = self._m
        return np.array([[a, c, e], [b, d, f], [0.0, 0.0, 1.0]], dtype=np.float64)

    def _set_matrix(self, m: tuple) -> None:
        self._m = m
        self._sid = -1

    def translate(self, x: float, y: float) -> None:
        """Move the origin by ``(x, y)`` for everything drawn afterwards.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.translate(50, 50)
            >>> c._matrix()[:2, 2].tolist()
            [50.0, 50.0]
        """
        x, y = float(x), float(y)
        a, c, e, b, d, f = self._m
        self._set_matrix((a, c, a * x + c * y + e, b, d, b * x + d * y + f))

    def rotate(self, angle: float) -> None:
        """Rotate the coordinate system by ``angle`` radians (clockwise on screen).

        Example:
            >>> c = Canvas(100, 100)
            >>> c.rotate(1.5707963267948966)
            >>> round(float(c._matrix()[1, 0]), 6)
            1.0
        """
        t = float(angle)
        cs, sn = math.cos(t), math.sin(t)
        self._set_matrix(_mul(self._m, (cs, -sn, 0.0, sn, cs, 0.0)))

    def scale(self, sx: float, sy: float | None = None) -> None:
        """Scale the coordinate system by ``sx`` (and ``sy``; the same as ``sx`` when omitted).

        Example:
            >>> c = Canvas(100, 100)
            >>> c.scale(2)
            >>> float(c._matrix()[0, 0])
            2.0
        """
        sx = float(sx)
        sy = sx if sy is None else float(sy)
        a, c, e, b, d, f = self._m
        self._set_matrix((a * sx, c * sy, e, b * sx, d * sy, f))

    def shear_x(self, angle: float) -> None:
        """Shear along x by ``angle`` radians: x' = x + tan(angle) * y.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.shear_x(0.5)
            >>> round(float(c._matrix()[0, 1]), 4)
            0.5463
        """
        self._set_matrix(_mul(self._m, (1.0, math.tan(float(angle)), 0.0, 0.0, 1.0, 0.0)))

    def shear_y(self, angle: float) -> None:
        """Shear along y by ``angle`` radians: y' = y + tan(angle) * x.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.shear_y(0.5)
            >>> round(float(c._matrix()[1, 0]), 4)
            0.5463
        """
        self._set_matrix(_mul(self._m, (1.0, 0.0, 0.0, math.tan(float(angle)), 1.0, 0.0)))

    def reset_matrix(self) -> None:
        """Replace the current transform with the identity.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.translate(5, 5)
            >>> c.reset_matrix()
            >>> float(c._matrix()[0, 2])
            0.0
        """
        self._set_matrix(_IDENTITY)

    def push_matrix(self) -> None:
        """Save the current transform; ``pop_matrix()`` restores it.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.push_matrix(); c.translate(10, 0); c.pop_matrix()
            >>> float(c._matrix()[0, 2])
            0.0
        """
        self._matrix_stack.append(self._m)

    def pop_matrix(self) -> None:
        """Restore the transform saved by the matching ``push_matrix()``.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.push_matrix(); c.scale(3); c.pop_matrix()
            >>> float(c._matrix()[0, 0])
            1.0
        """
        if not self._matrix_stack:
            raise SketchmlError(
                "pop_matrix() without push_matrix(): there is no saved transform to restore. "
                "Call push_matrix() (or push()) before each pop_matrix()."
            )
        self._set_matrix(self._matrix_stack.pop())

    def _style_attrs(self) -> tuple[str, ...]:
        names: list[str] = []
        for klass in type(self).__mro__:
            for name in klass.__dict__.get("_STYLE_ATTRS", ()):
                if name not in names:
                    names.append(name)
        return tuple(names)

    def push_style(self) -> None:
        """Save the current style (fill, stroke, weights, modes, ...); ``pop_style()`` restores it.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.push_style(); c.fill(255, 0, 0); c.pop_style()
            >>> c._fill_rgba
            (1.0, 1.0, 1.0, 1.0)
        """
        self._style_stack.append({name: getattr(self, name, None) for name in self._style_attrs()})

    def pop_style(self) -> None:
        """Restore the style saved by the matching ``push_style()``.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.push_style(); c.no_fill(); c.pop_style()
            >>> c._fill_rgba is not None
            True
        """
        if not self._style_stack:
            raise SketchmlError(
                "pop_style() without push_style(): there is no saved style to restore. "
                "Call push_style() (or push()) before each pop_style()."
            )
        saved = self._style_stack.pop()
        if saved.get("_blend_mode", self._blend_mode) != self._blend_mode:
            self._flush()
        for name, value in saved.items():
            setattr(self, name, value)
        self._sid = -1

    def push(self) -> None:
        """Save the current transform and style; ``pop()`` restores both.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.push(); c.translate(10, 10); c.stroke_weight(5); c.pop()
            >>> c._stroke_weight, float(c._matrix()[0, 2])
            (1.0, 0.0)
        """
        self.push_matrix()
        self.push_style()

    def pop(self) -> None:
        """Restore the transform and style saved by the matching ``push()``.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.push(); c.rotate(1.0); c.pop()
            >>> float(c._matrix()[0, 0])
            1.0
        """
        if not self._matrix_stack or not self._style_stack:
            raise SketchmlError(
                "pop() without push(): there is no saved state to restore. "
                "Call push() before each pop()."
            )
        self.pop_matrix()
        self.pop_style()

    # ------------------------------------------------------------------ colour and style

    def _color_to_rgba(self, *args: Any) -> RGBA:
        """Parse any colour argument form under the current colour mode into 4 floats in [0, 1]."""
        return parse_color(args, self._color_mode)

    def color_mode(
        self, mode: int, max1: float | None = None, max2: float | None = None,
        max3: float | None = None, max_a: float | None = None,
    ) -> None:
        """Choose how colour numbers are read: ``RGB`` or ``HSB``, and each channel's maximum.

        ``color_mode(mode, max)`` sets every channel's maximum (alpha included);
        ``color_mode(mode, max1, max2, max3[, max_a])`` sets each one.
        The default is ``color_mode(RGB, 255)``.

        Example:
            >>> c = Canvas(100, 100)
            >>> c.color_mode(3, 360, 100, 100)   # HSB
            >>> c.color(0, 100, 100) == 0xFFFF0000
            True
        """
        mode = int(mode)
        if mode not in (K.RGB, K.HSB):
            raise SketchmlError(
                f"color_mode({mode}) is not a colour mode. Expected RGB or HSB."
            )
        old = self._color_mode
        if max1 is None:
            maxima = (old.max1, old.max2, old.max3, old.max_a)
        elif max2 is None and max3 is None:
            m = float(max1)
            maxima = (m, m, m, m if max_a is None else float(max_a))
        elif max2 is None or max3 is None:
            raise TypeError("color_mode takes a mode and 1, 3 or 4 maxima")
        else:
            maxima = (float(max1), float(max2), float(max3),
                      old.max_a if max_a is None else float(max_a))
        if not all(m > 0 for m in maxima):
            raise SketchmlError(
                f"color_mode maxima must be positive, got {maxima}. "
                "E.g. color_mode(HSB, 360, 100, 100) or color_mode(RGB, 1.0)."
            )
        self._color_mode = ColorMode(mode, *maxima)

    def color(self, *args: Any) -> int:
        """Make a colour value (Processing's 32-bit ARGB int, unsigned) from any colour form.

        Example:
            >>> hex(Canvas(10, 10).color(255, 128, 0))
            '0xffff8000'
        """
        return rgba_to_argb(parse_color(args, self._color_mode))

    def lerp_color(self, c1: Any, c2: Any, amt: float) -> int:
        """Blend two colours; ``amt`` 0 gives ``c1``, 1 gives ``c2`` (HSB mode blends hue).

        Example:
            >>> c = Canvas(10, 10)
            >>> hex(c.lerp_color(c.color(0), c.color(255), 0.5))
            '0xff808080'
        """
        a = parse_color((c1,), self._color_mode)
        b = parse_color((c2,), self._color_mode)
        return rgba_to_argb(lerp_rgba(a, b, float(amt), mode=self._color_mode.mode))

    def background(self, *args: Any) -> None:
        """Fill the whole canvas with a colour (transforms do not apply).

        Takes any colour form: ``background(gray)``, ``background(r, g, b)``,
        ``background('#336699')``, ``background(0, 0)`` (transparent) ...

        Example:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(8, 8); c._gl_init(create_headless_context())
            >>> c.background(10, 20, 30)
            >>> c._read_pixels()[0, 0].tolist()
            [10, 20, 30, 255]
        """
        r, g, b, a = parse_color(args, self._color_mode)
        self._require_gl()
        # Everything pending would be covered anyway.
        self._batch.clear()
        self._sid = -1
        self.fbo.clear(r * a, g * a, b * a, a)

    def fill(self, *args: Any) -> None:
        """Set the colour inside shapes. Takes any colour form.

        Example:
            >>> c = Canvas(10, 10)
            >>> c.fill(255, 0, 0, 128)
            >>> [round(v, 2) for v in c._fill_rgba]
            [1.0, 0.0, 0.0, 0.5]
        """
        self._fill_rgba = parse_color(args, self._color_mode)
        self._sid = -1

    def no_fill(self) -> None:
        """Draw shapes without filling them.

        Example:
            >>> c = Canvas(10, 10); c.no_fill(); c._fill_rgba is None
            True
        """
        self._fill_rgba = None
        self._sid = -1

    def stroke(self, *args: Any) -> None:
        """Set the colour of outlines, lines and points. Takes any colour form.

        Example:
            >>> c = Canvas(10, 10); c.stroke('red'); c._stroke_rgba
            (1.0, 0.0, 0.0, 1.0)
        """
        self._stroke_rgba = parse_color(args, self._color_mode)
        self._sid = -1

    def no_stroke(self) -> None:
        """Draw shapes without outlines (lines and points then draw nothing).

        Example:
            >>> c = Canvas(10, 10); c.no_stroke(); c._stroke_rgba is None
            True
        """
        self._stroke_rgba = None
        self._sid = -1

    def stroke_weight(self, weight: float) -> None:
        """Set the width of outlines, lines and points, in pixels (before scaling). Default 1.

        Example:
            >>> c = Canvas(10, 10); c.stroke_weight(4); c._stroke_weight
            4.0
        """
        w = float(weight)
        if w < 0 or math.isnan(w):
            raise SketchmlError(f"stroke_weight({weight}) must be 0 or more, e.g. stroke_weight(2).")
        self._stroke_weight = w
        self._sid = -1

    def stroke_cap(self, cap: int) -> None:
        """Set how line ends look: ``ROUND`` (default), ``SQUARE`` or ``PROJECT``.

        Example:
            >>> c = Canvas(10, 10); c.stroke_cap(1)   # SQUARE
        """
        cap = int(cap)
        if cap not in (K.ROUND, K.SQUARE, K.PROJECT):
            raise SketchmlError(f"stroke_cap({cap}): expected ROUND, SQUARE or PROJECT.")
        self._stroke_cap = cap
        self._sid = -1

    def stroke_join(self, join: int) -> None:
        """Set how outline corners look: ``MITER`` (default), ``BEVEL`` or ``ROUND``.

        Example:
            >>> c = Canvas(10, 10); c.stroke_join(32)   # BEVEL
        """
        join = int(join)
        if join not in (K.MITER, K.BEVEL, K.ROUND):
            raise SketchmlError(f"stroke_join({join}): expected MITER, BEVEL or ROUND.")
        self._stroke_join = join
        self._sid = -1

    def rect_mode(self, mode: int) -> None:
        """Choose how ``rect()`` reads its arguments: ``CORNER`` (default), ``CORNERS``, ``CENTER``, ``RADIUS``.

        Example:
            >>> c = Canvas(10, 10); c.rect_mode(3)   # CENTER
        """
        mode = int(mode)
        if mode not in _MODE_NAMES:
            raise SketchmlError(f"rect_mode({mode}): expected CORNER, CORNERS, CENTER or RADIUS.")
        self._rect_mode = mode

    def ellipse_mode(self, mode: int) -> None:
        """Choose how ``ellipse()`` reads its arguments: ``CENTER`` (default), ``RADIUS``, ``CORNER``, ``CORNERS``.

        Example:
            >>> c = Canvas(10, 10); c.ellipse_mode(0)   # CORNER
        """
        mode = int(mode)
        if mode not in _MODE_NAMES:
            raise SketchmlError(f"ellipse_mode({mode}): expected CENTER, RADIUS, CORNER or CORNERS.")
        self._ellipse_mode = mode

    def blend_mode(self, mode: int) -> None:
        """Choose how new pixels mix with the canvas.

        ``BLEND`` (default), ``ADD``, ``SUBTRACT``, ``LIGHTEST``, ``DARKEST``,
        ``MULTIPLY``, ``SCREEN``, ``EXCLUSION``, ``REPLACE`` behave as in
        Processing; ``DIFFERENCE`` is drawn as ``EXCLUSION`` (equal wherever either
        colour is black or white) because GL blending cannot take an absolute value.

        Example:
            >>> c = Canvas(10, 10); c.blend_mode(2)   # ADD
        """
        mode = int(mode)
        if mode not in _BLEND_MODES:
            raise SketchmlError(
                f"blend_mode({mode}): expected BLEND, ADD, SUBTRACT, LIGHTEST, DARKEST, "
                "DIFFERENCE, EXCLUSION, MULTIPLY, SCREEN or REPLACE."
            )
        if mode != self._blend_mode:
            self._flush()
            self._blend_mode = mode

    def smooth(self, level: int = 2) -> None:
        """Draw with anti-aliased (smooth) edges, the default.

        Edges are anti-aliased analytically over one pixel, whatever ``level``
        (Processing's multisampling level, accepted for compatibility).

        Example:
            >>> c = Canvas(10, 10); c.no_smooth(); c.smooth()
        """
        if int(level) < 0:
            raise SketchmlError(f"smooth({level}): the level must be 0 or more, e.g. smooth(4).")
        if not self._smooth:
            self._flush()
            self._smooth = True

    def no_smooth(self) -> None:
        """Draw with hard, pixel-exact edges (no anti-aliasing), e.g. for pixel art.

        Example:
            >>> c = Canvas(10, 10); c.no_smooth()
        """
        if self._smooth:
            self._flush()
            self._smooth = False

    # ------------------------------------------------------------------ recording

    def _style_id(self) -> int:
        """Style-table id for the current fill, stroke, weight, matrix, cap and join (adds one)."""
        fill = self._fill_rgba or (0.0, 0.0, 0.0, 0.0)
        stroke = self._stroke_rgba
        weight = self._stroke_weight if stroke is not None else 0.0
        self._sid = self._batch.add_style(
            fill + (stroke or (0.0, 0.0, 0.0, 0.0)) + (weight,) + self._m
            + (float(self._stroke_cap), float(self._stroke_join))
        )
        return self._sid

    def _rect_params(self, a: Any, b: Any, c: Any, d: Any, mode: int) -> tuple:
        """(cx, cy, half_w, half_h) for rect/ellipse numbers (or arrays) under ``mode``."""
        if mode == K.CENTER:
            return a, b, c * 0.5, d * 0.5
        if mode == K.CORNER:
            return a + c * 0.5, b + d * 0.5, c * 0.5, d * 0.5
        if mode == K.RADIUS:
            return a, b, c, d
        return (a + c) * 0.5, (b + d) * 0.5, (c - a) * 0.5, (d - b) * 0.5

    # The per-call shapes below are the hot path of a sketch: each packs one record
    # (see renderer.ShapeRecorder). struct.pack checks that the numbers are numbers.

    def ellipse(self, a: float, b: float, c: float, d: float) -> None:
        """Draw an ellipse. By default ``(a, b)`` is the centre and ``c``, ``d`` the width and height.

        ``ellipse_mode()`` changes how the four numbers are read.

        Example:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(40, 40); c._gl_init(create_headless_context())
            >>> c.ellipse(20, 20, 30, 20)
        """
        if self._ellipse_mode != _CENTER:
            a, b, c, d = self._rect_params(a, b, c, d, self._ellipse_mode)
            c, d = c * 2.0, d * 2.0
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(0.0, a, b, c, d, 0.0, 0.0, 0.0, 0.0, sid))
        except struct.error:
            raise _not_numbers(a, b, c, d) from None

    def circle(self, x: float, y: float, extent: float) -> None:
        """Draw a circle of diameter ``extent`` at ``(x, y)`` (read through ``ellipse_mode()``).

        Example:
            >>> c = Canvas(40, 40)
            >>> c.circle(20, 20, 10)
        """
        self.ellipse(x, y, extent, extent)

    def rect(
        self, a: float, b: float, c: float, d: float, tl: float | None = None,
        tr: float | None = None, br: float | None = None, bl: float | None = None,
    ) -> None:
        """Draw a rectangle; by default ``(a, b)`` is the top-left corner and ``c``, ``d`` the size.

        One more number rounds every corner by that radius; four more round
        the top-left, top-right, bottom-right and bottom-left corners.
        ``rect_mode()`` changes how the first four numbers are read.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.rect(5, 5, 30, 20, 4)
        """
        mode = self._rect_mode
        if mode == _CORNER:
            a, b = a + c * 0.5, b + d * 0.5
        elif mode != _CENTER:
            a, b, c, d = self._rect_params(a, b, c, d, mode)
            c, d = c * 2.0, d * 2.0
        if tl is not None:
            self._rounded_rect(a, b, c, d, tl, tr, br, bl)
            return
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(1.0, a, b, c, d, 0.0, 0.0, 0.0, 0.0, sid))
        except struct.error:
            raise _not_numbers(a, b, c, d) from None

    def _rounded_rect(self, cx, cy, w, h, tl, tr, br, bl) -> None:
        if tr is None:
            radii = (float(tl),) * 4
        elif br is None or bl is None:
            raise TypeError("rect takes 4, 5 or 8 numbers: x, y, w, h[, r] or [, tl, tr, br, bl]")
        else:
            radii = (float(tl), float(tr), float(br), float(bl))
        row = self._batch_rows(1, R.KIND_RECT)
        row[0, 1:5] = (float(cx), float(cy), float(w) * 0.5, float(h) * 0.5)
        row[0, 5:9] = radii
        if self._fill_rgba is not None:
            row[0, 9:13] = self._fill_rgba
        if self._stroke_rgba is not None:
            row[0, 13:17] = self._stroke_rgba
            row[0, 17] = self._stroke_weight
        self._batch.add_rows(row)

    def square(self, x: float, y: float, extent: float) -> None:
        """Draw a square of side ``extent`` (read through ``rect_mode()``).

        Example:
            >>> c = Canvas(40, 40)
            >>> c.square(10, 10, 20)
        """
        self.rect(x, y, extent, extent)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """Draw a line from ``(x1, y1)`` to ``(x2, y2)`` in the stroke colour and weight.

        Its ends follow ``stroke_cap()``.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.line(0, 0, 40, 40)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            record = _PACK(2.0, x1, y1, x2, y2, 0.0, 0.0, 0.0, 0.0, sid)
        except struct.error:
            raise _not_numbers(x1, y1, x2, y2) from None
        if self._stroke_rgba is not None:
            self._record(record)

    def point(self, x: float, y: float) -> None:
        """Draw a point: a dot of the stroke colour, ``stroke_weight()`` across.

        It is round, or square under ``stroke_cap(SQUARE)``.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.stroke_weight(6); c.point(20, 20)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            record = _PACK(3.0, x, y, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, sid)
        except struct.error:
            raise _not_numbers(x, y) from None
        if self._stroke_rgba is not None:
            self._record(record)

    # ------------------------------------------------------------------ tessellated shapes

    def _scale(self) -> float:
        """Canvas pixels per local unit (geometric mean), to choose curve detail."""
        a, c, _, b, d, _ = self._m
        return math.sqrt(abs(a * d - b * c)) or 1.0

    def _emit(self, pts: np.ndarray, *, closed: bool, fill_tris: np.ndarray | None = None,
              cap: int | None = None) -> None:
        """Record the fill (``fill_tris`` or the polygon ``pts``) and the stroke of an outline.

        Both get an anti-aliasing fringe one canvas pixel wide; the fill's is
        left out under a stroke, which covers the outline anyway.
        """
        fill = self._fill_rgba
        stroke = self._stroke_rgba
        if (fill is None and stroke is None) or len(pts) < 2:
            return
        lo = pts.min(axis=0)
        hi = pts.max(axis=0)
        box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        pixel = 1.0 / self._scale() if self._smooth else 0.0
        stroked = stroke is not None and self._stroke_weight > 0
        batch = self._batch
        if fill is not None:
            tris = G.fill_polygon(pts) if fill_tris is None else fill_tris
            if len(tris):
                batch.add_rows(R.triangle_rows(tris, fill, self._m, box))
                if not stroked:
                    fringe, edge = G.polygon_fringe(pts[None], pixel)
                    batch.add_rows(R.fringe_rows(fringe, edge, fill, self._m))
        if stroked:
            mesh = G.stroke_polyline(
                pts, self._stroke_weight, closed=closed, join=self._stroke_join,
                cap=self._stroke_cap if cap is None else cap, fringe=pixel,
            )
            batch.add_rows(R.segment_rows(mesh.segments, stroke, self._stroke_weight, self._m))
            batch.add_rows(R.triangle_rows(mesh.triangles, stroke, self._m, box))
            batch.add_rows(R.fringe_rows(mesh.fringe, mesh.edge, stroke, self._m))

    def triangle(self, x1: float, y1: float, x2: float, y2: float, x3: float, y3: float) -> None:
        """Draw a triangle with corners ``(x1, y1)``, ``(x2, y2)``, ``(x3, y3)``.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.triangle(20, 5, 35, 35, 5, 35)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(6.0, x1, y1, x2, y2, x3, y3, 0.0, 0.0, sid))
        except struct.error:
            raise _not_numbers(x1, y1, x2, y2, x3, y3) from None

    def quad(
        self, x1: float, y1: float, x2: float, y2: float,
        x3: float, y3: float, x4: float, y4: float,
    ) -> None:
        """Draw a four-sided shape through four corners given in order (it may be concave).

        Example:
            >>> c = Canvas(40, 40)
            >>> c.quad(5, 5, 35, 10, 30, 35, 10, 30)
        """
        sid = self._sid
        if sid < 0:
            sid = self._style_id()
        try:
            self._record(_PACK(7.0, x1, y1, x2, y2, x3, y3, x4, y4, sid))
        except struct.error:
            raise _not_numbers(x1, y1, x2, y2, x3, y3, x4, y4) from None

    def arc(
        self, a: float, b: float, c: float, d: float, start: float, stop: float,
        mode: int | None = None,
    ) -> None:
        """Draw part of an ellipse, from angle ``start`` to ``stop`` (radians, clockwise on screen).

        The first four numbers are read like ``ellipse()``'s. ``mode`` chooses how
        it is closed: ``OPEN`` (fill closed by a chord, outline open), ``CHORD``,
        ``PIE``; without a mode the fill is a pie slice and the outline is open.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.arc(20, 20, 30, 30, 0, 3.14159, 3)   # a PIE half disc
        """
        cx, cy, rx, ry = self._rect_params(float(a), float(b), float(c), float(d), self._ellipse_mode)
        start, stop = float(start), float(stop)
        if mode is not None and int(mode) not in (K.OPEN, K.CHORD, K.PIE):
            raise SketchmlError(f"arc(..., mode={mode}): expected OPEN, CHORD or PIE.")
        if not (math.isfinite(start) and math.isfinite(stop)) or stop <= start:
            return
        if start < 0:
            turns = math.ceil(-start / K.TWO_PI)
            start += turns * K.TWO_PI
            stop += turns * K.TWO_PI
        if stop - start >= K.TWO_PI:
            saved = self._ellipse_mode
            self._ellipse_mode = K.RADIUS
            self.ellipse(cx, cy, rx, ry)
            self._ellipse_mode = saved
            return
        arc = G.arc_points(cx, cy, rx, ry, start, stop, scale=self._scale())
        center = np.array([[cx, cy]])
        pie = np.concatenate([center, arc])
        fill_tris = G.fan_triangles(arc if mode in (K.OPEN, K.CHORD) else pie)
        if mode == K.PIE:
            self._emit(pie, closed=True, fill_tris=fill_tris)
        else:
            self._emit(arc, closed=mode == K.CHORD, fill_tris=fill_tris)

    def bezier(
        self, x1: float, y1: float, x2: float, y2: float,
        x3: float, y3: float, x4: float, y4: float,
    ) -> None:
        """Draw a cubic Bezier curve from ``(x1, y1)`` to ``(x4, y4)``, pulled towards the two controls.

        With a fill, the region between the curve and its chord is filled.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.no_fill(); c.bezier(5, 35, 5, 5, 35, 5, 35, 35)
        """
        pts = G.bezier_points(
            (float(x1), float(y1)), (float(x2), float(y2)), (float(x3), float(y3)),
            (float(x4), float(y4)), scale=self._scale(),
        )
        self._emit(pts, closed=False)

    def begin_shape(self, kind: int | None = None) -> None:
        """Start recording vertices of a shape; ``end_shape()`` draws it.

        Without ``kind`` the vertices outline one polygon (concave allowed). Kinds:
        ``POINTS``, ``LINES``, ``TRIANGLES``, ``TRIANGLE_STRIP``, ``TRIANGLE_FAN``,
        ``QUADS``, ``QUAD_STRIP``.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.begin_shape()
            >>> for x, y in [(5, 5), (35, 5), (20, 35)]:
            ...     c.vertex(x, y)
            >>> c.end_shape(2)   # CLOSE
        """
        if kind is not None and int(kind) not in _SHAPE_KINDS:
            raise SketchmlError(
                f"begin_shape({kind}): expected no argument (a polygon) or one of POINTS, LINES, "
                "TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN, QUADS, QUAD_STRIP."
            )
        self._shape_kind = None if kind is None else int(kind)
        self._shape = []

    def _shape_list(self, caller: str) -> list:
        shape = getattr(self, "_shape", None)
        if shape is None:
            raise SketchmlError(f"{caller}() outside begin_shape()/end_shape(). Call begin_shape() first.")
        return shape

    def vertex(self, x: float, y: float) -> None:
        """Add a corner to the shape being recorded (between ``begin_shape()`` and ``end_shape()``).

        Example:
            >>> c = Canvas(40, 40)
            >>> c.begin_shape(); c.vertex(0, 0); c.vertex(40, 0); c.vertex(20, 40); c.end_shape()
        """
        self._shape_list("vertex").append(("v", float(x), float(y)))

    def bezier_vertex(
        self, x2: float, y2: float, x3: float, y3: float, x4: float, y4: float
    ) -> None:
        """Add a cubic Bezier segment from the previous vertex to ``(x4, y4)`` with two controls.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.begin_shape(); c.vertex(5, 35); c.bezier_vertex(5, 5, 35, 5, 35, 35); c.end_shape()
        """
        self._shape_list("bezier_vertex").append(
            ("b", float(x2), float(y2), float(x3), float(y3), float(x4), float(y4))
        )

    def curve_vertex(self, x: float, y: float) -> None:
        """Add a point of a smooth (Catmull-Rom) curve; the first and last points only steer it.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.no_fill(); c.begin_shape()
            >>> for x, y in [(0, 0), (5, 20), (20, 5), (35, 20), (40, 40)]:
            ...     c.curve_vertex(x, y)
            >>> c.end_shape()
        """
        self._shape_list("curve_vertex").append(("c", float(x), float(y)))

    def _shape_points(self, entries: list) -> np.ndarray:
        pts: list = []
        curve: list = []
        scale = self._scale()

        def take_curve() -> None:
            if len(curve) >= 4:
                pts.extend(G.catmull_rom_points(np.array(curve), scale=scale).tolist())
            curve.clear()

        for e in entries:
            if e[0] == "c":
                curve.append(e[1:])
                continue
            take_curve()
            if e[0] == "v":
                pts.append(e[1:])
            else:
                if not pts:
                    raise SketchmlError(
                        "bezier_vertex() needs a starting point: call vertex(x, y) before the "
                        "first bezier_vertex() of a shape."
                    )
                seg = G.bezier_points(pts[-1], e[1:3], e[3:5], e[5:7], scale=scale)
                pts.extend(seg[1:].tolist())
        take_curve()
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def end_shape(self, mode: int | None = None) -> None:
        """Draw the shape recorded since ``begin_shape()``; ``end_shape(CLOSE)`` closes its outline.

        Example:
            >>> c = Canvas(40, 40)
            >>> c.begin_shape(); c.vertex(5, 5); c.vertex(35, 5); c.vertex(35, 35); c.end_shape(2)
        """
        entries = self._shape_list("end_shape")
        kind = self._shape_kind
        self._shape = None
        if mode is not None and int(mode) != K.CLOSE:
            raise SketchmlError(f"end_shape({mode}): the only mode is CLOSE (or no argument).")
        pts = self._shape_points(entries)
        if kind is None:
            if len(pts) >= 2:
                self._emit(pts, closed=mode == K.CLOSE)
            return
        if kind == K.POINTS:
            for x, y in pts.tolist():
                self.point(x, y)
            return
        if kind == K.LINES:
            for x1, y1, x2, y2 in pts[: len(pts) // 2 * 2].reshape(-1, 4).tolist():
                self.line(x1, y1, x2, y2)
            return
        n = len(pts)
        if kind == K.TRIANGLES:
            polys = pts[: n // 3 * 3].reshape(-1, 3, 2)
        elif kind == K.TRIANGLE_STRIP:
            i = np.arange(max(n - 2, 0))
            polys = pts[np.stack([i, i + 1, i + 2], axis=1)]
        elif kind == K.TRIANGLE_FAN:
            i = np.arange(1, max(n - 1, 1))
            polys = pts[np.stack([np.zeros_like(i), i, i + 1], axis=1)]
        elif kind == K.QUADS:
            polys = pts[: n // 4 * 4].reshape(-1, 4, 2)
        else:  # QUAD_STRIP: vertices pair up as the two sides of a ribbon
            pairs = pts[: n // 2 * 2].reshape(-1, 2, 2)
            polys = np.stack([pairs[:-1, 0], pairs[:-1, 1], pairs[1:, 1], pairs[1:, 0]], axis=1)
        self._emit_primitives(polys)

    def _emit_primitives(self, polys: np.ndarray) -> None:
        """Fill and outline many triangles (K, 3, 2) or quads (K, 4, 2) in one go."""
        if len(polys) == 0:
            return
        flat = polys.reshape(-1, 2)
        lo, hi = flat.min(axis=0), flat.max(axis=0)
        box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        pixel = 1.0 / self._scale() if self._smooth else 0.0
        stroked = self._stroke_rgba is not None and self._stroke_weight > 0
        if self._fill_rgba is not None:
            tris = polys if polys.shape[1] == 3 else polys[:, [0, 1, 2, 0, 2, 3]].reshape(-1, 3, 2)
            self._batch.add_rows(R.triangle_rows(tris, self._fill_rgba, self._m, box))
            if not stroked:
                fringe, edge = G.polygon_fringe(polys, pixel)
                self._batch.add_rows(R.fringe_rows(fringe, edge, self._fill_rgba, self._m))
        if stroked:
            mesh = G.stroke_polygons(polys, self._stroke_weight, join=self._stroke_join, fringe=pixel)
            self._batch.add_rows(
                R.segment_rows(mesh.segments, self._stroke_rgba, self._stroke_weight, self._m)
            )
            self._batch.add_rows(R.triangle_rows(mesh.triangles, self._stroke_rgba, self._m, box))
            self._batch.add_rows(R.fringe_rows(mesh.fringe, mesh.edge, self._stroke_rgba, self._m))

    # ------------------------------------------------------------------ array-first drawing

    def _batch_rows(self, n: int, kind: float) -> np.ndarray:
        rows = np.zeros((n, R.ROW_FLOATS), dtype=np.float32)
        rows[:, 0] = kind
        rows[:, 18:24] = self._m
        return rows

    def points(self, xy: Any, *, colors: Any = None, sizes: Any = None) -> None:
        """Draw many points in one batch: ``xy`` is an ``(N, 2)`` array (numpy or torch, any device).

        ``colors``: one colour per point, ``(N, 3)`` or ``(N, 4)``, floats in
        [0, 1] or uint8 in [0, 255]; the default is the current stroke colour.
        ``sizes``: ``(N,)`` diameters in pixels; the default is ``stroke_weight()``.

        Example:
            >>> import numpy as np
            >>> c = Canvas(40, 40)
            >>> c.points(np.random.rand(100, 2) * 40, sizes=np.full(100, 3.0))
        """
        pts = _as_array(xy, "points(xy)").reshape(-1, 2) if _size(xy) else np.zeros((0, 2))
        n = len(pts)
        if n == 0:
            return
        strokes = _as_colors(colors, n, "points(colors=...)", self._stroke_rgba)
        if strokes is None:
            return
        rows = self._batch_rows(n, R.KIND_POINT)
        rows[:, 1:3] = pts
        rows[:, 5] = float(self._stroke_cap)
        rows[:, 13:17] = strokes
        rows[:, 17] = self._stroke_weight if sizes is None else _as_vector(sizes, n, "points(sizes=...)")
        self._batch.add_rows(rows)

    def lines(self, segments: Any, *, colors: Any = None, weights: Any = None) -> None:
        """Draw many lines in one batch: ``segments`` is ``(N, 4)`` (x1, y1, x2, y2) or ``(N, 2, 2)``.

        ``colors``: ``(N, 3)``/``(N, 4)`` floats in [0, 1] or uint8, default the
        stroke colour; ``weights``: ``(N,)``, default ``stroke_weight()``. Ends
        follow ``stroke_cap()``. Numpy arrays or torch tensors (any device).

        Example:
            >>> import numpy as np
            >>> c = Canvas(40, 40)
            >>> c.lines(np.array([[0, 0, 40, 40], [0, 40, 40, 0]]), colors=np.eye(2, 3))
        """
        seg = _as_array(segments, "lines(segments)").reshape(-1, 4) if _size(segments) else np.zeros((0, 4))
        n = len(seg)
        if n == 0:
            return
        strokes = _as_colors(colors, n, "lines(colors=...)", self._stroke_rgba)
        if strokes is None:
            return
        rows = self._batch_rows(n, R.KIND_LINE)
        rows[:, 1:5] = seg
        rows[:, 5] = float(self._stroke_cap)
        rows[:, 13:17] = strokes
        rows[:, 17] = self._stroke_weight if weights is None else _as_vector(weights, n, "lines(weights=...)")
        self._batch.add_rows(rows)

    def _shape_batch(self, kind: float, a: Any, b: Any, c: Any, d: Any, mode: int,
                     fills: Any, strokes: Any, name: str) -> None:
        cols = np.broadcast_arrays(*(
            _as_array(v, f"{name}({arg})") for v, arg in zip((a, b, c, d), ("x", "y", "w", "h"))
        ))
        n = cols[0].size
        if n == 0:
            return
        x, y, w, h = (v.reshape(-1) for v in cols)
        cx, cy, hw, hh = self._rect_params(x, y, w, h, mode)
        fill = _as_colors(fills, n, f"{name}(fills=...)", self._fill_rgba)
        stroke = _as_colors(strokes, n, f"{name}(strokes=...)", self._stroke_rgba)
        if fill is None and stroke is None:
            return
        rows = self._batch_rows(n, kind)
        rows[:, 1] = cx
        rows[:, 2] = cy
        rows[:, 3] = hw
        rows[:, 4] = hh
        if fill is not None:
            rows[:, 9:13] = fill
        if stroke is not None:
            rows[:, 13:17] = stroke
            rows[:, 17] = self._stroke_weight
        self._batch.add_rows(rows)

    def circles(self, x: Any, y: Any, d: Any, *, fills: Any = None, strokes: Any = None) -> None:
        """Draw many circles in one batch; ``x``, ``y``, ``d`` are arrays (or scalars) that broadcast.

        Numbers are read like ``circle()``'s (``ellipse_mode()``). ``fills`` and
        ``strokes``: one colour per circle, ``(N, 3)``/``(N, 4)`` floats in [0, 1]
        or uint8; the defaults are the current fill and stroke. Accepts numpy
        arrays and torch tensors on any device.

        Example:
            >>> import numpy as np
            >>> c = Canvas(40, 40)
            >>> c.circles(np.arange(4) * 10 + 5, 20, 8, fills=np.random.rand(4, 3))
        """
        self._shape_batch(R.KIND_ELLIPSE, x, y, d, d, self._ellipse_mode, fills, strokes, "circles")

    def rects(self, x: Any, y: Any, w: Any, h: Any, *, fills: Any = None, strokes: Any = None) -> None:
        """Draw many rectangles in one batch; the arrays (or scalars) broadcast.

        Numbers are read like ``rect()``'s (``rect_mode()``). ``fills`` and
        ``strokes`` are per-rectangle colours as for :meth:`circles`.

        Example:
            >>> import numpy as np
            >>> c = Canvas(40, 40)
            >>> c.rects(np.arange(4) * 10, 0, 8, np.arange(4) * 10 + 5)
        """
        self._shape_batch(R.KIND_RECT, x, y, w, h, self._rect_mode, fills, strokes, "rects")

    # ------------------------------------------------------------------ shaders

    def load_shader(self, frag: str | os.PathLike[str], vert: str | None = None) -> Shader:
        """Load a fragment shader for shapes from a file path (or GLSL source text).

        The shader reads ``vertTexCoord`` (0..1 across the shape), ``vertColor``
        (the fill colour) and ``resolution`` (canvas size); give it more with
        ``Shader.set(name, value)``. GLSL errors are reported with the log.

        Example:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(40, 40); c._gl_init(create_headless_context())
            >>> s = c.load_shader("void main() { gl_FragColor = vec4(1.0, 0.0, 0.0, 1.0); }")
        """
        return Shader.load(self._require_gl(), frag, vert)

    def shader(self, s: Shader) -> None:
        """Draw the following shapes with the fragment shader ``s`` (until ``reset_shader()``).

        Example:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(40, 40); c._gl_init(create_headless_context())
            >>> c.shader(c.load_shader("void main() { gl_FragColor = vec4(0.0, 0.0, 1.0, 1.0); }"))
            >>> c.rect(0, 0, 40, 40); c.reset_shader()
        """
        if not isinstance(s, Shader):
            raise SketchmlError(
                f"shader() takes a Shader from load_shader(), got {type(s).__name__}."
            )
        self._flush()
        if self._shader is not None:
            self._shader._active_on = None
        self._shader = s
        s._active_on = self

    def reset_shader(self) -> None:
        """Go back to the built-in shape shader.

        Example:
            >>> c = Canvas(40, 40); c.reset_shader()
        """
        if self._shader is not None:
            self._flush()
            self._shader._active_on = None
            self._shader = None


def _not_numbers(*values: Any) -> TypeError:
    kinds = ", ".join(type(v).__name__ for v in values)
    return TypeError(f"expected numbers, got ({kinds})")


def _size(value: Any) -> int:
    size = getattr(value, "size", None)
    if callable(size):  # torch.Tensor.size is a method
        return int(value.numel())
    if size is not None:
        return int(size)
    return int(np.size(value))


def _as_array(value: Any, what: str) -> np.ndarray:
    """A float64 numpy array from numpy, torch (any device), lists or scalars."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SketchmlError(f"{what} must be numbers (a numpy array, torch tensor or list): {exc}") from None


def _as_vector(value: Any, n: int, what: str) -> np.ndarray:
    v = _as_array(value, what).reshape(-1)
    if v.size not in (1, n):
        raise SketchmlError(f"{what} needs {n} values (one per shape) or one, got {v.size}.")
    return v


def _as_colors(value: Any, n: int, what: str, default: RGBA | None) -> np.ndarray | None:
    """Per-shape straight RGBA floats ``(n, 4)`` (or one colour), or ``None`` for none."""
    if value is None:
        return None if default is None else np.asarray(default, dtype=np.float32)
    raw = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
    scale = 255.0 if raw.dtype == np.uint8 else 1.0
    arr = np.asarray(raw, dtype=np.float32) / scale
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] not in (3, 4) or arr.shape[0] not in (1, n):
        raise SketchmlError(
            f"{what} must be ({n}, 3) or ({n}, 4) colours (floats in [0, 1] or uint8 in "
            f"[0, 255]), got shape {tuple(raw.shape)}."
        )
    if arr.shape[1] == 3:
        arr = np.concatenate([arr, np.ones((len(arr), 1), dtype=np.float32)], axis=1)
    return np.clip(arr, 0.0, 1.0)
