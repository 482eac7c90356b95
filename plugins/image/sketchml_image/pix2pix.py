"""pix2pix: image-to-image translation with a conditional GAN (Isola et al. 2017, arXiv:1611.07004).

The generator is a U-Net: ``num_downs`` stride-2 convolutions down to 1 x 1 and
transposed convolutions back up, each level's output joined to its mirror by a skip
connection; the discriminator is a PatchGAN that judges overlapping 70 x 70 patches of the
pair (A, B) as real or made. The generator learns from the discriminator and from the L1
distance to the true B (weighted 100, as in the paper).

Checkpoint layout: both networks are built exactly as the reference PyTorch
implementation (junyanz/pytorch-CycleGAN-and-pix2pix, ``models/networks.py``) builds its
``UnetGenerator`` and ``NLayerDiscriminator`` with batch norm: nested blocks whose
``nn.Sequential`` is ``model`` (keys ``model.model.0.weight``,
``model.model.1.model.1.weight``, ... ``model.model.3.bias``) and a discriminator
``model.0.weight`` ... ``model.11.bias``. So its published ``latest_net_G.pth`` files load
unchanged (``sk.model("pix2pix", weights="latest_net_G.pth")``); the depth, width and
channels are read from the tensors' shapes.

Pairs for training come from a video or a folder of pictures, the A side made by an input
transform (:mod:`sketchml_image.transforms`: edges, posterise, blur, greyscale, kmeans), or
from a folder of side-by-side A|B pictures as in the reference implementation. The
trained model remembers its transform, so ``model.generate(camera_frame)`` transforms a raw
frame first and redraws it as the training video looked.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import TrainingRun, TrainSettings, setting
from sketchml_image.transforms import TRANSFORMS, apply_transform

__all__ = ["NLayerDiscriminator", "Pix2Pix", "Pix2PixTraining", "UnetGenerator", "load_pairs",
           "train_pix2pix"]

EXPORT_NAME = "pix2pix.safetensors"
_VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".gif"}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


class UnetBlock(nn.Module):
    """One level of the U-Net: down, the inner levels, up, and the skip connection.

    Laid out as the reference ``UnetSkipConnectionBlock`` with batch norm (convolutions
    without bias before a norm), so the state-dict keys match it.
    """

    def __init__(self, outer: int, inner: int, *, input_nc: int | None = None,
                 submodule: nn.Module | None = None, outermost: bool = False,
                 innermost: bool = False, dropout: bool = False) -> None:
        super().__init__()
        self.outermost = outermost
        input_nc = outer if input_nc is None else input_nc
        down = nn.Conv2d(input_nc, inner, 4, 2, 1, bias=False)
        if outermost:
            layers = [down, submodule, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1),
                      nn.Tanh()]
        elif innermost:
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down, nn.BatchNorm2d(inner), submodule, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """The pix2pix U-Net: ``(N, input_nc, S, S)`` in [-1, 1] -> ``(N, output_nc, S, S)`` in [-1, 1].

    ``S`` must be a multiple of ``2 ** num_downs`` (256 for the reference's ``unet_256``,
    ``num_downs=8``).

    Args:
        input_nc: channels of A (3).
        output_nc: channels of B (3).
        num_downs: down-sampling levels, at least 5 (8 for 256 px, 7 for 128 px).
        ngf: channels of the outermost level (64 in the paper); inner levels have up to 8x.
        dropout: dropout in the inner levels while training (the paper's noise source).

    Examples:
        >>> import torch
        >>> from sketchml_image.pix2pix import UnetGenerator
        >>> UnetGenerator(num_downs=5, ngf=4)(torch.rand(1, 3, 32, 32)).shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(self, input_nc: int = 3, output_nc: int = 3, num_downs: int = 8, ngf: int = 64,
                 *, dropout: bool = True) -> None:
        super().__init__()
        if num_downs < 5:
            raise sk.SketchmlError(f"The pix2pix U-Net has at least 5 levels (32 px), got "
                                   f"num_downs={num_downs}.")
        self.input_nc, self.output_nc, self.num_downs, self.ngf = input_nc, output_nc, num_downs, ngf
        block = UnetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, submodule=block, dropout=dropout)
        block = UnetBlock(ngf * 4, ngf * 8, submodule=block)
        block = UnetBlock(ngf * 2, ngf * 4, submodule=block)
        block = UnetBlock(ngf, ngf * 2, submodule=block)
        self.model = UnetBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)


