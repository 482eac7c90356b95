"""Train the embedded default ``pix2pix.room``: outlines -> the stand-in webcam's room, reproducibly.

The stand-in clip (``sketchml.datasets.scene_clip``, seed 0) is what the camera sketches play
where there is no camera; this model paints it back from its outlines, so
``sketches/pix2pix_webcam.py`` works at once on a fresh machine. Writes, inside the image
plugin (``plugins/image/sketchml_image/weights/``):

* ``pix2pix-room.safetensors`` -- the 64 px U-Net (6 levels, width 16), float16, with its
  settings (input transform ``edges``) in the header;
* ``pix2pix-room.json`` -- the training record: recipe, steps, wall and CPU time, the last
  losses, and the quality measured as the plugin's test does: the L1 error on the frames
  left out of training (every 8th) against the identity and mean-frame baselines.

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_pix2pix_room.py [--steps 1500]
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

RECIPE = {"input": "edges", "resolution": 64, "width": 16, "batch_size": 4, "lr": 0.0002,
          "l1": 100.0, "seed": 0, "frames": 240, "clip_size": 128}


def frames() -> tuple[torch.Tensor, torch.Tensor]:
    """The clip's frames ``(train, held_out)``, every 8th frame held out."""
    from sketchml.datasets import scene_frames

    clip = scene_frames(RECIPE["frames"], size=RECIPE["clip_size"], seed=0)
    pictures = torch.from_numpy(clip).permute(0, 3, 1, 2).float() / 255
    held = torch.arange(len(pictures)) % 8 == 0
    return pictures[~held], pictures[held]


def measure(model, train: torch.Tensor, held: torch.Tensor) -> dict[str, float]:
    from sketchml_image.pix2pix import _fit

    target = _fit(held, model.resolution)
    made = model.generate(held)
    mean = _fit(train, model.resolution).mean(0, keepdim=True)
    return {"held_out_l1": round(float((made - target).abs().mean()), 4),
            "identity_l1": round(float((model.prepare(held) - target).abs().mean()), 4),
            "mean_frame_l1": round(float((mean - target).abs().mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", default=str(ROOT / "runs" / "pix2pix-room"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    import sketchml as sk
    from sketchml_image.pix2pix import _export, train_pix2pix

    train, held = frames()
    started, cpu_started = time.monotonic(), time.process_time()
    run, generator, config = train_pix2pix(
        train, out=args.out, input=RECIPE["input"], steps=args.steps,
        batch_size=RECIPE["batch_size"], resolution=RECIPE["resolution"],
        width=RECIPE["width"], lr=RECIPE["lr"], l1=RECIPE["l1"], seed=RECIPE["seed"],
        progress=True, device="cpu")
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    target = WEIGHTS / "pix2pix-room.safetensors"
    _export(generator, target, config={**config, "step": run.step}, half=True)
    model = sk.model("pix2pix", weights=target, device="cpu")
    record = {
        "recipe": RECIPE, "steps": run.step, "wall_minutes": round(wall / 60, 2),
        "cpu_minutes": round(cpu / 60, 2), "last": run.history[-1] if run.history else {},
        "quality": measure(model, train, held), "torch": torch.__version__,
        "machine": platform.machine(), "script": "scripts/train_pix2pix_room.py",
    }
    from sketchml.files import atomic_write_text

    atomic_write_text(WEIGHTS / "pix2pix-room.json", json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
