"""CLIP guidance: prompts, image parameterisations, optimisers, streaming, results, errors.

These run with a tiny CLIP of random weights (the tiny architecture, built untrained), so
they do not depend on the trained default; test_guide_quality.py checks what the trained
one makes.
"""
from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml_clip.guide import GuideStep, guide, rerender
from sketchml_clip.params import Fourier, PixelArt, Pixels, parameterisation
from sketchml_clip.prompts import parse_prompt, read_prompts


@pytest.fixture(scope="module")
def clip():
    return sk.model("clip", untrained=True, device="cpu")


def quick(clip, prompt="a red circle", **options):
    """A small, fast guidance run on a 32 px picture."""
    settings = {"model": "pixels", "size": 32, "steps": 4, "cutouts": 3, **options}
    return guide(clip, prompt, **settings)


# -- prompts ----------------------------------------------------------------------------------

def test_prompt_parts_weights_and_negatives():
    parts = parse_prompt("a lighthouse:1 | fog:0.5 | text:-1")
    assert [(p.text, p.weight) for p in parts] == [("a lighthouse", 1.0), ("fog", 0.5), ("text", -1.0)]
    assert [(p.text, p.weight) for p in parse_prompt("  a red circle ")] == [("a red circle", 1.0)]
    assert [(p.text, p.weight) for p in parse_prompt(["a star", ("noise", -0.5)])] == [
        ("a star", 1.0), ("noise", -0.5)]
    assert parse_prompt("x:2e-1")[0].weight == pytest.approx(0.2)
    image = torch.rand(3, 8, 8)
    both = parse_prompt("a star", images=[(image, 0.5)])
    assert both[1].image is image and both[1].weight == 0.5 and both[1].text == ""


@pytest.mark.parametrize("prompt, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("a cat || a dog", "Part 2"),
    ("a cat |", "Part 2"),
    ("fog:", "no weight"),
    (":0.5", "no words"),
    ("fog:-1 | text:-0.5", "positive weight"),
    (None, "empty"),
])
def test_bad_prompts_say_what_is_wrong(prompt, words):
    with pytest.raises(sk.SketchmlError, match=words):
        parse_prompt(prompt)


def test_prompts_file_reports_blank_and_malformed_lines_by_number(tmp_path):
    file = tmp_path / "prompts.txt"
    file.write_text("a red circle\n# a comment\n\na blue star | :2\nfog:\na green square:2\n\n")
    lines = read_prompts(file)
    assert [(line.number, line.ok) for line in lines] == [
        (1, True), (3, False), (4, False), (5, False), (6, True)]
    assert "blank" in lines[1].error and "no words" in lines[2].error
    assert lines[4].prompts[0].weight == 2.0
    with pytest.raises(sk.SketchmlError, match="No prompts file"):
        read_prompts(tmp_path / "missing.txt")


# -- parameterisations ----------------------------------------------------------------------

@pytest.mark.parametrize("cls", [Pixels, Fourier, PixelArt])
def test_parameterisations_are_differentiable_models_in_range(cls):
    model = cls(size=32, device="cpu")
    latent = model.sample_latent(2, seed=3)
    leaves = {k: v.clone().requires_grad_(True) for k, v in latent.tensors.items()}
    images = model.generate(sk.Latent(leaves, **latent.metadata))
    assert images.shape == (2, 3, 32, 32)
    assert float(images.detach().min()) >= 0 and float(images.detach().max()) <= 1
    images[:, 0].mean().backward()
    assert all(float(v.grad.abs().sum()) > 0 for v in leaves.values())
    # Seeds give the same start; walks between latents work as for any model.
    again = model.sample_latent(2, seed=3)
    assert all(torch.equal(latent[k], again[k]) for k in latent.tensors)
    assert len(model.interpolate(latent[0], latent[1], steps=5)) == 5


def test_pixel_art_uses_only_its_palette_and_whole_cells():
    art = PixelArt(size=32, cells=8, colours=3, device="cpu")
    picture = art.generate(art.sample_latent(1, seed=1))[0]
    colours = torch.unique(picture.reshape(3, -1), dim=1)
    assert colours.shape[1] <= 3
    # Every 4x4 cell is one colour.
    cells = picture.reshape(3, 8, 4, 8, 4)
    assert torch.equal(cells, cells[:, :, :1, :, :1].expand_as(cells))


