"""The module-level API (``sk.circle``, ``sk.mouse_x`` ...), generated from :class:`Sketch`.

Nothing here is written twice: for every name in ``Sketch.API_METHODS`` a
function is made that forwards to the *current* sketch and carries the method's
name, signature (without ``self``) and docstring, so ``help(sk.circle)``, IDEs
and the docs see the real thing. Static helpers (``remap``, ``lerp`` ...) are
exported as the functions themselves. Live variables are not copied into the
module: ``sketchml.__getattr__`` reads them from the current sketch on every
access, so ``sk.mouse_x`` is always fresh. A misspelt name gets a suggestion.

The current sketch is the one running (set by the runner; it stays current after
the run, so a notebook can still read ``sk.frame_count``). With none, drawing
functions say that a sketch must run, while ``sk.random(10)``, ``sk.noise(0.1)`` and
the other non-drawing functions use an idle sketch made on first use.

Examples:
    >>> import sketchml as sk
    >>> import inspect
    >>> list(inspect.signature(sk.circle).parameters)
    ['x', 'y', 'extent']
"""
from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    from sketchml.runtime.notebook import SketchRender
    from sketchml.runtime.sketch import Sketch

__all__ = [
    "SketchmlAttributeError", "current_sketch", "exported_names", "install", "live_names",
    "module_getattr", "render", "run_sketch", "set_current",
]

_current: list[Any] = [None]
_idle: list[Any] = [None]

# Public names that are not Sketch methods.
_EXTRA_EXPORTS = ("Capture", "KeyEvent", "MouseEvent", "Movie", "Sketch", "SketchRuntimeError",
                  "render", "run_sketch")


class SketchmlAttributeError(SketchmlError, AttributeError):
    """``sk.<name>`` for a name sketchml does not have (an ``AttributeError`` too, so
    ``hasattr`` and ``getattr(..., default)`` keep working)."""


def current_sketch() -> Sketch:
    """The sketch the module-level functions act on (an idle one outside a run).

    Examples:
        >>> current_sketch().frame_count >= 0
        True
    """
    sketch = _current[0] or _idle[0]
    if sketch is None:
        from sketchml.runtime.sketch import Sketch

        sketch = _idle[0] = Sketch()
    return sketch


def set_current(sketch: Sketch | None) -> None:
    """Make ``sketch`` the target of the module-level functions (``None``: no sketch, and
    a fresh idle one for the non-drawing functions)."""
    _current[0] = sketch
    if sketch is None:
        _idle[0] = None


def _no_sketch(name: str) -> SketchmlError:
    return SketchmlError(
        f"{name}() draws on a running sketch, and none is running. Call it inside "
        "setup()/draw() (or a callback) and start the sketch with sk.run_sketch(); or use "
        "sk.create_graphics() for a canvas of your own."
    )


def _forwarder(name: str, method: Callable[..., Any], *, draws: bool) -> Callable[..., Any]:
    if draws:
        def api_function(*args: Any, **kwargs: Any) -> Any:
            sketch = _current[0]
            if sketch is None:
                raise _no_sketch(name)
            return getattr(sketch, name)(*args, **kwargs)
    else:
        def api_function(*args: Any, **kwargs: Any) -> Any:
            return getattr(_current[0] or current_sketch(), name)(*args, **kwargs)

    signature = inspect.signature(method)
    params = list(signature.parameters.values())[1:]
    api_function.__name__ = api_function.__qualname__ = name
    api_function.__doc__ = method.__doc__
    api_function.__module__ = "sketchml"
    api_function.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return api_function


def _generated() -> dict[str, Any]:
    from sketchml.graphics.canvas import Canvas
    from sketchml.runtime.sketch import Sketch

    functions: dict[str, Any] = {}
    for name in Sketch.API_METHODS:
        attr = inspect.getattr_static(Sketch, name)
        if isinstance(attr, staticmethod):
            functions[name] = attr.__func__
        else:
            # Drawing needs a sketch that runs; size(), random(), noise() ... also work on
            # the idle sketch, so scripts can use them before (or without) a run.
            functions[name] = _forwarder(name, getattr(Sketch, name),
                                         draws=name in Canvas.API_METHODS)
    return functions


