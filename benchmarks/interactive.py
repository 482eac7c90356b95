"""Interactive-ML benchmark: how long each Learner model takes to train and to predict, against
the frame budget at 60 fps (16.7 ms).

For every model of a continuous output (neural, linear, polynomial, knn) and of a
classifier (knn, neural, tree, boost), on examples made from a known function of
``--inputs`` inputs, it prints:

* ``train``    -- ``learner.train()`` on N examples (N = each of ``--examples``), in ms,
                  and as a share of one second (the issue's bar: well under a second);
* ``predict``  -- one ``learner.predict(inputs)`` call, as a sketch makes every frame, in us,
                  and as a share of the 16.7 ms frame budget.

Then the same for the gesture learner (DTW): ``train`` (normalising, and choosing the
threshold from every pair of examples) and one live ``predict`` per frame, with
``--gestures`` gestures of ``--per-gesture`` examples of about 40 frames each.

Each figure is the fastest of ``--rounds`` runs (predict: of ``--calls`` calls each), so
load from other processes on a shared machine does not count against the code.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/interactive.py [--examples 100 300 1000]``
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import sketchml as sk

FRAME_MS = 1000.0 / 60.0


def fastest(fn: Callable[[], object], rounds: int) -> float:
    """The fastest of ``rounds`` calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def per_call(fn: Callable[[], object], calls: int, rounds: int) -> float:
    """Seconds per call of ``fn``, the fastest of ``rounds`` batches of ``calls``."""
    def batch() -> None:
        for _ in range(calls):
            fn()
    return fastest(batch, rounds) / calls


def mapping_rows(args: argparse.Namespace) -> list[tuple[str, int, float, float]]:
    rng = np.random.default_rng(0)
    models = [("continuous", "neural", {}), ("continuous", "linear", {}),
              ("continuous", "linear", {"degree": 3}), ("continuous", "knn", {}),
              ("classifier", "knn", {}), ("classifier", "neural", {}),
              ("classifier", "tree", {}), ("classifier", "boost", {})]
    rows = []
    for n in args.examples:
        x = rng.random((n, args.inputs))
        wave = np.sin(3 * x[:, 0]) + x[:, 1:].sum(axis=1) ** 2
        label = 1 + (x[:, 0] > 0.5) + 2 * (((x - 0.5) ** 2).sum(axis=1) < 0.05)
        probe = rng.random(args.inputs)
        for kind, name, options in models:
            classes = 4 if kind == "classifier" else None
            learner = sk.Learner(inputs=args.inputs, outputs=[{"model": name, **options}],
                                 classes=classes)
            for row, y, c in zip(x, wave, label):
                learner.add_example(row, [int(c)] if classes else [y])
            train = fastest(learner.train, args.rounds)
            predict = per_call(lambda: learner.predict(probe), args.calls, args.rounds)
            label_name = f"{kind} {name}" + ("^3" if options else "")
            rows.append((label_name, n, train, predict))
    return rows


def gesture_rows(args: argparse.Namespace) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    learner = sk.GestureLearner(inputs=2, gestures=args.gestures)
    for g in range(args.gestures):
        for _ in range(args.per_gesture):
            s = np.linspace(0, 1, int(rng.integers(30, 50)))
            path = np.stack([np.cos(2 * np.pi * (g + 1) * s), np.sin(np.pi * (g + 1) * s)], 1)
            learner.add_example(path + rng.normal(0, 0.02, path.shape), g + 1)
    train = fastest(learner.train, args.rounds)
    frame = iter(rng.random((args.calls * args.rounds + 1, 2)))
    predict = per_call(lambda: learner.predict(next(frame)), args.calls, args.rounds)
    return train, predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--inputs", type=int, default=2)
    parser.add_argument("--gestures", type=int, default=3)
    parser.add_argument("--per-gesture", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    print(f"Learner, {args.inputs} inputs, 1 output; frame budget at 60 fps: {FRAME_MS:.1f} ms")
    print(f"{'model':<22}{'examples':>9}{'train ms':>11}{'of 1 s':>8}{'predict us':>12}{'of frame':>10}")
    for name, n, train, predict in mapping_rows(args):
        print(f"{name:<22}{n:>9}{train * 1e3:>11.1f}{train:>8.1%}{predict * 1e6:>12.1f}"
              f"{predict * 1e3 / FRAME_MS:>10.2%}")
    train, predict = gesture_rows(args)
    count = args.gestures * args.per_gesture
    print(f"\nGestureLearner (DTW), {args.gestures} gestures x {args.per_gesture} examples "
          f"of 30-50 frames ({count} examples)")
    print(f"train {train * 1e3:.1f} ms ({train:.1%} of 1 s); live predict per frame "
          f"{predict * 1e6:.0f} us ({predict * 1e3 / FRAME_MS:.1%} of the frame budget)")


if __name__ == "__main__":
    main()
