"""BigGAN-deep: class-conditional ImageNet images at 128, 256 and 512 px.

Brock, Donahue and Simonyan, "Large Scale GAN Training for High Fidelity Natural Image
Synthesis" (ICLR 2019), the "deep" generator. The network matches, key for key and shape for
shape, the state dicts of the published PyTorch port (huggingface/pytorch-pretrained-BigGAN,
whose ``config.json`` + ``pytorch_model.bin`` files are mirrored on the Hugging Face hub as
``osanseviero/BigGAN-deep-{128,256,512}``), so those files load unchanged:

* ``embeddings.weight`` ``[z_dim, num_classes]``: a bias-free linear map from a 1000-d class
  vector (one-hot, or any mixture) to the class embedding;
* ``generator.gen_z``: a linear map from ``[z, embedding]`` to a 4x4 grid, read in TF's
  channels-last order;
* ``generator.layers.N``: bottleneck residual blocks with conditional batch norm, and the
  self-attention block *inserted* at list index ``attention_layer_position`` (8);
* ``generator.bn`` and ``generator.conv_to_rgb`` (of whose 128 outputs only 3 are used).

Spectral norm is stored the way ``torch.nn.utils.spectral_norm`` (format version 1) stores it:
``weight_orig``, ``weight_u``, ``weight_v``; at inference the weight is ``weight_orig / sigma``
with ``sigma = u . (W v)`` from the stored vectors (no power iteration). Batch norms keep
precomputed statistics per truncation value (``running_means``/``running_vars``, ``[51, C]``,
row ``i`` for truncation ``i / 50``), looked up and blended exactly as the port does.

Use it through sketchml::

    import sketchml as sk
    gan = sk.model("biggan.deep-128")                  # config.json + weights from the caches
    images = gan.generate(seed=1, label="goldfish", truncation=0.4)

For tests and for playing without the 200 MB download, :func:`save_random_checkpoint` writes
a tiny randomly initialised checkpoint folder that loads the same way.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import SketchmlError, deprecated_alias, did_you_mean

__all__ = [
    "BigGANConfig",
    "BigGANDeep",
    "BigGANDeepNet",
    "BigGANOptions",
    "find_class",
    "imagenet_classes",
    "measure_statistics",
    "save_random_checkpoint",
]

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
"""Weight file names looked for next to ``config.json``, first found wins."""

RESOLUTIONS = (128, 256, 512)

_DATA = Path(__file__).resolve().parent / "data"


# -- configuration ------------------------------------------------------------------------

# The published configs differ only in their block lists: (upsample?, in, out) in units of
# channel_width. 256 inserts three 8-wide blocks; 512 appends two 1-wide ones.
_LAYERS_128 = [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8),
               (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)]
_LAYERS_256 = _LAYERS_128[:5] + [(True, 8, 8), (False, 8, 8)] + _LAYERS_128[5:]
_LAYERS_512 = _LAYERS_256 + [(False, 1, 1), (True, 1, 1)]
_PUBLISHED_LAYERS = {128: _LAYERS_128, 256: _LAYERS_256, 512: _LAYERS_512}


@dataclass(frozen=True)
class BigGANConfig:
    """The architecture of a BigGAN-deep generator, as in the port's ``config.json``.

    Attributes:
        layers: the generator blocks, ``(upsample, in, out)`` with widths in units of
            ``channel_width``.
        z_dim: noise size (also the class-embedding size).
        channel_width: the width unit (128 in the published models).
        num_classes: size of the class vector (1000 ImageNet classes).
        attention_layer_position: list index where the self-attention block is inserted.
        eps: batch-norm epsilon.
        n_stats: rows of truncation-indexed batch-norm statistics.
        class_names: a name per class for checkpoints that are not ImageNet's (empty for
            the published ones, whose names are :func:`imagenet_classes`).

    Examples:
        >>> BigGANConfig.published(256).resolution
        256
    """

    layers: tuple[tuple[bool, int, int], ...]
    z_dim: int = 128
    channel_width: int = 128
    num_classes: int = 1000
    attention_layer_position: int = 8
    eps: float = 1e-4
    n_stats: int = 51
    class_names: tuple[str, ...] = ()

    @classmethod
    def published(cls, resolution: int, *, channel_width: int = 128) -> BigGANConfig:
        """The published config for ``resolution`` (128, 256 or 512), optionally narrower."""
        if resolution not in _PUBLISHED_LAYERS:
            raise SketchmlError(
                f"BigGAN-deep makes 128, 256 or 512 px images, not {resolution!r}; use "
                "sk.model('biggan.deep-128'), 'biggan.deep-256' or 'biggan.deep-512' and resize "
                "the result if you need another size."
            )
        return cls(layers=tuple(_PUBLISHED_LAYERS[resolution]), channel_width=channel_width)

    @property
    def resolution(self) -> int:
        """Side of the images this generator makes: 4 doubled once per upsampling block."""
        return 4 * 2 ** sum(1 for up, _, _ in self.layers if up)

    def to_dict(self) -> dict[str, Any]:
        """The config as the port writes ``config.json`` (``output_dim`` included; ``class_names``
        only when the classes are not ImageNet's)."""
        names = {"class_names": list(self.class_names)} if self.class_names else {}
        return {
            **names,
            "attention_layer_position": self.attention_layer_position,
            "channel_width": self.channel_width,
            "class_embed_dim": self.z_dim,
            "eps": self.eps,
            "layers": [list(layer) for layer in self.layers],
            "n_stats": self.n_stats,
            "num_classes": self.num_classes,
            "output_dim": self.resolution,
            "z_dim": self.z_dim,
        }

    @classmethod
    def from_file(cls, path: Path) -> BigGANConfig:
        """Read a port-style ``config.json`` (plain JSON; nothing in it is executed)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise SketchmlError(
                f"Could not read the BigGAN config {str(path)!r}: {err}. Expected the JSON "
                "config.json that comes with the weights (e.g. from osanseviero/BigGAN-deep-128)."
            ) from err
        try:
            layers = tuple((bool(up), int(cin), int(cout)) for up, cin, cout in data["layers"])
            config = cls(
                layers=layers,
                z_dim=int(data.get("z_dim", 128)),
                channel_width=int(data.get("channel_width", 128)),
                num_classes=int(data.get("num_classes", 1000)),
                attention_layer_position=int(data.get("attention_layer_position", 8)),
                eps=float(data.get("eps", 1e-4)),
                n_stats=int(data.get("n_stats", 51)),
                class_names=tuple(str(name) for name in data.get("class_names", ())),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SketchmlError(
                f"{str(path)!r} is not a BigGAN-deep config: expected a JSON object with "
                f"'layers' as [upsample, in, out] triples, got a problem with {err}."
            ) from err
        if not layers or any(cout > cin for _, cin, cout in layers) or config.n_stats < 2:
            raise SketchmlError(
                f"{str(path)!r} describes blocks BigGAN-deep cannot build: each block's output "
                "width must not exceed its input width, and n_stats must be at least 2."
            )
        if config.class_names and len(config.class_names) != config.num_classes:
            raise SketchmlError(
                f"{str(path)!r} names {len(config.class_names)} classes but has num_classes="
                f"{config.num_classes}; give one name per class or no class_names."
            )
        return config


# -- building blocks ----------------------------------------------------------------------

class _SpectralNorm(nn.Module):
    """Shared by the spectrally normalised layers: ``weight_orig`` plus the ``u``/``v`` vectors.

    The normalised weight is kept between calls while the three tensors stay the same (same
    storage, no in-place change): dividing every weight afresh on each call would cost as
    much as the convolutions of a batch of one. It is computed afresh whenever the weights
    are being trained (they require grad), so gradients reach ``weight_orig``.
    """

    weight_orig: nn.Parameter
    weight_u: torch.Tensor
    weight_v: torch.Tensor

    def _init_spectral(self, weight: torch.Tensor) -> None:
        out_features = weight.shape[0]
        self.weight_orig = nn.Parameter(weight)
        self.register_buffer("weight_u", torch.empty(out_features))
        self.register_buffer("weight_v", torch.empty(weight[0].numel()))
        self._cached: torch.Tensor | None = None
        self._cached_for: tuple[int, ...] = ()
        self.reset_vectors()

    @torch.no_grad()
    def reset_vectors(self, iterations: int = 15) -> None:
        """Estimate the top singular vectors by power iteration (for fresh, random weights)."""
        matrix = self.weight_orig.reshape(self.weight_orig.shape[0], -1)
        if matrix.is_meta:
            return
        u = F.normalize(torch.randn(matrix.shape[0], device=matrix.device), dim=0, eps=1e-12)
        v = F.normalize(matrix.t() @ u, dim=0, eps=1e-12)
        for _ in range(iterations):
            v = F.normalize(matrix.t() @ u, dim=0, eps=1e-12)
            u = F.normalize(matrix @ v, dim=0, eps=1e-12)
        self.weight_u.copy_(u)
        self.weight_v.copy_(v)

    def _compute_weight(self) -> torch.Tensor:
        matrix = self.weight_orig.reshape(self.weight_orig.shape[0], -1)
        sigma = torch.dot(self.weight_u, torch.mv(matrix, self.weight_v))
        return self.weight_orig / sigma

    def normalised_weight(self) -> torch.Tensor:
        """``weight_orig / sigma``, ``sigma = u . (W v)`` with the stored vectors (the port at eval).

        In training mode each call first takes one power-iteration step, so ``u`` and ``v``
        follow the weights as they change (Miyato et al. 2018; what BigGAN trains with).
        """
        if self.training:
            with torch.no_grad():
                matrix = self.weight_orig.reshape(self.weight_orig.shape[0], -1)
                v = F.normalize(matrix.t() @ self.weight_u, dim=0, eps=1e-12)
                self.weight_u.copy_(F.normalize(matrix @ v, dim=0, eps=1e-12))
                self.weight_v.copy_(v)
        if self.weight_orig.requires_grad and torch.is_grad_enabled():
            return self._compute_weight()
        tensors = (self.weight_orig, self.weight_u, self.weight_v)
        key = tuple(n for t in tensors for n in (t.data_ptr(), t._version))
        if self._cached is None or key != self._cached_for:
            # A plain tensor even inside inference_mode, so autograd (e.g. gradients to z
            # for CLIP guidance) may use it later.
            with torch.inference_mode(False), torch.no_grad():
                self._cached = self._compute_weight()
            self._cached_for = key
        return self._cached


class SNLinear(_SpectralNorm):
    """A spectrally normalised linear layer (keys ``[bias,] weight_orig, weight_u, weight_v``)."""

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True) -> None:
        super().__init__()
        plain = nn.Linear(in_features, out_features, bias=bias)
        # The port's modules register the bias before weight_orig: keep its key order.
        self.bias = plain.bias
        self._init_spectral(plain.weight.data)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.normalised_weight(), self.bias)


class SNConv2d(_SpectralNorm):
    """A spectrally normalised 2-D convolution with 'same' padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, *,
                 bias: bool = True) -> None:
        super().__init__()
        plain = nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)
        self.bias = plain.bias
        self.padding = kernel_size // 2
        self._init_spectral(plain.weight.data)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.normalised_weight(), self.bias, padding=self.padding)


