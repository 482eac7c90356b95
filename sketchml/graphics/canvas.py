"""Canvas: all drawing state and every drawing method.

The methods live in a few modules, mixed into this class: shapes drawn one
call at a time (:mod:`~sketchml.graphics.shapes`), array-first drawing
(:mod:`~sketchml.graphics.arrays`), and images, text, pixels and offscreen
canvases (the images/text modules). State, colour, transforms, blending,
shaders and the frame life cycle are here.

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
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml import constants as K
from sketchml.errors import ApiUsageError, SketchmlError
from sketchml.graphics import geometry as G
from sketchml.graphics import renderer as R
from sketchml.graphics.arrays import ArraysMixin
from sketchml.graphics.color import ColorChannelsMixin, ColorMode, colormap, lerp_rgba, parse_color, rgba_to_argb
from sketchml.graphics.curves import CurvesMixin
from sketchml.graphics.shape_object import ShapeObjectMixin
from sketchml.graphics.filters import FilterMixin
from sketchml.graphics.image import ImageMixin
from sketchml.graphics.numpy_pixels import NumpyPixelsMixin
from sketchml.graphics.offscreen import OffscreenMixin
from sketchml.graphics.pixels import PixelsMixin
from sketchml.graphics.scope import Scope
from sketchml.graphics.shader import Shader
from sketchml.graphics.shapes import ShapesMixin
from sketchml.graphics.text import TextMixin
from sketchml.graphics.winding import WindingRenderer

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
_MODE_NAMES = {K.CORNER: "CORNER", K.CORNERS: "CORNERS", K.RADIUS: "RADIUS", K.CENTER: "CENTER"}


def _mul(m: tuple, n: tuple) -> tuple:
    """Affine product ``m @ n`` of two (a, c, e, b, d, f) tuples."""
    a, c, e, b, d, f = m
    a2, c2, e2, b2, d2, f2 = n
    return (
        a * a2 + c * b2, a * c2 + c * d2, a * e2 + c * f2 + e,
        b * a2 + d * b2, b * c2 + d * d2, b * e2 + d * f2 + f,
    )


class Canvas(CurvesMixin, ShapesMixin, ArraysMixin, ImageMixin, TextMixin, PixelsMixin,
             NumpyPixelsMixin, FilterMixin, ColorChannelsMixin, OffscreenMixin, ShapeObjectMixin):
    """A drawing surface with Processing's drawing state and API.

    ``width`` and ``height`` are in pixels. Drawing needs an OpenGL context:
    call ``_gl_init(ctx)`` (the runtime and ``create_graphics`` do this for you).
    Everything is anti-aliased: shapes by their signed distance in the shader,
    tessellated outlines by a one-pixel fringe (no multisampling, so the
    framebuffer is plain RGBA8 and ``fbo.read()`` works directly).

    Examples:
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
        "circles", "clear", "clip", "color", "color_mode", "curve_vertex", "ellipse", "ellipse_mode",
        "end_shape", "fill", "get_graphics", "lerp_color", "line", "lines", "load_shader",
        "no_clip", "no_fill", "no_smooth", "no_stroke",
        "point", "points", "pop", "pop_matrix", "pop_style", "push", "push_matrix", "push_style",
        "quad", "rect", "rect_mode", "rects", "reset_matrix", "reset_shader", "rotate", "scale",
        "shader", "shear_x", "shear_y", "smooth", "square", "stroke", "stroke_cap", "stroke_join",
        "stroke_weight", "translate", "triangle", "vertex",
    )).union(*(
        getattr(mixin, "API_METHODS", ())
        for mixin in (CurvesMixin, ImageMixin, TextMixin, PixelsMixin, NumpyPixelsMixin,
                      FilterMixin, ColorChannelsMixin, OffscreenMixin, ShapeObjectMixin)
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
        self._records = self._batch.records
        self._record = self._records.extend
        # Pending records after which a per-call shape draws the run so far (_draw_run).
        self._run_bytes = R.FIRST_RUN * R.RECORD.size
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
        ctx = self._require_gl()
        limit = min(int(ctx.info["GL_MAX_TEXTURE_SIZE"]), *map(int, ctx.info["GL_MAX_VIEWPORT_DIMS"]))
        if self.width > limit or self.height > limit:
            raise SketchmlError(
                f"A canvas of {self.width}x{self.height} pixels is larger than this GPU can draw "
                f"into: at most {limit}x{limit}. Use a smaller size(), or draw a big picture in "
                "tiles of at most that size."
            )
        if self.fbo is not None:
            self.fbo.release()
        if self._color_tex is not None:
            self._color_tex.release()
        self.fbo = self._color_tex = None
        try:
            self._color_tex = texture = ctx.texture((self.width, self.height), 4)
            self.fbo = fbo = ctx.framebuffer(color_attachments=[texture])
        except Exception as err:  # moderngl.Error: out of GPU memory, in practice
            if self._color_tex is not None:
                self._color_tex.release()
            self.fbo = self._color_tex = None
            raise SketchmlError(
                f"Could not make a {self.width}x{self.height} canvas: {err}. It needs "
                f"{self.width * self.height * 4 / 2**20:,.0f} MB of GPU memory; use a smaller size()."
            ) from None
        texture.filter = (ctx.LINEAR, ctx.LINEAR)
        self._batch.clear()
        self._sid = -1
        fbo.clear(_BACKGROUND_GRAY, _BACKGROUND_GRAY, _BACKGROUND_GRAY, 1.0)

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

    def _require_fbo(self) -> moderngl.Framebuffer:
        """The framebuffer, after the ``_require_gl()`` check."""
        self._require_gl()
        assert self.fbo is not None  # _gl_init() allocates it with the context
        return self.fbo

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
        """Draw every pending shape onto the framebuffer (one draw call, and two more per
        winding fill: see :mod:`sketchml.graphics.winding`)."""
        batch = self._batch
        self._run_bytes = R.FIRST_RUN * R.RECORD.size
        if not batch:
            return
        parts = batch.parts()
        batch.clear()
        self._sid = -1
        for part in parts:
            if isinstance(part, np.ndarray):
                self._draw_rows(part)
            else:
                WindingRenderer.for_context(self._require_gl()).draw(
                    part, self._require_fbo(), (self.width, self.height),
                    apply_blend=self._apply_blend, darkest=self._blend_mode == K.DARKEST,
                )

    def _draw_run(self) -> None:
        """Draw the shapes recorded so far and hand them to the GL: a long run of per-call
        shapes (a loop of ``ellipse()`` calls) is drawn in parts, so the GL draws one part
        while the next is recorded instead of starting only when the frame ends. The
        first part is ``R.FIRST_RUN`` shapes, and each next one twice as long, up to
        ``R.INSTANCE_CHUNK``: a short loop gets the GL going early, a long one is not cut
        into many small draws. The picture is the same as drawing them all at the end."""
        if self.fbo is None:  # a canvas with no GL yet keeps recording
            return
        run = self._run_bytes
        self._flush()
        assert self._renderer is not None  # set with the context by _gl_init()
        self._renderer.hand_over()
        self._run_bytes = min(2 * run, R.INSTANCE_CHUNK * R.RECORD.size)

    def _draw_rows(self, rows: np.ndarray) -> None:
        self._require_fbo().use()
        renderer = self._renderer
        assert renderer is not None  # set with the context by _gl_init()
        user = self._shader
        if user is None:
            self._apply_blend()
            renderer.draw(
                rows, (self.width, self.height), darkest=self._blend_mode == K.DARKEST,
                smooth=self._smooth,
            )
            return
        # A user shader has no signed distance to shade with: give it real triangles.
        rows = G.rows_to_triangles(R.snap_strokes(rows))
        user._bind(self)
        self._apply_blend(premultiplied=False)
        renderer.draw(rows, (self.width, self.height), program=user.program)

    def _apply_blend(self, *, premultiplied: bool = True) -> None:
        """Set the GL blend state for the current blend mode (see ``renderer.apply_blend``)."""
        R.apply_blend(self._require_gl(), self._blend_mode, premultiplied=premultiplied)

    def _texture(self) -> moderngl.Texture:
        """Flush and return the canvas texture (premultiplied RGBA, rows top-down).

        The texture is the framebuffer's own attachment: copy it before drawing
        it onto this same canvas.
        """
        self._flush()
        self._require_fbo()
        assert self._color_tex is not None  # the framebuffer's attachment
        return self._color_tex

    def _read_pixels(self) -> np.ndarray:
        """Flush and return the canvas as ``(H, W, 4)`` uint8 straight-alpha RGBA, top-down."""
        self._flush()
        data = self._require_fbo().read(components=4, alignment=1)
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

    def _batch_rows(self, n: int, kind: float) -> np.ndarray:
        """``n`` zeroed shape rows of ``kind`` carrying the current matrix."""
        rows = np.zeros((n, R.ROW_FLOATS), dtype=np.float32)
        rows[:, 0] = kind
        rows[:, 18:24] = self._m
        return rows

    def _set_matrix(self, m: tuple) -> None:
        self._m = m
        self._sid = -1

    def translate(self, x: float, y: float) -> None:
        """Move the origin by ``(x, y)`` for everything drawn afterwards.

        Examples:
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

        Examples:
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

        Examples:
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

        Examples:
            >>> c = Canvas(100, 100)
            >>> c.shear_x(0.5)
            >>> round(float(c._matrix()[0, 1]), 4)
            0.5463
        """
        self._set_matrix(_mul(self._m, (1.0, math.tan(float(angle)), 0.0, 0.0, 1.0, 0.0)))

    def shear_y(self, angle: float) -> None:
        """Shear along y by ``angle`` radians: y' = y + tan(angle) * x.

        Examples:
            >>> c = Canvas(100, 100)
            >>> c.shear_y(0.5)
            >>> round(float(c._matrix()[1, 0]), 4)
            0.5463
        """
        self._set_matrix(_mul(self._m, (1.0, 0.0, 0.0, math.tan(float(angle)), 1.0, 0.0)))

    def reset_matrix(self) -> None:
        """Replace the current transform with the identity.

        Examples:
            >>> c = Canvas(100, 100)
            >>> c.translate(5, 5)
            >>> c.reset_matrix()
            >>> float(c._matrix()[0, 2])
            0.0
        """
        self._set_matrix(_IDENTITY)

    def push_matrix(self) -> Scope:
        """Save the current transform; ``pop_matrix()`` restores it (``with push_matrix():``
        restores it at the end of the block).

        Examples:
            >>> c = Canvas(100, 100)
            >>> with c.push_matrix():
            ...     c.translate(10, 0)
            >>> float(c._matrix()[0, 2])
            0.0
        """
        self._matrix_stack.append(self._m)
        return Scope(self.pop_matrix)

    def pop_matrix(self) -> None:
        """Restore the transform saved by the matching ``push_matrix()``.

        Examples:
            >>> c = Canvas(100, 100)
            >>> _ = c.push_matrix(); c.scale(3); c.pop_matrix()
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

    def push_style(self) -> Scope:
        """Save the current style (fill, stroke, weights, modes, ...); ``pop_style()`` restores
        it (``with push_style():`` restores it at the end of the block).

        Examples:
            >>> c = Canvas(100, 100)
            >>> with c.push_style():
            ...     c.fill(255, 0, 0)
            >>> c._fill_rgba
            (1.0, 1.0, 1.0, 1.0)
        """
        self._style_stack.append({name: getattr(self, name, None) for name in self._style_attrs()})
        return Scope(self.pop_style)

    def pop_style(self) -> None:
        """Restore the style saved by the matching ``push_style()``.

        Examples:
            >>> c = Canvas(100, 100)
            >>> _ = c.push_style(); c.no_fill(); c.pop_style()
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

    def push(self) -> Scope:
        """Save the current transform and style; ``pop()`` restores both. As in py5,
        ``with push():`` restores them at the end of the block.

        Examples:
            >>> c = Canvas(100, 100)
            >>> with c.push():
            ...     c.translate(10, 10); c.stroke_weight(5)
            >>> c._stroke_weight, float(c._matrix()[0, 2])
            (1.0, 0.0)
        """
        self.push_matrix()
        self.push_style()
        return Scope(self.pop)

    def pop(self) -> None:
        """Restore the transform and style saved by the matching ``push()``.

        Examples:
            >>> c = Canvas(100, 100)
            >>> _ = c.push(); c.rotate(1.0); c.pop()
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
        self, mode: int, max1: Any = None, max2: float | None = None,
        max3: float | None = None, max_a: float | None = None,
    ) -> None:
        """Choose how colour numbers are read: ``RGB``, ``HSB`` or ``CMAP``, and each
        channel's maximum.

        ``color_mode(mode, max)`` sets every channel's maximum (alpha included);
        ``color_mode(mode, max1, max2, max3[, max_a])`` sets each one.
        The default is ``color_mode(RGB, 255)``.

        ``color_mode(CMAP, cmap[, max_map[, max_a]])`` is py5's colormap mode (it needs
        matplotlib): ``cmap`` is a matplotlib colormap or its name (``mpl_cmaps.VIRIDIS``),
        and a single number from 0 to ``max_map`` (default 1) picks a colour along it, so
        ``stroke(i)`` or ``fill(i, alpha)`` colour by value; alpha is out of ``max_a``
        (default 255) and three numbers are RGB out of 255.

        Examples:
            >>> c = Canvas(100, 100)
            >>> c.color_mode(3, 360, 100, 100)   # HSB
            >>> c.color(0, 100, 100) == 0xFFFF0000
            True
            >>> c.color_mode(6, "viridis", 100)  # CMAP
            >>> hex(c.color(100))
            '0xfffde725'
        """
        mode = int(mode)
        if mode == K.CMAP:
            if max1 is None:
                raise ApiUsageError("color_mode(CMAP, ...) needs a colormap, e.g. "
                                    "color_mode(CMAP, mpl_cmaps.VIRIDIS, 100)")
            if max_a is not None:
                raise ApiUsageError("color_mode(CMAP, cmap, max_map, max_a) takes at most a "
                                    "colormap and two maxima")
            max_map = 1.0 if max2 is None else float(max2)
            alpha = 255.0 if max3 is None else float(max3)
            if not (max_map > 0 and alpha > 0):
                raise SketchmlError(f"color_mode(CMAP, ...) maxima must be positive, got "
                                    f"{max_map} and {alpha}")
            self._color_mode = ColorMode(K.RGB, 255.0, 255.0, 255.0, alpha,
                                         cmap=colormap(max1), max_map=max_map)
            return
        if mode not in (K.RGB, K.HSB):
            raise SketchmlError(
                f"color_mode({mode}) is not a colour mode. Expected RGB, HSB or CMAP."
            )
        old = self._color_mode
        if max1 is None:
            maxima = (old.max1, old.max2, old.max3, old.max_a)
        elif max2 is None and max3 is None:
            m = float(max1)
            maxima = (m, m, m, m if max_a is None else float(max_a))
        elif max2 is None or max3 is None:
            raise ApiUsageError("color_mode takes a mode and 1, 3 or 4 maxima, e.g. "
                                "color_mode(HSB, 360, 100, 100); got two of the three channel maxima")
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

        Examples:
            >>> hex(Canvas(10, 10).color(255, 128, 0))
            '0xffff8000'
        """
        return rgba_to_argb(parse_color(args, self._color_mode))

    def lerp_color(self, c1: Any, c2: Any, amt: float) -> int:
        """Blend two colours; ``amt`` 0 gives ``c1``, 1 gives ``c2`` (HSB mode blends hue).

        Examples:
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

        Examples:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(8, 8); c._gl_init(create_headless_context())
            >>> c.background(10, 20, 30)
            >>> c._read_pixels()[0, 0].tolist()
            [10, 20, 30, 255]
        """
        r, g, b, a = parse_color(args, self._color_mode)
        fbo = self._require_fbo()
        # Everything pending would be covered anyway.
        self._batch.clear()
        self._sid = -1
        fbo.clear(r * a, g * a, b * a, a)

    def clear(self) -> None:
        """Make every pixel fully transparent (for an offscreen ``Graphics``, as in py5; on
        the sketch's own canvas the window shows it black).

        Examples:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(8, 8); c._gl_init(create_headless_context())
            >>> c.clear(); c._read_pixels()[0, 0].tolist()
            [0, 0, 0, 0]
        """
        fbo = self._require_fbo()
        self._batch.clear()
        self._sid = -1
        fbo.clear(0.0, 0.0, 0.0, 0.0)

    def clip(self, a: float, b: float, c: float, d: float) -> None:
        """Draw only inside a rectangle until ``no_clip()``; the numbers are read through
        ``image_mode()`` (by default x, y, width, height) and the current transform.

        Examples:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(20, 20); c._gl_init(create_headless_context()); c.background(0)
            >>> c.clip(0, 0, 10, 20); c.background(255); c.no_clip()
            >>> c._read_pixels()[5, 15].tolist(), c._read_pixels()[5, 5].tolist()
            ([0, 0, 0, 255], [255, 255, 255, 255])
        """
        mode = self._image_mode
        a, b, c, d = float(a), float(b), float(c), float(d)
        if mode == K.CORNERS:
            x0, y0, x1, y1 = a, b, c, d
        elif mode == K.CENTER:
            x0, y0, x1, y1 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
        else:
            x0, y0, x1, y1 = a, b, a + c, b + d
        m = self._matrix()
        corners = m[:2, :2] @ np.array([[x0, x1, x1, x0], [y0, y0, y1, y1]]) + m[:2, 2:3]
        left, top = np.floor(corners.min(axis=1) + 1e-6)
        right, bottom = np.ceil(corners.max(axis=1) - 1e-6)
        left, top = max(int(left), 0), max(int(top), 0)
        right, bottom = min(int(right), self.width), min(int(bottom), self.height)
        self._flush()
        self._require_fbo().scissor = (left, top, max(right - left, 0), max(bottom - top, 0))

    def no_clip(self) -> None:
        """Draw everywhere again after ``clip()``.

        Examples:
            >>> c = Canvas(20, 20); c.no_clip()
        """
        if self.fbo is not None:
            self._flush()
            # moderngl's stub leaves out None, which its docs give for "no scissor".
            self.fbo.scissor = None  # pyright: ignore[reportAttributeAccessIssue]

    def get_graphics(self) -> Canvas:
        """The canvas the sketch draws on (py5's ``get_graphics()``): the sketch itself, since
        a sketch is a canvas; handy to pass to a function that draws on any canvas.

        Examples:
            >>> c = Canvas(8, 8); c.get_graphics() is c
            True
        """
        return self

    def fill(self, *args: Any) -> None:
        """Set the colour inside shapes. Takes any colour form.

        Examples:
            >>> c = Canvas(10, 10)
            >>> c.fill(255, 0, 0, 128)
            >>> tuple(round(v, 2) for v in c._fill_rgba)
            (1.0, 0.0, 0.0, 0.5)
        """
        self._fill_rgba = parse_color(args, self._color_mode)
        self._sid = -1

    def no_fill(self) -> None:
        """Draw shapes without filling them.

        Examples:
            >>> c = Canvas(10, 10); c.no_fill(); c._fill_rgba is None
            True
        """
        self._fill_rgba = None
        self._sid = -1

    def stroke(self, *args: Any) -> None:
        """Set the colour of outlines, lines and points. Takes any colour form.

        Examples:
            >>> c = Canvas(10, 10); c.stroke('red'); c._stroke_rgba
            (1.0, 0.0, 0.0, 1.0)
        """
        self._stroke_rgba = parse_color(args, self._color_mode)
        self._sid = -1

    def no_stroke(self) -> None:
        """Draw shapes without outlines (lines and points then draw nothing).

        Examples:
            >>> c = Canvas(10, 10); c.no_stroke(); c._stroke_rgba is None
            True
        """
        self._stroke_rgba = None
        self._sid = -1

    def stroke_weight(self, weight: float) -> None:
        """Set the width of outlines, lines and points, in pixels (before scaling). Default 1.

        Examples:
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

        Examples:
            >>> c = Canvas(10, 10); c.stroke_cap(1)   # SQUARE
        """
        cap = int(cap)
        if cap not in (K.ROUND, K.SQUARE, K.PROJECT):
            raise SketchmlError(f"stroke_cap({cap}): expected ROUND, SQUARE or PROJECT.")
        self._stroke_cap = cap
        self._sid = -1

    def stroke_join(self, join: int) -> None:
        """Set how outline corners look: ``MITER`` (default), ``BEVEL`` or ``ROUND``.

        Examples:
            >>> c = Canvas(10, 10); c.stroke_join(32)   # BEVEL
        """
        join = int(join)
        if join not in (K.MITER, K.BEVEL, K.ROUND):
            raise SketchmlError(f"stroke_join({join}): expected MITER, BEVEL or ROUND.")
        self._stroke_join = join
        self._sid = -1

    def rect_mode(self, mode: int) -> None:
        """Choose how ``rect()`` reads its arguments: ``CORNER`` (default), ``CORNERS``, ``CENTER``, ``RADIUS``.

        Examples:
            >>> c = Canvas(10, 10); c.rect_mode(3)   # CENTER
        """
        mode = int(mode)
        if mode not in _MODE_NAMES:
            raise SketchmlError(f"rect_mode({mode}): expected CORNER, CORNERS, CENTER or RADIUS.")
        self._rect_mode = mode

    def ellipse_mode(self, mode: int) -> None:
        """Choose how ``ellipse()`` reads its arguments: ``CENTER`` (default), ``RADIUS``, ``CORNER``, ``CORNERS``.

        Examples:
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

        Examples:
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

        Examples:
            >>> c = Canvas(10, 10); c.no_smooth(); c.smooth()
        """
        if int(level) < 0:
            raise SketchmlError(f"smooth({level}): the level must be 0 or more, e.g. smooth(4).")
        if not self._smooth:
            self._flush()
            self._smooth = True

    def no_smooth(self) -> None:
        """Draw with hard, pixel-exact edges (no anti-aliasing), e.g. for pixel art.

        Examples:
            >>> c = Canvas(10, 10); c.no_smooth()
        """
        if self._smooth:
            self._flush()
            self._smooth = False

    # ------------------------------------------------------------------ shaders

    def load_shader(self, frag: str | os.PathLike[str], vert: str | None = None) -> Shader:
        """Load a fragment shader for shapes from a file path (or GLSL source text).

        The shader reads ``vertTexCoord`` (0..1 across the shape), ``vertColor``
        (the fill colour) and ``resolution`` (canvas size); give it more with
        ``Shader.set(name, value)``. GLSL errors are reported with the log.

        Examples:
            >>> from sketchml.graphics.context import create_headless_context
            >>> c = Canvas(40, 40); c._gl_init(create_headless_context())
            >>> s = c.load_shader("void main() { gl_FragColor = vec4(1.0, 0.0, 0.0, 1.0); }")
        """
        return Shader.load(self._require_gl(), frag, vert)

    def shader(self, s: Shader) -> None:
        """Draw the following shapes with the fragment shader ``s`` (until ``reset_shader()``).

        Examples:
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

        Examples:
            >>> c = Canvas(40, 40); c.reset_shader()
        """
        if self._shader is not None:
            self._flush()
            self._shader._active_on = None
            self._shader = None
