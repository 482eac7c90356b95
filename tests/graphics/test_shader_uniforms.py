"""User fragment shaders: inputs, uniforms, textures, Processing-style GLSL, errors."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.errors import SketchmlError
from sketchml.graphics.canvas import Canvas

GRADIENT = """
#version 330
in vec2 vertTexCoord;
in vec4 vertColor;
uniform float gain;
uniform vec2 resolution;
out vec4 fragColor;
void main() {
    fragColor = vec4(vertTexCoord.x * gain, vertColor.g, resolution.x / 1000.0, 1.0);
}
"""


def test_shader_gets_texcoord_colour_resolution_and_uniform(canvas, rgba_at):
    s = canvas.load_shader(GRADIENT)
    s.set("gain", 1.0)
    canvas.fill(0, 255, 0)
    canvas.no_stroke()
    canvas.shader(s)
    canvas.rect(0, 0, 100, 50)
    canvas.reset_shader()
    left, right = rgba_at(canvas, 2, 25), rgba_at(canvas, 97, 25)
    assert left[0] < 15 and right[0] > 240           # vertTexCoord.x runs 0..1 across the shape
    assert left[1] == 255                              # vertColor is the fill
    assert abs(left[2] - round(100 / 1000 * 255)) <= 1  # resolution = (100, 100)
    assert rgba_at(canvas, 50, 75)[:3].tolist() == [0, 0, 0]   # only the shape was shaded


def test_shader_follows_the_shape_outline(canvas, rgba_at):
    s = canvas.load_shader(GRADIENT)
    s.set("gain", 0.0)
    canvas.no_stroke()
    canvas.fill(0, 255, 0)
    canvas.shader(s)
    canvas.circle(50, 50, 80)
    canvas.reset_shader()
    assert rgba_at(canvas, 50, 50)[1] == 255
    assert rgba_at(canvas, 14, 14)[1] == 0            # the circle's bounding-box corner is untouched


def test_set_changes_values_between_shapes(canvas, rgba_at):
    s = canvas.load_shader(GRADIENT)
    canvas.no_stroke()
    canvas.fill(0)
    canvas.shader(s)
    s.set("gain", 0.0)
    canvas.rect(0, 0, 50, 100)
    s.set("gain", 2.0)
    canvas.rect(50, 0, 50, 100)
    canvas.reset_shader()
    assert rgba_at(canvas, 45, 50)[0] < 5
    assert abs(rgba_at(canvas, 55, 50)[0] - 2 * 5.5 / 50 * 255) <= 4   # 2 x vertTexCoord.x
    assert rgba_at(canvas, 80, 50)[0] == 255


def test_vector_int_and_texture_uniforms(canvas, make_canvas, rgba_at):
    src = make_canvas(4, 4)
    src.background(255, 0, 0)
    s = canvas.load_shader("""
    #version 330
    in vec2 vertTexCoord;
    uniform vec3 tint;
    uniform int flag;
    uniform sampler2D tex;
    out vec4 fragColor;
    void main() {
        vec4 t = texture(tex, vertTexCoord);
        fragColor = vec4(t.r * tint.x, tint.y, float(flag), 1.0);
    }""")
    s.set("tint", 1.0, 0.5, 0.0)
    s.set("flag", 1)
    s.set("tex", src)
    canvas.shader(s)
    canvas.rect(0, 0, 100, 100)
    canvas.reset_shader()
    px = rgba_at(canvas, 50, 50)
    assert px[0] == 255 and abs(px[1] - 128) <= 1 and px[2] == 255


def test_processing_style_glsl_is_translated(canvas, rgba_at):
    s = canvas.load_shader("""
    #ifdef GL_ES
    precision mediump float;
    #endif
    varying vec4 vertColor;
    varying vec4 vertTexCoord;
    void main() { gl_FragColor = vec4(vertColor.rgb, 1.0) * vec4(1.0, 1.0, vertTexCoord.y, 1.0); }
    """)
    canvas.fill(255, 255, 255)
    canvas.no_stroke()
    canvas.shader(s)
    canvas.rect(0, 0, 100, 100)
    canvas.reset_shader()
    assert rgba_at(canvas, 50, 2)[2] < 15
    assert rgba_at(canvas, 50, 97)[2] > 240


def test_shader_from_a_file_and_compile_error_names_it(canvas, tmp_path):
    good = tmp_path / "red.frag"
    good.write_text("void main() { gl_FragColor = vec4(1.0, 0.0, 0.0, 1.0); }\n")
    assert canvas.load_shader(good).name == "red.frag"
    bad = tmp_path / "broken.frag"
    bad.write_text("void main() { gl_FragColor = vec4(1.0, 0.0, 0.0); }\n")
    with pytest.raises(SketchmlError) as info:
        canvas.load_shader(str(bad))
    message = str(info.value)
    assert "broken.frag" in message and "did not compile" in message
    assert "error" in message.lower()                  # the GLSL log is included


def test_missing_file_and_unknown_uniform(canvas):
    with pytest.raises(SketchmlError, match="not found"):
        canvas.load_shader("no_such_shader.frag")
    s = canvas.load_shader(GRADIENT)
    with pytest.raises(SketchmlError, match="Did you mean.*'gain'"):
        s.set("gian", 1.0)


def test_shader_needs_a_shader_object(canvas):
    with pytest.raises(SketchmlError, match="load_shader"):
        canvas.shader("red.frag")


def test_shader_applies_to_strokes_lines_and_arrays(canvas, rgba_at):
    s = canvas.load_shader(GRADIENT)
    s.set("gain", 0.0)
    canvas.shader(s)
    canvas.stroke(0, 255, 0)
    canvas.stroke_weight(6)
    canvas.line(10, 20, 90, 20)
    canvas.circles(np.array([50.0]), np.array([70.0]), 20, fills=np.array([[0.0, 1.0, 0.0]]))
    canvas.reset_shader()
    assert rgba_at(canvas, 50, 20)[1] == 255
    assert rgba_at(canvas, 50, 70)[1] == 255
    assert rgba_at(canvas, 50, 45)[1] == 0


def test_reset_shader_goes_back_to_the_builtin(canvas, rgba_at):
    s = canvas.load_shader(GRADIENT)
    s.set("gain", 1.0)
    canvas.shader(s)
    canvas.reset_shader()
    canvas.no_stroke()
    canvas.fill(0, 0, 255)
    canvas.rect(0, 0, 100, 100)
    assert rgba_at(canvas, 50, 50)[:3].tolist() == [0, 0, 255]


def test_canvas_without_gl_cannot_load(gl_ctx):
    with pytest.raises(SketchmlError, match="no OpenGL context"):
        Canvas(10, 10).load_shader(GRADIENT)


def test_shader_on_triangles_quads_and_polygons(canvas, rgba_at):
    s = canvas.load_shader(GRADIENT)
    s.set("gain", 0.0)
    canvas.no_stroke()
    canvas.fill(0, 255, 0)
    canvas.shader(s)
    canvas.triangle(10, 10, 45, 10, 10, 45)
    canvas.quad(55, 10, 90, 10, 90, 45, 55, 45)
    canvas.begin_shape()
    for x, y in [(10, 60), (90, 60), (50, 95)]:
        canvas.vertex(x, y)
    canvas.end_shape(2)
    canvas.reset_shader()
    assert rgba_at(canvas, 15, 15)[1] == 255
    assert rgba_at(canvas, 40, 40)[1] == 0          # outside the triangle's hypotenuse
    assert rgba_at(canvas, 70, 30)[1] == 255
    assert rgba_at(canvas, 50, 70)[1] == 255
    assert rgba_at(canvas, 15, 90)[1] == 0
