"""Autoencoders: a convolutional autoencoder, a VAE and a conditional VAE, trainable on your pictures.

* ``ae``: an encoder squeezes a picture into ``latent_dim`` numbers and a decoder draws it
  back; trained on the reconstruction error alone. Its latents have no set distribution,
  so after training a Gaussian is fitted to the training set's latents (mean and
  covariance, kept with the weights) and ``sample_latent`` draws from that.
* ``vae``: the variational autoencoder of Kingma and Welling (2014, arXiv:1312.6114). The
  encoder gives a mean and a log-variance; training adds the KL divergence to a standard
  normal prior (weighted by ``beta``, Higgins et al. 2017), so ``sample_latent`` draws
  from N(0, I) and every point near the prior decodes to a picture.
* ``cvae``: the conditional VAE of Sohn et al. (2015): encoder and decoder also see a
  label (one-hot), taken from the names of the sub-folders the pictures are in (or a
  face attribute of the faces world). ``generate(label="happy")`` draws that kind.

The encoder is stride-2 convolutions with leaky ReLU from the picture down to 4 x 4, then a
linear layer; the decoder mirrors it with transposed convolutions, ending in a sigmoid.

The default ``autoencoder.faces`` is a VAE at 64 px with a 32-number latent, trained
offline on sketchml's procedural faces world by ``scripts/train_autoencoder_faces.py``;
its training record is ``weights/autoencoder-faces.json``.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import TrainingRun, TrainSettings, setting

__all__ = ["Autoencoder", "AutoencoderNet", "AutoencoderTraining", "load_labelled_images",
           "train_autoencoder"]

EXPORT_NAME = "autoencoder.safetensors"
KINDS = ("ae", "vae", "cvae")
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
_VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg"}


class AutoencoderNet(nn.Module):
    """Encoder and decoder of an AE / VAE / CVAE for ``resolution`` px pictures in [0, 1].

    Args:
        kind: ``"ae"``, ``"vae"`` or ``"cvae"``.
        resolution: 32, 64 or 128.
        latent_dim: numbers per latent.
        width: channels of the outermost convolution; each level inward doubles them (at
            most 8x).
        classes: label classes (CVAE only).

    Examples:
        >>> import torch
        >>> from sketchml_image.autoencoder import AutoencoderNet
        >>> net = AutoencoderNet(kind="vae", resolution=32, latent_dim=8, width=4)
        >>> mean, logvar = net.encode(torch.rand(2, 3, 32, 32))
        >>> net.decode(mean).shape
        torch.Size([2, 3, 32, 32])
    """

    def __init__(self, *, kind: str = "vae", resolution: int = 64, latent_dim: int = 32,
                 width: int = 32, classes: int = 0) -> None:
        super().__init__()
        if kind not in KINDS:
            raise sk.SketchmlError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
        if resolution not in (32, 64, 128):
            raise sk.SketchmlError(f"The autoencoders work at 32, 64 or 128 px, got "
                                   f"resolution={resolution!r}.")
        if kind == "cvae" and classes < 2:
            raise sk.SketchmlError("A conditional VAE needs at least two label classes (e.g. "
                                   "two sub-folders of pictures).")
        self.kind, self.resolution, self.latent_dim, self.width = kind, resolution, latent_dim, width
        self.classes = classes if kind == "cvae" else 0
        stages = int(math.log2(resolution)) - 2
        channels = [min(width * 2 ** i, width * 8) for i in range(stages)]
        layers: list[nn.Module] = []
        c_in = 3 + self.classes
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            c_in = c_out
        self.encoder = nn.Sequential(*layers, nn.Flatten())
        outputs = latent_dim * (1 if kind == "ae" else 2)
        self.to_latent = nn.Linear(channels[-1] * 16, outputs)
        self.from_latent = nn.Linear(latent_dim + self.classes, channels[-1] * 16)
        up: list[nn.Module] = []
        for c_in, c_out in zip(channels[::-1], channels[::-1][1:]):
            up += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        up += [nn.ConvTranspose2d(channels[0], 3, 4, 2, 1), nn.Sigmoid()]
        self.decoder = nn.Sequential(*up)
        # The plain AE's latent distribution, fitted after training (mean, Cholesky factor).
        self.register_buffer("latent_mean", torch.zeros(latent_dim))
        self.register_buffer("latent_scale_tril", torch.eye(latent_dim))

    def _one_hot(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.classes:
            return None
        if labels is None:
            raise sk.SketchmlError("This conditional VAE needs a label for every picture.")
        return F.one_hot(labels.long(), self.classes).float().reshape(n, self.classes)

    def encode(self, images: torch.Tensor, labels: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(mean, logvar)`` of pictures ``(N, 3, R, R)`` in [0, 1] (``logvar`` None for an AE)."""
        x = images * 2 - 1
        hot = self._one_hot(labels, images.shape[0])
        if hot is not None:
            x = torch.cat([x, hot[:, :, None, None].expand(-1, -1, *x.shape[-2:])], 1)
        out = self.to_latent(self.encoder(x))
        if self.kind == "ae":
            return out, None
        mean, logvar = out.chunk(2, dim=1)
        return mean, logvar.clamp(-12, 8)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(reconstruction, mean, logvar)``; a VAE decodes a sample around the mean."""
        mean, logvar = self.encode(images, labels)
        z = mean if logvar is None else mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        return self.decode(z, labels), mean, logvar

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Pictures ``(N, 3, R, R)`` in [0, 1] from latents ``(N, latent_dim)``."""
        hot = self._one_hot(labels, z.shape[0])
        if hot is not None:
            z = torch.cat([z, hot], 1)
        x = self.from_latent(z).reshape(z.shape[0], -1, 4, 4)
        return self.decoder(F.leaky_relu(x, 0.2))


