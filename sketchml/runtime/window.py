"""The glfw window: shows the sketch's canvas and turns input into sketch events.

The sketch never draws into the window: it draws into its canvas framebuffer
(exactly as headless), and :meth:`WindowSurface.present` copies that texture to
the screen with one full-screen triangle, flipping it, because the canvas keeps
rows top-down while the screen's row 0 is at the bottom.

glfw calls its callbacks from inside ``poll_events``, from C; an exception there
would be lost. So callbacks only queue events, and the runner dispatches them to
the sketch afterwards, in Python, where errors are caught and shown.

On Linux the window's context is made through EGL, like the headless context.
With libglvnd a thread that has an EGL context current may not make a GLX one
current (X kills the process with BadAccess), so a process that rendered headless
(a notebook, a test run, ``sk.render``) could never open a window otherwise.
The EGL binding in place before the window opened is restored when it closes.
"""
from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml import constants as K
from sketchml.errors import SketchmlError
from sketchml.runtime.events import glfw_key_to_processing, printable_key_code

if TYPE_CHECKING:
    from sketchml.runtime.sketch import Sketch

__all__ = ["WindowSurface"]

_VERTEX = """
#version 330
out vec2 v_uv;
void main() {
    vec2 p = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
    v_uv = vec2((p.x + 1.0) * 0.5, (1.0 - p.y) * 0.5);
    gl_Position = vec4(p, 0.0, 1.0);
}
"""
_FRAGMENT = """
#version 330
uniform sampler2D canvas;
in vec2 v_uv;
out vec4 colour;
void main() {
    colour = vec4(texture(canvas, v_uv).rgb, 1.0);
}
"""

_BUTTONS = {0: K.LEFT, 1: K.RIGHT, 2: K.CENTER}
_EGL_DRAW, _EGL_READ = 0x3059, 0x305A


class _EglBinding:
    """The calling thread's current EGL (display, draw, read, context), to put back later."""

    def __init__(self) -> None:
        self._egl = None
        self.saved: tuple[int | None, ...] | None = None
        name = ctypes.util.find_library("EGL")
        if not name:
            return
        egl = ctypes.CDLL(name)
        for fn in ("eglGetCurrentContext", "eglGetCurrentDisplay", "eglGetCurrentSurface"):
            getattr(egl, fn).restype = ctypes.c_void_p
        egl.eglGetCurrentSurface.argtypes = [ctypes.c_int]
        egl.eglMakeCurrent.argtypes = [ctypes.c_void_p] * 4
        self._egl = egl
        if egl.eglGetCurrentContext():
            self.saved = (egl.eglGetCurrentDisplay(), egl.eglGetCurrentSurface(_EGL_DRAW),
                          egl.eglGetCurrentSurface(_EGL_READ), egl.eglGetCurrentContext())

    def restore(self) -> None:
        if self._egl is not None and self.saved is not None:
            self._egl.eglMakeCurrent(*self.saved)


_glfw_started = [False]


def _init_glfw(glfw: Any) -> bool:
    """Start glfw once per process. Terminating it after every window and starting it
    again reconnects to the X server each time, which now and then fails."""
    if not _glfw_started[0]:
        if not glfw.init():
            return False
        atexit.register(glfw.terminate)
        _glfw_started[0] = True
    return True


