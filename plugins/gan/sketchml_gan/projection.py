"""Projecting an image into a StyleGAN2's W / W+ space with a VGG16 perceptual loss.

The search follows Karras et al. 2020 ("Analyzing and Improving the Image Quality of
StyleGAN", section 5 and appendix D): start from the average w, optimise it with Adam under a
learning rate that ramps up then down along a cosine, and add Gaussian noise to w whose
strength fades out over the first three quarters, so the search explores before it settles.
The distance is perceptual: features of torchvision's VGG16 (relu1_2, relu2_2, relu3_3,
relu4_3), each unit-normalised over channels (the normalisation LPIPS uses, without its
learned weights), plus a small pixel term.

VGG16's weights are never downloaded here: they are read from torch's hub cache
(``$TORCH_HOME/hub/checkpoints/vgg16-397923af.pth``, where ``torchvision.models.vgg16(
weights="DEFAULT")`` puts them) or from a path given with ``vgg=``. Only the convolution
weights (``features.*``) are used; the file is loaded without running code.

Offline, where VGG16's weights are absent, the features come from a network this repository
trains instead of random ones: the convolutions of the shape classifier shipped beside
``dcgan.shapes`` (:class:`ShapeFeatures`, trained on the shapes world by
``scripts/train_dcgan_shapes.py``). They see shapes, edges and colour regions, which is what
the generators trained here (``stylegan2.shapes``) draw; for photos, get VGG16.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import did_you_mean, progress_bar

__all__ = ["PERCEPTUAL", "SHAPES_CLASSIFIER", "VGG16_FILE", "ShapeFeatures", "VGGFeatures",
           "default_vgg_path", "load_target", "perceptual_features", "project"]

VGG16_FILE = "vgg16-397923af.pth"
VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
# torchvision's VGG16 ("D") feature stack up to relu4_3, by index in ``vgg16().features``.
_VGG16_CONVS = [(0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128), (10, 128, 256),
                (12, 256, 256), (14, 256, 256), (17, 256, 512), (19, 512, 512), (21, 512, 512)]
_POOLS = (4, 9, 16)
_TAPS = (3, 8, 15, 22)  # relu1_2, relu2_2, relu3_3, relu4_3: outputs after these indices
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)

PERCEPTUAL = ("vgg16", "shapes")
"""The perceptual networks projection can measure with."""
SHAPES_CLASSIFIER = Path(__file__).resolve().parent / "weights" / "shapes-classifier.safetensors"
"""The shape classifier shipped with the plugin, whose convolutions :class:`ShapeFeatures` use."""


def default_vgg_path() -> Path:
    """Where torchvision keeps VGG16's weights: ``torch.hub.get_dir()/checkpoints/vgg16-397923af.pth``.

    Examples:
        >>> default_vgg_path().name
        'vgg16-397923af.pth'
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG16_FILE


class VGGFeatures(nn.Module):
    """VGG16's convolutional stack up to relu4_3, keyed like torchvision's ``vgg16().features``.

    Examples:
        >>> net = VGGFeatures()
        >>> [f.shape[1] for f in net(torch.rand(1, 3, 32, 32))]
        [64, 128, 256, 512]
    """

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        convs = {index: (cin, cout) for index, cin, cout in _VGG16_CONVS}
        for index in range(_TAPS[-1] + 1):
            if index in convs:
                layers.append(nn.Conv2d(*convs[index], kernel_size=3, padding=1))
            elif index in _POOLS:
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers.append(nn.ReLU(inplace=False))
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """``images`` ``(N, 3, H, W)`` in [0, 1] -> the four tapped feature maps."""
        x = (images - self.mean) / self.std
        out = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in _TAPS:
                out.append(x)
        return out

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> VGGFeatures:
        """Load torchvision's VGG16 weights (a full ``vgg16`` state dict or just ``features.*``)."""
        file = Path(path) if path is not None else default_vgg_path()
        if not file.is_file():
            given = "the vgg= path" if path is not None else "torch's hub cache"
            raise sk.SketchmlError(
                f"Projection needs torchvision's VGG16 weights for its perceptual loss, and "
                f"{given} has no file at {file}. On a machine with internet, download "
                f"{VGG16_URL} (528 MB; or run torchvision.models.vgg16(weights='DEFAULT') once) "
                f"and put it at {default_vgg_path()}, or pass vgg='path/to/{VGG16_FILE}'."
            )
        state = sk.load_weights(file)
        net = cls()
        wanted = net.features.state_dict()
        missing = [f"features.{k}" for k in wanted if f"features.{k}" not in state]
        if missing:
            raise sk.SketchmlError(
                f"{file} is not torchvision's VGG16 weights: missing {', '.join(missing[:4])}. "
                f"Expected the file {VGG16_FILE} from {VGG16_URL}."
            )
        try:
            net.features.load_state_dict({k: state[f"features.{k}"].float() for k in wanted})
        except RuntimeError as err:
            raise sk.SketchmlError(
                f"{file} has VGG-style keys but the wrong shapes for VGG16 "
                f"({str(err).splitlines()[-1].strip()}); expected {VGG16_FILE}."
            ) from err
        return net.eval().requires_grad_(False)


