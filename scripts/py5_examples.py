"""Run py5's documented 2D examples in sketchml and in py5, and compare the pictures.

The examples are the ``@@ example`` sections with a picture in py5's reference
(``py5-docs/Reference/api_en/Sketch_*.txt`` in py5coding/py5generator). Each runs
unchanged, as py5's module mode has it (``py5.ellipse(...)``), with sketchml
imported as ``py5``; 3D examples and ones that read files are left out. Both
runs save the first frame; a picture "matches" when under 2% of its pixels differ
by more than 48 (of 255) in some channel.

    xvfb-run -a .venv/bin/python scripts/py5_examples.py DOCS_FOLDER --py5-python /tmp/py5env/bin/python

Without ``--py5-python`` only sketchml runs, which says which examples run at all.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

SKIPPED_SUBCATEGORIES = {"3d_primitives", "camera", "lights", "material_properties", "textures", "files"}
NEEDS_FILES = re.compile(r"load_(image|shape|font|strings|json|bytes|pickle|shader)|create_font|\.(png|jpg|svg|obj)\b")
NEEDS_3D = re.compile(r"\bP3D\b|rotate_[xyz]|\bbox\(|\bsphere\(|camera\(|perspective\(|ortho\(")

HARNESS = '''
_user_draw = globals().get("draw")


def draw():
    if _user_draw is not None:
        _user_draw()
    py5.save_frame({out!r})
    py5.exit_sketch()
'''


def examples(folder: Path) -> list[tuple[str, str]]:
    """(name, code) of every 2D example with a picture."""
    found = []
    for path in sorted(folder.glob("Sketch_*.txt")):
        text = path.read_text()
        sub = re.search(r"^subcategory = (\S+)", text, re.M)
        if sub and sub.group(1) in SKIPPED_SUBCATEGORIES:
            continue
        for part in text.split("@@ example")[1:]:
            part = part.split("\n@@ ")[0]
            image = re.search(r"^image = (\S+)\.png", part, re.M)
            if not image:
                continue
            code = part[image.end():].strip("\n")
            if NEEDS_FILES.search(code) or NEEDS_3D.search(code):
                continue
            found.append((image.group(1), code))
    return found


def script(code: str, out: Path, *, sketchml: bool) -> str:
    head = "import sketchml as py5\n" if sketchml else "import py5\n"
    tail = "" if sketchml else "\npy5.run_sketch(block=True)\n"
    return head + textwrap.dedent(code) + "\n" + HARNESS.format(out=str(out)) + tail


def run(python: str, source: str, folder: Path, name: str, *, sketchml: bool) -> str:
    path = folder / f"{name}_{'sk' if sketchml else 'py5'}.py"
    path.write_text(source)
    if sketchml:
        command = [python, "-m", "sketchml.cli.main", "run", "--headless", "--frames", "3", str(path)]
    else:
        command = [python, str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=folder)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()]
        return lines[-1][:150] if lines else f"exit {done.returncode}"
    return ""


def compare(a: Path, b: Path) -> float:
    from PIL import Image

    x = np.asarray(Image.open(a).convert("RGB"), dtype=int)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=int)
    if x.shape != y.shape:
        return 1.0
    return float((np.abs(x - y).max(axis=-1) > 48).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", type=Path, help="py5-docs/Reference/api_en")
    parser.add_argument("--py5-python", help="a Python interpreter with py5 installed")
    parser.add_argument("--only", help="run the examples whose name contains this")
    args = parser.parse_args()
    todo = [(n, c) for n, c in examples(args.docs) if not args.only or args.only in n]
    ran = matched = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, code in todo:
            ours, theirs = folder / f"{name}_sk.png", folder / f"{name}_py5.png"
            error = run(sys.executable, script(code, ours, sketchml=True), folder, name, sketchml=True)
            if error or not ours.exists():
                print(f"{name:<40} FAILS  {error or 'no picture'}")
                continue
            ran += 1
            if not args.py5_python:
                print(f"{name:<40} runs")
                continue
            run(args.py5_python, script(code, theirs, sketchml=False), folder, name, sketchml=False)
            if not theirs.exists():
                print(f"{name:<40} runs   (py5 made no picture)")
                continue
            differing = compare(ours, theirs)
            matched += differing < 0.02
            verdict = "match" if differing < 0.02 else "DIFFERS"
            print(f"{name:<40} runs   {verdict:<8} {differing * 100:5.1f}% of pixels differ")
    print(f"\n{len(todo)} examples: {ran} run in sketchml"
          + (f", {matched} match py5's picture" if args.py5_python else ""))


if __name__ == "__main__":
    main()