class WindowSurface:
    """A glfw window with an OpenGL 3.3 core context, sized to the sketch's canvas."""

    headless = False

    def __init__(self, *, title: str = "sketchml") -> None:
        import glfw
        import moderngl

        from sketchml.graphics.context import prepare_process_for_gl

        prepare_process_for_gl()
        self._glfw = glfw
        if not _init_glfw(glfw):
            raise SketchmlError(
                "could not start glfw, so no window can open; check that a display is "
                "available (DISPLAY), or run headless (--headless / headless=True)."
            )
        glfw.default_window_hints()
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.VISIBLE, False)
        glfw.window_hint(glfw.RESIZABLE, False)
        self._binding = _EglBinding() if sys.platform.startswith("linux") else None
        if self._binding is not None:
            glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
        self.window = glfw.create_window(100, 100, title, None, None)
        if not self.window and self._binding is not None and self._binding.saved is None:
            # No EGL for windows here (and no EGL context current): the native API is safe.
            glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.NATIVE_CONTEXT_API)
            self.window = glfw.create_window(100, 100, title, None, None)
        if not self.window:
            raise SketchmlError(
                "glfw could not open an OpenGL 3.3 window on this display; update the graphics "
                "driver, or run headless (--headless / headless=True)."
            )
        glfw.make_context_current(self.window)
        glfw.swap_interval(0)
        # init_context's loader attaches to whatever context is current, EGL or native;
        # create_context would try GLX detection once a headless context exists.
        moderngl.init_context()
        self.ctx = moderngl.get_context()
        if self.ctx.version_code < 330:
            self.close()
            raise SketchmlError(
                f"the window's OpenGL is {self.ctx.version_code // 100}."
                f"{self.ctx.version_code // 10 % 10}, but sketchml needs 3.3 or newer; update "
                "the graphics driver, or run headless."
            )
        self._program = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self._vao = self.ctx.vertex_array(self._program, [])
        self._events: list[tuple[Any, ...]] = []
        self._pending_key: tuple[int, bool] | None = None
        self._typed: dict[int, str] = {}
        self._canvas_size = (100, 100)
        self._shown = False
        glfw.set_cursor_pos_callback(self.window, self._on_cursor)
        glfw.set_mouse_button_callback(self.window, self._on_button)
        glfw.set_scroll_callback(self.window, self._on_scroll)
        glfw.set_key_callback(self.window, self._on_key)
        glfw.set_char_callback(self.window, self._on_char)
        glfw.set_window_focus_callback(self.window, self._on_focus)

    # ------------------------------------------------------------------ surface protocol

    def screen_size(self) -> tuple[int, int]:
        mode = self._glfw.get_video_mode(self._glfw.get_primary_monitor())
        return mode.size.width, mode.size.height

    def attach(self, sketch: Sketch) -> None:
        glfw = self._glfw
        self._canvas_size = (sketch.width, sketch.height)
        if sketch._full_screen:
            monitor = glfw.get_primary_monitor()
            mode = glfw.get_video_mode(monitor)
            glfw.set_window_monitor(self.window, monitor, 0, 0, mode.size.width,
                                    mode.size.height, mode.refresh_rate)
        else:
            glfw.set_window_size(self.window, sketch.width, sketch.height)
        if not self._shown:
            glfw.show_window(self.window)
            self._shown = True
        sketch.focused = bool(glfw.get_window_attrib(self.window, glfw.FOCUSED))

    def resize(self, width: int, height: int) -> None:
        self._canvas_size = (width, height)
        if not self._glfw.get_window_monitor(self.window):
            self._glfw.set_window_size(self.window, width, height)

    def poll(self) -> list[tuple[Any, ...]]:
        # Something in the last frame (a headless render, a model drawing offscreen) may
        # have made another context current on this thread.
        self._glfw.make_context_current(self.window)
        self._glfw.poll_events()
        self._flush_pending_key()
        events, self._events = self._events, []
        return events

    def present(self, sketch: Sketch) -> None:
        self._draw(sketch)
        self._glfw.swap_buffers(self.window)

    def read_screen(self, sketch: Sketch) -> np.ndarray:
        """Draw the canvas to the window's back buffer and read it back, ``(H, W, 3)``
        uint8 top-down: what the window shows."""
        self._draw(sketch)
        width, height = self._glfw.get_framebuffer_size(self.window)
        data = self.ctx.screen.read(viewport=(0, 0, width, height), components=3, alignment=1)
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)[::-1].copy()

    def should_close(self) -> bool:
        return bool(self._glfw.window_should_close(self.window))

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        if self.window is not None:
            if hasattr(self, "_vao"):
                self._vao.release()
                self._program.release()
            self._glfw.destroy_window(self.window)
            self.window = None
            if self._binding is not None:
                self._binding.restore()

    # ------------------------------------------------------------------ drawing

    def _draw(self, sketch: Sketch) -> None:
        texture = sketch._texture()
        width, height = self._glfw.get_framebuffer_size(self.window)
        self.ctx.screen.use()
        self.ctx.viewport = (0, 0, width, height)
        self.ctx.disable(self.ctx.BLEND)
        nearest = (width, height) == (sketch.width, sketch.height)
        filter_before = texture.filter
        texture.filter = (self.ctx.NEAREST, self.ctx.NEAREST) if nearest else (
            self.ctx.LINEAR, self.ctx.LINEAR)
        texture.use(0)
        self._program["canvas"] = 0
        self._vao.render(self.ctx.TRIANGLES, vertices=3)
        texture.filter = filter_before

    # ------------------------------------------------------------------ glfw callbacks

    def _to_canvas(self, x: float, y: float) -> tuple[float, float]:
        win_w, win_h = self._glfw.get_window_size(self.window)
        cw, ch = self._canvas_size
        return x * cw / max(win_w, 1), y * ch / max(win_h, 1)

    def _on_cursor(self, window: Any, x: float, y: float) -> None:
        self._events.append(("move", *self._to_canvas(x, y)))

    def _on_button(self, window: Any, button: int, action: int, mods: int) -> None:
        if button in _BUTTONS:
            self._events.append(("button", _BUTTONS[button], action == self._glfw.PRESS))

    def _on_scroll(self, window: Any, x_offset: float, y_offset: float) -> None:
        # Processing counts wheel steps towards the user as positive; glfw the opposite.
        # Touchpads send fractions of a step: each event counts as at least one.
        if y_offset == 0:
            return
        steps = max(1, round(abs(y_offset)))
        self._events.append(("wheel", -steps if y_offset > 0 else steps))

    def _on_key(self, window: Any, key: int, scancode: int, action: int, mods: int) -> None:
        glfw = self._glfw
        pressed = action in (glfw.PRESS, glfw.REPEAT)
        repeat = action == glfw.REPEAT
        self._flush_pending_key()
        special = glfw_key_to_processing(key)
        if special is not None:
            self._events.append(("key", special[0], special[1], pressed, repeat))
        elif key == glfw.KEY_UNKNOWN:
            return
        elif pressed:
            # The character comes in the char callback that follows; wait for it.
            self._pending_key = (key, repeat)
        else:
            code = printable_key_code(key)
            typed = self._typed.pop(code, None) or self._key_name(key, scancode)
            self._events.append(("key", typed, code, False, False))

    def _on_char(self, window: Any, codepoint: int) -> None:
        char = chr(codepoint)
        if self._pending_key is not None:
            key, repeat = self._pending_key
            self._pending_key = None
            code = printable_key_code(key)
            self._typed[code] = char
            self._events.append(("key", char, code, True, repeat))
        else:
            # Typed without a key press of its own (input methods): press and release.
            self._events.append(("key", char, 0, True, False))
            self._events.append(("key", char, 0, False, False))

    def _flush_pending_key(self) -> None:
        """A printable key that typed no character (e.g. with Ctrl held)."""
        if self._pending_key is None:
            return
        key, repeat = self._pending_key
        self._pending_key = None
        code = printable_key_code(key)
        char = self._key_name(key, 0)
        self._typed[code] = char
        self._events.append(("key", char, code, True, repeat))

    def _key_name(self, key: int, scancode: int) -> str:
        name = self._glfw.get_key_name(key, scancode)
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        return name or (chr(key).lower() if 32 <= key < 127 else "")

    def _on_focus(self, window: Any, focused: int) -> None:
        self._events.append(("focus", bool(focused)))
