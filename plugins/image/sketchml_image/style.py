"""Style transfer: Johnson et al.'s fast feed-forward network and Gatys et al.'s optimisation.

* Fast style transfer (Johnson, Alahi and Fei-Fei 2016, arXiv:1603.08155): a residual
  "transformer" network restyles any picture in one pass, after being trained for one style
  image on a folder of content pictures with a perceptual loss. Its layout is that of the
  PyTorch examples' ``fast_neural_style`` ``TransformerNet`` (``conv1.conv2d.weight``,
  ``in1.weight``, ``res1.conv1.conv2d.weight`` ... ``deconv3.conv2d.bias``; pictures in
  0-255), so its published ``.pth`` styles (candy, mosaic, rain princess, udnie) load
  unchanged: ``sk.model("style", weights="candy.pth")``. Their stray instance-norm
  ``running_mean`` / ``running_var`` entries are dropped, as the examples' own script does.
* Optimisation transfer (Gatys, Ecker and Bethge 2016): :meth:`Style.transfer` changes the
  pixels of one picture until its features match a content picture and its feature
  correlations (Gram matrices) match a style picture. No training.

The perceptual loss compares features of a loss network. With the ImageNet VGG-16 weights
of torchvision on this machine (its cache, or ``vgg=PATH``) it is Johnson's: relu1_2 ...
relu4_3. Without them (no download happens), it falls back to a **random-filter loss
network**: three scales of fixed, seeded random 3 x 3 convolutions with ReLU and average
pooling. Random filters are known to capture texture statistics well enough for texture
synthesis and style (Ustyuzhaninov et al. 2017, "What does it take to generate natural
textures?"), but they know nothing of objects: expect textures and colours to move across,
not brush strokes that follow shapes. ``model.loss_network`` says which one is in use.
"""
from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import TrainingRun, TrainSettings, setting

__all__ = ["RandomFilterLoss", "Style", "StyleTraining", "TransformerNet", "VGGLoss",
           "gram", "loss_network"]

EXPORT_NAME = "style.safetensors"
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
_STRAY = re.compile(r"in\d+\.running_(mean|var)$")
_VGG_FILE = "vgg16-397923af.pth"


class ConvLayer(nn.Module):
    """Reflection padding then a convolution (``conv2d``), as the examples' ``ConvLayer``."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int,
                 upsample: int | None = None) -> None:
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(kernel // 2)
        self.conv2d = nn.Conv2d(c_in, c_out, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=self.upsample, mode="nearest")
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    """Two 3 x 3 convolutions with instance norm, added to the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3, 1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3, 1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.in2(self.conv2(F.relu(self.in1(self.conv1(x)))))


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network: ``(N, 3, H, W)`` in 0-255 -> the same.

    ``width`` is the channels of the first layer (32 in the paper and the published
    styles; the inner layers have 2x and 4x); a smaller one is quicker to train and run.

    Examples:
        >>> import torch
        >>> from sketchml_image.style import TransformerNet
        >>> TransformerNet(width=4)(torch.rand(1, 3, 32, 32) * 255).shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        w = width
        self.width = width
        self.conv1, self.in1 = ConvLayer(3, w, 9, 1), nn.InstanceNorm2d(w, affine=True)
        self.conv2, self.in2 = ConvLayer(w, 2 * w, 3, 2), nn.InstanceNorm2d(2 * w, affine=True)
        self.conv3, self.in3 = ConvLayer(2 * w, 4 * w, 3, 2), nn.InstanceNorm2d(4 * w, affine=True)
        self.res1, self.res2, self.res3, self.res4, self.res5 = (ResidualBlock(4 * w)
                                                                 for _ in range(5))
        self.deconv1 = ConvLayer(4 * w, 2 * w, 3, 1, upsample=2)
        self.in4 = nn.InstanceNorm2d(2 * w, affine=True)
        self.deconv2 = ConvLayer(2 * w, w, 3, 1, upsample=2)
        self.in5 = nn.InstanceNorm2d(w, affine=True)
        self.deconv3 = ConvLayer(w, 3, 9, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.in1(self.conv1(x)))
        y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))
        for block in (self.res1, self.res2, self.res3, self.res4, self.res5):
            y = block(y)
        y = F.relu(self.in4(self.deconv1(y)))
        y = F.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


