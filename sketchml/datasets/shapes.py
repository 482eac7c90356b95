"""The shapes world: pictures of one coloured shape on a background, with labels and a caption.

A procedural dataset drawn by sketchml's own drawing API on the headless GL
context, so every machine can make it offline. Each picture shows one shape
(circle, square, triangle, star or cross) in a named colour, at some position,
size and rotation, on a plain, gradient or noisy background of another colour.
Its label says all of that, and its caption says it in words ("a large red star
on a blue background, top left"), so one world serves generators (DCGAN,
autoencoders), captioning and text-image models (CLIP) and classifiers alike.

Everything is decided by ``(seed, index)``: item ``i`` of a world is the same
picture whatever the world's length, and the same seed gives the same world.

Examples:
    >>> from sketchml.datasets import shapes_world
    >>> world = shapes_world(4, size=32, seed=1)
    >>> tuple(world.images.shape), world.labels[0]["caption"] == world.captions[0]
    ((4, 3, 32, 32), True)
"""
from __future__ import annotations

import importlib.util
import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml.datasets.world import SIZES, DrawnWorld, check_size
from sketchml.errors import SketchmlError, did_you_mean

if TYPE_CHECKING:
    import torch

    from sketchml.graphics.canvas import Canvas

__all__ = ["BACKGROUNDS", "COLORS", "SHAPES", "SIZES", "ShapesWorld", "draw_shapes",
           "sample_labels", "shapes_world"]

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross")
"""The shape classes, in class-index order (``label["shape_id"]`` indexes this)."""

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 30),
    "yellow": (245, 215, 50),
    "green": (50, 170, 70),
    "blue": (45, 90, 210),
    "purple": (140, 60, 180),
    "pink": (240, 130, 190),
    "white": (245, 245, 245),
    "black": (25, 25, 25),
}
"""Named colours used for shapes and backgrounds (RGB, 0-255)."""

BACKGROUNDS: tuple[str, ...] = ("plain", "gradient", "noise")
"""Background styles."""

# Colours that are hard to tell apart get no pairing as shape on background.
_CLASHES = {frozenset(p) for p in (("red", "orange"), ("orange", "yellow"), ("red", "pink"),
                                   ("purple", "blue"), ("pink", "orange"), ("purple", "red"))}
_SIZE_WORDS = ((0.42, "small"), (0.55, "medium"), (1.0, "large"))
# Pictures per batch canvas row; a 1024-pixel canvas holds 16 x 16 pictures of 64 px.
_CANVAS_SIDE = 1024


def _check_size(size: int) -> int:
    return check_size(size, "shapes")


