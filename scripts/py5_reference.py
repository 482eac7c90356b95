"""Compare sketchml with real py5 renders: stroke placement and text metrics (issue 17).

py5 needs Java 17 and its own environment, so it runs in a separate interpreter:

    python3 -m venv /tmp/py5env && /tmp/py5env/bin/pip install py5
    xvfb-run -a .venv/bin/python scripts/py5_reference.py --py5-python /tmp/py5env/bin/python

The same probe (1-px and 2-px lines, a point, a stroked rect, text_ascent /
text_descent / text_width of the bundled DejaVu Sans made at 32 px, at sizes 12,
32 and 64) runs in py5 and in sketchml, and the figures are printed side by side.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FONT = Path(__file__).resolve().parents[1] / "sketchml" / "graphics" / "fonts" / "DejaVuSans.ttf"
SIZES = (12, 32, 64)
SAMPLE = "Hello world"

# The probe, written once for both: `api` is the py5 module or sketchml's current sketch.
PROBE = '''
def probe(api, np_pixels, font_path):
    out = {}
    api.background(255)
    api.stroke(0)
    api.line(10, 0, 10, 100)
    api.line(0, 0, 0, 100)
    api.stroke_weight(2)
    api.line(30, 0, 30, 100)
    api.stroke_weight(1)
    api.point(50, 50)
    api.fill(200)
    api.rect(60, 10, 20, 20)
    px = np_pixels()
    out["line x=10, columns 8-12"] = px[50, 8:13].tolist()
    out["line x=0, columns 0-2"] = px[50, 0:3].tolist()
    out["2-px line x=30, columns 28-32"] = px[50, 28:33].tolist()
    out["point (50, 50), row 50, columns 49-51"] = px[50, 49:52].tolist()
    out["rect(60, 10, 20, 20), columns 59-61 and 79-81"] = px[20, 59:62].tolist() + px[20, 79:82].tolist()
    api.text_font(api.create_font(font_path, 32))
    for size in SIZES:
        api.text_size(size)
        out[f"text {size}: ascent, descent, width"] = [
            round(api.text_ascent(), 3), round(api.text_descent(), 3), round(api.text_width(SAMPLE), 3)]
    return out
'''

PY5_RUNNER = '''
import json, sys
import py5
SIZES, SAMPLE = {sizes!r}, {sample!r}
{probe}
result = {{}}
def settings():
    py5.size(200, 100)
def setup():
    def np_pixels():
        py5.load_np_pixels()
        return py5.np_pixels[:, :, 1]
    result.update(probe(py5, np_pixels, {font!r}))
    py5.exit_sketch()
def exiting():
    print("RESULT " + json.dumps(result))
py5.run_sketch(block=True)
'''


def run_py5(python: str) -> dict:
    source = PY5_RUNNER.format(sizes=SIZES, sample=SAMPLE, probe=PROBE, font=str(FONT))
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "probe_py5.py"
        script.write_text(source)
        done = subprocess.run([python, str(script)], capture_output=True, text=True, timeout=300)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise SystemExit(f"py5 gave no result:\n{done.stdout}\n{done.stderr}")


def run_sketchml() -> dict:
    import sketchml as sk

    namespace: dict = {"SIZES": SIZES, "SAMPLE": SAMPLE}
    exec(PROBE, namespace)
    result: dict = {}

    class Probe(sk.Sketch):
        def settings(self):
            self.size(200, 100)

        def setup(self):
            def np_pixels():
                self.load_np_pixels()
                return self.np_pixels[:, :, 1]

            result.update(namespace["probe"](self, np_pixels, str(FONT)))

    Probe().run_sketch(headless=True, frames=0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--py5-python", required=True, help="a Python interpreter with py5 installed")
    args = parser.parse_args()
    py5_result = run_py5(args.py5_python)
    ours = run_sketchml()
    width = max(len(k) for k in py5_result)
    print(f"{'probe':<{width}}  {'py5':<34} sketchml")
    for key, theirs in py5_result.items():
        mine = ours.get(key)
        print(f"{key:<{width}}  {json.dumps(theirs):<34} {json.dumps(mine)}")
        if key.startswith("text"):
            ratios = [m / t if t else float("nan") for m, t in zip(mine, theirs)]
            print(f"{'':<{width}}  sketchml / py5: " + ", ".join(f"{r:.3f}" for r in ratios))


if __name__ == "__main__":
    sys.exit(main())
