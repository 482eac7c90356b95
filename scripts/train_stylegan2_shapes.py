"""Train the embedded variant ``stylegan2.shapes`` on sketchml's shapes world, reproducibly.

The published StyleGAN2 checkpoints cannot be had on an offline machine, so the style-mixing
and projection sketches need a generator this repository trains itself: the same
``Generator`` (rosinality's layout, which the published ``.pt`` files load into), made small
(32 px, 32-wide, a 64-d w), trained by ``StyleGAN2.train`` on the shapes world.

Writes, inside the gan plugin (``plugins/gan/sketchml_gan/weights/``):

* ``stylegan2-shapes.safetensors`` -- the generator's moving average, float16, with its
  config and average w;
* ``stylegan2-shapes.json`` -- the record: settings, steps reached, wall and CPU time, and
  the quality measured by the shapes classifier shipped beside ``dcgan.shapes``.

Everything is seeded and runs on the CPU with one thread. ``--cpu-minutes`` caps the CPU
time of a session (the loop finishes its step, checkpoints and the script exports); the
record says how many steps were reached, and ``--steps N --cpu-minutes 0`` repeats that run
into a new folder. Running again into the same ``--out`` resumes.

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_stylegan2_shapes.py [--steps 4000] [--cpu-minutes 10]
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "plugins" / "gan" / "sketchml_gan" / "weights"

RECIPE = {"resolution": 32, "width": 32, "style_dim": 64, "n_mlp": 3, "batch_size": 16,
          "lr": 0.002, "r1": 1.0, "r1_every": 16, "mixing": 0.9, "ema": 0.995,
          "shapes": 6000, "seed": 0}



def quality(weights: Path, *, samples: int = 256, threshold: float = 0.8) -> dict[str, object]:
    """The plugin's quality bar, measured on the exported file with the shipped classifier."""
    import sketchml as sk
    from sketchml.datasets import SHAPES, ShapeClassifier

    classifier = ShapeClassifier()
    classifier.load_state_dict(sk.load_weights(WEIGHTS / "shapes-classifier.safetensors"))
    gan = sk.model("stylegan2", weights=weights, device="cpu")
    images = gan.generate(gan.sample_latent(samples, seed=0))
    classes, sure = classifier.eval().confidence(images)
    confident = sure > threshold
    counts = torch.bincount(classes[confident], minlength=len(SHAPES))
    return {"samples": samples, "threshold": threshold,
            "confident_fraction": round(float(confident.float().mean()), 4),
            "confident_per_shape": {name: int(c) for name, c in zip(SHAPES, counts)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "stylegan2-shapes"),
                        help="run folder (checkpoints, samples, losses); resumes if present")
    parser.add_argument("--steps", type=int, default=4000, help="optimisation steps (default 4000)")
    parser.add_argument("--cpu-minutes", type=float, default=10.0,
                        help="CPU-time cap of this session; 0 for none (default 10)")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    import sketchml as sk
    from safetensors.torch import save

    from sketchml.plugin import atomic_write_bytes, atomic_write_text, cpu_budget

    started, cpu_started = time.time(), time.process_time()
    gan = sk.model("stylegan2", device="cpu")
    run = gan.train("shapes", out=args.out, steps=args.steps, progress=False,
                    resolution=RECIPE["resolution"], width=RECIPE["width"],
                    style_dim=RECIPE["style_dim"], n_mlp=RECIPE["n_mlp"],
                    batch_size=RECIPE["batch_size"], lr=RECIPE["lr"], r1=RECIPE["r1"],
                    r1_every=RECIPE["r1_every"], mixing=RECIPE["mixing"], ema=RECIPE["ema"],
                    shapes=RECIPE["shapes"], seed=RECIPE["seed"], flip=False,
                    checkpoint_every=250, sample_every=250,
                    should_stop=cpu_budget(args.cpu_minutes * 60) if args.cpu_minutes > 0
                    else None)
    wall, cpu = time.time() - started, time.process_time() - cpu_started
    if run.step == 0:
        print("No training step was taken; nothing exported.", file=sys.stderr)
        return 1
    net = gan.network
    state = {k: (v.half() if v.is_floating_point() else v).contiguous()
             for k, v in net.state_dict().items()}
    state["latent_avg"] = gan.latent_avg.detach().half().contiguous()
    target = WEIGHTS / "stylegan2-shapes.safetensors"
    atomic_write_bytes(target, save(state, metadata={"format": "sketchml.stylegan2/1",
                                                     "config": json.dumps({**RECIPE, "step": run.step})}))
    record = {
        "model": "stylegan2.shapes",
        "recipe": RECIPE,
        "steps": run.step,
        "session_wall_seconds": round(wall, 1),
        "session_cpu_seconds": round(cpu, 1),
        "quality": quality(target),
        "file_bytes": target.stat().st_size,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "reproduce": f"python scripts/train_stylegan2_shapes.py --steps {run.step} "
                     f"--cpu-minutes 0 --out NEW_FOLDER",
    }
    atomic_write_text(WEIGHTS / "stylegan2-shapes.json", json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
