"""Guidance benchmark: CLIP-guidance iterations per second for each kind of picture.

CPU section (always), with the embedded tiny CLIP (random weights of its architecture when
the trained file is missing) and 16 cutouts per step:

* each direct parameterisation (``pixels``, ``fourier``, ``pixelart``, 64 px) and
  ``dcgan.shapes`` (random weights of a 64 px DCGAN when its file is missing), with Adam:
  ``sk.guide`` steps per second, beside a hand-written loop doing the same work (render,
  the same crops, CLIP, backward, Adam step) so the ratio shows what guidance adds;
* the same with CMA-ES (population 16): generations and candidates per second.

Threads section (CPU): Adam steps on ``pixels`` and ``dcgan.shapes`` with torch on 1 thread,
2 threads and sketchml's automatic choice (:mod:`sketchml.models.threads`), quiet and with
two competing CPU-bound processes started by the benchmark: wall and CPU milliseconds per
step, so what extra threads cost on a busy machine shows side by side.

GPU section (only with CUDA; skipped with a note otherwise): open_clip ViT-B/32 and
BigGAN-deep 256 at full width, both random weights, 32 cutouts: seconds per iteration for
Adam and for CMA-ES with a population of 50, beside the BigGAN + CLIP workshop notebook's
published 7.3 s per iteration on a Tesla T4.

Each figure is the fastest of ``--rounds`` timed runs of ``--steps`` steps (after warm-up
steps), so load from other processes drops out; process CPU seconds per step are printed
too, since wall-clock time on a shared machine says little on its own.

Run: ``.venv/bin/python benchmarks/guide.py [--steps 10] [--rounds 3] [--threads 1]
[--only cpu|threads|gpu]``
"""
from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from competing import competing

import sketchml as sk
from sketchml.models.threads import choose_threads

WORKSHOP_T4_SECONDS = 7.3


def tiny_clip(device: str) -> tuple[sk.Model, str]:
    try:
        return sk.model("clip.tiny", device=device), "trained"
    except sk.SketchmlError:
        return sk.model("clip", untrained=True, device=device), "random weights (no trained file)"


def shapes_gan(device: str, folder: Path) -> tuple[sk.Model, str]:
    try:
        return sk.model("dcgan.shapes", device=device), "trained"
    except sk.SketchmlError:
        from safetensors.torch import save_file
        from sketchml_gan.dcgan import Generator

        torch.manual_seed(0)
        path = folder / "dcgan.safetensors"
        save_file(Generator(resolution=64).state_dict(), str(path))
        return sk.model("dcgan", weights=path, device=device), "random weights (no trained file)"


def time_guidance(clip: sk.Model, model, *, steps: int, rounds: int, warmup: int = 2,
                  **options) -> tuple[float, float]:
    """Fastest seconds per step over ``rounds``, and process CPU seconds per step there."""
    best = (float("inf"), 0.0)
    for _ in range(rounds):
        guidance = sk.guide("a red circle", clip=clip, model=model, steps=warmup + steps, **options)
        for _ in range(warmup):
            next(guidance)
        sync(clip.device)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in guidance:
            pass
        sync(clip.device)
        elapsed = (time.perf_counter() - wall) / steps
        if elapsed < best[0]:
            best = (elapsed, (time.process_time() - cpu) / steps)
    return best


