"""Train the embedded default char-RNN (``charrnn.default``) on the offline corpus.

The corpus is the prose of this Python's own standard library (docstrings and comments,
read by ``sketchml_text.corpus.build_corpus``), so the model is reproducible on any machine
with no download and no text copied into the repository. The run is a plain
``sketchml_text.charrnn.train_charrnn`` into ``--run`` (resumable: run the script again to
continue an interrupted run), then the weights are copied into the plugin package with a
JSON record of how they were made and how well they do:

* ``val_bpc``: bits per character on the corpus's validation modules (never trained on);
  the plugin's tests measure the shipped weights against it;
* ``unigram_bpc``: the same text under character frequencies alone, the baseline.

Usage (one CPU thread, about ten minutes)::

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
RECIPE = {"cell": "lstm", "hidden": 192, "layers": 2, "embedding": 48, "dropout": 0.1,
          "length": 100, "batch_size": 32, "lr": 0.003, "seed": 0}
CORPUS = {"max_chars": 600_000, "seed": 0}


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
    parser.add_argument("--steps", type=int, default=1400, help="optimisation steps (default 1400)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="stop after this many minutes (the record notes the step reached)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "charrnn-default",
                        help="the training run's folder (default runs/charrnn-default)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS,
                        help="where charrnn-default.safetensors and .json go (default: the plugin)")
    args = parser.parse_args(argv)

    import torch

    from sketchml_text.charrnn import EXPORT_NAME, bits_per_char, train_charrnn, \
        unigram_bits_per_char
    from sketchml_text.corpus import build_corpus

    torch.set_num_threads(args.threads)
    corpus = build_corpus(**CORPUS)
    print(f"corpus: {len(corpus.train):,} training and {len(corpus.validation):,} validation "
          f"characters from {len(corpus.modules)} modules of Python {platform.python_version()}",
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
    run, net = train_charrnn(corpus, out=args.run, steps=args.steps, minutes=args.minutes,
                             device="cpu", **RECIPE)
    seconds = time.monotonic() - started
    net.eval()
    val_bpc = bits_per_char(net, corpus.validation, unknown="drop")
    unigram = unigram_bits_per_char(corpus.validation, reference=corpus.train)
    record = {
        "val_bpc": round(val_bpc, 4),
        "unigram_bpc": round(unigram, 4),
        "step": run.step,
        "recipe": RECIPE,
        "corpus": {**CORPUS, "python": platform.python_version(),
                   "train_chars": len(corpus.train), "validation_chars": len(corpus.validation)},
        "parameters": sum(p.numel() for p in net.parameters()),
        "train_seconds": round(earlier + seconds, 1),
        "threads": args.threads,
        "torch": torch.__version__,
    }
    target = args.weights / "charrnn-default.safetensors"
    _write_atomic(target, (args.run / EXPORT_NAME).read_bytes())
    _write_atomic(args.weights / "charrnn-default.json",
                  (json.dumps(record, indent=2) + "\n").encode())
    shutil.copy2(args.run / "losses.png", args.run / "losses-final.png")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
