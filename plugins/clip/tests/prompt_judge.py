"""Judge whether a picture shows the colour and shape a prompt names, without asking CLIP.

Guidance is steered by CLIP, so CLIP cannot also be its judge. Two other yardsticks are:

* **shape** -- sketchml's shape classifier (:class:`sketchml.datasets.ShapeClassifier`),
  loaded from the file the gan plugin ships (``shapes-classifier.safetensors``, written by
  ``scripts/train_dcgan_shapes.py``): the picture's most likely shape must be the prompt's,
  with a probability of at least :data:`SHAPE_CONFIDENCE` (the classifier was taught to be
  unsure about pictures without a shape);
* **colour of the shape** -- a foreground/background split: the background is the colour
  most of the picture's border has (shapes-world pictures keep their shape off the border),
  the shape is the pixels far from it, and its colour is the shapes-world colour
  (:data:`sketchml.datasets.COLORS`) most of those pixels are nearest to. The shape must
  cover between :data:`MIN_FOREGROUND` and :data:`MAX_FOREGROUND` of the picture, so a
  picture flooded with the prompt's colour ("the colour goes to the background") fails.

The helpers used by the quality test (``test_guide_prompts.py``) and by
``scripts/guidance_table.py``, which prints the full table. The judge is itself checked on
real pictures of the shapes world (``test_guide_prompts.py``), so a judge that accepts
anything cannot pass.

Examples:
    >>> from sketchml.datasets import shapes_world
    >>> world = shapes_world(2, size=64, seed=5)
    >>> verdicts = judge(world.images, [(l["fill"], l["shape"]) for l in world.labels])
    >>> [v.passed for v in verdicts]  # doctest: +SKIP
    [True, True]
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import torch

import sketchml as sk
from sketchml.datasets import COLORS, SHAPES, ShapeClassifier

SHAPE_CONFIDENCE = 0.5
"""The least probability the classifier must give the prompt's shape."""

MIN_FOREGROUND, MAX_FOREGROUND = 0.04, 0.75
"""The share of the picture the shape may cover."""

# How far (RGB in [0, 1], Euclidean) a pixel must be from the background colour to be the shape.
_SPLIT = 0.25
# The share of the frame a pixel must resemble to be background.
_FRAME_SHARE = 0.03
_NAMES = tuple(COLORS)
_TABLE = torch.tensor([COLORS[n] for n in _NAMES], dtype=torch.float32) / 255


def classifier_path() -> Path:
    """The shape classifier the gan plugin ships (the file the lead's retraining replaces)."""
    import sketchml_gan

    return Path(sketchml_gan.__file__).resolve().parent / "weights" / "shapes-classifier.safetensors"


@functools.lru_cache(maxsize=1)
def shape_classifier() -> ShapeClassifier:
    """The shipped shape classifier, loaded once."""
    model = ShapeClassifier()
    model.load_state_dict(sk.load_weights(classifier_path()))
    return model.eval()


def parse(prompt: str) -> tuple[str, str]:
    """``"a red circle"`` -> ``("red", "circle")``: the shapes-world colour and shape named.

    Examples:
        >>> parse("a yellow star")
        ('yellow', 'star')
    """
    words = re.findall(r"[a-z]+", prompt.lower())
    colours = [w for w in words if w in COLORS]
    shapes = [w for w in words if w in SHAPES]
    if len(colours) != 1 or len(shapes) != 1:
        raise ValueError(f"{prompt!r} must name one shapes-world colour and one shape")
    return colours[0], shapes[0]


@dataclass
class Verdict:
    """What the judges saw in one picture."""

    shape: str
    shape_probability: float
    colour: str
    foreground: float
    background: str
    wanted: tuple[str, str]

    @property
    def shape_ok(self) -> bool:
        return self.shape == self.wanted[1] and self.shape_probability >= SHAPE_CONFIDENCE

    @property
    def colour_ok(self) -> bool:
        return self.colour == self.wanted[0] and MIN_FOREGROUND <= self.foreground <= MAX_FOREGROUND

    @property
    def passed(self) -> bool:
        return self.shape_ok and self.colour_ok

    def describe(self) -> str:
        mark = "ok" if self.passed else "--"
        return (f"{mark} {self.colour} {self.shape} (p={self.shape_probability:.2f}, "
                f"shape {self.foreground:.0%} on {self.background})")


def nearest_colour(rgb: torch.Tensor) -> torch.Tensor:
    """Index into the shapes-world colours of each ``(..., 3)`` RGB value in [0, 1]."""
    return torch.cdist(rgb.reshape(-1, 3).float(), _TABLE).argmin(dim=1).reshape(rgb.shape[:-1])


def split(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(foreground mask (H, W), background RGB (3,))`` of one picture ``(3, H, W)`` in [0, 1].

    The background is what the picture's frame (its outermost pixels) shows: a pixel belongs
    to the shape when fewer than :data:`_FRAME_SHARE` of the frame's pixels are within a
    quarter of the RGB cube's side of it. So gradients and grain in the background stay
    background, and a shape that grazes the frame is still a shape. The returned background
    colour is the frame's median.
    """
    h, w = image.shape[-2:]
    mask = torch.ones(h, w, dtype=torch.bool)
    mask[1:h - 1, 1:w - 1] = False
    frame = image[:, mask].T
    pixels = image.reshape(3, -1).T
    near = (torch.cdist(pixels, frame) < _SPLIT).float().mean(dim=1).reshape(h, w)
    return near < _FRAME_SHARE, frame.median(dim=0).values


def judge(images: torch.Tensor, wanted: list[tuple[str, str]]) -> list[Verdict]:
    """One :class:`Verdict` per picture of ``images`` ``(N, 3, H, W)`` in [0, 1]; ``wanted``
    holds the ``(colour, shape)`` each should show."""
    images = images.detach().as_subclass(torch.Tensor).float().cpu().clamp(0, 1)
    probabilities = shape_classifier().probabilities(images)
    verdicts = []
    for image, probs, want in zip(images, probabilities, wanted):
        shape_index = int(probs.argmax())
        foreground, background = split(image)
        share = float(foreground.float().mean())
        if foreground.any():
            votes = torch.bincount(nearest_colour(image[:, foreground].T), minlength=len(_NAMES))
            colour = _NAMES[int(votes.argmax())]
        else:
            colour = "none"
        verdicts.append(Verdict(SHAPES[shape_index], float(probs[shape_index]), colour, share,
                                _NAMES[int(nearest_colour(background[None]))], tuple(want)))
    return verdicts
