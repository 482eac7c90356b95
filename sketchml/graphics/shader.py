"""User fragment shaders for shapes: ``load_shader``, ``Shader.set``.

A user shader replaces the fragment stage of the shape renderer. Its inputs:

* ``in vec2 vertTexCoord``: 0..1 across the shape's bounding box
  (a ``vec4`` declaration is accepted too, for Processing shaders);
* ``in vec4 vertColor``: the fill colour (the stroke colour for outlines), straight alpha;
* ``uniform vec2 resolution``: the canvas size in pixels (set for you);
* any uniform given with :meth:`Shader.set`.

Write GLSL 3.30 (``#version 330`` and ``out vec4 fragColor;``) or
Processing-style GLSL without a ``#version`` line (``varying``,
``gl_FragColor``, ``texture2D``), which is translated. Output straight
(not premultiplied) colour.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.graphics.renderer import compile_program, read_shader_source
from sketchml.graphics.renderer import uniform as program_uniform

if TYPE_CHECKING:
    import moderngl

__all__ = ["Shader"]

_COMPAT_PRELUDE = """#version 330
#define varying in
#define texture2D texture
out vec4 sk_FragColor;
#define gl_FragColor sk_FragColor
#line 1
"""
_TEXCOORD_VEC4 = re.compile(r"\b(?:varying|in)\s+(?:(?:highp|mediump|lowp)\s+)?vec4\s+vertTexCoord\b")


def _looks_like_source(text: str) -> bool:
    return "\n" in text or "void main" in text or text.lstrip().startswith("#version")


def _read(source: str | os.PathLike[str], what: str) -> tuple[str, str]:
    """(GLSL text, a name for messages) from a path or from source text."""
    if isinstance(source, str) and _looks_like_source(source):
        return source, f"<{what} source>"
    path = Path(source)
    if not path.is_file():
        raise SketchmlError(
            f"Shader file {str(path)!r} was not found. Pass the path of a .glsl/.frag file "
            "(relative to the working directory) or the GLSL source text itself."
        )
    return path.read_text(), path.name


def _translate_fragment(text: str) -> str:
    if re.search(r"^\s*#version", text, flags=re.M):
        return text
    # Processing-style GLSL: drop the GL ES precision preamble and keep line numbers.
    return _COMPAT_PRELUDE + text


def _vertex_source(fragment: str) -> str:
    vert = read_shader_source("shape.vert")
    if _TEXCOORD_VEC4.search(fragment):
        vert = vert.replace("#version 330\n", "#version 330\n#define SK_TEXCOORD_VEC4\n", 1)
    return vert


class Shader:
    """A fragment shader for shapes, made by ``load_shader()``; give it values with ``set()``.

    Examples:
        >>> from sketchml.graphics.canvas import Canvas
        >>> from sketchml.graphics.context import create_headless_context
        >>> c = Canvas(64, 64); c._gl_init(create_headless_context())
        >>> s = c.load_shader('''
        ... #version 330
        ... in vec2 vertTexCoord;
        ... uniform float amount;
        ... out vec4 fragColor;
        ... void main() { fragColor = vec4(vertTexCoord.x * amount, 0.0, 0.0, 1.0); }
        ... ''')
        >>> s.set("amount", 1.0)
        >>> c.shader(s); c.rect(0, 0, 64, 64); c.reset_shader()
        >>> int(c._read_pixels()[32, 60, 0]) > 200
        True
    """

    def __init__(self, ctx: moderngl.Context, fragment: str, *, name: str = "<shader>") -> None:
        self.name = name
        self.fragment_source = _translate_fragment(fragment)
        self.program = compile_program(
            ctx, _vertex_source(self.fragment_source), self.fragment_source, name=name
        )
        self.uniforms: dict[str, Any] = {}
        self._active_on: Any = None

    @classmethod
    def load(
        cls, ctx: moderngl.Context, frag: str | os.PathLike[str], vert: str | os.PathLike[str] | None = None
    ) -> Shader:
        if vert is not None:
            raise SketchmlError(
                "load_shader(frag, vert): custom vertex shaders are not supported; shapes keep "
                "sketchml's own vertex stage. Pass only the fragment shader and read "
                "vertTexCoord / vertColor / resolution in it."
            )
        text, name = _read(frag, "fragment")
        return cls(ctx, text, name=name)

    def set(self, name: str, *values: Any) -> None:
        """Give the uniform ``name`` a value: numbers (float/int/bool, vec2..4), or a texture.

        A texture value is an ``Image``, a canvas (``create_graphics``) or a
        ``moderngl.Texture``; read it with ``uniform sampler2D name;``.
        A canvas texture holds premultiplied colour.

        Examples:
            >>> from sketchml.graphics.context import create_headless_context
            >>> s = Shader(create_headless_context(), '''
            ... #version 330
            ... uniform vec2 center;
            ... out vec4 fragColor;
            ... void main() { fragColor = vec4(center, 0.0, 1.0); }''')
            >>> s.set("center", 0.5, 0.25)
        """
        if name not in self.program:
            known = sorted(n for n in self.program if not n.startswith(("i_", "u_", "gl_")))
            from sketchml.errors import did_you_mean

            raise SketchmlError(
                f"Shader {self.name} has no active uniform {name!r}. Declare it "
                f"(e.g. 'uniform float {name};') and use it in main(), or the GLSL compiler "
                f"removes it.{did_you_mean(name, known)}"
            )
        if len(values) == 1 and _is_texture_like(values[0]):
            value: Any = values[0]
        elif len(values) == 1 and isinstance(values[0], (tuple, list)):
            value = tuple(values[0])
        elif len(values) == 1:
            value = values[0]
        else:
            value = tuple(values)
        if self._active_on is not None:
            self._active_on._flush()
        self.uniforms[name] = value

    def _bind(self, canvas: Any) -> None:
        """Upload uniform values (textures on units 1..n) before a draw."""
        unit = 1
        for name, value in self.uniforms.items():
            uniform = program_uniform(self.program, name)
            if _is_texture_like(value):
                texture = _texture_of(value, canvas)
                texture.use(location=unit)
                uniform.value = unit
                unit += 1
                continue
            try:
                if isinstance(value, tuple) and len(value) == 1:
                    value = value[0]
                uniform.value = value
            except Exception as exc:  # moderngl's struct errors name no uniform
                raise SketchmlError(
                    f"Shader {self.name}: could not set uniform {name!r} to {value!r} ({exc}). "
                    "Pass as many numbers as the uniform has components, e.g. "
                    "set('center', 0.5, 0.5) for a vec2."
                ) from None


def _is_texture_like(value: Any) -> bool:
    return hasattr(value, "_texture") or type(value).__name__ == "Texture"


def _texture_of(value: Any, canvas: Any) -> moderngl.Texture:
    from sketchml.graphics.canvas import Canvas

    if type(value).__name__ == "Texture":
        return value
    if value is canvas:
        raise SketchmlError(
            "A shader cannot read the canvas it is drawing on. Draw into an offscreen "
            "canvas (create_graphics) and pass that, or pass a copy (get_pixels())."
        )
    if isinstance(value, Canvas):
        return value._texture()
    return value._texture(canvas.ctx)
