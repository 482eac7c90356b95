"""The same training script under torchrun with two CPU processes (DDP over gloo)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sketchml.training import latest_checkpoint


@pytest.mark.slow
def test_two_processes_train_in_step_and_only_rank_zero_writes(
        tmp_path: Path, train_script: Path, subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    steps = 12
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
         str(train_script), str(out), str(steps)],
        env=subprocess_env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "start 0 rank 0 world 2" in result.stdout and "start 0 rank 1 world 2" in result.stdout

    ranks = [torch.load(out / f"result-rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert all(r["world"] == 2 and r["step"] == steps and len(r["seen"]) == steps for r in ranks)
    # The data was sharded: in the first epoch (64 items, batches of 8, 4 steps per
    # process) the two processes saw disjoint halves of the dataset.
    first_epoch = [{i for batch in r["seen"][:4] for i in batch} for r in ranks]
    assert len(first_epoch[0]) == len(first_epoch[1]) == 32
    assert not first_epoch[0] & first_epoch[1]

    # Gradients were averaged: both processes ended with the same weights, which moved.
    w0, w1 = ranks[0]["weights"], ranks[1]["weights"]
    for name in w0:
        assert torch.equal(w0[name], w1[name]), name
    torch.manual_seed(0)
    initial = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Dropout(0.1),
                                  torch.nn.Linear(32, 1)).state_dict()
    assert not torch.equal(initial["0.weight"], w0["0.weight"])

    # Only rank 0 wrote: one checkpoint folder with the final weights and both RNG states.
    ckpt = latest_checkpoint(out / "checkpoints")
    assert ckpt.step == steps and ckpt.meta["world_size"] == 2
    for name, tensor in ckpt.weights().items():
        assert torch.equal(tensor, w0[name])
    assert len(ckpt.training_state()["rng"]) == 2
    assert [r["step"] for r in ckpt.history] == list(range(1, steps + 1))
    assert len((out / "losses.jsonl").read_text().splitlines()) == steps
    assert (out / "losses.png").is_file()
    assert not list(out.glob("checkpoints/.tmp*"))

    # Running again with more steps resumes every process from the checkpoint.
    again = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
         str(train_script), str(out), str(steps + 4)],
        env=subprocess_env, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"start {steps} rank 0" in again.stdout and f"start {steps} rank 1" in again.stdout
    resumed = [torch.load(out / f"result-rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert all(len(r["seen"]) == 4 for r in resumed)
    for name in w0:
        assert torch.equal(resumed[0]["weights"][name], resumed[1]["weights"][name]), name
    assert latest_checkpoint(out / "checkpoints").step == steps + 4


@pytest.mark.slow
def test_ctrl_c_under_torchrun_stops_every_process_at_the_same_saved_step(
        tmp_path: Path, train_script: Path, subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    # A new session stands in for the terminal: Ctrl-C signals the whole process group,
    # and torchrun relays it to its workers once more.
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
         str(train_script), str(out), "400"],
        env=dict(subprocess_env, STEP_DELAY="0.05"), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    log = out / "losses.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) >= 6:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    ckpt = latest_checkpoint(out / "checkpoints")
    assert ckpt is not None and 6 <= ckpt.step < 400, stdout + stderr
    assert stdout.count(f"end {ckpt.step} interrupted True") == 2, stdout + stderr
    assert "To resume" in stderr
    ranks = [torch.load(out / f"result-rank{r}.pt", weights_only=True) for r in (0, 1)]
    for name, tensor in ckpt.weights().items():
        assert torch.equal(tensor, ranks[0]["weights"][name])
        assert torch.equal(tensor, ranks[1]["weights"][name])
