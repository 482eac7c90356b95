"""DCGAN: the deep convolutional GAN of Radford, Metz and Chintala (2015), arXiv:1511.06434.

The generator turns a Gaussian latent ``z`` (``latent_dim`` numbers) into an image
through transposed convolutions with batch norm and ReLU, ending in tanh; the
discriminator mirrors it with strided convolutions and leaky ReLU. Both are built
for 32, 64 or 128 px: one up/down-sampling stage per doubling from 4 x 4. With
``upsample="resize"`` (``--upsample resize``) each generator stage is a nearest-neighbour
resize and a 3 x 3 convolution instead (Odena, Dumoulin and Olah 2016, "Deconvolution and
checkerboard artifacts"): a little slower per step, and free of the checkerboard pattern
that overlapping transposed kernels print on the pictures.

Checkpoint layout: the networks are ``nn.Sequential`` modules named ``main``, laid
out exactly as the PyTorch examples' ``dcgan/main.py`` (``main.0.weight``,
``main.1.running_mean``, ... ``main.12.weight`` at 64 px), so a ``netG_epoch_N.pth``
saved by that script loads unchanged (``sk.model("dcgan", weights="netG.pth")``). The
architecture (resolution, width, latent size, upsampling: 3 x 3 kernels mean resize) is
read from the tensors' shapes, so any such file describes itself.

``train`` runs on a folder of images, a video file (frames sampled evenly), the
procedural shapes world (``"shapes"``) or any dataset of images, through
:class:`sketchml.training.TrainingRun`: resumable, a progress bar, atomic
checkpoints, a loss plot and a grid of samples written as it trains. The trained
generator is exported to ``OUT/dcgan.safetensors``; ``sk.model("dcgan", weights=OUT)``
loads it (or the latest checkpoint of a run that has not finished).

``loss="hinge"`` trains the game with the hinge loss against a spectrally normalised
discriminator without batch norm (Miyato et al. 2018) instead of the paper's
non-saturating loss.

The default variant ``dcgan.shapes`` (64 px) was trained on the shapes world (plain and
gradient backgrounds) by ``scripts/train_dcgan_shapes.py``; its training record is
``weights/dcgan-shapes.json``. The architecture chosen for a CPU budget: the paper's
networks at ``width=32``, ``upsample="resize"`` (no checkerboard), the paper's loss at five
times its learning rate with a weight average (ema 0.999) for sampling: 7,000 steps, 50
CPU-minutes. It is not yet good enough: a classifier that is unsure of blobs finds a
shape in 17.6% of its pictures.
"""
from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import did_you_mean, progress_bar, renamed
from sketchml.plugin import (ImageTrainSettings, TrainingRun, image_dataset, latest_checkpoint,
                             seed_everything, setting)

__all__ = ["DCGAN", "DCGANOptions", "DCGANTraining", "Discriminator", "Generator", "train_dcgan"]

RESOLUTIONS = (32, 64, 128)
EXPORT_NAME = "dcgan.safetensors"
UPSAMPLING = ("transposed", "resize")
LOSSES = ("bce", "hinge")


def _stages(resolution: int) -> int:
    if resolution not in RESOLUTIONS:
        raise sk.SketchmlError(
            f"DCGAN makes {', '.join(map(str, RESOLUTIONS))} px images, not {resolution!r}. "
            f"Pick one of those (resize the results with image(img, x, y, w, h) to show them "
            f"bigger)."
        )
    return int(math.log2(resolution)) - 2