class ShapeFeatures(nn.Module):
    """The convolutions of sketchml's shape classifier, tapped after each ReLU.

    The same layers, keyed the same way (``features.0``, ``features.3``, ``features.6``), as
    :class:`sketchml.datasets.ShapeClassifier`, whose trained weights ship with this plugin
    (:data:`SHAPES_CLASSIFIER`). Images are scaled to the 32 px the classifier was trained at.

    Examples:
        >>> net = ShapeFeatures.from_file()
        >>> [f.shape[1] for f in net(torch.rand(1, 3, 64, 64))]
        [24, 48, 64]
    """

    _TAPS = (1, 4, 7)

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(24, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(48, 64, 3, padding=1), nn.ReLU(),
        )

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """``images`` ``(N, 3, H, W)`` in [0, 1] -> the three tapped feature maps."""
        if images.shape[-2:] != (32, 32):
            images = F.interpolate(images, size=(32, 32), mode="bilinear", antialias=True,
                                   align_corners=False)
        x = images * 2 - 1
        out = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self._TAPS:
                out.append(x)
        return out

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> ShapeFeatures:
        """Load the convolutions of a shape classifier's weights (default: the shipped one)."""
        file = Path(path) if path is not None else SHAPES_CLASSIFIER
        state = sk.load_weights(file)
        net = cls()
        try:
            net.features.load_state_dict({k: state[f"features.{k}"].float()
                                          for k in net.features.state_dict()})
        except (KeyError, RuntimeError) as err:
            raise sk.SketchmlError(
                f"{file} is not a sketchml shape classifier ({err}); expected the file that "
                f"scripts/train_dcgan_shapes.py writes, shapes-classifier.safetensors."
            ) from err
        return net.eval().requires_grad_(False)


def perceptual_features(perceptual: str | None = None,
                        vgg: str | os.PathLike[str] | None = None) -> tuple[nn.Module, str]:
    """``(network, name)`` for the perceptual loss: VGG16, or the shape classifier's features.

    ``perceptual=None`` picks VGG16 when its weights are found (``vgg=`` or torch's hub
    cache) and the shape classifier's features otherwise; ``"vgg16"`` insists on VGG16 (an
    error says where to put it), ``"shapes"`` always takes the shape classifier's.

    Examples:
        >>> perceptual_features("shapes")[1]
        'shapes'
    """
    if perceptual is not None and perceptual not in PERCEPTUAL:
        raise sk.SketchmlError(f"perceptual={perceptual!r} is not a perceptual network."
                               f"{did_you_mean(str(perceptual), PERCEPTUAL)} Use 'vgg16', "
                               f"'shapes', or None (VGG16 when its weights are here).")
    if perceptual == "shapes":
        return ShapeFeatures.from_file(), "shapes"
    if perceptual is None and vgg is None and not default_vgg_path().is_file():
        return ShapeFeatures.from_file(), "shapes"
    return VGGFeatures.from_file(vgg), "vgg16"


