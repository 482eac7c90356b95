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

__all__ = ["ShapeClassifier", "train_shape_classifier"]

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


def _no_shapes(n: int, *, size: int, seed: int) -> torch.Tensor:
    """Pictures with no shape in them: the world's backgrounds alone, and uniform noise."""
    from sketchml.datasets.shapes import _background, sample_labels

    backgrounds = np.stack([_background(label, size)
                            for label in sample_labels(n - n // 4, seed=seed + 2000)])
    plain = torch.from_numpy(backgrounds).permute(0, 3, 1, 2).float() / 255
    noise = torch.rand(n // 4, 3, size, size, generator=torch.Generator().manual_seed(seed))
    return torch.cat([plain, noise])


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

    It also sees pictures with no shape (the world's backgrounds alone, and noise) and is
    taught to be unsure about them, so a confident answer means "a shape is there".

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
    outliers = _small(_no_shapes(n // 2, size=size, seed=seed))
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
        odd = outliers[torch.randint(len(outliers), (batch_size // 2,), generator=generator)]
        unsure = -F.log_softmax(model(odd), dim=1).mean(dim=1).mean()
        loss = F.cross_entropy(model(batch), train_y[pick]) + 0.5 * unsure
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    model.train_accuracy = model.accuracy(images[-held:], targets[-held:])
    return model