class NLayerDiscriminator(nn.Module):
    """The PatchGAN: ``(N, input_nc, H, W)`` -> a map of real/fake logits, one per patch.

    With ``n_layers=3`` each logit sees a 70 x 70 patch. For pix2pix ``input_nc`` is the
    channels of A and B together (6): it judges pairs.

    Examples:
        >>> import torch
        >>> from sketchml_image.pix2pix import NLayerDiscriminator
        >>> NLayerDiscriminator(6, ndf=4)(torch.rand(1, 6, 64, 64)).shape
        torch.Size([1, 1, 6, 6])
    """

    def __init__(self, input_nc: int = 6, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            previous, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * previous, ndf * mult, 4, stride, 1, bias=False),
                       nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)


def _init_weights(module: nn.Module) -> None:
    # The reference's "normal" initialisation: N(0, 0.02) weights, N(1, 0.02) norm scales.
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _generator_from_state(state: Any, source: str) -> UnetGenerator:
    """A U-Net built to the shapes of a reference-layout state dict, with the weights loaded."""
    if not isinstance(state, dict) or "model.model.0.weight" not in state:
        keys = list(state)[:4] if isinstance(state, dict) else type(state).__name__
        raise sk.SketchmlError(
            f"{source} is not a pix2pix U-Net generator (the layout of pytorch-CycleGAN-and-"
            f"pix2pix's UnetGenerator: model.model.0.weight, model.model.1.model.1.weight, ...); "
            f"it starts with {keys}. Pass a latest_net_G.pth of a unet_256/unet_128 pix2pix "
            f"model, or a folder written by `sketchml train pix2pix`."
        )
    # Each inner level's down-convolution is model.1 of its block; the next level sits at
    # model.3 of it (at model.1 of the outermost block).
    depth, prefix = 0, "model.model.1"
    while f"{prefix}.model.1.weight" in state:
        depth, prefix = depth + 1, prefix + ".model.3"
    first = state["model.model.0.weight"]
    last = state["model.model.3.weight"]
    generator = UnetGenerator(int(first.shape[1]), int(last.shape[1]), depth + 1,
                              int(first.shape[0]))
    expected = generator.state_dict()
    # Checkpoints saved before PyTorch 0.4 have no num_batches_tracked; it is only a counter.
    given = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    wanted = {k for k in expected if not k.endswith("num_batches_tracked")}
    missing, unexpected = sorted(wanted - set(given)), sorted(set(given) - wanted)
    if missing or unexpected:
        raise sk.SketchmlError(
            f"{source} looks like a pix2pix U-Net but does not match the reference layout with "
            f"batch norm (instance-norm models have conv biases instead). Missing keys: "
            f"{missing[:4] or 'none'}; unexpected keys: {unexpected[:4] or 'none'}."
        )
    for key in wanted:
        if given[key].shape != expected[key].shape:
            raise sk.SketchmlError(f"{source}: tensor {key!r} is shaped {tuple(given[key].shape)}, "
                                   f"expected {tuple(expected[key].shape)}; the file is damaged.")
    generator.load_state_dict({k: v.to(expected[k].dtype) for k, v in given.items()}, strict=False)
    return generator


