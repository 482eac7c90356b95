"""Training-helper benchmark: what TrainingRun's bookkeeping costs next to a bare loop.

1. Loop: the same small MLP trained for N steps from the same dataset, once as a
   bare PyTorch loop (DataLoader, forward, backward, step) and once through
   ``TrainingRun.loop`` with ``run.log`` every step (checkpoints only at the end,
   so this is the per-step overhead: device moves, logging, the step bookkeeping).
   Interleaved rounds, best of each; prints milliseconds per step and the ratio.
2. Checkpoint: one checkpoint of a model with P parameters plus Adam state,
   written by ``save_checkpoint`` (safetensors + weights-only state + fsync +
   rename) against a plain ``torch.save`` of the same state dicts to one file.

Run: ``.venv/bin/python benchmarks/training.py [--steps 300] [--params 5000000]``
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from sketchml.training import TrainingRun, save_checkpoint


def make_data() -> TensorDataset:
    x = torch.randn(4096, 32)
    return TensorDataset(x, x.sum(1, keepdim=True))


def make_net() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(32, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))
    return net, torch.optim.Adam(net.parameters(), lr=1e-3)


def bare(steps: int, data: TensorDataset) -> float:
    net, opt = make_net()
    loader = DataLoader(data, batch_size=64, shuffle=True, drop_last=True)
    start = time.perf_counter()
    done = 0
    while done < steps:
        for x, y in loader:
            loss = torch.nn.functional.mse_loss(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    return (time.perf_counter() - start) / steps


def with_run(steps: int, data: TensorDataset) -> float:
    net, opt = make_net()
    with tempfile.TemporaryDirectory() as out:
        run = TrainingRun(out=out, model=net, optimizers=opt, steps=steps, checkpoint_every=10**9,
                          device="cpu", progress=False)
        start = time.perf_counter()
        for _step, (x, y) in run.loop(data, batch_size=64):
            loss = torch.nn.functional.mse_loss(run.model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log(loss=loss)
            if run.step + 1 == steps:
                # Stop the clock before the final checkpoint, which part 2 measures.
                elapsed = time.perf_counter() - start
        return elapsed / (steps - 1)


def bench_loop(steps: int, rounds: int) -> None:
    data = make_data()
    best_bare, best_run = float("inf"), float("inf")
    for _ in range(rounds):
        best_bare = min(best_bare, bare(steps, data))
        best_run = min(best_run, with_run(steps, data))
    print(f"loop ({steps} steps, best of {rounds}):")
    print(f"  bare PyTorch loop   {best_bare * 1e3:8.3f} ms/step")
    print(f"  TrainingRun.loop    {best_run * 1e3:8.3f} ms/step   ratio {best_run / best_bare:.2f}x")


def bench_checkpoint(params: int, rounds: int) -> None:
    width = int((params / 2) ** 0.5)
    net = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Linear(width, width))
    opt = torch.optim.Adam(net.parameters())
    net(torch.randn(2, width)).sum().backward()
    opt.step()
    count = sum(p.numel() for p in net.parameters())
    best_plain, best_ours = float("inf"), float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            start = time.perf_counter()
            torch.save({"model": net.state_dict(), "opt": opt.state_dict()}, Path(tmp) / "plain.pt")
            best_plain = min(best_plain, time.perf_counter() - start)
            start = time.perf_counter()
            save_checkpoint(Path(tmp) / "ckpt", step=i, models={"model": net},
                            optimizers={"opt": opt}, keep=1)
            best_ours = min(best_ours, time.perf_counter() - start)
    megabytes = count * 4 * 3 / 2**20
    print(f"checkpoint ({count / 1e6:.1f} M parameters + Adam state, ~{megabytes:.0f} MB, "
          f"best of {rounds}):")
    print(f"  torch.save, one file       {best_plain * 1e3:8.1f} ms")
    print(f"  save_checkpoint (atomic)   {best_ours * 1e3:8.1f} ms   ratio "
          f"{best_ours / best_plain:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--params", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    bench_loop(args.steps, args.rounds)
    bench_checkpoint(args.params, args.rounds)


if __name__ == "__main__":
    main()