class Generator(nn.Module):
    """DCGAN generator: ``(N, latent_dim)`` latents -> ``(N, 3, R, R)`` images in [-1, 1].

    Args:
        resolution: 32, 64 or 128.
        latent_dim: size of ``z`` (default 100, as in the paper).
        width: channels of the last hidden layer (``ngf``); earlier layers double it.
        upsample: how each stage doubles the image: ``"transposed"`` (default), the paper's
            4 x 4 stride-2 transposed convolutions, laid out as the PyTorch examples; or
            ``"resize"``, nearest-neighbour resizing followed by a 3 x 3 convolution (Odena,
            Dumoulin and Olah 2016, "Deconvolution and checkerboard artifacts"), which
            cannot make the checkerboard pattern overlapping transposed kernels leave.

    Examples:
        >>> import torch
        >>> from sketchml_gan.dcgan import Generator
        >>> Generator(resolution=32, width=8)(torch.randn(2, 100)).shape
        torch.Size([2, 3, 32, 32])
        >>> Generator(resolution=32, width=8, upsample="resize")(torch.randn(2, 100)).shape
        torch.Size([2, 3, 32, 32])
    """

    def __init__(self, *, resolution: int = 64, latent_dim: int = 100, width: int = 64,
                 upsample: str = "transposed") -> None:
        super().__init__()
        stages = _stages(resolution)
        if upsample not in UPSAMPLING:
            raise sk.SketchmlError(f"upsample must be one of {', '.join(UPSAMPLING)}, got "
                                   f"{upsample!r}.")
        self.resolution, self.latent_dim, self.width = resolution, latent_dim, width
        self.upsample = upsample
        channels = [width * 2 ** (stages - 1 - i) for i in range(stages)]
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, channels[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(channels[0]), nn.ReLU(True)]
        for c_in, c_out in zip(channels, channels[1:]):
            layers += [*_double(c_in, c_out, upsample), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [*_double(channels[-1], 3, upsample), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], -1, 1, 1))


def _double(c_in: int, c_out: int, upsample: str) -> list[nn.Module]:
    """Layers that double the side of a feature map: one transposed conv, or resize + conv."""
    if upsample == "transposed":
        return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)]