def gram(features: torch.Tensor) -> torch.Tensor:
    """The Gram matrix ``(N, C, C)`` of features ``(N, C, H, W)``, normalised by ``C * H * W``.

    Examples:
        >>> import torch
        >>> from sketchml_image.style import gram
        >>> gram(torch.ones(1, 2, 3, 3))
        tensor([[[0.5000, 0.5000],
                 [0.5000, 0.5000]]])
    """
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


class RandomFilterLoss(nn.Module):
    """The fallback loss network: fixed random filters at three scales (no download needed).

    Each scale is a 3 x 3 convolution with ``channels`` seeded random filters (He-scaled)
    and ReLU, then 2 x 2 average pooling; ``forward`` returns the three feature maps. The
    last one is the content layer. Pictures go in as ``(N, 3, H, W)`` in [0, 1].

    Examples:
        >>> import torch
        >>> from sketchml_image.style import RandomFilterLoss
        >>> [f.shape[1] for f in RandomFilterLoss()(torch.rand(1, 3, 32, 32))]
        [64, 128, 256]
    """

    name = "random-filters (fallback: no ImageNet VGG-16 weights found)"

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList()
        c_in = 3
        for c_out in (64, 128, 256):
            conv = nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="reflect")
            with torch.no_grad():
                conv.weight.normal_(0, (2 / (9 * c_in)) ** 0.5, generator=generator)
                conv.bias.zero_()
            self.convs.append(conv)
            c_in = c_out
        self.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = (images - 0.5) / 0.25
        features = []
        for conv in self.convs:
            x = F.relu(conv(x))
            features.append(x)
            x = F.avg_pool2d(x, 2)
        return features


class VGGLoss(nn.Module):
    """Johnson et al.'s loss network: ImageNet VGG-16 up to relu4_3, from a local weights file.

    ``forward`` returns relu1_2, relu2_2, relu3_3 and relu4_3 (the content layer is
    relu2_2, as in the paper: :attr:`content_index`). Pictures go in as ``(N, 3, H, W)``
    in [0, 1] and are normalised with ImageNet's mean and deviation.
    """

    name = "vgg16 (ImageNet)"
    content_index = 1

    def __init__(self, path: Path) -> None:
        super().__init__()
        from torchvision.models import vgg16

        from sketchml.plugin import load_weights

        network = vgg16()
        network.load_state_dict(load_weights(path))
        self.features = network.features[:23].eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = (images - self.mean) / self.std
        out = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in (3, 8, 15, 22):
                out.append(x)
        return out


def _vgg_path(vgg: str | os.PathLike[str] | None) -> Path | None:
    if vgg is not None:
        path = Path(vgg).expanduser()
        if not path.is_file():
            raise sk.SketchmlError(f"No VGG-16 weights file at {str(path)!r}; pass torchvision's "
                                   f"{_VGG_FILE} or leave vgg= out for the fallback.")
        return path
    hub = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    found = hub / "hub" / "checkpoints" / _VGG_FILE
    return found if found.is_file() else None


def loss_network(vgg: str | os.PathLike[str] | None = None, *, warn: bool = True) -> nn.Module:
    """The perceptual loss network: VGG-16 when its weights are here, else random filters.

    ``vgg`` is the path of torchvision's ``vgg16-397923af.pth``; by default torchvision's
    cache is looked in. The fallback says so with a warning (``warn=False`` hushes it).

    Examples:
        >>> from sketchml_image.style import loss_network
        >>> loss_network(warn=False).name.startswith(("vgg16", "random-filters"))
        True
    """
    path = _vgg_path(vgg)
    if path is not None:
        return VGGLoss(path)
    if warn:
        warnings.warn("No ImageNet VGG-16 weights here: style transfer uses the random-filter "
                      "loss network instead (textures and colours transfer; see the style "
                      "lesson). Pass vgg='vgg16-397923af.pth' to use VGG.", stacklevel=3)
    return RandomFilterLoss()


def _content_index(net: nn.Module) -> int:
    return getattr(net, "content_index", -1)


def _picture(data: Any, size: int | None, what: str) -> torch.Tensor:
    from sketchml_image.pix2pix import _as_images

    images = _as_images(data, what)
    if size is None:
        return images
    h, w = images.shape[-2:]
    scale = size / min(h, w)
    if scale == 1:
        return images
    return F.interpolate(images, size=(max(1, round(h * scale)), max(1, round(w * scale))),
                         mode="bilinear", antialias=True, align_corners=False)


