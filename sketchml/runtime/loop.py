"""The frame loop: settings, setup, then draw every frame, on a window or headless.

A :class:`Runner` owns one surface (a glfw window, or the process's headless
EGL context), the sketch running on it, an optional frame writer and, for
sketches started from a file, a watcher that reloads the file when it is saved.
The sketch always draws into its own canvas framebuffer; a window only shows
that texture, so a window and a headless render make the same pixels.

Errors in the sketch's code never escape as raw tracebacks: headless runs raise
:class:`~sketchml.runtime.tracebacks.SketchRuntimeError` (a short report naming
the user's line); windows print the report, show it on the canvas and wait for
the next save.

Examples:
    >>> import sketchml as sk
    >>> class Frames(sk.Sketch):
    ...     def draw(self):
    ...         self.background(self.frame_count * 10)
    >>> runner = Runner(Frames(), headless=True, frames=3)
    >>> runner.run(), runner.frames_drawn
    (0, 3)
"""
from __future__ import annotations

import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.media.video import FrameWriter, check_frame_path, open_frame_writer
from sketchml.runtime import module_api
from sketchml.runtime.imported import FileSketchSource
from sketchml.runtime.reload import FileWatcher
from sketchml.runtime.sketch import Sketch
from sketchml.runtime.tracebacks import (
    SketchErrorReport,
    SketchRuntimeError,
    draw_error_overlay,
    format_sketch_error,
    print_report,
)
from sketchml.sound.render import RunSound

__all__ = ["HeadlessSurface", "Runner", "has_display", "run_file", "run_sketch"]

_EVENT_ARITY = {"move": 2, "button": 2, "wheel": 1, "key": 4, "focus": 1}

# Size of the stand-in canvas that shows an error when a file fails before it made a sketch.
_ERROR_CANVAS = (640, 360)


def has_display() -> bool:
    """Whether a window can be opened (an X11/Wayland display on Linux; always on
    macOS and Windows).

    Examples:
        >>> isinstance(has_display(), bool)
        True
    """
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class HeadlessSurface:
    """Draws with the process's headless EGL context; no window and no waiting. Its only
    input is what :meth:`Runner.post_event` queues."""

    headless = True

    def __init__(self) -> None:
        from sketchml.graphics.context import create_headless_context

        self.ctx = create_headless_context()
        self._events: list[tuple[Any, ...]] = []

    def screen_size(self) -> tuple[int, int] | None:
        return None

    def attach(self, sketch: Sketch) -> None:
        sketch.focused = False

    def resize(self, width: int, height: int) -> None:
        return None

    def poll(self) -> list[tuple[Any, ...]]:
        events, self._events = self._events, []
        return events

    def present(self, sketch: Sketch) -> None:
        # Wait for the frame, as a window's buffer swap does: unsynchronised, the GL driver
        # queues frame after frame, and memory grows with every frame drawn.
        self.ctx.finish()

    def should_close(self) -> bool:
        return False

    def wait(self, seconds: float) -> None:
        return None

    def close(self) -> None:
        return None


