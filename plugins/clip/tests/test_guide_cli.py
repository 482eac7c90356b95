"""``sk.guide``, a file of prompts, ``sketchml guide`` and the four guidance sketches.

``sk.guide`` lives in the core and reaches guidance through the CLIP model's ``guide``
method (the core never imports the plugin); ``sketchml guide`` is the plugin's command. The sketches run headless in
a subprocess, as ``sketchml run`` runs them, with fewer steps (a student's edit of the
STEPS constant) so the suite stays quick; models come from files placed where sketchml
looks, nothing is downloaded.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch

import sketchml as sk
from sketchml.cli.main import build_parser
from sketchml.models.guidance import guide_prompts
from sketchml_clip.params import Pixels

ROOT = Path(__file__).resolve().parents[3]
SKETCHES = ROOT / "sketches"

@pytest.fixture(scope="module")
def clip():
    return sk.model("clip", untrained=True, device="cpu")


QUICK = {"model": "pixels", "size": 32, "steps": 2, "cutouts": 1}


# -- errors that need no guidance at all ----------------------------------------------------

def test_weights_that_are_not_clip_are_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "not-clip.safetensors"
    save_file({"weight": torch.zeros(3, 3)}, str(path))
    with pytest.raises(sk.SketchmlError, match="not a tiny CLIP file"):
        sk.guide("a red circle", clip_weights=path, device="cpu")


def test_a_model_without_guide_is_not_a_scorer():
    with pytest.raises(sk.SketchmlError, match="cannot guide"):
        sk.guide("a red circle", clip=Pixels(size=16, device="cpu"))
    with pytest.raises(sk.SketchmlError, match="clip= is the name of a model that can guide"):
        sk.guide("a red circle", clip=3)


# -- sk.guide and a file of prompts ---------------------------------------------------------

def test_sk_guide_streams_and_keeps_the_best(clip):
    guidance = sk.guide("a red circle", clip=clip, **{**QUICK, "steps": 3})
    steps = [step for step in guidance]
    assert [s.step for s in steps] == [0, 1, 2]
    assert guidance.result().loss == min(s.loss for s in steps)
    with pytest.raises(sk.SketchmlError, match="empty"):
        sk.guide("  ", clip=clip)


def test_prompts_file_renders_the_good_lines_reports_the_rest_and_resumes(clip, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red circle\n# comment\n\na blue star | :2\na green square\n")
    calls = []
    batch = guide_prompts(prompts, out=tmp_path / "out", clip=clip, progress=False,
                          on_line=lambda *args: calls.append(args[:2]), **QUICK)
    assert [n for n, _ in batch.rendered] == [1, 5]
    assert batch.blank == [3] and [n for n, _ in batch.malformed] == [4]
    assert "no words" in batch.malformed[0][1]
    assert calls == [(1, "rendered"), (3, "problem"), (4, "problem"), (5, "rendered")]
    for _, png in batch.rendered:
        assert png.is_file() and png.with_suffix(".safetensors").is_file()
        assert json.loads(png.with_suffix(".json").read_text())["steps"] == 2
    sheet = iio.imread(batch.sheet)
    assert sheet.shape[0] > 160 and len(np.unique(sheet.reshape(-1, sheet.shape[-1]), axis=0)) > 20

    # Run again: the finished prompts are skipped; a new line renders; the sheet has all.
    prompts.write_text(prompts.read_text() + "a yellow star\n")
    again = guide_prompts(prompts, out=tmp_path / "out", clip=clip, progress=False, **QUICK)
    assert [n for n, _ in again.resumed] == [1, 5] and [n for n, _ in again.rendered] == [6]
    assert again.resumed[0][1] == batch.rendered[0][1]
    assert iio.imread(again.sheet).shape[0] > sheet.shape[0]  # a second row
    # Other options are other results: nothing is skipped.
    other = guide_prompts(prompts, out=tmp_path / "out", clip=clip, progress=False,
                          **{**QUICK, "seed": 1})
    assert not other.resumed and len(other.rendered) == 3


# -- sketchml guide -------------------------------------------------------------------------

def cli(*argv: str) -> int:
    # The real `sketchml` parser: `guide` arrives through the plugin's sketchml_register_commands.
    args = build_parser().parse_args(["guide", *argv])
    return args.func(args)


def test_cli_renders_one_prompt_and_a_file(tmp_path, capsys):
    quick = ["--model", "pixelart", "--size", "32", "--steps", "2", "--cutouts", "1"]
    assert cli("a red circle", "--out", str(tmp_path / "one"), *quick) == 0
    written = sorted(p.suffix for p in (tmp_path / "one").iterdir())
    assert written == [".json", ".png", ".safetensors"]
    settings = json.loads(next((tmp_path / "one").glob("*.json")).read_text())
    assert settings["prompt"] == "a red circle" and settings["family"] == "pixelart"

    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red circle\nfog:\n")
    assert cli("--prompts", str(prompts), "--out", str(tmp_path / "many"), *quick) == 1
    out, err = capsys.readouterr()
    assert f"{prompts}:2:" in err and "1 rendered" in out
    assert (tmp_path / "many" / "contact-sheet.png").is_file()
    prompts.write_text("a red circle\n\n")
    assert cli("--prompts", str(prompts), "--out", str(tmp_path / "many"), *quick) == 0
    assert "1 already done" in capsys.readouterr().out


def test_cli_size_scales_a_generators_picture_smoothly(tmp_path):
    from sketchml_clip.guide import rerender

    quick = ["--model", "dcgan", "--steps", "2", "--cutouts", "1", "--device", "cpu"]
    assert cli("a red circle", "--out", str(tmp_path / "big"), "--size", "256", *quick) == 0
    png = next((tmp_path / "big").glob("*.png"))
    picture = iio.imread(png)[..., :3]
    assert picture.shape == (256, 256, 3)
    # The latent still renders the generator's own 64 px; the PNG is that, scaled smoothly:
    # no 4 x 4 blocks of one colour as nearest-neighbour scaling leaves.
    small = rerender(sk.load_latent(png.with_suffix(".safetensors")))
    assert small.shape[-2:] == (64, 64)
    shrunk = sk.Images(torch.from_numpy(picture.copy()).permute(2, 0, 1)).resized(64)
    assert float((shrunk - small.cpu()).abs().mean()) < 0.03
    blocks = picture.reshape(64, 4, 64, 4, 3).astype(int)
    assert (blocks != blocks[:, :1, :, :1]).mean() > 0.3
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a blue square\n")
    assert cli("--prompts", str(prompts), "--out", str(tmp_path / "many"), "--size", "128",
               "--resample", "nearest", *quick) == 0
    picture = iio.imread(next((tmp_path / "many").glob("a-blue*.png")))[..., :3]
    blocks = picture.reshape(64, 2, 64, 2, 3)
    assert picture.shape == (128, 128, 3) and (blocks == blocks[:, :1, :, :1]).all()


def test_cli_needs_one_prompt_or_a_file(tmp_path):
    with pytest.raises(sk.SketchmlError, match="one prompt or a file"):
        cli("--out", str(tmp_path))
    with pytest.raises(sk.SketchmlError, match="one prompt or a file"):
        cli("a red circle", "--prompts", "p.txt", "--out", str(tmp_path))


# -- the sketches ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Small random generators where sketchml looks for dcgan.shapes and biggan.deep-128."""
    from safetensors.torch import save_file
    from sketchml_gan.biggan import save_random_checkpoint
    from sketchml_gan.dcgan import Generator

    folder = tmp_path_factory.mktemp("sketchml-home")
    torch.manual_seed(0)
    target = folder / "weights" / "dcgan" / "shapes"
    target.mkdir(parents=True)
    save_file(Generator(resolution=32, latent_dim=16, width=8).state_dict(),
              str(target / "dcgan-shapes.safetensors"))
    save_random_checkpoint(folder / "weights" / "biggan" / "deep-128", resolution=128,
                           channel_width=4)
    return folder