def perceptual_distance(a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
    """Per-image distance ``(N,)`` between two lists of VGG features (unit-normalised channels)."""
    total = 0.0
    for fa, fb in zip(a, b, strict=True):
        na = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        nb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        total = total + (na - nb).pow(2).sum(1).mean([1, 2])
    return total


def load_target(image: Any, size: int) -> torch.Tensor:
    """Any image (path, PIL, sketchml ``load_image``, array, tensor in [0, 1]) as
    ``(1, 3, size, size)`` in [0, 1].

    The largest centred square is cut out and resized (with antialiasing) to ``size``.

    Examples:
        >>> load_target(np.zeros((30, 40, 3), np.uint8), 16).shape
        torch.Size([1, 3, 16, 16])
    """
    if isinstance(image, (str, os.PathLike)):
        from sketchml.plugin import read_image

        image = read_image(image)[..., :3]
    if hasattr(image, "convert") and hasattr(image, "size"):
        image = np.asarray(image.convert("RGB"))
    elif isinstance(getattr(image, "pixels", None), np.ndarray):
        image = image.pixels  # a sketchml Image from load_image(): (H, W, 4) uint8
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise sk.SketchmlError(f"An image array is (H, W, 3) or (H, W, 4), got {image.shape}.")
        array = image[..., :3]
        scale = 255.0 if array.dtype == np.uint8 else 1.0
        tensor = torch.from_numpy(np.array(array, copy=True)).float().div(scale).permute(2, 0, 1)
    elif isinstance(image, torch.Tensor):
        tensor = image.detach().as_subclass(torch.Tensor).float().cpu()
        if tensor.dim() == 4 and tensor.shape[0] == 1:
            tensor = tensor[0]
        if tensor.dim() != 3 or tensor.shape[0] != 3:
            raise sk.SketchmlError(
                f"encode() projects one image: a tensor (3, H, W) or (1, 3, H, W) in [0, 1], "
                f"got {tuple(image.shape)}. Project a batch one image at a time."
            )
    else:
        raise sk.SketchmlError(
            f"encode() takes an image: a file path, a PIL image, an (H, W, 3) array or a "
            f"(3, H, W) tensor in [0, 1]; got {type(image).__name__}."
        )
    _, h, w = tensor.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = tensor[:, top:top + side, left:left + side].unsqueeze(0)
    if side != size:
        square = F.interpolate(square, size=(size, size), mode="bilinear", antialias=side > size,
                               align_corners=False)
    return square.clamp(0, 1)


def _vgg_input(images: torch.Tensor) -> torch.Tensor:
    # VGG sees at most 256 px (large generators are area-downsampled, as the paper's projector does).
    if images.shape[-1] > 256:
        images = F.adaptive_avg_pool2d(images, 256)
    return images


def project(net: Any, image: Any, *, avg: torch.Tensor, steps: int, plus: bool, lr: float,
            video: str | os.PathLike[str] | None, vgg: str | os.PathLike[str] | None, seed: int,
            device: torch.device, pixel_weight: float = 0.1, progress: bool | None = None,
            perceptual: str | None = None) -> tuple[torch.Tensor, float, float, str]:
    """Find w (``(1, style_dim)``, or ``(1, num_layers, style_dim)`` when ``plus``) that makes
    ``net`` draw ``image``; returns it with the loss at the start (the average w) and at the
    end, and the name of the perceptual network used (see :func:`perceptual_features`).

    Examples:
        >>> from sketchml_gan.stylegan2 import Generator
        >>> g = Generator(16, style_dim=32, n_mlp=2, channels={4: 16, 8: 16, 16: 8})
        >>> project(g, torch.rand(3, 16, 16), avg=torch.zeros(32), steps=2, plus=True, lr=0.1,
        ...         video=None, vgg="vgg16.pth", seed=0, device=torch.device("cpu"))  # doctest: +SKIP
    """
    if not isinstance(steps, int) or steps < 1:
        raise sk.SketchmlError(f"steps must be a whole number >= 1 (a few hundred for a photo), got {steps!r}.")
    if not lr > 0:
        raise sk.SketchmlError(f"lr must be > 0 (0.1 is a good start), got {lr!r}.")
    features, used = perceptual_features(perceptual, vgg)
    features = features.to(device)
    writer = None
    if video is not None:
        from sketchml.plugin import open_frame_writer

        writer = open_frame_writer(video, fps=24)
    target = load_target(image, net.size).to(device)
    with torch.no_grad():
        target_features = features(_vgg_input(target))
        gen = torch.Generator().manual_seed(0)
        spread = net.mapping(torch.randn(2000, net.z_dim, generator=gen).to(device))
        w_std = float((spread - avg).pow(2).sum(1).mean().sqrt())
    start = avg.detach().clone().view(1, -1)
    if plus:
        start = start.unsqueeze(1).repeat(1, net.n_latent, 1)
    start_loss = _loss(net, features, start, plus, target, target_features, pixel_weight)
    w = start.requires_grad_(True)
    adam = _Adam(w)
    noise_gen = torch.Generator().manual_seed(seed)
    try:
        quiet = None if progress is None else not progress
        for step in progress_bar(range(steps), desc="projecting", quiet=quiet):
            t = step / steps
            # Ramp up over the first 5 %, cosine down over the last 25 %.
            down = 0.5 - 0.5 * math.cos(min(1.0, (1.0 - t) / 0.25) * math.pi)
            up = min(1.0, (step + 1) / max(1.0, 0.05 * steps))
            strength = w_std * 0.05 * max(0.0, 1.0 - t / 0.75) ** 2
            jitter = torch.randn(w.shape, generator=noise_gen).to(device) * strength
            w_plus = w + jitter
            if not plus:
                w_plus = w_plus.unsqueeze(1).expand(-1, net.n_latent, -1)
            made = (net.synthesis(w_plus, noise="const").clamp(-1, 1) + 1) / 2
            loss = (perceptual_distance(features(_vgg_input(made)), target_features).sum()
                    + pixel_weight * F.mse_loss(made, target))
            w.grad = None
            loss.backward()
            adam.step(lr * down * up)
            if writer is not None:
                writer.write(_frame(target, made.detach()))
        final = w.detach()
        loss_value = _loss(net, features, final, plus, target, target_features, pixel_weight,
                           writer=writer)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    return final, start_loss, loss_value, used


class _Adam:
    """Adam (Kingma & Ba 2015) for the one tensor being searched.

    Not ``torch.optim.Adam``: building a torch optimiser imports torch's compiler stack,
    whose LLVM crashes a process where Mesa's llvmpipe (the headless GL of sketches) is
    already loaded, and projection is mostly run from inside a sketch.
    """

    def __init__(self, param: torch.Tensor, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.param, self.betas, self.eps = param, betas, eps
        self.m = torch.zeros_like(param)
        self.v = torch.zeros_like(param)
        self.t = 0

    @torch.no_grad()
    def step(self, lr: float) -> None:
        b1, b2 = self.betas
        self.t += 1
        grad = self.param.grad
        self.m.mul_(b1).add_(grad, alpha=1 - b1)
        self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        m_hat = self.m / (1 - b1 ** self.t)
        v_hat = self.v / (1 - b2 ** self.t)
        self.param.sub_(lr * m_hat / (v_hat.sqrt() + self.eps))


def _loss(net: Any, features: nn.Module, w: torch.Tensor, plus: bool, target: torch.Tensor,
          target_features: list[torch.Tensor], pixel_weight: float, *, writer: Any = None) -> float:
    """The projection loss of ``w`` (no noise); the image goes to ``writer`` when given."""
    with torch.no_grad():
        w_plus = w if plus else w.unsqueeze(1).expand(-1, net.n_latent, -1)
        made = (net.synthesis(w_plus, noise="const").clamp(-1, 1) + 1) / 2
        loss = (perceptual_distance(features(_vgg_input(made)), target_features).sum()
                + pixel_weight * F.mse_loss(made, target))
        if writer is not None:
            writer.write(_frame(target, made))
    return float(loss)


def _frame(target: torch.Tensor, made: torch.Tensor) -> np.ndarray:
    """Target and current image side by side, ``(H, 2W, 3)`` uint8."""
    pair = torch.cat([target[0], made[0]], dim=2).clamp(0, 1)
    return (pair.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
