"""GAN benchmark: images per second of each GAN family, and what ``model.generate`` adds.

For each family present (skipped with a note when its module or weights are missing):

* ``dcgan.shapes``      -- the embedded 64 px model (random weights of the same
                           architecture when the embedded file is not there yet);
* ``biggan.deep-128``   -- the published architecture at full width, random weights;
* ``stylegan2``         -- a StyleGAN2 at ``--stylegan-size`` px (rosinality's widths),
                           random weights;

it times, at batch 1 and 8 on the same latents:

* ``generate``  -- ``model.generate(latent)``: latent checks, device moves, the network,
                   scaling to [0, 1] and the ``sk.Images`` result;
* ``bare``      -- the bare torch module on the same tensors under ``inference_mode``
                   (what a hand-written script would call);

and prints images per second side by side with the overhead of ``generate`` over
``bare`` (target: under 5 %). The two are called in turn, call by call (fast models
many times per round), and each one's fastest call is kept, so load from other
processes hits them alike and interrupted calls drop out.

With CUDA (or ``--variants`` on any device) it also compares, on the bare module,
channels_last, bf16 autocast and ``torch.compile`` against the plain fp32 forward.

Run: ``.venv/bin/python benchmarks/gan.py [--rounds 5] [--device cpu] [--variants] [--only dcgan]``
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

import sketchml as sk


@dataclass
class Family:
    """A model ready to time: how to call it whole, and how to call its bare module."""

    label: str
    model: sk.Model
    net: torch.nn.Module
    bare: Callable[[torch.nn.Module, sk.Latent], torch.Tensor]
    note: str = ""


def _dcgan(device: str, folder: Path) -> Family:
    from sketchml_gan.dcgan import Generator

    note = ""
    try:
        model = sk.model("dcgan.shapes", device=device)
    except sk.SketchmlError:
        torch.manual_seed(0)
        path = folder / "dcgan-random.safetensors"
        from safetensors.torch import save_file

        save_file(Generator(resolution=64).state_dict(), str(path))
        model = sk.model("dcgan", weights=path, device=device)
        note = "random weights: the embedded dcgan.shapes file is not there yet"
    # The family keeps its generator network as an attribute; take it whatever its name.
    net = next(v for v in vars(model).values() if isinstance(v, torch.nn.Module))
    return Family(f"dcgan.shapes {model.resolution}px", model, net,
                  lambda net, lat: net(lat["z"]), note)


def _biggan(device: str, folder: Path) -> Family:
    from sketchml_gan.biggan import save_random_checkpoint

    weights = save_random_checkpoint(folder / "biggan", resolution=128, channel_width=128)
    model = sk.model("biggan.deep-128", weights=weights, device=device)
    return Family("biggan.deep-128", model, model.network,
                  lambda net, lat: net(lat["z"], lat["y"], float(lat.metadata["truncation"])),
                  "random weights, full width")


def _stylegan2(device: str, folder: Path, size: int) -> Family:
    from safetensors.torch import save_file

    from sketchml_gan.stylegan2 import Generator

    torch.manual_seed(0)
    path = folder / "stylegan2-random.safetensors"
    save_file(Generator(size).state_dict(), str(path))
    model = sk.model("stylegan2", weights=path, device=device)

    def bare(net: torch.nn.Module, lat: sk.Latent) -> torch.Tensor:
        w = net.mapping(lat["z"]).unsqueeze(1).repeat(1, net.n_latent, 1)
        return net.synthesis(w, noise="const")

    return Family(f"stylegan2 {size}px", model, model.network, bare, "random weights, config-f widths")


def interleaved(fns: dict[str, Callable[[], object]], rounds: int, sync: Callable[[], None],
                *, target: float = 0.2) -> dict[str, float]:
    """Best seconds per call of each function, calling them in turn, call by call.

    A round makes enough calls of each to take about ``target`` seconds (one for slow
    models). Every call is timed alone and the fastest is kept: on a shared machine a
    call that was not interrupted is the closest to the true cost.
    """
    reps = []
    for fn in fns.values():
        fn()
        sync()
        start = time.perf_counter()
        fn()
        sync()
        reps.append(max(1, int(target / max(time.perf_counter() - start, 1e-6))))
    calls = min(reps)
    best = {name: float("inf") for name in fns}
    for _ in range(rounds * calls):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            sync()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def overhead(family: Family, batch: int, rounds: int, sync: Callable[[], None]) -> None:
    latent = family.model.sample_latent(batch, seed=0).to(family.model.device)

    def whole() -> object:
        return family.model.generate(latent)

    def bare() -> object:
        with torch.inference_mode():
            return family.bare(family.net, latent)

    t = interleaved({"generate": whole, "bare": bare}, rounds, sync)
    extra = (t["generate"] / t["bare"] - 1) * 100
    added = (t["generate"] - t["bare"]) * 1e6
    print(f"  {family.label:<22} {batch:>5} {batch / t['generate']:12.2f} {batch / t['bare']:12.2f}"
          f" {extra:+9.1f} % {added:+10.0f} us")


def channels_last(net: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``net`` with its 4-D weights in channels_last order.

    ``Module.to(memory_format=...)`` refuses StyleGAN2's 5-D modulated weights, so the
    4-D tensors are converted one by one; activations follow the weights' layout.
    """
    out = copy.deepcopy(net)
    for tensor in [*out.parameters(), *out.buffers()]:
        if tensor.dim() == 4:
            tensor.data = tensor.data.contiguous(memory_format=torch.channels_last)
    return out


