"""Checkpoints are atomic: a crash while writing leaves the last good one loadable."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import safetensors.torch
import torch

from sketchml.errors import SketchmlError
from sketchml.training import TrainingRun, latest_checkpoint, list_checkpoints, save_checkpoint


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1))


def _write_half_then_fail(module: torch.nn.Module, filename: str, *args, **kwargs) -> None:
    with open(filename, "wb") as handle:
        handle.write(b"\x00" * 37)  # a torn file, as a crash or full disk leaves it
    raise OSError(28, "No space left on device")


def test_a_failed_write_leaves_the_previous_checkpoint(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    good = _model(1)
    save_checkpoint(tmp_path, step=5, models={"model": good}, history=[{"step": 5, "loss": 1.0}])
    monkeypatch.setattr(safetensors.torch, "save_model", _write_half_then_fail)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(tmp_path, step=10, models={"model": _model(2)})
    monkeypatch.undo()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step-00000005"]
    found = latest_checkpoint(tmp_path)
    assert found.step == 5 and found.history == [{"step": 5, "loss": 1.0}]
    restored = _model(3)
    found.load_model("model", restored)
    for name, tensor in good.state_dict().items():
        assert torch.equal(tensor, restored.state_dict()[name]), name


def test_a_crash_inside_a_training_loop_resumes_from_the_last_good_checkpoint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def train(*, fail_at_step: int | None) -> TrainingRun:
        net = _model(0)
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        run = TrainingRun(out=tmp_path, model=net, optimizers=opt, steps=12, checkpoint_every=4,
                          device="cpu", progress=False)
        for step, _ in run.loop():
            if step == fail_at_step:
                monkeypatch.setattr(safetensors.torch, "save_model", _write_half_then_fail)
            loss = net(torch.randn(8, 3)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log(loss=loss)
        return run

    with pytest.raises(OSError):
        train(fail_at_step=8)  # the checkpoint of step 8 is torn
    monkeypatch.undo()
    assert [c.step for c in list_checkpoints(tmp_path / "checkpoints")] == [4]
    resumed = train(fail_at_step=None)
    assert resumed.completed
    assert [r["step"] for r in resumed.history] == list(range(1, 13))


def test_torn_and_pointerless_folders_are_ignored(tmp_path: Path) -> None:
    save_checkpoint(tmp_path, step=3, models={"model": _model(0)})
    save_checkpoint(tmp_path, step=6, models={"model": _model(0)})
    # What a power cut could leave behind: a step folder without meta.json, a temp folder,
    # and a pointer naming a folder that is not complete.
    torn = tmp_path / "step-00000009"
    torn.mkdir()
    (torn / "model.safetensors").write_bytes(b"garbage")
    (tmp_path / ".tmp-step-00000012-x").mkdir()
    (tmp_path / "latest").write_text("step-00000009\n")
    assert latest_checkpoint(tmp_path).step == 6
    (tmp_path / "latest").write_text("../../etc\n")
    assert latest_checkpoint(tmp_path).step == 6
    save_checkpoint(tmp_path, step=7, models={"model": _model(0)}, keep=1)
    assert not (tmp_path / ".tmp-step-00000012-x").exists()
    assert [c.step for c in list_checkpoints(tmp_path)] == [7]


def test_loading_never_executes_code(tmp_path: Path) -> None:
    save_checkpoint(tmp_path, step=1, models={"model": _model(0)})
    ckpt = latest_checkpoint(tmp_path)

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    with open(ckpt.path / "training_state.pt", "wb") as handle:
        pickle.dump({"optimizers": Boom()}, handle, protocol=2)
    with pytest.raises(SketchmlError, match="weights-only"):
        ckpt.training_state()
    assert not (tmp_path / "pwned").exists()


def test_optimiser_scheduler_and_scaler_state_round_trip(tmp_path: Path) -> None:
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=0.1, betas=(0.5, 0.9))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=20)
    net(torch.randn(4, 2)).sum().backward()
    opt.step()
    sched.step()
    save_checkpoint(tmp_path, step=1, models={"model": net}, optimizers={"opt": opt},
                    schedulers={"sched": sched, "scaler": torch.amp.GradScaler("cpu")})
    state = latest_checkpoint(tmp_path).training_state()
    opt2 = torch.optim.AdamW(net.parameters(), lr=0.1)
    opt2.load_state_dict(state["optimizers"]["opt"])
    assert opt2.param_groups[0]["betas"] == opt.param_groups[0]["betas"]
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] != 0.1
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert state["schedulers"]["sched"]["last_epoch"] == 1


def test_keep_must_leave_the_new_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="keep=0"):
        save_checkpoint(tmp_path, step=1, models={"model": _model(0)}, keep=0)
    with pytest.raises(SketchmlError, match="cannot be a file name"):
        save_checkpoint(tmp_path, step=1, models={"a/b": _model(0)})


def test_run_weights_prefers_the_export_then_the_first_named_model(tmp_path: Path) -> None:
    from sketchml.training import run_weights

    assert run_weights(tmp_path, export="net.safetensors", models=("g_ema", "g")) is None
    g, ema = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    save_checkpoint(tmp_path / "checkpoints", step=5, models={"g": g})
    state, source = run_weights(tmp_path, export="net.safetensors", models=("g_ema", "g"))
    assert torch.equal(state["weight"], g.weight) and "step-" in source
    save_checkpoint(tmp_path / "checkpoints", step=6, models={"g": g, "g_ema": ema})
    state, _ = run_weights(tmp_path, export="net.safetensors", models=("g_ema", "g"))
    assert torch.equal(state["weight"], ema.weight)
    assert run_weights(tmp_path, export="net.safetensors", models=("d",)) is None
    safetensors.torch.save_file({"weight": torch.ones(2, 2)}, str(tmp_path / "net.safetensors"))
    state, source = run_weights(tmp_path, export="net.safetensors", models=("g",))
    assert torch.equal(state["weight"], torch.ones(2, 2)) and source.endswith("net.safetensors'")
