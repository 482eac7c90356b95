"""The headless OpenGL context: one EGL standalone context per process.

Every canvas of a headless sketch, every offscreen ``Graphics`` and every test
draws through the same context, so textures and programs can be shared between
them and the (slow) context creation happens once.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from typing import TYPE_CHECKING

from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import moderngl

__all__ = ["create_headless_context", "prepare_process_for_gl"]

_lock = threading.Lock()
_context: moderngl.Context | None = None

_MISSING_EGL = (
    "Could not create a headless OpenGL context through EGL ({error}). "
    "sketchml needs OpenGL 3.3 core or newer; on a machine without a display it uses EGL. "
    "On Debian/Ubuntu install the Mesa EGL driver: "
    "`sudo apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri`."
)


def prepare_process_for_gl() -> None:
    """Load libraries that must not be loaded after Mesa's GL driver; call before any context.

    Triton (installed with CUDA builds of torch, and imported by torch the first time an
    optimiser is built) carries its own LLVM. Loaded after Mesa's llvmpipe has loaded its
    LLVM, it crashes the process (segfault) -- so a sketch that trains or runs CLIP guidance
    in its window would die at its first ``torch.optim.Adam``. Loaded first, both coexist.
    Costs about half a second, once, and only where triton is installed.

    Examples:
        >>> from sketchml.graphics.context import prepare_process_for_gl
        >>> prepare_process_for_gl()
    """
    if "triton" not in sys.modules and importlib.util.find_spec("triton") is not None:
        importlib.import_module("triton")


def create_headless_context() -> moderngl.Context:
    """Return this process's headless OpenGL context, creating it on first use.

    The context is an EGL standalone context (OpenGL 3.3 core or newer), so it
    works without a display, including on CPU-only machines through Mesa's
    llvmpipe. Later calls return the same context.

    Examples:
        >>> from sketchml.graphics.context import create_headless_context
        >>> ctx = create_headless_context()
        >>> ctx.version_code >= 330
        True
    """
    global _context
    with _lock:
        if _context is None:
            import moderngl

            prepare_process_for_gl()

            try:
                # moderngl's stub types each **settings value as a dict; backend is a str.
                ctx = moderngl.create_standalone_context(
                    require=330, backend="egl")  # pyright: ignore[reportArgumentType]
            except Exception as exc:  # moderngl/glcontext raise plain Exceptions here
                raise SketchmlError(_MISSING_EGL.format(error=exc)) from exc
            _context = ctx
        return _context
