"""Frames from a video file, streamed one at a time as numpy arrays (imageio-ffmpeg).

Used to train on frames of your own video (DCGAN, pix2pix pairs) and anywhere
a sketch wants a clip's pictures. Decoding is streamed: only the frames kept are
converted, and nothing is held beyond the frame being yielded.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from sketchml.errors import SketchmlError

__all__ = ["fit_image", "read_video_frames", "video_frame_count"]


def fit_image(image: Image.Image, size: int | tuple[int, int]) -> Image.Image:
    """Scale ``image`` to cover ``size`` and crop the centre: ``size`` is an int (a square)
    or ``(width, height)``.

    Examples:
        >>> from PIL import Image
        >>> from sketchml.media.frames import fit_image
        >>> fit_image(Image.new("RGB", (200, 100)), 64).size
        (64, 64)
    """
    if isinstance(size, int):
        target_w = target_h = size
    else:
        try:
            target_w, target_h = (int(v) for v in size)
        except (TypeError, ValueError) as exc:
            raise SketchmlError(f"size must be an int or (width, height), got {size!r}.") from exc
    if target_w < 1 or target_h < 1:
        raise SketchmlError(f"size must be at least 1x1 pixels, got {size!r}.")
    w, h = image.size
    if (w, h) == (target_w, target_h):
        return image
    scale = max(target_w / w, target_h / h)
    scaled_w, scaled_h = max(target_w, round(w * scale)), max(target_h, round(h * scale))
    image = image.resize((scaled_w, scaled_h), Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (scaled_w - target_w) // 2, (scaled_h - target_h) // 2
    return image.crop((left, top, left + target_w, top + target_h))


def _check_file(path: str | os.PathLike[str]) -> Path:
    source = Path(path)
    if not source.is_file():
        raise SketchmlError(f"No video file at {source}. Check the path.")
    return source


def video_frame_count(path: str | os.PathLike[str]) -> int:
    """The exact number of frames in a video (decodes the whole file once).

    Examples:
        >>> import tempfile, os, numpy as np, imageio.v2 as imageio
        >>> from sketchml.media.frames import video_frame_count
        >>> path = os.path.join(tempfile.mkdtemp(), "clip.mp4")
        >>> imageio.mimwrite(path, [np.zeros((32, 32, 3), np.uint8)] * 5, fps=10)
        >>> video_frame_count(path)
        5
    """
    import imageio_ffmpeg

    source = _check_file(path)
    try:
        frames, _ = imageio_ffmpeg.count_frames_and_secs(str(source))
    except (RuntimeError, OSError, ValueError) as exc:
        raise SketchmlError(f"Could not decode {source} as a video ({_first_line(exc)}). Is it a "
                            f"video file ffmpeg can read (MP4, MOV, WebM, GIF ...)?") from exc
    return int(frames)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def read_video_frames(path: str | os.PathLike[str], *, every: int | None = None,
                      count: int | None = None, size: int | tuple[int, int] | None = None
                      ) -> Iterator[np.ndarray]:
    """Stream a video's frames as ``(H, W, 3)`` uint8 RGB arrays.

    ``every=k`` keeps every k-th frame (0, k, 2k, ...); ``count=n`` keeps n evenly
    spaced frames from first to last (the file is scanned once first to count
    them); neither keeps all. ``size`` (an int for a square, or ``(width, height)``)
    scales each kept frame to cover it and crops the centre. The file is opened
    and checked when this is called, so a missing or undecodable file fails here.

    Examples:
        >>> import tempfile, os, numpy as np, imageio.v2 as imageio
        >>> from sketchml.media.frames import read_video_frames
        >>> path = os.path.join(tempfile.mkdtemp(), "clip.mp4")
        >>> imageio.mimwrite(path, [np.full((32, 32, 3), i * 20, np.uint8) for i in range(10)], fps=10)
        >>> [f.shape for f in read_video_frames(path, count=3, size=16)]
        [(16, 16, 3), (16, 16, 3), (16, 16, 3)]
    """
    import imageio_ffmpeg

    if every is not None and count is not None:
        raise SketchmlError("Pass every= (every k-th frame) or count= (n evenly spaced frames), "
                            "not both.")
    if every is not None and (not isinstance(every, int) or every < 1):
        raise SketchmlError(f"every must be a whole number >= 1, got {every!r}.")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise SketchmlError(f"count must be a whole number >= 1, got {count!r}.")
    source = _check_file(path)
    wanted: set[int] | None = None
    if count is not None:
        total = video_frame_count(source)
        if total == 0:
            raise SketchmlError(f"{source} has no video frames.")
        if count >= total:
            wanted = set(range(total))
        else:
            wanted = {round(i * (total - 1) / (count - 1)) for i in range(count)} if count > 1 \
                else {0}
    reader = imageio_ffmpeg.read_frames(str(source))
    try:
        meta = next(reader)
    except (RuntimeError, OSError, StopIteration, ValueError) as exc:
        reader.close()
        raise SketchmlError(f"Could not decode {source} as a video ({_first_line(exc)}). Is it a "
                            f"video file ffmpeg can read (MP4, MOV, WebM, GIF ...)?") from exc
    width, height = meta["size"]
    return _frames(reader, source, width, height, every, wanted, size)


def _frames(reader: Iterator[bytes], source: Path, width: int, height: int, every: int | None,
            wanted: set[int] | None, size: int | tuple[int, int] | None) -> Iterator[np.ndarray]:
    last = max(wanted) if wanted else None
    try:
        for index, raw in enumerate(reader):
            if every is not None and index % every:
                continue
            if wanted is not None and index not in wanted:
                if index > last:
                    return
                continue
            frame = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
            if size is not None:
                frame = np.asarray(fit_image(Image.fromarray(frame), size))
            yield frame
            if last is not None and index >= last:
                return
    except RuntimeError as exc:
        raise SketchmlError(f"Decoding {source} failed part-way ({_first_line(exc)}); the file "
                            f"may be truncated.") from exc
    finally:
        # Stops the ffmpeg process when the caller stops early.
        reader.close()
