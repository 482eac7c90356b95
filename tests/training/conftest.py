"""Shared pieces for the training tests: a tiny training script run in subprocesses."""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A complete little training program, as a family's `train` would be: a small MLP
# learns y = sin(3x) with dropout (so the RNG matters) from a shuffled dataset.
TRAIN_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    import torch
    from torch.utils.data import TensorDataset
    from sketchml.training import TrainingRun, seed_everything

    out, steps = sys.argv[1], int(sys.argv[2])
    delay = float(os.environ.get("STEP_DELAY", "0"))
    seed_everything(0)
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    data = TensorDataset(x, torch.sin(3 * x), torch.arange(64))
    net = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    run = TrainingRun(out=out, model=net, optimizers=opt, steps=steps, checkpoint_every=5,
                      seed=3, device="cpu", progress=False)
    print(f"start {run.step} rank {run.info.rank} world {run.info.world_size}", flush=True)
    seen = []
    for step, (xb, yb, index) in run.loop(data, batch_size=8):
        loss = torch.nn.functional.mse_loss(run.model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
        run.log(loss=loss)
        seen.append(index.tolist())
        time.sleep(delay)
    torch.save({"weights": net.state_dict(), "seen": seen, "step": run.step,
                "interrupted": run.interrupted, "world": run.info.world_size},
               os.path.join(out, f"result-rank{run.info.rank}.pt"))
    print(f"end {run.step} interrupted {run.interrupted}", flush=True)
    """
)


@pytest.fixture
def train_script(tmp_path: Path) -> Path:
    path = tmp_path / "train_tiny.py"
    path.write_text(TRAIN_SCRIPT)
    return path


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("WORLD_SIZE", None)
    env.pop("RANK", None)
    env.pop("LOCAL_RANK", None)
    env["OMP_NUM_THREADS"] = "1"
    return env


PYTHON = sys.executable
