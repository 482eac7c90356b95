"""Short tracebacks for sketch errors: the user's lines only, in words a sketcher reads.

When ``setup()``, ``draw()`` or a callback raises, the runtime reports the error
with every frame inside sketchml (and inside the standard library and installed
packages) hidden, so the report points at the sketch's own file and line. Three
common mistakes get a better message than Python's:

* a wrong number of arguments to an API function:
  ``ellipse() takes (x, y, w, h): got 3 arguments``;
* a wrong type: ``ellipse(): argument 'x' must be a number, got str`` (found from
  the API method's annotations and the values it received, after the fact, so
  drawing calls pay nothing for it);
* a misspelt name: ``name 'elipse' is not defined. Did you mean 'ellipse'?``.

Examples:
    >>> try:
    ...     int("x")
    ... except ValueError as err:
    ...     report = format_sketch_error(err)
    >>> report.headline
    "ValueError: invalid literal for int() with base 10: 'x'"
"""
from __future__ import annotations

import inspect
import linecache
import numbers
import os
import re
import sys
import sysconfig
import textwrap
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

import sketchml
from sketchml import constants as K
from sketchml.errors import ApiUsageError, SketchmlError, did_you_mean, suggest

__all__ = [
    "SketchErrorReport", "SketchRuntimeError", "draw_error_overlay", "format_sketch_error",
    "print_report", "signature_text", "suggestion",
]

_SKETCHML_DIR = os.path.dirname(os.path.abspath(sketchml.__file__)) + os.sep
_LIBRARY_DIRS = tuple(
    {os.path.abspath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
     if (p := sysconfig.get_paths().get(key))}
)

_ARG_COUNT = re.compile(
    r"^(?:[\w.]+\.)?(?P<name>\w+)\(\) (?:"
    r"missing (?P<missing>\d+) required positional argument"
    r"|takes (?:from \d+ to )?\d+ positional arguments? but (?P<given>\d+) (?:was|were) given"
    r"|takes no arguments"
    r"|(?P<keyword>got an unexpected keyword argument '\w+'|missing \d+ required keyword-only"
    r" arguments?: .*|got multiple values for argument '\w+')"
    r")"
)


class SketchRuntimeError(SketchmlError):
    """A sketch's own code raised; the message is the short traceback.

    ``exception`` is the original exception and ``report`` the
    :class:`SketchErrorReport` (file, line, headline) it was turned into.
    """

    def __init__(self, report: SketchErrorReport, exception: BaseException) -> None:
        super().__init__(report.text)
        self.report = report
        self.exception = exception