class Discriminator(nn.Module):
    """DCGAN discriminator: ``(N, 3, R, R)`` images in [-1, 1] -> ``(N,)`` logits (real > 0).

    Examples:
        >>> import torch
        >>> from sketchml_gan.dcgan import Discriminator
        >>> Discriminator(resolution=32, width=8)(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2])
    """

    def __init__(self, *, resolution: int = 64, width: int = 64, batch_norm: bool = True) -> None:
        super().__init__()
        stages = _stages(resolution)
        channels = [width * 2 ** i for i in range(stages)]
        layers: list[nn.Module] = [nn.Conv2d(3, channels[0], 4, 2, 1, bias=False),
                                   nn.LeakyReLU(0.2, inplace=True)]
        for c_in, c_out in zip(channels, channels[1:]):
            norm = [nn.BatchNorm2d(c_out)] if batch_norm else []
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), *norm,
                       nn.LeakyReLU(0.2, inplace=True)]
        # The paper ends in a sigmoid; logits with BCEWithLogits are the stable equivalent.
        layers += [nn.Conv2d(channels[-1], 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).flatten()


def _init_weights(module: nn.Module) -> None:
    # The paper's initialisation: N(0, 0.02) convolutions, N(1, 0.02) batch-norm scales.
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _architecture(state: dict[str, torch.Tensor], source: str) -> dict[str, int]:
    """Resolution, latent size and width of a generator state dict, read from its shapes."""
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise sk.SketchmlError(
            f"{source} does not hold a plain state dict of tensors (it holds a "
            f"{type(state).__name__}). Pass the weights of a DCGAN generator (a .safetensors "
            f"file, a torch.save(netG.state_dict()) file) or a folder written by "
            f"`sketchml train dcgan`."
        )
    first = state.get("main.0.weight")
    kernels = {tuple(value.shape[-2:]) for key, value in state.items()
               if key.startswith("main.") and key != "main.0.weight" and value.dim() == 4}
    convs = sorted((int(key.split(".")[1]) for key, value in state.items()
                    if key.startswith("main.") and key.endswith(".weight") and value.dim() == 4),
                   key=int)
    if first is None or first.dim() != 4 or first.shape[-2:] != (4, 4) or len(convs) < 4:
        expected = Generator(resolution=64, latent_dim=100, width=8).state_dict()
        raise _layout_error(state, expected, source)
    stages = len(convs) - 1
    resolution = 4 * 2 ** stages
    width = int(first.shape[1]) // 2 ** (stages - 1)
    if resolution not in RESOLUTIONS or width < 1:
        raise sk.SketchmlError(
            f"{source} holds a DCGAN-like generator making {resolution} px images; sketchml's "
            f"DCGAN makes {', '.join(map(str, RESOLUTIONS))} px. Train one with "
            f"`sketchml train dcgan DATA --out DIR --resolution 64`."
        )
    upsample = "resize" if kernels == {(3, 3)} else "transposed"
    return {"resolution": resolution, "latent_dim": int(first.shape[0]), "width": width,
            "upsample": upsample}


def _layout_error(state: dict[str, Any], expected: dict[str, Any], source: str) -> sk.SketchmlError:
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    return sk.SketchmlError(
        f"{source} is not a DCGAN generator checkpoint (the layout of sketchml's DCGAN and of "
        f"the PyTorch examples' netG: main.0.weight, main.1.weight, ...). First missing keys: "
        f"{missing[:5] or 'none'}; first unexpected keys: {unexpected[:5] or 'none'}. Pass the "
        f"weights of a DCGAN generator, or a folder written by `sketchml train dcgan`."
    )


def _load_generator(state: dict[str, torch.Tensor], source: str) -> Generator:
    arch = _architecture(state, source)
    generator = Generator(**arch)
    expected = generator.state_dict()
    if set(state) != set(expected):
        raise _layout_error(state, expected, source)
    for key, value in expected.items():
        if state[key].shape != value.shape:
            raise sk.SketchmlError(
                f"{source}: tensor {key!r} is shaped {tuple(state[key].shape)}, but a DCGAN "
                f"generator of {arch['resolution']} px, latent {arch['latent_dim']}, width "
                f"{arch['width']}, {arch['upsample']} upsampling needs {tuple(value.shape)}. The file is damaged or not a DCGAN."
            )
    generator.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    return generator.eval()


@dataclass
class DCGANOptions:
    """Options of ``sk.model("dcgan", ...)``."""

    resolution: int = 0
    """The image size you need (32, 64 or 128); 0 takes the weights' own. A size the weights
    were not trained at is an error that says how to train one."""


@dataclass
class DCGANTraining(ImageTrainSettings):
    """What ``DCGAN.train`` and ``sketchml train dcgan`` take (and the shared image settings)."""

    batch_size: int = setting(64, "images per step")
    resolution: int = setting(64, "image size: 32, 64 or 128 px")
    lr: float = setting(0.0002, "Adam learning rate (betas 0.5, 0.999, as in the paper)")
    width: int = setting(32, "channels of the networks' outermost hidden layers (32 is quick "
                             "on a CPU; the paper's models are wider, 64 or 128, on a GPU)")
    latent_dim: int = setting(100, "size of the latent z")
    upsample: str = setting("transposed", "how the generator doubles its images: 'transposed' "
                                          "(the paper's) or 'resize' (nearest resize + 3x3 "
                                          "conv: no checkerboard artefacts, slower per step)")
    loss: str = setting("bce", "the game: 'bce' (the paper's, non-saturating) or 'hinge' with a "
                               "spectrally normalised discriminator without batch norm "
                               "(Miyato et al. 2018: steadier, often sharper)")


class DCGAN(sk.Model):
    """DCGAN (Radford et al. 2015): generate, walk, encode, and train on your own images.

    ``sk.model("dcgan")`` is ``dcgan.shapes``, 64 px, trained offline on sketchml's shapes
    world; ``sk.model("dcgan", weights=DIR)`` loads a model you trained into ``DIR`` (or a
    ``.safetensors`` / PyTorch-examples ``netG.pth`` file). Latents are ``z``:
    ``(N, latent_dim)`` standard normal; walks between them are spherical (slerp). The
    generator itself, a plain ``torch.nn.Module``, is ``gan.network``.

    Examples:
        >>> import sketchml as sk
        >>> gan = sk.model("dcgan", device="cpu")
        >>> gan.generate(gan.sample_latent(4, seed=1)).shape
        torch.Size([4, 3, 64, 64])
    """

    Options = DCGANOptions
    TrainSettings = DCGANTraining
    interpolation = "slerp"
    # The weight average is what a finished run exports, so it wins in checkpoints too.
    trained_networks = ("g_ema", "g")

    def load(self) -> None:
        path = self.weights_path()
        state, source = sk.load_weights(path), repr(str(path))
        self.network = _load_generator(state, source).to(self.device)
        self.source = source
        wanted = self.options.resolution
        if wanted and wanted != self.resolution:
            _stages(wanted)
            raise sk.SketchmlError(
                f"{source} makes {self.resolution} px images, not resolution={wanted}. Train a "
                f"DCGAN at that size (`sketchml train dcgan DATA --out DIR --resolution "
                f"{wanted}`) and load it with sk.model('dcgan', weights=DIR), or leave "
                f"resolution out."
            )

    # -- facts ---------------------------------------------------------------------------------

    @property
    def resolution(self) -> int:
        """Side of the images this model makes, in pixels."""
        return self.network.resolution

    @property
    def latent_dim(self) -> int:
        """Numbers per latent ``z``."""
        return self.network.latent_dim

    # -- verbs ---------------------------------------------------------------------------------

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` latents ``z`` ``(n, latent_dim)``, standard normal; a seed gives the same on any device.

        Examples:
            >>> import sketchml as sk
            >>> sk.model("dcgan", device="cpu").sample_latent(3, seed=0)["z"].shape
            torch.Size([3, 100])
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise sk.SketchmlError(f"n must be a whole number >= 1, got {n!r}.")
        return self.latent(self.randn(n, self.latent_dim, seed=seed), seed=seed)

    @torch.no_grad()
    def generate(self, latent: Any = None, *, seed: int | None = None) -> sk.Images:
        """Images ``(N, 3, R, R)`` float in [0, 1] from latents (a Latent, a tensor, a count or None).

        Examples:
            >>> import sketchml as sk
            >>> gan = sk.model("dcgan", device="cpu")
            >>> gan.generate(2, seed=7).shape
            torch.Size([2, 3, 64, 64])
        """
        z = self.as_latent(latent, seed=seed)
        tensor = z.tensor
        if tensor.dim() != 2 or tensor.shape[1] != self.latent_dim:
            raise sk.SketchmlError(
                f"This DCGAN takes latents shaped (N, {self.latent_dim}), got "
                f"{tuple(tensor.shape)}. Make them with model.sample_latent(n, seed=...)."
            )
        images = (self.network(tensor.to(self.device, torch.float32)) + 1) / 2
        return sk.Images(images.clamp_(0, 1), latent=z)

    @renamed(image="data")
    def encode(self, data: Any, *, steps: int = 300, seed: int | None = None, lr: float = 0.05,
               candidates: int = 32, progress: bool | None = None) -> sk.Latent:
        """The latent whose image looks most like ``data`` (an image), found by optimisation.

        ``data`` is a tensor ``(3, H, W)`` / ``(N, 3, H, W)`` in [0, 1] (uint8 works too),
        a Pillow image or a file path; it is scaled to the model's size. The search starts
        from the best of ``candidates`` random latents (drawn from ``seed``; ``None``: a new
        seed, kept in the result's ``seed``) and runs ``steps`` Adam steps on the pixel
        error (with a pull towards typical latent lengths), with a progress bar when
        someone can see it (``progress=None``; ``True``/``False`` force it). The result's
        metadata ``losses`` holds the error per step, ``loss`` the last.

        Examples:
            >>> import sketchml as sk
            >>> gan = sk.model("dcgan", device="cpu")
            >>> target = gan.generate(1, seed=3)
            >>> z = gan.encode(target, steps=20)
            >>> z.metadata["losses"][-1] < z.metadata["losses"][0]
            True
        """
        if not isinstance(steps, int) or steps < 1:
            raise sk.SketchmlError(f"steps must be a whole number >= 1, got {steps!r}.")
        target = _image_tensor(data, self.resolution).to(self.device) * 2 - 1
        n = target.shape[0]
        for parameter in self.network.parameters():
            parameter.requires_grad_(False)
        with torch.no_grad():
            pool = self.randn(n * candidates, self.latent_dim, seed=seed).reshape(
                n, candidates, -1)
            errors = torch.stack([
                (self.network(pool[:, k]) - target).pow(2).flatten(1).mean(1)
                for k in range(candidates)], dim=1)
            start = pool[torch.arange(n), errors.argmin(dim=1)]
        z = start.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([z], lr=lr)
        losses = []
        quiet = None if progress is None else not progress
        for _ in progress_bar(range(steps), desc="encoding", quiet=quiet):
            pixel = (self.network(z) - target).pow(2).mean()
            # A Gaussian latent of this size lies near the sphere of radius sqrt(latent_dim).
            prior = (z.pow(2).mean(dim=1) - 1).pow(2).mean()
            loss = pixel + 0.01 * prior
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(round(float(pixel.detach()), 6))
        return self.latent(z.detach(), seed=seed, losses=losses, loss=losses[-1], encoded=True)

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train a DCGAN on ``data``; checkpoints, samples and the result go to ``out``.

        Args:
            data: a folder of images, a video file, ``"shapes"`` (sketchml's shapes world), a
                :class:`~sketchml.datasets.ShapesWorld`, an image tensor ``(N, 3, H, W)`` in
                [0, 1] or a dataset of images (see :func:`sketchml.training.image_dataset`).
            out: the run's folder (required). Training again into the same folder resumes;
                a larger ``steps`` trains further.
            **options: the fields of :class:`DCGANTraining` (``steps``, ``resolution``,
                ``batch_size``, ``minutes``, ``width``, ``ema`` ...), the same as the flags of
                ``sketchml train dcgan``.

        Returns:
            The :class:`~sketchml.training.TrainingRun` (``.history`` holds the losses,
            ``.step`` how far it got). This model now generates with the trained weights,
            which are also written to ``out/dcgan.safetensors``.

        Examples:
            >>> import sketchml as sk, tempfile
            >>> gan = sk.model("dcgan", device="cpu")
            >>> run = gan.train("shapes", out=tempfile.mkdtemp(), resolution=32, steps=2,
            ...                 batch_size=8, width=8, shapes=16, progress=False)
            >>> run.step, gan.resolution
            (2, 32)
        """
        run, generator = train_dcgan(data, out=out, device=self.device, **options)
        self.network = generator.eval()
        self.source = repr(str(Path(out) / EXPORT_NAME))  # type: ignore[arg-type]
        return run


def train_dcgan(data: Any, *, out: str | os.PathLike[str] | None, device: Any = None,
                **options: Any) -> tuple[TrainingRun, Generator]:
    """Train a DCGAN (see :meth:`DCGAN.train`); returns ``(run, generator)``.

    The same as ``sk.model("dcgan").train(...)`` without a model to start from, plus
    ``device`` (default: the best available).

    Examples:
        >>> import tempfile
        >>> from sketchml_gan.dcgan import train_dcgan
        >>> run, g = train_dcgan("shapes", out=tempfile.mkdtemp(), resolution=32, steps=1,
        ...                      batch_size=4, width=4, shapes=8, progress=False, device="cpu")
        >>> g.resolution
        32
    """
    settings = DCGANTraining.build("dcgan", options)
    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints, samples and the "
                               "trained weights, e.g. gan.train('my_images/', out='runs/mine').")
    _stages(settings.resolution)
    if settings.upsample not in UPSAMPLING:
        raise sk.SketchmlError(f"upsample must be one of {', '.join(UPSAMPLING)}, got "
                               f"{settings.upsample!r}.")
    if settings.loss not in LOSSES:
        raise sk.SketchmlError(f"loss must be one of {', '.join(LOSSES)}, got {settings.loss!r}."
                               f"{did_you_mean(str(settings.loss), LOSSES)}")
    for name in ("steps", "batch_size", "width", "latent_dim", "shapes"):
        value = getattr(settings, name)
        if value < 1:
            raise sk.SketchmlError(f"{name} must be a whole number >= 1, got {value!r}.")
    seed = settings.seed_for(out)
    config = {"family": "dcgan", "resolution": settings.resolution,
              "latent_dim": settings.latent_dim, "width": settings.width, "ema": settings.ema,
              "upsample": settings.upsample, "loss": settings.loss,
              "data": str(data) if isinstance(data, (str, os.PathLike)) else type(data).__name__}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        older = {"upsample": "transposed", "loss": "bce"}  # runs from before these settings
        changed = [k for k in ("resolution", "latent_dim", "width", "ema", "upsample", "loss")
                   if before.get(k, older.get(k)) != config[k]]
        if changed:
            given = ", ".join(f"{k}={before.get(k)!r}" for k in changed)
            raise sk.SketchmlError(
                f"{out} holds a DCGAN run with {given}; resuming it needs the same "
                f"settings. Pass those, or train into another out= folder."
            )
    # The dataset is read before anything is written, so bad data leaves no folder behind.
    dataset = image_dataset(data, size=settings.resolution, frames=settings.frames,
                            flip=settings.flip, seed=seed, count=settings.shapes)
    batch_size = min(settings.batch_size, len(dataset))

    seed_everything(seed)
    latent_dim = settings.latent_dim
    generator = Generator(resolution=settings.resolution, latent_dim=latent_dim,
                          width=settings.width, upsample=settings.upsample)
    discriminator = Discriminator(resolution=settings.resolution, width=settings.width,
                                  batch_norm=settings.loss == "bce")
    generator.apply(_init_weights)
    discriminator.apply(_init_weights)
    hinge = settings.loss == "hinge"
    if hinge:
        for layer in discriminator.modules():
            if isinstance(layer, nn.Conv2d):
                nn.utils.parametrizations.spectral_norm(layer)
    betas = (0.5, 0.999)
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.lr, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.lr, betas=betas)
    fixed = torch.randn(64, latent_dim, generator=torch.Generator().manual_seed(seed))
    modules = {"g": generator, "d": discriminator}
    if settings.ema:
        modules["g_ema"] = copy.deepcopy(generator).requires_grad_(False)
    result = "g_ema" if settings.ema else "g"

    def on_sample(run: TrainingRun) -> None:
        images = run.modules[result](fixed.to(run.device))
        run.save_samples(images, nrow=8, value_range=(-1.0, 1.0))

    run = TrainingRun(out=out, model=modules, optimizers={"g": opt_g, "d": opt_d},
                      steps=settings.steps, seed=seed, device=device,
                      sample_every=settings.sample_every or max(1, settings.steps // 10),
                      on_sample=on_sample, progress=settings.progress, config=config,
                      checkpoint_every=settings.checkpoint_every, minutes=settings.minutes,
                      should_stop=settings.should_stop,
                      ema={"g_ema": "g"} if settings.ema else None, ema_decay=settings.ema or 0.0,
                      export={EXPORT_NAME: result}, ddp_options={"broadcast_buffers": False})
    real_label = 0.9  # one-sided label smoothing (Salimans et al. 2016) steadies D
    for _, batch in run.loop(dataset, batch_size=batch_size):
        real = batch[0] if isinstance(batch, (list, tuple)) else batch
        z = torch.randn(real.shape[0], latent_dim, device=run.device)
        fake = run.models["g"](z)
        d_real = run.models["d"](real)
        d_fake = run.models["d"](fake.detach())
        if hinge:
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:
            loss_d = (F.binary_cross_entropy_with_logits(d_real,
                                                         torch.full_like(d_real, real_label))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        d_gen = run.models["d"](fake)
        loss_g = (-d_gen.mean() if hinge
                  else F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen)))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        run.log(loss_d=loss_d, loss_g=loss_g, d_real=d_real.sigmoid().mean(),
                d_fake=d_fake.sigmoid().mean())
    return run, run.modules[result]


def _image_tensor(image: Any, resolution: int) -> torch.Tensor:
    """Any image the user gives, as ``(N, 3, R, R)`` float in [0, 1]."""
    from PIL import Image

    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise sk.SketchmlError(f"No image file at {str(path)!r}; check the path.")
        try:
            with Image.open(path) as opened:
                image = opened.convert("RGB")
        except OSError as err:
            raise sk.SketchmlError(f"{str(path)!r} is not an image Pillow can read ({err}).") from err
    if isinstance(image, Image.Image):
        import numpy as np

        image = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)
    if not isinstance(image, torch.Tensor):
        raise sk.SketchmlError(
            f"encode() takes an image: a tensor (3, H, W) or (N, 3, H, W) in [0, 1], a Pillow "
            f"image or a file path; got {type(image).__name__}."
        )
    tensor = image.as_subclass(torch.Tensor).detach()
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[1] != 3:
        raise sk.SketchmlError(f"encode() takes RGB images (N, 3, H, W), got {tuple(tensor.shape)}.")
    tensor = tensor.float() / 255 if tensor.dtype == torch.uint8 else tensor.float()
    if tensor.shape[-2:] != (resolution, resolution):
        side = min(tensor.shape[-2:])
        top, left = (tensor.shape[-2] - side) // 2, (tensor.shape[-1] - side) // 2
        tensor = F.interpolate(tensor[..., top:top + side, left:left + side],
                               size=(resolution, resolution), mode="bilinear", antialias=True,
                               align_corners=False)
    return tensor.clamp(0, 1)
