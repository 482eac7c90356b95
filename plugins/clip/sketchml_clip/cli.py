"""``sketchml guide "PROMPT" --out DIR``: text-to-image by CLIP guidance, one prompt or a file.

The clip plugin adds this command through the ``sketchml_register_commands`` hook, with
the flags of the generators it steers (BigGAN's ``--label``, StyleGAN2's ``--space``...).

One prompt renders into ``DIR`` as a PNG, its latent (``.safetensors``) and its settings
(``.json``). ``--prompts FILE`` renders every line of FILE the same way, skips the prompts
already rendered there (so an interrupted run resumes), reports blank and malformed
lines with their numbers while the rest render, and writes ``DIR/contact-sheet.png``.

Examples:
    sketchml guide "a red circle" --out renders --steps 60
    sketchml guide "a lighthouse:1 | fog:0.5 | text:-1" --model biggan.deep-256 --clip clip.ViT-B-32.openai --out renders
    sketchml guide --prompts prompts.txt --out renders --model fourier --steps 100
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from sketchml.plugin import SketchmlError, guide_prompts, result_name

_OPTIMISERS = ("adam", "cma", "cma+adam")


def register(subparsers: Any) -> None:
    """Add the ``guide`` sub-command."""
    parser = subparsers.add_parser(
        "guide",
        help="text-to-image: steer a generator or a picture towards a prompt with CLIP",
        description=(
            "Steer a generator (or a picture's pixels) towards PROMPT with CLIP guidance and "
            "save the best picture, its latent and its settings in --out. A prompt is parts "
            "separated by '|', each with an optional ':weight' (negative steers away), e.g. "
            "'a lighthouse:1 | fog:0.5 | text:-1'. With --prompts FILE every line of FILE is "
            "rendered, finished ones are skipped when run again, and a contact sheet is written."
        ),
    )
    parser.add_argument("prompt", nargs="?", help="the prompt (or use --prompts FILE)")
    parser.add_argument("--prompts", metavar="FILE", help="a file of prompts, one per line")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    parser.add_argument("--model", default="fourier", metavar="NAME",
                        help="fourier, pixels, pixelart, or a generator such as dcgan, "
                             "biggan.deep-256, stylegan2 (default fourier)")
    parser.add_argument("--weights", metavar="PATH", help="weights file or folder for --model")
    parser.add_argument("--clip", default="clip", metavar="NAME",
                        help="the CLIP model (default clip: the tiny one that runs offline; "
                             "e.g. clip.ViT-B-32.openai)")
    parser.add_argument("--clip-weights", metavar="PATH", help="weights file for --clip")
    parser.add_argument("--steps", type=int, default=100, metavar="N",
                        help="optimiser steps or CMA-ES generations (default 100)")
    parser.add_argument("--optimiser", "--optimizer", default="adam", choices=_OPTIMISERS,
                        help="adam (gradients), cma (CMA-ES, no gradients) or cma+adam")
    parser.add_argument("--lr", type=float, metavar="LR", help="Adam's step size")
    parser.add_argument("--cutouts", type=int, default=16, metavar="N",
                        help="crops CLIP looks at per step (default 16)")
    parser.add_argument("--cut-size", type=float, nargs=2, default=(0.8, 1.0),
                        metavar=("MIN", "MAX"), help="view side as a fraction (default 0.8 1.0)")
    parser.add_argument("--no-augment", action="store_true",
                        help="no turns, slides, flips or noise on cutouts")
    parser.add_argument("--tv", type=float, default=0.0, help="total-variation weight (smoother)")
    parser.add_argument("--latent-norm", type=float, default=0.0,
                        help="weight keeping the latent where the generator was trained")
    parser.add_argument("--population", type=int, default=16, metavar="N",
                        help="CMA-ES candidates per generation (default 16)")
    parser.add_argument("--size", type=int, metavar="PX",
                        help="size of the saved picture: pixels/fourier/pixelart are made at "
                             "this size; a generator's picture is scaled up to it (--resample)")
    parser.add_argument("--resample", default="lanczos",
                        choices=("lanczos", "bicubic", "bilinear", "nearest"),
                        help="how --size scales a generator's picture (default lanczos: smooth; "
                             "nearest: pixel blocks)")
    parser.add_argument("--label", metavar="CLASS", help="BigGAN: the class to start from")
    parser.add_argument("--truncation", type=float, metavar="T", help="BigGAN: truncation")
    parser.add_argument("--space", choices=("w", "w+"), help="StyleGAN2: steer W or W+")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0): same seed, same picture")
    parser.add_argument("--device", metavar="DEV", help="cpu, cuda, cuda:1, mps (default: best)")
    parser.set_defaults(func=run)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    latent_options = {key: value for key, value in
                      (("label", args.label), ("truncation", args.truncation), ("space", args.space))
                      if value is not None}
    options: dict[str, Any] = {
        "model": args.model, "clip": args.clip, "steps": args.steps, "optimiser": args.optimiser,
        "cutouts": args.cutouts, "cut_size": tuple(args.cut_size), "augment": not args.no_augment,
        "tv": args.tv, "latent_norm": args.latent_norm, "seed": args.seed,
    }
    if args.optimiser != "adam":
        options["population"] = args.population
    size = None if _scaled_on_save(args) else args.size
    for key, value in (("lr", args.lr), ("size", size), ("weights", args.weights),
                       ("clip_weights", args.clip_weights), ("device", args.device)):
        if value is not None:
            options[key] = value
    if latent_options:
        options["latent_options"] = latent_options
    return options


def _scaled_on_save(args: argparse.Namespace) -> bool:
    """True when --size scales the saved picture: a generator makes its own size."""
    from sketchml_clip.params import PARAMETERISATIONS

    return args.size is not None and args.model not in PARAMETERISATIONS


def run(args: argparse.Namespace) -> int:
    """Render the prompt or the prompts file; exit code 0 when every prompt rendered."""
    from pathlib import Path

    import sketchml as sk

    if (args.prompt is None) == (args.prompts is None):
        raise SketchmlError(
            "sketchml guide needs one prompt or a file of them: `sketchml guide \"a red circle\" "
            "--out renders` or `sketchml guide --prompts prompts.txt --out renders`.")
    options = _options(args)
    save_size = args.size if _scaled_on_save(args) else None
    if args.prompt is not None:
        result = sk.guide(args.prompt, **options).run()
        written = result.save(Path(args.out) / result_name(args.prompt, options),
                              size=save_size, resample=args.resample)
        print(f"{written} (loss {result.loss:.4f} at step {result.step})")
        return 0

    def show(number: int, status: str, detail: Any) -> None:
        if status == "problem":
            print(f"{args.prompts}:{number}: {detail}", file=sys.stderr)
        else:
            print(f"line {number}: {status} {detail}")

    batch = guide_prompts(args.prompts, out=args.out, on_line=show, save_size=save_size,
                          resample=args.resample, **options)
    print(f"{len(batch.rendered)} rendered, {len(batch.resumed)} already done, "
          f"{len(batch.problems)} line(s) with problems"
          + (f"; contact sheet: {batch.sheet}" if batch.sheet else ""))
    return 1 if batch.malformed else 0