def time_bare_adam(clip: sk.Model, render, start: torch.Tensor, *, steps: int, rounds: int,
                   cutouts: int) -> float:
    """The same Adam loop written by hand: render, fixed-size crops, CLIP, backward, step."""
    size = clip.image_size
    mean = torch.tensor(clip.mean, device=clip.device).view(1, 3, 1, 1)
    std = torch.tensor(clip.std, device=clip.device).view(1, 3, 1, 1)
    with torch.no_grad():
        text = F.normalize(clip.network.encode_text(clip.tokenize(["a red circle"])), dim=-1)
    best = float("inf")
    for _ in range(rounds):
        param = start.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([param], lr=0.05)
        gen = torch.Generator().manual_seed(0)
        for step in range(steps + 2):
            if step == 2:
                sync(clip.device)
                wall = time.perf_counter()
            images = render(param)
            side = images.shape[-1]
            pieces = []
            for _ in range(cutouts):
                s = int(side * (0.5 + 0.5 * float(torch.rand(1, generator=gen))))
                top, left = (int(float(torch.rand(1, generator=gen)) * (side - s + 1)) for _ in range(2))
                pieces.append(F.interpolate(images[:, :, top:top + s, left:left + s], size=(size, size),
                                            mode="bilinear", antialias=s > size))
            batch = (torch.cat(pieces) - mean) / std
            features = F.normalize(clip.network.encode_image(batch), dim=-1)
            loss = -(features @ text.T).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        sync(clip.device)
        best = min(best, (time.perf_counter() - wall) / steps)
    return best


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cpu_section(args: argparse.Namespace, folder: Path) -> None:
    clip, clip_note = tiny_clip("cpu")
    gan, gan_note = shapes_gan("cpu", folder)
    print(f"CPU, {torch.get_num_threads()} thread(s); tiny CLIP: {clip_note}; dcgan.shapes: {gan_note}")
    print(f"{args.cutouts} cutouts per step, {args.steps} timed steps, fastest of {args.rounds} rounds")
    print(f"{'picture':<10} {'adam it/s':>10} {'cpu s/it':>9} {'bare it/s':>10} {'sk/bare':>8} "
          f"{'cma gen/s':>10} {'cand/s':>8}")
    from sketchml_clip.params import parameterisation

    renders = {
        "pixels": (lambda p: torch.sigmoid(p), torch.zeros(1, 3, 64, 64)),
        "fourier": None,
        "pixelart": None,
        "dcgan": (lambda z: (gan.network(z) + 1) / 2, torch.randn(1, gan.latent_dim)),
    }
    for name in ("pixels", "fourier", "pixelart", "dcgan"):
        model = gan if name == "dcgan" else parameterisation(name, size=64, device="cpu")
        adam, adam_cpu = time_guidance(clip, model, steps=args.steps, rounds=args.rounds,
                                       cutouts=args.cutouts)
        cma, _ = time_guidance(clip, model, steps=max(2, args.steps // 2), rounds=args.rounds,
                               cutouts=args.cutouts, optimiser="cma", population=16, batch=16)
        if renders[name] is None:
            latent = model.sample_latent(1, seed=0)
            key = next(iter(latent.tensors))

            def render(p, model=model, latent=latent, key=key):
                return model.generate(sk.Latent({**latent.tensors, key: p}, **latent.metadata))
            start = latent[key]
        else:
            render, start = renders[name]
        bare = time_bare_adam(clip, render, start, steps=args.steps, rounds=args.rounds,
                              cutouts=args.cutouts)
        print(f"{name:<10} {1 / adam:>10.1f} {adam_cpu:>9.3f} {1 / bare:>10.1f} "
              f"{bare / adam:>8.2f} {1 / cma:>10.2f} {16 / cma:>8.1f}")


def threads_section(args: argparse.Namespace, folder: Path) -> None:
    clip, _ = tiny_clip("cpu")
    gan, _ = shapes_gan("cpu", folder)
    from sketchml_clip.params import parameterisation

    pixels = parameterisation("pixels", size=64, device="cpu")
    print(f"\nThreads: Adam, {args.cutouts} cutouts, {args.steps} timed steps, ms per step "
          f"(wall / CPU); load average before: {__import__('os').getloadavg()[0]:.1f}")
    print(f"  {'':<24} {'threads':>7} {'pixels':>17} {'dcgan.shapes':>17} {'dcgan it/s':>10}")
    for busy in (0, 2):
        with competing(busy):
            label = "quiet" if not busy else f"{busy} competing processes"
            for threads in (1, 2, "auto"):
                sk.set_threads(None)
                count = choose_threads()[0] if threads == "auto" else threads
                sk.set_threads(count)
                row = [time_guidance(clip, model, steps=args.steps, rounds=1, cutouts=args.cutouts)
                       for model in (pixels, gan)]
                name = f"auto={count}" if threads == "auto" else str(threads)
                print(f"  {label:<24} {name:>7} "
                      + " ".join(f"{w * 1e3:>7.0f} / {c * 1e3:>7.0f}" for w, c in row)
                      + f" {1 / row[1][0]:>10.1f}")
    sk.set_threads(args.threads)


def gpu_section(args: argparse.Namespace, folder: Path) -> None:
    if not torch.cuda.is_available():
        print("\nGPU section skipped: CUDA is not available on this machine.")
        return
    from sketchml_gan.biggan import save_random_checkpoint

    device = "cuda"
    print(f"\nGPU: {torch.cuda.get_device_name(0)}; ViT-B/32 and BigGAN-deep 256, random weights, "
          f"32 cutouts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clip = sk.model("clip", arch="ViT-B-32", untrained=True, device=device)
    checkpoint = save_random_checkpoint(folder / "biggan-256", resolution=256, channel_width=128)
    gan = sk.model("biggan.deep-256", weights=checkpoint, device=device)
    rows = [("adam", {}), ("cma, population 50", {"optimiser": "cma", "population": 50,
                                                  "batch": 10})]
    for label, options in rows:
        seconds, _ = time_guidance(clip, gan, steps=max(2, args.steps // 2), rounds=args.rounds,
                                   warmup=1, cutouts=32, **options)
        print(f"{label:<20} {seconds:7.3f} s/iteration   workshop notebook on a Tesla T4: "
              f"{WORKSHOP_T4_SECONDS} s/iteration (published)   ratio {WORKSHOP_T4_SECONDS / seconds:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cutouts", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: sketchml's choice)")
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU section")
    parser.add_argument("--only", choices=("cpu", "threads", "gpu"), default=None,
                        help="run one section")
    args = parser.parse_args()
    sk.set_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "cpu"):
            cpu_section(args, folder)
        if args.only in (None, "threads"):
            threads_section(args, folder)
        if args.only in (None, "gpu") and not args.no_gpu:
            gpu_section(args, folder)


if __name__ == "__main__":
    main()