def test_fourier_pictures_are_smoother_than_pixel_noise_and_decay_smooths_more():
    def picture(decay):
        fourier = Fourier(size=64, decay=decay, device="cpu")
        latent = fourier.sample_latent(1, seed=0)
        return fourier.generate(sk.Latent({"spectrum": latent["spectrum"] * 100}, **latent.metadata))

    smooth = picture(1.0)
    rough = Pixels(size=64, device="cpu").generate(sk.Latent(
        {"pixels": torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
         * float(torch.logit(smooth).std())}))

    def roughness(images):
        return float((images[..., 1:] - images[..., :-1]).abs().mean() / images.std())

    assert roughness(smooth) < 0.6 * roughness(rough)
    assert roughness(picture(2.0)) < 0.5 * roughness(smooth)


def test_parameterisation_errors():
    with pytest.raises(sk.SketchmlError, match="(?i)did you mean.*'pixels'"):
        parameterisation("pixel")
    with pytest.raises(sk.SketchmlError, match="multiple of cells"):
        PixelArt(size=30, cells=8, device="cpu")
    with pytest.raises(sk.SketchmlError, match="'spectrum'"):
        Fourier(size=16, device="cpu").generate(Pixels(size=16, device="cpu").sample_latent(1))
    with pytest.raises(sk.SketchmlError, match="other options"):
        Pixels(size=16, device="cpu").generate(Pixels(size=32, device="cpu").sample_latent(1))


# -- guidance ---------------------------------------------------------------------------------

def score(clip, images, prompt):
    with torch.no_grad():
        return float(clip.similarity(images, prompt)[0, 0])


@pytest.mark.parametrize("model", ["pixels", "fourier", "pixelart"])
def test_adam_lowers_the_loss_for_every_parameterisation(clip, model):
    guidance = quick(clip, "a blue star", model=model, steps=12, cutouts=2, augment=False)
    first = next(guidance)
    result = guidance.run(progress=False)
    assert result.loss < first.loss
    # With augment off and the whole picture among the cutouts, a lower loss is a picture
    # CLIP finds closer to the prompt.
    assert score(clip, result.image, "a blue star") > score(clip, first.image, "a blue star")
    assert float((result.image - first.image).abs().max()) > 0.05


def test_guidance_streams_steps_and_stopping_keeps_the_best(clip):
    guidance = quick(clip, steps=10)
    seen = []
    for step in guidance:
        assert isinstance(step, GuideStep)
        number, image, loss, latent = step
        assert image.shape == (1, 3, 32, 32) and isinstance(latent, sk.Latent)
        assert image.latent is latent
        seen.append(step)
        if number == 5:
            break
    assert [s.step for s in seen] == list(range(6)) and guidance.step == 5
    guidance.stop()
    assert guidance.done and list(guidance) == []
    best = min(seen, key=lambda s: s.loss)
    result = guidance.result()
    assert result.step == best.step and result.loss == best.loss
    assert torch.allclose(result.image, best.image, atol=1e-6)
    assert torch.equal(result.latent["pixels"], best.latent["pixels"])


def test_the_same_seed_gives_the_same_result_and_another_seed_another(clip):
    for optimiser in ("adam", "cma"):
        a = quick(clip, optimiser=optimiser, seed=4, population=4).run(progress=False)
        b = quick(clip, optimiser=optimiser, seed=4, population=4).run(progress=False)
        c = quick(clip, optimiser=optimiser, seed=5, population=4).run(progress=False)
        assert torch.equal(a.latent["pixels"], b.latent["pixels"]), optimiser
        assert a.loss == b.loss
        assert not torch.equal(a.latent["pixels"], c.latent["pixels"]), optimiser


def test_cma_es_improves_without_gradients(clip):
    guidance = quick(clip, "a green square", model="pixelart", optimiser="cma", steps=8,
                     population=8, cutouts=1)
    losses = [step.loss for step in guidance]
    assert len(losses) == 8
    assert min(losses[4:]) < losses[0]
    assert guidance.settings["population"] == 8


def test_cma_then_adam_hands_over_at_cma_steps(clip):
    guidance = quick(clip, optimiser="cma+adam", steps=6, cma_steps=3, population=4)
    steps = list(guidance)
    assert [s.step for s in steps] == list(range(6))
    assert guidance.settings["cma_steps"] == 3
    # Adam starts from CMA-ES's best: its first picture is CMA-ES's best candidate.
    best_cma = min(steps[:3], key=lambda s: s.loss)
    assert torch.equal(steps[3].latent["pixels"], best_cma.latent["pixels"])