def variants(family: Family, batch: int, rounds: int, device: torch.device,
             sync: Callable[[], None]) -> None:
    latent = family.model.sample_latent(batch, seed=0).to(device)
    kind = device.type
    last = channels_last(family.net)
    compiled = torch.compile(copy.deepcopy(family.net))

    def run(net: torch.nn.Module, bf16: bool = False) -> Callable[[], object]:
        def call() -> object:
            autocast = torch.autocast(kind, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
            with torch.inference_mode(), autocast:
                return family.bare(net, latent)
        return call

    fns = {"fp32": run(family.net), "channels_last": run(last), "bf16": run(family.net, True),
           "compile": run(compiled)}
    t = interleaved(fns, rounds, sync)
    cells = "".join(f" {batch / t[name]:10.2f} ({t['fp32'] / t[name]:4.2f}x)" for name in fns)
    print(f"  {family.label:<22} {batch:>5}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed calls of each, per case")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    parser.add_argument("--stylegan-size", type=int, default=64, help="StyleGAN2 image size")
    parser.add_argument("--variants", action="store_true",
                        help="compare channels_last / bf16 / torch.compile even without CUDA")
    parser.add_argument("--only", nargs="*", default=None, help="families to run, e.g. dcgan")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    device = sk.resolve_device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    folder = Path(tempfile.mkdtemp(prefix="sketchml-gan-bench-"))
    makers = {
        "dcgan": lambda: _dcgan(str(device), folder),
        "biggan": lambda: _biggan(str(device), folder),
        "stylegan2": lambda: _stylegan2(str(device), folder, args.stylegan_size),
    }
    families = []
    for name, make in makers.items():
        if args.only is not None and name not in args.only:
            continue
        try:
            family = make()
        except (ImportError, sk.SketchmlError) as err:
            print(f"  skipped {name}: {type(err).__name__}: {err}")
            continue
        families.append(family)
        if family.note:
            print(f"  {family.label}: {family.note}")

    print("\nimages per second, model.generate against the bare module on the same latents")
    print(f"  {'family':<22} {'batch':>5} {'generate':>12} {'bare':>12} {'overhead':>11} "
          f"{'per call':>13}")
    for family in families:
        for batch in (1, 8):
            overhead(family, batch, args.rounds, sync)

    if device.type == "cuda" or args.variants:
        print(f"\nbare module on {device}: images per second (speed-up over fp32)")
        names = ("fp32", "channels_last", "bf16", "compile")
        print(f"  {'family':<22} {'batch':>5}" + "".join(f" {n:>18}" for n in names))
        for family in families:
            for batch in (1, 8):
                variants(family, batch, args.rounds, device, sync)
    else:
        print("\nno CUDA here: channels_last / bf16 / torch.compile comparisons skipped "
              "(run with --variants to compare them on the CPU)")


if __name__ == "__main__":
    main()
