"""Direct image parameterisations: pictures made of numbers that CLIP guidance can change.

Each is a small :class:`sketchml.Model` whose ``generate`` is differentiable, so guidance
steers it like any generator, and whose latents save, re-render and walk like a GAN's:

* :class:`Pixels` -- every pixel's colour, through a sigmoid (the plainest picture).
* :class:`Fourier` -- the picture's 2-D spectrum, scaled down at high frequencies, with
  decorrelated colour (Mordvintsev et al. 2018, "Differentiable Image Parameterizations",
  Distill; the parameterisation of Aphantasia). Optimising it favours smooth, painterly
  images over pixel noise.
* :class:`PixelArt` -- a coarse grid of cells, each painted with one colour of a small
  learned palette (in the spirit of PixelDraw): a straight-through choice keeps the picture
  strictly limited-palette while gradients still reach every cell's choice.

Examples:
    >>> import torch
    >>> art = PixelArt(size=32, cells=8, colours=4, device="cpu")
    >>> picture = art.generate(art.sample_latent(1, seed=0))
    >>> picture.shape, len(torch.unique(picture.reshape(3, -1), dim=1).T) <= 4
    (torch.Size([1, 3, 32, 32]), True)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

import sketchml as sk
from sketchml.plugin import SketchmlError, did_you_mean

__all__ = ["PARAMETERISATIONS", "Fourier", "FourierOptions", "PixelArt", "PixelArtOptions",
           "Pixels", "PixelsOptions", "parameterisation"]

# The square root of the colour correlation of natural images (an SVD of ImageNet's RGB
# covariance, as published with the Distill article): mixing three decorrelated channels
# through it gives colours with natural statistics.
_COLOUR_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))


def _check_size(value: Any, name: str, *, low: int = 8) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SketchmlError(f"{name} must be a whole number of pixels >= {low}, got {value!r}.")
    return value


def _check_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SketchmlError(f"n must be a whole number >= 1, got {n!r}.")
    return n


def _tensor(latent: sk.Latent, key: str, shape: tuple[int, ...], family: str) -> torch.Tensor:
    if key not in latent.tensors:
        raise SketchmlError(
            f"A {family} latent holds {key!r}, this one holds {list(latent.tensors)}; make one "
            f"with sample_latent() or take it from a guidance result.")
    value = latent.tensors[key]
    if tuple(value.shape[1:]) != shape:
        raise SketchmlError(
            f"This {family} takes {key!r} shaped (N, {', '.join(map(str, shape))}), got "
            f"{tuple(value.shape)}: the latent was made with other options (see its "
            f"metadata: {latent.options}).")
    return value


@dataclass
class PixelsOptions:
    """Options of :class:`Pixels`."""

    size: int = 64
    """Width and height of the picture in pixels."""


class Pixels(sk.Model):
    """A picture parameterised by its pixels: ``sigmoid(latent["pixels"])``, ``(N, 3, size, size)``.

    The latent starts close to mid grey with a little noise, so guidance paints from a
    neutral canvas. Walks between latents are linear.

    Examples:
        >>> pixels = Pixels(size=16, device="cpu")
        >>> pixels.generate(pixels.sample_latent(2, seed=1)).shape
        torch.Size([2, 3, 16, 16])
    """

    Options = PixelsOptions
    interpolation = "lerp"

    def load(self) -> None:
        _check_size(self.options.size, "size")

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` starting pictures: mid grey plus a little noise (reproducible by ``seed``)."""
        size = self.options.size
        return self.latent({"pixels": 0.1 * self.randn(_check_count(n), 3, size, size, seed=seed)},
                           seed=seed)

    def generate(self, latent: Any = None, *, seed: int | None = None) -> sk.Images:
        """Pictures ``(N, 3, size, size)`` in [0, 1]; differentiable with respect to the latent."""
        lat = self.as_latent(latent, seed=seed)
        size = self.options.size
        pixels = _tensor(lat, "pixels", (3, size, size), "pixels")
        return sk.Images(torch.sigmoid(pixels), latent=lat)


@dataclass
class FourierOptions:
    """Options of :class:`Fourier`."""

    size: int = 64
    """Width and height of the picture in pixels."""

    decay: float = 1.0
    """How fast the spectrum's scale falls with frequency (1: as 1/f; higher: smoother)."""


