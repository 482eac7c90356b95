"""One clear message for each user mistake, no raw traceback, a non-zero exit when nothing was done.

The CLI turns a SketchmlError or an OSError into one message and exit code 1; ``--debug``
shows the traceback too. The cases are issue 10's audit: crafted latent files for ``walk``,
an empty prompt or prompts file for ``guide``, a model named ``None``, a 70-bit seed, a
Latin-1 text file.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import safetensors.torch
import torch

import sketchml as sk
from sketchml.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def noise(sketchml_registry, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "docs" / "examples" / "sketchml-noise"))
    import sketchml_noise

    sketchml_registry.register(sketchml_noise)
    return sk.model("noise", size=16, device="cpu")


@pytest.fixture
def sketchml(capsys):
    """Run the ``sketchml`` command in this process: exit code, stdout and stderr."""

    def run(*args: object) -> tuple[int, str, str]:
        code = cli_main.main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _crafted(path: Path, tensors: dict[str, torch.Tensor], header: str) -> Path:
    safetensors.torch.save_file(tensors, str(path),
                                metadata={"format": "sketchml.latent/1", "sketchml": header})
    return path


@pytest.mark.parametrize(("tensors", "header", "message"), [
    (None, "{not json", "not JSON"),
    (None, "[1, 2]", "a list, not a JSON object"),
    (None, json.dumps({"family": "noise", "options": [1]}), "its options are \\[1\\]"),
    (None, json.dumps({"family": 7}), "its family is 7, not a name"),
    ({"z": torch.zeros(2, 5)}, json.dumps({"family": "noise"}), "has shape \\(5,\\) per latent"),
    ({"z": torch.full((2, 3, 4, 4), float("nan"))}, json.dumps({"family": "noise"}), "NaN"),
])
def test_crafted_latent_files_get_one_message(noise, sketchml, tmp_path, tensors, header, message):
    good = noise.sample_latent(2, seed=1)
    path = _crafted(tmp_path / "crafted.safetensors", tensors or dict(good.tensors), header)
    code, _, err = sketchml("walk", path, "--out", tmp_path / "walk.gif", "--steps", 3)
    assert code == 1
    assert len([line for line in err.splitlines() if line.startswith("sketchml: error:")]) == 1
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert not (tmp_path / "walk.gif").exists()


def test_debug_shows_the_traceback_too(noise, sketchml, tmp_path):
    path = _crafted(tmp_path / "bad.safetensors", dict(noise.sample_latent(2, seed=1).tensors), "[]")
    code, _, err = sketchml("walk", path, "--out", tmp_path / "w.gif", "--debug")
    assert code == 1
    assert "Traceback (most recent call last)" in err and "sketchml: error:" in err
    assert "--debug" not in err.split("sketchml: error:")[1]


def test_an_unwritable_out_says_so_in_one_line(noise, sketchml, tmp_path):
    keys = noise.sample_latent(2, seed=1).save(tmp_path / "keys.safetensors")
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code, _, err = sketchml("walk", keys, "--out", blocker / "walk.gif", "--steps", 3)
    assert code == 1
    assert "sketchml: error:" in err and str(blocker) in err and "Traceback" not in err


def test_an_empty_prompt_is_refused_before_any_model_loads(monkeypatch):
    from sketchml.models import guidance

    def no_models(*args, **kwargs):
        raise AssertionError("a model was loaded for an empty prompt")

    monkeypatch.setattr(guidance, "_scorer", no_models)
    for prompt in ("", "  ", " | ", ":1"):
        with pytest.raises(sk.SketchmlError, match="is empty: say what the picture should show"):
            sk.guide(prompt)


def test_a_prompts_file_without_prompts_is_an_error(tmp_path):
    from sketchml.models.guidance import guide_prompts

    empty = tmp_path / "empty.txt"
    empty.write_text("\n# only a comment\n   \n")
    with pytest.raises(sk.SketchmlError, match="holds no prompts"):
        guide_prompts(empty, out=tmp_path / "renders")
    assert not (tmp_path / "renders").exists()


@pytest.mark.parametrize("name", [None, "", 3])
def test_a_model_named_by_something_else_than_a_name(name):
    with pytest.raises(sk.SketchmlError, match="A model is named by a string"):
        sk.model(name)


@pytest.mark.parametrize(("seed", "message"), [
    (2**70, "seed=1180591620717411303424 is too large: seeds go from -2\\*\\*63 to 2\\*\\*64 - 1"),
    (1.5, "seed must be a whole number, got 1.5"),
    (True, "seed must be a whole number, got True"),
])
def test_seeds_out_of_range_say_the_range(noise, seed, message):
    with pytest.raises(sk.SketchmlError, match=message):
        noise.sample_latent(1, seed=seed)
    with pytest.raises(sk.SketchmlError, match=message):
        sk.training.seed_everything(seed)
    assert noise.sample_latent(1, seed=2**64 - 1).seed == 2**64 - 1


def test_latin1_text_gets_advice_that_works(tmp_path):
    from sketchml.training import TextFile

    latin = tmp_path / "play.txt"
    latin.write_bytes("HAMLET: caf\xe9\n".encode("latin-1"))
    with pytest.raises(sk.SketchmlError) as caught:
        TextFile(latin)
    message = str(caught.value)
    assert "byte 0xE9 at line 1, column 12" in message
    assert "iconv -f latin1 -t utf-8 play.txt > play-utf8.txt" in message
    assert TextFile(latin, encoding="latin-1", length=2).text.startswith("HAMLET")


def test_a_training_option_of_the_wrong_type_is_one_message(sketchml, tmp_path):
    code, _, err = sketchml("train", "dcgan", "shapes", "--out", tmp_path / "run", "--steps", 1,
                            "--option", "lr=abc")
    assert code == 1
    assert "option 'lr' of the 'dcgan' model family must be a float, got 'abc'" in err
    assert "Traceback" not in err and not (tmp_path / "run" / "checkpoints").exists()


def test_a_reader_that_goes_away_ends_the_command_quietly():
    import subprocess
    import sys

    listing = subprocess.Popen([sys.executable, "-m", "sketchml.cli.main", "plugins"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    listing.stdout.close()  # like `sketchml plugins | head -0`: a short output, flushed at the end
    _, err = listing.communicate(timeout=120)
    assert listing.returncode == 141
    assert b"Broken pipe" not in err and b"Traceback" not in err