def _stats_rows(means: torch.Tensor, variances: torch.Tensor,
                truncation: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch-norm statistics for ``truncation``: one row, or a blend of two neighbours.

    Row ``i`` belongs to truncation ``i / (n_stats - 1)``. Between rows the port weights the
    *lower* row by the fractional part (``f * row[k] + (1 - f) * row[k + 1]``), the reverse
    of ordinary interpolation; it is kept for parity with the published models. Truncations
    above 1 (allowed here, refused by the port) use the last row.
    """
    last = means.shape[0] - 1
    fraction, whole = math.modf(truncation / (1.0 / last))
    index = int(whole)
    if index >= last:
        return means[last], variances[last]
    if fraction == 0.0:
        return means[index], variances[index]
    return (means[index] * fraction + means[index + 1] * (1 - fraction),
            variances[index] * fraction + variances[index + 1] * (1 - fraction))


class TruncationBatchNorm(nn.Module):
    """Inference batch norm whose statistics are chosen by the truncation value.

    Conditional (inside blocks): the gain ``1 + scale(cond)`` and the bias ``offset(cond)``
    come from spectrally normalised linear maps of the conditioning vector. Unconditional
    (the last one): a learned ``weight`` and ``bias``. In training mode it normalises by the
    batch's own statistics; :func:`measure_statistics` then fills the truncation rows.
    """

    def __init__(self, channels: int, *, cond_dim: int | None, n_stats: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.conditional = cond_dim is not None
        if cond_dim is None:
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_means", torch.zeros(n_stats, channels))
        self.register_buffer("running_vars", torch.ones(n_stats, channels))
        if cond_dim is not None:
            self.scale = SNLinear(cond_dim, channels, bias=False)
            self.offset = SNLinear(cond_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, truncation: float,
                cond: torch.Tensor | None = None) -> torch.Tensor:
        if self.training:
            mean = var = None
        else:
            mean, var = _stats_rows(self.running_means, self.running_vars, truncation)
        if not self.conditional:
            return F.batch_norm(x, mean, var, self.weight, self.bias, self.training, 0.0, self.eps)
        normalised = F.batch_norm(x, mean, var, None, None, self.training, 0.0, self.eps)
        gain = 1 + self.scale(cond)
        return normalised * gain[:, :, None, None] + self.offset(cond)[:, :, None, None]


class GenBlock(nn.Module):
    """A bottleneck residual block: 1x1 down to a quarter, two 3x3, 1x1 back out.

    Every convolution follows a conditional batch norm and a ReLU; upsampling blocks double
    the size (nearest) before the first 3x3. The skip keeps the first ``out`` channels and is
    upsampled the same way.
    """

    def __init__(self, in_channels: int, out_channels: int, *, upsample: bool, cond_dim: int,
                 n_stats: int, eps: float) -> None:
        super().__init__()
        mid = in_channels // 4
        norm = {"cond_dim": cond_dim, "n_stats": n_stats, "eps": eps}
        self.bn_0 = TruncationBatchNorm(in_channels, **norm)
        self.conv_0 = SNConv2d(in_channels, mid, 1)
        self.bn_1 = TruncationBatchNorm(mid, **norm)
        self.conv_1 = SNConv2d(mid, mid, 3)
        self.bn_2 = TruncationBatchNorm(mid, **norm)
        self.conv_2 = SNConv2d(mid, mid, 3)
        self.bn_3 = TruncationBatchNorm(mid, **norm)
        self.conv_3 = SNConv2d(mid, out_channels, 1)
        self.upsample = upsample
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor, cond: torch.Tensor, truncation: float) -> torch.Tensor:
        skip = x
        x = self.conv_0(F.relu(self.bn_0(x, truncation, cond)))
        x = F.relu(self.bn_1(x, truncation, cond))
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.conv_1(x)
        x = self.conv_2(F.relu(self.bn_2(x, truncation, cond)))
        x = self.conv_3(F.relu(self.bn_3(x, truncation, cond)))
        skip = skip[:, :self.out_channels]
        if self.upsample:
            skip = F.interpolate(skip, scale_factor=2, mode="nearest")
        return x + skip


class SelfAttention(nn.Module):
    """SAGAN self-attention: keys and values max-pooled 2x2, the result added with gain ``gamma``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))
        self.snconv1x1_theta = SNConv2d(channels, channels // 8, 1, bias=False)
        self.snconv1x1_phi = SNConv2d(channels, channels // 8, 1, bias=False)
        self.snconv1x1_g = SNConv2d(channels, channels // 2, 1, bias=False)
        self.snconv1x1_o_conv = SNConv2d(channels // 2, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        query = self.snconv1x1_theta(x).flatten(2)                       # (N, C/8, HW)
        key = F.max_pool2d(self.snconv1x1_phi(x), 2).flatten(2)          # (N, C/8, HW/4)
        value = F.max_pool2d(self.snconv1x1_g(x), 2).flatten(2)          # (N, C/2, HW/4)
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)   # (N, HW, HW/4)
        attended = (value @ attention.transpose(1, 2)).reshape(n, -1, h, w)
        return x + self.gamma * self.snconv1x1_o_conv(attended)


class _Generator(nn.Module):
    def __init__(self, config: BigGANConfig) -> None:
        super().__init__()
        width = config.channel_width
        cond_dim = 2 * config.z_dim
        self.first_channels = config.layers[0][1] * width
        self.gen_z = SNLinear(cond_dim, 4 * 4 * self.first_channels)
        layers: list[nn.Module] = []
        for i, (upsample, cin, cout) in enumerate(config.layers):
            if i == config.attention_layer_position:
                layers.append(SelfAttention(cin * width))
            layers.append(GenBlock(cin * width, cout * width, upsample=upsample, cond_dim=cond_dim,
                                   n_stats=config.n_stats, eps=config.eps))
        self.layers = nn.ModuleList(layers)
        last = config.layers[-1][2] * width
        self.bn = TruncationBatchNorm(last, cond_dim=None, n_stats=config.n_stats, eps=config.eps)
        self.conv_to_rgb = SNConv2d(last, last, 3)

    def forward(self, cond: torch.Tensor, truncation: float) -> torch.Tensor:
        # gen_z's outputs are laid out as TF wrote them: (h, w, channel), channel fastest.
        x = self.gen_z(cond).reshape(-1, 4, 4, self.first_channels).permute(0, 3, 1, 2)
        for layer in self.layers:
            x = layer(x, cond, truncation) if isinstance(layer, GenBlock) else layer(x)
        x = F.relu(self.bn(x, truncation))
        return torch.tanh(self.conv_to_rgb(x)[:, :3])


class BigGANDeepNet(nn.Module):
    """The BigGAN-deep generator network (the bare ``nn.Module``; state dict as the port's).

    ``forward(z, class_vector, truncation)`` takes noise ``(N, z_dim)`` (already truncated:
    the network never truncates it), class vectors ``(N, num_classes)`` and one truncation
    value (it picks the batch-norm statistics), and returns ``(N, 3, H, W)`` in [-1, 1].

    Examples:
        >>> import torch
        >>> net = BigGANDeepNet(BigGANConfig.published(128, channel_width=4)).eval()
        >>> y = torch.nn.functional.one_hot(torch.tensor([1]), 1000).float()
        >>> net(torch.zeros(1, 128), y, 0.4).shape
        torch.Size([1, 3, 128, 128])
    """

    def __init__(self, config: BigGANConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = nn.Linear(config.num_classes, config.z_dim, bias=False)
        self.generator = _Generator(config)

    def forward(self, z: torch.Tensor, class_vector: torch.Tensor, truncation: float) -> torch.Tensor:
        cond = torch.cat([z, self.embeddings(class_vector)], dim=1)
        return self.generator(cond, truncation)


# -- class names ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[tuple[str, ...], ...]:
    """The 1000 ImageNet classes in index order, each a tuple of names (short name first).

    Examples:
        >>> imagenet_classes()[1]
        ('goldfish', 'Carassius auratus')
    """
    rows = json.loads((_DATA / "imagenet_classes.json").read_text(encoding="utf-8"))
    return tuple(tuple(names) for names in rows)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def find_class(name: str) -> int:
    """The ImageNet class index for a name, exact or by the first class that mentions it.

    1. A class whose name or synonym equals ``name`` (ignoring case): ``"goldfish"`` -> 1,
       ``"tabby cat"`` -> 281 (a synonym of "tabby").
    2. Otherwise the first class (by index) one of whose names contains ``name`` as whole
       words: ``"elephant"`` -> 385 ("Indian elephant"), ``"truck"`` -> 555 ("fire engine,
       fire truck").
    3. Otherwise an error with "did you mean" suggestions.

    Examples:
        >>> find_class("goldfish"), find_class("tabby cat"), find_class("elephant")
        (1, 281, 385)
    """
    classes = imagenet_classes()
    wanted = name.strip().lower()
    for index, names in enumerate(classes):
        if any(wanted == n.lower() for n in names):
            return index
    query = _words(wanted)
    if query:
        for index, names in enumerate(classes):
            for n in names:
                words = _words(n)
                if any(words[i:i + len(query)] == query for i in range(len(words) - len(query) + 1)):
                    return index
    every = [n for names in classes for n in names]
    close = did_you_mean(name, every) or did_you_mean(name.lower(), [n.lower() for n in every])
    raise SketchmlError(
        f"{name!r} is not an ImageNet class name.{close} Use one of the 1000 ImageNet names "
        "(e.g. 'goldfish', 'tabby cat', 'volcano'), a part of one ('elephant'), or a class "
        "index 0-999; sketchml_gan.biggan.imagenet_classes() lists them all."
    )


# -- the family -----------------------------------------------------------------------------

@dataclass
class BigGANOptions:
    """Options of ``sk.model("biggan...")``."""

    resolution: int = 256
    """Image size in pixels: 128, 256 or 512. Set by the variant (``biggan.deep-128`` ...);
    asking another picks the matching variant's weights. Another size loads a checkpoint of
    that size given with ``weights=`` (e.g. 32 from ``scripts/train_biggan_shapes.py``)."""


class BigGANDeep(sk.Model):
    """BigGAN-deep: ImageNet images by class, with truncation, class mixing and latent walks.

    A latent holds ``"z"``, the noise ``(N, 128)`` already truncated, and ``"y"``, the class
    vectors ``(N, 1000)``; its metadata keeps the truncation it was sampled with. Walks
    slerp the noise and lerp the class vectors. The bare network is ``model.network``
    (a :class:`BigGANDeepNet`).

    ``truncation`` is psi in (0, 1] as in every GAN family (1 = none, smaller = closer to
    the class's average picture; above 1 is allowed and gives strange pictures). BigGAN
    maps it the way its published port does: the noise is a normal truncated to [-2, 2]
    times psi, and the network's batch-norm uses the statistics measured at psi.

    ``biggan.shapes`` ships inside the plugin: a 32 px checkpoint of this network whose five
    classes are the shapes world's shapes (``scripts/train_biggan_shapes.py``), so it runs
    offline. Weights: a folder with ``config.json`` and ``model.safetensors`` or
    ``pytorch_model.bin`` (the published port's files), found through ``weights=folder``, the sketchml cache
    (``~/.cache/sketchml/weights/biggan/deep-256/``), the Hugging Face cache, or the hub when
    online. A weights file on its own uses the published config for the resolution.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> from sketchml_gan.biggan import save_random_checkpoint
        >>> folder = save_random_checkpoint(tempfile.mkdtemp(), resolution=128, channel_width=4)
        >>> gan = sk.model("biggan.deep-128", weights=folder, device="cpu")
        >>> gan.generate(seed=1, label="goldfish").shape
        torch.Size([1, 3, 128, 128])
    """

    Options = BigGANOptions
    interpolation = {"z": "slerp", "y": "lerp"}
    hints = {
        "encode": "BigGAN-deep has no encoder; search its latents with a CLIP-guided optimiser, "
                  "or use stylegan2's encode() to project a photo",
        "train": "train a dcgan on your own images (sk.model('dcgan').train(folder))",
    }

    network: BigGANDeepNet
    net = deprecated_alias("network")
    config: BigGANConfig

    def load(self) -> None:
        self._pick_variant()
        config, state, source = self._read_checkpoint()
        if config.resolution != self.options.resolution:
            raise SketchmlError(
                f"The checkpoint {source} makes {config.resolution} px images but model "
                f"{self.name!r} is {self.options.resolution} px; load it as "
                f"sk.model('biggan.deep-{config.resolution}', weights=...) instead."
            )
        # Built on the meta device: the checkpoint's tensors become the parameters directly,
        # with no random initialisation of 50M weights that would be overwritten at once.
        with torch.device("meta"):
            net = BigGANDeepNet(config)
        _check_keys(net, state, source)
        state = {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
        net.load_state_dict(state, strict=True, assign=True)
        self.config = config
        self.network = net.eval().requires_grad_(False).to(self.device)

    def _pick_variant(self) -> None:
        resolution = self.options.resolution
        if self.variant is not None and self.variant.options.get("resolution") == resolution:
            return
        power_of_two = isinstance(resolution, int) and resolution >= 8 and not resolution & (resolution - 1)
        if resolution not in RESOLUTIONS and self.weights is not None and power_of_two:
            # A checkpoint of your own (scripts/train_biggan_shapes.py): load() checks its size.
            return
        if resolution not in RESOLUTIONS:
            raise SketchmlError(
                f"BigGAN-deep makes 128, 256 or 512 px images, not resolution={resolution!r}; "
                "use sk.model('biggan.deep-128'), 'biggan.deep-256' or 'biggan.deep-512' and "
                "resize the result if you need another size."
            )
        wanted = f"deep-{resolution}"
        if self.spec is not None and self.variant.name != wanted and wanted in self.spec.variants:
            self.variant = self.spec.variants[wanted]
            self.name = f"{self.family}.{wanted}"

    # -- weights ------------------------------------------------------------------------------

    def _read_checkpoint(self) -> tuple[BigGANConfig, dict[str, torch.Tensor], str]:
        config_file, weights_file = self._locate()
        if config_file is not None:
            config = BigGANConfig.from_file(config_file)
        else:
            config = BigGANConfig.published(self.options.resolution)
        state = sk.load_weights(weights_file, map_location="cpu")
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise SketchmlError(
                f"{str(weights_file)!r} does not hold a plain state dict ({{name: tensor}}); "
                "expected the BigGAN-deep port's pytorch_model.bin or a model.safetensors."
            )
        return config, state, repr(str(weights_file))

    def _locate(self) -> tuple[Path | None, Path]:
        """``(config.json or None, weights file)`` from ``weights=``, the caches or the hub."""
        if self.weights is not None:
            given = Path(self.weights).expanduser()
            if given.is_dir():
                found = next((given / n for n in WEIGHT_FILES if (given / n).is_file()), None)
                if found is None:
                    raise SketchmlError(
                        f"The folder {str(given)!r} has no BigGAN weights: expected config.json "
                        f"and one of {', '.join(WEIGHT_FILES)} (the files of the Hugging Face "
                        f"repository osanseviero/BigGAN-deep-{self.options.resolution})."
                    )
                return _config_beside(found), found
            path = self.weights_path()
            return _config_beside(path), path
        if self.variant is not None and self.variant.weights is not None:
            # An embedded variant: its folder inside the plugin holds both files.
            path = self.weights_path()
            return _config_beside(path), path
        for name in WEIGHT_FILES:
            found = self.weights_path(name, required=False)
            if found is not None:
                return _config_beside(found), found
        # Only the port's own file name exists on the hub; this downloads when online.
        path = self.weights_path("pytorch_model.bin")
        return _config_beside(path), path

    # -- classes ------------------------------------------------------------------------------

    @property
    def class_names(self) -> list[str]:
        """The short name of each class, by index (``gan.class_names[1] == "goldfish"`` for the
        published ImageNet models; a checkpoint's own names when its config has them)."""
        if self.config.class_names:
            return list(self.config.class_names)
        return [names[0] for names in imagenet_classes()]

    def class_vector(self, label: Any, n: int = 1) -> torch.Tensor:
        """Class vectors ``(n, num_classes)`` for a label.

        ``label`` is a class index, an ImageNet name (see :func:`find_class`), a dict of
        weights (``{"elephant": 0.5, "truck": 0.5}``; used as given, they need not sum to 1),
        a tensor ``(num_classes,)`` or ``(n, num_classes)``, or a list of ``n`` of these (one
        per image).

        Examples:
            >>> import tempfile, sketchml as sk
            >>> from sketchml_gan.biggan import save_random_checkpoint
            >>> folder = save_random_checkpoint(tempfile.mkdtemp(), resolution=128, channel_width=4)
            >>> gan = sk.model("biggan.deep-128", weights=folder, device="cpu")
            >>> gan.class_vector({"goldfish": 0.25, 281: 0.75})[0, [1, 281]].tolist()
            [0.25, 0.75]
        """
        classes = self.config.num_classes
        if isinstance(label, torch.Tensor):
            vector = label.detach().float().to(self.device)
            if vector.shape == (classes,):
                return vector.expand(n, classes).clone()
            if vector.shape == (n, classes):
                return vector
            raise SketchmlError(
                f"A class-vector label must be shaped ({classes},) or ({n}, {classes}), got "
                f"{tuple(vector.shape)}."
            )
        if isinstance(label, (list, tuple)):
            if len(label) != n:
                raise SketchmlError(
                    f"Got {len(label)} labels for {n} images; give one label per image, or a "
                    "single label for all of them."
                )
            return torch.cat([self.class_vector(item, 1) for item in label])
        weights = label.items() if isinstance(label, dict) else [(label, 1.0)]
        vector = torch.zeros(classes)
        for key, weight in weights:
            vector[self._class_index(key)] += float(weight)
        return vector.expand(n, classes).clone().to(self.device)

    def _class_index(self, key: Any) -> int:
        classes = self.config.num_classes
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise SketchmlError(
                f"A class is an index (0-{classes - 1}) or a class name, got {key!r} "
                f"({type(key).__name__})."
            )
        if isinstance(key, int):
            if not 0 <= key < classes:
                raise SketchmlError(f"Class index {key} is out of range: use 0-{classes - 1}.")
            return key
        names = self.config.class_names
        if names:
            if key.strip().lower() in names:
                return names.index(key.strip().lower())
            raise SketchmlError(
                f"{key!r} is not a class of {self.name}.{did_you_mean(key, names)} Its classes "
                f"are {', '.join(names)} (or an index 0-{classes - 1})."
            )
        if classes != len(imagenet_classes()):
            raise SketchmlError(
                f"This checkpoint has {classes} classes, not ImageNet's 1000, so classes have no "
                f"names: use an index 0-{classes - 1}."
            )
        return find_class(key)

    # -- the verbs ----------------------------------------------------------------------------

    def sample_latent(self, n: int = 1, *, seed: int | None = None, truncation: float = 1.0,
                      label: Any = None) -> sk.Latent:
        """``n`` latents: truncated-normal noise and class vectors (random classes by default).

        The noise is a standard normal truncated to [-2, 2], times ``truncation`` (psi,
        default 1: no truncation beyond the port's own [-2, 2]). Without ``label`` each
        latent gets one random class, drawn from the same ``seed``.

        Examples:
            >>> import tempfile, sketchml as sk
            >>> from sketchml_gan.biggan import save_random_checkpoint
            >>> folder = save_random_checkpoint(tempfile.mkdtemp(), resolution=128, channel_width=4)
            >>> gan = sk.model("biggan.deep-128", weights=folder, device="cpu")
            >>> z = gan.sample_latent(2, seed=1, label="goldfish", truncation=0.4)
            >>> z["z"].shape, z["y"].shape, z.metadata["truncation"]
            (torch.Size([2, 128]), torch.Size([2, 1000]), 0.4)
        """
        truncation = _check_truncation(truncation)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise SketchmlError(f"n must be a whole number of latents >= 1, got {n!r}.")
        gen = self.generator(seed)
        z = sk.truncated_normal((n, self.config.z_dim), 2.0, gen) * truncation
        if label is None:
            picks = torch.randint(0, self.config.num_classes, (n,), generator=gen)
            y = F.one_hot(picks, self.config.num_classes).float()
        else:
            y = self.class_vector(label, n)
        extra = {"label": label} if _jsonable_label(label) else {}
        return self.latent({"z": z.to(self.device), "y": y.to(self.device)}, seed=seed,
                           truncation=truncation, **extra)

    def generate(self, latent: Any = None, *, truncation: float | None = None, label: Any = None,
                 seed: int | None = None) -> sk.Images:
        """Images ``(N, 3, H, W)`` float in [0, 1] from latents, or fresh ones from a seed.

        Args:
            latent: a Latent from :meth:`sample_latent` / :meth:`interpolate` / a file, a
                noise tensor ``(N, 128)`` (then ``label`` is needed), a count ``n``, or
                ``None`` (one image).
            truncation: psi, as in every GAN family: 1 is none, smaller is closer to the
                class's average picture (0.1-0.5: clean, typical images), above 1 strange.
                It picks the network's batch-norm statistics and, for new latents, the
                noise scale. Default: the latent's own truncation, else 1.
            label: the class (index, name, ``{"name": weight}`` mix, tensor, or one per
                image); replaces the latent's classes when given.
            seed: for new latents.

        Examples:
            >>> import tempfile, sketchml as sk
            >>> from sketchml_gan.biggan import save_random_checkpoint
            >>> folder = save_random_checkpoint(tempfile.mkdtemp(), resolution=128, channel_width=4)
            >>> gan = sk.model("biggan.deep-128", weights=folder, device="cpu")
            >>> images = gan.generate(2, seed=3, label={"elephant": 0.5, "truck": 0.5})
            >>> images.shape, bool(images.min() >= 0 and images.max() <= 1)
            (torch.Size([2, 3, 128, 128]), True)
        """
        if latent is None or (isinstance(latent, int) and not isinstance(latent, bool)):
            latent = self.sample_latent(1 if latent is None else latent, seed=seed,
                                        truncation=1.0 if truncation is None else truncation,
                                        label=label)
        else:
            latent = self.as_latent(latent)
            if truncation is None:
                truncation = latent.metadata.get("truncation", 1.0)
            tensors = dict(latent.tensors)
            if label is not None:
                tensors["y"] = self.class_vector(label, len(latent))
            elif "y" not in tensors:
                raise SketchmlError(
                    "This latent has noise but no class vectors ('y'); pass label=... (a class "
                    "name or index), or make latents with gan.sample_latent()."
                )
            meta = {**latent.metadata, "truncation": _check_truncation(truncation)}
            if label is not None:
                meta.pop("label", None)
                if _jsonable_label(label):
                    meta["label"] = label
            latent = sk.Latent(tensors, **meta)
        z, y = latent["z"], latent["y"]
        if z.dim() != 2 or z.shape[1] != self.config.z_dim or y.shape != (len(latent), self.config.num_classes):
            raise SketchmlError(
                f"BigGAN latents are z ({len(latent)}, {self.config.z_dim}) and y "
                f"({len(latent)}, {self.config.num_classes}), got z {tuple(z.shape)} and y "
                f"{tuple(y.shape)}; make them with gan.sample_latent()."
            )
        # no_grad rather than inference_mode: the images stay ordinary tensors that sketches
        # may change in place or feed to autograd (e.g. as a CLIP target).
        with torch.no_grad():
            out = self.network(z.float(), y.float(), float(latent.metadata["truncation"]))
        return sk.Images(((out + 1) / 2).clamp(0, 1), latent=latent)


# -- helpers --------------------------------------------------------------------------------

def _config_beside(path: Path) -> Path | None:
    config = path.with_name("config.json")
    return config if config.is_file() else None


def _check_truncation(truncation: Any) -> float:
    if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) or not truncation > 0:
        raise SketchmlError(
            f"truncation must be a number > 0: psi, 1 for none, 0.1-0.5 for clean typical "
            f"images, above 1 for strange ones; "
            f"got {truncation!r}."
        )
    return float(truncation)


def _jsonable_label(label: Any) -> bool:
    if isinstance(label, (str, int)) and not isinstance(label, bool):
        return True
    if isinstance(label, dict):
        # JSON turns int keys into strings, so only name-keyed mixes are kept as metadata.
        return all(isinstance(k, str) and isinstance(v, (int, float)) for k, v in label.items())
    if isinstance(label, (list, tuple)):
        return all(_jsonable_label(item) for item in label)
    return False


def _check_keys(net: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Refuse a checkpoint of another architecture, naming the first differing keys."""
    expected = {key: tuple(value.shape) for key, value in net.state_dict().items()}
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    wrong = [f"{key} {tuple(state[key].shape)} (expected {expected[key]})"
             for key in expected if key in state and tuple(state[key].shape) != expected[key]]
    if not (missing or unexpected or wrong):
        return

    def first(items: list[str]) -> str:
        more = f" and {len(items) - 5} more" if len(items) > 5 else ""
        return ", ".join(items[:5]) + more

    parts = [f"{len(missing)} missing keys: {first(missing)}" if missing else "",
             f"{len(unexpected)} unexpected keys: {first(unexpected)}" if unexpected else "",
             f"{len(wrong)} keys of the wrong shape: {first(wrong)}" if wrong else ""]
    raise SketchmlError(
        f"{source} is not a BigGAN-deep checkpoint for this config: "
        + "; ".join(p for p in parts if p)
        + ". Expected the state dict of the published PyTorch port (config.json + "
        "pytorch_model.bin from osanseviero/BigGAN-deep-RES), with the config.json that came "
        "with it in the same folder."
    )


def save_random_checkpoint(folder: str | os.PathLike[str], *, resolution: int = 128,
                           channel_width: int = 4, seed: int = 0) -> Path:
    """Write a randomly initialised BigGAN-deep checkpoint folder (config.json + model.safetensors).

    The published architecture for ``resolution``, narrowed to ``channel_width`` (128 is
    full size): it loads exactly as downloaded weights do, so tests and sketches can run
    offline. Random weights make abstract colour fields, not objects. Each file is written
    atomically.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> folder = save_random_checkpoint(tempfile.mkdtemp(), resolution=128)
        >>> sorted(p.name for p in folder.iterdir())
        ['config.json', 'model.safetensors']
    """
    from safetensors.torch import save_file

    config = BigGANConfig.published(resolution, channel_width=channel_width)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = BigGANDeepNet(config).eval()
        for module in net.modules():
            if isinstance(module, SelfAttention):
                module.gamma.data.fill_(0.1)
        _calibrate_statistics(net, torch.Generator().manual_seed(seed))
    out = Path(folder).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    state = {key: value.contiguous() for key, value in net.state_dict().items()}
    _atomic(out / "model.safetensors", lambda tmp: save_file(state, str(tmp)))
    text = json.dumps(config.to_dict(), indent=2) + "\n"
    _atomic(out / "config.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return out


def _calibrate_statistics(net: BigGANDeepNet, gen: torch.Generator, *, batch: int = 4) -> None:
    """Give random batch norms the statistics of their own inputs, as trained ones have.

    Without this, activations shrink layer after layer and random weights paint one flat
    colour. The truncation-1 row gets the measured statistics; lower rows drift away from
    them, so truncation changes the picture as it does in a trained model.
    """
    config = net.config
    z = sk.truncated_normal((batch, config.z_dim), 2.0, gen)
    y = F.one_hot(torch.randint(0, config.num_classes, (batch,), generator=gen), config.num_classes).float()
    drift = 1 - torch.linspace(0, 1, config.n_stats)[:, None]  # 1 at truncation 0, 0 at 1

    def measure(module: TruncationBatchNorm, args: tuple[Any, ...]) -> None:
        x = args[0]
        mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3)).clamp_min(1e-6)
        shift = torch.randn(mean.shape, generator=gen) * var.sqrt()
        module.running_means.copy_(mean + 0.5 * drift * shift)
        module.running_vars.copy_(var * (1 + 0.5 * drift))

    norms = [m for m in net.modules() if isinstance(m, TruncationBatchNorm)]
    hooks = [m.register_forward_pre_hook(measure) for m in norms]
    try:
        with torch.no_grad():
            net(z, y, 1.0)
    finally:
        for hook in hooks:
            hook.remove()


@torch.no_grad()
def measure_statistics(net: BigGANDeepNet, *, batch: int = 256, seed: int = 0) -> None:
    """Fill every truncation row of the batch norms with statistics measured at that truncation.

    What the published port's rows hold: row ``i`` is the batch statistics of each batch
    norm's input when the noise is a normal truncated to [-2, 2] times ``i / (n_stats - 1)``
    and the classes are drawn at random. Run it once on a generator trained with batch
    statistics (in training mode) before it generates in eval mode.

    Examples:
        >>> net = BigGANDeepNet(BigGANConfig(layers=((True, 2, 1),), channel_width=8,
        ...                     z_dim=8, num_classes=3, attention_layer_position=9))
        >>> measure_statistics(net, batch=8)
        >>> bool(net.generator.bn.running_vars[0].lt(net.generator.bn.running_vars[-1]).any())
        True
    """
    config = net.config
    gen = torch.Generator().manual_seed(seed)
    device = next(net.parameters()).device
    norms = [m for m in net.modules() if isinstance(m, TruncationBatchNorm)]
    modes = {m: m.training for m in net.modules()}
    row = 0

    def measure(module: TruncationBatchNorm, args: tuple[Any, ...]) -> None:
        x = args[0]
        module.running_means[row] = x.mean(dim=(0, 2, 3))
        module.running_vars[row] = x.var(dim=(0, 2, 3), unbiased=False)

    net.eval()
    for norm in norms:
        norm.train()
    hooks = [m.register_forward_pre_hook(measure) for m in norms]
    try:
        for row in range(config.n_stats):
            psi = row / (config.n_stats - 1)
            z = sk.truncated_normal((batch, config.z_dim), 2.0, gen) * psi
            picks = torch.randint(0, config.num_classes, (batch,), generator=gen)
            y = F.one_hot(picks, config.num_classes).float()
            net(z.to(device), y.to(device), psi)
    finally:
        for hook in hooks:
            hook.remove()
        for module, mode in modes.items():
            module.train(mode)


def _atomic(target: Path, write: Any) -> None:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