def run_sketch(
    *,
    headless: bool | None = None,
    frames: int | None = None,
    out: str | os.PathLike[str] | None = None,
    size: tuple[int, int] | None = None,
    seed: int | None = None,
    watch: bool | None = None,
    audio: str | os.PathLike[str] | None = None,
) -> None:
    """Module mode: run the ``settings``/``setup``/``draw``/callback functions defined in
    the calling module (your script). Options as :meth:`Sketch.run_sketch`.

    Examples:
        >>> import sketchml as sk
        >>> def draw():
        ...     sk.background(0, 0, 255)
        ...     sk.no_loop()
        >>> sk.run_sketch(headless=True)
    """
    from sketchml.runtime.sketch import HOOK_NAMES, CALLBACK_NAMES, Sketch, _Loading

    if _Loading.claim(None):
        return
    caller = sys._getframe(1).f_globals
    if not any(callable(caller.get(name)) for name in HOOK_NAMES + CALLBACK_NAMES):
        where = caller.get("__file__", caller.get("__name__", "this module"))
        raise SketchmlError(
            f"run_sketch() found no setup() or draw() in {where}. Define them at the top "
            "level of the module that calls sk.run_sketch() (module mode), or subclass "
            "sk.Sketch and call MySketch().run_sketch() (class mode)."
        )
    # Calls made before the run (sk.size, sk.frame_rate, sk.random_seed at the top of a
    # script) went to the idle sketch: run that one, so they count.
    sketch = _idle[0] if _current[0] is None and _idle[0] is not None else Sketch()
    _idle[0] = None
    sketch._use_functions(caller, sync=False)
    if caller.get("__file__"):
        sketch._sketch_folder = Path(caller["__file__"]).resolve().parent
    from sketchml.runtime.hints import warn_callbacks

    warn_callbacks(
        name for name, value in caller.items()
        if callable(value) and getattr(getattr(value, "__code__", None), "co_filename", None)
        == caller.get("__file__")
    )
    from sketchml.runtime.loop import run_sketch as run_loop

    run_loop(sketch, headless=headless, frames=frames, out=out, size=size, seed=seed,
             watch=watch, main_globals=caller, audio=audio)


def render(
    sketch: Any = None,
    *,
    frames: int = 1,
    size: tuple[int, int] | None = None,
    seed: int | None = None,
    fps: float | None = None,
    format: str = "mp4",
) -> SketchRender:
    """Render a sketch headless and return it as a value a notebook displays inline.

    ``sketch`` is a :class:`Sketch` instance or subclass, a sketch file's path, a dict
    of functions (e.g. ``globals()``), or nothing: the calling module's functions.
    One frame gives an image (``_repr_png_``); more give a looping video
    (``_repr_html_``: an MP4, or a GIF with ``format="gif"``). ``.save(path)`` writes it.

    Examples:
        >>> import sketchml as sk
        >>> class Red(sk.Sketch):
        ...     def draw(self):
        ...         self.background(255, 0, 0)
        >>> sk.render(Red, frames=1, size=(32, 32))._repr_png_()[:4]
        b'\\x89PNG'
    """
    from sketchml.runtime.notebook import render as render_sketch

    if sketch is None:
        sketch = sys._getframe(1).f_globals
    return render_sketch(sketch, frames=frames, size=size, seed=seed, fps=fps, format=format)


def install(namespace: dict[str, Any]) -> None:
    """Add the generated API functions and the runtime's public classes to ``namespace``
    (``sketchml``'s globals)."""
    from sketchml.media.capture import Capture, Movie
    from sketchml.runtime.events import KeyEvent, MouseEvent
    from sketchml.runtime.sketch import Sketch
    from sketchml.runtime.tracebacks import SketchRuntimeError

    namespace.update(_generated())
    namespace.update(
        Capture=Capture, KeyEvent=KeyEvent, MouseEvent=MouseEvent, Movie=Movie, Sketch=Sketch,
        SketchRuntimeError=SketchRuntimeError, render=render, run_sketch=run_sketch,
    )


def exported_names() -> list[str]:
    """The names :func:`install` adds, sorted."""
    from sketchml.runtime.sketch import Sketch

    return sorted(set(Sketch.API_METHODS) | set(_EXTRA_EXPORTS))


def live_names() -> list[str]:
    """The live variables (``mouse_x``, ``frame_count`` ...), read through ``module_getattr``."""
    from sketchml.runtime.sketch import Sketch

    return list(Sketch.LIVE_NAMES)


def module_getattr(name: str) -> Any:
    """``sketchml.__getattr__``: live variables from the current sketch; otherwise an
    ``AttributeError`` that suggests the name meant."""
    from sketchml.runtime.sketch import Sketch

    if name in Sketch.LIVE_NAMES:
        return getattr(_current[0] or current_sketch(), name)
    if name.startswith("__"):
        raise AttributeError(f"module 'sketchml' has no attribute {name!r}")
    module = sys.modules.get("sketchml")
    candidates = set(dir(module)) if module is not None else set()
    candidates |= set(Sketch.LIVE_NAMES)
    from sketchml.runtime.tracebacks import suggestion

    hint = suggestion(name, sorted(c for c in candidates if not c.startswith("_")))
    raise SketchmlAttributeError(f"module 'sketchml' has no attribute {name!r}.{hint}".rstrip("."))