def _check_names(given: Any, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    names = tuple(given)
    if not names:
        raise SketchmlError(f"{what}= needs at least one name out of {', '.join(known)}.")
    for name in names:
        if name not in known:
            raise SketchmlError(f"{name!r} is not a shapes-world {what[:-1]}."
                                f"{did_you_mean(str(name), known)} Known: {', '.join(known)}.")
    return names


def _position_words(x: float, y: float) -> str:
    row = "top" if y < 1 / 3 else "bottom" if y > 2 / 3 else ""
    col = "left" if x < 1 / 3 else "right" if x > 2 / 3 else ""
    return f"{row} {col}".strip() or "centre"


def sample_labels(n: int, *, seed: int = 0, start: int = 0,
                  shapes: tuple[str, ...] = SHAPES,
                  backgrounds: tuple[str, ...] = BACKGROUNDS) -> list[dict[str, Any]]:
    """The labels of items ``start .. start + n - 1`` of the world with this ``seed``.

    Each label is a flat dict: ``shape``, ``shape_id`` (index in :data:`SHAPES`),
    ``fill`` and ``background`` (colour names from :data:`COLORS`), ``background_style``
    (``plain``, ``gradient`` or ``noise``), ``x``, ``y`` (the shape's centre as a
    fraction of the picture), ``size`` (its extent as a fraction of the picture),
    ``size_word``, ``position`` (e.g. ``"top left"``), ``rotation`` (radians), ``seed``,
    ``index`` and ``caption``.

    Examples:
        >>> from sketchml.datasets.shapes import sample_labels
        >>> sample_labels(1, seed=3)[0]["caption"]  # doctest: +SKIP
        'a large green star on a purple background, top left'
    """
    if not isinstance(n, int) or n < 0:
        raise SketchmlError(f"n must be a whole number >= 0, got {n!r}.")
    shapes = _check_names(shapes, SHAPES, "shapes")
    backgrounds = _check_names(backgrounds, BACKGROUNDS, "backgrounds")
    names = list(COLORS)
    labels = []
    for index in range(start, start + n):
        # One generator per item, so an item does not depend on how many came before it.
        rng = np.random.default_rng([int(seed), index])
        shape = shapes[int(rng.integers(len(shapes)))]
        fill = names[int(rng.integers(len(names)))]
        background = fill
        while background == fill or frozenset((fill, background)) in _CLASHES:
            background = names[int(rng.integers(len(names)))]
        style = backgrounds[int(rng.integers(len(backgrounds)))]
        extent = float(rng.uniform(0.34, 0.62))
        # Stars, triangles and turned squares reach up to 1.2 times the radius: keep them whole.
        margin = extent / 2 * 1.2 + 0.03
        x, y = (float(v) for v in rng.uniform(margin, 1 - margin, size=2))
        rotation = float(rng.uniform(-math.pi, math.pi)) if shape != "circle" else 0.0
        size_word = next(word for limit, word in _SIZE_WORDS if extent < limit)
        position = _position_words(x, y)
        labels.append({
            "shape": shape, "shape_id": SHAPES.index(shape), "fill": fill,
            "background": background, "background_style": style, "x": x, "y": y,
            "size": extent, "size_word": size_word, "position": position,
            "rotation": rotation, "seed": int(seed), "index": index,
            "caption": f"a {size_word} {fill} {shape} on a {background} background, {position}",
        })
    return labels


def _background(label: dict[str, Any], size: int) -> np.ndarray:
    """The label's background as ``(size, size, 3)`` uint8."""
    base = np.asarray(COLORS[label["background"]], np.float32)
    rng = np.random.default_rng([label["seed"], label["index"], 1])
    style = label["background_style"]
    if style == "plain":
        picture = np.broadcast_to(base, (size, size, 3))
    elif style == "gradient":
        # From the named colour to a darker or lighter version of it, along a random direction.
        other = base * 0.45 if base.mean() > 110 else base + (255 - base) * 0.55
        angle = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1) - 0.5
        t = np.clip(xs * math.cos(angle) + ys * math.sin(angle) + 0.5, 0, 1)[..., None]
        picture = base * (1 - t) + other * t
    else:
        # Smooth value noise (a coarse random grid, bilinearly upsampled) plus fine grain.
        cells = 5
        coarse = rng.uniform(-1, 1, size=(cells, cells)).astype(np.float32)
        pos = np.linspace(0, cells - 1, size, dtype=np.float32)
        i0 = np.minimum(pos.astype(int), cells - 2)
        f = pos - i0
        rows = coarse[i0] * (1 - f)[:, None] + coarse[i0 + 1] * f[:, None]
        smooth = rows[:, i0] * (1 - f)[None, :] + rows[:, i0 + 1] * f[None, :]
        grain = rng.normal(0, 0.25, size=(size, size)).astype(np.float32)
        picture = base + (smooth * 38 + grain * 14)[..., None]
    return np.clip(np.rint(picture), 0, 255).astype(np.uint8)


def _star(c: Canvas, r: float) -> None:
    # The points reach further than the body: a larger outer radius keeps its area near the others'.
    r *= 1.2
    c.begin_shape()
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + k * math.pi / 5
        c.vertex(radius * math.cos(angle), radius * math.sin(angle))
    c.end_shape(2)  # CLOSE


def _cross(c: Canvas, r: float) -> None:
    arm = r * 0.36
    c.rect(-r, -arm, 2 * r, 2 * arm)
    c.rect(-arm, -r, 2 * arm, 2 * r)


