"""``sketchml train FAMILY DATA --out DIR``: train a model family on your own data.

The flags after FAMILY are the family's own: every field of its training settings
(``Model.TrainSettings``, a :class:`sketchml.training.TrainSettings` dataclass) is a flag
with the help text written there, so ``sketchml train dcgan --help`` lists dcgan's and
``sketchml train gpt2 --help`` gpt2's (``--base`` among them). Only the flags given are
passed to ``sk.model(FAMILY).train(DATA, out=DIR, ...)``, so each family keeps its
defaults; ``--option NAME=VALUE`` (repeatable) passes any other value as JSON. Training
into a folder that holds a run resumes it; Ctrl-C saves a checkpoint first.

Examples:
    sketchml train dcgan my_photos/ --out runs/photos --resolution 64 --steps 5000
    sketchml train dcgan my_video.mp4 --out runs/video --frames 500
    sketchml train gpt2 poems.txt --out runs/poems --base gpt2
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from sketchml.errors import SketchmlError


def register(subparsers: Any) -> None:
    """Add the ``train`` sub-command (its flags come from the family named after it)."""
    parser = subparsers.add_parser(
        "train", add_help=False,
        help="train a model family on a folder of images, a video, a text file ...",
        description=_DESCRIPTION,
    )
    parser.add_argument("family", nargs="?", help="model family (or family.variant), e.g. dcgan")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


_DESCRIPTION = ("Train FAMILY (see `sketchml models`; e.g. dcgan) on DATA, writing checkpoints, "
                "samples, the loss plot and the trained weights into --out. Run it again with the "
                "same --out to resume. Load the result with sk.model(FAMILY, weights=OUT). "
                "`sketchml train FAMILY --help` lists the family's own flags.")


def family_parser(family: str, settings: Any) -> argparse.ArgumentParser:
    """The parser of ``sketchml train FAMILY``: DATA, --out, --device and the family's settings.

    Examples:
        >>> from sketchml.training import TrainSettings
        >>> args = family_parser("noise", TrainSettings).parse_args(["x/", "--out", "r", "--steps", "5"])
        >>> args.data, args.out, args.steps
        ('x/', 'r', 5)
    """
    parser = argparse.ArgumentParser(prog=f"sketchml train {family}", description=_DESCRIPTION)
    parser.add_argument("data", help="what to train on: a folder, a file, or a name the family "
                                     "knows (image families: 'shapes')")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the run")
    parser.add_argument("--device", metavar="DEV", help="cpu, cuda, cuda:1, mps (default: best)")
    settings.add_arguments(parser)
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="any other option of the family's train(), as JSON, e.g. "
                             "--option lr=0.001")
    return parser


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
    from sketchml.models.registry import default_registry

    if args.family is None or args.family in ("-h", "--help"):
        trainable = sorted({e.name.split(".", 1)[0] for e in sk.models() if "train" in e.verbs})
        print(f"usage: sketchml train FAMILY DATA --out DIR [FAMILY's flags]\n\n{_DESCRIPTION}\n\n"
              f"Families that train: {', '.join(trainable) or 'none installed'}.")
        return 0 if args.family else 2
    from sketchml.training.settings import TrainSettings

    cls = default_registry().family_class(args.family)
    if "train" not in cls.verbs():
        raise SketchmlError(
            f"The {args.family!r} model family cannot be trained (its verbs: "
            f"{', '.join(cls.verbs())}). `sketchml models` shows which families have 'train'."
        )
    # A family without its own settings dataclass gets the shared flags.
    settings = cls.TrainSettings or TrainSettings
    parsed = family_parser(args.family, settings).parse_args(args.rest)
    options = settings.given(parsed)
    for text in parsed.option:
        name, value = parse_option(text)
        if name in ("out", "data"):
            raise SketchmlError(f"--option {name}=... is given as a positional argument or --out.")
        options[name] = value
    model = sk.model(args.family, device=parsed.device)
    result = model.train(parsed.data, out=parsed.out, **options)
    step = getattr(result, "step", None)
    done = f" at step {step}" if step is not None else ""
    print(f"Training of {model.name}{done} saved in {parsed.out}. Load it with "
          f"sk.model({model.family!r}, weights={parsed.out!r}).")
    return 0