@dataclass
class AutoencoderTraining(TrainSettings):
    """The training settings of the autoencoders (``sketchml train autoencoder --help``)."""

    steps: int = setting(3000, "optimisation steps in all; training again into the same "
                               "folder with more steps trains further")
    batch_size: int = setting(64, "pictures per step")
    kind: str = setting("vae", "ae (plain autoencoder), vae, or cvae (labels from sub-folder "
                               "names)")
    resolution: int = setting(64, "side of the pictures: 32, 64 or 128")
    latent_dim: int = setting(32, "numbers per latent")
    width: int = setting(32, "channels of the outermost convolutions")
    lr: float = setting(0.001, "Adam's learning rate")
    beta: float = setting(1.0, "weight of the KL term of a VAE (higher: smoother latent space, "
                               "blurrier pictures)")
    frames: int = setting(2000, "frames taken from a video")
    faces: int = setting(6000, "pictures drawn when training on 'faces'")
    label_by: str = setting("expression", "the face attribute a CVAE trained on 'faces' is "
                                          "conditioned on")
    flip: bool = setting(True, "mirror pictures at random")


class Autoencoder(sk.Model):
    """Autoencoders (AE, VAE, CVAE): encode pictures to latents, decode latents to pictures.

    ``sk.model("autoencoder")`` is ``autoencoder.faces``, a VAE trained offline on
    sketchml's faces world (64 px, 32-number latent); ``sk.model("autoencoder",
    weights=DIR)`` loads one you trained. The kind is ``model.kind``; a CVAE's label names
    are ``model.labels``. Latents are ``z`` ``(N, latent_dim)``; walks are spherical for a
    VAE (its prior is Gaussian) and straight for an AE. The network is ``model.network``.

    Examples:
        >>> import sketchml as sk
        >>> vae = sk.model("autoencoder", device="cpu")
        >>> faces = vae.generate(vae.sample_latent(4, seed=1))
        >>> faces.shape
        torch.Size([4, 3, 64, 64])
        >>> vae.encode(faces)["z"].shape
        torch.Size([4, 32])
    """

    TrainSettings = AutoencoderTraining

    def load(self) -> None:
        state, config, source = self._find_weights()
        self._use(state, config, source)

    def _find_weights(self) -> tuple[dict[str, torch.Tensor], dict[str, Any], str]:
        given = Path(self.weights).expanduser() if self.weights is not None else None
        if given is not None and given.is_dir():
            export = given / EXPORT_NAME
            if export.is_file():
                return _read_export(export)
            from sketchml.plugin import latest_checkpoint

            found = latest_checkpoint(given / "checkpoints")
            if found is None or "net" not in found.model_names:
                raise sk.SketchmlError(
                    f"{str(given)!r} holds no trained autoencoder: no {EXPORT_NAME} and no "
                    f"checkpoints/. Train one there with `sketchml train autoencoder DATA "
                    f"--out {given}`, or pass a weights file."
                )
            return found.weights("net"), dict(found.meta.get("config", {})), repr(str(found.path))
        path = self.weights_path()
        if path.suffix != ".safetensors":
            raise sk.SketchmlError(f"{str(path)!r}: autoencoder weights are the "
                                   f"{EXPORT_NAME} files `sketchml train autoencoder` writes.")
        return _read_export(path)

    def _use(self, state: dict[str, torch.Tensor], config: dict[str, Any], source: str) -> None:
        try:
            network = AutoencoderNet(kind=config["kind"], resolution=int(config["resolution"]),
                                     latent_dim=int(config["latent_dim"]),
                                     width=int(config["width"]),
                                     classes=len(config.get("labels") or []))
            network.load_state_dict({k: v.float() for k, v in state.items()})
        except (KeyError, RuntimeError, TypeError) as exc:
            raise sk.SketchmlError(f"{source} is not an autoencoder written by sketchml's "
                                   f"training ({exc}). Train one with `sketchml train "
                                   f"autoencoder DATA --out DIR`.") from exc
        self.network = network.to(self.device).eval()
        self.labels: list[str] = list(config.get("labels") or [])
        self.config = config
        self.source = source
        self.interpolation = "lerp" if network.kind == "ae" else "slerp"

    # -- facts ---------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``"ae"``, ``"vae"`` or ``"cvae"``."""
        return self.network.kind

    @property
    def resolution(self) -> int:
        """Side of the pictures, in pixels."""
        return self.network.resolution

    @property
    def latent_dim(self) -> int:
        """Numbers per latent ``z``."""
        return self.network.latent_dim

    # -- verbs ---------------------------------------------------------------------------------

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` latents ``(n, latent_dim)``: from the prior N(0, I) for a VAE / CVAE, from the
        Gaussian fitted to the training latents for a plain AE.

        Examples:
            >>> import sketchml as sk
            >>> sk.model("autoencoder", device="cpu").sample_latent(3, seed=0)["z"].shape
            torch.Size([3, 32])
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise sk.SketchmlError(f"n must be a whole number >= 1, got {n!r}.")
        noise = self.randn(n, self.latent_dim, seed=seed)
        if self.kind == "ae":
            net = self.network
            noise = net.latent_mean + noise @ net.latent_scale_tril.t()
        return self.latent(noise, seed=seed)

    def _label_ids(self, label: Any, n: int, seed: int | None) -> torch.Tensor | None:
        if self.kind != "cvae":
            if label is not None:
                raise sk.SketchmlError(f"label= is for a conditional VAE; this autoencoder is a "
                                       f"{self.kind}. Train one with kind='cvae' on a folder "
                                       f"with one sub-folder per label.")
            return None
        if label is None:
            return torch.randint(len(self.labels), (n,), generator=self.generator(seed))
        names = [label] if isinstance(label, (str, int)) else list(label)
        ids = []
        for name in names:
            if isinstance(name, int) and not isinstance(name, bool) and 0 <= name < len(self.labels):
                ids.append(name)
            elif isinstance(name, str) and name in self.labels:
                ids.append(self.labels.index(name))
            else:
                from sketchml.plugin import did_you_mean

                raise sk.SketchmlError(f"{name!r} is not a label of this CVAE."
                                       f"{did_you_mean(str(name), self.labels)} Its labels: "
                                       f"{', '.join(self.labels)}.")
        if len(ids) == 1:
            ids = ids * n
        if len(ids) != n:
            raise sk.SketchmlError(f"Give one label, or one per latent ({n}); got {len(ids)}.")
        return torch.tensor(ids)

    @torch.no_grad()
    def generate(self, latent: Any = None, *, seed: int | None = None,
                 label: Any = None) -> sk.Images:
        """Decode latents into pictures ``(N, 3, R, R)`` float in [0, 1].

        Args:
            latent: a Latent, a tensor ``(N, latent_dim)``, a count or None (one random).
            seed: draws the latents (and a CVAE's labels) when ``latent`` is a count or None.
            label: for a CVAE, the label name (or index) to draw, one for all or one per
                latent; None draws labels at random.

        Examples:
            >>> import sketchml as sk
            >>> sk.model("autoencoder", device="cpu").generate(2, seed=5).shape
            torch.Size([2, 3, 64, 64])
        """
        z = self.as_latent(latent, seed=seed)
        tensor = z.tensor
        if tensor.dim() != 2 or tensor.shape[1] != self.latent_dim:
            raise sk.SketchmlError(f"This autoencoder takes latents shaped (N, {self.latent_dim}), "
                                   f"got {tuple(tensor.shape)}. Make them with "
                                   f"model.sample_latent(n) or model.encode(pictures).")
        labels = self._label_ids(label, tensor.shape[0], seed)
        images = self.network.decode(tensor.to(self.device, torch.float32),
                                     None if labels is None else labels.to(self.device))
        return sk.Images(images, latent=z)

    @torch.no_grad()
    def encode(self, data: Any, *, seed: int | None = None, label: Any = None) -> sk.Latent:
        """The latents of pictures: the encoder's mean (``z`` ``(N, latent_dim)``).

        Args:
            data: a tensor ``(3, H, W)`` / ``(N, 3, H, W)`` in [0, 1] (uint8 too), a camera
                frame, an ``sk.Image``, a Pillow image, a numpy array or a file path; scaled
                to cover the model's size and cropped in the centre.
            seed: recorded with the latent (encoding takes the mean: no randomness).
            label: a CVAE encodes a picture together with its label (name or index).

        Examples:
            >>> import sketchml as sk
            >>> vae = sk.model("autoencoder", device="cpu")
            >>> vae.encode(vae.generate(1, seed=2))["z"].shape
            torch.Size([1, 32])
        """
        from sketchml_image.pix2pix import _as_images, _fit

        images = _fit(_as_images(data, "encode()").to(self.device), self.resolution)
        if self.kind == "cvae" and label is None:
            raise sk.SketchmlError(f"A CVAE encodes a picture with its label: "
                                   f"encode(picture, label=...), one of {', '.join(self.labels)}.")
        labels = self._label_ids(label, images.shape[0], seed)
        mean, _ = self.network.encode(images, None if labels is None else labels.to(self.device))
        return self.latent(mean, seed=seed)

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train an autoencoder on ``data``; checkpoints, samples and the result go to ``out``.

        Args:
            data: ``"faces"`` (sketchml's faces world), a folder of pictures (for a CVAE:
                one sub-folder per label, its name the label), a video file, a tensor of
                pictures ``(N, 3, H, W)`` in [0, 1], or ``(pictures, labels, names)`` with
                integer labels and their names.
            out: the run's folder (required); training again into it resumes.
            **options: the :class:`AutoencoderTraining` settings: ``kind`` (``"ae"``,
                ``"vae"`` default, ``"cvae"``), ``steps``, ``batch_size``, ``resolution``,
                ``latent_dim``, ``width``, ``lr``, ``beta``, ``frames``, ``faces``,
                ``label_by``, ``flip``, ``seed``, ``minutes``, ``sample_every``,
                ``checkpoint_every``, ``progress``.

        Returns:
            The :class:`~sketchml.training.TrainingRun`; this model then uses the trained
            weights, also written to ``out/autoencoder.safetensors``.

        Examples:
            >>> import sketchml as sk, tempfile
            >>> ae = sk.model("autoencoder", device="cpu")
            >>> run = ae.train("faces", out=tempfile.mkdtemp(), kind="ae", resolution=32,
            ...                steps=2, faces=16, batch_size=8, width=4, progress=False)
            >>> ae.kind, ae.resolution
            ('ae', 32)
        """
        settings = AutoencoderTraining.build(self.family, options)
        run, network, config = train_autoencoder(data, out=out, settings=settings,
                                                 device=self.device)
        self._use(network.state_dict(), config, repr(str(Path(out) / EXPORT_NAME)))
        return run


def _read_export(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any], str]:
    from safetensors import safe_open

    from sketchml.plugin import load_weights

    with safe_open(str(path), framework="pt") as opened:
        meta = opened.metadata() or {}
    if "config" not in meta:
        raise sk.SketchmlError(f"{str(path)!r} has no autoencoder settings in its header; it "
                               f"was not written by `sketchml train autoencoder`.")
    return load_weights(path), json.loads(meta["config"]), repr(str(path))


def load_labelled_images(data: Any, *, resolution: int = 64, kind: str = "vae",
                         frames: int = 2000, faces: int = 6000, label_by: str = "expression",
                         seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None, list[str]]:
    """``(pictures (N, 3, R, R) in [0, 1], labels (N,) or None, label names)`` from ``data``.

    Labels are read for a CVAE only: from sub-folder names, a face attribute, or given.

    Examples:
        >>> from sketchml_image.autoencoder import load_labelled_images
        >>> images, labels, names = load_labelled_images("faces", resolution=32, faces=4,
        ...                                              kind="cvae")
        >>> images.shape, names
        (torch.Size([4, 3, 32, 32]), ['happy', 'neutral', 'sad', 'surprised'])
    """
    from sketchml_image.pix2pix import _as_images, _fit

    conditional = kind == "cvae"
    if isinstance(data, tuple) and len(data) == 3:
        images, labels, names = data
        return _fit(_as_images(images, "train()"), resolution), torch.as_tensor(labels), list(names)
    if isinstance(data, torch.Tensor):
        if conditional:
            raise sk.SketchmlError("A CVAE needs labels: pass (pictures, labels, names), a "
                                   "folder with one sub-folder per label, or 'faces'.")
        return _fit(_as_images(data, "train()"), resolution), None, []
    if isinstance(data, str) and data == "faces":
        from sketchml.plugin import FACE_ATTRIBUTES, faces_world

        size = resolution if resolution in (32, 64, 128) else 64
        world = faces_world(faces, size=size, seed=seed)
        if not conditional:
            return world.images, None, []
        return world.images, world.targets(label_by), list(FACE_ATTRIBUTES[label_by])
    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if path.is_file() and path.suffix.lower() in _VIDEO_SUFFIXES:
            if conditional:
                raise sk.SketchmlError("A CVAE needs labels, which a video has not; use a folder "
                                       "with one sub-folder per label.")
            import numpy as np

            from sketchml.plugin import read_video_frames, video_frame_count

            count = min(frames, max(1, video_frame_count(path)))
            stack = np.stack(list(read_video_frames(path, count=count, size=resolution)))
            return torch.from_numpy(stack).permute(0, 3, 1, 2).float() / 255, None, []
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
            if not files:
                raise sk.SketchmlError(f"The folder {path} holds no pictures to train on.")
            images = torch.cat([_fit(_as_images(str(p), "train()"), resolution) for p in files])
            if not conditional:
                return images, None, []
            names = sorted({p.parent.relative_to(path).as_posix() for p in files})
            if len(names) < 2 or "." in names:
                raise sk.SketchmlError(
                    f"A CVAE takes its labels from sub-folder names: put the pictures of "
                    f"{path} into one sub-folder per label (e.g. {path}/happy/, {path}/sad/); "
                    f"found {names}.")
            labels = torch.tensor([names.index(p.parent.relative_to(path).as_posix())
                                   for p in files])
            return images, labels, names
        raise sk.SketchmlError(f"No folder or video file at {str(path)!r} to train on; or pass "
                               f"'faces' for sketchml's faces world.")
    raise sk.SketchmlError(f"train() takes 'faces', a folder, a video file or a tensor of "
                           f"pictures; got {type(data).__name__}.")


def train_autoencoder(data: Any, *, out: str | os.PathLike[str] | None,
                      settings: AutoencoderTraining | None = None, device: Any = None
                      ) -> tuple[TrainingRun, AutoencoderNet, dict[str, Any]]:
    """Train an autoencoder (see :meth:`Autoencoder.train`); returns ``(run, network, config)``.

    Examples:
        >>> import tempfile
        >>> from sketchml_image.autoencoder import AutoencoderTraining, train_autoencoder
        >>> run, net, config = train_autoencoder(
        ...     "faces", out=tempfile.mkdtemp(), device="cpu",
        ...     settings=AutoencoderTraining(steps=1, resolution=32, faces=8, batch_size=4,
        ...                                  width=4, progress=False))
        >>> config["kind"], net.latent_dim
        ('vae', 32)
    """
    from torch.utils.data import TensorDataset

    from sketchml.plugin import latest_checkpoint, seed_everything

    s = settings or AutoencoderTraining()
    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints, samples and the "
                               "trained weights, e.g. model.train('faces', out='runs/vae').")
    s = replace(s, seed=s.seed_for(out))
    if s.kind not in KINDS:
        raise sk.SketchmlError(f"kind must be one of {', '.join(KINDS)}, got {s.kind!r}.")
    images, labels, names = load_labelled_images(
        data, resolution=s.resolution, kind=s.kind, frames=s.frames, faces=s.faces,
        label_by=s.label_by, seed=s.seed)
    config = {"family": "autoencoder", "kind": s.kind, "resolution": s.resolution,
              "latent_dim": s.latent_dim, "width": s.width, "labels": names}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in config if k != "labels" and before.get(k) != config[k]]
        if changed:
            settings_text = ", ".join(f"{k}={before.get(k)!r}" for k in changed)
            raise sk.SketchmlError(f"{out} holds an autoencoder run with {settings_text}; "
                                   f"resuming it needs the same settings, or another out=.")
    seed_everything(s.seed)
    network = AutoencoderNet(kind=s.kind, resolution=s.resolution, latent_dim=s.latent_dim,
                             width=s.width, classes=len(names))
    optimiser = torch.optim.Adam(network.parameters(), lr=s.lr)
    tensors = (images,) if labels is None else (images, labels)
    dataset = TensorDataset(*tensors)
    shown = images[:8]
    shown_labels = None if labels is None else labels[:8]
    fixed = torch.randn(8, s.latent_dim, generator=torch.Generator().manual_seed(s.seed))
    fixed_labels = None if labels is None else torch.arange(8) % len(names)

    def on_sample(run: Any) -> None:
        net = run.modules["net"]
        lab = None if shown_labels is None else shown_labels.to(run.device)
        mean, _ = net.encode(shown.to(run.device), lab)
        rows = [shown.to(run.device), net.decode(mean, lab)]
        if s.kind != "ae":
            rows.append(net.decode(fixed.to(run.device), None if fixed_labels is None
                                   else fixed_labels.to(run.device)))
        run.save_samples(torch.cat(rows), nrow=len(shown))

    run = TrainingRun(out=out, model={"net": network}, optimizers={"opt": optimiser},
                      steps=s.steps, seed=s.seed, device=device,
                      sample_every=s.sample_every or max(1, s.steps // 10), on_sample=on_sample,
                      progress=s.progress, config=config, checkpoint_every=s.checkpoint_every,
                      should_stop=s.should_stop)
    started = time.monotonic()
    pixels = 3 * s.resolution * s.resolution
    for _, batch in run.loop(dataset, batch_size=min(s.batch_size, len(dataset))):
        if s.minutes is not None and time.monotonic() - started > s.minutes * 60:
            break
        pictures = batch[0]
        batch_labels = batch[1] if len(batch) > 1 else None
        if s.flip:
            mirror = torch.rand(pictures.shape[0], device=pictures.device) < 0.5
            pictures = torch.where(mirror[:, None, None, None], pictures.flip(-1), pictures)
        made, mean, logvar = run.models["net"](pictures, batch_labels)
        recon = F.mse_loss(made, pictures)
        if logvar is None:
            loss, kl = recon, torch.zeros(())
        else:
            # Per-picture sums, so the KL term weighs against the whole picture's error.
            recon_sum = F.binary_cross_entropy(made, pictures, reduction="sum") / len(pictures)
            kl = -0.5 * (1 + logvar - mean.pow(2) - logvar.exp()).sum(1).mean()
            loss = recon_sum + s.beta * kl
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        run.log(loss=loss if logvar is None else loss / pixels, mse=recon, kl=kl)
    network.eval()
    if s.kind == "ae":
        _fit_latent_distribution(network, images, run.device)
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    if run.is_main:
        _export(network, Path(out) / EXPORT_NAME, config={**config, "step": run.step})
    return run, network, config


@torch.no_grad()
def _fit_latent_distribution(network: AutoencoderNet, images: torch.Tensor, device: Any) -> None:
    """Fit a Gaussian (mean, Cholesky factor of the covariance) to the training latents."""
    latents = torch.cat([network.encode(chunk.to(device))[0] for chunk in images.split(256)])
    mean = latents.mean(0)
    centred = latents - mean
    covariance = centred.t() @ centred / max(1, len(latents) - 1)
    covariance += 1e-5 * torch.eye(len(mean), device=covariance.device)
    network.latent_mean.copy_(mean)
    network.latent_scale_tril.copy_(torch.linalg.cholesky(covariance))


def _export(network: AutoencoderNet, path: Path, *, config: dict[str, Any],
            half: bool = False) -> None:
    """Write the network's weights with its settings in the header, atomically."""
    from safetensors.torch import save

    from sketchml.plugin import atomic_write_bytes

    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
             for k, v in network.state_dict().items()}
    meta = {"format": "sketchml.autoencoder/1", "config": json.dumps(config)}
    atomic_write_bytes(path, save(state, metadata=meta))
