"""Camera and video input for sketches: :class:`Capture` and :class:`Movie`, as in Processing's
Video library.

A ``Capture`` is a camera (read through OpenCV, ``pip install opencv-python-headless``), or
anything that stands in for one: a video file or a folder of images. A ``Movie`` plays a
video file by the clock, with ``play``, ``loop``, ``pause``, ``jump`` and ``speed``. Both are
:class:`~sketchml.graphics.image.Image` objects, exactly as Processing's are ``PImage``:
``image(cam, 0, 0)`` draws the last frame read, and ``cam.tensor()`` hands it to a model.

Frames travel once: the decoder's bytes are copied into the image's pixels (what ``image()``
uploads), and ``tensor()`` makes the one float copy a model needs, on the model's device
(the pixels go to the GPU as bytes and are converted there).

Video files are decoded by the ffmpeg binary that ``imageio-ffmpeg`` ships, which also scales
and crops them to the size asked for; so any file ffmpeg reads works (MP4, MOV, WebM, GIF...).

Examples:
    >>> import numpy as np, os, tempfile, imageio.v2 as imageio
    >>> from sketchml.media.capture import Capture
    >>> clip = os.path.join(tempfile.mkdtemp(), "clip.mp4")
    >>> imageio.mimwrite(clip, [np.full((32, 48, 3), 40 * i, np.uint8) for i in range(4)], fps=10)
    >>> cam = Capture(clip)
    >>> cam.start()
    >>> if cam.available():
    ...     cam.read()
    >>> cam.width, cam.height, tuple(cam.tensor().shape)
    (48, 32, (1, 3, 32, 48))
    >>> cam.stop()
"""
from __future__ import annotations

import glob
import logging
import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.graphics.image import Image

if TYPE_CHECKING:
    import torch

__all__ = ["Capture", "Movie"]

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
_OPENCV_HINT = ("Cameras are read through OpenCV: pip install opencv-python-headless. A video "
                "file or a folder of images works without it: Capture('clip.mp4').")


