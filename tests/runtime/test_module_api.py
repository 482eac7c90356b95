"""The module-level API is generated from Sketch: same names, signatures and docstrings."""
from __future__ import annotations

import inspect
import pydoc

import pytest

import sketchml as sk
from sketchml.runtime import module_api
from sketchml.runtime.sketch import Sketch


def test_every_sketch_api_method_is_a_module_function():
    assert set(Sketch.API_METHODS) <= set(sk.__all__)
    assert set(Sketch.API_METHODS) <= set(dir(sk))
    assert {"circle", "ellipse", "background", "size", "no_loop", "noise", "random"} <= set(
        Sketch.API_METHODS)
    assert list(Sketch.API_METHODS) == sorted(Sketch.API_METHODS)


@pytest.mark.parametrize("name", Sketch.API_METHODS)
def test_module_function_has_the_method_signature_and_docstring(name):
    function = getattr(sk, name)
    method = getattr(Sketch, name)
    params = list(inspect.signature(method).parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    assert list(inspect.signature(function).parameters.values()) == params
    assert function.__doc__ == method.__doc__ and function.__doc__
    assert function.__name__ == name


def test_help_shows_the_real_signature():
    text = pydoc.render_doc(sk.circle, renderer=pydoc.plaintext)
    assert "circle(x: 'float', y: 'float', extent: 'float')" in text
    assert sk.circle.__doc__.strip().splitlines()[0] in text


def test_module_functions_act_on_the_current_sketch(close_to):
    drawn = []

    class Probe(sk.Sketch):
        def setup(self):
            self.size(20, 20)

        def draw(self):
            sk.background(0, 255, 0)          # module function inside a class-mode sketch
            drawn.append((sk.frame_count, sk.width))

    sketch = Probe()
    sketch.run_sketch(headless=True, frames=2)
    assert drawn == [(1, 20), (2, 20)]
    assert close_to(sketch._read_pixels()[10, 10], (0, 255, 0, 255))


def test_static_helpers_are_the_functions_themselves():
    from sketchml import maths

    assert sk.remap is maths.remap and sk.lerp is maths.lerp and sk.dist is maths.dist
    assert sk.remap(5, 0, 10, 0, 1) == 0.5


def test_idle_sketch_serves_maths_outside_a_run():
    sk.random_seed(3)
    first = [sk.random(1) for _ in range(3)]
    sk.random_seed(3)
    assert [sk.random(1) for _ in range(3)] == first
    assert module_api.current_sketch().frame_count == 0
    assert sk.frame_count == 0 and sk.mouse_x == 0


def test_live_names_are_not_copied_into_the_module():
    assert "mouse_x" not in vars(sk) and "frame_count" not in vars(sk)
    assert set(Sketch.LIVE_NAMES) <= set(dir(sk))
    assert set(module_api.live_names()) == set(Sketch.LIVE_NAMES)


def test_drawing_outside_a_sketch_says_what_to_do():
    with pytest.raises(sk.SketchmlError, match="setup\\(\\)/draw\\(\\)"):
        sk.circle(1, 2, 3)
    with pytest.raises(AttributeError, match="Did you mean (one of: )?'no_loop'"):
        sk.noloop  # noqa: B018


def test_exported_names_cover_the_runtime_classes():
    assert {"Sketch", "run_sketch", "render", "MouseEvent", "KeyEvent", "SketchRuntimeError"} <= set(
        module_api.exported_names())
    assert sk.Sketch is Sketch


def test_module_mode_calls_before_run_sketch_apply_to_the_run(tmp_path):
    def draw():
        sk.no_loop()

    sk.size(48, 24)
    sk.frame_rate(10)
    sk.random_seed(7)
    expected = sk.Sketch()
    expected.random_seed(7)
    namespace = {"draw": draw}
    exec("import sketchml as sk\nsk.run_sketch(headless=True)", namespace)
    ran = module_api.current_sketch()
    assert (ran.width, ran.height, ran.get_frame_rate()) == (48, 24, 10.0)
    assert ran.random(1) == expected.random(1)
