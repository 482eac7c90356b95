"""Train the embedded default ``dcgan.shapes`` on sketchml's shapes world, reproducibly.

Writes, inside the gan plugin (``plugins/gan/sketchml_gan/weights/``):

* ``dcgan-shapes.safetensors`` -- the 64 px generator, float16 (about 2 MB);
* ``shapes-classifier.safetensors`` -- the small shape classifier its quality test uses;
* ``dcgan-shapes.json`` -- the training record: settings, time, speed, final losses and
  the quality figures measured here (the same measure as the plugin's quality test).

Everything is seeded and runs on the CPU with one thread, so a run with the same
``--steps`` reproduces the weights on the same machine. ``--cpu-minutes`` caps the CPU
time (over all sessions) and ``--minutes`` the wall time of a session: the record then
says how many steps were reached, and ``--steps N --cpu-minutes 0 --minutes 0`` repeats
exactly that run. The run folder (``--out``) keeps checkpoints, sample grids
and the loss plot; running again into it resumes (resuming is exact), and the record
adds up the wall and CPU time of every session (``OUT/sessions.json``).

Usage:
    .venv/bin/python scripts/train_dcgan_shapes.py [--steps 7000] [--cpu-minutes 100]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "plugins" / "gan" / "sketchml_gan" / "weights"

# The recipe of the shipped default, and why (also written into the training record).
RECIPE = {"resolution": 64, "width": 32, "latent_dim": 100, "batch_size": 32, "lr": 0.001,
          "ema": 0.999, "shapes": 12000, "seed": 0, "upsample": "resize",
          "backgrounds": ["plain", "gradient"], "loss": "bce"}
RECIPE_WHY = """\
A DCGAN (Radford et al.) whose generator doubles its images by a nearest-neighbour
resize and a 3x3 convolution instead of a transposed convolution (no checkerboard
artefacts). Adam with the paper's betas at five times its learning rate, steadied by
averaging the generator's weights (ema 0.999) for sampling: on a CPU budget of an hour
the paper's rate had drawn only smudges by step 1,500 where this one draws shapes. It is trained on 12,000 pictures of the shapes world on plain and gradient
backgrounds: the noise backgrounds cost a small generator most of its capacity and a
newcomer looks at the shape, not the grain."""


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    from safetensors.torch import save

    from sketchml.files import atomic_write_bytes

    atomic_write_bytes(path, save(tensors, metadata=metadata))


def _atomic_text(path: Path, text: str) -> None:
    from sketchml.files import atomic_write_text

    atomic_write_text(path, text)


def _sessions(out: Path) -> list[dict[str, float]]:
    path = out / "sessions.json"
    return json.loads(path.read_text()) if path.is_file() else []


def _add_session(out: Path, *, wall: float, cpu: float, step: int) -> list[dict[str, float]]:
    """Append this run's time to ``out/sessions.json`` (a resumed run adds up) and return all."""
    path = out / "sessions.json"
    sessions = _sessions(out)
    sessions.append({"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                     "until_step": step})
    _atomic_text(path, json.dumps(sessions, indent=2) + "\n")
    return sessions


# Changes when sketchml.datasets.train_shape_classifier learns differently.
_CLASSIFIER_RECIPE = "shapes + backgrounds, noise, blobs (twice), blurred, shuffled taught to be unsure"


def _classifier(steps: int, weights: Path) -> tuple[torch.nn.Module, float]:
    """The shape classifier: one of the same recipe in ``weights`` or shipped, else trained."""
    from safetensors import safe_open

    from sketchml.datasets import ShapeClassifier, train_shape_classifier

    path = weights / "shapes-classifier.safetensors"
    for found in (path, WEIGHTS / path.name):
        if not found.is_file():
            continue
        with safe_open(str(found), framework="pt") as handle:
            meta = handle.metadata() or {}
        if meta.get("steps") == str(steps) and meta.get("seed") == "0" \
                and meta.get("recipe") == _CLASSIFIER_RECIPE:
            import sketchml as sk

            classifier = ShapeClassifier()
            classifier.load_state_dict(sk.load_weights(found))
            classifier.train_accuracy = float(meta["held_out_accuracy"])
            return classifier.eval(), float(meta["train_seconds"])
    started = time.time()
    classifier = train_shape_classifier(steps=steps, seed=0)
    seconds = time.time() - started
    _atomic_save({k: v.contiguous() for k, v in classifier.state_dict().items()}, path,
                 {"format": "sketchml.shape-classifier/1", "steps": str(steps), "seed": "0",
                  "recipe": _CLASSIFIER_RECIPE,
                  "held_out_accuracy": f"{classifier.train_accuracy:.4f}",
                  "train_seconds": f"{seconds:.1f}"})
    return classifier, seconds


def quality(generator_file: Path, classifier: torch.nn.Module, *, samples: int = 512,
            threshold: float = 0.8) -> dict[str, object]:
    """The quality bar of the plugin's test, measured on the exported file."""
    import sketchml as sk
    from sketchml.datasets import SHAPES

    gan = sk.model("dcgan", weights=generator_file, device="cpu")
    images = gan.generate(gan.sample_latent(samples, seed=0))
    classes, sure = classifier.confidence(images)
    confident = sure > threshold
    counts = torch.bincount(classes[confident], minlength=len(SHAPES))
    shares = torch.bincount(classes, minlength=len(SHAPES)).float() / samples
    return {"samples": samples, "threshold": threshold,
            "confident_fraction": round(float(confident.float().mean()), 4),
            "confident_per_shape": {name: int(c) for name, c in zip(SHAPES, counts)},
            "share_per_shape": {name: round(float(f), 4) for name, f in zip(SHAPES, shares)},
            "shapes_seen": sorted({SHAPES[int(i)] for i in classes})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "dcgan-shapes"),
                        help="run folder (checkpoints, samples, loss plot); resumes if present")
    parser.add_argument("--steps", type=int, default=7000,
                        help="optimisation steps (default 7000)")
    parser.add_argument("--minutes", type=float, default=0.0,
                        help="wall-time cap of this session in minutes; 0 for none (default 0)")
    parser.add_argument("--cpu-minutes", type=float, default=100.0,
                        help="CPU-time budget over all sessions of this run folder; 0 for none "
                             "(default 100)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--classifier-steps", type=int, default=2000,
                        help="steps for the shape classifier (default 2000)")
    parser.add_argument("--width", type=int, default=RECIPE["width"],
                        help=f"channels of the networks (default {RECIPE['width']})")
    parser.add_argument("--lr", type=float, default=RECIPE["lr"],
                        help=f"Adam learning rate (default {RECIPE['lr']})")
    parser.add_argument("--shapes", type=int, default=RECIPE["shapes"],
                        help=f"pictures of the shapes world to train on (default {RECIPE['shapes']})")
    parser.add_argument("--backgrounds", default=",".join(RECIPE["backgrounds"]),
                        help="background styles of the world, comma-separated: plain, gradient, "
                             f"noise (default {','.join(RECIPE['backgrounds'])})")
    parser.add_argument("--loss", choices=("bce", "hinge"), default=RECIPE["loss"],
                        help=f"the game's loss (default {RECIPE['loss']}; hinge: a spectrally "
                             f"normalised discriminator)")
    parser.add_argument("--upsample", choices=("transposed", "resize"),
                        default=RECIPE["upsample"],
                        help=f"the generator's upsampling (default {RECIPE['upsample']}; resize: "
                             f"nearest resize + 3x3 conv, no checkerboard artefacts)")
    parser.add_argument("--weights-dir", default=str(WEIGHTS),
                        help="where the default's files are written (default: the gan "
                             "plugin's weights folder; another folder tries a recipe without "
                             "touching the shipped files)")
    args = parser.parse_args(argv)
    recipe = {**RECIPE, "width": args.width, "upsample": args.upsample, "lr": args.lr,
              "loss": args.loss,
              "shapes": args.shapes,
              "backgrounds": [b.strip() for b in args.backgrounds.split(",") if b.strip()]}
    weights = Path(args.weights_dir)

    import sketchml as sk

    sk.set_threads(args.threads)
    from sketchml_gan.dcgan import EXPORT_NAME, train_dcgan

    from sketchml.datasets import shapes_world
    from sketchml.plugin import cpu_budget

    started, cpu_started = time.time(), time.process_time()
    should_stop = None
    if args.cpu_minutes:
        spent = sum(s["cpu_seconds"] for s in _sessions(Path(args.out)))
        if spent >= args.cpu_minutes * 60:
            raise SystemExit("The CPU budget of this run folder is spent (see its sessions.json); "
                             "raise --cpu-minutes to train further.")
        # The budget counts CPU time, not the clock: a shared machine gives a process only
        # part of a core, and the same budget should reach the same step however busy it is.
        should_stop = cpu_budget(args.cpu_minutes * 60 - spent)
    world = shapes_world(recipe["shapes"], size=recipe["resolution"], seed=recipe["seed"],
                         backgrounds=tuple(recipe["backgrounds"]))
    run, generator = train_dcgan(
        world, out=args.out, should_stop=should_stop, steps=args.steps, minutes=args.minutes or None,
        progress=None, device="cpu", sample_every=250, checkpoint_every=250,
        resolution=recipe["resolution"], width=recipe["width"],
        latent_dim=recipe["latent_dim"], batch_size=recipe["batch_size"], lr=recipe["lr"],
        ema=recipe["ema"], seed=recipe["seed"],
        upsample=recipe["upsample"], loss=recipe["loss"], flip=False)
    sessions = _add_session(Path(args.out), wall=time.time() - started,
                            cpu=time.process_time() - cpu_started, step=run.step)
    gan_seconds = sum(s["wall_seconds"] for s in sessions)
    gan_cpu = sum(s["cpu_seconds"] for s in sessions)
    if run.step == 0:
        print("No training step was taken; nothing exported.", file=sys.stderr)
        return 1

    weights.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v).contiguous()
             for k, v in generator.state_dict().items()}
    target = weights / "dcgan-shapes.safetensors"
    _atomic_save(state, target, {"format": "sketchml.dcgan/1",
                                 "config": json.dumps({**recipe, "step": run.step})})

    classifier, classifier_seconds = _classifier(args.classifier_steps, weights)

    measured = quality(target, classifier)
    # The quality test trains a second judge from scratch with another seed: so does this.
    from sketchml.datasets import train_shape_classifier

    second = quality(target, train_shape_classifier(n=2000, steps=1000, seed=7))
    last = run.history[-50:]
    record = {
        "model": "dcgan.shapes",
        "recipe": recipe,
        "why": " ".join(RECIPE_WHY.split()),
        "steps": run.step,
        "images_seen": run.step * recipe["batch_size"],
        "train_seconds": round(gan_seconds, 1),
        "train_cpu_seconds": round(gan_cpu, 1),
        "images_per_second": round(run.step * recipe["batch_size"] / gan_seconds, 1),
        "images_per_cpu_second": round(run.step * recipe["batch_size"] / gan_cpu, 1),
        "sessions": sessions,
        "threads": args.threads,
        "final_losses_mean_of_last_50": {
            key: round(sum(r[key] for r in last) / len(last), 4)
            for key in ("loss_d", "loss_g", "d_real", "d_fake")} if last else {},
        "quality": measured,
        "quality_second_judge": second,
        "classifier": {"steps": args.classifier_steps, "train_seconds": round(classifier_seconds, 1),
                       "held_out_accuracy": round(classifier.train_accuracy, 4)},
        "file_bytes": target.stat().st_size,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "reproduce": f"python scripts/train_dcgan_shapes.py --steps {run.step} --width "
                     f"{recipe['width']} --upsample {recipe['upsample']} --lr {recipe['lr']} "
                     f"--loss {recipe['loss']} --shapes {recipe['shapes']} --backgrounds {','.join(recipe['backgrounds'])} "
                     f"--minutes 0 "
                     f"--cpu-minutes 0 --out NEW_FOLDER",
        "run_folder_files": [EXPORT_NAME, "checkpoints/", "samples/", "losses.png"],
    }
    _atomic_text(weights / "dcgan-shapes.json", json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
