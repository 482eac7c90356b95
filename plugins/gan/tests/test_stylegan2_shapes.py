"""The embedded stylegan2.shapes: style mixing and projection work offline.

Judged by plain pixel distances, never by the generator's own losses. Projection measures
with the shape classifier's features (no VGG16 here), and must bring held-out pictures of
the shapes world closer than the average w, where it starts.

Not tested: whether its samples are recognisable shapes. They are not yet (after ten CPU
minutes they are soft blobs), and the shipped shape classifier cannot judge 32 px pictures:
it is sure of a shape in 98 % of uniform noise at that size.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import sketchml as sk
import sketchml_gan
from sketchml.datasets import shapes_world

WEIGHTS = Path(sketchml_gan.__file__).parent / "weights"


@pytest.fixture(scope="module")
def gan():
    return sk.model("stylegan2.shapes", device="cpu")


def test_style_mixing_takes_layout_from_one_and_colours_from_the_other(gan):
    a, b = gan.sample_latent(16, seed=1), gan.sample_latent(16, seed=2)
    mixed = gan.generate(a, style_mix=(b, 4))
    first, second = gan.generate(a), gan.generate(b)
    # Colours (the mean colour of each picture) come mostly from the fine layers' latent.
    colour = lambda images: images.mean(dim=(2, 3))  # noqa: E731
    assert (colour(mixed) - colour(second)).abs().mean() < (colour(mixed) - colour(first)).abs().mean()


def test_projection_reconstructs_held_out_pictures_better_than_the_average(gan):
    # Items far past the 6000 pictures it was trained on.
    world = shapes_world(4, size=32, seed=0, start=90000)
    average = gan.generate(gan.latent_avg[None])
    closer = 0
    for target in world.images:
        latent = gan.encode(target, steps=60, seed=0, progress=False)
        assert latent.metadata["perceptual"] == "shapes"
        made = gan.generate(latent)
        closer += float((made - target).pow(2).mean()) < 0.7 * float((average - target).pow(2).mean())
    assert closer >= 3


def test_the_record_matches_the_shipped_file():
    file = WEIGHTS / "stylegan2-shapes.safetensors"
    record = json.loads((WEIGHTS / "stylegan2-shapes.json").read_text())
    assert record["file_bytes"] == file.stat().st_size < 4 * 2**20
    gan = sk.model("stylegan2.shapes", device="cpu")
    assert gan.resolution == record["recipe"]["resolution"] == 32
