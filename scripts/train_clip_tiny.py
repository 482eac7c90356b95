"""Train the embedded tiny CLIP (``clip.tiny``) on sketchml's shapes world, reproducibly.

Writes, inside the clip plugin (``plugins/clip/sketchml_clip/weights/``):

* ``clip-tiny.safetensors`` -- open_clip's CLIP at toy scale, float16, with its config (the
  architecture, its BPE token list, templates, mean/std) in the file's metadata;
* ``clip-tiny.json`` -- the training record: recipe, time, speed, final loss and the zero-shot
  accuracies (shape words, colour words) measured on freshly drawn held-out shapes, the bound
  the plugin's quality test checks against.

Training is contrastive (CLIP's symmetric cross-entropy; captions that read the same in one
batch count as matches of each other's images) on pictures of the shapes world and captions
phrased many ways from their labels ("a red star", "a picture of a large red star on a blue
background, top left", "a red shape" ...). Everything is seeded and runs on the CPU with one
thread by default. ``--minutes`` caps the wall time: the record then says how many steps were
reached, and ``--steps N --minutes 0`` repeats exactly that run. The run folder (``--out``)
keeps checkpoints and the loss plot; running again into it resumes.

Usage:
    .venv/bin/python scripts/train_clip_tiny.py [--steps 2500] [--minutes 40]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "plugins" / "clip" / "sketchml_clip" / "weights"

# The recipe of the shipped default. Pictures are drawn at 64 px and shrunk to the model's
# 32 px the way CLIP.preprocess does, then zoomed and shifted a little: guidance shows the
# model crops ("cutouts") of its images, so it should not depend on exact framing.
RECIPE = {"pictures": 16000, "draw_size": 64, "world_seed": 0, "batch_size": 128, "lr": 2e-3,
          "weight_decay": 0.05, "warmup": 100, "min_zoom": 0.75, "seed": 0}

# The held-out evaluation: a world with a seed no training picture comes from.
EVAL = {"pictures": 500, "world_seed": 90210, "size": 64}


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the record ships with the plugin
    os.replace(tmp, path)


def phrase(label: dict, draws: list[float]) -> str:
    """A caption for ``label``, worded by eight uniform random numbers ``draws``.

    A third of the captions name only the shape and some only the colour: with nothing else
    to go on, those teach each word on its own (zero-shot prompts name one thing).

    Examples:
        >>> label = {"shape": "star", "fill": "red", "size_word": "large",
        ...          "background": "blue", "position": "top left",
        ...          "caption": "a large red star on a blue background, top left"}
        >>> phrase(label, [0.9] * 8)
        'a red star'
    """
    full, picture, size, mode, generic, background, position, _ = draws
    if full < 0.1:
        return label["caption"]
    words = ["a picture of a" if picture < 0.3 else "a"]
    if size < 0.25:
        words.append(label["size_word"])
    if mode < 0.35:
        words.append(label["shape"])
    elif mode < 0.5:
        words += [label["fill"], "shape"] if generic < 0.5 else [label["fill"]]
    else:
        words += [label["fill"], label["shape"]]
    text = " ".join(words)
    if background < 0.3:
        text += f" on a {label['background']} background"
    if position < 0.2:
        text += f", {label['position']}"
    return text


def _contrastive_loss(images: torch.Tensor, texts: torch.Tensor, scale: torch.Tensor,
                      captions: list[str]) -> torch.Tensor:
    """CLIP's symmetric loss, with every identical caption in the batch a positive."""
    ids = {caption: i for i, caption in enumerate(dict.fromkeys(captions))}
    which = torch.tensor([ids[c] for c in captions])
    same = (which[:, None] == which[None, :]).float()
    targets = same / same.sum(dim=1, keepdim=True)
    logits = scale * images @ texts.T
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def _zoom(images: torch.Tensor, min_zoom: float) -> torch.Tensor:
    """Each picture seen through a random square window of ``min_zoom``..1 of its side."""
    n = images.shape[0]
    scale = torch.empty(n).uniform_(min_zoom, 1.0)
    shift = (torch.rand(n, 2) * 2 - 1) * (1 - scale)[:, None]
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = scale
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def zero_shot(clip, pictures: int = EVAL["pictures"], seed: int = EVAL["world_seed"],
              size: int = EVAL["size"]) -> dict[str, float]:
    """Zero-shot accuracies of ``clip`` on freshly drawn shapes: shape words and colour words."""
    from sketchml.datasets import COLORS, SHAPES, shapes_world

    world = shapes_world(pictures, size=size, seed=seed)
    shapes = clip.classify(world.images, list(SHAPES)).labels
    colours = clip.classify(world.images, list(COLORS)).labels
    n = len(world)
    return {
        "shape": round(sum(p == l["shape"] for p, l in zip(shapes, world.labels)) / n, 4),
        "colour": round(sum(p == l["fill"] for p, l in zip(colours, world.labels)) / n, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "clip-tiny"),
                        help="run folder (checkpoints, loss plot); resumes if present")
    parser.add_argument("--steps", type=int, default=2500, help="optimisation steps (default 2500)")
    parser.add_argument("--minutes", type=float, default=40.0,
                        help="wall-time cap in minutes; 0 for none (default 40)")
    parser.add_argument("--until", type=int, default=0,
                        help="stop after this step, keeping the schedule of --steps (repeats a "
                             "run that --minutes cut short)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--weights", default=str(WEIGHTS / "clip-tiny.safetensors"),
                        help="where to write the weights (the record goes beside them)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    import sketchml as sk
    from sketchml.datasets import shapes_world
    from sketchml.training import TrainingRun, seed_everything
    from sketchml_clip.clip import (TINY_ARCH, _bpe_tokenizer, _token_map, build_tiny, save_tiny,
                                    tiny_tokens)

    started = time.monotonic()
    world = shapes_world(RECIPE["pictures"], size=RECIPE["draw_size"], seed=RECIPE["world_seed"])
    side = TINY_ARCH["vision_cfg"]["image_size"]
    pictures = F.interpolate(world.images, size=(side, side), mode="bicubic", antialias=True,
                             align_corners=False).clamp(0, 1)
    mean = torch.tensor((0.48145466, 0.4578275, 0.40821073)).view(1, 3, 1, 1)
    std = torch.tensor((0.26862954, 0.26130258, 0.27577711)).view(1, 3, 1, 1)
    draw_seconds = time.monotonic() - started

    tokens = tiny_tokens()
    token_map = _token_map(tokens)
    tokenizer = _bpe_tokenizer()
    context = TINY_ARCH["text_cfg"]["context_length"]
    seed_everything(RECIPE["seed"])
    network = build_tiny(tokens)
    # Weight decay on matrices only, as CLIP does: not on gains, biases, embeddings or the scale.
    decay = [p for n, p in network.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    rest = [p for n, p in network.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": RECIPE["weight_decay"]},
                                   {"params": rest, "weight_decay": 0.0}], lr=RECIPE["lr"])

    def schedule(step: int) -> float:
        if step < RECIPE["warmup"]:
            return (step + 1) / RECIPE["warmup"]
        progress = (step - RECIPE["warmup"]) / max(1, args.steps - RECIPE["warmup"])
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    run = TrainingRun(out=args.out, model=network, optimizers=optimiser, schedulers=scheduler,
                      steps=args.steps, seed=RECIPE["seed"], device="cpu",
                      checkpoint_every=250, config={**RECIPE, "arch": TINY_ARCH})
    dataset = torch.utils.data.TensorDataset(torch.arange(len(world)))
    started = time.monotonic()
    for step, (index,) in run.loop(dataset, batch_size=RECIPE["batch_size"]):
        if (args.minutes and time.monotonic() - started > args.minutes * 60) or \
                (args.until and step > args.until):
            break
        images = (_zoom(pictures[index], RECIPE["min_zoom"]) - mean) / std
        draws = torch.rand(len(index), 8).tolist()
        captions = [phrase(world.labels[i], d) for i, d in zip(index.tolist(), draws)]
        text = token_map[tokenizer(captions, context_length=context)]
        image_features = F.normalize(run.model.encode_image(images), dim=-1)
        text_features = F.normalize(run.model.encode_text(text), dim=-1)
        loss = _contrastive_loss(image_features, text_features, network.logit_scale.exp(), captions)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        scheduler.step()
        with torch.no_grad():
            network.logit_scale.clamp_(0, math.log(100))  # CLIP's cap on the temperature
        run.log(loss=loss, scale=network.logit_scale.exp())
    train_seconds = time.monotonic() - started
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    if run.step == 0:
        print("No training step was taken; nothing exported.", file=sys.stderr)
        return 1

    target = Path(args.weights)
    save_tiny(network, target, tokens=tokens)
    clip = sk.model("clip", weights=target, device="cpu")
    accuracy = zero_shot(clip)
    last = run.history[-50:]
    record = {
        "model": "clip.tiny",
        "recipe": RECIPE,
        "arch": TINY_ARCH,
        "vocabulary_tokens": len(tokens),
        "parameters": sum(p.numel() for p in network.parameters()),
        "steps": run.step,
        "images_seen": run.step * RECIPE["batch_size"],
        "draw_seconds": round(draw_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "images_per_second": round(run.step * RECIPE["batch_size"] / max(train_seconds, 1e-9), 1),
        "threads": args.threads,
        "final_loss_mean_of_last_50": round(sum(r["loss"] for r in last) / len(last), 4),
        "zero_shot": {**accuracy, "pictures": EVAL["pictures"], "world_seed": EVAL["world_seed"],
                      "size": EVAL["size"], "templates": list(clip.templates),
                      "chance": {"shape": round(1 / 5, 4), "colour": round(1 / 9, 4)}},
        "file_bytes": target.stat().st_size,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "reproduce": f"python scripts/train_clip_tiny.py --steps {args.steps} --until {run.step} "
                     "--minutes 0 --out NEW_FOLDER",
    }
    _atomic_text(target.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