@dataclass
class SketchErrorReport:
    """A sketch error, ready for the console (``text``) and the canvas overlay.

    ``headline`` is ``"Type: message"``; ``filename``/``lineno``/``function``/``code``
    locate the innermost line of the user's own code (``None`` when there is none,
    e.g. a syntax error reported by the parser gets the parser's location).
    """

    headline: str
    frames: list[traceback.FrameSummary] = field(default_factory=list)
    filename: str | None = None
    lineno: int | None = None
    function: str | None = None
    code: str | None = None

    @property
    def text(self) -> str:
        lines = []
        if self.frames:
            lines.append("Traceback (most recent call last; frames inside sketchml hidden):")
            lines.extend(
                line.rstrip("\n")
                for line in traceback.format_list(self.frames)
            )
        elif self.filename:
            lines.append(f'  File "{self.filename}", line {self.lineno}')
            if self.code:
                lines.append(f"    {self.code}")
        lines.append(self.headline)
        return "\n".join(lines)

    @property
    def location(self) -> str:
        """``"sketch.py, line 12, in draw"`` (or ``""``)."""
        if not self.filename:
            return ""
        where = f"{os.path.basename(self.filename)}, line {self.lineno}"
        return where + (f", in {self.function}" if self.function and self.function != "<module>" else "")


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for a misspelt name: only the close matches when there are
    any, so ``elipse`` suggests ``ellipse`` alone, not every name sharing a few letters.

    Examples:
        >>> suggestion("elipse", ["ellipse", "ellipse_mode", "line"])
        " Did you mean 'ellipse'?"
    """
    candidates = list(candidates)
    from sketchml.runtime.hints import processing_name

    renamed = processing_name(name, candidates)
    if renamed is not None:
        return f" Did you mean '{renamed}'? (sketchml's name for Processing's {name})"
    close = suggest(name, candidates, cutoff=0.75)
    return did_you_mean(name, close or candidates)


def _is_internal(filename: str) -> bool:
    if filename.startswith("<frozen") or filename.startswith("<string"):
        return True
    path = os.path.abspath(filename)
    return path.startswith(_SKETCHML_DIR) or path.startswith(_LIBRARY_DIRS)


def _is_sketchml(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SKETCHML_DIR)


def _api_methods() -> dict[str, object]:
    from sketchml.runtime.sketch import Sketch

    return {name: inspect.getattr_static(Sketch, name) for name in Sketch.API_METHODS}


def _signature(obj: object) -> inspect.Signature:
    func = obj.__func__ if isinstance(obj, (staticmethod, classmethod)) else obj
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if not isinstance(obj, staticmethod) and params and params[0].name == "self":
        params = params[1:]
    return sig.replace(parameters=params)


def signature_text(name: str) -> str:
    """``"(x, y, w, h)"``: the parameters of the API function ``name`` as a user writes them.

    Examples:
        >>> signature_text("lerp")
        '(start, stop, amt)'
    """
    sig = _signature(_api_methods()[name])
    parts = []
    star_done = False
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
            star_done = True
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        else:
            if p.kind is p.KEYWORD_ONLY and not star_done:
                parts.append("*")
                star_done = True
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return "(" + ", ".join(parts) + ")"


def _arg_count_message(name: str, exc: TypeError, match: re.Match[str]) -> str:
    expected = signature_text(name)
    if match.group("keyword"):
        return f"{name}() takes {expected}: {match.group('keyword')}"
    sig = _signature(_api_methods()[name])
    positional = [
        p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    bound = not isinstance(_api_methods()[name], staticmethod)
    if match.group("missing"):
        required = sum(1 for p in positional if p.default is p.empty)
        given = required - int(match.group("missing"))
    elif match.group("given"):
        given = int(match.group("given")) - (1 if bound else 0)
    else:
        given = None
    if given is None:
        return f"{name}() takes {expected}: {exc}"
    noun = "argument" if given == 1 else "arguments"
    return f"{name}() takes {expected}: got {given} {noun}"


def _number_annotation(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))
    words = set(re.findall(r"\w+", text))
    if not words & {"float", "int"}:
        return False
    return not words & {"str", "Any", "object", "ndarray", "ArrayLike", "Tensor", "Sequence",
                        "Iterable", "list", "tuple", "Color", "ColorLike"}


def _wrong_type_message(name: str, frame: FrameType) -> str | None:
    sig = _signature(_api_methods()[name])
    for param in sig.parameters.values():
        if param.annotation is param.empty or not _number_annotation(param.annotation):
            continue
        if param.name not in frame.f_locals:
            continue
        value = frame.f_locals[param.name]
        if value is None and param.default is None:
            continue
        if isinstance(value, numbers.Real):
            continue
        return f"{name}(): argument {param.name!r} must be a number, got {type(value).__name__}"
    return None


def _frames(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    return list(traceback.walk_tb(tb))


def _summary(frame: FrameType, lineno: int) -> traceback.FrameSummary:
    filename = frame.f_code.co_filename
    return traceback.FrameSummary(
        filename, lineno, frame.f_code.co_name,
        line=linecache.getline(filename, lineno, frame.f_globals).strip(),
    )


def format_sketch_error(
    exc: BaseException, *, extra_names: Iterable[str] = ()
) -> SketchErrorReport:
    """Turn an exception raised by a sketch into a short :class:`SketchErrorReport`.

    ``extra_names`` are further names a misspelling may have meant (the sketch's
    own globals, in imported mode).

    Examples:
        >>> try:
        ...     elipse(1, 2, 3, 4)  # noqa: F821
        ... except NameError as err:
        ...     print(format_sketch_error(err).headline)
        NameError: name 'elipse' is not defined. Did you mean 'ellipse'?
    """
    frames = _frames(exc.__traceback__)
    user = [i for i, (f, _) in enumerate(frames) if not _is_internal(f.f_code.co_filename)]
    message = str(exc)
    type_name = type(exc).__name__
    api = _api_methods()

    if isinstance(exc, SyntaxError) and not user:
        report = SketchErrorReport(
            f"{type_name}: {exc.msg}", filename=exc.filename, lineno=exc.lineno,
            code=(exc.text or "").strip() or None,
        )
        return report

    if isinstance(exc, TypeError) and (match := _ARG_COUNT.match(message)):
        if match.group("name") in api:
            message = _arg_count_message(match.group("name"), exc, match)
            type_name = "TypeError"
    elif (isinstance(exc, (TypeError, ValueError)) and user
          and (isinstance(exc, ApiUsageError) or not isinstance(exc, SketchmlError))):
        # The API method the user's innermost line called is the first sketchml
        # frame after it that is an API method (module-mode wrappers sit between).
        for frame, _ in frames[user[-1] + 1:]:
            code_name = frame.f_code.co_name
            if not _is_sketchml(frame.f_code.co_filename):
                break
            if code_name in api:
                better = _wrong_type_message(code_name, frame)
                if better:
                    message = better
                    type_name = "ApiUsageError" if isinstance(exc, ApiUsageError) else "TypeError"
                elif not message.startswith(code_name):
                    message = f"{code_name}(): {message}"
                break
    elif isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError):
        name = getattr(exc, "name", None)
        if name and "Did you mean" not in message:
            from sketchml.runtime.sketch import Sketch

            candidates = set(api) | set(Sketch.LIVE_NAMES) | set(extra_names)
            candidates |= set(sketchml.constants.__all__)
            hint = suggestion(name, candidates)
            if hint:
                message += "." + hint
    elif isinstance(exc, AttributeError) and "Did you mean" not in message:
        # Python adds its own suggestion only when it prints the traceback itself.
        name, obj = getattr(exc, "name", None), getattr(exc, "obj", None)
        if name and obj is not None:
            hint = suggestion(name, [n for n in dir(obj) if not n.startswith("_")])
            if hint:
                message += "." + hint

    if isinstance(exc, TypeError) and user and "not iterable" in message and re.search(
        r"\bmap\(", _summary(*frames[user[-1]]).line or ""
    ):
        message += (". That was Python's map(function, iterable): Processing's "
                    "map(value, start1, stop1, start2, stop2) is remap() in sketchml")

    # A SketchmlError from sketchml itself (no line of the user's in play) is its message
    # alone: the place inside sketchml that raised it would only distract.
    inside = frames and not isinstance(exc, SketchmlError)
    shown = [_summary(*frames[i]) for i in user] or ([_summary(*frames[-1])] if inside else [])
    report = SketchErrorReport(f"{type_name}: {message}" if message else type_name, frames=shown)
    if shown:
        last = shown[-1]
        report.filename, report.lineno, report.function, report.code = (
            last.filename, last.lineno, last.name, last.line
        )
    return report


def print_report(report: SketchErrorReport, *, stream=None) -> None:
    """Write ``report`` to ``stream`` (standard error unless given)."""
    print(report.text, file=stream or sys.stderr, flush=True)


def draw_error_overlay(canvas: Any, report: SketchErrorReport, *, footer: str = "") -> None:
    """Show ``report`` on ``canvas``: the sketch's last picture dimmed, a red frame and,
    where the canvas can draw text, the error and its location.

    ``footer`` is a last line of advice (e.g. "save the file to reload").

    Best effort by design: the console already has the report, so a canvas that
    cannot draw (no GL yet, a broken state) is left as it is.
    """
    try:
        canvas._begin_frame()
        canvas.push()
        canvas.color_mode(K.RGB, 255)
        canvas.blend_mode(K.BLEND)
        canvas.rect_mode(K.CORNER)
        canvas.no_stroke()
        canvas.fill(20, 0, 0, 200)
        canvas.rect(0, 0, canvas.width, canvas.height)
        weight = max(2.0, min(canvas.width, canvas.height) / 60)
        canvas.no_fill()
        canvas.stroke(230, 40, 40)
        canvas.stroke_weight(weight)
        canvas.rect(weight / 2, weight / 2, canvas.width - weight, canvas.height - weight)
        if callable(getattr(canvas, "text", None)):
            _overlay_text(canvas, report, margin=weight * 2 + 4, footer=footer)
        canvas.pop()
        canvas._end_frame()
    except Exception:  # noqa: BLE001 - the console report stands on its own
        canvas._begin_frame()


def _overlay_text(canvas: Any, report: SketchErrorReport, *, margin: float, footer: str) -> None:
    size = max(10.0, min(16.0, canvas.width / 40))
    columns = max(16, int((canvas.width - 2 * margin) / (size * 0.6)))
    lines = textwrap.wrap(report.headline, columns) or [report.headline]
    if report.location:
        lines += [""] + textwrap.wrap(report.location, columns)
    if report.code:
        lines += textwrap.wrap("    " + report.code, columns, subsequent_indent="    ")
    if footer:
        lines += ["", footer]
    canvas.no_stroke()
    canvas.fill(255, 235, 235)
    canvas.text_size(size)
    canvas.text_align(K.LEFT, K.TOP)
    y = margin
    for line in lines:
        if y + size > canvas.height - margin:
            break
        canvas.text(line, margin, y)
        y += size * 1.4
