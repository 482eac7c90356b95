"""A whole file of prompts, rendered one after another, then shown as a contact sheet.

Each line of PROMPTS (beside the sketch) is one prompt (lines starting with # are comments).
Every result is saved in OUT, in the output folder beside the sketch (sk.output_path()), as
a PNG, its latent and its settings; a prompt already rendered there is
skipped, so stopping and running again carries on where it stopped. Blank lines and
prompts that cannot be rendered are reported with their line numbers, and the rest still
render. The same from a terminal, without a window:

    sketchml guide --prompts prompts.txt --out renders --steps 60

    sketchml run sketches/clip_batch_prompts.py
    sketchml run sketches/clip_batch_prompts.py --headless --frames 1 --out out/batch.png

If PROMPTS is not beside the sketch, the sketch writes an example into its output folder
and renders that (it has a malformed line, to show how problems are reported).
"""
import sketchml as sk
from sketchml.models.guidance import guide_prompts

PROMPTS = "prompts.txt"
OUT = "clip_batch_prompts/renders"  # in the output folder
MODEL = "pixelart"  # a few colours in big cells: easy to read on a contact sheet
CLIP = "clip"
STEPS = 60
EXAMPLE = """# one prompt per line; parts split by |, each with an optional :weight
a red circle
a blue square | a red square:-1
a yellow star:1 | a green star:0.5

a purple triangle on a white background
a green cross |
"""

sheet = None


def setup():
    global sheet
    size(720, 760)
    prompts = sketch_path(PROMPTS)
    if not prompts.exists():
        prompts = output_path(PROMPTS)
        if not prompts.exists():
            prompts.write_text(EXAMPLE)
    batch = guide_prompts(prompts, out=output_path(OUT), model=MODEL, clip=CLIP, steps=STEPS,
                          on_line=report)
    print(f"{len(batch.rendered)} rendered, {len(batch.resumed)} already done, "
          f"{len(batch.problems)} problem line(s); contact sheet: {batch.sheet}")
    sheet = load_image(str(batch.sheet))


def report(number, status, detail):
    if status == "problem":
        print(f"{PROMPTS}, line {number}: {detail}")
    else:
        print(f"line {number}: {status} {detail}")


def draw():
    background(24)
    scale_to = min(width / sheet.width, height / sheet.height)
    image(sheet, 0, 0, sheet.width * scale_to, sheet.height * scale_to)
