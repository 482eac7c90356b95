"""StyleGAN2: a style-based generator with weight demodulation, in pure PyTorch.

Paper: Karras, Laine, Aittala, Hellsten, Lehtinen, Aila, "Analyzing and Improving the Image
Quality of StyleGAN", CVPR 2020 (arXiv:1912.04958). Projection follows section 5 of the same
paper; training uses the non-saturating logistic loss with lazy R1 regularisation and mixing
regularisation (Karras et al. 2019, arXiv:1812.04948).

Checkpoint layouts this file matches:

* rosinality/stylegan2-pytorch ``model.Generator`` (commit bef283a), key for key and in the
  same order: ``style.1..n`` (mapping), ``input.input``, ``conv1``/``to_rgb1``,
  ``convs.{i}``, ``to_rgbs.{i}``, ``noises.noise_{i}``. Its ``.pt`` files (a dict with
  ``g_ema`` and, for converted official weights, ``latent_avg``) load unchanged; the noise
  and blur-kernel buffers are optional (old files lack them), everything else is required.
* NVlabs/stylegan2-ada-pytorch ``training.networks.Generator`` ``.pkl`` files, read by
  sketchml's restricted unpickler (no code from the file runs) and converted to the layout
  above by :func:`nvidia_to_rosinality`. The mapping, for a block of resolution ``R`` with
  ``k = log2(R) - 3``:

  ========================================  ============================================
  NVIDIA (``G_ema``)                        here (rosinality)
  ========================================  ============================================
  ``mapping.fc{i}.weight/bias``             ``style.{i+1}.weight/bias``
  ``mapping.w_avg``                         ``latent_avg`` (the truncation centre)
  ``synthesis.b4.const`` ``[C,4,4]``        ``input.input`` ``[1,C,4,4]``
  ``synthesis.b4.conv1.*``                  ``conv1.*``
  ``synthesis.b4.torgb.*``                  ``to_rgb1.*``
  ``synthesis.bR.conv0.*`` / ``conv1.*``    ``convs.{2k}.*`` / ``convs.{2k+1}.*``
  ``synthesis.bR.torgb.*``                  ``to_rgbs.{k}.*``
  layer ``weight`` ``[O,I,k,k]``            ``conv.weight`` ``[1,O,I,k,k]``
  layer ``affine.weight/bias``              ``conv.modulation.weight/bias``
  layer ``bias`` ``[O]``                    ``activate.bias`` (ToRGB: ``bias`` ``[1,3,1,1]``)
  layer ``noise_strength`` ``[]``           ``noise.weight`` ``[1]``
  layer ``noise_const`` ``[R,R]``           ``noises.noise_{2k+1 | 2k+2}`` ``[1,1,R,R]``
  ``conv0.resample_filter`` (sum 1)         ``convs.{2k}.conv.blur.kernel`` (times 4)
  ``bR.resample_filter`` (sum 1)            ``to_rgbs.{k}.upsample.kernel`` (times 4)
  ========================================  ============================================

  The two networks compute the same function: NVIDIA applies ``1/sqrt(fan_in)`` to the
  ToRGB styles where rosinality applies it to the weight, and leaves the demodulated
  convolutions unscaled (demodulation cancels the scale). ``conv_clamp`` is read from the
  pickle's constructor arguments and applied the same way. Conditional (``c_dim > 0``) and
  StyleGAN3 pickles are refused with the keys that do not fit.

Everything torch-related is imported here, so this module is only ever imported lazily, by
``sk.model("stylegan2")``.
"""
from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import (ImageTrainSettings, TrainingRun, deprecated_alias, did_you_mean,
                             image_dataset, renamed, seed_everything, setting, warn_renamed)

__all__ = [
    "Discriminator",
    "Generator",
    "StyleGAN2",
    "StyleGAN2Training",
    "default_channels",
    "load_generator_state",
    "nvidia_to_rosinality",
]

BLUR_KERNEL = (1.0, 3.0, 3.0, 1.0)
NOISE_MODES = ("const", "random", "none")
SPACES = ("z", "w", "w+")


# -- low-level operations -----------------------------------------------------------------

