"""The textured-quad pipeline: images, offscreen graphics, tensors and text glyphs.

Everything that draws pixels from a texture goes through :func:`draw_textured`:
quads arrive already transformed to canvas pixels (so every transform works),
one vertex buffer and one draw call per call. The fragment shader decodes the
source in place, which is what lets the tensor bridge upload a tensor's own
bytes untouched:

* ``layout="interleaved"``: a 2-D texture whose texels hold the channels
  (an RGBA image, an HWC array);
* ``layout="planar"``: a texture array with one layer per channel, which is
  exactly the memory of a CHW tensor;
* ``encoding="bf16"``: the texture holds raw bfloat16 bits as 16-bit unsigned
  integers; the shader widens them to float and filters by hand, because GL has
  no bfloat16 format;
* ``channels`` 1 (grey), 3 (RGB) or 4 (RGBA), and ``value_range`` mapped to [0, 1];
* ``mask=True``: the texture is a coverage mask (text), coloured by ``tint``;
* ``premultiplied=True``: the texture holds premultiplied colour (a canvas).

The output is premultiplied colour, which is what the canvas stores.

Programs and the vertex buffer are made once per GL context.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sketchml.graphics.renderer import uniform

if TYPE_CHECKING:
    import moderngl

__all__ = ["Sampling", "draw_textured", "quad_corners", "quads_to_triangles"]

_VERTEX = """
#version 330
uniform vec2 u_size;
in vec2 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() {
    v_uv = in_uv;
    // canvas pixels -> NDC without a flip: framebuffer row 0 is canvas y = 0
    gl_Position = vec4(2.0 * in_pos.x / u_size.x - 1.0, 2.0 * in_pos.y / u_size.y - 1.0, 0.0, 1.0);
}
"""

_FRAGMENT = """
#version 330
uniform vec4 u_tint;
uniform int u_channels;
uniform vec2 u_map;
uniform bool u_mask;
uniform bool u_premultiplied;
uniform bool u_darkest;
in vec2 v_uv;
out vec4 f_color;

#if defined(BF16) && defined(PLANAR)
uniform usampler2DArray u_tex;
#elif defined(BF16)
uniform usampler2D u_tex;
#elif defined(PLANAR)
uniform sampler2DArray u_tex;
#else
uniform sampler2D u_tex;
#endif

#ifdef BF16
// bfloat16 is the top half of a float32: shift the bits back into place
vec4 fetch(ivec2 p) {
    ivec2 last = textureSize(u_tex, 0).xy - 1;
    p = clamp(p, ivec2(0), last);
#ifdef PLANAR
    vec4 c = vec4(0.0, 0.0, 0.0, 1.0);
    c.r = uintBitsToFloat(texelFetch(u_tex, ivec3(p, 0), 0).r << 16u);
    if (u_channels >= 3) {
        c.g = uintBitsToFloat(texelFetch(u_tex, ivec3(p, 1), 0).r << 16u);
        c.b = uintBitsToFloat(texelFetch(u_tex, ivec3(p, 2), 0).r << 16u);
    }
    if (u_channels == 4) {
        c.a = uintBitsToFloat(texelFetch(u_tex, ivec3(p, 3), 0).r << 16u);
    }
    return c;
#else
    return uintBitsToFloat(texelFetch(u_tex, p, 0) << 16u);
#endif
}

