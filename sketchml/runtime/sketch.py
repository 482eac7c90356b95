"""The Sketch: a Canvas with a life cycle, live variables, input callbacks and a frame loop.

Class mode subclasses it; imported and module mode run a plain ``Sketch`` whose
``setup``/``draw``/callbacks are the user's functions. Either way the frame loop
(:mod:`sketchml.runtime.loop`) calls ``settings()``, then ``setup()`` once, then
``draw()`` every frame, and feeds input events through the ``_dispatch_*``
methods, which update the live variables and call the callbacks.

Examples:
    >>> import sketchml as sk
    >>> class Dot(sk.Sketch):
    ...     def settings(self):
    ...         self.size(64, 48)
    ...     def draw(self):
    ...         self.background(0)
    ...         self.fill(255, 0, 0)
    ...         self.circle(self.width / 2, self.height / 2, 20)
    >>> Dot().run_sketch(headless=True, frames=2)
"""
from __future__ import annotations

import inspect
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.graphics.canvas import Canvas
from sketchml.maths import MathsMixin
from sketchml.paths import SketchPathsMixin
from sketchml.sound.api import SoundMixin
from sketchml.runtime.events import KeyEvent, MouseEvent

if TYPE_CHECKING:
    from sketchml.runtime.loop import Runner

__all__ = ["Sketch"]

#: Names the user defines (methods in class mode, functions otherwise).
HOOK_NAMES = ("settings", "setup", "draw")
CALLBACK_NAMES = (
    "key_pressed", "key_released", "key_typed", "mouse_clicked", "mouse_dragged", "mouse_moved",
    "mouse_pressed", "mouse_released", "mouse_wheel", "window_resized",
)
_RUNTIME_METHODS = (
    "exit_sketch", "frame_rate", "full_screen", "get_frame_rate", "is_looping", "loop", "millis",
    "no_loop", "println", "redraw", "size",
)
_MATHS_METHODS = (
    "acos", "asin", "atan", "atan2", "ceil", "constrain", "cos", "degrees", "dist", "exp",
    "floor", "lerp", "log", "mag", "noise", "noise_detail", "noise_seed", "norm", "os_noise",
    "os_noise_seed", "radians",
    "random", "random_choice", "random_gaussian", "random_int", "random_permutation",
    "random_sample", "random_seed", "remap", "sin", "sq", "sqrt", "tan",
)


class _Loading:
    """Set while ``sketchml run`` executes a sketch file: a ``run_sketch()`` call in the
    file (module or class mode) then hands its sketch to the runner instead of starting
    a second frame loop."""

    stack: list[dict[str, Any]] = []

    @classmethod
    def claim(cls, sketch: Sketch | None) -> bool:
        if not cls.stack:
            return False
        cls.stack[-1]["sketch"] = sketch
        return True


