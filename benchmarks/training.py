"""Training-helper benchmark: what TrainingRun's bookkeeping costs next to a bare loop.

1. Loop: the same small MLP trained for N steps from the same dataset, once as a
   bare PyTorch loop (DataLoader, forward, backward, step) and once through
   ``TrainingRun.loop`` with ``run.log`` every step (checkpoints only at the end,
   so this is the per-step overhead: device moves, logging, the step bookkeeping).
   Interleaved rounds, best of each; prints milliseconds per step and the ratio.
2. Checkpoint: one checkpoint of a model with P parameters plus Adam state,
   written by ``save_checkpoint`` (safetensors + weights-only state + fsync +
   rename) against a plain ``torch.save`` of the same state dicts to one file.
3. DCGAN step at the lesson's settings (32 px, width 32, batch 64, ema 0.999), through
   ``sk.model("dcgan").train`` against the loop of the PyTorch examples' ``dcgan/main.py``
   with the same networks, batch and data (target: within 1.2x per step); steps per
   second. Each with torch on 1 thread, 2 threads and sketchml's automatic choice
   (:mod:`sketchml.models.threads`), quiet and with two competing CPU-bound processes
   started by the benchmark. Wall and process-CPU milliseconds per step: on a shared
   machine extra threads show up as CPU time spent waiting.
4. The same for the char-RNN at the live sketch's settings (LSTM, 2 layers of 128, 32
   windows of 128 characters) on 60,000 characters of the literary corpus (the sketch's
   demo text; it needs Debian's ``fortunes``), against a plain loop with the same network,
   windows, Adam and gradient clipping.

Run: ``.venv/bin/python benchmarks/training.py [--steps 300] [--params 5000000]
[--gan-steps 20] [--only dcgan|charrnn]``
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from competing import competing
from torch.utils.data import DataLoader, TensorDataset

import sketchml as sk
from sketchml.models.threads import choose_threads
from sketchml.training import TrainingRun, save_checkpoint

# The dcgan lesson's settings for training on your own images.
DCGAN_LESSON = {"resolution": 32, "width": 32, "batch_size": 64, "latent_dim": 100, "ema": 0.999}


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


def dcgan_bare(images: torch.Tensor, steps: int) -> tuple[float, float]:
    """The PyTorch examples' DCGAN loop on the same networks and data: (wall, CPU) s/step."""
    from sketchml_gan.dcgan import Discriminator, Generator, _init_weights

    torch.manual_seed(0)
    s = DCGAN_LESSON
    net_g = Generator(resolution=s["resolution"], latent_dim=s["latent_dim"], width=s["width"])
    net_d = Discriminator(resolution=s["resolution"], width=s["width"])
    net_g.apply(_init_weights)
    net_d.apply(_init_weights)
    opt_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(TensorDataset(images * 2 - 1), batch_size=s["batch_size"], shuffle=True,
                        drop_last=True)
    done, wall, cpu = 0, 0.0, 0.0
    while done < steps + 2:
        for (real,) in loader:
            if done == 2:  # two warm-up steps
                wall, cpu = time.perf_counter(), time.process_time()
            net_d.zero_grad()
            out = net_d(real)
            err_real = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
            err_real.backward()
            fake = net_g(torch.randn(real.shape[0], s["latent_dim"], 1, 1))
            out = net_d(fake.detach())
            err_fake = F.binary_cross_entropy_with_logits(out, torch.zeros_like(out))
            err_fake.backward()
            opt_d.step()
            net_g.zero_grad()
            out = net_d(fake)
            F.binary_cross_entropy_with_logits(out, torch.ones_like(out)).backward()
            opt_g.step()
            done += 1
            if done == steps + 2:
                break
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def dcgan_family(images: torch.Tensor, steps: int) -> tuple[float, float]:
    """``gan.train`` at the lesson's settings: (wall, CPU) s/step, setup and saving excluded.

    Two runs, of 2 and of ``steps + 2`` steps; the difference is the cost of ``steps``
    steps, so building the networks, the final checkpoint, export and samples drop out.
    """
    gan = sk.model("dcgan", device="cpu")
    totals = []
    for n in (2, steps + 2):
        with tempfile.TemporaryDirectory() as out:
            threads = torch.get_num_threads()
            wall, cpu = time.perf_counter(), time.process_time()
            gan.train(images, out=out, steps=n, seed=0, progress=False, flip=False,
                      checkpoint_every=10**6, sample_every=10**6, **DCGAN_LESSON)
            totals.append((time.perf_counter() - wall, time.process_time() - cpu))
            torch.set_num_threads(threads)  # the run chose its own; keep the row's
    return ((totals[1][0] - totals[0][0]) / steps, (totals[1][1] - totals[0][1]) / steps)


# The live char-RNN sketch's settings (sketches/charrnn_train_live.py), the rest defaults.
CHARRNN_LESSON = {"hidden": 128, "layers": 2, "embedding": 64, "length": 128, "batch_size": 32}


