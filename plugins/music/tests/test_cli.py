"""`sketchml train performance_rnn|musicvae FOLDER --out DIR` trains on a folder of MIDI files."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sketchml as sk
from sketchml.plugin import write_midi


def scale(start: int) -> sk.Notes:
    return sk.Notes([{"pitch": start + (0, 2, 4, 5, 7, 9, 11, 12)[i % 8], "velocity": 80,
                      "start_time": i * 0.25, "end_time": i * 0.25 + 0.25} for i in range(32)])


@pytest.mark.parametrize("family, sizes, size", [
    ("performance_rnn", ["hidden=16", "layers=1", "length=32", "validation=0"], ("hidden", 16)),
    ("musicvae", ["z=4", "encoder=8", "decoder=8", "layers=1", "validation=0"], ("z_size", 4)),
])
def test_train_from_the_command_line_then_load_the_run(tmp_path: Path, family, sizes, size) -> None:
    data = tmp_path / "midi"
    data.mkdir()
    for i in range(3):
        write_midi(data / f"s{i}.mid", scale(60 + i))
    options = [arg for size in sizes for arg in ("--option", size)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "train", family, str(data), "--out",
         str(tmp_path / "run"), "--steps", "3", "--batch-size", "2", "--device", "cpu",
         *options], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    trained = sk.model(family, weights=tmp_path / "run", device="cpu")
    assert getattr(trained.network, size[0]) == size[1]  # the run's network, not the default
    assert isinstance(trained.generate(seed=1), sk.Notes)


@pytest.mark.parametrize("family, flags", [
    ("performance_rnn", ["--hidden", "--eval-every", "--transpose", "--seed"]),
    ("musicvae", ["--z", "--free-bits", "--validation", "--seed"]),
])
def test_train_help_lists_the_family_settings(family: str, flags: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "sketchml.cli.main", "train", family, "--help"],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(flag in result.stdout for flag in flags), result.stdout
    assert "--should-stop" not in result.stdout and "--sample-every" not in result.stdout