def run_sketch(sketch: str, home: Path, cwd: Path, *args: str, **constants: object) -> None:
    """Run a copy of the sketch with some constants changed, headless, in ``cwd``."""
    source = (SKETCHES / sketch).read_text()
    for name, value in constants.items():
        source, count = re.subn(rf"^{name} = .*$", f"{name} = {value!r}", source, flags=re.M)
        assert count == 1, f"{sketch} has no constant {name}"
    copy = cwd / sketch
    copy.write_text(source)
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_HOME=str(home), SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1",
               HF_HUB_CACHE=str(cwd / "hub"))
    env.pop("SKETCHML_OUTPUT", None)  # the copy's outputs go to output/ beside it
    result = subprocess.run([sys.executable, "-m", "sketchml.cli.main", "run", str(copy),
                             "--headless", *args],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def colourful(picture: np.ndarray) -> int:
    return len(np.unique(picture[..., :3].reshape(-1, 3), axis=0))


@pytest.mark.parametrize("model, options", [("fourier", {}),
                                            ("biggan.deep-128", {"label": "lighthouse"})])
def test_text_to_image_sketch(home, tmp_path, model, options):
    run_sketch("clip_text_to_image.py", home, tmp_path, "--frames", "1", "--out", "frame.png",
               STEPS=3, MODEL=model, OPTIONS=options)
    frame = iio.imread(tmp_path / "frame.png")
    assert frame.shape[:2] == (560, 512) and colourful(frame[:512]) > 200
    saved = json.loads((tmp_path / "output" / "clip_text_to_image" / "text-to-image.json").read_text())
    assert saved["prompt"] == "a red circle" and saved["model"].startswith(model.split(".")[0])
    assert saved["steps"] == 3


def test_live_sketch_shows_the_picture_forming_then_the_best(home, tmp_path):
    run_sketch("clip_live.py", home, tmp_path, "--frames", "8", "--out", "live.gif", STEPS=6)
    frames = iio.imread(tmp_path / "live.gif")[..., :3].astype(int)
    assert frames.shape == (8, 600, 512, 3)
    pictures = frames[:, :512]
    # Each of the six steps shows a new picture; after the last, the best one stays.
    assert all(np.abs(pictures[i + 1] - pictures[i]).mean() > 0.05 for i in range(5))
    assert np.array_equal(pictures[6], pictures[7])
    saved = tmp_path / "output" / "clip_live"
    assert (saved / "live.png").is_file() and (saved / "live.safetensors").is_file()


def test_batch_sketch_writes_an_example_file_and_a_contact_sheet(home, tmp_path):
    run_sketch("clip_batch_prompts.py", home, tmp_path, "--frames", "1", "--out", "sheet.png",
               STEPS=2)
    assert (tmp_path / "output" / "prompts.txt").is_file()  # the example it wrote
    renders = tmp_path / "output" / "clip_batch_prompts" / "renders"
    results = sorted(renders.glob("*.png"))
    assert len(results) == 5 and (renders / "contact-sheet.png") in results
    assert colourful(iio.imread(tmp_path / "sheet.png")) > 50


def test_walk_sketch_walks_between_guided_dcgan_results(home, tmp_path):
    run_sketch("clip_walk.py", home, tmp_path, "--frames", "6", "--out", "walk.gif",
               STEPS=2, STEPS_BETWEEN=4, HOLD=1)
    frames = iio.imread(tmp_path / "walk.gif")[..., :3].astype(int)
    assert frames.shape[0] == 6
    view = frames[:, 128:128 + 384, 64:64 + 384]
    assert np.array_equal(view[0], view[1])  # held on the first result
    assert np.abs(view[3] - view[1]).mean() > 1  # then walking
    latents = sorted((tmp_path / "output" / "clip_walk" / "guided").glob("*.safetensors"))
    assert len(latents) == 4 and all(sk.load_latent(p).family == "dcgan" for p in latents)
