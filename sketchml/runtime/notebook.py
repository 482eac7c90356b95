"""Notebooks: sketches render inline, one frame as an image, several as a video.

In a Jupyter kernel ``run_sketch()`` renders headless (a notebook has no window
to open) and displays the result; :func:`render` does the same anywhere and
returns the displayable :class:`SketchRender`. Frames stream into a temporary
video file while rendering, so only the finished (compressed) video is held.

Examples:
    >>> import sketchml as sk
    >>> class Pulse(sk.Sketch):
    ...     def draw(self):
    ...         self.background(self.frame_count * 40)
    >>> clip = render(Pulse, frames=4, size=(32, 32), format="gif")
    >>> clip.frames, clip.mime
    (4, 'image/gif')
"""
from __future__ import annotations

import base64
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.files import atomic_write_bytes
from sketchml.media.video import FrameWriter, open_frame_writer

__all__ = ["SketchRender", "display", "in_notebook", "render"]

_FORMATS = {"mp4": "video/mp4", "gif": "image/gif"}


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session, where windows cannot open.

    Examples:
        >>> in_notebook()
        False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def display(obj: Any) -> None:
    """Show ``obj`` in the notebook output (IPython's ``display``)."""
    from IPython.display import display as ipython_display

    ipython_display(obj)


class SketchRender:
    """A rendered sketch: PNG bytes for one frame, MP4/GIF bytes for several.

    Displays itself in Jupyter (``_repr_png_`` / ``_repr_html_``); ``save(path)``
    writes it; ``frames``, ``width``, ``height``, ``mime`` and ``data`` describe it.

    Examples:
        >>> clip = SketchRender(b"...", mime="image/gif", frames=2, size=(8, 8))
        >>> clip
        <SketchRender 8x8, 2 frames, image/gif>
    """

    def __init__(self, data: bytes, *, mime: str, frames: int, size: tuple[int, int]) -> None:
        self.data = data
        self.mime = mime
        self.frames = frames
        self.width, self.height = size

    def __repr__(self) -> str:
        noun = "frame" if self.frames == 1 else "frames"
        return f"<SketchRender {self.width}x{self.height}, {self.frames} {noun}, {self.mime}>"

    def _repr_png_(self) -> bytes | None:
        return self.data if self.mime == "image/png" else None

    def _repr_html_(self) -> str | None:
        encoded = base64.b64encode(self.data).decode("ascii")
        if self.mime == "video/mp4":
            return (
                f'<video width="{self.width}" height="{self.height}" autoplay loop muted '
                f'playsinline controls src="data:video/mp4;base64,{encoded}"></video>'
            )
        if self.mime == "image/gif":
            return (f'<img width="{self.width}" height="{self.height}" '
                    f'src="data:image/gif;base64,{encoded}">')
        return None

    def to_numpy(self) -> np.ndarray:
        """The image of a one-frame render as ``(H, W, 4)`` uint8 RGBA."""
        if self.mime != "image/png":
            raise SketchmlError(
                f"to_numpy() reads a one-frame render, but this one has {self.frames} frames "
                f"({self.mime}); render with frames=1, or save() the video and read it with imageio."
            )
        from PIL import Image

        return np.asarray(Image.open(io.BytesIO(self.data)).convert("RGBA"))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the image or video to ``path`` (its suffix must match: .png, .mp4, .gif)."""
        target = Path(path)
        want = {"image/png": ".png", "video/mp4": ".mp4", "image/gif": ".gif"}[self.mime]
        if target.suffix.lower() != want:
            raise SketchmlError(
                f"this render is {self.mime}, so save it as a {want} file, not {target.name!r}."
            )
        atomic_write_bytes(target, self.data)


class _InlineWriter(FrameWriter):
    """Keeps the first frame; from the second on, streams every frame into a video."""

    def __init__(self, *, format: str, fps: Callable[[], float]) -> None:
        self.path = Path(f"render.{format}")
        self._format = format
        self._fps = fps
        self._first: np.ndarray | None = None
        self._video: FrameWriter | None = None
        self._folder: str | None = None
        self.result: SketchRender | None = None

    def write(self, frame: np.ndarray, *, index: int | None = None) -> None:
        frame = self._check_frame(frame)
        self.frames_written += 1
        if self._first is None:
            self._first = frame
            return
        if self._video is None:
            fmt = self._format
            if fmt == "mp4" and (frame.shape[0] % 2 or frame.shape[1] % 2):
                fmt = "gif"     # H.264 needs even sizes; a GIF shows any size
            self._folder = tempfile.mkdtemp(prefix="sketchml-render-")
            self._video = open_frame_writer(os.path.join(self._folder, f"render.{fmt}"),
                                            fps=self._fps())
            self._video.write(self._first)
        self._video.write(frame)

    def close(self) -> None:
        size = (self._size or (0, 0))
        if self._video is None:
            from PIL import Image

            buffer = io.BytesIO()
            Image.fromarray(self._first, "RGBA").save(buffer, format="PNG")
            self.result = SketchRender(buffer.getvalue(), mime="image/png", frames=1, size=size)
            return
        try:
            self._video.close()
            data = self._video.path.read_bytes()
            mime = _FORMATS[self._video.path.suffix.lstrip(".")]
            self.result = SketchRender(data, mime=mime, frames=self.frames_written, size=size)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def add_sound(self, path: str | os.PathLike[str]) -> bool:
        return self._video is not None and self._video.add_sound(path)

    def abort(self) -> None:
        if self._video is not None:
            self._video.abort()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def render(
    sketch: Any,
    *,
    frames: int = 1,
    size: tuple[int, int] | None = None,
    seed: int | None = None,
    fps: float | None = None,
    format: str = "mp4",
) -> SketchRender:
    """Render ``sketch`` headless into a :class:`SketchRender` (see ``sketchml.render``).

    Examples:
        >>> import sketchml as sk
        >>> class Blue(sk.Sketch):
        ...     def draw(self):
        ...         self.background(0, 0, 255)
        >>> render(Blue(), size=(16, 16)).to_numpy()[0, 0].tolist()
        [0, 0, 255, 255]
    """
    from sketchml.runtime.imported import FileSketchSource
    from sketchml.runtime.loop import Runner
    from sketchml.runtime.sketch import Sketch

    if format not in _FORMATS:
        raise SketchmlError(f"format must be 'mp4' or 'gif', got {format!r}.")
    if int(frames) < 1:
        raise SketchmlError(f"render() needs at least 1 frame, got {frames}.")
    source = None
    if isinstance(sketch, type) and issubclass(sketch, Sketch):
        sketch = sketch()
    elif isinstance(sketch, (str, os.PathLike)):
        source, sketch = FileSketchSource(sketch), None
    elif isinstance(sketch, dict):
        functions, sketch = sketch, Sketch()
        sketch._use_functions(functions, sync=False)
    elif not isinstance(sketch, Sketch):
        raise SketchmlError(
            f"render() takes a Sketch (instance or class), a sketch file's path or a dict of "
            f"functions such as globals(), got {type(sketch).__name__}."
        )
    runner: Runner | None = None

    def frame_rate() -> float:
        return fps or (runner.sketch._target_fps if runner and runner.sketch else 60.0)

    writer = _InlineWriter(format=format, fps=frame_rate)
    runner = Runner(sketch, source=source, headless=True, frames=frames, out=writer, size=size,
                    seed=seed)
    runner.run()
    if writer.result is None:
        raise SketchmlError(
            "the sketch drew no frame (did exit_sketch() run in setup()?), so there is "
            "nothing to show."
        )
    return writer.result
