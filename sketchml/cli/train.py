"""``sketchml train FAMILY DATA --out DIR``: train a model family on your own data.

It calls ``sk.model(FAMILY).train(DATA, out=DIR, ...)``, passing only the options
given on the command line, so each family keeps its own defaults; options without
a flag of their own go through ``--option NAME=VALUE`` (repeatable). Training into
a folder that holds a run resumes it; Ctrl-C saves a checkpoint first.

Examples:
    sketchml train dcgan my_photos/ --out runs/photos --resolution 64 --steps 5000
    sketchml train dcgan my_video.mp4 --out runs/video --option frames=500
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from sketchml.errors import SketchmlError


def register(subparsers: Any) -> None:
    """Add the ``train`` sub-command."""
    parser = subparsers.add_parser(
        "train",
        help="train a model family on a folder of images, a video, a text file ...",
        description=(
            "Train FAMILY (see `sketchml models`; e.g. dcgan) on DATA, writing checkpoints, "
            "samples, the loss plot and the trained weights into --out. Run it again with the "
            "same --out to resume. Load the result with sk.model(FAMILY, weights=OUT)."
        ),
    )
    parser.add_argument("family", help="model family (or family.variant), e.g. dcgan")
    parser.add_argument("data", help="what to train on: a folder, a file, or a name the family "
                                     "knows (dcgan: 'shapes')")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the run")
    parser.add_argument("--steps", type=int, metavar="N", help="optimisation steps in all")
    parser.add_argument("--resolution", type=int, metavar="PX", help="image size, e.g. 64")
    parser.add_argument("--batch-size", type=int, metavar="B", help="examples per step")
    parser.add_argument("--seed", type=int, metavar="S", help="seed for weights, noise and order")
    parser.add_argument("--sample-every", type=int, metavar="N",
                        help="write samples every N steps")
    parser.add_argument("--minutes", type=float, metavar="M",
                        help="stop (and save) after M minutes; run again to go on")
    parser.add_argument("--device", metavar="DEV", help="cpu, cuda, cuda:1, mps (default: best)")
    parser.add_argument("--base", metavar="MODEL",
                        help="weights to start from, for families that fine-tune "
                             "(gpt2: tiny, gpt2, a hub id or a folder)")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="any other option of the family's train(), e.g. --option lr=0.001")
    parser.set_defaults(func=run)


def parse_option(text: str) -> tuple[str, Any]:
    """``"name=value"`` -> ``(name, value)``; the value is read as JSON when it can be.

    Examples:
        >>> parse_option("lr=0.001"), parse_option("flip=true"), parse_option("data=faces")
        (('lr', 0.001), ('flip', True), ('data', 'faces'))
    """
    name, sep, raw = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name.isidentifier():
        raise SketchmlError(f"--option {text!r}: expected NAME=VALUE, e.g. --option lr=0.001.")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


def run(args: argparse.Namespace) -> int:
    """Build the model and train it; exit code 0 when training ended (finished or stopped)."""
    import sketchml as sk

    options: dict[str, Any] = {}
    for flag in ("steps", "resolution", "batch_size", "seed", "sample_every", "minutes", "base"):
        value = getattr(args, flag)
        if value is not None:
            options[flag] = value
    for text in args.option:
        name, value = parse_option(text)
        if name in ("out", "data"):
            raise SketchmlError(f"--option {name}=... is given as a positional argument or --out.")
        options[name] = value
    model = sk.model(args.family, device=args.device)
    if not model.can("train"):
        raise SketchmlError(
            f"The {model.family!r} model family cannot be trained (its verbs: "
            f"{', '.join(model.verbs())}). `sketchml models` shows which families have 'train'."
        )
    result = model.train(args.data, out=args.out, **options)
    step = getattr(result, "step", None)
    done = f" at step {step}" if step is not None else ""
    print(f"Training of {model.name}{done} saved in {args.out}. Load it with "
          f"sk.model({model.family!r}, weights={args.out!r}).")
    return 0
