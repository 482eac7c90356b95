"""``sketchml walk LATENT_FILES... --out walk.mp4``: render a walk between saved latents.

Every item of every file is a keyframe, in the order given. The files' metadata
(written by ``latent.save(path)``) name the family, variant and options that made
them, so the model is built from them; ``--model`` and ``--weights`` override that
(a latent does not remember a weights file you passed to ``sk.model``, so give it
again with ``--weights``).

Examples:
    sketchml walk sunrise.safetensors storm.safetensors calm.safetensors --out walk.mp4
    sketchml walk keys.safetensors --out walk.gif --steps 30 --hold 10 --easing ease-in-out --loop
    sketchml walk mine/*.safetensors --out frames/ --model dcgan --weights runs/mine
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    from sketchml.models.base import Model
    from sketchml.models.latent import Latent

_EASINGS = ("linear", "ease-in", "ease-out", "ease-in-out", "sine")


def register(subparsers: Any) -> None:
    """Add the ``walk`` sub-command."""
    parser = subparsers.add_parser(
        "walk",
        help="render a latent walk between saved latents to MP4, GIF or PNG frames",
        description=(
            "Walk through the keyframes in LATENT_FILES (saved with latent.save(path); every "
            "item of every file is a keyframe, in order) and write the frames to --out: a "
            ".mp4, a .gif, a frames/f-####.png pattern or a folder. The model is the one named "
            "in the files' metadata unless --model says otherwise."
        ),
    )
    parser.add_argument("latents", nargs="*", metavar="LATENT_FILES",
                        help="latent files (.safetensors) written by latent.save(path)")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="walk.mp4, walk.gif, frames/f-####.png or a folder")
    parser.add_argument("--steps", type=int, default=60, metavar="N",
                        help="frames from one keyframe to the next, both included (default 60)")
    parser.add_argument("--hold", type=int, default=0, metavar="N",
                        help="extra frames to stay on each keyframe (default 0)")
    parser.add_argument("--easing", default="linear", metavar="E",
                        help=f"speed curve within each segment: {', '.join(_EASINGS)} "
                             "(default linear)")
    parser.add_argument("--fps", type=float, default=30.0, metavar="F",
                        help="frames per second of the video (default 30)")
    parser.add_argument("--loop", action="store_true",
                        help="walk back to the first keyframe, for a seamless loop")
    parser.add_argument("--batch", type=int, default=8, metavar="B",
                        help="frames generated at once (default 8; more on a GPU)")
    parser.add_argument("--model", metavar="NAME",
                        help="family or family.variant to render with (default: from the files)")
    parser.add_argument("--weights", metavar="PATH",
                        help="weights file or training folder for the model")
    parser.add_argument("--device", metavar="DEV", help="cpu, cuda, cuda:1, mps (default: best)")
    parser.add_argument("--size", type=int, metavar="PX",
                        help="scale the frames so their longer side is PX (default: the "
                             "model's own size)")
    parser.add_argument("--resample", default="lanczos",
                        choices=("lanczos", "bicubic", "bilinear", "nearest"),
                        help="how --size scales (default lanczos: smooth; nearest: pixel blocks)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the latents, build the model and write the walk; exit code 0 when written."""
    import sketchml as sk

    if not args.latents:
        raise SketchmlError(
            "sketchml walk needs latent files: save keyframes with latent.save('a.safetensors') "
            "and run `sketchml walk a.safetensors b.safetensors --out walk.mp4`."
        )
    latents = [sk.load_latent(path) for path in args.latents]
    model = _model(latents, args)
    keyframes = sk.Latent.cat([latent.to("cpu") for latent in latents])
    if len(keyframes) < 2:
        raise SketchmlError(
            f"{args.latents[0]} holds one latent, and a walk needs at least 2 keyframes: give "
            "more files, or a file saved from model.sample_latent(n) with n >= 2."
        )
    written = sk.walk(model, keyframes, args.out, steps=args.steps, hold=args.hold,
                      easing=args.easing, loop=args.loop, fps=args.fps, batch=args.batch,
                      size=args.size, resample=args.resample)
    print(f"Walked through {len(keyframes)} keyframes of {model.name}: {written}")
    return 0


def _model(latents: list[Latent], args: argparse.Namespace) -> Model:
    """The model named by ``--model`` or by the latents' metadata (one family for all)."""
    import sketchml as sk

    families = {latent.family for latent in latents}
    first = latents[0]
    if args.model:
        family = args.model.partition(".")[0]
        options = first.options if first.family == family else {}
        return sk.model(args.model, weights=args.weights, device=args.device, **options)
    if None in families:
        nameless = next(p for p, lat in zip(args.latents, latents, strict=True) if lat.family is None)
        raise SketchmlError(
            f"{nameless} does not say which model made it (no family in its metadata); name "
            "one with --model, e.g. --model dcgan."
        )
    if len(families) > 1:
        listing = ", ".join(f"{p} ({lat.family})" for p, lat in zip(args.latents, latents, strict=True))
        raise SketchmlError(
            f"These latents come from different model families: {listing}. A walk runs through "
            "one family's latent space: give files of one family, or pick one with --model."
        )
    name = first.family if first.variant is None else f"{first.family}.{first.variant}"
    return sk.model(name, weights=args.weights, device=args.device, **first.options)
