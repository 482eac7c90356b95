"""A small shape classifier trained on the shapes world: the yardstick for generators.

A generator trained on :func:`~sketchml.datasets.shapes_world` is doing its job
when its pictures look like shapes. :func:`train_shape_classifier` trains, in
about a minute on a CPU, a little CNN that names the shape in a picture, and
:meth:`ShapeClassifier.confidence` tells how sure it is: the quality tests of
DCGAN, autoencoders and other families trained on the world count how many of
their samples it recognises with high confidence.

This module imports torch; it is only loaded when one of its names is used.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sketchml.datasets.shapes import SHAPES, shapes_world
from sketchml.errors import SketchmlError

__all__ = ["NO_SHAPE_KINDS", "ShapeClassifier", "no_shape_pictures", "train_shape_classifier"]

_INPUT = 32


class ShapeClassifier(nn.Module):
    """A four-layer CNN naming the shape (:data:`~sketchml.datasets.SHAPES`) in a picture.

    Pictures of any size are scaled to 32 x 32 first. Train one with
    :func:`train_shape_classifier`.

    Examples:
        >>> import torch
        >>> from sketchml.datasets import ShapeClassifier
        >>> ShapeClassifier().probabilities(torch.rand(2, 3, 64, 64)).shape
        torch.Size([2, 5])
    """

    def __init__(self, classes: int = len(SHAPES)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(24, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(48, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 96), nn.ReLU(),
                                  nn.Linear(96, classes))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, classes)`` of images ``(N, 3, H, W)`` float in [0, 1]."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise SketchmlError(f"The shape classifier takes images (N, 3, H, W) in [0, 1], got "
                                f"{tuple(images.shape)}.")
        if images.shape[-2:] != (_INPUT, _INPUT):
            images = F.interpolate(images, size=(_INPUT, _INPUT), mode="bilinear",
                                   antialias=True, align_corners=False)
        return self.head(self.features(images * 2 - 1))

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """Softmax over the shape classes, ``(N, classes)``, for images in [0, 1]."""
        was_training = self.training
        self.eval()
        try:
            param = next(self.parameters())
            return self(images.to(param.device, param.dtype)).softmax(dim=1)
        finally:
            self.train(was_training)

    def confidence(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(classes, confidences)``: the likeliest shape index and its probability per image.

        Examples:
            >>> import torch
            >>> from sketchml.datasets import ShapeClassifier
            >>> classes, sure = ShapeClassifier().confidence(torch.rand(3, 3, 32, 32))
            >>> classes.shape, bool(((sure > 0) & (sure <= 1)).all())
            (torch.Size([3]), True)
        """
        sure, classes = self.probabilities(images).max(dim=1)
        return classes, sure

    def accuracy(self, images: torch.Tensor, targets: torch.Tensor) -> float:
        """The fraction of ``images`` whose shape is named correctly."""
        classes, _ = self.confidence(images)
        return float((classes.cpu() == targets.cpu()).float().mean())


def _small(images: torch.Tensor) -> torch.Tensor:
    return F.interpolate(images, size=(_INPUT, _INPUT), mode="bilinear", antialias=True,
                         align_corners=False)


NO_SHAPE_KINDS: tuple[str, ...] = ("background", "noise", "blob", "blurred", "shuffled")
"""The kinds of picture :func:`no_shape_pictures` draws: what a poor generator makes."""


