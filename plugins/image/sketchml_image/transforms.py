"""Input transforms that turn a picture into the "A" side of an image-to-image pair.

pix2pix learns to map A back to the picture (B). Training pairs come from any video or
folder of pictures: A is made from each frame by one of these transforms, and the same
transform turns a live camera frame into A, so the model redraws the scene in front of
the camera in the style of the video it learnt from.

Every transform takes ``(N, 3, H, W)`` float images in [0, 1] and returns the same shape
and range; they are deterministic (the same frame always gives the same A).

Examples:
    >>> import torch
    >>> from sketchml_image.transforms import apply_transform
    >>> apply_transform("edges", torch.rand(2, 3, 32, 32)).shape
    torch.Size([2, 3, 32, 32])
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

import sketchml as sk
from sketchml.plugin import did_you_mean

__all__ = ["TRANSFORMS", "apply_transform", "blur", "edges", "greyscale", "kmeans", "posterise"]

_LUMA = torch.tensor([0.299, 0.587, 0.114])


def greyscale(images: torch.Tensor) -> torch.Tensor:
    """The luminance of each pixel, repeated in the three channels (colourise it back).

    Examples:
        >>> import torch
        >>> from sketchml_image.transforms import greyscale
        >>> g = greyscale(torch.rand(1, 3, 8, 8)); bool((g[:, 0] == g[:, 2]).all())
        True
    """
    luma = (images * _LUMA.to(images)[None, :, None, None]).sum(1, keepdim=True)
    return luma.expand(-1, 3, -1, -1).contiguous()


def _gaussian(images: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, round(2.5 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    c = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1).contiguous(), groups=c)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1).contiguous(), groups=c)


def edges(images: torch.Tensor, *, threshold: float = 0.12) -> torch.Tensor:
    """Black outlines on white, like the edges2shoes pairs: Sobel edges of the smoothed picture.

    ``threshold`` is the gradient strength (in grey levels per pixel, 0-1 scale) that counts
    as an edge; the outline is softened over a small band around it.

    Examples:
        >>> import torch
        >>> from sketchml_image.transforms import edges
        >>> half = torch.zeros(1, 3, 16, 16); half[..., 8:] = 1
        >>> e = edges(half); float(e[0, 0, 8, 2]), float(e[0, 0, 8, 8]) < 0.5
        (1.0, True)
    """
    grey = _gaussian(greyscale(images)[:, :1], 1.0)
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
                      dtype=images.dtype, device=images.device) / 4
    padded = F.pad(grey, (1, 1, 1, 1), mode="replicate")
    gx = F.conv2d(padded, kx.view(1, 1, 3, 3))
    gy = F.conv2d(padded, kx.t().contiguous().view(1, 1, 3, 3))
    strength = (gx ** 2 + gy ** 2).sqrt()
    line = ((strength - threshold * 0.5) / threshold).clamp(0, 1)
    return (1 - line).expand(-1, 3, -1, -1).contiguous()


def posterise(images: torch.Tensor, *, levels: int = 4) -> torch.Tensor:
    """Each channel rounded to ``levels`` values: flat areas of few colours.

    Examples:
        >>> import torch
        >>> from sketchml_image.transforms import posterise
        >>> posterise(torch.tensor([0.1, 0.4, 0.9]).view(1, 3, 1, 1), levels=2).flatten().tolist()
        [0.0, 0.0, 1.0]
    """
    if levels < 2:
        raise sk.SketchmlError(f"posterise needs at least 2 levels, got {levels}.")
    return torch.round(images.clamp(0, 1) * (levels - 1)) / (levels - 1)


def blur(images: torch.Tensor, *, factor: int = 8) -> torch.Tensor:
    """The picture shrunk ``factor`` times and scaled back up: pix2pix learns to sharpen it.

    Examples:
        >>> import torch
        >>> from sketchml_image.transforms import blur
        >>> blur(torch.rand(1, 3, 32, 32)).shape
        torch.Size([1, 3, 32, 32])
    """
    h, w = images.shape[-2:]
    small = F.interpolate(images, size=(max(1, h // factor), max(1, w // factor)), mode="area")
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False).clamp(0, 1)


def kmeans(images: torch.Tensor, *, k: int = 6, iterations: int = 8) -> torch.Tensor:
    """A segmentation into ``k`` flat colours, found per picture by k-means on its pixels.

    The centres start at pixels spread evenly through the brightness order, so the result
    is the same every time.

    Examples:
        >>> import torch
        >>> from sketchml_image.transforms import kmeans
        >>> seg = kmeans(torch.rand(1, 3, 16, 16), k=3)
        >>> len(torch.unique(seg.flatten(2)[0].t(), dim=0)) <= 3
        True
    """
    n, c, h, w = images.shape
    out = torch.empty_like(images)
    for i in range(n):
        pixels = images[i].reshape(c, -1).t()
        order = (pixels * _LUMA.to(pixels)).sum(1).argsort()
        picks = order[torch.linspace(0, len(order) - 1, k).round().long()]
        centres = pixels[picks].clone()
        for _ in range(iterations):
            nearest = torch.cdist(pixels, centres).argmin(1)
            sums = torch.zeros_like(centres).index_add_(0, nearest, pixels)
            counts = torch.bincount(nearest, minlength=k).unsqueeze(1)
            # A centre no pixel chose stays where it was.
            centres = torch.where(counts > 0, sums / counts.clamp(min=1), centres)
        nearest = torch.cdist(pixels, centres).argmin(1)
        out[i] = centres[nearest].t().reshape(c, h, w)
    return out


TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "blur": blur,
    "edges": edges,
    "greyscale": greyscale,
    "kmeans": kmeans,
    "posterise": posterise,
}
"""The input transforms by name (``--input NAME`` of ``sketchml train pix2pix``)."""


def apply_transform(name: str, images: torch.Tensor) -> torch.Tensor:
    """``TRANSFORMS[name](images)`` for ``(N, 3, H, W)`` images in [0, 1], with a clear error
    for an unknown name.

    Examples:
        >>> import torch
        >>> from sketchml_image.transforms import apply_transform
        >>> apply_transform("greyscale", torch.ones(1, 3, 4, 4)).mean().item()
        1.0
    """
    if name not in TRANSFORMS:
        raise sk.SketchmlError(
            f"{name!r} is not an input transform.{did_you_mean(name, TRANSFORMS)} "
            f"Known: {', '.join(TRANSFORMS)}."
        )
    return TRANSFORMS[name](images)
