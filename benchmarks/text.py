"""Text benchmark: char-RNN training and writing speed; GPT-2 through sketchml vs bare transformers.

1. char-RNN (``sk.model("charrnn")``): training throughput in characters per second (the
   default sizes: 2-layer LSTM, 256 units, windows of 128 characters, batches of 32, on the
   training part of the literary corpus the embedded text models learned from, which needs
   Debian's ``fortunes``: ``scripts/setup.sh`` installs it), and writing speed in characters
   per second (``generate`` and ``stream``).
2. GPT-2: tokens per second written through ``model.generate`` and ``model.stream``
   against transformers' bare ``lm.generate(do_sample=True, ...)`` on the same model with
   the same knobs (temperature 0.8, top-k 50), each writing exactly ``--tokens`` tokens
   (the end-of-text token is switched off for all three). Rounds are interleaved; the
   overhead is ours / bare - 1 on the best and on the median round (target: under 5%).
   Two models: the embedded ``tiny`` one (1M parameters: the per-token cost is mostly
   overhead, the worst case) and a GPT-2-small-shaped one (12 layers, width 768, random
   weights, the tiny vocabulary) for a realistic per-token cost.

Run: ``.venv/bin/python benchmarks/text.py [--tokens 200] [--rounds 5] [--threads 1]``
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import sketchml as sk

PROMPT = "The moon"


def best(fn: Callable[[], float], rounds: int) -> float:
    return min(fn() for _ in range(rounds))


def charrnn(rounds: int, steps: int) -> None:
    from sketchml_text.corpus import literary_corpus

    rnn = sk.model("charrnn", device="cpu")
    text = literary_corpus().train
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        # Nothing held out: the figure is training, not one measurement of validation text.
        rnn.train(text, out=out, steps=steps, progress=False, sample_every=10**9,
                  validation=0.0, checkpoint_every=10**9)
        seconds = time.perf_counter() - start
    chars = steps * 32 * 128
    print(f"char-RNN training   : {chars / seconds:10.0f} chars/s  ({steps} steps of 32 x 128 "
          f"characters of the literary corpus, {rnn.cell}, {seconds:.1f} s, incl. one checkpoint)")
    length = 1000

    def written() -> float:
        start = time.perf_counter()
        rnn.generate(length=length, seed=1)
        return time.perf_counter() - start

    def streamed() -> float:
        start = time.perf_counter()
        rnn.stream(length=length, seed=1).wait()
        return time.perf_counter() - start

    print(f"char-RNN generate   : {length / best(written, rounds):10.0f} chars/s")
    print(f"char-RNN stream     : {length / best(streamed, rounds):10.0f} chars/s")


def gpt2(gpt: Any, label: str, tokens: int, rounds: int) -> None:
    gpt.network.generation_config.eos_token_id = None     # every run writes exactly `tokens`
    ids = gpt.tokenizer(PROMPT, return_tensors="pt")
    knobs = {"temperature": 0.8, "top_k": 50}

    def bare() -> float:
        torch.manual_seed(1)
        start = time.perf_counter()
        with torch.no_grad():
            out = gpt.network.generate(**ids, do_sample=True, pad_token_id=0,
                                       max_new_tokens=tokens, **knobs)
        seconds = time.perf_counter() - start
        assert out.shape[1] - ids["input_ids"].shape[1] == tokens
        return seconds

    def ours() -> float:
        start = time.perf_counter()
        gpt.generate(prompt=PROMPT, seed=1, length=tokens, **knobs)
        return time.perf_counter() - start

    def streamed() -> float:
        start = time.perf_counter()
        stream = gpt.stream(prompt=PROMPT, seed=1, length=tokens, **knobs)
        text = stream.wait()
        seconds = time.perf_counter() - start
        assert len(gpt.tokenizer(text)["input_ids"]) >= tokens * 0.9 and stream.done
        return seconds

    timings: dict[str, list[float]] = {"bare": [], "generate": [], "stream": []}
    for fn in (bare, ours, streamed):   # warm-up
        fn()
    for _ in range(rounds):
        for name, fn in (("bare", bare), ("generate", ours), ("stream", streamed)):
            timings[name].append(fn())
    base, base_median = min(timings["bare"]), statistics.median(timings["bare"])
    print(f"\nGPT-2 {label}: {tokens} tokens after {PROMPT!r}, {rounds} interleaved rounds")
    print(f"  {'':9s}  {'best tokens/s':>14s} {'ms/token':>9s} {'overhead':>9s}   "
          f"{'median ms/token':>15s} {'overhead':>9s}")
    for name, values in timings.items():
        fastest, median = min(values), statistics.median(values)
        over = "" if name == "bare" else f"{100 * (fastest / base - 1):+8.1f}%"
        over_median = "" if name == "bare" else f"{100 * (median / base_median - 1):+8.1f}%"
        print(f"  {name:9s}: {tokens / fastest:14.1f} {1000 * fastest / tokens:9.2f} {over:>9s}   "
              f"{1000 * median / tokens:15.2f} {over_median:>9s}")


def small_shaped(tiny: Any) -> Path:
    """A GPT-2-small-shaped model (random weights) with the tiny tokenizer, in a temp folder."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from sketchml_text.gpt2 import save_model_folder

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tiny.tokenizer), n_positions=1024, n_embd=768, n_layer=12,
                        n_head=12, bos_token_id=0, eos_token_id=0)
    folder = Path(tempfile.mkdtemp()) / "gpt2-small-shaped"
    return save_model_folder(GPT2LMHeadModel(config), tiny.tokenizer, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--charrnn-steps", type=int, default=20)
    parser.add_argument("--skip-charrnn", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), CPU")
    if not args.skip_charrnn:
        try:
            charrnn(args.rounds, args.charrnn_steps)
        except sk.SketchmlError as err:
            print(f"char-RNN skipped: {err}")
    tiny = sk.model("gpt2", device="cpu")
    gpt2(tiny, "tiny (embedded, 1.1M parameters)", args.tokens, args.rounds)
    if not args.skip_small:
        small = sk.model("gpt2", weights=small_shaped(tiny), device="cpu")
        gpt2(small, "small-shaped (12 x 768, 86M parameters, random weights)",
             min(args.tokens, 100), max(2, args.rounds // 2))


if __name__ == "__main__":
    main()