def _network_from_state(state: Any, source: str) -> TransformerNet:
    if not isinstance(state, dict) or "conv1.conv2d.weight" not in state:
        raise sk.SketchmlError(
            f"{source} is not a fast-style-transfer network (the layout of the PyTorch "
            f"examples' fast_neural_style TransformerNet: conv1.conv2d.weight, in1.weight, "
            f"res1.conv1.conv2d.weight, ...). Pass a published style .pth or a folder "
            f"written by style.train()."
        )
    state = {k: v for k, v in state.items() if not _STRAY.search(k)}
    network = TransformerNet(width=int(state["conv1.conv2d.weight"].shape[0]))
    expected = network.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise sk.SketchmlError(f"{source} does not match the TransformerNet layout. Missing keys: "
                               f"{missing[:4] or 'none'}; unexpected: {unexpected[:4] or 'none'}.")
    network.load_state_dict({k: v.float() for k, v in state.items()})
    return network


@dataclass
class StyleTraining(TrainSettings):
    """The training settings of fast style transfer (``sketchml train style --help``)."""

    steps: int = setting(2000, "optimisation steps in all")
    batch_size: int = setting(4, "content pictures per step")
    size: int = setting(256, "side the content pictures are cropped to while training")
    width: int = setting(32, "channels of the first layer (32: the published styles' size)")
    lr: float = setting(0.001, "Adam's learning rate")
    style_weight: float = setting(2e3, "weight of the style (Gram matrix) loss")
    content_weight: float = setting(1.0, "weight of the content (feature) loss")
    vgg: str | None = setting(None, "path of torchvision's vgg16-397923af.pth (default: its "
                                    "cache, else the random-filter loss network)")


