"""Music benchmark: seconds of music Performance RNN writes per second of CPU, against real time.

For the embedded ``performance_rnn`` default, the CPU time (``time.process_time``, so other
processes on the machine do not count) to write ``--seconds`` of music:

1. ``rnn.generate(...)`` (plain sampling, density and key conditioning on);
2. ``rnn.stream(...)`` read to its end (the same notes, decoded one event at a time);
3. the bare torch module: the same network stepped event by event with sampling and
   nothing else (no encoding, no conditioning functions, no notes), for the same number of
   events that ``generate`` took, which is the floor our overhead is measured against.

Each line prints music-seconds per CPU-second, i.e. how many times faster than real time
(target: at least 10x for the defaults), and the overhead against the bare module.
Rounds are interleaved and the best is kept.

Run: ``.venv/bin/python benchmarks/music.py [--seconds 30] [--rounds 3] [--threads 1]``
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

import sketchml as sk


def cpu_seconds(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="music to write per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rnn = sk.model("performance_rnn", device="cpu")
    net = rnn.network
    options = {"seconds": args.seconds, "notes_per_second": 6, "pitch_histogram": "C major",
               "seed": 1}
    tune = rnn.generate(**options)
    events = len(rnn.encoding.encode(tune))
    control = torch.zeros(1, 1, net.control_size)

    @torch.no_grad()
    def bare() -> None:
        gen = torch.Generator().manual_seed(1)
        event, state = torch.full((1, 1), -1), None
        for _ in range(events):
            logits, state = net(event, control, state)
            event = torch.multinomial(torch.softmax(logits[0, -1].double(), -1), 1,
                                      generator=gen)[None]

    runs = {"generate": lambda: rnn.generate(**options),
            "stream": lambda: rnn.stream(**options).wait(),
            "bare torch module": bare}
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            best[name] = min(best[name], cpu_seconds(fn))
    print(f"performance_rnn.default ({net.layers} x {net.hidden} LSTM), {args.seconds:g} s of "
          f"music = {events} events, {len(tune)} notes; best of {args.rounds}, "
          f"{args.threads} thread(s)")
    for name, seconds in best.items():
        overhead = seconds / best["bare torch module"] - 1
        print(f"  {name:18s}: {seconds:6.2f} CPU-s  {args.seconds / seconds:6.1f}x real time"
              + ("" if name.startswith("bare") else f"  (overhead vs bare: {overhead:+.0%})"))


if __name__ == "__main__":
    main()
