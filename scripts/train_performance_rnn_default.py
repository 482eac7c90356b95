"""Train the embedded default Performance RNN (``performance_rnn.default``) on music21's Bach corpus.

The music is the Bach works bundled with music21 (``pip install music21``: MusicXML of the
chorales and other pieces), read at 100 bpm by ``sketchml_music.corpus``, so the model is
reproducible on any machine with no download and no music copied into the repository.
Pieces are split by name (about one in ten held out); each training piece is used in three
textures (all voices, soprano and bass, soprano alone) so that the note densities the model
hears range from about 1 to 10 notes a second. The run is a plain
``sketchml_music.performance_rnn.train_performance_rnn`` into ``--run`` (resumable: run the
script again to continue), with Magenta's augmentation (transposition by up to 3 semitones,
time stretch by up to 5 %), then the weights are copied into the plugin package with a JSON
record of how they were made and how well they do on the held-out pieces:

* ``held_out_ll``: mean log-likelihood per event (nats) of the held-out pieces, against
  ``ngram_ll``, the best of Witten-Bell n-grams (orders 2-5) counted on the same training
  performances in all seven transpositions;
* ``in_key``: the share of generated notes in C major with ``pitch_histogram="C major"``,
  against ``in_key_unconditioned`` (no key asked for);
* ``density``: notes per second generated with ``notes_per_second=2`` and ``=8``.

Usage (one CPU thread; the shipped weights took about 25 minutes on a busy two-core machine,
in two sittings of 600 and 1500 steps, the run resuming the second time)::

    python scripts/train_performance_rnn_default.py
    python scripts/train_performance_rnn_default.py --steps 50 --run /tmp/try --weights /tmp/w
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "plugins" / "music" / "sketchml_music" / "weights"
NAME = "performance_rnn-default"

# The recipe of the shipped weights: Magenta's multiconditioned config, small enough to train
# on one CPU core in minutes (published: 3 x 512 units, batch 64, lr 0.001). One layer: in a
# budget of minutes, deeper stacks were still leaving the unigram plateau when one layer had
# learnt the music's time grid and voice leading.
RECIPE = {"config": "multiconditioned_performance_with_dynamics", "hidden": 256, "layers": 1,
          "length": 128, "batch_size": 32, "lr": 0.003, "transpose": 3, "stretch": 0.05,
          "seed": 0}
SAMPLES = {"count": 8, "seconds": 20.0}


def measure(model, train_events: list[list[int]], held_events: list[list[int]]) -> dict:
    """The held-out figures of the record (see the module docstring)."""
    from sketchml_music.performance_rnn import event_log_likelihood
    from sketchml_music.quality import NGram, in_key_share, notes_per_second

    net = model.network
    code = net.encoding
    transposed = [[e + s if e < 128 else (e + s if e < 256 else e) for e in events]
                  for events in train_events for s in range(-3, 4)
                  if all(0 <= (e % 128) + s <= 127 for e in events if e < 256)]
    ngrams = {order: NGram(transposed, order=order, classes=code.num_classes).log_likelihood(held_events)
              for order in (2, 3, 4, 5)}
    seeds = range(SAMPLES["count"])

    def play(**options) -> list:
        return [model.generate(seconds=SAMPLES["seconds"], seed=s, **options) for s in seeds]

    keyed, free = play(pitch_histogram="C major"), play()
    sparse, busy = play(notes_per_second=2), play(notes_per_second=8)
    mean = lambda values: round(sum(values) / len(values), 3)  # noqa: E731
    return {
        "held_out_ll": round(event_log_likelihood(net, held_events), 4),
        "ngram_ll": round(max(ngrams.values()), 4),
        "ngram_ll_by_order": {str(k): round(v, 4) for k, v in ngrams.items()},
        "in_key": mean([in_key_share(n, "C major") for n in keyed]),
        "in_key_unconditioned": mean([in_key_share(n, "C major") for n in free]),
        "density": {"2": mean([notes_per_second(n, SAMPLES["seconds"]) for n in sparse]),
                    "8": mean([notes_per_second(n, SAMPLES["seconds"]) for n in busy])},
        "samples": SAMPLES,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="optimisation steps (default 1500)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / NAME,
                        help="the training run's folder (default runs/performance_rnn-default)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS,
                        help="where the weights and their record go (default: the plugin package)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    import sketchml as sk
    from sketchml_music.corpus import bach_pieces, split, voicings
    from sketchml_music.performance_rnn import EXPORT_NAME, train_performance_rnn

    started = time.monotonic()
    pieces = list(bach_pieces())
    train_names, held_names = split([p.name for p in pieces])
    training = [v for p in pieces if p.name in train_names for v in voicings(p)]
    held = [p.notes() for p in pieces if p.name in held_names]
    print(f"{len(pieces)} pieces: {len(train_names)} to train on ({len(training)} performances), "
          f"{len(held_names)} held out; read in {time.monotonic() - started:.0f} s", file=sys.stderr)

    begun = time.monotonic()
    run, net = train_performance_rnn(training, out=args.run, steps=args.steps, validation=0,
                                     device="cpu", **RECIPE)
    minutes = (time.monotonic() - begun) / 60
    code = net.encoding
    model = sk.model("performance_rnn", weights=args.run / EXPORT_NAME, device="cpu")
    figures = measure(model, [code.encode(n) for n in training], [code.encode(n) for n in held])
    print(json.dumps(figures, indent=2), file=sys.stderr)

    args.weights.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.run / EXPORT_NAME, args.weights / f"{NAME}.safetensors")
    record = {
        "model": "performance_rnn.default",
        "data": "music21 corpus: Bach works with 2+ voices, 100 bpm, velocity 80; three textures "
                "per training piece",
        "pieces": {"train": len(train_names), "held_out": len(held_names),
                   "held_out_names": held_names},
        "recipe": {**RECIPE, "steps": run.step},
        "training_minutes": round(minutes, 1),
        "final_nll": round(run.history[-1]["nll"], 4) if run.history else None,
        **figures,
        "torch": torch.__version__, "python": platform.python_version(),
        "command": "python scripts/train_performance_rnn_default.py",
    }
    (args.weights / f"{NAME}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.weights / NAME}.safetensors and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
