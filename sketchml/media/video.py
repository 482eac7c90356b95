"""Frame writers: stream a sketch's frames to an MP4, a GIF or a numbered PNG sequence.

Frames are handed over one at a time and never collected: MP4 and GIF frames go
straight down a pipe into ffmpeg (the binary that ``imageio-ffmpeg`` ships), and
PNG frames are written one file each. So memory stays flat however many frames
a render has. Every file appears atomically: videos are encoded into a hidden
temporary file beside the target and renamed when closed; each PNG is written
to a temporary file and renamed.

Examples:
    >>> import numpy as np, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with open_frame_writer(os.path.join(folder, "walk.gif"), fps=10) as out:
    ...     for i in range(3):
    ...         out.write(np.full((32, 48, 4), 60 * i, dtype=np.uint8))
    >>> out.frames_written
    3
"""
from __future__ import annotations

import functools
import os
import re
from collections.abc import Generator
from pathlib import Path
from types import TracebackType

import numpy as np

from sketchml.errors import DiskFullError, SketchmlError
from sketchml.files import atomic_path, temp_beside

__all__ = [
    "FrameWriter", "VIDEO_SUFFIXES", "check_frame_path", "expand_frame_pattern", "open_frame_writer",
]

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".gif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

# A per-frame palette keeps colours right when a walk drifts through hues; a
# single global palette would need every frame before the first is written.
_GIF_FILTER = "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1"


def expand_frame_pattern(pattern: str, index: int) -> str:
    """Replace the run of ``#`` in ``pattern`` by ``index`` zero-padded to its length.

    Processing's ``save_frame`` convention: ``"frame-####.png"`` and 7 give
    ``"frame-0007.png"``.

    Examples:
        >>> expand_frame_pattern("out/frame-####.png", 7)
        'out/frame-0007.png'
    """
    return re.sub(r"#+", lambda m: str(index).zfill(len(m.group(0))), pattern, count=1)


