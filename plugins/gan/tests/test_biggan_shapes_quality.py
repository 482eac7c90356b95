"""The embedded biggan.shapes: the class asked for is the shape drawn, truncation and mixing work.

The judge is the shape classifier shipped with dcgan.shapes
(``weights/shapes-classifier.safetensors``): trained on 64 px pictures of another world seed
with all backgrounds, and on pictures with no shape, never on anything BigGAN made. It
scales every picture to 32 px before it looks, so it reads this 32 px generator as it reads
its own pictures; the first test checks that on a 32 px world and 32 px negatives. A second
judge, trained here from scratch at 32 px with another seed, must agree. All samples come
from fixed seeds that training never used (``scripts/train_biggan_shapes.py`` records the
same measurement with seeds 1000 + class index).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import sketchml as sk
import sketchml_gan
from sketchml.datasets import NO_SHAPE_KINDS, SHAPES, ShapeClassifier, no_shape_pictures, shapes_world

WEIGHTS = Path(sketchml_gan.__file__).parent / "weights"
FOLDER = WEIGHTS / "biggan-shapes"
PER_CLASS = 100
SEED = 1000  # class i draws seed SEED + i, as the training script's record does


@pytest.fixture(scope="module")
def judge() -> ShapeClassifier:
    model = ShapeClassifier()
    model.load_state_dict(sk.load_weights(WEIGHTS / "shapes-classifier.safetensors"))
    return model.eval()


@pytest.fixture(scope="module")
def gan():
    return sk.model("biggan.shapes", device="cpu")


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((FOLDER / "record.json").read_text(encoding="utf-8"))


def _samples(gan, truncation: float) -> tuple[torch.Tensor, torch.Tensor]:
    images = [gan.generate(PER_CLASS, seed=SEED + i, label=name, truncation=truncation)
              for i, name in enumerate(SHAPES)]
    return torch.cat(images), torch.arange(len(SHAPES)).repeat_interleave(PER_CLASS)


def _per_class(judge: ShapeClassifier, images: torch.Tensor, asked: torch.Tensor) -> list[float]:
    named, _ = judge.confidence(images)
    right = (named == asked).float()
    return [float(right[asked == i].mean()) for i in range(len(SHAPES))]


def test_the_judge_reads_32_px_pictures_and_is_unsure_of_no_shapes(judge):
    world = shapes_world(300, size=32, seed=4242)
    assert judge.accuracy(world.images, world.targets) > 0.95
    for kind in NO_SHAPE_KINDS:
        _, sure = judge.confidence(no_shape_pictures(60, size=32, seed=4242, kinds=(kind,)))
        assert float((sure > 0.8).float().mean()) < 0.15, kind


def test_the_class_asked_for_is_drawn_more_often_than_chance_as_recorded(gan, judge, record):
    """Chance is 20% (each class is asked for equally often). Shipped: 22.6% at truncation 1,
    31.2% at 0.5; 500 samples put chance's spread near 1.8 points."""
    for entry in record["quality"]:
        hits = _per_class(judge, *_samples(gan, entry["truncation"]))
        assert sum(hits) / len(hits) == pytest.approx(entry["accuracy"], abs=0.02)
    hits = _per_class(judge, *_samples(gan, 0.5))
    assert sum(hits) / len(hits) > 0.27, dict(zip(SHAPES, hits))


@pytest.mark.xfail(strict=True, reason=(
    "issue 16's aim is not met: the shipped biggan.shapes (1215 steps, 8 CPU-minutes) draws the "
    "asked shape in 31.2% of samples at truncation 0.5 (circle 4%, square 73%, triangle 46%, "
    "star 32%, cross 1%), not in most samples of every class"))
def test_every_class_is_drawn_as_itself_in_most_samples(gan, judge):
    hits = _per_class(judge, *_samples(gan, 0.5))
    assert min(hits) > 0.5, dict(zip(SHAPES, hits))


@pytest.mark.slow
def test_a_second_judge_trained_from_scratch_at_32_px_agrees(gan, judge):
    """Measured: 28.8% at truncation 0.5 against the shipped judge's 31.2%. Per class the two
    disagree (square 36% against 73%, triangle 62% against 46%): the samples are still blobs
    that lean towards a shape, and which shape is partly the judge's reading."""
    from sketchml.datasets import train_shape_classifier

    second = train_shape_classifier(n=2000, size=32, steps=1000, seed=7)
    world = shapes_world(300, size=32, seed=4343)
    assert second.accuracy(world.images, world.targets) > 0.85
    images, asked = _samples(gan, 0.5)
    first, other = _per_class(judge, images, asked), _per_class(second, images, asked)
    assert abs(sum(first) - sum(other)) / len(SHAPES) < 0.1, (first, other)
    assert sum(other) / len(SHAPES) > 0.25, other


def test_truncation_trades_variety_for_typical_pictures(gan, judge):
    """Smaller truncation: the samples of a class are more alike, and more often that class.

    Shipped: spread 0.036 at 0.2 against 0.138 at 1.0; judged right 39.4% against 22.6%."""
    spread, right = {}, {}
    for t in (0.2, 1.0):
        images, asked = _samples(gan, t)
        per_class = images.reshape(len(SHAPES), PER_CLASS, -1)
        spread[t] = float((per_class - per_class.mean(dim=1, keepdim=True)).pow(2).mean())
        right[t] = sum(_per_class(judge, images, asked)) / len(SHAPES)
    assert spread[0.2] < 0.5 * spread[1.0], spread
    assert right[0.2] > right[1.0] + 0.05, right


def _mix(gan, judge, a: str, b: str, steps: int = 5) -> list[float]:
    """The judge's mean belief in ``b`` along ``{a: 1 - w, b: w}``, w from 0 to 1, same noise."""
    noise = gan.sample_latent(40, seed=77, truncation=0.5)
    beliefs = []
    for k in range(steps):
        w = k / (steps - 1)
        probabilities = judge.probabilities(gan.generate(noise, label={a: 1 - w, b: w}))
        beliefs.append(float(probabilities[:, SHAPES.index(b)].mean()))
    return beliefs


def test_class_mixing_moves_from_a_circle_to_a_square(gan, judge):
    """Shipped: the judge's belief in "square" goes 0.30, 0.34, 0.42, 0.52, 0.51."""
    p_b = _mix(gan, judge, "circle", "square")
    assert p_b[-1] - p_b[0] > 0.15, p_b
    assert p_b[0] < p_b[2] < p_b[-1], p_b


@pytest.mark.xfail(strict=True, reason=(
    "the shipped biggan.shapes mixes only circle to square visibly: the judge's belief in the "
    "second shape moves 0.22 -> 0.29 from triangle to star and 0.11 -> 0.13 from square to cross"))
def test_class_mixing_moves_between_any_two_shapes(gan, judge):
    for a, b in (("triangle", "star"), ("square", "cross")):
        p_b = _mix(gan, judge, a, b)
        assert p_b[-1] - p_b[0] > 0.3, (a, b, p_b)


def test_the_shipped_files_are_small_and_the_record_matches_them(gan, record):
    file = FOLDER / "model.safetensors"
    assert record["file_bytes"] == file.stat().st_size < 4 * 2**20
    assert gan.network.config.resolution == record["recipe"]["resolution"] == 32
    assert gan.class_names == list(SHAPES)
    assert gan.generate(2, seed=0, label="star").shape == (2, 3, 32, 32)