def charrnn_text() -> str:
    """60,000 characters of the literary corpus, the live sketch's demo text where installed."""
    from sketchml_text.corpus import literary_corpus

    return literary_corpus().train[:60_000]


def charrnn_bare(text: str, steps: int) -> tuple[float, float]:
    """A plain loop on the same network, windows, batch and optimiser: (wall, CPU) s/step."""
    from sketchml_text.charrnn import CharRNNNet

    s = CHARRNN_LESSON
    vocab = "".join(sorted(set(text)))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text])
    count = (len(ids) - 1) // s["length"]
    windows = ids[:count * s["length"] + 1]
    inputs = windows[:-1].reshape(count, s["length"])
    targets = windows[1:].reshape(count, s["length"])
    torch.manual_seed(0)
    net = CharRNNNet(vocab, hidden=s["hidden"], layers=s["layers"], embedding=s["embedding"])
    opt = torch.optim.Adam(net.parameters(), lr=0.002)
    loader = DataLoader(TensorDataset(inputs, targets), batch_size=s["batch_size"], shuffle=True,
                        drop_last=True)
    done, wall, cpu = 0, 0.0, 0.0
    while done < steps + 2:
        for x, y in loader:
            if done == 2:
                wall, cpu = time.perf_counter(), time.process_time()
            logits, _ = net(x)
            loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            done += 1
            if done == steps + 2:
                break
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def charrnn_family(text: str, steps: int) -> tuple[float, float]:
    """``rnn.train`` at the sketch's settings (no held-out text): (wall, CPU) s/step."""
    rnn = sk.model("charrnn", device="cpu")
    totals = []
    for n in (2, steps + 2):
        with tempfile.TemporaryDirectory() as out:
            threads = torch.get_num_threads()
            wall, cpu = time.perf_counter(), time.process_time()
            # No sample at the end: 200 one-character steps would swamp the difference.
            rnn.train(text, out=out, steps=n, seed=0, progress=False, validation=0.0,
                      sample_length=0, checkpoint_every=10**6, sample_every=10**6,
                      **CHARRNN_LESSON)
            totals.append((time.perf_counter() - wall, time.process_time() - cpu))
            torch.set_num_threads(threads)
    return ((totals[1][0] - totals[0][0]) / steps, (totals[1][1] - totals[0][1]) / steps)


def bench_family(title: str, data, bare_fn, family_fn, steps: int) -> None:
    print(f"{title}, {steps} steps, ms per step (wall / CPU), load average before: "
          f"{__import__('os').getloadavg()[0]:.1f}:")
    print(f"  {'':<24} {'threads':>7} {'bare loop':>17} {'sk train':>17} {'sk/bare':>8} "
          f"{'steps/s':>8}")
    for busy in (0, 2):
        with competing(busy):
            label = "quiet" if not busy else f"{busy} competing processes"
            for threads in (1, 2, "auto"):
                sk.set_threads(None)
                count = choose_threads()[0] if threads == "auto" else threads
                sk.set_threads(count)
                bare_wall, bare_cpu = bare_fn(data, steps)
                ours_wall, ours_cpu = family_fn(data, steps)
                name = f"auto={count}" if threads == "auto" else str(threads)
                print(f"  {label:<24} {name:>7} {bare_wall * 1e3:>7.0f} / {bare_cpu * 1e3:>7.0f} "
                      f"{ours_wall * 1e3:>7.0f} / {ours_cpu * 1e3:>7.0f} "
                      f"{ours_wall / bare_wall:>8.2f} {1 / ours_wall:>8.1f}")
    sk.set_threads(None)


def bench_dcgan(steps: int) -> None:
    from sketchml.datasets import shapes_world

    bench_family("DCGAN step at the lesson's settings (32 px, width 32, batch 64)",
                 shapes_world(640, size=32, seed=1).images, dcgan_bare, dcgan_family, steps)


def bench_charrnn(steps: int) -> None:
    bench_family("char-RNN step at the live sketch's settings (LSTM 2 x 128, 32 windows of 128)",
                 charrnn_text(), charrnn_bare, charrnn_family, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--params", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gan-steps", type=int, default=20,
                        help="DCGAN and char-RNN steps per figure")
    parser.add_argument("--only", choices=("loop", "checkpoint", "dcgan", "charrnn"), default=None,
                        help="run one section")
    args = parser.parse_args()
    sk.set_threads(1)
    if args.only in (None, "loop"):
        bench_loop(args.steps, args.rounds)
    if args.only in (None, "checkpoint"):
        bench_checkpoint(args.params, args.rounds)
    if args.only in (None, "dcgan"):
        bench_dcgan(args.gan_steps)
    if args.only in (None, "charrnn"):
        bench_charrnn(args.gan_steps)


if __name__ == "__main__":
    main()
