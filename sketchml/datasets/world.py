"""What the procedural worlds share: the sizes they are drawn at, and a drawn world.

:class:`DrawnWorld` holds ``(N, H, W, 3)`` uint8 pictures with one label dict each, and
gives them to training as floats in a chosen range; :class:`~sketchml.datasets.ShapesWorld`
and :class:`~sketchml.datasets.FacesWorld` add their own targets.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import torch

__all__ = ["SIZES", "DrawnWorld", "check_size"]

SIZES: tuple[int, ...] = (32, 64, 128)
"""Sides in pixels the worlds are drawn at."""


def check_size(size: int, world: str) -> int:
    """``size`` if ``world`` (``"shapes"``, ``"faces"``) is drawn at it, else a clear error.

    Examples:
        >>> check_size(64, "shapes")
        64
    """
    if size not in SIZES:
        raise SketchmlError(f"The {world} world is drawn at {', '.join(map(str, SIZES))} px, got "
                            f"size={size!r}. Pick one of those and resize afterwards if needed.")
    return size


class DrawnWorld:
    """Drawn pictures and their labels: :attr:`images` ``(N, 3, H, W)`` float in
    ``value_range``, :attr:`labels`, :attr:`captions`; a map-style torch ``Dataset`` too
    (``world[i]`` is ``(image, label)``).

    Examples:
        >>> import numpy as np
        >>> world = DrawnWorld(np.zeros((2, 4, 4, 3), np.uint8), [{"caption": "a"}, {"caption": "b"}],
        ...                    value_range=(-1, 1))
        >>> world.images.shape, float(world.images.min()), world.captions
        (torch.Size([2, 3, 4, 4]), -1.0, ['a', 'b'])
    """

    def __init__(self, pixels: np.ndarray, labels: list[dict[str, Any]], *,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        low, high = (float(v) for v in value_range)
        if not high > low:
            raise SketchmlError(f"value_range must be (low, high) with high > low, e.g. (0, 1) or "
                                f"(-1, 1); got {value_range!r}.")
        self.pixels = pixels
        self.labels = labels
        self.value_range = (low, high)

    @functools.cached_property
    def images(self) -> torch.Tensor:
        """Every picture as ``(N, 3, H, W)`` float in :attr:`value_range` (made on first use)."""
        return self._floats(self.pixels)

    def _floats(self, pixels: np.ndarray) -> torch.Tensor:
        import torch

        low, high = self.value_range
        images = torch.from_numpy(np.ascontiguousarray(pixels)).permute(*range(pixels.ndim - 3),
                                                                        -1, -3, -2)
        return images.float() / 255.0 * (high - low) + low

    @property
    def captions(self) -> list[str]:
        """One caption per picture."""
        return [label["caption"] for label in self.labels]

    @property
    def size(self) -> int:
        """Side of the pictures in pixels."""
        return int(self.pixels.shape[1])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, Any]]:
        return self._floats(self.pixels[index]), self.labels[index]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={len(self)}, size={self.size}, value_range={self.value_range})"