def _probe_video(path: Path) -> dict[str, Any]:
    """``size``, ``fps`` and ``duration`` of a video file (reads its header only)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
    except (RuntimeError, OSError, StopIteration, ValueError) as exc:
        raise SketchmlError(f"Could not decode {path} as a video ({str(exc).strip()[:200]}). Is "
                            f"it a video file ffmpeg can read (MP4, MOV, WebM, GIF ...)?") from exc
    finally:
        reader.close()
    return meta


class _VideoReader:
    """Sequential frames of a video file from ``start`` seconds, scaled by ffmpeg to ``size``."""

    def __init__(self, path: Path, size: tuple[int, int], *, start: float = 0.0) -> None:
        import imageio_ffmpeg

        width, height = size
        # Cover the size and crop the centre: the frame fills the picture, as fit_image does.
        scale = (f"scale={width}:{height}:force_original_aspect_ratio=increase,"
                 f"crop={width}:{height}")
        self.size = size
        self._reader = imageio_ffmpeg.read_frames(
            str(path), input_params=["-ss", f"{max(0.0, start):.4f}"] if start > 0 else None,
            output_params=["-vf", scale])
        # imageio-ffmpeg warns that the scaled frames differ from the source: they should.
        logger = logging.getLogger("imageio_ffmpeg")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            next(self._reader)
        finally:
            logger.setLevel(level)

    def next(self) -> np.ndarray | None:
        """The next frame as ``(H, W, 3)`` uint8 (a read-only view of ffmpeg's bytes), or None."""
        try:
            raw = next(self._reader)
        except StopIteration:
            return None
        except RuntimeError as exc:
            raise SketchmlError(f"Decoding the video failed part-way ({str(exc)[:200]}); the "
                                f"file may be truncated.") from exc
        return np.frombuffer(raw, np.uint8).reshape(self.size[1], self.size[0], 3)

    def close(self) -> None:
        self._reader.close()


class _FolderReader:
    """The images of a folder in name order, each scaled to cover ``size`` and cropped."""

    def __init__(self, files: list[Path], size: tuple[int, int]) -> None:
        self.files, self.size, self.index = files, size, 0

    def next(self) -> np.ndarray | None:
        from PIL import Image as PILImage

        from sketchml.media.frames import fit_image

        if self.index >= len(self.files):
            return None
        path = self.files[self.index]
        self.index += 1
        try:
            with PILImage.open(path) as opened:
                picture = opened.convert("RGB")
        except OSError as exc:
            raise SketchmlError(f"{path} is not an image Pillow can read ({exc}).") from exc
        return np.asarray(fit_image(picture, self.size))

    def close(self) -> None:
        self.index = len(self.files)


class _CameraReader:
    """Frames of a camera through OpenCV, converted to RGB and scaled to ``size`` if needed."""

    def __init__(self, device: int | str, size: tuple[int, int] | None, fps: float | None) -> None:
        try:
            import cv2
        except ImportError as exc:
            raise SketchmlError(_OPENCV_HINT) from exc
        self._cv2 = cv2
        self._camera = cv2.VideoCapture(device)
        if not self._camera.isOpened():
            self._camera.release()
            raise SketchmlError(
                f"Could not open the camera {device!r}. Capture.list() names the cameras found; "
                f"another program may be using it. A video file can stand in: "
                f"Capture('clip.mp4')."
            )
        if size is not None:
            self._camera.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._camera.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if fps:
            self._camera.set(cv2.CAP_PROP_FPS, fps)
        first = self._grab()
        if first is None:
            self.close()
            raise SketchmlError(f"The camera {device!r} opened but gave no picture.")
        self.size = size or (first.shape[1], first.shape[0])
        self.fps = float(self._camera.get(cv2.CAP_PROP_FPS) or fps or 30.0)
        self.first: np.ndarray | None = first

    def _grab(self) -> np.ndarray | None:
        ok, bgr = self._camera.read()
        return bgr if ok else None

    def next(self) -> np.ndarray | None:
        frame, self.first = (self.first, None) if self.first is not None else (self._grab(), None)
        if frame is None:
            return None
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = self._cv2.resize(frame, self.size, interpolation=self._cv2.INTER_AREA)
        return self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._camera.release()


def _size(width: int | None, height: int | None, native: tuple[int, int]) -> tuple[int, int]:
    """The frame size asked for; a missing side keeps the source's aspect ratio."""
    for name, value in (("width", width), ("height", height)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise SketchmlError(f"{name} must be a whole number of pixels >= 1, got {value!r}.")
    if width is None and height is None:
        return native
    if width is None:
        width = max(1, round(native[0] * height / native[1]))
    if height is None:
        height = max(1, round(native[1] * width / native[0]))
    return int(width), int(height)


def _even(size: tuple[int, int]) -> tuple[int, int]:
    # ffmpeg's scale filter wants even sides for most pixel formats.
    return size[0] + size[0] % 2, size[1] + size[1] % 2


class _Frames(Image):
    """What Capture and Movie share: the frame as pixels and as a tensor."""

    def _show(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
        if (width, height) != (self.width, self.height):
            self._pixels = np.full((height, width, 4), 255, np.uint8)
        self._pixels[:, :, :3] = frame
        self._version += 1
        self.frames_read += 1

    def tensor(self, *, device: Any = None) -> torch.Tensor:
        """The last frame read as a ``(1, 3, H, W)`` float tensor in [0, 1], on ``device``.

        The pixels are copied once: on the CPU straight into the float tensor; for a GPU
        they travel as bytes and are converted there.

        Examples:
            >>> cam.read(); model.generate(cam.tensor())  # doctest: +SKIP
        """
        import torch

        rgb = torch.from_numpy(self._pixels).permute(2, 0, 1)[:3]
        target = torch.device(device) if device is not None else torch.device("cpu")
        if target.type != "cpu":
            rgb = rgb.to(target, non_blocking=False)
        return (rgb.to(torch.float32) / 255.0).unsqueeze(0)

    def __enter__(self) -> _Frames:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop reading and let go of the camera or file."""
        raise NotImplementedError


class Capture(_Frames):
    """A camera, or a video file or image folder standing in for one (Processing's ``Capture``).

    Args:
        source: ``None`` for the first camera of :meth:`list`; a camera's index (``0``) or
            name from :meth:`list` (``"/dev/video0"``); or the path of a video file or of a
            folder of images, played as if a camera were filming it.
        width: frame width in pixels (default: the source's); frames are scaled to cover
            ``width`` x ``height`` and cropped in the centre. With only one of the two, the
            other keeps the source's aspect ratio.
        height: frame height in pixels (default: the source's).
        fps: frames per second asked of a camera, or the pace of a file in real time
            (default: the camera's own, the video's own, 30 for a folder).
        loop: start a file or folder again at its end (default True), as a camera never ends.
        realtime: for a file or folder: ``False`` (default) gives the next frame at every
            ``read()``, so a sketch sees every frame whatever its frame rate, and a headless
            render is the same every time; ``True`` plays it by the clock on a background
            thread, frames dropped when the sketch is slower, like a camera. A camera is
            always real time.

    The frame is this object: ``image(cam, 0, 0)`` draws it, ``cam.pixels`` holds it,
    ``cam.tensor()`` gives it to a model. Call :meth:`start` once, then in ``draw()``:
    ``if cam.available(): cam.read()``.

    Examples:
        >>> import numpy as np, os, tempfile, imageio.v2 as imageio
        >>> clip = os.path.join(tempfile.mkdtemp(), "clip.mp4")
        >>> imageio.mimwrite(clip, [np.full((32, 32, 3), 60, np.uint8)] * 3, fps=10)
        >>> cam = Capture(clip, width=16)
        >>> cam.start(); cam.read()
        >>> cam.width, cam.frames_read
        (16, 1)
        >>> cam.stop()
    """

    def __init__(self, source: int | str | os.PathLike[str] | None = None, *,
                 width: int | None = None, height: int | None = None, fps: float | None = None,
                 loop: bool = True, realtime: bool = False) -> None:
        self.loop = bool(loop)
        self.frames_read = 0
        self._lock = threading.Lock()
        self._latest: np.ndarray | None = None
        self._fresh = False
        self._running = False
        self._thread: threading.Thread | None = None
        self._ended = False
        self._reader: Any = None
        self._open(source, width, height, fps)
        self.realtime = True if self.kind == "camera" else bool(realtime)
        super().__init__(*self.size)
        self._pixels[:, :, 3] = 255

    def _open(self, source: Any, width: int | None, height: int | None,
              fps: float | None) -> None:
        if fps is not None and not (isinstance(fps, (int, float)) and fps > 0):
            raise SketchmlError(f"fps must be a positive number, got {fps!r}.")
        if source is None:
            cameras = Capture.list()
            if not cameras:
                raise SketchmlError(
                    "No camera was found on this machine. A video file or a folder of images "
                    "can stand in for one: Capture('clip.mp4') or Capture('frames/')."
                )
            source = cameras[0]
        path = Path(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else None
        if isinstance(source, bool) or not (isinstance(source, int) or path is not None):
            raise SketchmlError(f"Capture takes a camera index or name, a video file or a folder "
                                f"of images; got {type(source).__name__}.")
        if path is not None and path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
            if not files:
                raise SketchmlError(f"The folder {path} holds no images "
                                    f"({', '.join(sorted(_IMAGE_SUFFIXES))}).")
            from PIL import Image as PILImage

            with PILImage.open(files[0]) as first:
                native = first.size
            self.kind, self.name, self.fps = "folder", str(path), float(fps or 30.0)
            self.size = _size(width, height, native)
            self._files = files
            self._reader = _FolderReader(files, self.size)
        elif path is not None and path.is_file() and not str(path).startswith("/dev/"):
            meta = _probe_video(path)
            self.kind, self.name = "file", str(path)
            self.fps = float(fps or meta.get("fps") or 30.0)
            self.size = _even(_size(width, height, tuple(meta["size"])))
            self._path = path
            self._reader = _VideoReader(path, self.size)
        elif isinstance(source, int) or str(source).startswith("/dev/"):
            wanted = None if width is None and height is None else _size(width, height, (640, 480))
            self._reader = _CameraReader(source, wanted, fps)
            self.kind, self.name = "camera", str(source)
            self.size, self.fps = self._reader.size, self._reader.fps
        else:
            raise SketchmlError(
                f"{str(source)!r} is not a camera, a video file or a folder of images. "
                f"Capture.list() names the cameras found; check the path of a file."
            )

    @staticmethod
    def list() -> list[str]:
        """The cameras on this machine, as names ``Capture(name)`` opens (``"/dev/video0"`` on
        Linux; ``"0"``, ``"1"``... elsewhere, found by asking OpenCV).

        Examples:
            >>> isinstance(Capture.list(), list)
            True
        """
        if sys.platform.startswith("linux"):
            return sorted(glob.glob("/dev/video[0-9]*"), key=lambda p: int(p[len("/dev/video"):]))
        try:
            import cv2
        except ImportError:
            return []
        found = []
        for index in range(8):
            camera = cv2.VideoCapture(index)
            if camera.isOpened():
                found.append(str(index))
            camera.release()
        return found

    # -- Processing's verbs ---------------------------------------------------------------------

    def start(self) -> None:
        """Start delivering frames; ``available()`` tells when one has come.

        Examples:
            >>> cam.start()  # doctest: +SKIP
        """
        if self._running:
            return
        if self._reader is None:
            raise SketchmlError(f"This Capture of {self.name} was stopped; make a new one.")
        self._running = True
        if self.realtime:
            self._thread = threading.Thread(target=self._pump, name=f"capture-{self.name}",
                                            daemon=True)
            self._thread.start()

    def available(self) -> bool:
        """Whether a frame not yet read is waiting (call :meth:`read` to take it).

        Examples:
            >>> if cam.available(): cam.read()  # doctest: +SKIP
        """
        if not self._running:
            return False
        if self.realtime:
            return self._fresh
        return not self._ended

    def read(self) -> None:
        """Take the newest frame: this image's pixels (and ``tensor()``) become it.

        With nothing new (a camera between frames, a file at its end without ``loop``) the
        last frame stays.

        Examples:
            >>> cam.read(); image(cam, 0, 0)  # doctest: +SKIP
        """
        if not self._running:
            raise SketchmlError("Call cam.start() (once, in setup()) before cam.read().")
        if self.realtime:
            with self._lock:
                frame, self._latest, self._fresh = self._latest, None, False
        else:
            frame = self._next()
        if frame is not None:
            self._show(frame)

    def stop(self) -> None:
        """Stop the camera (or file) and let go of it; a stopped Capture cannot start again.

        Examples:
            >>> cam.stop()  # doctest: +SKIP
        """
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- frames ---------------------------------------------------------------------------------

    def _next(self) -> np.ndarray | None:
        frame = self._reader.next() if self._reader is not None else None
        if frame is None and self.loop and self.kind != "camera":
            self._rewind()
            frame = self._reader.next()
        if frame is None:
            self._ended = True
        return frame

    def _rewind(self) -> None:
        self._reader.close()
        if self.kind == "file":
            self._reader = _VideoReader(self._path, self.size)
        else:
            self._reader = _FolderReader(self._files, self.size)

    def _pump(self) -> None:
        """Background thread of a real-time source: keeps only the newest frame."""
        period = 1.0 / self.fps
        due = time.monotonic()
        while self._running:
            frame = self._next()
            if frame is None:
                return
            if self.kind != "camera":
                # A file plays at its own pace; a camera's read already waits for the frame.
                due += period
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                else:
                    due = time.monotonic()
            with self._lock:
                self._latest, self._fresh = frame, True

    def __repr__(self) -> str:
        return f"Capture({self.name!r}, {self.width}x{self.height}, {self.kind})"


class Movie(_Frames):
    """A video file played by the clock, frame by frame onto the canvas (Processing's ``Movie``).

    Args:
        path: the video file (anything ffmpeg reads: MP4, MOV, WebM, GIF ...).
        width: frame width in pixels (default: the video's); frames are scaled to cover
            ``width`` x ``height`` and cropped in the centre.
        height: frame height in pixels (default: the video's, or kept in proportion).

    ``play()`` or ``loop()`` starts it; in ``draw()``, ``if movie.available(): movie.read()``
    then ``image(movie, 0, 0)``. ``time()`` is the position in seconds, ``duration()`` the
    length; ``jump(seconds)`` moves there (a paused movie shows that frame at the next
    ``read()``); ``speed(2.0)`` plays twice as fast.

    Examples:
        >>> import numpy as np, os, tempfile, imageio.v2 as imageio
        >>> clip = os.path.join(tempfile.mkdtemp(), "clip.mp4")
        >>> imageio.mimwrite(clip, [np.full((16, 16, 3), 20 * i, np.uint8) for i in range(10)],
        ...                  fps=10)
        >>> movie = Movie(clip)
        >>> movie.duration()
        1.0
        >>> movie.jump(0.5); movie.read(); movie.time()
        0.5
    """

    def __init__(self, path: str | os.PathLike[str], *, width: int | None = None,
                 height: int | None = None) -> None:
        self._path = Path(os.fspath(path))
        if not self._path.is_file():
            raise SketchmlError(f"No video file at {self._path}. Check the path.")
        meta = _probe_video(self._path)
        self.size = _even(_size(width, height, tuple(meta["size"])))
        self.frame_rate = float(meta.get("fps") or 30.0)
        self._duration = float(meta.get("duration") or 0.0)
        self.frames_read = 0
        self.is_playing = False
        self.is_looping = False
        self._rate = 1.0
        self._position = 0.0        # seconds, where the clock stood when last (re)started
        self._clock_start = 0.0     # monotonic time of that moment, while playing
        self._shown = -1            # index of the frame in the pixels
        self._reader: _VideoReader | None = None
        self._reader_at = 0         # index of the frame the reader gives next
        super().__init__(*self.size)
        self._pixels[:, :, 3] = 255

    @property
    def frame_count(self) -> int:
        """How many frames the video has (from its duration and frame rate)."""
        return max(1, round(self._duration * self.frame_rate))

    def duration(self) -> float:
        """The video's length in seconds."""
        return self._duration

    def time(self) -> float:
        """Where the movie is, in seconds from its start."""
        position = self._position
        if self.is_playing:
            position += (time.monotonic() - self._clock_start) * self._rate
        if self.is_looping and self._duration > 0:
            return position % self._duration
        return min(max(position, 0.0), self._duration)

    def play(self) -> None:
        """Play once from where the movie is (to its end)."""
        self._restart_clock(playing=True, looping=False)

    def loop(self) -> None:
        """Play, starting again at the end, until ``pause()`` or ``stop()``."""
        self._restart_clock(playing=True, looping=True)

    def pause(self) -> None:
        """Hold the current frame; ``play()`` goes on from here."""
        self._restart_clock(playing=False, looping=self.is_looping)

    def stop(self) -> None:
        """Stop and go back to the start."""
        self.is_playing = False
        self._position = 0.0
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def jump(self, seconds: float) -> None:
        """Move to ``seconds`` from the start (the next ``read()`` shows that frame)."""
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise SketchmlError(f"jump() takes a time in seconds >= 0, got {seconds!r}.")
        self._position = min(float(seconds), self._duration)
        self._clock_start = time.monotonic()

    def speed(self, rate: float) -> None:
        """Play ``rate`` times as fast (1.0 is normal speed; 0.5 half as fast)."""
        if not isinstance(rate, (int, float)) or rate <= 0:
            raise SketchmlError(f"speed() takes a positive rate (1.0 = normal), got {rate!r}.")
        self._restart_clock(playing=self.is_playing, looping=self.is_looping)
        self._rate = float(rate)

    def _restart_clock(self, *, playing: bool, looping: bool) -> None:
        self._position = self.time()
        self._clock_start = time.monotonic()
        self.is_playing, self.is_looping = playing, looping

    def _index(self) -> int:
        return min(int(self.time() * self.frame_rate + 1e-6), self.frame_count - 1)

    def available(self) -> bool:
        """Whether the clock has moved on to a frame not yet read."""
        return self._index() != self._shown

    def read(self) -> None:
        """Decode the frame the clock stands at into this image's pixels.

        Reading forward decodes on from the last frame; going back (a loop, a ``jump``)
        starts the decoder again at that time.
        """
        wanted = self._index()
        if wanted == self._shown:
            return
        if self._reader is None or wanted < self._reader_at or wanted > self._reader_at + 60:
            if self._reader is not None:
                self._reader.close()
            self._reader = _VideoReader(self._path, self.size, start=wanted / self.frame_rate)
            self._reader_at = wanted
        frame = None
        while self._reader_at <= wanted:
            got = self._reader.next()
            if got is None:
                break
            frame, self._reader_at = got, self._reader_at + 1
        if frame is not None:
            self._show(frame)
        self._shown = wanted

    def __repr__(self) -> str:
        return f"Movie({str(self._path)!r}, {self.width}x{self.height}, {self._duration:.2f} s)"