class Fourier(sk.Model):
    """A picture parameterised by its spectrum with decorrelated colour (Aphantasia style).

    The latent ``"spectrum"`` ``(N, 3, size, size // 2 + 1, 2)`` holds the real and
    imaginary parts of three decorrelated colour channels' 2-D Fourier transforms. Each
    frequency is scaled by ``1 / f ** decay``, so an optimiser's equal steps change coarse
    structure more than fine detail; the inverse FFT's channels are mixed into RGB by the
    colour correlation of natural images, then squashed into [0, 1].

    Examples:
        >>> fourier = Fourier(size=32, device="cpu")
        >>> picture = fourier.generate(fourier.sample_latent(1, seed=0))
        >>> picture.shape, bool(picture.min() >= 0 and picture.max() <= 1)
        (torch.Size([1, 3, 32, 32]), True)
    """

    Options = FourierOptions
    interpolation = "lerp"

    def load(self) -> None:
        size = _check_size(self.options.size, "size")
        decay = self.options.decay
        if not 0 <= decay <= 4:
            raise SketchmlError(f"decay must be between 0 and 4 (1 is usual), got {decay!r}.")
        fy = torch.fft.fftfreq(size)[:, None]
        fx = torch.fft.rfftfreq(size)[None, :]
        frequency = torch.sqrt(fx * fx + fy * fy)
        # The lowest non-zero frequency also scales the constant term, so it is not infinite.
        self._scale = (1.0 / frequency.clamp_min(1.0 / size) ** decay).to(self.device)
        # Unit mean square: with the orthonormal FFT a pixel then varies as much as a
        # spectrum value does, whatever the size.
        self._scale = self._scale / self._scale.pow(2).mean().sqrt()
        colour = torch.tensor(_COLOUR_SQRT)
        self._colour = (colour / colour.norm(dim=0).max()).to(self.device)

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` starting spectra: small noise, a soft grey picture (reproducible by ``seed``)."""
        size = self.options.size
        spectrum = 0.01 * self.randn(_check_count(n), 3, size, size // 2 + 1, 2, seed=seed)
        return self.latent({"spectrum": spectrum}, seed=seed)

    def generate(self, latent: Any = None, *, seed: int | None = None) -> sk.Images:
        """Pictures ``(N, 3, size, size)`` in [0, 1]; differentiable with respect to the latent."""
        lat = self.as_latent(latent, seed=seed)
        size = self.options.size
        spectrum = _tensor(lat, "spectrum", (3, size, size // 2 + 1, 2), "fourier")
        complex_spectrum = torch.view_as_complex(spectrum.float().contiguous())
        channels = torch.fft.irfft2(complex_spectrum * self._scale, s=(size, size), norm="ortho")
        rgb = torch.einsum("nchw,rc->nrhw", channels, self._colour)
        return sk.Images(torch.sigmoid(rgb), latent=lat)


@dataclass
class PixelArtOptions:
    """Options of :class:`PixelArt`."""

    size: int = 64
    """Width and height of the picture in pixels (each cell is ``size // cells`` pixels)."""

    cells: int = 16
    """Cells across and down: the picture's resolution as pixel art."""

    colours: int = 6
    """How many colours the palette holds (each learned)."""


class PixelArt(sk.Model):
    """Limited-palette pixel art (PixelDraw style): a grid of cells, one palette colour each.

    The latent holds ``"cells"`` ``(N, colours, cells, cells)``, each cell's preference for
    every palette colour, and ``"palette"`` ``(N, colours, 3)``, the colours themselves
    (through a sigmoid). Each cell shows the colour it prefers most; gradients flow as if it
    showed the softmax mixture (a straight-through estimate), so the picture never has more
    than ``colours`` colours yet every choice can be learned.

    Examples:
        >>> art = PixelArt(size=32, cells=8, colours=3, device="cpu")
        >>> art.generate(art.sample_latent(1, seed=2)).shape
        torch.Size([1, 3, 32, 32])
    """

    Options = PixelArtOptions
    interpolation = "lerp"

    def load(self) -> None:
        size = _check_size(self.options.size, "size")
        cells = _check_size(self.options.cells, "cells", low=2)
        if size % cells:
            raise SketchmlError(
                f"size ({size}) must be a multiple of cells ({cells}) so every cell is the same "
                f"number of pixels; e.g. size={cells * max(1, round(size / cells))}.")
        colours = self.options.colours
        if isinstance(colours, bool) or not isinstance(colours, int) or not 2 <= colours <= 64:
            raise SketchmlError(f"colours must be a whole number from 2 to 64, got {colours!r}.")

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` starting pictures: random cell choices and a random palette (by ``seed``)."""
        n = _check_count(n)
        k, cells = self.options.colours, self.options.cells
        gen = self.generator(seed)
        choices = torch.randn(n, k, cells, cells, generator=gen)
        palette = 1.5 * torch.randn(n, k, 3, generator=gen)
        return self.latent({"cells": choices.to(self.device), "palette": palette.to(self.device)},
                           seed=seed)

    def generate(self, latent: Any = None, *, seed: int | None = None) -> sk.Images:
        """Pictures ``(N, 3, size, size)`` with at most ``colours`` colours each; differentiable."""
        lat = self.as_latent(latent, seed=seed)
        k, cells, size = self.options.colours, self.options.cells, self.options.size
        choices = _tensor(lat, "cells", (k, cells, cells), "pixelart")
        palette = torch.sigmoid(_tensor(lat, "palette", (k, 3), "pixelart"))
        soft = choices.softmax(dim=1)
        hard = F.one_hot(choices.argmax(dim=1), k).permute(0, 3, 1, 2).to(soft)
        # soft - soft.detach() is exactly 0: the picture holds the palette colours exactly.
        weights = hard + (soft - soft.detach())
        grid = torch.einsum("nkhw,nkc->nchw", weights, palette)
        picture = F.interpolate(grid, scale_factor=size // cells, mode="nearest")
        return sk.Images(picture, latent=lat)


PARAMETERISATIONS: dict[str, type[sk.Model]] = {"fourier": Fourier, "pixelart": PixelArt,
                                                  "pixels": Pixels}
"""The direct image parameterisations by name, as ``sk.guide(..., model=NAME)`` takes them."""


def parameterisation(name: str, *, device: Any = None, **options: Any) -> sk.Model:
    """The parameterisation called ``name`` (``"pixels"``, ``"fourier"``, ``"pixelart"``).

    Examples:
        >>> parameterisation("fourier", size=32, device="cpu").options.size
        32
    """
    cls = PARAMETERISATIONS.get(name)
    if cls is None:
        raise SketchmlError(
            f"{name!r} is not an image parameterisation.{did_you_mean(name, PARAMETERISATIONS)} "
            f"Use one of {', '.join(sorted(PARAMETERISATIONS))}, or a generator such as 'dcgan'.")
    return cls(device=device, **options)
