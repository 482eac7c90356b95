"""TrainingRun: learning happens, checkpoints appear, Ctrl-C saves, resuming is exact."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.utils.data import TensorDataset

from sketchml.errors import SketchmlError
from sketchml.training import (TrainingRun, latest_checkpoint, list_checkpoints, pick_device,
                               seed_everything)


def _regression_data() -> TensorDataset:
    x = torch.linspace(-1, 1, 96).unsqueeze(1)
    return TensorDataset(x, torch.sin(2 * x))


def _net(seed: int) -> torch.nn.Module:
    seed_everything(seed)
    return torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Dropout(0.1),
                               torch.nn.Linear(32, 1))


def _train(out: Path, *, steps: int, interrupt_at: int | None = None, init_seed: int = 0,
           checkpoint_every: int = 10) -> TrainingRun:
    net = _net(init_seed)
    opt = torch.optim.Adam(net.parameters(), lr=0.03)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.97)
    run = TrainingRun(out=out, model=net, optimizers=opt, schedulers=sched, steps=steps,
                      checkpoint_every=checkpoint_every, seed=5, device="cpu", progress=False)
    for step, (x, y) in run.loop(_regression_data(), batch_size=16):
        # Noise drawn from the global RNG: resuming must replay this stream exactly.
        noisy = x + 0.01 * torch.randn_like(x)
        loss = torch.nn.functional.mse_loss(run.model(noisy), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run.log(loss=loss)
        if step == interrupt_at:
            signal.raise_signal(signal.SIGINT)
    return run


def test_loss_falls_and_files_are_written(tmp_path: Path) -> None:
    run = _train(tmp_path / "run", steps=100)
    losses = [r["loss"] for r in run.history]
    assert len(losses) == 100 and run.completed and not run.interrupted
    assert sum(losses[-10:]) / 10 < 0.25 * sum(losses[:5]) / 5

    steps = [c.step for c in list_checkpoints(run.checkpoint_dir)]
    assert steps == [90, 100]  # every 10 steps, pruned to the newest keep=2
    latest = latest_checkpoint(run.checkpoint_dir)
    assert latest.step == 100 and latest.history == run.history
    assert sorted(p.name for p in latest.path.iterdir()) == ["meta.json", "model.safetensors",
                                                              "training_state.pt"]
    for name, tensor in latest.weights().items():
        assert torch.equal(tensor, run.modules["model"].state_dict()[name])
    state = latest.training_state()
    assert state["optimizers"]["opt"]["state"] and state["schedulers"]["sched"]["last_epoch"] == 100

    with Image.open(run.plot_path) as plot:
        plot.load()
        assert plot.size == (800, 400)
    lines = run.log_path.read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == list(range(1, 101))
    csv_rows = (run.out / "losses.csv").read_text().splitlines()
    assert csv_rows[0] == "step,loss" and len(csv_rows) == 101


def test_ctrl_c_saves_and_resume_matches_an_uninterrupted_run(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    # The handler the process started with (SIG_IGN when started as a background job).
    handler_before = signal.getsignal(signal.SIGINT)
    whole = _train(tmp_path / "whole", steps=30)

    first = _train(tmp_path / "split", steps=30, interrupt_at=13)
    assert first.interrupted and first.step == 13
    assert latest_checkpoint(first.checkpoint_dir).step == 13
    message = capsys.readouterr().err
    assert "stopped at step 13 of 30" in message and "To resume" in message

    # Different initial weights: the resumed run must take everything from the checkpoint.
    second = _train(tmp_path / "split", steps=30, init_seed=99)
    assert second.completed and not second.interrupted
    assert [r["step"] for r in second.history] == list(range(1, 31))
    assert [r["loss"] for r in second.history] == [r["loss"] for r in whole.history]
    for name, tensor in whole.modules["model"].state_dict().items():
        assert torch.equal(tensor, second.modules["model"].state_dict()[name]), name
    assert signal.getsignal(signal.SIGINT) is handler_before  # the run put it back


def test_resume_with_more_steps_trains_further(tmp_path: Path) -> None:
    _train(tmp_path / "run", steps=10)
    longer = _train(tmp_path / "run", steps=25)
    assert longer.step == 25 and [r["step"] for r in longer.history] == list(range(1, 26))
    again = _train(tmp_path / "run", steps=25)
    assert again.step == 25 and len(again.history) == 25


def test_sample_callback_runs_every_n_steps_without_touching_training_rng(tmp_path: Path) -> None:
    def train(out: Path, *, sample: bool) -> list[float]:
        net = _net(0)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)

        def on_sample(run: TrainingRun) -> None:
            assert not torch.is_grad_enabled() and not net.training
            run.save_samples(torch.rand(4, 3, 8, 8))  # draws from the RNG on purpose
            run.save_samples(f"text at {run.step}")

        run = TrainingRun(out=out, model=net, optimizers=opt, steps=12, seed=1, device="cpu",
                          progress=False, sample_every=5 if sample else None,
                          on_sample=on_sample if sample else None)
        for _step, (x, y) in run.loop(_regression_data(), batch_size=8):
            assert net.training
            loss = torch.nn.functional.mse_loss(run.model(x + torch.randn_like(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log(loss=loss)
        return [r["loss"] for r in run.history]

    with_samples = train(tmp_path / "a", sample=True)
    assert with_samples == train(tmp_path / "b", sample=False)
    names = sorted(p.name for p in (tmp_path / "a" / "samples").iterdir())
    assert names == ["step-00000005.png", "step-00000005.txt", "step-00000010.png",
                     "step-00000010.txt", "step-00000012.png", "step-00000012.txt"]
    with Image.open(tmp_path / "a" / "samples" / "step-00000010.png") as grid:
        assert grid.size == (22, 22)


def test_several_models_and_optimisers_are_checkpointed_by_name(tmp_path: Path) -> None:
    g, d = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    opts = {"g": torch.optim.Adam(g.parameters()), "d": torch.optim.Adam(d.parameters())}
    run = TrainingRun(out=tmp_path, model={"g": g, "d": d}, optimizers=opts, steps=3,
                      device="cpu", progress=False)
    for _step, _ in run.loop():
        loss = d(g(torch.randn(4, 2))).pow(2).mean()
        for opt in opts.values():
            opt.zero_grad()
        loss.backward()
        for opt in opts.values():
            opt.step()
        run.log(loss_g=loss, loss_d=-loss)
    ckpt = latest_checkpoint(run.checkpoint_dir)
    assert sorted(ckpt.model_names) == ["d", "g"] and torch.equal(ckpt.weights("g")["weight"],
                                                                  g.weight.detach())
    with pytest.raises(SketchmlError, match="Did you mean 'g'"):
        ckpt.weights("gg")
    with pytest.raises(SketchmlError, match="several models"):
        _ = run.model


def test_mismatched_names_and_architectures_are_clear_errors(tmp_path: Path) -> None:
    g, d = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    opts = {"g": torch.optim.Adam(g.parameters()), "d": torch.optim.Adam(d.parameters())}
    TrainingRun(out=tmp_path, model={"g": g, "d": d}, optimizers=opts, steps=1,
                device="cpu").save()
    with pytest.raises(SketchmlError, match="no optimizer named 'gen'"):
        TrainingRun(out=tmp_path, model={"g": g, "d": d},
                    optimizers={"gen": opts["g"], "d": opts["d"]}, steps=5, device="cpu")
    with pytest.raises(SketchmlError, match="do not fit the model"):
        TrainingRun(out=tmp_path, model={"g": torch.nn.Linear(3, 2), "d": d}, steps=5,
                    device="cpu")
    with pytest.raises(SketchmlError, match="holds a run of models"):
        TrainingRun(out=tmp_path, model=g, steps=5, device="cpu")
    with pytest.raises(SketchmlError, match="already holds a training run"):
        TrainingRun(out=tmp_path, model={"g": g, "d": d}, steps=5, device="cpu", resume=False)


def test_argument_errors(tmp_path: Path) -> None:
    net = torch.nn.Linear(1, 1)
    with pytest.raises(SketchmlError, match="steps must be"):
        TrainingRun(out=tmp_path, model=net, steps=0)
    with pytest.raises(SketchmlError, match="needs on_sample"):
        TrainingRun(out=tmp_path, model=net, steps=3, sample_every=2)
    with pytest.raises(SketchmlError, match="JSON"):
        TrainingRun(out=tmp_path, model=net, steps=3, config={"f": object()})
    run = TrainingRun(out=tmp_path / "b", model=net, steps=3, device="cpu", progress=False)
    with pytest.raises(SketchmlError, match="batch_size"):
        next(run.loop(_regression_data()))
    run = TrainingRun(out=tmp_path / "c", model=net, steps=3, device="cpu", progress=False)
    with pytest.raises(SketchmlError, match="fewer than batch_size=500"):
        next(run.loop(_regression_data(), batch_size=500))
    run = TrainingRun(out=tmp_path / "d", model=net, steps=3, device="cpu", progress=False)
    with pytest.raises(SketchmlError, match="one number per name"):
        for _step, _ in run.loop():
            run.log(loss=torch.ones(3))


def test_pick_device() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device().type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(SketchmlError, match="no such CUDA device"):
            pick_device("cuda")
    with pytest.raises(SketchmlError, match="not a device name"):
        pick_device("gpu-please")


def test_a_dataloader_or_plain_iterable_is_cycled(tmp_path: Path) -> None:
    batches = [torch.full((2,), float(i)) for i in range(3)]
    run = TrainingRun(out=tmp_path, model=torch.nn.Linear(1, 1), steps=7, device="cpu",
                      progress=False)
    seen = [float(batch[0]) for _step, batch in run.loop(batches)]
    assert seen == [0, 1, 2, 0, 1, 2, 0]


@pytest.mark.slow
def test_sigint_in_a_subprocess_saves_then_the_rerun_resumes(
        tmp_path: Path, train_script: Path, subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    env = dict(subprocess_env, STEP_DELAY="0.05")
    proc = subprocess.Popen([sys.executable, str(train_script), str(out), "400"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "losses.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.is_file() and len(log.read_text().splitlines()) >= 8:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "To resume" in stderr
    stopped = latest_checkpoint(out / "checkpoints")
    assert 8 <= stopped.step < 400
    assert f"end {stopped.step} interrupted True" in stdout

    finish = subprocess.run([sys.executable, str(train_script), str(out), str(stopped.step + 12)],
                            env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert finish.returncode == 0, finish.stderr
    assert f"start {stopped.step} " in finish.stdout
    history = latest_checkpoint(out / "checkpoints").history
    assert [r["step"] for r in history] == list(range(1, stopped.step + 13))
    logged = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert logged == list(range(1, stopped.step + 13))