def _handler(fn: Callable[..., Any]) -> tuple[Callable[..., Any], bool]:
    """``(fn, takes_event)``: whether the callback wants the event as an argument."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return fn, False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return fn, bool(positional) or any(p.kind is p.VAR_POSITIONAL for p in params)


class Sketch(MathsMixin, SoundMixin, SketchPathsMixin, Canvas):
    """A sketch: subclass it and define ``settings``/``setup``/``draw`` and callbacks.

    Live variables are plain attributes, current whenever your code runs:
    ``width height frame_count mouse_x mouse_y pmouse_x pmouse_y is_mouse_pressed
    mouse_button key key_code is_key_pressed focused``. Callbacks
    (``mouse_pressed mouse_released mouse_clicked mouse_moved mouse_dragged mouse_wheel
    key_pressed key_released key_typed window_resized``) may take the event (:class:`~sketchml.runtime.events.MouseEvent`,
    :class:`~sketchml.runtime.events.KeyEvent`) as their one argument.

    Examples:
        >>> import sketchml as sk
        >>> class Grow(sk.Sketch):
        ...     def setup(self):
        ...         self.size(32, 32)
        ...     def draw(self):
        ...         self.circle(16, 16, self.frame_count)
        >>> s = Grow(); s.run_sketch(headless=True, frames=3); s.frame_count
        3
    """

    #: Live variables: read them as attributes (``self.mouse_x``, ``sk.mouse_x``, bare
    #: ``mouse_x``); the runtime's own plus the canvas's ``LIVE_ATTRIBUTES`` (``pixels``).
    LIVE_NAMES: tuple[str, ...] = tuple(sorted(
        {"focused", "frame_count", "height", "is_key_pressed", "is_mouse_pressed", "key",
         "key_code", "mouse_button", "mouse_x", "mouse_y", "pmouse_x", "pmouse_y", "width"}
        | {name for klass in Canvas.__mro__ for name in vars(klass).get("LIVE_ATTRIBUTES", ())}
    ))
    #: Every public API method, sorted: the module-level API is generated from this list.
    API_METHODS: tuple[str, ...] = tuple(
        sorted(set(Canvas.API_METHODS) | set(_RUNTIME_METHODS) | set(_MATHS_METHODS)
               | set(SoundMixin.API_METHODS) | set(SketchPathsMixin.API_METHODS))
    )

    def __init__(self) -> None:
        Canvas.__init__(self, 100, 100)
        self.frame_count = 0
        self.mouse_x = self.mouse_y = 0.0
        self.pmouse_x = self.pmouse_y = 0.0
        self.is_mouse_pressed = False
        self.mouse_button = 0
        self.key: str | int = ""
        self.key_code = 0
        self.is_key_pressed = False
        self.focused = False
        self._pressed_buttons: set[int] = set()
        self._dragged = False
        self._pressed_keys: set[int | str] = set()
        self._draw_mouse: tuple[float, float] | None = None
        self._first_mouse = True
        self._target_fps = 60.0
        self._measured_fps = 60.0
        self._looping = True
        self._redraw = False
        self._exit = False
        self._full_screen = False
        self._forced_size: tuple[int, int] | None = None
        self._started = time.perf_counter()
        self._virtual_ms: float | None = None
        self._runner: Runner | None = None
        self._handlers: dict[str, tuple[Callable[..., Any], bool]] | None = None
        self._namespace: dict[str, Any] | None = None

    # ------------------------------------------------------------------ user hooks

    def settings(self) -> None:
        """Override to choose the size (``self.size(w, h)``) before the window opens."""

    def setup(self) -> None:
        """Override: runs once, before the first ``draw()``."""

    def draw(self) -> None:
        """Override: runs once per frame (``frame_rate`` times a second)."""

    # ------------------------------------------------------------------ runtime API

    def size(self, width: int, height: int, renderer: str | None = None) -> None:
        """Set the canvas (and window) size in pixels; call it in ``settings()`` or first
        thing in ``setup()``. ``sketchml run --size WxH`` overrides it.

        ``renderer`` may be ``P2D`` or ``JAVA2D`` (both draw with sketchml's one 2D
        renderer, so py5 sketches run unchanged); ``P3D`` is refused, as 3D is not drawn.
        A change of size while the sketch runs calls ``window_resized()``.

        Examples:
            >>> import sketchml as sk
            >>> s = sk.Sketch(); s.size(320, 240, sk.P2D); (s.width, s.height)
            (320, 240)
        """
        check_renderer(renderer, "size")
        try:
            w, h = int(width), int(height)
        except (TypeError, ValueError):
            raise SketchmlError(
                f"size() takes two whole numbers of pixels, got {width!r} and {height!r}; "
                "e.g. size(400, 300)."
            ) from None
        if w <= 0 or h <= 0:
            raise SketchmlError(f"size() needs a positive width and height, got {w}x{h}.")
        if self._forced_size is not None:
            w, h = self._forced_size
        if (w, h) != (self.width, self.height):
            self._resize(w, h)
            if self._runner is not None:
                self._runner._on_resize(self)
                self._sync_live()
                if self.frame_count > 0:
                    self._call("window_resized")
        self._sync_live()

    def full_screen(self) -> None:
        """Use the whole screen: the canvas takes the primary display's size (headless
        renders keep the current size, so a render has a size you chose).

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().full_screen()
        """
        self._full_screen = True
        screen = self._runner._screen_size() if self._runner is not None else None
        if screen is not None:
            self.size(*screen)

    def frame_rate(self, fps: float | None = None) -> float | None:
        """Aim for ``fps`` frames a second (60 unless set). Headless renders run as fast
        as they can, but their clock (``millis()``) and videos still run at ``fps``.
        With no argument it reads the rate reached, as ``get_frame_rate()`` (Processing's
        ``frameRate`` variable).

        Examples:
            >>> import sketchml as sk
            >>> s = sk.Sketch(); s.frame_rate(30); s.frame_rate()
            30.0
        """
        if fps is None:
            return self.get_frame_rate()
        if not fps > 0:
            raise SketchmlError(f"frame_rate() needs a positive number of frames a second, got {fps}.")
        self._target_fps = float(fps)
        self._measured_fps = float(fps)
        return None

    def get_frame_rate(self) -> float:
        """The frame rate the sketch is actually reaching in a window (frames over the
        last second or so, counted from the first frames on); in a headless render, the
        rate its clock runs at.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().get_frame_rate()
            60.0
        """
        return self._measured_fps

    def millis(self) -> int:
        """Milliseconds since the sketch started. Headless renders count frames instead
        of wall time (``frame / frame_rate``), so a video plays as the window would.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().millis() >= 0
            True
        """
        if self._virtual_ms is not None:
            return int(self._virtual_ms)
        return int((time.perf_counter() - self._started) * 1000.0)

    def no_loop(self) -> None:
        """Stop calling ``draw()`` after the current frame (``redraw()`` draws one more,
        ``loop()`` resumes). In ``setup()`` it makes a still: ``draw()`` runs once.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().no_loop()
        """
        self._looping = False

    def loop(self) -> None:
        """Resume calling ``draw()`` every frame after ``no_loop()``.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().loop()
        """
        self._looping = True

    def is_looping(self) -> bool:
        """Whether ``draw()`` is being called every frame (False after ``no_loop()``).

        Examples:
            >>> import sketchml as sk
            >>> s = sk.Sketch(); s.no_loop(); s.is_looping()
            False
        """
        return self._looping

    def redraw(self) -> None:
        """Draw one more frame while ``no_loop()`` is in effect (e.g. from ``mouse_pressed``).

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().redraw()
        """
        self._redraw = True

    def clear(self) -> None:
        """Does nothing on the sketch's own canvas, as in py5: ``clear()`` makes an
        offscreen ``Graphics`` transparent (``pg.clear()``); the window always has a
        background, so use ``background()`` here.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().clear()
        """

    @staticmethod
    def println(*args: Any, sep: str = " ", end: str = "\n", stderr: bool = False) -> None:
        """Print the arguments to the console, as ``print`` does (py5's ``println``);
        ``stderr=True`` prints to the error stream.

        Examples:
            >>> import sketchml as sk
            >>> sk.println("frame", 1, sep=": ")
            frame: 1
        """
        print(*args, sep=sep, end=end, file=sys.stderr if stderr else sys.stdout, flush=True)

    def exit_sketch(self) -> None:
        """Stop the sketch after the current frame and close its window.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().exit_sketch()
        """
        self._exit = True

    def run_sketch(
        self,
        *,
        headless: bool | None = None,
        frames: int | None = None,
        out: str | os.PathLike[str] | None = None,
        size: tuple[int, int] | None = None,
        seed: int | None = None,
        watch: bool | None = None,
        audio: str | os.PathLike[str] | None = None,
    ) -> None:
        """Run this sketch: in a window when there is a display, headless otherwise.

        ``headless`` forces headless (True) or a window (False). ``frames`` stops after
        that many ``draw()`` calls (unlimited unless given). ``out`` streams the frames to
        an ``.mp4``, a ``.gif`` or a ``frames/frame-####.png`` sequence. ``size=(w, h)``
        overrides ``size()``; ``seed`` seeds ``random`` and ``noise``. ``watch`` reloads the
        sketch's file when it is saved (on by default in a window when the sketch was
        started from a file). ``audio`` is a soundtrack (a sound file) that plays from the
        first frame; a headless run without ``frames`` lasts as long as it, and an MP4
        ``out`` has it (and whatever the sketch played) as its sound. In a notebook the
        result is displayed inline instead (one frame as an image, several as a video). An
        error in a headless run raises
        :class:`~sketchml.runtime.tracebacks.SketchRuntimeError`; in a window it is shown on
        the canvas and in the console.

        Examples:
            >>> import sketchml as sk
            >>> class Still(sk.Sketch):
            ...     def setup(self):
            ...         self.background(255, 0, 0)
            ...         self.no_loop()
            >>> Still().run_sketch(headless=True)
        """
        if "_handlers" not in vars(self):
            raise SketchmlError(
                f"{type(self).__name__}.__init__ did not call super().__init__(), so the sketch "
                "is not set up; add super().__init__() as the first line of your __init__."
            )
        if _Loading.claim(self):
            return
        module_file = getattr(sys.modules.get(type(self).__module__), "__file__", None)
        if self._sketch_folder is None and module_file:
            self._sketch_folder = Path(module_file).resolve().parent
        from sketchml.runtime.loop import run_sketch

        run_sketch(self, headless=headless, frames=frames, out=out, size=size, seed=seed,
                   watch=watch, main_globals=_caller_globals(), audio=audio)

    # ------------------------------------------------------------------ handlers

    def _use_methods(self) -> None:
        """Class mode: the handlers are the methods a subclass overrides."""
        handlers = {}
        for name in HOOK_NAMES + CALLBACK_NAMES:
            if getattr(type(self), name, None) is not getattr(Sketch, name, None):
                handlers[name] = _handler(getattr(self, name))
        self._handlers = handlers
        self._namespace = None
        from sketchml.runtime.hints import warn_callbacks

        own = {name for klass in type(self).__mro__ if klass not in Sketch.__mro__
               for name, value in vars(klass).items() if inspect.isfunction(value)}
        warn_callbacks(sorted(own))

    def _use_functions(self, namespace: dict[str, Any], *, sync: bool) -> None:
        """Imported/module mode: the handlers are functions in ``namespace``; with ``sync``
        the live variables are copied into it before every call (imported mode)."""
        self._handlers = {
            name: _handler(fn)
            for name in HOOK_NAMES + CALLBACK_NAMES
            if callable(fn := namespace.get(name))
        }
        self._namespace = namespace if sync else None

    def _has_handler(self, name: str) -> bool:
        if self._handlers is None:
            self._use_methods()
        return name in self._handlers

    def _sync_live(self) -> None:
        namespace = self._namespace
        if namespace is not None:
            for name in self.LIVE_NAMES:
                namespace[name] = getattr(self, name)

    def _call(self, name: str, event: Any = None) -> None:
        if self._handlers is None:
            self._use_methods()
        entry = self._handlers.get(name)
        if entry is None:
            return
        fn, takes_event = entry
        if self._namespace is not None:
            self._sync_live()
        if takes_event and event is not None:
            fn(event)
        else:
            fn()

    # ------------------------------------------------------------------ event dispatch

    def _dispatch_mouse_move(self, x: float, y: float) -> None:
        """The pointer moved to ``(x, y)`` canvas pixels: ``mouse_moved`` or, with a
        button held, ``mouse_dragged``."""
        if self._first_mouse:
            self.mouse_x, self.mouse_y = x, y
            self._first_mouse = False
        self.pmouse_x, self.pmouse_y = self.mouse_x, self.mouse_y
        self.mouse_x, self.mouse_y = float(x), float(y)
        action = "drag" if self.is_mouse_pressed else "move"
        if self.is_mouse_pressed:
            self._dragged = True
        self._call(
            "mouse_dragged" if self.is_mouse_pressed else "mouse_moved",
            MouseEvent(self.mouse_x, self.mouse_y, button=self.mouse_button, action=action),
        )

    def _dispatch_mouse_button(self, button: int, pressed: bool) -> None:
        """``button`` (``LEFT``, ``RIGHT`` or ``CENTER``) went down or up."""
        self.mouse_button = button
        if pressed:
            self._pressed_buttons.add(button)
        else:
            self._pressed_buttons.discard(button)
        self.is_mouse_pressed = bool(self._pressed_buttons)
        action = "press" if pressed else "release"
        event = MouseEvent(self.mouse_x, self.mouse_y, button=button, action=action)
        self._call("mouse_pressed" if pressed else "mouse_released", event)
        if pressed:
            self._dragged = False
        elif not self._dragged:
            # Processing's mouseClicked: a press and a release with no drag between.
            self._call("mouse_clicked",
                       MouseEvent(self.mouse_x, self.mouse_y, button=button, action="click"))
        if not pressed:
            self.mouse_button = next(iter(self._pressed_buttons), 0)

    def _dispatch_mouse_wheel(self, count: int) -> None:
        """The wheel turned ``count`` steps (positive: towards the user, as in Processing)."""
        self._call(
            "mouse_wheel",
            MouseEvent(self.mouse_x, self.mouse_y, button=self.mouse_button, count=count,
                       action="wheel"),
        )

    def _dispatch_key(self, key: str | int, key_code: int, pressed: bool, *,
                      is_repeat: bool = False) -> None:
        """A key went down (or repeats) or up: ``key``/``key_code`` as Processing has them."""
        self.key, self.key_code = key, key_code
        ident = key_code or key
        if pressed:
            self._pressed_keys.add(ident)
        else:
            self._pressed_keys.discard(ident)
        self.is_key_pressed = bool(self._pressed_keys)
        action = "press" if pressed else "release"
        self._call("key_pressed" if pressed else "key_released",
                   KeyEvent(key, key_code, action=action, is_repeat=is_repeat))
        if pressed and isinstance(key, str) and key:
            # Processing's keyTyped: keys that type a character (not arrows, Shift ...).
            self._call("key_typed", KeyEvent(key, key_code, action="type", is_repeat=is_repeat))

    def _dispatch_focus(self, focused: bool) -> None:
        """The window gained or lost the keyboard focus."""
        self.focused = bool(focused)
        if not focused:
            self._pressed_keys.clear()
            self.is_key_pressed = False

    def _before_draw(self) -> None:
        """Per-frame live variables: ``frame_count`` and ``pmouse`` (the mouse one frame ago)."""
        self.frame_count += 1
        if self._draw_mouse is not None:
            self.pmouse_x, self.pmouse_y = self._draw_mouse
        self._draw_mouse = (self.mouse_x, self.mouse_y)


#: Processing's renderer names, as py5 spells their values; sketchml draws them all in 2D.
_RENDERERS_2D = {"processing.opengl.PGraphics2D", "processing.awt.PGraphicsJava2D"}


def check_renderer(renderer: str | None, caller: str) -> None:
    """Accept ``None``, ``P2D`` or ``JAVA2D``; refuse ``P3D`` and unknown renderers clearly."""
    if renderer is None or renderer in _RENDERERS_2D:
        return
    if renderer == "processing.opengl.PGraphics3D":
        raise SketchmlError(
            f"{caller}(..., P3D): sketchml draws in 2D only. Leave the renderer out or use P2D."
        )
    raise SketchmlError(
        f"{caller}(..., {renderer!r}): unknown renderer; use P2D or JAVA2D (or leave it out)."
    )


def _caller_globals() -> dict[str, Any]:
    """Globals of the code that called ``run_sketch`` (outside sketchml)."""
    frame = sys._getframe(2)
    return frame.f_globals
