"""Sketch errors: short tracebacks at the user's line, messages for people, exit codes."""
from __future__ import annotations

import pytest

import sketchml as sk
from sketchml.runtime.loop import Runner, run_file
from sketchml.runtime.tracebacks import SketchRuntimeError, format_sketch_error, signature_text


def test_exception_in_draw_exits_non_zero_with_a_short_traceback(write_sketch, run_cli):
    path = write_sketch("""
        def setup():
            size(20, 20)

        def draw():
            background(0)
            if frame_count == 2:
                value = 1 / 0
    """)
    result = run_cli("run", path, "--headless", "--frames", "5")
    assert result.returncode == 1
    err = result.stderr
    assert f'File "{path}", line 7, in draw' in err
    assert "value = 1 / 0" in err
    assert "ZeroDivisionError: division by zero" in err
    assert "sketchml/runtime" not in err and "sketchml/graphics" not in err
    assert len(err.strip().splitlines()) <= 5


def test_wrong_argument_count_names_the_signature(write_sketch):
    path = write_sketch("""
        def draw():
            ellipse(10, 20, 30)
    """)
    with pytest.raises(SketchRuntimeError) as info:
        sk.render(str(path), size=(20, 20))
    expected = f"ellipse() takes {signature_text('ellipse')}: got 3 arguments"
    assert info.value.report.headline == "TypeError: " + expected
    assert info.value.report.lineno == 2
    assert signature_text("ellipse").count(",") == 3      # four parameters


def test_too_many_arguments_and_unknown_keyword():
    class Bad(sk.Sketch):
        def draw(self):
            self.circle(1, 2, 3, 4, 5)

    with pytest.raises(SketchRuntimeError, match=r"circle\(\) takes \(x, y, extent\): got 5 arguments"):
        Bad().run_sketch(headless=True, frames=1)

    class Keyword(sk.Sketch):
        def draw(self):
            self.circle(1, 2, 3, radius=4)

    with pytest.raises(SketchRuntimeError,
                       match=r"circle\(\) takes \(x, y, extent\): got an unexpected keyword"):
        Keyword().run_sketch(headless=True, frames=1)


def test_wrong_argument_type_names_the_argument():
    class Typo(sk.Sketch):
        def draw(self):
            self.circle(10, "top", 5)

    with pytest.raises(SketchRuntimeError) as info:
        Typo().run_sketch(headless=True, frames=1)
    assert info.value.report.headline == "ApiUsageError: circle(): argument 'y' must be a number, got str"
    assert info.value.report.function == "draw"
    assert isinstance(info.value.exception, sk.ApiUsageError)


def test_module_mode_argument_count_through_generated_function():
    def draw():
        sk.line(0, 0, 10)

    with pytest.raises(SketchRuntimeError,
                       match=r"line\(\) takes \(x1, y1, x2, y2\): got 3 arguments"):
        sk.render({"draw": draw}, size=(10, 10))


def test_misspelt_name_in_imported_mode_suggests_the_api_name(write_sketch, run_cli):
    path = write_sketch("""
        def draw():
            backgruond(0)
    """)
    result = run_cli("run", path, "--headless", "--frames", "1")
    assert result.returncode == 1
    assert "NameError: name 'backgruond' is not defined. Did you mean 'background'?" in result.stderr


def test_misspelt_module_attribute_suggests_the_api_name():
    with pytest.raises(AttributeError, match="Did you mean 'ellipse'") as info:
        sk.elipse  # noqa: B018
    assert isinstance(info.value, sk.SketchmlError)
    assert not hasattr(sk, "no_such_function_anywhere")


def test_syntax_error_reports_the_file_and_line(write_sketch, run_cli):
    path = write_sketch("""
        def draw()
            background(0)
    """)
    result = run_cli("run", path, "--headless", "--frames", "1")
    assert result.returncode == 1
    assert f'File "{path}", line 1' in result.stderr
    assert "SyntaxError" in result.stderr


def test_error_in_setup_and_in_callbacks_are_reported(write_sketch):
    path = write_sketch("""
        def setup():
            size(10, 10)
            undefined_helper()
    """)
    with pytest.raises(SketchRuntimeError) as info:
        sk.render(str(path))
    assert info.value.report.function == "setup" and info.value.report.lineno == 3

    class Clicky(sk.Sketch):
        def mouse_pressed(self):
            raise ValueError(f"bad click at {self.mouse_x:.0f}")

    runner = Runner(Clicky(), headless=True)
    runner.start()
    runner.post_event("move", 3, 4)
    runner.post_event("button", sk.LEFT, True)
    with pytest.raises(SketchRuntimeError) as info:
        runner.step()
    runner.close()
    assert info.value.report.headline == "ValueError: bad click at 3"
    assert info.value.report.function == "mouse_pressed"


def test_a_file_without_setup_or_draw_is_refused(write_sketch):
    path = write_sketch("x = 1\n")
    with pytest.raises(SketchRuntimeError, match="defines no setup\\(\\) or draw\\(\\)"):
        sk.render(str(path))
    assert run_file(path, headless=True, frames=1) == 1


def test_push_without_pop_is_a_sketch_error():
    class Unbalanced(sk.Sketch):
        def draw(self):
            self.push()

    with pytest.raises(SketchRuntimeError, match="push\\(\\) without pop\\(\\)"):
        Unbalanced().run_sketch(headless=True, frames=1)


def test_report_hides_library_frames_outside_a_sketch():
    def user_code():
        import json

        json.loads("{")

    try:
        user_code()
    except ValueError as err:
        report = format_sketch_error(err)
    names = [frame.name for frame in report.frames]
    assert names[-1] == "user_code"
    assert all("json" not in frame.filename for frame in report.frames)
    assert report.headline.startswith("JSONDecodeError")


def test_headless_runner_that_shows_errors_stops_instead_of_spinning(capsys):
    class Broken(sk.Sketch):
        def draw(self):
            raise KeyError("gone")

    runner = Runner(Broken(), headless=True, frames=5, raise_errors=False)
    assert runner.run() == 1
    assert "KeyError: 'gone'" in capsys.readouterr().err


def test_misspelt_method_in_class_mode_suggests_the_api_name():
    class Typo(sk.Sketch):
        def draw(self):
            self.stroke_wieght(3)

    with pytest.raises(SketchRuntimeError, match="Did you mean 'stroke_weight'"):
        Typo().run_sketch(headless=True, frames=1)