def no_shape_pictures(n: int, *, size: int = 64, seed: int = 0,
                      kinds: tuple[str, ...] = NO_SHAPE_KINDS) -> torch.Tensor:
    """``n`` pictures ``(n, 3, size, size)`` in [0, 1] that show none of the world's shapes.

    The negatives a yardstick needs, so that its confidence means "a shape is there"
    and not "a coloured thing is there". In equal parts, by ``kinds``:

    * ``background``: the world's backgrounds alone (plain, gradient, noise);
    * ``noise``: uniform noise;
    * ``blob``: a smooth irregular blob (a circle whose radius wanders by 30-50%) in a
      world colour, where a shape would be, on a world background;
    * ``blurred``: a picture of the world blurred until its shape is a soft smudge
      (Gaussian, sigma 7-12% of the side);
    * ``shuffled``: a picture of the world cut in 4 x 4 tiles put back in random order.

    Examples:
        >>> from sketchml.datasets.classifier import no_shape_pictures
        >>> tuple(no_shape_pictures(10, size=32).shape)
        (10, 3, 32, 32)
    """
    from sketchml.datasets.shapes import _background, sample_labels

    for kind in kinds:
        if kind not in NO_SHAPE_KINDS:
            raise SketchmlError(f"{kind!r} is not a kind of no-shape picture; use "
                                f"{', '.join(NO_SHAPE_KINDS)}.")
    rng = np.random.default_rng([seed, 77])
    parts = [n // len(kinds) + (1 if i < n % len(kinds) else 0) for i in range(len(kinds))]
    out = []
    for part, (kind, count) in enumerate(zip(kinds, parts)):
        if count == 0:
            continue
        labels = sample_labels(count, seed=seed + 2000 + part)
        if kind == "background":
            pictures = np.stack([_background(label, size) for label in labels])
            out.append(torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 255)
        elif kind == "noise":
            out.append(torch.from_numpy(rng.random((count, 3, size, size), np.float32)))
        elif kind == "blob":
            out.append(torch.stack([_blob(label, size, rng) for label in labels]))
        else:
            world = shapes_world(count, size=size, seed=seed + 3000 + part).images
            if kind == "blurred":
                sigmas = rng.uniform(0.07, 0.12, count) * size
                out.append(torch.stack([_blur(image, float(s)) for image, s in zip(world, sigmas)]))
            else:
                out.append(torch.stack([_shuffle_tiles(image, 4, rng) for image in world]))
    return torch.cat(out)


def _blob(label: dict, size: int, rng: np.random.Generator) -> torch.Tensor:
    """A smooth irregular blob in the label's colour and place, on its background."""
    from PIL import Image, ImageDraw

    from sketchml.datasets.shapes import COLORS, _background

    picture = Image.fromarray(np.ascontiguousarray(_background(label, size)))
    scale = 4  # drawn large and shrunk: anti-aliased edges like the world's
    big = picture.resize((size * scale, size * scale))
    angles = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    wobble = np.zeros_like(angles)
    for k in (1, 2, 3):
        wobble += rng.uniform(-1, 1) * np.cos(k * angles + rng.uniform(0, 2 * np.pi))
    wobble *= rng.uniform(0.30, 0.50) / max(1e-6, float(np.abs(wobble).max()))
    r = label["size"] * size / 2 * scale * (1 + wobble)
    cx, cy = label["x"] * size * scale, label["y"] * size * scale
    points = list(zip((cx + r * np.cos(angles)).tolist(), (cy + r * np.sin(angles)).tolist()))
    ImageDraw.Draw(big).polygon(points, fill=COLORS[label["fill"]])
    small = np.asarray(big.resize((size, size), Image.BOX), np.float32) / 255
    return torch.from_numpy(small).permute(2, 0, 1).contiguous()


def _blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-x**2 / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    padded = F.pad(image[None], (radius, radius, radius, radius), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)[0]


def _shuffle_tiles(image: torch.Tensor, tiles: int, rng: np.random.Generator) -> torch.Tensor:
    c, h, w = image.shape
    th, tw = h // tiles, w // tiles
    blocks = image[:, :th * tiles, :tw * tiles].reshape(c, tiles, th, tiles, tw)
    blocks = blocks.permute(1, 3, 0, 2, 4).reshape(tiles * tiles, c, th, tw)
    blocks = blocks[torch.from_numpy(rng.permutation(tiles * tiles))]
    grid = blocks.reshape(tiles, tiles, c, th, tw).permute(2, 0, 3, 1, 4).reshape(c, h, w)
    return grid.contiguous()


def train_shape_classifier(*, n: int = 3000, size: int = 64, steps: int = 1200,
                           batch_size: int = 64, seed: int = 0) -> ShapeClassifier:
    """Train a :class:`ShapeClassifier` on ``n`` pictures of the shapes world (on the CPU).

    Args:
        n: pictures to train on (default 3000).
        size: the side they are drawn at (default 64, the DCGAN default's size).
        steps: optimisation steps (default 1200; about a minute on one CPU core).
        batch_size: pictures per step (default 64).
        seed: seeds the world (``seed + 1000`` so it differs from worlds trained on with
            small seeds) and the weights.

    It also sees as many pictures with no shape (:func:`no_shape_pictures`: the world's
    backgrounds alone, noise, smooth blobs, blurred and tile-shuffled pictures) and is
    taught to be unsure about them, so a confident answer means "a shape is there", not
    "a coloured thing is there".

    Returns:
        The trained classifier in eval mode; ``classifier.train_accuracy`` holds its
        accuracy on the last 10% of the pictures, which it was not trained on.

    Examples:
        >>> from sketchml.datasets import train_shape_classifier
        >>> clf = train_shape_classifier(n=200, steps=5)
        >>> 0 <= clf.train_accuracy <= 1
        True
    """
    if n < 20:
        raise SketchmlError(f"Train the shape classifier on at least 20 pictures, got n={n}.")
    world = shapes_world(n, size=size, seed=seed + 1000)
    # Scaled once here rather than on every step.
    images = _small(world.images)
    targets = world.targets
    # Blobs twice over: they are the hardest to tell from a shape, and what GANs draw.
    outliers = _small(no_shape_pictures(n, size=size, seed=seed,
                                        kinds=NO_SHAPE_KINDS + ("blob",)))
    held = max(1, n // 10)
    train_x, train_y = images[:-held], targets[:-held]
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = ShapeClassifier()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(steps):
        pick = torch.randint(len(train_x), (batch_size,), generator=generator)
        batch = train_x[pick]
        # Mirror half the batch: the shapes world has no handedness.
        flip = torch.rand(batch_size, generator=generator) < 0.5
        batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
        # Pictures without a shape should leave the classifier unsure (a uniform guess), so
        # that its confidence means "this is a shape", not just "this is a picture".
        odd = outliers[torch.randint(len(outliers), (batch_size,), generator=generator)]
        unsure = -F.log_softmax(model(odd), dim=1).mean(dim=1).mean()
        loss = F.cross_entropy(model(batch), train_y[pick]) + unsure
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    model.train_accuracy = model.accuracy(images[-held:], targets[-held:])
    return model
