"""What guidance makes with the offline defaults: the embedded tiny CLIP (``clip.tiny``,
trained on sketchml's shapes world) steering the direct image parameterisations.

* The tiny CLIP's score for the prompt ends well above the starting picture's, for each
  direct parameterisation and for the embedded DCGAN (``dcgan.shapes``).
* A prompt naming a colour ("a red circle") makes that colour the picture's dominant one,
  judged by the shapes world's own colour table, colourful pixel by colourful pixel.

Runs are short (60 steps on 64 px pictures) and seeded, so they are quick and repeatable.
"""
from __future__ import annotations

import pytest
import torch

import sketchml as sk
from sketchml.datasets import COLORS
from sketchml_clip.guide import guide


@pytest.fixture(scope="module")
def tiny():
    try:
        return sk.model("clip.tiny", device="cpu")
    except sk.SketchmlError as err:
        pytest.skip(f"the embedded tiny CLIP is not built yet ({err})")


def score(clip, images, prompt):
    with torch.no_grad():
        return float(clip.similarity(images, prompt)[0, 0])


CHROMATIC = ("red", "orange", "yellow", "green", "blue", "purple", "pink")


def colour_shares(images):
    """Each shapes-world colour's share of the picture's colourful pixels (grey ones do not vote).

    A pixel votes for the nearest of the world's colours (its own colour table); pixels with
    little saturation or light are left out, so a greyish backdrop does not outvote the colour
    a picture has.
    """
    pixels = images[0].permute(1, 2, 0).reshape(-1, 3)
    high, low = pixels.max(dim=1).values, pixels.min(dim=1).values
    colourful = pixels[((high - low) / high.clamp_min(1e-6) > 0.3) & (high > 0.25)]
    table = torch.tensor([COLORS[name] for name in CHROMATIC], dtype=torch.float32) / 255
    votes = torch.bincount(torch.cdist(colourful, table).argmin(dim=1), minlength=len(CHROMATIC))
    return {name: float(v) / max(1, len(colourful)) for name, v in zip(CHROMATIC, votes.tolist())}


@pytest.mark.parametrize("model", ["fourier", "pixels", "pixelart", "dcgan.shapes"])
def test_guidance_raises_the_tiny_clips_score_well_above_the_start(tiny, model):
    if model == "dcgan.shapes":
        try:
            model = sk.model("dcgan.shapes", device="cpu")
        except sk.SketchmlError as err:
            pytest.skip(f"the embedded dcgan.shapes is not built yet ({err})")
    # One start: this measures what the optimiser does, not the pick of the best start.
    guidance = guide(tiny, "a red circle", model=model, steps=60, cutouts=8, seed=0, starts=1)
    start = next(guidance)
    result = guidance.run(progress=False)
    before, after = score(tiny, start.image, "a red circle"), score(tiny, result.image, "a red circle")
    assert after > before + 0.2, (before, after)
    # The prompt now fits this picture better than other shapes-world prompts do.
    others = ["a blue square", "a green star", "a yellow triangle"]
    assert after > max(score(tiny, result.image, other) for other in others)


@pytest.mark.parametrize("prompt, colour, seed", [("a red circle", "red", 0),
                                                  ("a red circle", "red", 1),
                                                  ("a purple triangle", "purple", 0)])
def test_a_colour_in_the_prompt_is_the_dominant_colour_of_the_result(tiny, prompt, colour, seed):
    guidance = guide(tiny, prompt, model="pixelart", steps=60, cutouts=8, seed=seed)
    start = colour_shares(next(guidance).image)
    shares = colour_shares(guidance.run(progress=False).image)
    assert max(shares, key=shares.get) == colour, shares
    assert shares[colour] > start[colour] + 0.2, (start, shares)