def _as_images(image: Any, what: str = "generate()") -> torch.Tensor:
    """Any picture a user gives as ``(N, 3, H, W)`` float in [0, 1] on the CPU (or its device)."""
    import numpy as np

    if hasattr(image, "tensor") and hasattr(image, "pixels") and callable(image.tensor):
        return image.tensor()
    if isinstance(image, (str, os.PathLike)):
        from PIL import Image

        path = Path(image)
        if not path.is_file():
            raise sk.SketchmlError(f"No image file at {str(path)!r}; check the path.")
        with Image.open(path) as opened:
            image = np.asarray(opened.convert("RGB"))
    if hasattr(image, "pixels") and isinstance(getattr(image, "pixels"), np.ndarray):
        image = image.pixels[..., :3]
    if type(image).__module__.startswith("PIL."):
        image = np.asarray(image.convert("RGB"))
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise sk.SketchmlError(f"{what} takes (H, W, 3) pixels, got shape {image.shape}.")
        rgb = image[..., :3]
        rgb = rgb if rgb.flags.writeable and rgb.flags.c_contiguous else np.array(rgb)
        image = torch.from_numpy(rgb).permute(2, 0, 1)
    if not isinstance(image, torch.Tensor):
        raise sk.SketchmlError(
            f"{what} takes a picture: a tensor (3, H, W) / (N, 3, H, W) in [0, 1], a Capture or "
            f"Movie, an sk.Image, a Pillow image, a numpy array or a file path; got "
            f"{type(image).__name__}."
        )
    tensor = image.as_subclass(torch.Tensor).detach()
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[1] not in (1, 3, 4):
        raise sk.SketchmlError(f"{what} takes RGB pictures (N, 3, H, W), got {tuple(tensor.shape)}.")
    tensor = tensor.float() / 255 if tensor.dtype == torch.uint8 else tensor.float()
    if tensor.shape[1] == 1:
        tensor = tensor.expand(-1, 3, -1, -1)
    return tensor[:, :3]


def _fit(images: torch.Tensor, size: int) -> torch.Tensor:
    """Scale to cover ``size`` x ``size`` and crop the centre."""
    h, w = images.shape[-2:]
    if (h, w) == (size, size):
        return images
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    images = F.interpolate(images, size=(nh, nw), mode="bilinear", antialias=True,
                           align_corners=False)
    top, left = (nh - size) // 2, (nw - size) // 2
    return images[..., top:top + size, left:left + size]


@dataclass
class Pix2PixTraining(TrainSettings):
    """The training settings of pix2pix (``sketchml train pix2pix --help`` lists them)."""

    steps: int = setting(2000, "optimisation steps in all; training again into the same folder "
                               "with more steps trains further")
    batch_size: int = setting(4, "pairs per step")
    input: str = setting("edges", "how the input picture is made from each frame: edges, "
                                  "posterise, blur, greyscale, kmeans; pairs for a folder of A|B")
    resolution: int = setting(64, "side of the pictures, a power of two >= 32")
    width: int = setting(32, "channels of the outermost layers of both networks")
    frames: int = setting(400, "frames taken from a video")
    lr: float = setting(0.0002, "Adam's learning rate")
    l1: float = setting(100.0, "weight of the L1 distance to the true picture")
    flip: bool = setting(True, "mirror pairs at random")


