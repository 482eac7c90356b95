"""Does CLIP guidance with the embedded tiny CLIP draw the colour and shape a prompt names?

For each colour+shape prompt, seed and kind of picture (``dcgan.shapes``, ``pixels``,
``fourier``) this runs ``clip.guide(prompt, model=..., seed=...)`` with the shipped defaults
and asks two judges that are not CLIP (``plugins/clip/tests/prompt_judge.py``): the shipped
shape classifier names the shape, and a foreground/background split measures the colour of
the shape. It prints one row per prompt and picture kind (how many seeds passed, and what
each seed showed), the totals, the machine's load, and which classifier and generator files
(by git commit) the figures used. ``--sheet`` writes the pictures as one grid PNG: a row per
prompt and picture kind, a column per seed.

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python scripts/guidance_table.py [--steps N] [--seeds 4]
        [--cutouts N] [--models dcgan.shapes pixels fourier] [--sheet table.png]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins" / "clip" / "tests"))

PROMPTS = ("a red circle", "a blue square", "a green triangle", "a yellow star", "a white cross",
           "a purple circle", "an orange star", "a pink triangle", "a black square")
"""Every shape and every colour of the shapes world at least once."""

MODELS = ("dcgan.shapes", "pixels", "fourier")


def last_commit(path: Path) -> str:
    """The short hash of the last commit that changed ``path`` (``+`` when it differs from it)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("log", "-1", "--format=%h", "--", str(path)) or "uncommitted"
    dirty = git("status", "--porcelain", "--", str(path))
    return commit + ("+ (changed since)" if dirty else "")


def run(clip, prompts, models, seeds, options):
    """``{(prompt, model): [(image, verdict), ...]}`` over ``seeds``."""
    from prompt_judge import judge, parse

    import sketchml as sk

    table = {}
    for model in models:
        generator = sk.model(model, device="cpu") if "." in model else model
        for prompt in prompts:
            images = torch.cat([clip.guide(prompt, model=generator, seed=seed, **options)
                                .run(progress=False).image.as_subclass(torch.Tensor)
                                for seed in seeds])
            verdicts = judge(images, [parse(prompt)] * len(seeds))
            table[prompt, model] = list(zip(images, verdicts))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="guidance steps (default: guide's)")
    parser.add_argument("--cutouts", type=int, default=None, help="cutouts (default: guide's)")
    parser.add_argument("--seeds", type=int, default=4, help="seeds per prompt (0 .. N-1)")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--prompts", nargs="+", default=list(PROMPTS))
    parser.add_argument("--sheet", type=Path, help="write the pictures as one grid PNG")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    import sketchml as sk
    from prompt_judge import classifier_path

    clip = sk.model("clip", device="cpu")
    options = {key: value for key, value in (("steps", args.steps), ("cutouts", args.cutouts))
               if value is not None}
    started, cpu = time.monotonic(), time.process_time()
    load_before = os.getloadavg()
    table = run(clip, args.prompts, args.models, range(args.seeds), options)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu

    width = max(len(p) for p in args.prompts)
    print(f"{'prompt':<{width}}  {'picture':<12} passed  what each seed showed")
    totals: dict[str, list[int]] = {}
    for (prompt, model), rows in table.items():
        passed = sum(v.passed for _, v in rows)
        good = totals.setdefault(model, [0, 0, 0, 0, 0])
        good[0] += passed >= 3 * len(rows) / 4
        good[1] += 1
        good[2] += passed
        good[3] += sum(v.colour_ok for _, v in rows)
        good[4] += sum(v.shape_ok for _, v in rows)
        shown = "; ".join(v.describe() for _, v in rows)
        print(f"{prompt:<{width}}  {model:<12} {passed}/{len(rows)}    {shown}")
    print()
    for model, (prompts_ok, prompts, seeds_ok, colours, shapes) in totals.items():
        n = prompts * args.seeds
        print(f"{model:<12} prompts with >= 3 of 4 seeds: {prompts_ok}/{prompts}; "
              f"seeds passing: {seeds_ok}/{n} (colour of the shape right: {colours}/{n}, "
              f"shape right: {shapes}/{n})")
    weights = Path(sk.__file__).resolve().parent.parent / "plugins"
    print(f"\nsettings: guide's defaults{''.join(f', {k}={v}' for k, v in options.items())}; "
          f"{wall:.0f} s wall, {cpu:.0f} s CPU, one thread; load average before "
          f"{load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"clip.tiny: {last_commit(weights / 'clip/sketchml_clip/weights/clip-tiny.safetensors')}; "
          f"shape classifier: {last_commit(classifier_path())}; dcgan.shapes: "
          f"{last_commit(weights / 'gan/sketchml_gan/weights/dcgan-shapes.safetensors')}")
    if args.sheet:
        images = torch.stack([image for rows in table.values() for image, _ in rows])
        sk.Images(images).save(args.sheet, nrow=args.seeds)
        print(f"pictures: {args.sheet} (a row per prompt and picture kind, a column per seed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
