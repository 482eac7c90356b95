"""The public drawing API of Canvas: the method list the runtime builds from, and its docs."""
from __future__ import annotations

import inspect
import sys

from sketchml.graphics.canvas import Canvas


def test_api_methods_are_sorted_unique_and_exist():
    names = Canvas.API_METHODS
    assert list(names) == sorted(set(names))
    for name in names:
        assert callable(getattr(Canvas, name)), name


def test_every_api_method_is_documented_with_an_example_and_hints():
    for name in Canvas.API_METHODS:
        method = getattr(Canvas, name)
        doc = inspect.getdoc(method) or ""
        assert "Examples:" in doc and ">>>" in doc, f"{name} needs a docstring with an example"
        hints = inspect.signature(method)
        assert hints.return_annotation is not inspect.Signature.empty, name
        for param in list(hints.parameters.values())[1:]:
            if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                assert param.annotation is not inspect.Signature.empty, f"{name}({param.name})"


def test_processing_core_names_are_present():
    core = """background fill no_fill stroke no_stroke stroke_weight stroke_cap stroke_join
    color_mode color lerp_color blend_mode point line rect square ellipse circle arc triangle
    quad begin_shape vertex end_shape bezier bezier_vertex rect_mode ellipse_mode push pop
    push_matrix pop_matrix push_style pop_style translate rotate scale shear_x shear_y
    reset_matrix load_shader shader reset_shader points lines circles rects""".split()
    assert set(core) <= set(Canvas.API_METHODS)


def test_importing_the_canvas_does_not_import_torch():
    import subprocess

    code = "import sketchml.graphics.canvas, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
