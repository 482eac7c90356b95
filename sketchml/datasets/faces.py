"""The faces world: cartoon portraits drawn by sketchml itself, with attribute labels.

Autoencoders, VAEs and conditional VAEs are taught on faces in the workshop, and a
machine with no network has no face photos. So sketchml draws its own: one face per
picture, with a face shape (round, oval, long, square), a skin tone, eyes (colour and
size), hair (style and colour), an expression (smiling, neutral, sad, surprised) and a
background colour, each recorded in the picture's label and said in its caption
("a smiling face with long red hair and green eyes").

Everything is decided by ``(seed, index)``, as in the shapes world: item ``i`` is the same
picture whatever the world's length. Pictures are drawn with numpy (no GL), anti-aliased
by drawing at twice the size and averaging.

:func:`save_face_folders` writes a world as a folder of images with one sub-folder per
value of an attribute (``happy/``, ``sad/`` ...), the layout a CVAE reads its labels from;
:func:`train_face_checker` trains the small classifier that tells a face from pictures
that are not one (blurred, flat, noise, shuffled faces): the yardstick of generators
trained on the world.

Examples:
    >>> from sketchml.datasets import faces_world
    >>> world = faces_world(3, size=32, seed=1)
    >>> tuple(world.images.shape), world.labels[0]["caption"] == world.captions[0]
    ((3, 3, 32, 32), True)
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml.datasets.world import SIZES, DrawnWorld, check_size
from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import torch

__all__ = ["EXPRESSIONS", "FACE_ATTRIBUTES", "FaceChecker", "FacesWorld", "draw_faces",
           "face_labels", "faces_world", "save_face_folders", "train_face_checker"]

EXPRESSIONS: tuple[str, ...] = ("happy", "neutral", "sad", "surprised")
"""The expressions, in class-index order (``label["expression_id"]`` indexes this)."""

_SHAPES = {"round": (0.92, 2.0), "oval": (0.78, 2.0), "long": (0.68, 2.0), "square": (0.86, 3.6)}
_SKINS = {"pale": (246, 214, 190), "light": (234, 188, 150), "tan": (205, 150, 105),
          "brown": (150, 100, 65), "dark": (95, 62, 40), "olive": (200, 170, 120)}
_EYES = {"brown": (100, 60, 30), "blue": (60, 120, 200), "green": (60, 150, 80),
         "grey": (120, 130, 140)}
_HAIR_STYLES = ("bald", "short", "long", "bun", "curly")
_HAIR_COLOURS = {"black": (30, 25, 25), "brown": (100, 60, 30), "blonde": (230, 200, 110),
                 "red": (190, 70, 30), "grey": (170, 170, 170), "blue": (60, 90, 200)}
_BACKGROUNDS = {"sky": (150, 200, 235), "mint": (170, 225, 190), "peach": (250, 205, 170),
                "lilac": (205, 185, 235), "grey": (200, 200, 200), "yellow": (245, 230, 150)}

FACE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "shape": tuple(_SHAPES), "skin": tuple(_SKINS), "eyes": tuple(_EYES),
    "hair": _HAIR_STYLES, "hair_colour": tuple(_HAIR_COLOURS), "expression": EXPRESSIONS,
    "background": tuple(_BACKGROUNDS),
}
"""Each attribute of a face and its values; a label holds one value of each."""

def face_labels(n: int, *, seed: int = 0, start: int = 0) -> list[dict[str, Any]]:
    """The labels of items ``start .. start + n - 1`` of the faces world with this ``seed``.

    Each label holds one value per :data:`FACE_ATTRIBUTES` key, ``expression_id``, the
    continuous parts (``eye_size``, ``tilt``, ``x``, ``y``, ``scale``), ``seed``, ``index``
    and ``caption``.

    Examples:
        >>> from sketchml.datasets.faces import face_labels
        >>> sorted(face_labels(1)[0])[:4]
        ['background', 'caption', 'expression', 'expression_id']
    """
    if not isinstance(n, int) or n < 0:
        raise SketchmlError(f"n must be a whole number >= 0, got {n!r}.")
    labels = []
    for index in range(start, start + n):
        rng = np.random.default_rng([int(seed), index, 7])
        label: dict[str, Any] = {key: values[int(rng.integers(len(values)))]
                                 for key, values in FACE_ATTRIBUTES.items()}
        label.update(
            expression_id=EXPRESSIONS.index(label["expression"]),
            eye_size=float(rng.uniform(0.8, 1.25)), tilt=float(rng.uniform(-0.12, 0.12)),
            x=float(rng.uniform(0.46, 0.54)), y=float(rng.uniform(0.47, 0.53)),
            scale=float(rng.uniform(0.9, 1.08)), seed=int(seed), index=index)
        colour = label["hair_colour"]
        hair = {"bald": "no hair", "bun": f"{colour} hair in a bun"}.get(
            label["hair"], f"{label['hair']} {colour} hair")
        mood = {"happy": "a smiling", "neutral": "a calm", "sad": "a sad",
                "surprised": "a surprised"}[label["expression"]]
        label["caption"] = f"{mood} {label['shape']} face with {hair} and {label['eyes']} eyes"
        labels.append(label)
    return labels


def _ellipse(xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, rx: float, ry: float,
             power: float = 2.0) -> np.ndarray:
    return (np.abs((xs - cx) / rx) ** power + np.abs((ys - cy) / ry) ** power) <= 1


def _paint(picture: np.ndarray, mask: np.ndarray, colour: Any) -> None:
    picture[mask] = colour


def _draw_face(label: dict[str, Any], side: int) -> np.ndarray:
    """One face at ``side`` pixels as ``(side, side, 3)`` float 0-255."""
    ys, xs = (np.mgrid[0:side, 0:side].astype(np.float32) + 0.5) / side
    # Turn the whole face a little: sample the picture in rotated coordinates.
    cx, cy, s, tilt = label["x"], label["y"], label["scale"], label["tilt"]
    cos, sin = math.cos(tilt), math.sin(tilt)
    u = cos * (xs - cx) + sin * (ys - cy)
    v = -sin * (xs - cx) + cos * (ys - cy)
    u, v = u / s, v / s
    background = np.asarray(_BACKGROUNDS[label["background"]], np.float32)
    picture = np.empty((side, side, 3), np.float32)
    picture[:] = background * (1.05 - 0.12 * ys[..., None])
    skin = np.asarray(_SKINS[label["skin"]], np.float32)
    hair_colour = np.asarray(_HAIR_COLOURS[label["hair_colour"]], np.float32)
    shirt = np.asarray(_HAIR_COLOURS[label["hair_colour"]], np.float32) * 0.3 + \
        np.asarray((60, 110, 160), np.float32) * 0.7
    ratio, power = _SHAPES[label["shape"]]
    ry = 0.3
    rx = ry * ratio
    style = label["hair"]
    if style == "long":
        _paint(picture, _ellipse(u, v, 0, 0.1, rx * 1.3, ry * 1.25), hair_colour)
    # Neck and shoulders.
    _paint(picture, _ellipse(u, v, 0, 0.52, 0.36, 0.2), shirt)
    _paint(picture, (np.abs(u) < rx * 0.38) & (v > 0.1) & (v < 0.38), skin * 0.9)
    if style == "bun":
        _paint(picture, _ellipse(u, v, 0, -ry - 0.08, 0.1, 0.09), hair_colour)
    head = _ellipse(u, v, 0, 0, rx, ry, power)
    _paint(picture, head, skin)
    if style in ("short", "long", "bun"):
        wave = 0.03 * np.sin(u * 40)
        top = _ellipse(u, v, 0, 0, rx * 1.06, ry * 1.06, power) & (v < -ry * 0.45 + wave)
        _paint(picture, top, hair_colour)
    elif style == "curly":
        for k in range(9):
            angle = math.pi * (1.05 + 0.9 * k / 8)
            _paint(picture, _ellipse(u, v, rx * 1.0 * math.cos(angle), ry * 0.95 * math.sin(angle),
                                     0.07, 0.07), hair_colour)
    # Eyes: white, iris, pupil; eyebrows follow the expression.
    expression = label["expression"]
    size = label["eye_size"]
    eye_y = -0.03
    for side_sign in (-1, 1):
        ex = side_sign * rx * 0.42
        open_y = 0.045 * size * (1.35 if expression == "surprised" else 1.0)
        _paint(picture, _ellipse(u, v, ex, eye_y, 0.06 * size, open_y), (250, 250, 250))
        _paint(picture, _ellipse(u, v, ex, eye_y, 0.032 * size, 0.032 * size),
               _EYES[label["eyes"]])
        _paint(picture, _ellipse(u, v, ex, eye_y, 0.014 * size, 0.014 * size), (15, 15, 15))
        lift = {"happy": 0.0, "neutral": 0.0, "sad": 0.0, "surprised": -0.03}[expression]
        slope = {"happy": 0.0, "neutral": 0.0, "sad": -0.35, "surprised": 0.0}[expression]
        brow_v = eye_y - 0.085 * size + lift + slope * side_sign * (u - ex)
        brow = (np.abs(u - ex) < 0.065) & (np.abs(v - brow_v) < 0.012)
        _paint(picture, brow, hair_colour * 0.7 if style != "bald" else skin * 0.55)
    # Nose.
    _paint(picture, _ellipse(u, v, 0, 0.07, 0.022, 0.045), skin * 0.82)
    # Mouth.
    mouth_y = 0.17
    if expression == "happy":
        ring = _ellipse(u, v, 0, mouth_y - 0.03, 0.1, 0.07) & ~_ellipse(u, v, 0, mouth_y - 0.045,
                                                                        0.085, 0.06)
        _paint(picture, ring & (v > mouth_y - 0.02), (150, 40, 50))
    elif expression == "sad":
        ring = _ellipse(u, v, 0, mouth_y + 0.05, 0.09, 0.06) & ~_ellipse(u, v, 0, mouth_y + 0.065,
                                                                        0.075, 0.055)
        _paint(picture, ring & (v < mouth_y + 0.03), (150, 40, 50))
    elif expression == "surprised":
        _paint(picture, _ellipse(u, v, 0, mouth_y + 0.01, 0.035, 0.045), (90, 20, 30))
    else:
        _paint(picture, (np.abs(u) < 0.075) & (np.abs(v - mouth_y) < 0.011), (150, 40, 50))
    return picture


def draw_faces(labels: list[dict[str, Any]], *, size: int = 64) -> np.ndarray:
    """Draw the faces ``labels`` describe: ``(N, size, size, 3)`` uint8, rows top-down.

    Examples:
        >>> from sketchml.datasets.faces import draw_faces, face_labels
        >>> draw_faces(face_labels(2), size=32).shape
        (2, 32, 32, 3)
    """
    check_size(size, "faces")
    out = np.empty((len(labels), size, size, 3), np.uint8)
    for i, label in enumerate(labels):
        big = _draw_face(label, size * 2)
        small = big.reshape(size, 2, size, 2, 3).mean(axis=(1, 3))
        out[i] = np.clip(np.rint(small), 0, 255).astype(np.uint8)
    return out


class FacesWorld(DrawnWorld):
    """A drawn faces world: :attr:`images` ``(N, 3, H, W)`` float, :attr:`labels`, :attr:`captions`.

    A map-style ``torch.utils.data.Dataset`` too: ``world[i]`` is ``(image, label)``.
    Make one with :func:`faces_world`.

    Examples:
        >>> from sketchml.datasets import faces_world
        >>> image, label = faces_world(2, size=32)[1]
        >>> tuple(image.shape), label["index"]
        ((3, 32, 32), 1)
    """

    def targets(self, attribute: str = "expression") -> torch.Tensor:
        """The class index of ``attribute`` for every picture, ``(N,)`` int64 indices into
        ``FACE_ATTRIBUTES[attribute]``.

        Examples:
            >>> from sketchml.datasets import faces_world
            >>> faces_world(4, size=32).targets("hair").shape
            torch.Size([4])
        """
        import torch

        values = _attribute_values(attribute)
        return torch.tensor([values.index(label[attribute]) for label in self.labels])


def _attribute_values(attribute: str) -> tuple[str, ...]:
    if attribute not in FACE_ATTRIBUTES:
        from sketchml.errors import did_you_mean

        raise SketchmlError(f"{attribute!r} is not a face attribute."
                            f"{did_you_mean(attribute, FACE_ATTRIBUTES)} Known: "
                            f"{', '.join(FACE_ATTRIBUTES)}.")
    return FACE_ATTRIBUTES[attribute]


def faces_world(n: int, *, size: int = 64, seed: int = 0, start: int = 0,
                value_range: tuple[float, float] = (0.0, 1.0)) -> FacesWorld:
    """Draw ``n`` faces (items ``start ..``), deterministic by ``seed``.

    Args:
        n: how many faces.
        size: their side in pixels: 32, 64 (default) or 128.
        seed: which world (default 0).
        start: index of the first item (default 0).
        value_range: the range of :attr:`FacesWorld.images`, default ``(0, 1)``.

    Examples:
        >>> from sketchml.datasets import faces_world
        >>> faces_world(2, size=32, seed=4).images.shape
        torch.Size([2, 3, 32, 32])
    """
    labels = face_labels(n, seed=seed, start=start)
    return FacesWorld(draw_faces(labels, size=size), labels, value_range=value_range)


def save_face_folders(folder: str | os.PathLike[str], n: int, *, by: str = "expression",
                      size: int = 64, seed: int = 0) -> Path:
    """Write ``n`` faces as PNGs into ``folder/<value of by>/NNNNN.png``: a labelled image folder.

    The layout a conditional VAE reads its labels from (``sketchml train autoencoder
    FOLDER --kind cvae``); returns ``folder``.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.datasets import save_face_folders
        >>> root = save_face_folders(tempfile.mkdtemp(), 8, size=32)
        >>> sorted(os.listdir(root))[:2]
        ['happy', 'neutral']
    """
    from sketchml.media.image_io import write_image

    values = _attribute_values(by)
    world = faces_world(n, size=size, seed=seed)
    root = Path(folder)
    for value in values:
        (root / value).mkdir(parents=True, exist_ok=True)
    for pixels, label in zip(world.pixels, world.labels):
        write_image(root / label[by] / f"{label['index']:05d}.png", pixels)
    return root


# -- the checker ---------------------------------------------------------------------------


def _checker_module() -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(48 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 1))


class FaceChecker:
    """Tells a face of the faces world from pictures that are not one.

    ``face_probability(images)`` gives, per picture ``(N, 3, H, W)`` in [0, 1], the
    probability that it shows a face. It was trained against heavily blurred faces, flat
    colour, noise and faces cut into shuffled tiles (with slightly soft faces still counted
    as faces), so a high score needs a face with its parts in place. Make one with :func:`train_face_checker`.

    Examples:
        >>> import torch
        >>> from sketchml.datasets import train_face_checker
        >>> checker = train_face_checker(n=64, steps=2)
        >>> checker.face_probability(torch.rand(2, 3, 64, 64)).shape
        torch.Size([2])
    """

    def __init__(self, network: Any) -> None:
        self.network = network.eval()
        self.accuracy: float | None = None

    def face_probability(self, images: torch.Tensor) -> torch.Tensor:
        """``(N,)`` probabilities that each picture is a face."""
        import torch
        import torch.nn.functional as F

        if images.dim() != 4 or images.shape[1] != 3:
            raise SketchmlError(f"The face checker takes images (N, 3, H, W) in [0, 1], got "
                                f"{tuple(images.shape)}.")
        with torch.no_grad():
            small = F.interpolate(images.detach().float().cpu(), size=(32, 32), mode="bilinear",
                                  antialias=True, align_corners=False)
            return torch.sigmoid(self.network(small * 2 - 1)).flatten()


def _negatives(faces: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Pictures that are not faces, made from faces: blurred, flat, noise, shuffled tiles."""
    import torch
    import torch.nn.functional as F

    n = faces.shape[0]
    quarter = max(1, n // 4)
    blurred = F.interpolate(F.interpolate(faces[:quarter], size=(6, 6), mode="area"),
                            size=faces.shape[-2:], mode="bilinear", align_corners=False)
    flat = faces[quarter:2 * quarter].mean(dim=(2, 3), keepdim=True).expand(
        -1, -1, *faces.shape[-2:])
    noise = F.interpolate(torch.rand(quarter, 3, 8, 8, generator=generator),
                          size=faces.shape[-2:], mode="bilinear", align_corners=False)
    noise = (noise + 0.3 * torch.rand(noise.shape, generator=generator)).clamp(0, 1)
    tiles = faces[3 * quarter:4 * quarter]
    t = 4
    h = faces.shape[-1] // t
    blocks = tiles.unfold(2, h, h).unfold(3, h, h).reshape(len(tiles), 3, t * t, h, h)
    order = torch.randperm(t * t, generator=generator)
    shuffled = blocks[:, :, order].reshape(len(tiles), 3, t, t, h, h)
    shuffled = shuffled.permute(0, 1, 2, 4, 3, 5).reshape(tiles.shape)
    return torch.cat([blurred, flat, noise, shuffled])


def train_face_checker(*, n: int = 2000, size: int = 64, steps: int = 600,
                       batch_size: int = 64, seed: int = 0) -> FaceChecker:
    """Train a :class:`FaceChecker` on ``n`` faces and as many non-faces (about a minute on a CPU).

    The faces come from the world with ``seed + 1000`` (not the small seeds models train
    on). ``checker.accuracy`` is its accuracy on held-out faces and non-faces.

    Examples:
        >>> from sketchml.datasets import train_face_checker
        >>> 0 <= train_face_checker(n=64, steps=2).accuracy <= 1
        True
    """
    import torch
    import torch.nn.functional as F

    if n < 16:
        raise SketchmlError(f"Train the face checker on at least 16 faces, got n={n}.")
    generator = torch.Generator().manual_seed(seed)
    faces = faces_world(n, size=size, seed=seed + 1000).images
    faces = F.interpolate(faces, size=(32, 32), mode="bilinear", antialias=True,
                          align_corners=False)
    others = _negatives(faces[torch.randperm(n, generator=generator)], generator)
    # A face drawn a little soft is still a face: half the faces are also shown at half
    # sharpness, so only the heavy blur of the negatives counts against a picture.
    soft = F.interpolate(F.interpolate(faces[: n // 2], size=(16, 16), mode="area"),
                         size=(32, 32), mode="bilinear", align_corners=False)
    faces = torch.cat([faces, soft])
    images = torch.cat([faces, others]) * 2 - 1
    targets = torch.cat([torch.ones(len(faces)), torch.zeros(len(others))])
    order = torch.randperm(len(images), generator=generator)
    images, targets = images[order], targets[order]
    held = max(2, len(images) // 10)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        network = _checker_module()
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    network.train()
    for _ in range(steps):
        pick = torch.randint(len(images) - held, (batch_size,), generator=generator)
        loss = F.binary_cross_entropy_with_logits(network(images[pick]).flatten(), targets[pick])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    checker = FaceChecker(network)
    with torch.no_grad():
        guess = network.eval()(images[-held:]).flatten() > 0
    checker.accuracy = float((guess == (targets[-held:] > 0.5)).float().mean())
    return checker
