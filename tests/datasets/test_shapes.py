"""The shapes world: determinism, labels that match the pixels, captions, sizes, errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from sketchml.datasets import (BACKGROUNDS, COLORS, SHAPES, ShapeClassifier, draw_shapes,
                               sample_labels, shapes_world)
from sketchml.errors import SketchmlError


def test_same_seed_same_world_other_seed_other_world():
    a = shapes_world(12, size=32, seed=5)
    b = shapes_world(12, size=32, seed=5)
    c = shapes_world(12, size=32, seed=6)
    assert np.array_equal(a.pixels, b.pixels)
    assert a.labels == b.labels
    assert not np.array_equal(a.pixels, c.pixels)
    assert a.captions != c.captions


def test_an_item_does_not_depend_on_the_world_length_or_start():
    whole = shapes_world(7, size=32, seed=3)
    part = shapes_world(2, size=32, seed=3, start=4)
    assert np.array_equal(whole.pixels[4:6], part.pixels)
    assert whole.labels[4:6] == part.labels


@pytest.mark.parametrize("size", [32, 64, 128])
def test_shapes_are_drawn_where_and_in_the_colour_the_labels_say(size):
    world = shapes_world(40, size=size, seed=11)
    assert world.images.shape == (40, 3, size, size)
    assert world.pixels.dtype == np.uint8
    for picture, label in zip(world.pixels, world.labels):
        cx = min(int(label["x"] * size), size - 1)
        cy = min(int(label["y"] * size), size - 1)
        centre = picture[cy, cx].astype(int)
        assert np.abs(centre - COLORS[label["fill"]]).max() <= 12, label["caption"]
        if label["background_style"] == "plain":
            assert picture[0, 0].tolist() == list(COLORS[label["background"]]), label["caption"]


def test_labels_are_complete_and_captions_say_them():
    labels = sample_labels(300, seed=0)
    assert {label["shape"] for label in labels} == set(SHAPES)
    assert {label["background_style"] for label in labels} == set(BACKGROUNDS)
    for label in labels:
        assert SHAPES[label["shape_id"]] == label["shape"]
        assert label["fill"] != label["background"]
        assert 0 < label["x"] < 1 and 0 < label["y"] < 1 and 0 < label["size"] < 1
        caption = label["caption"]
        assert caption.startswith(f"a {label['size_word']} {label['fill']} {label['shape']} on a "
                                  f"{label['background']} background")
        assert caption.endswith(label["position"])
    tops = [label for label in labels if label["position"].startswith("top")]
    assert tops and all(label["y"] < 1 / 3 for label in tops)


def test_gradient_and_noise_backgrounds_vary_plain_ones_do_not():
    world = shapes_world(60, size=64, seed=2)
    for picture, label in zip(world.pixels, world.labels):
        strip = picture[0].astype(float)  # the top row: shapes keep a margin from the edges
        spread = strip.std(axis=0).max()
        if label["background_style"] == "plain":
            assert spread == 0
        elif label["background_style"] == "noise":
            assert spread > 3


def test_restricting_shapes_and_backgrounds():
    world = shapes_world(30, size=32, shapes=("circle", "star"), backgrounds=("plain",))
    assert {label["shape"] for label in world.labels} <= {"circle", "star"}
    assert {label["background_style"] for label in world.labels} == {"plain"}
    assert set(world.targets.tolist()) <= {SHAPES.index("circle"), SHAPES.index("star")}


def test_value_range_and_dataset_use():
    world = shapes_world(10, size=32, seed=1, value_range=(-1, 1))
    image, label = world[3]
    assert image.shape == (3, 32, 32) and label["index"] == 3
    assert torch.equal(image, world.images[3])
    assert world.images.min() >= -1 and world.images.max() <= 1 and world.images.min() < -0.5
    loader = torch.utils.data.DataLoader(world, batch_size=4)
    images, labels = next(iter(loader))
    assert images.shape == (4, 3, 32, 32)
    assert labels["shape"] == [world.labels[i]["shape"] for i in range(4)]


def test_draw_shapes_redraws_labels():
    labels = sample_labels(3, seed=9)
    assert np.array_equal(draw_shapes(labels, size=32), shapes_world(3, size=32, seed=9).pixels)


def test_clear_errors():
    with pytest.raises(SketchmlError, match="32, 64, 128"):
        shapes_world(2, size=48)
    with pytest.raises(SketchmlError, match="Did you mean 'circle'"):
        shapes_world(2, shapes=("circel",))
    with pytest.raises(SketchmlError, match="n must be"):
        shapes_world(-1)
    with pytest.raises(SketchmlError, match="value_range"):
        shapes_world(1, size=32, value_range=(1, 0))


def test_classifier_api():
    clf = ShapeClassifier()
    probs = clf.probabilities(torch.rand(3, 3, 64, 64))
    assert probs.shape == (3, len(SHAPES))
    assert torch.allclose(probs.sum(1), torch.ones(3))
    with pytest.raises(SketchmlError, match="N, 3, H, W"):
        clf(torch.rand(3, 64, 64))


def test_importing_the_package_stays_light():
    code = ("import sys, sketchml.datasets as d; assert d.SHAPES; "
            "assert 'torch' not in sys.modules and 'moderngl' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_shape_pictures_come_in_equal_parts_and_show_no_shape_outline():
    from sketchml.datasets import NO_SHAPE_KINDS, no_shape_pictures

    pictures = no_shape_pictures(20, size=32, seed=3)
    assert pictures.shape == (20, 3, 32, 32)
    assert 0 <= float(pictures.min()) and float(pictures.max()) <= 1
    again = no_shape_pictures(20, size=32, seed=3)
    assert torch.equal(pictures, again)
    # A blurred picture has lost its edges: its strongest step between neighbours is far
    # smaller than the sharp world picture's.
    blurred = no_shape_pictures(4, size=64, seed=1, kinds=("blurred",))
    sharp = shapes_world(4, size=64, seed=1).images
    def steepest(x):
        return float((x[..., 1:] - x[..., :-1]).abs().amax())
    assert steepest(blurred) < 0.5 * steepest(sharp)
    with pytest.raises(SketchmlError, match="not a kind"):
        no_shape_pictures(2, kinds=("smudge",))
    assert set(NO_SHAPE_KINDS) == {"background", "noise", "blob", "blurred", "shuffled"}