vec4 raw(vec2 uv) {
    // integer textures cannot be filtered by GL: bilinear by hand
    vec2 t = uv * vec2(textureSize(u_tex, 0).xy) - 0.5;
    ivec2 i = ivec2(floor(t));
    vec2 f = t - floor(t);
    vec4 top = mix(fetch(i), fetch(i + ivec2(1, 0)), f.x);
    vec4 bottom = mix(fetch(i + ivec2(0, 1)), fetch(i + ivec2(1, 1)), f.x);
    return mix(top, bottom, f.y);
}
#else
vec4 raw(vec2 uv) {
#ifdef PLANAR
    vec4 c = vec4(0.0, 0.0, 0.0, 1.0);
    c.r = texture(u_tex, vec3(uv, 0.0)).r;
    if (u_channels >= 3) {
        c.g = texture(u_tex, vec3(uv, 1.0)).r;
        c.b = texture(u_tex, vec3(uv, 2.0)).r;
    }
    if (u_channels == 4) {
        c.a = texture(u_tex, vec3(uv, 3.0)).r;
    }
    return c;
#else
    return texture(u_tex, uv);
#endif
}
#endif

void main() {
    vec4 c = raw(v_uv);
    // the canvas stores premultiplied colour, so the output is premultiplied
    if (u_mask) {
        float a = u_tint.a * c.r;
        f_color = vec4(u_tint.rgb * a, a);
    } else {
        c = clamp(c * u_map.x + u_map.y, 0.0, 1.0);
        if (u_channels == 1) {
            c = vec4(c.rrr, 1.0);
        } else if (u_channels == 3) {
            c.a = 1.0;
        }
        if (u_premultiplied) {
            f_color = vec4(c.rgb * u_tint.rgb * u_tint.a, c.a * u_tint.a);
        } else {
            c *= u_tint;
            f_color = vec4(c.rgb * c.a, c.a);
        }
    }
    if (u_darkest) {
        // GL's MIN equation ignores alpha: make transparent parts white so they change nothing
        f_color.rgb += 1.0 - f_color.a;
    }
}
"""


@dataclass(frozen=True)
class Sampling:
    """How the fragment shader reads a texture (see the module docstring).

    ``value_range`` is in the units the shader samples: normalized textures
    (uint8) sample in [0, 1], float and bfloat16 textures sample raw values.
    """

    layout: str = "interleaved"
    encoding: str = "float"
    channels: int = 4
    value_range: tuple[float, float] = (0.0, 1.0)
    mask: bool = False
    premultiplied: bool = False  # the source holds premultiplied colour (a canvas)


class _Pipeline:
    """The programs (one per layout/encoding variant) and vertex buffer of one context."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.programs: dict[tuple[str, str], moderngl.Program] = {}
        self.vaos: dict[tuple[str, str], moderngl.VertexArray] = {}
        self.buffer = ctx.buffer(reserve=64 * 16)
        # bound instead of changing a texture's own filter, which other code may rely on
        self.nearest = ctx.sampler(filter=(ctx.NEAREST, ctx.NEAREST), repeat_x=False, repeat_y=False)

    def program(self, layout: str, encoding: str) -> moderngl.Program:
        key = (layout, encoding)
        if key not in self.programs:
            defines = ""
            if layout == "planar":
                defines += "#define PLANAR\n"
            if encoding == "bf16":
                defines += "#define BF16\n"
            fragment = _FRAGMENT.replace("#version 330\n", "#version 330\n" + defines, 1)
            self.programs[key] = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=fragment)
        return self.programs[key]

    def vao(self, layout: str, encoding: str, nbytes: int) -> moderngl.VertexArray:
        if nbytes > self.buffer.size:
            # grow geometrically; the old VAOs point at the old buffer
            for vao in self.vaos.values():
                vao.release()
            self.vaos.clear()
            new_size = max(nbytes, 2 * self.buffer.size)
            self.buffer.release()
            self.buffer = self.ctx.buffer(reserve=new_size)
        key = (layout, encoding)
        if key not in self.vaos:
            program = self.program(layout, encoding)
            self.vaos[key] = self.ctx.vertex_array(
                program, [(self.buffer, "2f 2f", "in_pos", "in_uv")]
            )
        return self.vaos[key]


_pipelines: weakref.WeakKeyDictionary[moderngl.Context, _Pipeline] = weakref.WeakKeyDictionary()


