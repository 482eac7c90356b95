"""Fine-tuning the gpt2 family: the loss falls, runs resume, the result loads as a model."""
from __future__ import annotations

import pytest

import sketchml as sk
import sketchml_text
from sketchml.training import latest_checkpoint

SONG = ("the owl sings to the moon and the moon answers the owl\n"
        "the cat sleeps by the fire and the fire keeps the cat\n") * 20


def registry() -> sk.Registry:
    plugins = sk.Registry(discover=False)
    plugins.register(sketchml_text)
    return plugins


@pytest.fixture()
def song(tmp_path):
    path = tmp_path / "song.txt"
    path.write_text(SONG)
    return path


def test_fine_tuning_lowers_the_loss_and_resumes(song, tmp_path):
    gpt = registry().load("gpt2", device="cpu")
    before = gpt.loss(SONG)
    out = tmp_path / "run"
    run = gpt.train(song, out=out, steps=6, length=32, batch_size=4, lr=2e-3, progress=False,
                    checkpoint_every=3)
    assert run.step == 6 and run.completed
    after = gpt.loss(SONG)
    assert after < before - 0.5, (before, after)
    assert run.history[-1]["loss"] < run.history[0]["loss"]
    assert any("val_loss" in record for record in run.history)
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert (out / "tokenizer.json").is_file() and list((out / "samples").glob("*.txt"))

    loaded = registry().load("gpt2", weights=out, device="cpu")
    assert loaded.loss(SONG) == pytest.approx(after, abs=1e-4)

    again = registry().load("gpt2", device="cpu")
    resumed = again.train(song, out=out, steps=10, length=32, batch_size=4, lr=2e-3,
                          progress=False, checkpoint_every=3)
    assert resumed.step == 10
    assert [r["step"] for r in resumed.history] == list(range(1, 11))
    assert resumed.history[:6] == run.history
    assert again.loss(SONG) < after


def test_resume_with_another_base_is_refused(song, tmp_path):
    gpt = registry().load("gpt2", device="cpu")
    out = tmp_path / "run"
    gpt.train(song, out=out, steps=1, length=32, batch_size=2, progress=False)
    other = tmp_path / "other-model"
    (other).mkdir()
    with pytest.raises(sk.SketchmlError, match="Leave base= out"):
        gpt.train(song, out=out, steps=2, length=32, batch_size=2, progress=False,
                  base=str(other))


def test_base_names_a_variant_or_a_folder(song, tmp_path):
    gpt = registry().load("gpt2", device="cpu")
    first = tmp_path / "first"
    gpt.train(song, out=first, steps=2, length=32, batch_size=2, lr=2e-3, progress=False)
    second = tmp_path / "second"
    run = gpt.train(song, out=second, steps=2, length=32, batch_size=2, lr=2e-3, progress=False,
                    base=str(first))
    assert latest_checkpoint(second / "checkpoints").meta["config"]["base"] == str(first)
    assert run.step == 2
    tiny = gpt.train(song, out=tmp_path / "third", steps=1, length=32, batch_size=2,
                     progress=False, base="tiny")
    assert tiny.step == 1


def test_training_needs_out_and_sane_numbers(song):
    gpt = registry().load("gpt2", device="cpu")
    with pytest.raises(sk.SketchmlError, match="out="):
        gpt.train(song)
    with pytest.raises(sk.SketchmlError, match="steps"):
        gpt.train(song, out="unused", steps=0)