class Style(sk.Model):
    """Fast style transfer (Johnson et al. 2016) and optimisation transfer (Gatys et al. 2016).

    ``sk.model("style", weights="candy.pth")`` loads a published style of the PyTorch
    examples (or a folder written by ``train``); ``model.generate(frame)`` restyles a
    picture in one pass; ``model.train(style_image, content_folder, out=...)`` makes a new
    style; ``model.transfer(content, style_image)`` needs no training at all. The network
    is ``model.network``; ``model.loss_network`` names the perceptual loss in use.

    Examples:
        >>> import sketchml as sk, torch
        >>> style = sk.model("style", device="cpu")
        >>> result = style.transfer(torch.rand(3, 32, 32), torch.rand(3, 32, 32), steps=2,
        ...                         size=32, warn=False)
        >>> result.shape
        torch.Size([1, 3, 32, 32])
    """

    TrainSettings = StyleTraining
    hints = {
        "sample_latent": "restyle a picture with generate(frame); style transfer has no latents",
        "encode": "restyle a picture with generate(frame); style transfer has no latents",
        "interpolate": "cross-fade two styles with tint(), or restyle with each and mix",
    }

    def load(self) -> None:
        self.network: TransformerNet | None = None
        self.loss_network_name: str | None = None
        self.source = "no style yet"
        if self.weights is None:
            return
        given = Path(self.weights).expanduser()
        if given.is_dir():
            from sketchml.plugin import run_weights

            found = run_weights(given, export=EXPORT_NAME, models=("net",))
            if found is None:
                raise sk.SketchmlError(f"{str(given)!r} holds no trained style: no {EXPORT_NAME} "
                                       f"and no checkpoints/. Train one with "
                                       f"style.train(STYLE_IMAGE, CONTENT_FOLDER, out={str(given)!r}).")
            state, source = found
        else:
            state, source = self.load_weights(), repr(str(given))
        self.network = _network_from_state(state, source).to(self.device).eval()
        self.source = source

    @property
    def loss_network(self) -> str | None:
        """The loss network the last ``train`` / ``transfer`` used (``None`` before either)."""
        return self.loss_network_name

    @torch.no_grad()
    def generate(self, latent: Any = None, *, image: Any = None,
                 seed: int | None = None) -> sk.Images:
        """Restyle a picture in one pass: ``sk.Images`` ``(N, 3, H, W)`` float in [0, 1].

        Args:
            latent: the picture (the family has no latent space; its input plays that
                role): a camera frame, a tensor ``(3, H, W)`` / ``(N, 3, H, W)`` in [0, 1],
                an ``sk.Image``, a Pillow image, a numpy array or a file path.
            image: the same, as a keyword.
            seed: recorded with the result; restyling is deterministic.

        Examples:
            >>> image(style.generate(cam), 0, 0)  # doctest: +SKIP
        """
        picture = image if image is not None else latent
        if picture is None:
            raise sk.SketchmlError("Style transfer restyles a picture: model.generate(frame).")
        if self.network is None:
            raise sk.SketchmlError(
                "This style model has no style yet: load one (sk.model('style', "
                "weights='candy.pth' or a trained folder)), train one "
                "(model.train(STYLE_IMAGE, CONTENT_FOLDER, out=DIR)), or use "
                "model.transfer(content, style_image), which needs no training.")
        pictures = picture["image"] if isinstance(picture, sk.Latent) else \
            _picture(picture, None, "generate()")
        pictures = pictures.to(self.device).float()
        made = (self.network(pictures * 255) / 255).clamp_(0, 1)
        return sk.Images(made, latent=self.latent({"image": pictures}, seed=seed))

    def transfer(self, content: Any, style_image: Any, *, steps: int = 300, size: int = 256,
                 style_weight: float = 2e3, content_weight: float = 1.0, lr: float = 0.02,
                 vgg: str | os.PathLike[str] | None = None, warn: bool = True,
                 progress: bool | None = None) -> sk.Images:
        """Gatys et al.'s optimisation transfer: ``content`` repainted in the style of ``style_image``.

        The pixels (starting from the content picture, scaled so its short side is
        ``size``) are optimised with Adam for ``steps`` steps on the content loss (features
        of the loss network) plus the style loss (their Gram matrices). The result's
        ``losses`` attribute holds ``(style, content)`` per step.

        Examples:
            >>> painted = style.transfer("photo.jpg", "painting.jpg", steps=200)  # doctest: +SKIP
        """
        from sketchml.plugin import progress_bar

        if not isinstance(steps, int) or steps < 1:
            raise sk.SketchmlError(f"steps must be a whole number >= 1, got {steps!r}.")
        net = loss_network(vgg, warn=warn).to(self.device)
        self.loss_network_name = net.name
        target = _picture(content, size, "transfer()").to(self.device)
        styled = _picture(style_image, size, "transfer()").to(self.device)
        with torch.no_grad():
            content_features = net(target)[_content_index(net)]
            style_grams = [gram(f) for f in net(styled)]
        pixels = target.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([pixels], lr=lr)
        losses = []
        for _ in progress_bar(range(steps), desc="style transfer",
                              quiet=None if progress is None else not progress):
            features = net(pixels)
            style_loss = sum(F.mse_loss(gram(f), g.expand(len(f), -1, -1))
                             for f, g in zip(features, style_grams))
            content_loss = F.mse_loss(features[_content_index(net)], content_features)
            loss = style_weight * style_loss + content_weight * content_loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                pixels.clamp_(0, 1)
            losses.append((float(style_loss.detach()), float(content_loss.detach())))
        result = sk.Images(pixels.detach())
        result.losses = losses
        return result

    def train(self, data: Any, content: Any = None, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train a fast style network for the style picture ``data`` on ``content`` pictures.

        Args:
            data: the style picture (a file path, a tensor, a Pillow image ...).
            content: a folder of content pictures, a video file, or a tensor
                ``(N, 3, H, W)`` in [0, 1] (default: sketchml's stand-in clip, 240 frames).
            out: the run's folder (required); training again into it resumes.
            **options: the :class:`StyleTraining` settings: ``steps``, ``batch_size``,
                ``size``, ``width``, ``lr``, ``style_weight``, ``content_weight``, ``vgg``,
                ``seed``, ``minutes``, ``sample_every``, ``checkpoint_every``,
                ``progress``.

        Returns:
            The :class:`~sketchml.training.TrainingRun`; this model then restyles with the
            new network, also written to ``out/style.safetensors``.

        Examples:
            >>> import sketchml as sk, torch, tempfile
            >>> style = sk.model("style", device="cpu")
            >>> run = style.train(torch.rand(3, 32, 32), torch.rand(4, 3, 32, 32),
            ...                   out=tempfile.mkdtemp(), steps=1, size=32, width=4,
            ...                   batch_size=2, progress=False)
            >>> run.step
            1
        """
        settings = StyleTraining.build(self.family, options)
        run, network, name = _train(data, content, out=out, s=settings, device=self.device)
        self.network = network.eval()
        self.loss_network_name = name
        self.source = repr(str(Path(out) / EXPORT_NAME))
        return run


def _content_pictures(content: Any, size: int) -> torch.Tensor:
    from sketchml_image.pix2pix import _as_images, _fit

    if content is None:
        from sketchml.plugin import scene_frames

        frames = torch.from_numpy(scene_frames(240, size=max(size, 16)))
        return _fit(frames.permute(0, 3, 1, 2).float() / 255, size)
    if isinstance(content, torch.Tensor):
        return _fit(_as_images(content, "train()"), size)
    path = Path(content).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not files:
            raise sk.SketchmlError(f"The folder {path} holds no content pictures.")
        return torch.cat([_fit(_as_images(str(p), "train()"), size) for p in files])
    if path.is_file():
        import numpy as np

        from sketchml.plugin import read_video_frames, video_frame_count

        count = min(2000, max(1, video_frame_count(path)))
        stack = np.stack(list(read_video_frames(path, count=count, size=size)))
        return torch.from_numpy(stack).permute(0, 3, 1, 2).float() / 255
    raise sk.SketchmlError(f"No folder or video at {str(path)!r} for the content pictures.")


def _train(style_image: Any, content: Any, *, out: Any, s: StyleTraining,
           device: Any) -> tuple[TrainingRun, TransformerNet, str]:
    from torch.utils.data import TensorDataset

    from sketchml.plugin import atomic_write_bytes, seed_everything

    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints, samples and the "
                               "style, e.g. style.train('painting.jpg', 'photos/', "
                               "out='runs/style').")
    s = replace(s, seed=s.seed_for(out))
    styled = _picture(style_image, s.size, "train()")
    pictures = _content_pictures(content, s.size)
    seed_everything(s.seed)
    network = TransformerNet(width=s.width)
    net = loss_network(s.vgg, warn=True)
    optimiser = torch.optim.Adam(network.parameters(), lr=s.lr)
    shown = pictures[:4]
    config = {"family": "style", "width": s.width, "size": s.size, "loss_network": net.name}

    def on_sample(run: Any) -> None:
        made = (run.modules["net"](shown.to(run.device) * 255) / 255).clamp(0, 1)
        run.save_samples(torch.cat([shown.to(run.device), made]), nrow=len(shown))

    run = TrainingRun(out=out, model={"net": network}, optimizers={"opt": optimiser},
                      steps=s.steps, seed=s.seed, device=device,
                      sample_every=s.sample_every or max(1, s.steps // 10), on_sample=on_sample,
                      progress=s.progress, config=config, checkpoint_every=s.checkpoint_every,
                      should_stop=s.should_stop)
    net = net.to(run.device)
    with torch.no_grad():
        style_grams = [gram(f) for f in net(styled.to(run.device))]
    import time

    started = time.monotonic()
    for _, (batch,) in run.loop(TensorDataset(pictures), batch_size=min(s.batch_size,
                                                                        len(pictures))):
        if s.minutes is not None and time.monotonic() - started > s.minutes * 60:
            break
        made = (run.models["net"](batch * 255) / 255)
        features = net(made.clamp(0, 1))
        with torch.no_grad():
            target = net(batch)[_content_index(net)]
        content_loss = F.mse_loss(features[_content_index(net)], target)
        style_loss = sum(F.mse_loss(gram(f), g.expand(len(f), -1, -1))
                         for f, g in zip(features, style_grams))
        loss = s.content_weight * content_loss + s.style_weight * style_loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        run.log(loss=loss, style=style_loss, content=content_loss)
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    if run.is_main:
        from safetensors.torch import save

        state = {k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
        meta = {"format": "sketchml.style/1", "config": json.dumps({**config, "step": run.step})}
        atomic_write_bytes(Path(out) / EXPORT_NAME, save(state, metadata=meta))
    return run, network, net.name