def _triangle(c: Canvas, r: float) -> None:
    # Equilateral, centred on its centroid; scaled up a little so its area matches the others.
    r *= 1.15
    points = [(r * math.cos(a), r * math.sin(a))
              for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    c.triangle(*points[0], *points[1], *points[2])


def _draw_shape(c: Canvas, label: dict[str, Any], x0: float, y0: float, size: int) -> None:
    r = label["size"] * size / 2
    c.push()
    c.translate(x0 + label["x"] * size, y0 + label["y"] * size)
    c.rotate(label["rotation"])
    c.fill(*COLORS[label["fill"]])
    shape = label["shape"]
    if shape == "circle":
        c.circle(0, 0, 2 * r)
    elif shape == "square":
        side = r * 1.6
        c.rect(-side / 2, -side / 2, side, side)
    elif shape == "triangle":
        _triangle(c, r)
    elif shape == "star":
        _star(c, r)
    else:
        _cross(c, r)
    c.pop()


_canvases: dict[int, Canvas] = {}


def _load_triton_before_gl() -> None:
    # Triton (imported by torch the first time an optimiser is built) carries its own LLVM,
    # and loading it after Mesa's llvmpipe has loaded another crashes the process. Loaded
    # first, both coexist; the shapes world is usually drawn just before a model trains.
    if "triton" not in sys.modules and importlib.util.find_spec("triton") is not None:
        importlib.import_module("triton")


def _batch_canvas(side: int) -> Canvas:
    canvas = _canvases.get(side)
    if canvas is None:
        from sketchml.graphics.canvas import Canvas
        from sketchml.graphics.context import create_headless_context

        _load_triton_before_gl()
        canvas = Canvas(side, side)
        canvas._gl_init(create_headless_context())
        _canvases[side] = canvas
    return canvas


def draw_shapes(labels: list[dict[str, Any]], *, size: int = 64) -> np.ndarray:
    """Draw the pictures ``labels`` describe: ``(N, size, size, 3)`` uint8, rows top-down.

    Many pictures are drawn on one canvas at a time (one upload of their backgrounds,
    one batch of shapes, one read-back), on this process's headless GL context.

    Examples:
        >>> from sketchml.datasets.shapes import draw_shapes, sample_labels
        >>> draw_shapes(sample_labels(2, seed=0), size=32).shape
        (2, 32, 32, 3)
    """
    _check_size(size)
    per_row = _CANVAS_SIDE // size
    per_canvas = per_row * per_row
    canvas = _batch_canvas(per_row * size)
    out = np.empty((len(labels), size, size, 3), np.uint8)
    for first in range(0, len(labels), per_canvas):
        _draw_batch(canvas, labels[first:first + per_canvas], out[first:first + per_canvas],
                    size, per_row)
    return out


def _draw_batch(canvas: Canvas, chunk: list[dict[str, Any]], out: np.ndarray, size: int,
                per_row: int) -> None:
    """Draw one canvas-full of pictures into ``out``."""
    rows = math.ceil(len(chunk) / per_row)
    backgrounds = np.zeros((rows * size, per_row * size, 3), np.uint8)
    for k, label in enumerate(chunk):
        r, col = divmod(k, per_row)
        backgrounds[r * size:(r + 1) * size, col * size:(col + 1) * size] = \
            _background(label, size)
    canvas._begin_frame()
    canvas.no_stroke()
    canvas.image(backgrounds, 0, 0)
    for k, label in enumerate(chunk):
        r, col = divmod(k, per_row)
        _draw_shape(canvas, label, col * size, r * size, size)
    canvas._end_frame()
    pixels = canvas._read_pixels()[:rows * size, :, :3]
    tiles = pixels.reshape(rows, size, per_row, size, 3).transpose(0, 2, 1, 3, 4)
    out[:] = tiles.reshape(-1, size, size, 3)[:len(chunk)]


class ShapesWorld(DrawnWorld):
    """A drawn shapes world: :attr:`images` ``(N, 3, H, W)`` float, :attr:`labels`, :attr:`captions`.

    It is also a map-style ``torch.utils.data.Dataset``: ``world[i]`` is
    ``(image (3, H, W), label dict)``. Make one with :func:`shapes_world`.

    Args:
        pixels: ``(N, H, W, 3)`` uint8 pictures.
        labels: one label dict per picture (see :func:`sample_labels`).
        value_range: the range of the float images, ``(0, 1)`` or ``(-1, 1)`` for GANs.

    Examples:
        >>> from sketchml.datasets import shapes_world
        >>> image, label = shapes_world(2, size=32)[1]
        >>> tuple(image.shape), label["index"]
        ((3, 32, 32), 1)
    """

    @property
    def targets(self) -> torch.Tensor:
        """The shape class of every picture, ``(N,)`` int64 indices into :data:`SHAPES`."""
        import torch

        return torch.tensor([label["shape_id"] for label in self.labels], dtype=torch.long)


def shapes_world(n: int, *, size: int = 64, seed: int = 0, start: int = 0,
                 shapes: tuple[str, ...] = SHAPES, backgrounds: tuple[str, ...] = BACKGROUNDS,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> ShapesWorld:
    """Draw ``n`` pictures of the shapes world (items ``start ..``), deterministic by ``seed``.

    Args:
        n: how many pictures.
        size: their side in pixels: 32, 64 (default) or 128.
        seed: which world (default 0); the same seed draws the same pictures.
        start: index of the first item (default 0), to draw a world in parts.
        shapes: the shape classes to use (default all of :data:`SHAPES`).
        backgrounds: the background styles to use (default all of :data:`BACKGROUNDS`).
        value_range: the range of :attr:`ShapesWorld.images`, default ``(0, 1)``.

    Returns:
        A :class:`ShapesWorld`: ``.images`` ``(N, 3, H, W)`` float, ``.labels`` (dicts),
        ``.captions``, ``.targets``; usable as a torch ``Dataset``.

    Examples:
        >>> from sketchml.datasets import shapes_world
        >>> world = shapes_world(8, size=32, seed=2, shapes=("circle", "star"))
        >>> sorted({label["shape"] for label in world.labels}) <= ["circle", "star"]
        True
    """
    _check_size(size)
    labels = sample_labels(n, seed=seed, start=start, shapes=shapes, backgrounds=backgrounds)
    return ShapesWorld(draw_shapes(labels, size=size), labels, value_range=value_range)
