"""Watch CLIP guidance paint: one optimiser step per frame, the picture forming as you look.

sk.guide(...) is an iterator: every next() makes one step and hands back the step number,
the picture, its loss and its latent. Drawing the picture each frame shows it forming.
Click to stop early: guidance keeps the best picture so far, which is shown and saved
(as OUT, in the output folder beside the sketch: sk.output_path()).
Press r to start again with a new seed.

    sketchml run sketches/clip_live.py
    sketchml run sketches/clip_live.py --headless --frames 40 --out out/live.gif

Try MODEL = "pixels" (noisy, every pixel free), "pixelart" (a few colours in big cells)
or "dcgan.shapes" (a GAN's latent: the picture stays a GAN picture). The loss is minus
CLIP's similarity: lower is better.
"""
import sketchml as sk

PROMPT = "a blue square | a red circle:-0.5"
MODEL = "fourier"
CLIP = "clip"
STEPS = 150
OUT = "clip_live/live"  # in the output folder

guidance = None
shown = None
saved = False
losses = []
seed = 0


def start():
    global guidance, shown, saved
    guidance = sk.guide(PROMPT, model=MODEL, clip=CLIP, steps=STEPS, seed=seed)
    shown, saved = None, False
    losses.clear()


def setup():
    size(512, 600)
    text_size(15)
    start()


def draw():
    global shown, saved
    background(20)
    step = next(guidance, None)  # one step per frame; None when guidance has finished
    if step is not None:
        shown = step
        losses.append(step.loss)
    elif not saved and guidance.best is not None:
        shown = guidance.best  # finished or stopped: show the best picture and save it
        guidance.result().save(output_path(OUT))
        saved = True
    if shown is None:
        return
    image(shown.image, 0, 0, 512, 512)
    plot_losses(10, 524, 240, 44)
    fill(230)
    state = "done: the best picture" if guidance.done else "forming"
    text(f"step {shown.step + 1}/{STEPS}   loss {shown.loss:.3f}", 270, 540)
    text(state, 270, 562)
    text(PROMPT, 10, 590)


def plot_losses(x, y, w, h):
    if len(losses) < 2:
        return
    low, high = min(losses), max(losses)
    stroke(120, 200, 255)
    no_fill()
    begin_shape()
    for i, loss in enumerate(losses):
        vertex(x + w * i / (STEPS - 1), y + h - h * (loss - low) / max(high - low, 1e-6))
    end_shape()
    no_stroke()


def mouse_pressed():
    guidance.stop()  # keeps the best picture so far


def key_pressed():
    global seed
    if key == "r":
        seed += 1
        start()