class FrameWriter:
    """Base of the writers :func:`open_frame_writer` returns; a context manager.

    ``write(frame)`` takes an ``(H, W, 3)`` or ``(H, W, 4)`` uint8 array, rows
    top-down (what ``Canvas._read_pixels()`` returns). ``close()`` finishes the
    file; ``abort()`` removes what was written.
    """

    path: Path
    frames_written: int = 0
    _size: tuple[int, int] | None = None

    def write(self, frame: np.ndarray, *, index: int | None = None) -> None:
        """Add one frame; ``index`` numbers it in an image sequence (default: next number)."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (flush the encoder, move the file into place)."""
        raise NotImplementedError

    def abort(self) -> None:
        """Stop and remove the unfinished output."""
        raise NotImplementedError

    def add_sound(self, path: str | os.PathLike[str]) -> bool:
        """Give the output the sound in ``path`` (a WAV) as its audio track when it is closed;
        returns whether this kind of output can hold sound (MP4/MOV/MKV/WEBM can; GIFs
        and PNG frames cannot)."""
        return False

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _check_frame(self, frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
            raise SketchmlError(
                f"{self.path.name}: a frame must be an (H, W, 3) or (H, W, 4) uint8 array, got "
                f"shape {frame.shape} of {frame.dtype}; convert with "
                "(np.clip(img, 0, 1) * 255).astype(np.uint8)."
            )
        size = (frame.shape[1], frame.shape[0])
        if self._size is None:
            self._size = size
        elif size != self._size:
            raise SketchmlError(
                f"{self.path.name}: the frame size changed from {self._size[0]}x{self._size[1]} "
                f"to {size[0]}x{size[1]} after {self.frames_written} frames, but every frame of "
                "a video has one size; call size() only in settings() or at the start of setup()."
            )
        return np.ascontiguousarray(frame)


class _FfmpegWriter(FrameWriter):
    """MP4/MOV/MKV/WEBM/GIF through an ffmpeg pipe (imageio-ffmpeg)."""

    def __init__(self, path: Path, *, fps: float, quality: float | None) -> None:
        self.path = path
        self._fps = fps
        self._quality = quality
        self._gen: Generator[None, bytes, None] | None = None
        self._channels = 0
        self._aborted = False
        self._sound: Path | None = None
        try:
            self._tmp = temp_beside(path)
        except OSError as err:
            if DiskFullError.caused(err):
                raise DiskFullError.writing(path) from err
            raise

    def _start(self, width: int, height: int, channels: int) -> None:
        import imageio_ffmpeg

        is_gif = self.path.suffix.lower() == ".gif"
        if not is_gif and (width % 2 or height % 2):
            raise SketchmlError(
                f"{self.path.name}: this video codec needs an even width and height, got "
                f"{width}x{height}; use an even size (e.g. size({width + width % 2}, "
                f"{height + height % 2})) or write a .gif or a PNG sequence."
            )
        options: dict = dict(
            pix_fmt_in="rgba" if channels == 4 else "rgb24",
            fps=self._fps,
            macro_block_size=1,
            ffmpeg_log_level="error",
        )
        if is_gif:
            options.update(codec="gif", pix_fmt_out="pal8", quality=None,
                           output_params=["-vf", _GIF_FILTER])
        elif self.path.suffix.lower() == ".webm":
            # WebM holds VP8/VP9 (or AV1), never H.264.
            options.update(codec="libvpx-vp9", quality=self._quality,
                           output_params=["-deadline", "realtime", "-cpu-used", "8"])
        elif _has_libx264():
            # x264's default preset spends 5x longer for the same size at the same
            # quality (measured on sketch renders); a render should not wait on it.
            options.update(codec="libx264", quality=self._quality,
                           output_params=["-preset", "veryfast"])
        else:
            options.update(quality=self._quality)
        self._gen = imageio_ffmpeg.write_frames(str(self._tmp), (width, height), **options)
        self._gen.send(None)
        self._channels = channels

    def write(self, frame: np.ndarray, *, index: int | None = None) -> None:
        frame = self._check_frame(frame)
        if self._gen is None:
            self._start(frame.shape[1], frame.shape[0], frame.shape[2])
        elif frame.shape[2] != self._channels:
            frame = _match_channels(frame, self._channels)
        try:
            self._gen.send(frame)
        except OSError as err:
            self.abort()
            raise self._failure(err) from err
        self.frames_written += 1

    def _failure(self, err: BaseException) -> SketchmlError:
        """The error for ffmpeg giving up: a full disk said plainly, else ffmpeg's own words."""
        free = _free_bytes(self.path.parent)
        if DiskFullError.caused(err) or (free is not None and free < 1 << 20):
            return DiskFullError.writing(self.path)
        detail = str(err).strip().splitlines()
        return SketchmlError(
            f"{self.path.name}: ffmpeg stopped ({detail[-1] if detail else type(err).__name__}); "
            "check that the folder is writable. The unfinished video was removed."
        )

    def close(self) -> None:
        if self._aborted:  # an error already stopped it and said why
            return
        if self._gen is None:
            self._tmp.unlink(missing_ok=True)
            raise SketchmlError(
                f"{self.path.name}: no frames were written, so there is no video; check that "
                "draw() runs (no_loop() in setup() still draws once) and that --frames is at "
                "least 1."
            )
        gen, self._gen = self._gen, None
        try:
            gen.close()  # ffmpeg writes the end of the file now, so the disk can fill here too
            if self._tmp.stat().st_size == 0:
                raise OSError("ffmpeg wrote nothing")
        except (OSError, RuntimeError) as err:
            self.abort()
            raise self._failure(err) from err
        if self._sound is not None:
            from sketchml.media.soundtrack import mux_audio

            try:
                mux_audio(self._tmp, self._sound)
            except BaseException:
                self.abort()
                raise
        os.replace(self._tmp, self.path)

    def add_sound(self, path: str | os.PathLike[str]) -> bool:
        from sketchml.media.soundtrack import AUDIO_VIDEO_SUFFIXES

        if self.path.suffix.lower() not in AUDIO_VIDEO_SUFFIXES:
            return False
        self._sound = Path(path)
        return True

    def abort(self) -> None:
        self._aborted = True
        if self._gen is not None:
            gen, self._gen = self._gen, None
            gen.close()
        self._tmp.unlink(missing_ok=True)


class _ImageSequenceWriter(FrameWriter):
    """One image file per frame, named by a ``####`` pattern (or one file, replaced)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, frame: np.ndarray, *, index: int | None = None) -> None:
        from PIL import Image

        frame = self._check_frame(frame)
        self.frames_written += 1
        number = self.frames_written if index is None else index
        target = Path(expand_frame_pattern(str(self.path), number))
        image = Image.fromarray(frame, "RGBA" if frame.shape[2] == 4 else "RGB")
        if target.suffix.lower() in (".jpg", ".jpeg"):
            image = image.convert("RGB")
        with atomic_path(target, durable=False) as tmp:
            image.save(tmp)

    def close(self) -> None:
        return None

    def abort(self) -> None:
        return None


def _free_bytes(folder: Path) -> int | None:
    import shutil

    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def _has_libx264() -> bool:
    import subprocess

    import imageio_ffmpeg

    try:
        listing = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-encoders"],
                                 capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return " libx264 " in listing


def _match_channels(frame: np.ndarray, channels: int) -> np.ndarray:
    if channels == 3:
        return np.ascontiguousarray(frame[..., :3])
    alpha = np.full(frame.shape[:2] + (1,), 255, dtype=np.uint8)
    return np.concatenate([frame, alpha], axis=2)


def check_frame_path(path: str | os.PathLike[str]) -> Path:
    """The file (or ``####`` pattern) frames for ``path`` go to; refuses unknown types early,
    before anything is rendered. A folder means ``folder/frame-####.png``.

    Examples:
        >>> check_frame_path("renders/").as_posix()
        'renders/frame-####.png'
    """
    text = os.fspath(path)
    target = Path(text)
    if text.endswith(("/", os.sep)) or target.is_dir() or target.suffix == "":
        target = target / "frame-####.png"
    if target.suffix.lower() not in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
        raise SketchmlError(
            f"cannot write frames to {text!r}: unknown file type {target.suffix!r}; use one of "
            + ", ".join(VIDEO_SUFFIXES + (".png",))
            + ", a pattern like frames/frame-####.png, or a folder."
        )
    return target


def open_frame_writer(
    path: str | os.PathLike[str], *, fps: float = 60.0, quality: float | None = 8
) -> FrameWriter:
    """Open a streaming writer for the frames of a render, chosen by ``path``.

    * ``.mp4`` / ``.mov`` / ``.mkv``: H.264 (yuv420p) video at ``fps`` (``.webm``: VP9);
      ``quality`` is imageio-ffmpeg's 1 (smallest) to 10 (best), 8 unless given;
      width and height must be even.
    * ``.gif``: an animated GIF (looping), palette chosen per frame.
    * an image path with a run of ``#`` (``frames/frame-####.png``): one image
      per frame, numbered by the ``index`` passed to ``write`` (the sketch's
      ``frame_count``); without ``#`` the one file is replaced each frame.
    * a folder (existing, or a path ending in ``/`` or without a suffix):
      ``folder/frame-####.png``.

    Missing parent folders are created.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> out = open_frame_writer(os.path.join(folder, "f-##.png"))
        >>> out.write(np.zeros((8, 8, 4), np.uint8), index=3); out.close()
        >>> os.listdir(folder)
        ['f-03.png']
    """
    target = check_frame_path(path)
    suffix = target.suffix.lower()
    if fps <= 0:
        raise SketchmlError(f"fps must be positive, got {fps}; 30 or 60 are usual for video.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix in VIDEO_SUFFIXES:
        return _FfmpegWriter(target, fps=fps, quality=quality)
    return _ImageSequenceWriter(target)
