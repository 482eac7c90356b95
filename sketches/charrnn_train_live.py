"""Train a char-RNN on your own text and watch it learn to write.

Put a text file next to this sketch (a play, a poetry collection, your own diary: a few
hundred kilobytes is plenty) and set TEXT to its name. When the file is missing the sketch
writes a demo text first, with no download: the verse and prose the embedded char-RNN
learned from (quotations, poems and aphorisms from Debian's fortunes package, which
scripts/setup.sh installs), or, where that package is missing, the prose of Python's own
standard library. The demo text and RUN go to the sketch's output folder (output/ beside
it, sk.output_path()).

setup() starts training on a background thread, so the window stays smooth while the
network learns. Every SAMPLE_EVERY steps the model writes a sample, which draw() shows
together with the learning curve: bits per character on the training text (grey) and on
text held out from training (orange). Early samples are letter soup; then words appear,
then line breaks, punctuation and the rhythm of your text. Press S to stop and save;
run the sketch again (or raise STEPS) and it carries on where it stopped.

    sketchml run sketches/charrnn_train_live.py

A headless render runs as fast as it can, far ahead of the training; pace it in real time
to record the learning, e.g. a frame every half second for two minutes:

    sketchml run sketches/charrnn_train_live.py --headless --fps 2 --frames 240 --out live.mp4

Load the result in a sketch beside this one with sk.model("charrnn", weights=output_path(RUN)).
"""
import atexit
import json
import threading
from pathlib import Path

import sketchml as sk

TEXT = "my_text.txt"
RUN = "runs/charrnn-live"  # in the output folder: checkpoints, samples, loss log, weights
STEPS = 1500  # training steps in all; raise it and run again to train further
HIDDEN = 128  # units per layer: bigger learns more, slower
LAYERS = 2
SAMPLE_EVERY = 25  # steps between samples
TEMPERATURE = 0.7

latest = {"step": 0, "sample": "", "status": "starting..."}  # written by the training thread
stop = threading.Event()
curve = []  # (step, bpc, val_bpc or None), read from RUN/losses.jsonl


def setup():
    size(720, 480)
    if not text_file().exists():
        write_demo_text(text_file())
    stop_earlier_training()
    # Loaded here rather than on the thread, so torch is fully imported before training starts.
    rnn = sk.model("charrnn")
    trainer = threading.Thread(target=train, args=(rnn,), name="charrnn-live-training",
                               daemon=True)
    trainer.stop = stop
    trainer.start()
    # Closing the window stops training after the current step and saves a checkpoint.
    atexit.register(finish, trainer)


def stop_earlier_training():
    """After a hot reload (saving this file) the previous training is still running: stop it.

    It saves a checkpoint as it stops, and the new training resumes from there.
    """
    for thread in threading.enumerate():
        if thread.name == "charrnn-live-training":
            thread.stop.set()
            thread.join()


def finish(trainer):
    trainer.stop.set()
    trainer.join(timeout=60)


def text_file():
    """TEXT beside the sketch; without one, the demo text in the output folder."""
    mine = sk.sketch_path(TEXT)
    return mine if mine.exists() else sk.output_path(TEXT)


def write_demo_text(path):
    """A stand-in for your text: the literary corpus if installed, else standard-library prose."""
    from sketchml_text.corpus import build_corpus, fortunes_folder, literary_corpus

    # The corpus puts its held-out documents (a tenth) last, and training holds out the last
    # tenth of the file, so the curve measures text the network never saw.
    demo = literary_corpus() if fortunes_folder() is not None else build_corpus(max_chars=150_000)
    Path(path).write_text(demo.text, encoding="utf-8")
    print(f"no {TEXT} beside the sketch, so a demo text was written to {path}: put yours there")


def train(rnn):
    latest["status"] = "training"
    try:
        run = rnn.train(text_file(), out=sk.output_path(RUN), steps=STEPS, hidden=HIDDEN, layers=LAYERS,
                        sample_every=SAMPLE_EVERY, on_sample=remember, should_stop=stop.is_set,
                        progress=False)
    except sk.SketchmlError as err:
        latest["status"] = f"cannot train: {err}"
        return
    latest["status"] = f"done at step {run.step}: sk.model('charrnn', weights=output_path({RUN!r}))"


def remember(step, sample):
    latest["step"], latest["sample"] = step, sample


def read_curve():
    log = sk.output_path(RUN) / "losses.jsonl"
    if not log.exists():
        return
    curve.clear()
    for line in log.read_text().splitlines():
        record = json.loads(line)
        curve.append((record["step"], record.get("bpc"), record.get("val_bpc")))


def draw():
    background(250, 247, 240)
    if frame_count % 30 == 1:
        read_curve()
    fill(40)
    text_size(14)
    text(f"char-RNN learning {TEXT}: {latest['status']}", 20, 28)
    text(f"sample at step {latest['step']}:", 20, 56)
    text_size(13)
    fill(20, 30, 60)
    text(latest["sample"] or "(the first sample comes after a few steps)", 20, 66, 680, 250)
    draw_curve(20, 330, 680, 130)


def draw_curve(x, y, w, h):
    no_fill()
    stroke(200)
    rect(x, y, w, h)
    fill(90)
    no_stroke()
    text_size(11)
    text("bits per character (lower is better)", x, y - 6)
    if len(curve) < 2:
        return
    top = 1.1 * max(b for _, b, _ in curve if b is not None)
    # The curve fills the box as it grows, rather than crawling along the left of it.
    last = max(100, curve[-1][0])

    def to_xy(step, bpc):
        return x + w * step / last, y + h - h * bpc / top

    stroke(150)
    stroke_weight(1)
    for (s0, b0, _), (s1, b1, _) in zip(curve, curve[1:]):
        line(*to_xy(s0, b0), *to_xy(s1, b1))
    no_stroke()
    fill(230, 120, 30)
    for step, _, val in curve:
        if val is not None:
            circle(*to_xy(step, val), 7)


def key_pressed():
    if key in ("s", "S"):
        stop.set()
        latest["status"] = "stopping: saving a checkpoint..."
