"""The one training recipe: TrainingRun's time budget, weight averages and export; the shared
image-dataset builder; training settings read by train() and the CLI alike."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import sketchml as sk
from sketchml.training import (ImageTrainSettings, TrainingRun, TrainSettings, image_dataset,
                               setting)


def _run(tmp_path: Path, **kwargs) -> TrainingRun:
    net = torch.nn.Linear(2, 1)
    average = torch.nn.Linear(2, 1).requires_grad_(False)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    return TrainingRun(out=tmp_path, model={"net": net, "avg": average}, optimizers=opt,
                       device="cpu", progress=False, seed=0, **kwargs)


def _train(run: TrainingRun) -> None:
    for _ in run.loop():
        x = torch.rand(8, 2)
        loss = ((run.models["net"](x) - x.sum(1, keepdim=True)) ** 2).mean()
        run.optimizers["opt"].zero_grad()
        loss.backward()
        run.optimizers["opt"].step()


def test_minutes_zero_takes_no_step_but_saves(tmp_path):
    run = _run(tmp_path, steps=5, minutes=0)
    _train(run)
    assert run.step == 0 and run.timed_out and not run.completed
    assert (tmp_path / "checkpoints" / "latest").is_file()


def test_ema_warms_up_and_follows_the_trained_weights(tmp_path):
    run = _run(tmp_path, steps=1, ema={"avg": "net"}, ema_decay=0.999)
    before = run.modules["avg"].weight.detach().clone()
    _train(run)
    # After step 1 the warm-up decay is min(0.999, 2/11): the average moves most of the way.
    decay = 2 / 11
    expected = before * decay + run.modules["net"].weight.detach() * (1 - decay)
    assert torch.allclose(run.modules["avg"].weight, expected, atol=1e-6)


def test_export_writes_the_named_model_when_the_loop_ends(tmp_path):
    run = _run(tmp_path, steps=3, export={"thing.safetensors": "net"}, config={"k": 1})
    _train(run)
    exported = sk.load_weights(tmp_path / "thing.safetensors")
    assert torch.equal(exported["weight"], run.modules["net"].weight.detach())
    from safetensors import safe_open

    with safe_open(str(tmp_path / "thing.safetensors"), framework="pt") as handle:
        assert '"step": 3' in handle.metadata()["config"]


def test_should_stop_ends_the_loop_with_a_checkpoint_and_the_export(tmp_path):
    asked = []

    def after_two() -> bool:
        asked.append(1)
        return len(asked) > 2

    run = _run(tmp_path, steps=10, export={"thing.safetensors": "net"}, should_stop=after_two)
    _train(run)
    assert run.step == 2 and run.interrupted
    assert (tmp_path / "thing.safetensors").is_file()
    assert (tmp_path / "checkpoints" / "step-00000002").is_dir()


def test_ema_and_export_must_name_models_of_the_run(tmp_path):
    with pytest.raises(sk.SketchmlError, match="Did you mean 'avg'"):
        _run(tmp_path, steps=1, ema={"avgg": "net"})


def test_image_dataset_takes_a_folder_a_tensor_and_a_named_world(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((40, 50, 3), 60 * i, np.uint8)).save(folder / f"{i}.png")
    from_folder = image_dataset(folder, size=16)
    assert len(from_folder) == 3 and tuple(from_folder[0].shape) == (3, 16, 16)
    tensor = torch.ones(2, 3, 20, 20)
    from_tensor = image_dataset(tensor, size=8, value_range=(-1.0, 1.0))
    assert torch.allclose(from_tensor[0], torch.ones(3, 8, 8))
    world = image_dataset("shapes", size=32, count=4)
    assert len(world) == 4 and float(world[0].min()) >= -1.0
    with pytest.raises(sk.SketchmlError, match="Did you mean 'shapes'"):
        image_dataset("shape", size=32)
    with pytest.raises(sk.SketchmlError, match="train\\(\\) takes"):
        image_dataset(42, size=32)


@dataclass
class _Demo(ImageTrainSettings):
    width: int = setting(8, "channels of the demo network")


def test_settings_are_checked_and_become_flags():
    assert _Demo.build("demo", {"width": 4, "flip": False}).width == 4
    with pytest.raises(sk.SketchmlError, match="Did you mean 'width'"):
        _Demo.build("demo", {"widht": 4})
    with pytest.raises(sk.SketchmlError, match="must be a int"):
        _Demo.build("demo", {"steps": 2.5})
    parser = argparse.ArgumentParser()
    _Demo.add_arguments(parser)
    args = parser.parse_args(["--width", "3", "--no-flip", "--minutes", "1.5"])
    assert _Demo.given(args) == {"width": 3, "flip": False, "minutes": 1.5}
    assert "channels of the demo network" in parser.format_help()
    assert "--progress" not in parser.format_help()  # Python only


def test_seed_is_the_resumed_run_s_or_a_fresh_one(tmp_path):
    run = TrainingRun(out=tmp_path, model=torch.nn.Linear(1, 1), steps=1, seed=1234,
                      device="cpu", progress=False)
    run.save()
    assert TrainSettings().seed_for(tmp_path) == 1234
    assert TrainSettings(seed=5).seed_for(tmp_path) == 5
    assert isinstance(TrainSettings().seed_for(tmp_path / "new"), int)


def test_a_new_seed_is_the_same_in_every_torchrun_process(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_PORT", "29500")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "run-a")
    first, again = TrainSettings().seed_for(tmp_path), TrainSettings().seed_for(tmp_path)
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "run-b")
    assert first == again != TrainSettings().seed_for(tmp_path)
