"""Guidance with the shipped defaults draws the colour and the shape the prompt names.

The bar of issue 16: for a fixed list of colour+shape prompts, ``clip.guide(prompt)`` with
the embedded tiny CLIP draws that colour and that shape on at least 3 of 4 seeds, on
``dcgan.shapes`` and on the pixel and Fourier parameterisations. The judges are not CLIP
(``prompt_judge.py``): the shape classifier the gan plugin ships names the shape, and a
foreground/background split measures the colour of the shape, not of the whole picture.
The judges are checked first on real pictures of the shapes world, including pictures whose
colours are swapped, so a judge that passes anything cannot pass.

``scripts/guidance_table.py`` prints the full table (more prompts, every seed's verdict).
"""
from __future__ import annotations

import pytest
import torch
from prompt_judge import judge, parse

import sketchml as sk
from sketchml.datasets import COLORS, shapes_world

PROMPTS = ("a red circle", "a blue square", "a green triangle", "a yellow star", "a white cross")
SEEDS = (0, 1, 2, 3)
STEPS = 40
CUTOUTS = 8


@pytest.fixture(scope="module")
def tiny():
    return sk.model("clip.tiny", device="cpu")


def test_the_judges_know_the_shapes_world_and_where_its_colour_is():
    world = shapes_world(200, size=64, seed=31337)
    right = judge(world.images, [(label["fill"], label["shape"]) for label in world.labels])
    assert sum(v.passed for v in right) / len(right) > 0.9
    # The background's colour is not the shape's: asking for it fails, as it must when
    # guidance paints the prompt's colour around the shape instead of in it.
    swapped = judge(world.images, [(label["background"], label["shape"]) for label in world.labels])
    assert sum(v.colour_ok for v in swapped) / len(swapped) < 0.05
    # A picture of one plain colour shows no shape of that colour.
    plain = torch.tensor(COLORS["red"], dtype=torch.float32).div(255).view(1, 3, 1, 1)
    assert not judge(plain.expand(1, 3, 64, 64), [("red", "circle")])[0].colour_ok


def test_prompts_name_a_colour_and_a_shape():
    assert parse("A Green triangle.") == ("green", "triangle")
    with pytest.raises(ValueError):
        parse("a triangle")


# Where the bar is not met yet, with what was measured (scripts/guidance_table.py --steps 40
# --cutouts 8; clip.tiny 115a540, shape classifier 6cfd28b, dcgan.shapes 2bc5a21). Strict:
# when a picture kind starts passing, the test says so and this entry must go.
SHORTFALLS = {
    "dcgan.shapes": "0 of 9 prompts, 3 of 36 seeds (1 of 9 and 3 of 36 with the dcgan.shapes "
                    "of 17e1628): the colours come out right and on the shape, but "
                    "dcgan.shapes draws blobs the classifier does not take for the prompt's "
                    "shape",
    "pixels": "0 of 36 seeds over 9 prompts: the tiny CLIP is satisfied by thin strokes of the "
              "prompt's colour along the shape's edges (about 1% of the picture), not a filled shape",
    "fourier": "0 of 36 seeds over 9 prompts: strokes and soft blots of the colour, not a "
               "filled shape the classifier recognises",
}


@pytest.mark.slow
@pytest.mark.parametrize("model", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=SHORTFALLS[name]))
    if name in SHORTFALLS else name
    for name in ("dcgan.shapes", "pixels", "fourier")])
def test_guidance_draws_the_colour_and_shape_of_the_prompt(tiny, model):
    generator = sk.model(model, device="cpu") if "." in model else model
    failures = []
    for prompt in PROMPTS:
        images = torch.cat([
            tiny.guide(prompt, model=generator, seed=seed, steps=STEPS, cutouts=CUTOUTS)
            .run(progress=False).image.as_subclass(torch.Tensor) for seed in SEEDS])
        verdicts = judge(images, [parse(prompt)] * len(SEEDS))
        if sum(v.passed for v in verdicts) < 3:
            failures.append(f"{prompt}: " + "; ".join(v.describe() for v in verdicts))
    assert not failures, "\n".join(failures)
