"""Train the embedded default char-RNN (``charrnn.default``) on the literary corpus.

The corpus is verse and prose from Debian's ``fortunes`` package (its literature,
songs-poems, love, wisdom, humorists, tao and people collections, read from where the
package installed them by ``sketchml_text.corpus.literary_corpus``; ``scripts/setup.sh``
installs it), so the model is reproducible on any machine with no download and no text
copied into the repository. The run is a plain ``sketchml_text.charrnn.train_charrnn`` into
``--run`` (resumable: run the script again to continue an interrupted run). The budget is
the step count, not the clock, so a busy machine takes longer but trains the same model;
only a finished schedule is copied into the plugin package, with a JSON record of how the
weights were made and how well they do:

* ``val_bpc``: bits per character on the held-out documents (whole fortunes never trained
  on); the plugin's tests measure the shipped weights against it;
* ``unigram_bpc``: the same text under character frequencies alone;
* ``ngram_bpc``: the same text under a Witten-Bell smoothed character 5-gram model fitted
  on the training documents, the stronger baseline.

Usage (one CPU thread, about 5 CPU-minutes: an hour of wall time beside a dozen other
trainings on two cores)::

    python scripts/train_charrnn_default.py
    python scripts/train_charrnn_default.py --steps 300 --run runs/try --weights /tmp/w
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "plugins" / "text" / "sketchml_text" / "weights"

# The recipe of the shipped weights: small enough to train on one CPU core in minutes.
RECIPE = {"cell": "lstm", "hidden": 192, "layers": 2, "embedding": 48, "dropout": 0.2,
          "length": 100, "batch_size": 32, "lr": 0.003, "seed": 0}
CORPUS = {"source": "fortunes", "seed": 0, "validation": 0.1}
NGRAM_ORDER = 5


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="optimisation steps (default 2000)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "charrnn-fortunes",
                        help="the training run's folder (default runs/charrnn-fortunes)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS,
                        help="where charrnn-default.safetensors and .json go (default: the plugin)")
    args = parser.parse_args(argv)

    import torch

    from sketchml_text.charrnn import EXPORT_NAME, bits_per_char, ngram_bits_per_char, \
        train_charrnn, unigram_bits_per_char
    from sketchml_text.corpus import LITERARY, literary_corpus

    torch.set_num_threads(args.threads)
    corpus = literary_corpus(seed=CORPUS["seed"], validation=CORPUS["validation"])
    print(f"corpus: {len(corpus.train):,} training and {len(corpus.validation):,} validation "
          f"characters from {len(corpus.modules)} fortunes ({corpus.validation_modules} held out)",
          file=sys.stderr)
    # A resumed run adds its time to the time the record already holds for that run.
    from sketchml.training import latest_checkpoint

    resumed = latest_checkpoint(args.run / "checkpoints")
    earlier = 0.0
    previous = args.weights / "charrnn-default.json"
    if resumed is not None and previous.is_file():
        before = json.loads(previous.read_text())
        if before.get("step") == resumed.step and before.get("recipe") == RECIPE:
            earlier = float(before.get("train_seconds", 0.0))
    started = time.monotonic()
    cpu_started = time.process_time()
    run, net = train_charrnn(corpus, out=args.run, steps=args.steps, device="cpu", **RECIPE)
    seconds = time.monotonic() - started
    if run.step < args.steps:
        sys.exit(f"Stopped at step {run.step} of {args.steps}; the shipped weights are left as "
                 f"they were. Run the script again to resume from {args.run}.")
    net.eval()
    val_bpc = bits_per_char(net, corpus.validation, unknown="drop")
    unigram = unigram_bits_per_char(corpus.validation, reference=corpus.train)
    ngram = ngram_bits_per_char(corpus.validation, reference=corpus.train, order=NGRAM_ORDER)
    record = {
        "val_bpc": round(val_bpc, 4),
        "unigram_bpc": round(unigram, 4),
        "ngram_bpc": round(ngram, 4),
        "ngram_order": NGRAM_ORDER,
        "step": run.step,
        "recipe": RECIPE,
        "corpus": {**CORPUS, "collections": list(LITERARY),
                   "train_chars": len(corpus.train), "validation_chars": len(corpus.validation),
                   "validation_documents": corpus.validation_modules},
        "parameters": sum(p.numel() for p in net.parameters()),
        "train_seconds": round(earlier + seconds, 1),
        "cpu_seconds_this_run": round(time.process_time() - cpu_started, 1),
        "threads": args.threads,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    target = args.weights / "charrnn-default.safetensors"
    _write_atomic(target, (args.run / EXPORT_NAME).read_bytes())
    _write_atomic(args.weights / "charrnn-default.json",
                  (json.dumps(record, indent=2) + "\n").encode())
    shutil.copy2(args.run / "losses.png", args.run / "losses-final.png")
    print(json.dumps(record, indent=2))
    from sketchml_text.charrnn import _sample_text

    for seed in range(3):
        print(f"--- sample, seed {seed} ---\n{_sample_text(net, 400, seed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