def _pipeline(ctx: moderngl.Context) -> _Pipeline:
    pipeline = _pipelines.get(ctx)
    if pipeline is None:
        pipeline = _pipelines[ctx] = _Pipeline(ctx)
    return pipeline


def quad_corners(matrix: np.ndarray, x: float, y: float, w: float, h: float) -> np.ndarray:
    """The four corners (top-left, top-right, bottom-right, bottom-left) of a local
    rectangle, transformed by a 3x3 affine ``matrix`` to canvas pixels: (4, 2) float32."""
    local = np.array([[x, y, 1.0], [x + w, y, 1.0], [x + w, y + h, 1.0], [x, y + h, 1.0]])
    return (local @ matrix.T)[:, :2].astype(np.float32)


def quads_to_triangles(corners: np.ndarray, uv_corners: np.ndarray) -> np.ndarray:
    """Interleave (N, 4, 2) positions and (N, 4, 2) texture coordinates into the
    (N * 6, 4) float32 vertices of two triangles per quad."""
    order = [0, 1, 2, 0, 2, 3]
    pos = corners[:, order, :]
    uv = uv_corners[:, order, :]
    return np.concatenate([pos, uv], axis=2).reshape(-1, 4).astype(np.float32, copy=False)


def draw_textured(
    ctx: moderngl.Context,
    fbo: moderngl.Framebuffer,
    size: tuple[int, int],
    texture: moderngl.Texture | moderngl.TextureArray,
    vertices: np.ndarray,
    *,
    sampling: Sampling = Sampling(),
    tint: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
    darkest: bool = False,
    nearest: bool = False,
) -> None:
    """Draw textured triangles (from :func:`quads_to_triangles`) into ``fbo`` of
    ``size`` (width, height) pixels, in one draw call, with the blend state
    already set by the caller for premultiplied output (``darkest``: the
    DARKEST blend mode is active). ``nearest`` samples without filtering: the
    same result when texels land exactly on pixels, and cheaper for a software
    rasteriser.

    Examples:
        >>> import numpy as np
        >>> from sketchml.graphics.context import create_headless_context
        >>> from sketchml.graphics.textured import draw_textured, quad_corners, quads_to_triangles
        >>> ctx = create_headless_context()
        >>> fbo = ctx.simple_framebuffer((8, 8), components=4)
        >>> tex = ctx.texture((1, 1), 4, np.array([255, 0, 0, 255], np.uint8).tobytes())
        >>> quad = quad_corners(np.eye(3), 0, 0, 8, 8)[None]
        >>> uv = np.array([[[0, 0], [1, 0], [1, 1], [0, 1]]], np.float32)
        >>> draw_textured(ctx, fbo, (8, 8), tex, quads_to_triangles(quad, uv))
        >>> fbo.read(components=4)[:4]
        b'\\xff\\x00\\x00\\xff'
    """
    if len(vertices) == 0:
        return
    pipeline = _pipeline(ctx)
    data = np.ascontiguousarray(vertices, dtype=np.float32)
    vao = pipeline.vao(sampling.layout, sampling.encoding, data.nbytes)
    program = pipeline.program(sampling.layout, sampling.encoding)
    pipeline.buffer.write(data)
    lo, hi = sampling.value_range
    scale = 1.0 / (hi - lo)
    uniform(program, "u_size").value = (float(size[0]), float(size[1]))
    uniform(program, "u_tint").value = tuple(float(c) for c in tint)
    uniform(program, "u_channels").value = int(sampling.channels)
    uniform(program, "u_map").value = (scale, -lo * scale)
    uniform(program, "u_mask").value = bool(sampling.mask)
    uniform(program, "u_premultiplied").value = bool(sampling.premultiplied)
    uniform(program, "u_darkest").value = bool(darkest)
    uniform(program, "u_tex").value = 0
    fbo.use()
    texture.use(0)
    if nearest:
        pipeline.nearest.use(0)
    vao.render(vertices=len(data))
    if nearest:
        pipeline.nearest.clear(0)
