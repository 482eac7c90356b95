"""The embedded default dcgan.shapes: small, recorded, and it draws recognisable shapes.

The yardstick is the small shape classifier that ``scripts/train_dcgan_shapes.py`` trains
on the shapes world's labels and ships beside the generator
(``weights/shapes-classifier.safetensors``). The test first checks the classifier itself on
a world it never saw (so a classifier that is confident about anything cannot pass), then
counts how many of 256 generated samples it recognises as some shape with high confidence.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import sketchml as sk
import sketchml_gan
from sketchml.datasets import SHAPES, ShapeClassifier, shapes_world

WEIGHTS = Path(sketchml_gan.__file__).parent / "weights"


@pytest.fixture(scope="module")
def classifier() -> ShapeClassifier:
    model = ShapeClassifier()
    model.load_state_dict(sk.load_weights(WEIGHTS / "shapes-classifier.safetensors"))
    return model.eval()


def test_the_classifier_knows_the_shapes_world(classifier):
    world = shapes_world(400, size=64, seed=4242)
    assert classifier.accuracy(world.images, world.targets) > 0.85
    # And it is not sure of just anything: noise is not a shape.
    noise = torch.rand(64, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    _, sure = classifier.confidence(noise)
    assert float((sure > 0.8).float().mean()) < 0.5


def test_generated_samples_are_recognised_shapes(classifier):
    gan = sk.model("dcgan.shapes", device="cpu")
    samples = gan.generate(gan.sample_latent(256, seed=0))
    classes, sure = classifier.confidence(samples)
    assert float((sure > 0.8).float().mean()) > 0.6
    # Every shape class is recognised (more likely than all the others together) somewhere.
    assert set(classes[sure > 0.5].tolist()) == set(range(len(SHAPES)))


def test_the_default_is_small_and_its_record_matches_it():
    file = WEIGHTS / "dcgan-shapes.safetensors"
    assert file.stat().st_size < 4 * 2**20
    record = json.loads((WEIGHTS / "dcgan-shapes.json").read_text())
    assert record["file_bytes"] == file.stat().st_size
    assert record["quality"]["confident_fraction"] > 0.6
    gan = sk.model("dcgan", device="cpu")
    assert gan.resolution == 64 == record["recipe"]["resolution"]
    assert gan.latent_dim == record["recipe"]["latent_dim"]
