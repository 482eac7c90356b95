"""The ``noise`` family: smooth coloured noise with a real, walkable latent space.

A latent is a coarse grid of Gaussian numbers per colour channel, ``(N, 3, grid, grid)``.
``generate`` upsamples it bilinearly to ``size`` x ``size`` and squashes it into
[0, 1] with a sigmoid, so nearby latents give nearby images and a slerp between two
latents is a smooth morph. Because the map from latent to (pre-sigmoid) image is
linear, ``encode`` inverts it exactly by least squares: any picture can be projected
to the nearest noise image.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

import sketchml as sk


@dataclass
class NoiseOptions:
    """Options of the ``noise`` family (``sk.model("noise", size=128)``)."""

    size: int = 64
    """Side of the square images, in pixels."""
    grid: int = 4
    """Cells of the coarse grid per side: more cells give finer, busier noise."""
    contrast: float = 2.0
    """How strongly the noise is pushed towards saturated colours."""


class Noise(sk.Model):
    """Smooth coloured noise images ``(N, 3, size, size)`` from ``(N, 3, grid, grid)`` latents.

    Examples:
        >>> import sketchml as sk
        >>> noise = sk.model("noise", size=16)  # doctest: +SKIP
        >>> images = noise.generate(noise.sample_latent(2, seed=0))  # doctest: +SKIP
    """

    Options = NoiseOptions

    def load(self) -> None:
        # The upsampling as a matrix, (grid*grid, size*size): generate and encode share it.
        grid, size = self.options.grid, self.options.size
        basis = torch.eye(grid * grid).reshape(grid * grid, 1, grid, grid)
        up = F.interpolate(basis, size=(size, size), mode="bilinear", align_corners=True)
        self.upsample = up.reshape(grid * grid, size * size).to(self.device)

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` latents ``(n, 3, grid, grid)``, standard normal; a seed makes them repeatable."""
        grid = self.options.grid
        return self.latent(self.randn(n, 3, grid, grid, seed=seed), seed=seed)

    def generate(self, latent=None, *, seed: int | None = None) -> sk.Images:
        """Images ``(N, 3, size, size)`` in [0, 1], one per latent item (random when ``None``)."""
        z = self.as_latent(latent, seed=seed)
        n, size = len(z), self.options.size
        field = z.tensor.reshape(n * 3, -1) @ self.upsample
        images = torch.sigmoid(self.options.contrast * field).reshape(n, 3, size, size)
        return sk.Images(images, latent=z)

    def encode(self, data) -> sk.Latent:
        """The latents whose noise images are nearest to ``data``, images ``(N, 3, H, W)`` in [0, 1]."""
        data = torch.as_tensor(data).float().to(self.device)
        if data.dim() == 3:
            data = data.unsqueeze(0)
        size = self.options.size
        if data.shape[-2:] != (size, size):
            data = F.interpolate(data, size=(size, size), mode="bilinear", align_corners=False)
        target = torch.logit(data.clamp(1e-4, 1 - 1e-4)) / self.options.contrast
        flat = target.reshape(-1, size * size)
        solution = torch.linalg.lstsq(self.upsample.T, flat.T).solution.T
        grid = self.options.grid
        return self.latent(solution.reshape(len(data), 3, grid, grid))