class Runner:
    """Runs a sketch frame by frame; see the module docstring.

    ``sketch`` is the sketch to start with (``None``: load the first one from
    ``source``). ``source`` (a :class:`FileSketchSource`) is where reloads come from.
    ``frames`` limits the number of ``draw()`` calls; ``out`` is a path for
    :func:`~sketchml.media.video.open_frame_writer` or an open writer; ``size`` forces
    the canvas size; ``seed`` seeds ``random`` and ``noise``; ``watch`` reloads
    ``source`` on save (checked every ``watch_interval`` seconds). ``raise_errors``
    (headless by default) raises sketch errors instead of showing them. ``fps`` sets the
    frame rate after ``setup()`` (as ``frame_rate()`` would) and, headless, paces frames in
    real time with the sketch's clock (``millis()``) running on real time: a render then
    shows work done on background threads (training, guidance) as it progresses, instead
    of racing ahead of it. ``audio`` is a
    soundtrack (a sound file or result) that plays from the first frame; a headless run
    with it and no ``frames`` stops when the soundtrack ends. Whatever the sketch plays
    goes into an ``out`` video's audio track, in sync (see :mod:`sketchml.sound.render`).

    Use :meth:`run`, or :meth:`start`, :meth:`step` (one frame; False when the sketch
    is over) and :meth:`close` to drive it yourself.
    """

    def __init__(
        self,
        sketch: Sketch | None = None,
        *,
        source: FileSketchSource | None = None,
        headless: bool = True,
        frames: int | None = None,
        out: str | os.PathLike[str] | FrameWriter | None = None,
        size: tuple[int, int] | None = None,
        seed: int | None = None,
        watch: bool = False,
        watch_interval: float = 0.25,
        raise_errors: bool | None = None,
        title: str = "sketchml",
        audio: Any = None,
        fps: float | None = None,
    ) -> None:
        if sketch is None and source is None:
            raise SketchmlError("Runner needs a sketch or a sketch file to load.")
        if fps is not None and not (isinstance(fps, (int, float)) and 0 < fps <= 1000):
            raise SketchmlError(f"fps is frames per second of real time, a number above 0 "
                                f"(at most 1000); got {fps!r}.")
        if frames is not None and int(frames) < 0:
            raise SketchmlError(f"frames must be 0 or more, got {frames}.")
        if size is not None:
            size = _parse_size(size)
        self.sketch: Sketch | None = sketch
        self.source = source
        self.frames = None if frames is None else int(frames)
        self.size = size
        self.seed = seed
        self.raise_errors = headless if raise_errors is None else raise_errors
        self.failed: SketchErrorReport | None = None
        self.frames_drawn = 0
        self.writer: FrameWriter | None = out if isinstance(out, FrameWriter) else None
        self._out_path = None if out is None or isinstance(out, FrameWriter) else os.fspath(out)
        if self._out_path is not None:
            check_frame_path(self._out_path)
        self._title = title
        self._headless = headless
        self.sound = RunSound(soundtrack=audio, out=self._out_path, record=out is not None)
        self.surface: Any = None
        self.watcher = (
            FileWatcher(source.watched_files(), interval=watch_interval)
            if watch and source is not None else None
        )
        self._next_time = 0.0
        self._frame_times: deque[float] = deque()
        self.fps = None if fps is None else float(fps)

    # ------------------------------------------------------------------ life cycle

    def run(self) -> int:
        """Run until the sketch ends (frames done, ``exit_sketch()``, window closed).

        Returns 0, or 1 when a window run ended while showing an error.
        """
        try:
            self.start()
            while self.step():
                pass
        finally:
            self.close()
        return 1 if self.failed else 0

    def start(self) -> None:
        """Open the surface, then run the first sketch's ``settings()`` and ``setup()``."""
        if self._headless:
            self.surface = HeadlessSurface()
        else:
            from sketchml.runtime.window import WindowSurface

            self.surface = WindowSurface(title=self._title)
        self._next_time = time.perf_counter()
        if self.sketch is not None:
            self._start_sketch(self.sketch)
        else:
            self._load()

    def step(self) -> bool:
        """One turn of the loop: reload if saved, dispatch input, draw, show, pace."""
        if self.watcher is not None and self.watcher.changed():
            self.reload()
        sketch = self.sketch
        for event in self.surface.poll():
            if self.failed:
                break
            try:
                self._dispatch(sketch, event)
            except Exception as exc:
                self._fail(exc)
        if self.surface.should_close():
            return False
        if not self.failed:
            if sketch._exit or self.frames is not None and self.frames_drawn >= self.frames:
                return False
            if sketch._looping or sketch._redraw or sketch.frame_count == 0:
                sketch._redraw = False
                try:
                    self._frame(sketch)
                except Exception as exc:
                    self._fail(exc)
                else:
                    self._write_frame(sketch)
        self.surface.present(sketch)
        if self.failed and self.surface.headless:
            if self.watcher is None:
                return False          # nothing can fix it: no window to look at, no reload
            time.sleep(self.watcher.interval)
        if not self.failed:
            if sketch._exit:
                return False
            if self.frames is not None and self.frames_drawn >= self.frames:
                return False
            if self.surface.headless and not (sketch._looping or sketch._redraw):
                return False
        self._pace(sketch)
        return True

    def close(self) -> None:
        """Finish the output file (with what the sketch played as its sound) and close the window."""
        writer, self.writer = self.writer, None
        try:
            if writer is not None:
                if writer.frames_written:
                    track = self.sound.recording()
                    if track is not None:
                        writer.add_sound(track)
                    writer.close()
                else:
                    writer.abort()
            elif self._out_path is not None and self.frames_drawn == 0 and not self.failed:
                print(f"sketchml: no frames were drawn, so nothing was written to {self._out_path}",
                      file=sys.stderr)
        finally:
            self.sound.finish()
        if self.surface is not None:
            self.surface.close()
        if self.sketch is not None:
            self.sketch._runner = None

    def post_event(self, kind: str, *args: Any) -> None:
        """Queue an input event for the next :meth:`step`, as a window would deliver it:
        ``("move", x, y)``, ``("button", LEFT|RIGHT|CENTER, pressed)``, ``("wheel", count)``,
        ``("key", key, key_code, pressed, is_repeat)`` or ``("focus", focused)``. Errors in
        the callbacks are handled like errors in ``draw()``. Useful to drive a sketch in
        tests and scripted renders.

        Examples:
            >>> import sketchml as sk
            >>> class Clicks(sk.Sketch):
            ...     def mouse_pressed(self):
            ...         self.clicked = (self.mouse_x, self.mouse_y)
            >>> runner = Runner(Clicks(), headless=True); runner.start()
            >>> runner.post_event("move", 5, 6); runner.post_event("button", sk.LEFT, True)
            >>> _ = runner.step(); runner.sketch.clicked
            (5.0, 6.0)
            >>> runner.close()
        """
        if kind not in _EVENT_ARITY or len(args) != _EVENT_ARITY[kind]:
            raise SketchmlError(
                f"post_event({kind!r}, ...) with {len(args)} values is not an event; use one of "
                + ", ".join(f"{k!r} with {n}" for k, n in _EVENT_ARITY.items()) + " values."
            )
        self.surface._events.append((kind, *args))

    def reload(self) -> None:
        """Load the sketch file again (fresh namespace, fresh sketch) and restart it."""
        print(f"sketchml: reloading {self.source.path.name}", file=sys.stderr, flush=True)
        old = self.sketch
        try:
            new = self.source.load()
        except Exception as exc:
            self._fail(exc)
            return
        finally:
            if self.watcher is not None:
                self.watcher.set_paths(self.source.watched_files())
        if old is not None and old is not new:
            _release(old)
        self._start_sketch(new)

    # ------------------------------------------------------------------ internals

    def _load(self) -> None:
        try:
            sketch = self.source.load()
        except Exception as exc:
            self.sketch = Sketch()
            self.sketch._resize(*(self.size or _ERROR_CANVAS))
            self._fail(exc)
            return
        finally:
            if self.watcher is not None:
                self.watcher.set_paths(self.source.watched_files())
        self._start_sketch(sketch)

    def _start_sketch(self, sketch: Sketch) -> None:
        self.sketch = sketch
        self.failed = None
        sketch._runner = self
        module_api.set_current(sketch)
        if sketch._handlers is None:
            sketch._use_methods()
        if self.size is not None:
            sketch._forced_size = self.size
            sketch._resize(*self.size)
        if self.seed is not None:
            sketch.random_seed(self.seed)
            sketch.noise_seed(self.seed)
        sketch._virtual_ms = 0.0 if self.surface.headless and self.fps is None else None
        sketch._started = time.perf_counter()
        self.sound.begin(headless=self.surface.headless)
        try:
            sketch._call("settings")
        except Exception as exc:
            self._fail(exc)
            return
        sketch._gl_init(self.surface.ctx)
        self.surface.attach(sketch)
        try:
            sketch._begin_frame()
            sketch._call("setup")
            sketch._end_frame()
        except Exception as exc:
            self._fail(exc)
        if self.fps is not None:
            sketch._target_fps = sketch._measured_fps = self.fps
        self._next_time = time.perf_counter()

    def _frame(self, sketch: Sketch) -> None:
        sketch._before_draw()
        sketch._begin_frame()
        sketch._call("draw")
        sketch._end_frame()
        self.frames_drawn += 1
        self.sound.after_frame(sketch, until_track_ends=self.frames is None)
        if sketch._virtual_ms is not None:
            sketch._virtual_ms += 1000.0 / sketch._target_fps
            sketch._measured_fps = sketch._target_fps
        else:
            # Frames over about the last second (all of them at first): the rate is right
            # from the second frame on, and follows a slow draw() within a second.
            times = self._frame_times
            times.append(time.perf_counter())
            while len(times) > 2 and times[-1] - times[0] > 1.0:
                times.popleft()
            if len(times) >= 2 and times[-1] > times[0]:
                sketch._measured_fps = (len(times) - 1) / (times[-1] - times[0])

    def _write_frame(self, sketch: Sketch) -> None:
        # Outside the sketch-error handling: a full disk is not a bug in the sketch.
        if self._out_path is None and self.writer is None:
            return
        if self.writer is None:
            self.writer = open_frame_writer(self._out_path, fps=sketch._target_fps)
        self.writer.write(sketch._read_pixels(), index=self.frames_drawn)

    def _dispatch(self, sketch: Sketch, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "move":
            sketch._dispatch_mouse_move(event[1], event[2])
        elif kind == "button":
            sketch._dispatch_mouse_button(event[1], event[2])
        elif kind == "wheel":
            sketch._dispatch_mouse_wheel(event[1])
        elif kind == "key":
            sketch._dispatch_key(event[1], event[2], event[3], is_repeat=event[4])
            # Processing's rule: Esc closes the sketch unless key_pressed changed `key`.
            if event[3] and sketch.key == K.ESC:
                sketch.exit_sketch()
        elif kind == "focus":
            sketch._dispatch_focus(event[1])

    def _fail(self, exc: BaseException) -> None:
        sketch = self.sketch
        names = sketch._namespace.keys() if sketch is not None and sketch._namespace else ()
        report = format_sketch_error(exc, extra_names=names)
        self.failed = report
        if self.raise_errors:
            raise SketchRuntimeError(report, exc) from None
        print_report(report)
        if sketch.ctx is None:
            sketch._gl_init(self.surface.ctx)
            self.surface.attach(sketch)
        footer = ("Fix it and save the file: the sketch reloads." if self.watcher is not None
                  else "Close the window to quit.")
        draw_error_overlay(sketch, report, footer=footer)

    def _pace(self, sketch: Sketch) -> None:
        if self.surface.headless and self.fps is None:
            return
        interval = 1.0 / sketch._target_fps
        now = time.perf_counter()
        # A frame that ran long moves the schedule instead of making later frames sprint.
        self._next_time = max(self._next_time + interval, now - interval)
        if self._next_time > now:
            if self.surface.headless:
                time.sleep(self._next_time - now)
            else:
                self.surface.wait(self._next_time - now)

    def _on_resize(self, sketch: Sketch) -> None:
        if sketch is self.sketch and self.surface is not None and sketch.ctx is not None:
            self.surface.resize(sketch.width, sketch.height)

    def _screen_size(self) -> tuple[int, int] | None:
        return self.surface.screen_size() if self.surface is not None else None


def _release(sketch: Sketch) -> None:
    """Free a replaced sketch's framebuffer (GL objects are not garbage collected)."""
    sketch._runner = None
    for name in ("fbo", "_color_tex"):
        obj = getattr(sketch, name, None)
        if obj is not None:
            obj.release()
            setattr(sketch, name, None)


def _parse_size(size: Any) -> tuple[int, int]:
    if isinstance(size, str):
        parts = size.lower().replace("*", "x").split("x")
    else:
        parts = list(size) if isinstance(size, (tuple, list)) else []
    try:
        w, h = (int(p) for p in parts)
    except (TypeError, ValueError):
        raise SketchmlError(
            f"size must be WIDTHxHEIGHT (e.g. 640x360) or a (width, height) pair, got {size!r}."
        ) from None
    if w <= 0 or h <= 0:
        raise SketchmlError(f"size must be positive, got {w}x{h}.")
    return w, h


def _choose_headless(headless: bool | None) -> bool:
    if headless is None:
        return not has_display()
    if not headless and not has_display():
        raise SketchmlError(
            "a window was asked for (headless=False) but there is no display (DISPLAY is "
            "not set). Run headless (headless=True / --headless) or use xvfb-run."
        )
    return bool(headless)


def run_sketch(
    sketch: Sketch,
    *,
    headless: bool | None = None,
    frames: int | None = None,
    out: str | os.PathLike[str] | None = None,
    size: tuple[int, int] | None = None,
    seed: int | None = None,
    watch: bool | None = None,
    main_globals: dict[str, Any] | None = None,
    audio: Any = None,
) -> None:
    """Run ``sketch`` (class or module mode); see :meth:`Sketch.run_sketch`.

    In a notebook the sketch is rendered headless and displayed inline. Started
    from a script's ``__main__``, a window watches that script and reloads it on save.
    """
    from sketchml.runtime import notebook

    if notebook.in_notebook() and headless is not False and out is None:
        if frames is None:
            print("sketchml: in a notebook run_sketch() shows one frame as an image; pass "
                  "frames=N (e.g. sk.run_sketch(frames=60)) for an animation.", file=sys.stderr)
        notebook.display(notebook.render(sketch, frames=frames or 1, size=size, seed=seed))
        return
    if headless is None and not has_display() and frames is None:
        print("sketchml: no display, so the sketch runs headless until it calls exit_sketch(); "
              "pass frames=N to run_sketch() to stop after N frames (Ctrl-C stops it now).",
              file=sys.stderr)
    headless = _choose_headless(headless)
    main_file = None
    if main_globals is not None and main_globals.get("__name__") == "__main__":
        main_file = main_globals.get("__file__")
    if watch is None:
        watch = not headless and main_file is not None
    source = FileSketchSource(main_file) if watch and main_file else None
    title = f"sketchml — {Path(main_file).name}" if main_file else "sketchml"
    Runner(sketch, source=source, headless=headless, frames=frames, out=out, size=size,
           seed=seed, watch=watch, title=title, audio=audio).run()


def run_file(
    path: str | os.PathLike[str],
    *,
    headless: bool | None = None,
    frames: int | None = None,
    out: str | os.PathLike[str] | None = None,
    size: tuple[int, int] | str | None = None,
    seed: int | None = None,
    watch: bool | None = None,
    audio: str | os.PathLike[str] | None = None,
    fps: float | None = None,
) -> int:
    """``sketchml run FILE``: load a sketch file (any of the three modes) and run it.

    ``audio`` is a soundtrack file that plays from the first frame (and, in a headless
    run without ``frames``, decides its length); ``fps`` paces a headless render in real
    time at that rate; see :class:`Runner`.
    Returns the exit status: 0, or 1 after an error (printed as a short traceback).

    Examples:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "s.py")
        >>> _ = open(path, "w").write("def draw():\\n    background(0)\\n")
        >>> run_file(path, headless=True, frames=2)
        0
    """
    source = FileSketchSource(path)
    if headless is None and not has_display() and frames is None and audio is None:
        print("sketchml: no display, so the sketch runs headless until it calls exit_sketch(); "
              "pass --frames N to stop after N frames (Ctrl-C stops it now).", file=sys.stderr)
    headless = _choose_headless(headless)
    if watch is None:
        watch = not headless
    runner = Runner(source=source, headless=headless, frames=frames, out=out, size=size,
                    seed=seed, watch=watch, title=f"sketchml — {source.path.name}", audio=audio,
                    fps=fps)
    try:
        return runner.run()
    except SketchRuntimeError as err:
        print_report(err.report)
        return 1