class Pix2Pix(sk.Model):
    """pix2pix (Isola et al. 2017): translate pictures; train it on pairs made from your video.

    ``sk.model("pix2pix")`` is ``pix2pix.room``, a small model (64 px) that paints the
    stand-in webcam's room from its outlines, trained offline by
    ``scripts/train_pix2pix_room.py``; ``pix2pix.untrained`` has no weights until trained.
    ``sk.model("pix2pix", weights=...)`` loads a model: a folder written by ``train`` (or
    ``sketchml train pix2pix``), its ``pix2pix.safetensors``, or a ``latest_net_G.pth`` of
    the reference implementation. A model trained here remembers its input transform
    (``model.input``, e.g. ``"edges"``), and ``generate(frame)`` applies it to the raw
    frame first; a reference checkpoint takes A pictures as they are. The U-Net itself is
    ``model.network``.

    Examples:
        >>> import sketchml as sk, torch, tempfile
        >>> p2p = sk.model("pix2pix.untrained", device="cpu")
        >>> run = p2p.train(torch.rand(8, 3, 32, 32), out=tempfile.mkdtemp(), input="edges",
        ...                 resolution=32, steps=2, width=4, progress=False)
        >>> p2p.generate(torch.rand(3, 48, 64)).shape
        torch.Size([1, 3, 32, 32])
    """

    TrainSettings = Pix2PixTraining
    hints = {
        "sample_latent": "translate a picture with generate(frame); pix2pix has no latent space",
        "encode": "translate a picture with generate(frame); pix2pix has no latent space",
        "interpolate": "cross-fade two results with lerp_color or tint, or use an autoencoder",
    }

    def load(self) -> None:
        self.input: str | None = None
        self.resolution = 256
        self.network: UnetGenerator | None = None
        self.source = "an untrained model"
        if self.weights is None:
            if self.variant.weights:
                path = self.weights_path()
                self._use(_generator_from_state(self.load_weights(), f"model {self.name!r}"),
                          _export_config(path), f"model {self.name!r}")
            return
        given = Path(self.weights).expanduser()
        config: dict[str, Any] = {}
        if given.is_dir():
            from sketchml.plugin import run_weights

            found = run_weights(given, export=EXPORT_NAME, models=("g",))
            if found is None:
                raise sk.SketchmlError(
                    f"{str(given)!r} holds no trained pix2pix: no {EXPORT_NAME} and no "
                    f"checkpoints/. Train one there with `sketchml train pix2pix VIDEO --input "
                    f"edges --out {given}`, or pass a weights file."
                )
            state, source = found
            export = given / EXPORT_NAME
            config = _export_config(export) if export.is_file() else _run_config(given)
        else:
            state, source = self.load_weights(), repr(str(given))
            if given.suffix == ".safetensors":
                config = _export_config(given)
        self._use(_generator_from_state(state, source), config, source)

    def _use(self, generator: UnetGenerator, config: dict[str, Any], source: str) -> None:
        self.network = generator.to(self.device).eval()
        self.input = config.get("input")
        self.resolution = int(config.get("resolution") or 2 ** generator.num_downs)
        self.source = source

    def _need_network(self) -> UnetGenerator:
        if self.network is None:
            raise sk.SketchmlError(
                "This pix2pix model has no weights yet. Train it (model.train(VIDEO, out=DIR, "
                "input='edges') or `sketchml train pix2pix VIDEO --input edges --out DIR`), or "
                "load a trained one: sk.model('pix2pix', weights=DIR or 'latest_net_G.pth')."
            )
        return self.network

    def prepare(self, image: Any) -> torch.Tensor:
        """The A picture the model sees for ``image``: scaled and cropped to the model's size,
        then put through its input transform (if it was trained with one).

        Returns ``(N, 3, R, R)`` float in [0, 1] on the model's device.

        Examples:
            >>> edges_of_frame = model.prepare(cam)  # doctest: +SKIP
        """
        images = _fit(_as_images(image).to(self.device), self.resolution)
        return apply_transform(self.input, images) if self.input else images

    @torch.no_grad()
    def generate(self, latent: Any = None, *, image: Any = None, seed: int | None = None,
                 prepare: bool = True) -> sk.Images:
        """Translate a picture (A) into B: ``sk.Images`` ``(N, 3, R, R)`` float in [0, 1].

        pix2pix has no latent space: the picture it translates is its input, given first
        (``model.generate(frame)``) or as ``image=``. The result's ``latent`` holds the A
        pictures the network saw (key ``"image"``), so ``model.generate(result.latent)``
        makes the same pictures again.

        Args:
            latent: the picture: a camera frame (a :class:`~sketchml.Capture` or
                :class:`~sketchml.Movie`), a tensor ``(3, H, W)`` / ``(N, 3, H, W)`` in
                [0, 1] (uint8 too), an ``sk.Image``, a Pillow image, a numpy array, a file
                path, or the ``latent`` of an earlier result. It is scaled to cover the
                model's size and cropped in the centre.
            image: the same, as a keyword.
            seed: recorded with the result; the translation itself is deterministic
                (dropout is off outside training).
            prepare: put the picture through the model's input transform first (default
                True; pass False when it already is an A picture, e.g. your own drawing of
                edges).

        Examples:
            >>> if cam.available():  # doctest: +SKIP
            ...     cam.read()
            ...     image(model.generate(cam), 0, 0, width, height)
        """
        picture = image if image is not None else latent
        if picture is None:
            raise sk.SketchmlError("pix2pix translates a picture: model.generate(frame), e.g. "
                                   "a camera frame, a tensor or an image file.")
        network = self._need_network()
        if isinstance(picture, sk.Latent):
            a = _fit(picture["image"].to(self.device).float(), self.resolution)
        elif prepare:
            a = self.prepare(picture)
        else:
            a = _fit(_as_images(picture).to(self.device), self.resolution)
        b = (network(a * 2 - 1) + 1) / 2
        return sk.Images(b.clamp_(0, 1), latent=self.latent({"image": a}, seed=seed))

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train pix2pix on pairs made from ``data``; checkpoints, samples and the result go to ``out``.

        Args:
            data: a video file (``frames`` evenly spaced frames), a folder of pictures,
                a folder of side-by-side A|B pictures (``input="pairs"``), a tensor of
                pictures ``(N, 3, H, W)`` in [0, 1], or a pair of tensors ``(A, B)``.
            out: the run's folder (required); training again into it resumes.
            **options: the :class:`Pix2PixTraining` settings, the flags of ``sketchml train
                pix2pix``: ``input`` (how A is made from each picture: ``"edges"``
                default, ``"posterise"``, ``"blur"``, ``"greyscale"``, ``"kmeans"``; or
                ``"pairs"`` for A|B pictures), ``steps``, ``batch_size``, ``resolution`` (a
                power of two >= 32; the paper's is 256), ``width`` (the paper's 64),
                ``frames``, ``lr`` (betas (0.5, 0.999), as in the paper), ``l1`` (100, as
                in the paper), ``flip``, ``seed`` (default: the resumed run's, else a new
                one, recorded in the run), ``minutes``, ``sample_every`` (grids of A, made
                B and true B rows in ``out/samples/``), ``checkpoint_every``, ``progress``.

        Returns:
            The :class:`~sketchml.training.TrainingRun`; this model then generates with the
            trained weights, also written to ``out/pix2pix.safetensors``.

        Examples:
            >>> import sketchml as sk, torch, tempfile
            >>> p2p = sk.model("pix2pix", device="cpu")
            >>> p2p.train(torch.rand(4, 3, 32, 32), out=tempfile.mkdtemp(), input="blur",
            ...           resolution=32, steps=1, width=4, progress=False).step
            1
        """
        settings = Pix2PixTraining.build(self.family, options)
        run, generator, config = train_pix2pix(
            data, out=out, device=self.device,
            **{field.name: getattr(settings, field.name) for field in fields(settings)})
        self._use(generator, config, repr(str(Path(out) / EXPORT_NAME)))
        return run


def _export_config(path: Path) -> dict[str, Any]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as opened:
        meta = opened.metadata() or {}
    return json.loads(meta.get("config", "{}"))


def _run_config(folder: Path) -> dict[str, Any]:
    from sketchml.plugin import latest_checkpoint

    found = latest_checkpoint(folder / "checkpoints")
    return dict(found.meta.get("config", {})) if found is not None else {}


def _check_resolution(resolution: int) -> int:
    if not isinstance(resolution, int) or resolution < 32 or resolution & (resolution - 1):
        raise sk.SketchmlError(f"resolution must be a power of two >= 32 (32, 64, 128, 256), "
                               f"got {resolution!r}.")
    return int(math.log2(resolution))


def load_pairs(data: Any, *, input: str = "edges", resolution: int = 64,
               frames: int = 400) -> tuple[torch.Tensor, torch.Tensor]:
    """The training pairs ``(A, B)``, each ``(N, 3, R, R)`` float in [0, 1], from ``data``.

    See :meth:`Pix2Pix.train` for what ``data`` and ``input`` may be.

    Examples:
        >>> import torch
        >>> from sketchml_image.pix2pix import load_pairs
        >>> a, b = load_pairs(torch.rand(3, 3, 40, 40), input="greyscale", resolution=32)
        >>> a.shape, bool((a[:, 0] == a[:, 1]).all())
        (torch.Size([3, 3, 32, 32]), True)
    """
    import numpy as np

    if input != "pairs" and input not in TRANSFORMS:
        from sketchml.plugin import did_you_mean

        raise sk.SketchmlError(f"input={input!r} is not an input transform."
                               f"{did_you_mean(input, [*TRANSFORMS, 'pairs'])} Known: "
                               f"{', '.join(TRANSFORMS)}, or 'pairs' for a folder of A|B pictures.")
    if isinstance(data, (tuple, list)) and len(data) == 2:
        a, b = (_fit(_as_images(side, "train()"), resolution) for side in data)
        if a.shape != b.shape:
            raise sk.SketchmlError(f"The A and B pictures must pair up: got {tuple(a.shape)} "
                                   f"and {tuple(b.shape)}.")
        return a, b
    if isinstance(data, torch.Tensor):
        pictures = _as_images(data, "train()")
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if path.is_file() and path.suffix.lower() in _VIDEO_SUFFIXES:
            from sketchml.plugin import read_video_frames, video_frame_count

            count = min(frames, max(1, video_frame_count(path)))
            stack = np.stack(list(read_video_frames(path, count=count)))
            pictures = torch.from_numpy(stack).permute(0, 3, 1, 2).float() / 255
        elif path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
            if not files:
                raise sk.SketchmlError(f"The folder {path} holds no pictures to train on.")
            pictures = [_as_images(str(p), "train()") for p in files]
            if input == "pairs":
                a, b = [], []
                for picture in pictures:
                    half = picture.shape[-1] // 2
                    a.append(_fit(picture[..., :half], resolution))
                    b.append(_fit(picture[..., half:2 * half], resolution))
                return torch.cat(a), torch.cat(b)
            pictures = torch.cat([_fit(p, resolution) for p in pictures])
        else:
            raise sk.SketchmlError(f"No video file or folder at {str(path)!r} to make pairs from.")
    else:
        raise sk.SketchmlError(f"train() takes a video file, a folder, a tensor of pictures or "
                               f"a pair (A, B) of tensors; got {type(data).__name__}.")
    if input == "pairs":
        raise sk.SketchmlError("input='pairs' reads a folder of side-by-side A|B pictures; "
                               "for a video or a tensor choose a transform, e.g. input='edges'.")
    b = _fit(pictures, resolution)
    a = torch.cat([apply_transform(input, chunk) for chunk in b.split(64)])
    return a, b


def train_pix2pix(data: Any, *, out: str | os.PathLike[str] | None, input: str = "edges",
                  steps: int = 2000, batch_size: int = 4, resolution: int = 64, width: int = 32,
                  frames: int = 400, lr: float = 0.0002, l1: float = 100.0, flip: bool = True,
                  seed: int | None = None, minutes: float | None = None,
                  sample_every: int | None = None, checkpoint_every: int | None = None,
                  progress: bool | None = None,
                  should_stop: Callable[[], bool] | None = None,
                  device: Any = None) -> tuple[TrainingRun, UnetGenerator, dict[str, Any]]:
    """Train pix2pix (see :meth:`Pix2Pix.train`); returns ``(run, generator, config)``.

    ``seed=None`` takes the resumed run's seed, else a new one (recorded in the run).

    Examples:
        >>> import tempfile, torch
        >>> from sketchml_image.pix2pix import train_pix2pix
        >>> run, g, config = train_pix2pix(torch.rand(4, 3, 32, 32), out=tempfile.mkdtemp(),
        ...                                resolution=32, steps=1, width=4, progress=False,
        ...                                device="cpu")
        >>> config["input"], g.num_downs
        ('edges', 5)
    """
    from torch.utils.data import TensorDataset

    from sketchml.plugin import latest_checkpoint, seed_everything

    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints, samples and the "
                               "trained weights, e.g. model.train('clip.mp4', out='runs/p2p').")
    seed = Pix2PixTraining(seed=seed).seed_for(out)
    num_downs = _check_resolution(resolution)
    for name, value in (("steps", steps), ("batch_size", batch_size), ("width", width),
                        ("frames", frames)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise sk.SketchmlError(f"{name} must be a whole number >= 1, got {value!r}.")
    config = {"family": "pix2pix", "input": None if input == "pairs" else input,
              "resolution": resolution, "width": width}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in config if before.get(k) != config[k]]
        if changed:
            settings = ", ".join(f"{k}={before.get(k)!r}" for k in changed)
            raise sk.SketchmlError(f"{out} holds a pix2pix run with {settings}; resuming it "
                                   f"needs the same settings, or train into another out= folder.")
    a, b = load_pairs(data, input=input, resolution=resolution, frames=frames)
    dataset = TensorDataset(a * 2 - 1, b * 2 - 1)
    batch_size = min(batch_size, len(dataset))

    seed_everything(seed)
    generator = UnetGenerator(3, 3, num_downs, width)
    discriminator = NLayerDiscriminator(6, width)
    generator.apply(_init_weights)
    discriminator.apply(_init_weights)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    shown = slice(0, min(8, len(dataset)))

    def on_sample(run: Any) -> None:
        a_shown, b_shown = dataset.tensors[0][shown], dataset.tensors[1][shown]
        made = run.modules["g"](a_shown.to(run.device)).cpu()
        run.save_samples(torch.cat([a_shown, made, b_shown]), nrow=len(a_shown),
                         value_range=(-1.0, 1.0))

    run = TrainingRun(out=out, model={"g": generator, "d": discriminator},
                      optimizers={"g": opt_g, "d": opt_d}, steps=steps, seed=seed, device=device,
                      sample_every=sample_every or max(1, steps // 10), on_sample=on_sample,
                      progress=progress, config=config, checkpoint_every=checkpoint_every,
                      should_stop=should_stop, ddp_options={"broadcast_buffers": False})
    started = time.monotonic()
    for _, (real_a, real_b) in run.loop(dataset, batch_size=batch_size):
        if minutes is not None and time.monotonic() - started > minutes * 60:
            break
        if flip:
            mirror = torch.rand(real_a.shape[0], device=real_a.device) < 0.5
            real_a = torch.where(mirror[:, None, None, None], real_a.flip(-1), real_a)
            real_b = torch.where(mirror[:, None, None, None], real_b.flip(-1), real_b)
        fake_b = run.models["g"](real_a)
        d_fake = run.models["d"](torch.cat([real_a, fake_b.detach()], 1))
        d_real = run.models["d"](torch.cat([real_a, real_b], 1))
        loss_d = 0.5 * (F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
                        + F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        d_gen = run.models["d"](torch.cat([real_a, fake_b], 1))
        loss_gan = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
        loss_l1 = F.l1_loss(fake_b, real_b)
        loss_g = loss_gan + l1 * loss_l1
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        run.log(loss_d=loss_d, loss_g_gan=loss_gan, loss_l1=loss_l1)
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    generator.eval()
    if run.is_main:
        _export(generator, Path(out) / EXPORT_NAME, config={**config, "step": run.step})
    return run, generator, config


def _export(generator: UnetGenerator, path: Path, *, config: dict[str, Any],
            half: bool = False) -> None:
    """Write the generator's weights (reference key layout) with the settings in the header."""
    from safetensors.torch import save

    from sketchml.plugin import atomic_write_bytes

    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
             for k, v in generator.state_dict().items()}
    meta = {"format": "sketchml.pix2pix/1", "config": json.dumps(config)}
    atomic_write_bytes(path, save(state, metadata=meta))