def make_kernel(taps: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """A separable 2-D FIR kernel from 1-D ``taps`` (outer product), normalised to sum 1."""
    k = torch.as_tensor(taps, dtype=torch.float32)
    if k.dim() == 1:
        k = k[None, :] * k[:, None]
    return k / k.sum()


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, *, up: int = 1, down: int = 1,
              pad: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad (negative crops), filter with ``kernel``, downsample.

    ``x`` is ``(N, C, H, W)``; the same ``pad`` is used on both axes (before, after). The
    filter runs as a depthwise convolution, so this is plain PyTorch on any device.
    """
    n, c, h, w = x.shape
    if up > 1:
        spread = x.new_zeros(n, c, h * up, w * up)
        spread[:, :, ::up, ::up] = x
        x = spread
    before, after = pad
    x = F.pad(x, [before, after, before, after])
    weight = kernel.flip([0, 1]).to(x.dtype)[None, None].expand(c, 1, *kernel.shape)
    x = F.conv2d(x, weight, groups=c)
    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor, *, slope: float = 0.2,
                     gain: float = math.sqrt(2)) -> torch.Tensor:
    """Add a per-channel bias, leaky ReLU, then the gain that keeps activations at unit variance."""
    shape = (1, -1) + (1,) * (x.dim() - 2)
    return F.leaky_relu(x + bias.view(shape), slope) * gain


class PixelNorm(nn.Module):
    """Normalise each vector to unit root-mean-square (the mapping network's input)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class Upsample(nn.Module):
    """2x upsampling with a blur kernel (used on the ToRGB skip path)."""

    def __init__(self, taps: Sequence[float] = BLUR_KERNEL, factor: int = 2) -> None:
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", make_kernel(taps) * factor ** 2)
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class Blur(nn.Module):
    """Low-pass filter after a transposed convolution (anti-aliased upsampling)."""

    def __init__(self, taps: Sequence[float], pad: tuple[int, int], upsample_factor: int = 1) -> None:
        super().__init__()
        self.register_buffer("kernel", make_kernel(taps) * upsample_factor ** 2)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class EqualConv2d(nn.Module):
    """Convolution with the equalised learning rate: weights stored N(0, 1), scaled at run time."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.scale = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.stride, self.padding = stride, padding
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, stride=self.stride, padding=self.padding)


class EqualLinear(nn.Module):
    """Linear layer with the equalised learning rate and an optional fused leaky ReLU.

    ``lr_mul`` scales both weight and bias at run time (0.01 in the mapping network, so it
    learns a hundred times slower than the synthesis network).
    """

    def __init__(self, in_dim: int, out_dim: int, *, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activation: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.zeros(out_dim).fill_(bias_init))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class ModulatedConv2d(nn.Module):
    """StyleGAN2's convolution: weights scaled per input channel by the style, then demodulated.

    One grouped convolution handles the whole batch (each sample has its own weights).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, style_dim: int, *,
                 demodulate: bool = True, upsample: bool = False,
                 blur_kernel: Sequence[float] = BLUR_KERNEL) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = kernel_size
        self.upsample = upsample
        self.demodulate = demodulate
        # Registration order fixes the state-dict order: weight, blur.kernel, modulation.
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        if upsample:
            factor = 2
            p = (len(blur_kernel) - factor) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + factor - 1, p // 2 + 1),
                             upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.padding = kernel_size // 2
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        s = self.modulation(style).view(batch, 1, self.in_channels, 1, 1)
        weight = self.scale * self.weight * s
        if self.demodulate:
            demod = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * demod.view(batch, self.out_channels, 1, 1, 1)
        x = x.reshape(1, batch * self.in_channels, height, width)
        k = self.kernel_size
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(batch * self.in_channels, self.out_channels, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=batch)
            out = out.view(batch, self.out_channels, *out.shape[2:])
            return self.blur(out)
        weight = weight.view(batch * self.out_channels, self.in_channels, k, k)
        out = F.conv2d(x, weight, padding=self.padding, groups=batch)
        return out.view(batch, self.out_channels, *out.shape[2:])


class NoiseInjection(nn.Module):
    """Adds per-pixel noise, scaled by one learned strength."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        if noise is None:
            return x
        return x + self.weight * noise


class ConstantInput(nn.Module):
    """The learned 4x4 constant the synthesis network starts from."""

    def __init__(self, channels: int, size: int = 4) -> None:
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.expand(batch, -1, -1, -1)


class FusedLeakyReLU(nn.Module):
    """Bias + leaky ReLU + gain; clamped when the checkpoint asks (NVIDIA's ``conv_clamp``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.clamp: float | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = fused_leaky_relu(x, self.bias)
        return out if self.clamp is None else out.clamp(-self.clamp, self.clamp)


class StyledConv(nn.Module):
    """Modulated 3x3 convolution (optionally upsampling), noise, bias and activation."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, style_dim: int, *,
                 upsample: bool = False, blur_kernel: Sequence[float] = BLUR_KERNEL) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, kernel_size, style_dim,
                                    upsample=upsample, blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channels)

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        return self.activate(self.noise(self.conv(x, style), noise))


class ToRGB(nn.Module):
    """1x1 modulated (not demodulated) convolution to RGB, added to the upsampled skip image."""

    def __init__(self, in_channels: int, style_dim: int, *, upsample: bool = True,
                 blur_kernel: Sequence[float] = BLUR_KERNEL) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_channels, 3, 1, style_dim, demodulate=False)
        self.clamp: float | None = None

    def forward(self, x: torch.Tensor, style: torch.Tensor,
                skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, style) + self.bias
        if self.clamp is not None:
            out = out.clamp(-self.clamp, self.clamp)
        if skip is not None:
            out = out + self.upsample(skip)
        return out


def default_channels(size: int, *, channel_multiplier: int = 2, channel_max: int = 512
                     ) -> dict[int, int]:
    """Feature maps per resolution, as rosinality's ``Generator`` sets them.

    Examples:
        >>> default_channels(64)
        {4: 512, 8: 512, 16: 512, 32: 512, 64: 512}
    """
    base = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier,
            128: 128 * channel_multiplier, 256: 64 * channel_multiplier,
            512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    out = {}
    res = 4
    while res <= size:
        out[res] = min(base.get(res, 16 * channel_multiplier), channel_max)
        res *= 2
    return out


def _check_size(size: int) -> int:
    if not isinstance(size, int) or size < 8 or size & (size - 1):
        raise sk.SketchmlError(
            f"StyleGAN2 makes square images whose side is a power of two from 8 up (8, 16, "
            f"32, ... 1024); got size={size!r}."
        )
    return size


class Generator(nn.Module):
    """StyleGAN2 generator: mapping network (z -> w) and synthesis network (w+ -> image).

    The state dict matches rosinality's ``Generator(size, style_dim, n_mlp,
    channel_multiplier)`` key for key. ``channels`` overrides the feature maps per
    resolution (NVIDIA's configs and the small models trained here use other widths).

    Args:
        size: image side in pixels (a power of two, >= 8).
        style_dim: width of w (and of z unless ``z_dim`` is given).
        n_mlp: layers in the mapping network.
        channel_multiplier: rosinality's width factor for 64 px and up.
        channels: feature maps per resolution, ``{4: 512, 8: 512, ...}``.
        z_dim: width of z (default ``style_dim``).
        lr_mlp: the mapping network's learning-rate multiplier.
        conv_clamp: clamp activations to +-this (NVIDIA's ``conv_clamp``; ``None`` = off).

    Examples:
        >>> g = Generator(16, style_dim=32, n_mlp=2, channels={4: 16, 8: 16, 16: 8})
        >>> g(torch.randn(2, 32)).shape
        torch.Size([2, 3, 16, 16])
    """

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, *,
                 channel_multiplier: int = 2, channels: Mapping[int, int] | None = None,
                 z_dim: int | None = None, lr_mlp: float = 0.01,
                 blur_kernel: Sequence[float] = BLUR_KERNEL,
                 conv_clamp: float | None = None) -> None:
        super().__init__()
        self.size = _check_size(size)
        self.style_dim = style_dim
        self.z_dim = z_dim or style_dim
        self.n_mlp = n_mlp
        widths = dict(channels) if channels is not None else default_channels(
            size, channel_multiplier=channel_multiplier)
        self.channels = {res: int(widths[res]) for res in sorted(widths) if res <= size}
        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.n_latent = self.log_size * 2 - 2

        layers: list[nn.Module] = [PixelNorm()]
        for i in range(n_mlp):
            layers.append(EqualLinear(self.z_dim if i == 0 else style_dim, style_dim,
                                      lr_mul=lr_mlp, activation=True))
        self.style = nn.Sequential(*layers)

        first = self.channels[4]
        self.input = ConstantInput(first)
        self.conv1 = StyledConv(first, first, 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = ToRGB(first, style_dim, upsample=False)
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for i in range(self.num_layers):
            res = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, res, res))
        in_channels = first
        for i in range(3, self.log_size + 1):
            out_channels = self.channels[2 ** i]
            self.convs.append(StyledConv(in_channels, out_channels, 3, style_dim, upsample=True,
                                         blur_kernel=blur_kernel))
            self.convs.append(StyledConv(out_channels, out_channels, 3, style_dim,
                                         blur_kernel=blur_kernel))
            self.to_rgbs.append(ToRGB(out_channels, style_dim, blur_kernel=blur_kernel))
            in_channels = out_channels
        self.set_conv_clamp(conv_clamp)

    def set_conv_clamp(self, clamp: float | None) -> None:
        """Clamp every layer's output to +-``clamp`` (``None`` turns it off)."""
        self.conv_clamp = clamp
        for module in self.modules():
            if isinstance(module, (FusedLeakyReLU, ToRGB)):
                module.clamp = clamp

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z ``(N, z_dim)`` -> w ``(N, style_dim)``."""
        return self.style(z)

    def make_noise(self, mode: str, batch: int, *, generator: torch.Generator | None = None
                   ) -> list[torch.Tensor | None]:
        """Per-layer noise maps: the stored ones (``const``), fresh ones (``random``) or none."""
        buffers = [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]
        if mode == "const":
            return buffers
        if mode == "none":
            return [None] * self.num_layers
        if mode == "random":
            return [torch.randn(batch, 1, *b.shape[2:], generator=generator).to(b)
                    if generator is not None else torch.randn(batch, 1, *b.shape[2:]).to(b)
                    for b in buffers]
        raise sk.SketchmlError(f"noise={mode!r} is not a noise mode.{did_you_mean(mode, NOISE_MODES)} "
                               f"Use 'const' (fixed, reproducible), 'random' or 'none'.")

    def synthesis(self, w_plus: torch.Tensor, *, noise: str | Sequence[torch.Tensor | None] = "const",
                  generator: torch.Generator | None = None) -> torch.Tensor:
        """w+ ``(N, n_latent, style_dim)`` -> images ``(N, 3, size, size)``, roughly in [-1, 1]."""
        batch = w_plus.shape[0]
        noises = self.make_noise(noise, batch, generator=generator) if isinstance(noise, str) else list(noise)
        out = self.input(batch)
        out = self.conv1(out, w_plus[:, 0], noises[0])
        skip = self.to_rgb1(out, w_plus[:, 1])
        i = 1
        for k, to_rgb in enumerate(self.to_rgbs):
            out = self.convs[2 * k](out, w_plus[:, i], noises[2 * k + 1])
            out = self.convs[2 * k + 1](out, w_plus[:, i + 1], noises[2 * k + 2])
            skip = to_rgb(out, w_plus[:, i + 2], skip)
            i += 2
        return skip

    def forward(self, z: torch.Tensor, mix_z: torch.Tensor | None = None, crossover: int | None = None,
                *, noise: str = "random") -> torch.Tensor:
        """z ``(N, z_dim)`` -> images; with ``mix_z``, layers from ``crossover`` on use its w."""
        w = self.mapping(z).unsqueeze(1).repeat(1, self.n_latent, 1)
        if mix_z is not None:
            w2 = self.mapping(mix_z).unsqueeze(1)
            cut = self.n_latent // 2 if crossover is None else crossover
            w = torch.cat([w[:, :cut], w2.expand(-1, self.n_latent - cut, -1)], dim=1)
        return self.synthesis(w, noise=noise)


# -- discriminator (training only) ----------------------------------------------------------

class _ConvAct(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = EqualConv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2,
                                bias=False)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(self.conv(x), self.bias)


class _DownBlock(nn.Module):
    """Residual block: two 3x3 convs then blur-and-halve, plus a 1x1 skip, summed / sqrt(2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = _ConvAct(in_channels, in_channels, 3)
        self.conv2 = _ConvAct(in_channels, out_channels, 3)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False)
        self.register_buffer("kernel", make_kernel(BLUR_KERNEL))

    def _down(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, down=2, pad=(1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._down(self.conv2(self.conv1(x)))
        return (out + self.skip(self._down(x))) / math.sqrt(2)


class Discriminator(nn.Module):
    """A residual StyleGAN2-style discriminator with a minibatch standard-deviation layer.

    Examples:
        >>> d = Discriminator(16, channels={4: 16, 8: 16, 16: 8})
        >>> d(torch.randn(4, 3, 16, 16)).shape
        torch.Size([4, 1])
    """

    def __init__(self, size: int, *, channels: Mapping[int, int]) -> None:
        super().__init__()
        self.size = _check_size(size)
        self.from_rgb = _ConvAct(3, channels[size], 1)
        blocks = []
        res = size
        while res > 4:
            blocks.append(_DownBlock(channels[res], channels[res // 2]))
            res //= 2
        self.blocks = nn.Sequential(*blocks)
        width = channels[4]
        self.final_conv = _ConvAct(width + 1, width, 3)
        self.final_linear = EqualLinear(width * 16, width, activation=True)
        self.out = EqualLinear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(self.from_rgb(x))
        batch, channels, height, width = out.shape
        group = min(batch, 4)
        while batch % group:
            group -= 1
        # How much the group's samples vary: a generator that collapses is easy to spot.
        spread = out.view(group, -1, channels, height, width)
        spread = torch.sqrt(spread.var(0, unbiased=False) + 1e-8).mean([1, 2, 3])
        spread = spread.view(-1, 1, 1, 1).repeat(group, 1, height, width)
        out = self.final_conv(torch.cat([out, spread], 1))
        return self.out(self.final_linear(out.flatten(1)))


# -- checkpoints ----------------------------------------------------------------------------

_OPTIONAL = re.compile(r"^noises\.noise_\d+$|\.kernel$")
_NV_MAPPING = re.compile(r"^mapping\.fc(\d+)\.(weight|bias)$")
_NV_BLOCK = re.compile(r"^synthesis\.b(\d+)\.(const|resample_filter)$")
_NV_LAYER = re.compile(
    r"^synthesis\.b(\d+)\.(conv0|conv1|torgb)\.(weight|bias|noise_strength|noise_const|"
    r"resample_filter|affine\.weight|affine\.bias)$")


def nvidia_to_rosinality(state: Mapping[str, torch.Tensor]
                         ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None, list[str]]:
    """Convert an NVIDIA stylegan2-ada ``G_ema`` state dict to this module's layout.

    Returns ``(state_dict, w_avg or None, keys that have no counterpart here)``; the mapping is
    tabled in this module's docstring.

    Examples:
        >>> sd, avg, left = nvidia_to_rosinality({"mapping.fc0.weight": torch.zeros(4, 4),
        ...                                       "mapping.w_avg": torch.zeros(4)})
        >>> list(sd), avg.shape, left
        (['style.1.weight'], torch.Size([4]), [])
    """
    out: dict[str, torch.Tensor] = {}
    w_avg = None
    leftover: list[str] = []
    for key, value in state.items():
        if key == "mapping.w_avg":
            w_avg = value.float()
            continue
        found = _NV_MAPPING.match(key)
        if found:
            out[f"style.{int(found.group(1)) + 1}.{found.group(2)}"] = value
            continue
        found = _NV_BLOCK.match(key)
        if found:
            res, what = int(found.group(1)), found.group(2)
            if what == "const" and res == 4:
                out["input.input"] = value.unsqueeze(0)
            elif what == "resample_filter" and res > 4:
                out[f"to_rgbs.{_block_index(res)}.upsample.kernel"] = value * 4
            elif what != "resample_filter":
                leftover.append(key)
            continue
        found = _NV_LAYER.match(key)
        if not found:
            leftover.append(key)
            continue
        res, layer, what = int(found.group(1)), found.group(2), found.group(3)
        if res == 4 and layer == "conv0":
            leftover.append(key)
            continue
        k = _block_index(res) if res > 4 else -1
        if layer == "torgb":
            prefix = "to_rgb1" if res == 4 else f"to_rgbs.{k}"
        elif res == 4:
            prefix = "conv1"
        else:
            prefix = f"convs.{2 * k + (layer == 'conv1')}"
        noise_index = 0 if res == 4 else 2 * k + 1 + (layer == "conv1")
        if what == "weight":
            out[f"{prefix}.conv.weight"] = value.unsqueeze(0)
        elif what.startswith("affine."):
            out[f"{prefix}.conv.modulation.{what[7:]}"] = value
        elif what == "bias":
            out[f"{prefix}.bias" if layer == "torgb" else f"{prefix}.activate.bias"] = (
                value.view(1, -1, 1, 1) if layer == "torgb" else value)
        elif what == "noise_strength":
            out[f"{prefix}.noise.weight"] = value.reshape(1)
        elif what == "noise_const":
            out[f"noises.noise_{noise_index}"] = value.view(1, 1, *value.shape)
        elif layer == "conv0":
            out[f"{prefix}.conv.blur.kernel"] = value * 4
    return out, w_avg, leftover


def _block_index(res: int) -> int:
    return int(math.log2(res)) - 3


def infer_config(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """The ``Generator`` arguments a rosinality-layout state dict implies, or ``None``."""
    try:
        n_mlp = 0
        while f"style.{n_mlp + 1}.weight" in state:
            n_mlp += 1
        style_dim, z_dim = state["style.1.weight"].shape
        n_rgb = 0
        while f"to_rgbs.{n_rgb}.conv.weight" in state:
            n_rgb += 1
        size = 2 ** (n_rgb + 2)
        channels = {4: int(state["input.input"].shape[1])}
        for i in range(n_rgb):
            channels[2 ** (i + 3)] = int(state[f"to_rgbs.{i}.conv.weight"].shape[2])
    except (KeyError, ValueError, IndexError, AttributeError):
        return None
    if n_rgb == 0:
        return None
    return {"size": size, "style_dim": int(style_dim), "n_mlp": n_mlp, "channels": channels,
            "z_dim": int(z_dim)}


def _list(keys: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def load_generator_state(state: Mapping[str, torch.Tensor], *, source: str = "the checkpoint",
                         conv_clamp: float | None = None) -> Generator:
    """Build a :class:`Generator` shaped like ``state`` and load it, checking every key.

    Missing noise maps and blur kernels are regenerated (old rosinality files lack them);
    any other missing, unexpected or misshapen tensor is an error that lists them.

    Examples:
        >>> g = Generator(16, style_dim=32, n_mlp=2, channels={4: 16, 8: 16, 16: 8})
        >>> load_generator_state(g.state_dict()).size
        16
    """
    config = infer_config(state)
    reference = Generator(**config) if config else None
    expected = reference.state_dict() if reference is not None else _meta_layout(256)
    missing = [k for k in expected if k not in state and not _OPTIONAL.search(k)]
    unexpected = [k for k in state if k not in expected]
    if reference is None or missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing keys: {_list(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {_list(unexpected)}")
        raise sk.SketchmlError(
            f"{source} does not hold a StyleGAN2 generator in rosinality's layout ("
            + "; ".join(parts or ["no 'style.1.weight' / 'input.input' / 'to_rgbs.N' keys"])
            + "). Expected a rosinality .pt (a dict with 'g_ema'), an NVIDIA stylegan2-ada .pkl, "
            "or a safetensors file of Generator.state_dict()."
        )
    wrong = [f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if wrong:
        raise sk.SketchmlError(
            f"{source} has tensors of the wrong shape for the StyleGAN2 it describes: "
            f"{_list(wrong, 3)}. The file is damaged or from another architecture."
        )
    reference.load_state_dict({**expected, **{k: v.float() for k, v in state.items()}})
    reference.set_conv_clamp(conv_clamp)
    return reference


def _meta_layout(size: int) -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        return Generator(size).state_dict()


def read_checkpoint(data: Any, *, source: str) -> tuple[dict[str, torch.Tensor], torch.Tensor | None,
                                                        float | None]:
    """``(rosinality state dict, latent_avg or None, conv_clamp)`` from any supported file's contents."""
    if isinstance(data, Mapping) and "G_ema" in data:
        return _from_nvidia(data["G_ema"], source)
    if isinstance(data, Mapping) and "g_ema" in data:
        avg = data.get("latent_avg")
        return dict(data["g_ema"]), (avg.float() if isinstance(avg, torch.Tensor) else None), None
    if isinstance(data, Mapping) and "g" in data and "d" in data:
        return dict(data["g"]), None, None
    if isinstance(data, Mapping) and all(isinstance(v, torch.Tensor) for v in data.values()):
        state = dict(data)
        avg = state.pop("latent_avg", None)
        return state, (avg.float() if avg is not None else None), None
    found = ", ".join(map(repr, list(data)[:6])) if isinstance(data, Mapping) else type(data).__name__
    raise sk.SketchmlError(
        f"{source} is not a StyleGAN2 checkpoint sketchml knows (it holds {found}). Expected a "
        f"rosinality .pt (a dict with 'g_ema'), an NVIDIA stylegan2-ada .pkl (with 'G_ema'), or "
        f"a safetensors Generator state dict."
    )


def _from_nvidia(g_ema: Any, source: str) -> tuple[dict[str, torch.Tensor], torch.Tensor | None,
                                                    float | None]:
    from sketchml.plugin import module_state_dict

    nv_state = module_state_dict(g_ema)
    kwargs = g_ema.get("_init_kwargs") or {}
    if int(kwargs.get("c_dim") or 0) > 0 or "mapping.embed.weight" in nv_state:
        raise sk.SketchmlError(
            f"{source} is a class-conditional StyleGAN2-ADA generator (c_dim="
            f"{kwargs.get('c_dim')}); sketchml's stylegan2 family loads unconditional ones."
        )
    state, w_avg, leftover = nvidia_to_rosinality(nv_state)
    if leftover:
        raise sk.SketchmlError(
            f"{source} is not a StyleGAN2-ADA generator this family can load: unexpected keys "
            f"{_list(leftover)} (a StyleGAN3 or other network?). Expected NVIDIA's "
            f"stylegan2-ada-pytorch layout (mapping.fc0..., synthesis.b4.const, synthesis.bR.conv0...)."
        )
    clamp = (kwargs.get("synthesis_kwargs") or {}).get("conv_clamp")
    return state, w_avg, (float(clamp) if clamp is not None else None)


# -- the model family -----------------------------------------------------------------------

def _to_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise sk.SketchmlError(f"{name} must be a number, got {value!r}.")
    return float(value)


@dataclass
class StyleGAN2Training(ImageTrainSettings):
    """What ``StyleGAN2.train`` and ``sketchml train stylegan2`` take (and the shared image settings)."""

    batch_size: int = setting(16, "images per step")
    resolution: int = setting(64, "image size of a new generator: 32 or 64 px (a model with "
                                  "weights keeps its own)")
    lr: float = setting(0.002, "Adam learning rate (betas 0, 0.99)")
    r1: float = setting(10.0, "gamma of the R1 penalty on real images (0 turns it off)")
    r1_every: int = setting(16, "steps between R1 penalties (lazy regularisation)")
    mixing: float = setting(0.9, "probability of style mixing per step")
    style_dim: int = setting(128, "size of z and w of a new generator")
    n_mlp: int = setting(4, "layers of a new generator's mapping network")
    width: int = setting(128, "most feature maps per layer of a new generator")


class StyleGAN2(sk.Model):
    """StyleGAN2 (Karras et al. 2020): generate, truncation, style mixing, projection, training.

    Load a published checkpoint with ``weights=``: a rosinality ``.pt`` (converted official
    weights or a training checkpoint), an NVIDIA stylegan2-ada ``.pkl`` (read without running
    any of its code), a safetensors ``Generator`` state dict, or a folder written by
    :meth:`train`. Without weights the model can only :meth:`train`.

    Latents live in three spaces (``sample_latent(space=...)``): ``"z"`` (Gaussian, walked by
    slerp), ``"w"`` (after the mapping network, walked by lerp) and ``"w+"`` (one w per
    synthesis layer, what :meth:`mix` and :meth:`encode` produce).

    Examples:
        >>> import sketchml as sk
        >>> gan = sk.model("stylegan2", weights="stylegan2-ffhq-config-f.pt")  # doctest: +SKIP
        >>> gan.generate(gan.sample_latent(4, seed=1), truncation=0.7).save("faces.png")  # doctest: +SKIP
    """

    interpolation = {"z": "slerp", "w": "lerp"}
    trained_networks = ("g_ema",)
    TrainSettings = StyleGAN2Training

    net = deprecated_alias("network")

    def load(self) -> None:
        self.network: Generator | None = None
        self._avg: torch.Tensor | None = None
        # A file in the variant's places (the sketchml cache...) loads; none leaves the model
        # untrained, ready for train() (StyleGAN2 ships no default weights).
        path = self.weights_path(required=self.weights is not None)
        if path is None:
            return
        source = repr(str(path))
        state, avg, clamp = read_checkpoint(sk.load_weights(path), source=source)
        self._use(load_generator_state(state, source=source, conv_clamp=clamp), avg)

    def _use(self, net: Generator, avg: torch.Tensor | None) -> None:
        self.network = net.to(self.device).eval().requires_grad_(False)
        self._avg = avg.to(self.device) if avg is not None else None

    # -- facts -----------------------------------------------------------------------------

    def _require(self) -> Generator:
        if self.network is None:
            raise sk.SketchmlError(
                "This StyleGAN2 has no weights yet. Load some with sk.model('stylegan2', "
                "weights='path/to/model.pt' or '.pkl'), or train one first: "
                "model.train('my_images/', out='runs/mine', resolution=32)."
            )
        return self.network

    @property
    def resolution(self) -> int:
        """Side of the generated images in pixels."""
        return self._require().size

    @property
    def num_layers(self) -> int:
        """Rows of a w+ latent: one style per synthesis layer (14 at 256 px, 18 at 1024 px)."""
        return self._require().n_latent

    @property
    def latent_avg(self) -> torch.Tensor:
        """The average w ``(style_dim,)``: the truncation centre (from the file, else estimated)."""
        net = self._require()
        if self._avg is None:
            gen = torch.Generator().manual_seed(0)
            z = torch.randn(4096, net.z_dim, generator=gen).to(self.device)
            with torch.no_grad():
                self._avg = net.mapping(z).mean(0)
        return self._avg

    # -- latents -------------------------------------------------------------------------------

    def sample_latent(self, n: int = 1, *, seed: int | None = None, space: str = "z") -> sk.Latent:
        """``n`` random latents in ``space``: ``"z"`` ``(n, z_dim)``, ``"w"`` ``(n, style_dim)``
        or ``"w+"`` ``(n, num_layers, style_dim)``; the same seed gives the same latents.

        Examples:
            >>> gan.sample_latent(2, seed=1, space="w")["w"].shape  # doctest: +SKIP
            torch.Size([2, 512])
        """
        net = self._require()
        self._check_space(space)
        z = self.randn(n, net.z_dim, seed=seed)
        if space == "z":
            return self.latent({"z": z}, seed=seed, space="z")
        with torch.no_grad():
            w = net.mapping(z)
        if space == "w+":
            w = w.unsqueeze(1).repeat(1, net.n_latent, 1)
        return self.latent({"w": w}, seed=seed, space=space)

    @staticmethod
    def _check_space(space: str) -> None:
        if space not in SPACES:
            raise sk.SketchmlError(f"space={space!r} is not a StyleGAN2 latent space."
                                   f"{did_you_mean(space, SPACES)} Use 'z', 'w' or 'w+'.")

    def _w_plus(self, latent: Any, *, seed: int | None = None) -> torch.Tensor:
        """Any latent (Z, W, W+ Latent or tensor) as w+ ``(N, num_layers, style_dim)``."""
        net = self._require()
        lat = self.as_latent(latent, seed=seed)
        if "w" in lat.tensors:
            w = lat.tensors["w"].to(self.device, torch.float32)
        elif "z" in lat.tensors:
            z = lat.tensors["z"].to(self.device, torch.float32)
            if z.dim() != 2 or z.shape[1] != net.z_dim:
                raise sk.SketchmlError(
                    f"A StyleGAN2 z latent is (N, {net.z_dim}), got {tuple(z.shape)}; make one "
                    f"with model.sample_latent(n, seed=...), or pass W as sk.Latent({{'w': w}})."
                )
            with torch.no_grad():
                w = net.mapping(z)
        else:
            raise sk.SketchmlError(
                f"This latent has tensors {list(lat.tensors)}; a StyleGAN2 latent holds 'z' or "
                f"'w' (from sample_latent, mix or encode)."
            )
        if w.dim() == 2:
            w = w.unsqueeze(1).repeat(1, net.n_latent, 1)
        if w.dim() != 3 or w.shape[1:] != (net.n_latent, net.style_dim):
            raise sk.SketchmlError(
                f"A StyleGAN2 w latent is (N, {net.style_dim}) or (N, {net.n_latent}, "
                f"{net.style_dim}) for this model, got {tuple(w.shape)}."
            )
        return w

    def mix(self, coarse: Any, fine: Any, *, crossover: int = 4) -> sk.Latent:
        """Style mixing: a w+ latent with the first ``crossover`` layers from ``coarse`` (pose,
        shape) and the rest from ``fine`` (colours, texture). One item of either broadcasts.

        Examples:
            >>> z = gan.sample_latent(2, seed=3)  # doctest: +SKIP
            >>> gan.generate(gan.mix(z[0], z[1], crossover=8))  # doctest: +SKIP
        """
        net = self._require()
        if not isinstance(crossover, int) or not 0 < crossover < net.n_latent:
            raise sk.SketchmlError(
                f"crossover must be a layer index from 1 to {net.n_latent - 1} for this "
                f"{net.size} px model (low: only the coarse layers come from the first "
                f"latent), got {crossover!r}."
            )
        a, b = self._w_plus(coarse), self._w_plus(fine)
        if len(a) != len(b) and 1 not in (len(a), len(b)):
            raise sk.SketchmlError(f"Cannot mix {len(a)} latents with {len(b)}: give the same "
                                   f"number, or one of either.")
        a, b = torch.broadcast_tensors(a, b)
        w = torch.cat([a[:, :crossover], b[:, crossover:]], dim=1)
        return self.latent({"w": w.clone()}, space="w+", crossover=crossover)

    # -- generate ------------------------------------------------------------------------------

    def generate(self, latent: Any = None, *, truncation: float = 1.0, noise: str = "const",
                 style_mix: tuple[Any, int] | None = None, seed: int | None = None) -> sk.Images:
        """Images ``(N, 3, H, W)`` float in [0, 1] from Z, W or W+ latents.

        Args:
            latent: a Latent (``"z"`` or ``"w"``), a z tensor, a count, or ``None`` (one random).
            truncation: psi, how far each w may stray from the average: 1 (the default) is
                the model as trained, 0.7 trades variety for cleaner images, 0 gives the
                average image for every latent.
            noise: ``"const"`` (the stored noise maps: reproducible, the default), ``"random"``
                (fresh per call; reproducible with ``seed``) or ``"none"``.
            style_mix: ``(other_latent, crossover)``: layers from ``crossover`` on take their
                style from ``other_latent`` (see :meth:`mix`).
            seed: seeds the random latent (when ``latent`` is a count or ``None``) and random noise.

        Examples:
            >>> gan.generate(gan.sample_latent(4, seed=1), truncation=0.7).shape  # doctest: +SKIP
            torch.Size([4, 3, 1024, 1024])
        """
        net = self._require()
        psi = _to_float(truncation, "truncation")
        lat = self.as_latent(latent, seed=seed)
        if style_mix is not None:
            if not isinstance(style_mix, (tuple, list)) or len(style_mix) != 2:
                raise sk.SketchmlError("style_mix takes (other_latent, crossover_layer), e.g. "
                                       "style_mix=(gan.sample_latent(1, seed=2), 8).")
            lat = self.mix(lat, style_mix[0], crossover=style_mix[1])
        w = self._w_plus(lat)
        if psi != 1.0:
            avg = self.latent_avg.to(w)
            w = avg + psi * (w - avg)
        gen = torch.Generator().manual_seed(seed) if seed is not None and noise == "random" else None
        with torch.no_grad():
            image = net.synthesis(w, noise=noise, generator=gen)
        return sk.Images(image.clamp(-1, 1), latent=lat, value_range=(-1.0, 1.0))

    # -- encode ----------------------------------------------------------------------------------

    @renamed(image="data")
    def encode(self, data: Any, *, steps: int = 300, space: str = "w+", lr: float = 0.1,
               video: str | os.PathLike[str] | None = None,
               vgg: str | os.PathLike[str] | None = None, seed: int | None = None,
               progress: bool | None = None, perceptual: str | None = None,
               out: str | os.PathLike[str] | None = None) -> sk.Latent:
        """Project an image into W or W+ with a perceptual loss (Karras et al. 2020, sec. 5).

        Args:
            data: the image: a file path, PIL image, ``load_image`` result, ``(H, W, 3|4)``
                uint8 array, or a tensor ``(3, H, W)`` / ``(1, 3, H, W)`` in [0, 1];
                centre-cropped and resized.
            steps: optimisation steps (a few hundred for a photo).
            space: ``"w+"`` (one style per layer: closer fits) or ``"w"`` (one style for all).
            lr: Adam's peak learning rate (ramped up, then down).
            video: write the progression (target | current) to this ``.mp4`` / ``.gif``.
            vgg: torchvision's ``vgg16-397923af.pth`` (default: torch's hub cache).
            perceptual: the network whose features are compared: ``"vgg16"``, ``"shapes"``
                (the convolutions of the shape classifier this repository trains, shipped
                with the plugin), or ``None`` (default): VGG16 when its weights are here,
                else the shape classifier's, never random weights.
            seed: seeds the noise added to w while searching (default ``None``: a new seed,
                kept in the latent's ``seed``).
            progress: a progress bar (default: when someone can see it).
            out: deprecated: save the result with ``latent.save(path)`` instead.

        Returns a Latent ``{"w": ...}`` with ``space``, ``loss`` (at the end), ``start_loss``
        (at the average w, where the search begins) and ``perceptual`` (the network used) in
        its metadata.

        Examples:
            >>> w = gan.encode("me.jpg", steps=200, video="projection.mp4")  # doctest: +SKIP
            >>> w.save("me.safetensors")  # doctest: +SKIP
            >>> gan.generate(w).save("me-as-a-stylegan.png")  # doctest: +SKIP
        """
        from sketchml_gan.projection import project

        net = self._require()
        self._check_space(space)
        if space == "z":
            raise sk.SketchmlError("encode() projects into 'w' or 'w+', not 'z' (the mapping "
                                   "network cannot be inverted exactly); use space='w+'.")
        w, start_loss, loss, used = project(net, data, avg=self.latent_avg, steps=steps,
                                            plus=space == "w+", lr=lr, video=video, vgg=vgg,
                                            seed=seed, device=self.device, progress=progress,
                                            perceptual=perceptual)
        latent = self.latent({"w": w}, seed=seed, space=space, loss=loss, start_loss=start_loss,
                             steps=steps, perceptual=used)
        if out is not None:
            # out= is a folder everywhere else; a single file is the result's own save().
            warn_renamed("StyleGAN2.encode()", "out=", "latent.save(path)")
            latent.save(out)
        return latent

    # -- train --------------------------------------------------------------------------------------

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train a small StyleGAN2 on your images, resumably, on this model's device.

        The loss is the non-saturating logistic loss with a lazy R1 penalty and style mixing;
        the kept generator is a moving average of the trained one (``ema``), which generates
        afterwards. Without loaded weights a new generator of ``resolution`` px (32 or 64)
        is built; with weights, training continues from them. Files under ``out``:
        checkpoints (resumed automatically), ``losses.*``, ``samples/`` and
        ``stylegan2.safetensors``, which ``sk.model("stylegan2", weights=out)`` loads.

        Args:
            data: a folder of images, a video file, ``"shapes"``, a
                :class:`~sketchml.datasets.ShapesWorld`, an image tensor ``(N, 3, H, W)`` in
                [0, 1] or a dataset of images (see :func:`sketchml.training.image_dataset`).
            out: the run's folder (required).
            **options: the fields of :class:`StyleGAN2Training` (``steps``, ``resolution``,
                ``r1``, ``mixing``, ``minutes`` ...), the flags of ``sketchml train stylegan2``.

        Returns the :class:`sketchml.training.TrainingRun` (``.history``, ``.step``, ``.out``).

        Examples:
            >>> gan = sk.model("stylegan2")  # doctest: +SKIP
            >>> gan.train("sprites/", out="runs/sprites", resolution=32, steps=3000)  # doctest: +SKIP
            >>> gan.generate(gan.sample_latent(16, seed=1)).save("sprites.png")  # doctest: +SKIP
        """
        settings = StyleGAN2Training.build(self.family, options)
        if out is None:
            raise sk.SketchmlError("train() needs out='runs/NAME': the folder for checkpoints, "
                                   "samples and losses (training resumes from it).")
        run = _train(self.network, data, out=Path(out), settings=settings, device=self.device)
        self._use(copy.deepcopy(run.modules["g_ema"]), None)
        return run


# -- training -------------------------------------------------------------------------------

def _train(start: Generator | None, data: Any, *, out: Path, settings: StyleGAN2Training,
           device: torch.device) -> TrainingRun:
    """The networks, losses and loop behind :meth:`StyleGAN2.train`; returns the run."""
    if start is None and settings.resolution not in (32, 64):
        raise sk.SketchmlError(f"resolution={settings.resolution!r}: a StyleGAN2 is trained here "
                               f"at 32 or 64 px (small enough for a laptop). Pick 32 or 64.")
    size = start.size if start is not None else settings.resolution
    mixing, r1, r1_every = settings.mixing, settings.r1, settings.r1_every
    if not 0.0 <= mixing <= 1.0 or r1 < 0 or r1_every < 1:
        raise sk.SketchmlError("mixing must be in [0, 1], r1 >= 0 and r1_every >= 1.")
    seed = settings.seed_for(out)
    dataset = image_dataset(data, size=size, flip=settings.flip, frames=settings.frames,
                            seed=seed, count=settings.shapes)
    seed_everything(seed)
    if start is not None:
        g = copy.deepcopy(start).train().requires_grad_(True)
        channels = g.channels
    else:
        width = settings.width
        channels = {res: min(width, 4096 // res) if res > 16 else width
                    for res in (2 ** i for i in range(2, int(math.log2(size)) + 1))}
        g = Generator(size, style_dim=settings.style_dim, n_mlp=settings.n_mlp, channels=channels)
    d = Discriminator(size, channels=channels)
    g_ema = copy.deepcopy(g).eval().requires_grad_(False)
    # Lazy R1 scales the Adam settings by how often the penalty runs (Karras et al. 2020, app. B).
    d_ratio = r1_every / (r1_every + 1) if r1 > 0 else 1.0
    opt_g = torch.optim.Adam(g.parameters(), lr=settings.lr, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=settings.lr * d_ratio,
                             betas=(0.0, 0.99 ** d_ratio))
    fixed_z = torch.randn(16, g.z_dim, generator=torch.Generator().manual_seed(seed))

    def on_sample(run: TrainingRun) -> None:
        images = run.modules["g_ema"](fixed_z.to(run.device), noise="const")
        run.save_samples(images.clamp(-1, 1), nrow=4, value_range=(-1.0, 1.0))

    run = TrainingRun(out=out, model={"g": g, "d": d, "g_ema": g_ema},
                      optimizers={"g": opt_g, "d": opt_d}, steps=settings.steps, seed=seed,
                      device=device, checkpoint_every=settings.checkpoint_every,
                      sample_every=settings.sample_every or max(1, settings.steps // 10),
                      on_sample=on_sample, progress=settings.progress, minutes=settings.minutes,
                      should_stop=settings.should_stop, ema={"g_ema": "g"}, ema_decay=settings.ema,
                      export={"stylegan2.safetensors": "g_ema"},
                      config={"family": "stylegan2", "size": size, "style_dim": g.style_dim,
                              "n_mlp": g.n_mlp, "channels": {str(k): v for k, v in g.channels.items()}},
                      ddp_options={"broadcast_buffers": False})
    gen, disc = run.models["g"], run.models["d"]
    plain_g = run.modules["g"]
    n_latent = plain_g.n_latent

    def fake_images(batch: int) -> torch.Tensor:
        z = torch.randn(batch, plain_g.z_dim, device=run.device)
        if mixing > 0 and float(torch.rand(())) < mixing:
            cut = int(torch.randint(1, n_latent, ()))
            return gen(z, torch.randn_like(z), cut)
        return gen(z)

    for step, batch in run.loop(dataset, batch_size=min(settings.batch_size, len(dataset))):
        real = batch[0] if isinstance(batch, (list, tuple)) else batch
        count = real.shape[0]

        disc.requires_grad_(True)
        with torch.no_grad():
            fake = fake_images(count)
        loss_d = F.softplus(disc(fake)).mean() + F.softplus(-disc(real)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        logs = {"loss_d": loss_d}
        if r1 > 0 and step % r1_every == 0:
            real_grad = real.detach().requires_grad_(True)
            grad, = torch.autograd.grad(disc(real_grad).sum(), real_grad, create_graph=True)
            penalty = grad.pow(2).flatten(1).sum(1).mean()
            opt_d.zero_grad(set_to_none=True)
            (r1 / 2 * penalty * r1_every).backward()
            opt_d.step()
            logs["r1"] = penalty

        disc.requires_grad_(False)
        loss_g = F.softplus(-disc(fake_images(count))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        run.log(loss_g=loss_g, **logs)
    return run