def test_penalties_change_the_result_as_they_say(clip):
    plain = quick(clip, steps=15, seed=1).run(progress=False)
    smooth = quick(clip, steps=15, seed=1, tv=2.0).run(progress=False)

    def variation(images):
        return float((images[..., 1:] - images[..., :-1]).abs().mean()
                     + (images[..., 1:, :] - images[..., :-1, :]).abs().mean())

    assert variation(smooth.image) < variation(plain.image)
    small = quick(clip, steps=15, seed=1, latent_norm=5.0).run(progress=False)
    assert float(small.latent["pixels"].pow(2).mean()) < float(plain.latent["pixels"].pow(2).mean())


def test_image_prompts_pull_towards_the_image(clip):
    target = torch.zeros(1, 3, 32, 32)
    target[:, 0, 8:24, 8:24] = 1.0
    guidance = guide(clip, None, image_prompts=[target], model="pixels", size=32, steps=12,
                     cutouts=2, augment=False)
    first = next(guidance)
    result = guidance.run(progress=False)
    with torch.no_grad():
        goal = clip.embed_images(target)

        def closeness(images):
            return float(clip.embed_images(images) @ goal.T)

        # A random CLIP sees every picture alike; the distance left must still shrink well.
        assert 1 - closeness(result.image) < 0.8 * (1 - closeness(first.image))
    assert guidance.settings["image_prompts"] == 1


def test_results_save_and_render_again_exactly(clip, tmp_path):
    for model in ("pixels", "fourier", "pixelart"):
        result = quick(clip, model=model, steps=3).run(progress=False)
        png = result.save(tmp_path / model)
        assert png == tmp_path / f"{model}.png"
        saved = json.loads((tmp_path / f"{model}.json").read_text())
        assert saved["prompt"] == "a red circle" and saved["steps"] == 3 and saved["family"] == model
        latent = sk.load_latent(tmp_path / f"{model}.safetensors")
        assert latent.metadata["guide"]["seed"] == 0
        assert torch.equal(rerender(latent), result.image)
        written = iio.imread(png)[..., :3].astype(int)
        expected = (result.image[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
        assert np.abs(written - expected).max() <= 1


def test_guidance_results_walk_like_any_latents(clip):
    a = quick(clip, model="fourier", seed=1).run(progress=False)
    b = quick(clip, model="fourier", seed=2).run(progress=False)
    fourier = parameterisation("fourier", size=32, device="cpu")
    frames = list(sk.walk_frames(fourier, [a.latent, b.latent], steps=4))
    assert len(frames) == 4
    assert torch.allclose(frames[0], a.image, atol=1e-5)
    assert torch.allclose(frames[-1], b.image, atol=1e-5)


def test_bad_options_are_refused_clearly(clip):
    with pytest.raises(sk.SketchmlError, match="empty"):
        quick(clip, "")
    with pytest.raises(sk.SketchmlError, match="(?i)did you mean 'adam'"):
        quick(clip, optimiser="adma")
    with pytest.raises(sk.SketchmlError, match="cut_size"):
        quick(clip, cut_size=(0.9, 0.2))
    with pytest.raises(sk.SketchmlError, match="steps"):
        quick(clip, steps=0)
    with pytest.raises(sk.SketchmlError, match="CLIP model"):
        guide(Pixels(size=16, device="cpu"), "a red circle")
    with pytest.raises(sk.SketchmlError, match="already built"):
        guide(clip, "a red circle", model=Pixels(size=16, device="cpu"), size=32)
    with pytest.raises(sk.SketchmlError, match="not made a step yet"):
        quick(clip).result()


def test_unknown_words_are_named_but_do_not_stop_guidance(clip):
    with pytest.warns(UserWarning, match="lighthouse"):
        result = quick(clip, "a lighthouse:1 | fog:0.5 | text:-1", steps=2).run(progress=False)
    assert result.latent.metadata["guide"]["parts"] == [["a lighthouse", 1.0], ["fog", 0.5],
                                                        ["text", -1.0]]


def test_saved_result_names_its_files(tmp_path, clip):
    result = quick(clip, steps=1).run(progress=False)
    result.save(tmp_path / "deep" / "x.png")
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == [
        "x.json", "x.png", "x.safetensors"]
    assert not any(p.name.startswith(".") for p in Path(tmp_path / "deep").iterdir())
