"""Train the embedded default ``autoencoder.faces`` (a VAE) on sketchml's faces world, reproducibly.

Writes, inside the image plugin (``plugins/image/sketchml_image/weights/``):

* ``autoencoder-faces.safetensors`` -- the 64 px VAE, float16, its settings in the header;
* ``autoencoder-faces.json`` -- the training record: recipe, steps, wall and CPU time, the
  last losses, and the quality figures measured here with the same measures as the
  plugin's quality test (held-out reconstruction error against the mean-image baseline,
  and the share of decoded prior samples a face checker trained with negatives accepts).

Seeded, on the CPU with one thread. The run folder (``--out``) keeps checkpoints, sample
grids and the loss plot; running again into it resumes.

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_autoencoder_faces.py [--steps 1500]
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "plugins" / "image" / "sketchml_image" / "weights"

# The recipe of the shipped default.
RECIPE = {"kind": "vae", "resolution": 64, "latent_dim": 32, "width": 32, "batch_size": 64,
          "lr": 0.001, "beta": 1.0, "faces": 6000, "seed": 0}


def measure(model, *, held: int = 256, samples: int = 128) -> dict[str, float]:
    """The quality figures of the plugin's test, on faces no model trained on (seed 500)."""
    from sketchml.datasets import faces_world, train_face_checker

    world = faces_world(held, size=model.resolution, seed=500).images
    train_mean = faces_world(2000, size=model.resolution, seed=0).images.mean(0, keepdim=True)
    made = model.generate(model.encode(world))
    checker = train_face_checker()
    faces = model.generate(model.sample_latent(samples, seed=1))
    return {
        "held_out_mse": round(float((made - world).pow(2).mean()), 5),
        "mean_image_mse": round(float((train_mean - world).pow(2).mean()), 5),
        "prior_samples_accepted": round(float((checker.face_probability(faces) > 0.5)
                                              .float().mean()), 3),
        "checker_accuracy": round(float(checker.accuracy), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", default=str(ROOT / "runs" / "autoencoder-faces"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    import sketchml as sk
    from sketchml_image.autoencoder import AutoencoderTraining, _export, train_autoencoder

    started, cpu_started = time.monotonic(), time.process_time()
    settings = AutoencoderTraining(steps=args.steps, progress=True, **RECIPE)
    run, network, config = train_autoencoder("faces", out=args.out, settings=settings,
                                             device="cpu")
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    target = WEIGHTS / "autoencoder-faces.safetensors"
    _export(network, target, config={**config, "step": run.step}, half=True)
    model = sk.model("autoencoder", weights=target, device="cpu")
    record = {
        "recipe": RECIPE, "steps": run.step, "wall_minutes": round(wall / 60, 2),
        "cpu_minutes": round(cpu / 60, 2), "last": run.history[-1] if run.history else {},
        "quality": measure(model), "torch": torch.__version__, "machine": platform.machine(),
        "script": "scripts/train_autoencoder_faces.py",
    }
    from sketchml.files import atomic_write_text

    atomic_write_text(WEIGHTS / "autoencoder-faces.json", json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
