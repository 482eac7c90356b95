"""A stand-in webcam: a procedural clip of a small room with things moving in it.

Machines without a camera (this repository's, a CI runner, a class's shared server) still
need "camera" frames: ``Capture(scene_clip("clip.mp4"))`` plays this clip as if a camera
were filming. The room has a wall with a window and a shelf, a floor, a ball that bounces
across and a figure that sways, filmed by a camera that pans, so frames differ from each other the way a webcam's do,
with edges, flat colours and motion for image-to-image models to learn from.

Everything is decided by ``seed``; frames are drawn with numpy (no GL needed).

Examples:
    >>> import os, tempfile
    >>> from sketchml.datasets.scene import scene_frames
    >>> scene_frames(4, size=32).shape
    (4, 32, 32, 3)
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from sketchml.errors import SketchmlError

__all__ = ["scene_clip", "scene_frames"]


def _room(size: int, wide: int, rng: np.random.Generator) -> np.ndarray:
    """The still part: wall, floor, window, shelf; ``(size, wide, 3)`` float 0-255."""
    ys, xs = np.mgrid[0:size, 0:wide].astype(np.float32) / size
    wall = np.array(rng.uniform([150, 120, 90], [220, 200, 170]), np.float32)
    floor = np.array(rng.uniform([70, 50, 30], [130, 100, 70]), np.float32)
    room = np.where((ys < 0.68)[..., None], wall * (0.85 + 0.15 * ys[..., None]),
                    floor * (0.8 + 0.3 * (ys[..., None] - 0.68)))
    window = (xs > 0.08) & (xs < 0.36) & (ys > 0.12) & (ys < 0.42)
    sky = np.array([120, 170, 235], np.float32) * (0.8 + 0.4 * (0.42 - ys[..., None]))
    room = np.where(window[..., None], sky, room)
    frame = window & ((np.abs(xs - 0.22) < 0.012) | (np.abs(ys - 0.27) < 0.012))
    room[frame] = (245, 245, 240)
    shelf = (xs > 0.6) & (xs < 0.92) & (ys > 0.3) & (ys < 0.34)
    room[shelf] = (90, 60, 40)
    for k in range(3):
        book = (xs > 0.63 + 0.08 * k) & (xs < 0.68 + 0.08 * k) & (ys > 0.18 + 0.02 * k) & (ys < 0.3)
        room[book] = rng.uniform(40, 230, size=3)
    return room


def scene_frames(frames: int, *, size: int = 128, seed: int = 0) -> np.ndarray:
    """``frames`` pictures of the room, ``(frames, size, size, 3)`` uint8, one motion step apart.

    Examples:
        >>> from sketchml.datasets.scene import scene_frames
        >>> clip = scene_frames(2, size=32, seed=1)
        >>> bool((clip[0] != clip[1]).any())
        True
    """
    if not isinstance(frames, int) or frames < 1:
        raise SketchmlError(f"frames must be a whole number >= 1, got {frames!r}.")
    if not isinstance(size, int) or size < 16:
        raise SketchmlError(f"size must be a whole number of pixels >= 16, got {size!r}.")
    rng = np.random.default_rng(seed)
    # The room is wider than the picture: the camera pans across it, as a hand-held one does.
    wide = size * 3 // 2
    room = _room(size, wide, rng)
    ys, xs = np.mgrid[0:size, 0:wide].astype(np.float32) / size
    ball_colour = rng.uniform([180, 20, 20], [250, 90, 80])
    shirt = rng.uniform([20, 60, 120], [80, 160, 230])
    out = np.empty((frames, size, size, 3), np.uint8)
    period = max(frames, 24)
    for i in range(frames):
        t = i / period
        picture = room.copy()
        # The figure sways left and right in front of the wall.
        cx = 0.5 + 0.12 * math.sin(2 * math.pi * t)
        body = ((xs - cx) / 0.11) ** 2 + ((ys - 0.7) / 0.24) ** 2 < 1
        head = ((xs - cx) ** 2 + (ys - 0.36) ** 2) < 0.075 ** 2
        picture[body] = shirt
        picture[head] = (225, 185, 150)
        # The ball bounces across the floor.
        bx = (0.1 + 0.8 * ((2 * t) % 1)) if (int(2 * t) % 2 == 0) else (0.9 - 0.8 * ((2 * t) % 1))
        by = 0.86 - 0.2 * abs(math.sin(3 * math.pi * t))
        ball = ((xs - bx) ** 2 + (ys - by) ** 2) < 0.06 ** 2
        picture[ball] = ball_colour * (1.05 - 0.5 * (ys[ball, None] - by + 0.06) / 0.12)
        pan = round((wide - size) * (0.5 + 0.5 * math.sin(2 * math.pi * 1.3 * t + 1.0)))
        out[i] = np.clip(picture[:, pan:pan + size], 0, 255).astype(np.uint8)
    return out


def scene_clip(path: str | os.PathLike[str], *, frames: int = 120, size: int = 128,
               fps: float = 24.0, seed: int = 0) -> Path:
    """Write the room clip to ``path`` (MP4, GIF, ...) unless it is already there; returns the path.

    Examples:
        >>> import os, tempfile
        >>> from sketchml.datasets.scene import scene_clip
        >>> scene_clip(os.path.join(tempfile.mkdtemp(), "room.mp4"), frames=4, size=32).name
        'room.mp4'
    """
    from sketchml.media.video import open_frame_writer

    target = Path(path)
    if target.is_file():
        return target
    with open_frame_writer(target, fps=fps) as writer:
        for frame in scene_frames(frames, size=size + size % 2, seed=seed):
            writer.write(frame)
    return target
