"""The shipped tiny CLIP names shapes and colours it has never seen, as well as its record says.

``scripts/train_clip_tiny.py`` measured zero-shot accuracies on a held-out world and wrote
them beside the weights. Here they are measured again on another freshly drawn world (a
seed neither training nor the script used) and must reach the recorded figures, less a
tolerance for drawing a different sample, and stay well above chance.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import sketchml as sk
import sketchml_clip
from sketchml.datasets import COLORS, SHAPES, shapes_world

WEIGHTS = Path(sketchml_clip.__file__).parent / "weights"
RECORD = json.loads((WEIGHTS / "clip-tiny.json").read_text(encoding="utf-8"))
# About three standard errors of an accuracy near 0.7 measured on 400 pictures.
TOLERANCE = 0.07
PICTURES = 400
SEED = 4242


@pytest.fixture(scope="module")
def measured():
    registry = sk.Registry(discover=False)
    registry.register(sketchml_clip)
    clip = registry.load("clip", device="cpu")
    world = shapes_world(PICTURES, size=64, seed=SEED)
    assert SEED not in (RECORD["recipe"]["world_seed"], RECORD["zero_shot"]["world_seed"])
    shapes = clip.classify(world.images, list(SHAPES)).labels
    colours = clip.classify(world.images, list(COLORS)).labels
    return {
        "shape": sum(p == label["shape"] for p, label in zip(shapes, world.labels)) / PICTURES,
        "colour": sum(p == label["fill"] for p, label in zip(colours, world.labels)) / PICTURES,
    }


@pytest.mark.parametrize("words, classes", [("shape", len(SHAPES)), ("colour", len(COLORS))])
def test_zero_shot_accuracy_on_fresh_held_out_shapes(measured, words, classes):
    recorded = RECORD["zero_shot"][words]
    chance = 1 / classes
    assert measured[words] >= recorded - TOLERANCE, (
        f"zero-shot {words} accuracy {measured[words]:.3f} is below the recorded "
        f"{recorded:.3f} (less {TOLERANCE})")
    assert measured[words] >= 2.5 * chance, (
        f"zero-shot {words} accuracy {measured[words]:.3f} is not well above chance ({chance:.3f})")


def test_the_record_describes_the_shipped_file():
    path = WEIGHTS / "clip-tiny.safetensors"
    assert path.stat().st_size == RECORD["file_bytes"]
    assert path.stat().st_size < 8_000_000, "the embedded tiny CLIP should stay a few MB"
    registry = sk.Registry(discover=False)
    registry.register(sketchml_clip)
    clip = registry.load("clip", device="cpu")
    assert sum(p.numel() for p in clip.network.parameters()) == RECORD["parameters"]
    assert list(clip.templates) == RECORD["zero_shot"]["templates"]


def test_a_caption_finds_its_picture(measured):
    """Retrieval: among 16 fresh pictures, each full caption scores its own picture highest most often."""
    registry = sk.Registry(discover=False)
    registry.register(sketchml_clip)
    clip = registry.load("clip", device="cpu")
    world = shapes_world(16, size=64, seed=SEED + 1)
    with torch.no_grad():
        scores = clip.similarity(world.images, world.captions)
    hits = (scores.argmax(dim=0) == torch.arange(16)).float().mean()
    assert hits >= 0.75, f"only {hits:.2f} of 16 captions picked their own picture (chance 0.06)"
