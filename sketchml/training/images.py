"""``image_dataset``: the one way an image family turns what the user gives into training images.

A folder of images, a video file (frames sampled evenly), a tensor of images, a named
procedural world (``"shapes"``), a :class:`~sketchml.datasets.ShapesWorld` or any
``Dataset`` of images all become a map-style ``Dataset`` of ``(3, size, size)`` float
tensors in ``value_range`` (``(-1, 1)`` by default, what GANs train on), so every image
family accepts the same things and refuses the rest with the same message.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from sketchml.errors import SketchmlError, did_you_mean

__all__ = ["VIDEO_SUFFIXES", "WORLDS", "image_dataset"]

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg",
                            ".wmv", ".flv", ".gif"})
"""File extensions read as videos (their frames are the images)."""

WORLDS = ("shapes",)
"""The named procedural worlds ``image_dataset`` draws (see :mod:`sketchml.datasets`)."""

_WHAT = ("a folder of images, a video file, an image tensor (N, 3, H, W) in [0, 1], a Dataset of "
         "images, or 'shapes' (sketchml's procedural shapes world)")


def image_dataset(data: Any, *, size: int, flip: bool = False, frames: int | None = None,
                  value_range: tuple[float, float] = (-1.0, 1.0), seed: int = 0,
                  count: int = 4000) -> Dataset:
    """Training images from ``data`` as a ``Dataset`` of ``(3, size, size)`` tensors in ``value_range``.

    Items are the image tensors themselves (a ``Dataset`` you pass is returned as it is,
    so its items may also be tuples whose first element is the image).

    Args:
        data: a folder of images; a video file (``frames`` evenly spaced frames, default
            2000 or all if fewer); an image tensor ``(N, 3, H, W)`` float in [0, 1] or uint8
            (centre-cropped and resized); ``"shapes"`` (``count`` pictures of the shapes
            world, drawn with ``seed``) or a :class:`~sketchml.datasets.ShapesWorld`; or a
            ``Dataset`` whose items (or their first element) are already such tensors.
        size: the side of the square images, in pixels.
        flip: mirror images at random (a cheap augmentation for small sets; folders and
            videos only).
        frames: for a video, how many frames to use.
        value_range: the range of the values (default ``(-1, 1)``).
        seed: which shapes world to draw.
        count: pictures drawn for a named world.

    Examples:
        >>> from sketchml.training import image_dataset
        >>> data = image_dataset("shapes", size=32, count=8)
        >>> len(data), tuple(data[0].shape)
        (8, (3, 32, 32))
    """
    from sketchml.datasets.shapes import ShapesWorld, shapes_world
    from sketchml.training.data import ImageFolder, VideoFrames

    low, high = value_range
    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if path.is_dir():
            return ImageFolder(path, size=size, flip=flip, value_range=value_range)
        if path.is_file():
            if path.suffix.lower() not in VIDEO_SUFFIXES:
                raise SketchmlError(f"{str(path)!r} is a file but not a video (by its extension: "
                                    f"{', '.join(sorted(VIDEO_SUFFIXES))}). Train on {_WHAT}.")
            from sketchml.media.frames import video_frame_count

            wanted = min(frames or 2000, max(1, video_frame_count(path)))
            return VideoFrames(path, size=size, count=wanted, flip=flip, value_range=value_range)
        if str(data) in WORLDS:
            data = shapes_world(count, size=size, seed=seed, value_range=(0.0, 1.0))
        else:
            raise SketchmlError(f"No folder or file at {str(path)!r} to train on."
                                f"{did_you_mean(str(data), WORLDS)} Train on {_WHAT}.")
    if isinstance(data, ShapesWorld):
        world_low, world_high = data.value_range
        data = (data.images - world_low) / (world_high - world_low)
    if isinstance(data, torch.Tensor):
        images = _square(data.as_subclass(torch.Tensor).detach(), size)
        return _Images(images * (high - low) + low)
    if isinstance(data, Dataset):
        first = data[0]  # type: ignore[index]
        image = first[0] if isinstance(first, (tuple, list)) else first
        if not isinstance(image, torch.Tensor) or tuple(image.shape) != (3, size, size):
            shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
            raise SketchmlError(f"The dataset's items are {shape}; this training needs (3, {size}, "
                                f"{size}) images in {tuple(value_range)}. Make them that size, or "
                                f"pass a folder, a video or a tensor, which are resized for you.")
        return data
    raise SketchmlError(f"train() takes {_WHAT}; got {type(data).__name__}.")


class _Images(Dataset):
    """Images held in one tensor ``(N, 3, H, W)``; item ``i`` is ``(3, H, W)``, as a folder's are."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


def _square(images: torch.Tensor, size: int) -> torch.Tensor:
    """``(N, 3, H, W)`` float in [0, 1] or uint8 -> ``(N, 3, size, size)`` in [0, 1], centre-cropped."""
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] != 3:
        raise SketchmlError(f"Training images must be (N, 3, H, W) in [0, 1], got "
                            f"{tuple(images.shape)}.")
    images = images.float() / 255 if images.dtype == torch.uint8 else images.float()
    if images.shape[-2:] != (size, size):
        side = min(images.shape[-2:])
        top, left = (images.shape[-2] - side) // 2, (images.shape[-1] - side) // 2
        images = F.interpolate(images[..., top:top + side, left:left + side], size=(size, size),
                               mode="bilinear", antialias=True, align_corners=False)
    return images.clamp(0, 1)
