"""Measures of generated and modelled music that do not ask the model itself.

* :class:`NGram`: a Witten-Bell smoothed n-gram over performance events, the baseline a
  Performance RNN's per-event log-likelihood must beat on held-out music;
* :func:`in_key_share`: the share of notes whose pitch class is in a key's scale;
* :func:`notes_per_second`: note onsets per second of a performance.

Examples:
    >>> from sketchml_music.quality import NGram
    >>> model = NGram([[1, 2, 3, 1, 2, 3, 1, 2, 3]], order=2, classes=4)
    >>> model.log_likelihood([[1, 2, 3]]) > model.log_likelihood([[3, 2, 1]])
    True
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

import sketchml as sk
from sketchml_music.events import key_histogram

__all__ = ["NGram", "in_key_share", "notes_per_second"]


class NGram:
    """An order-``order`` event model with Witten-Bell interpolation down to a uniform distribution.

    Each performance starts after ``order - 1`` blank events (-1), as the RNN starts after one.

    Args:
        performances: event lists to count.
        order: context length + 1 (2 = bigram).
        classes: the vocabulary size (for the uniform floor).
    """

    def __init__(self, performances: Sequence[Sequence[int]], *, order: int, classes: int) -> None:
        self.order = order
        self.classes = classes
        self.counts: list[dict[tuple[int, ...], Counter[int]]] = [defaultdict(Counter)
                                                                  for _ in range(order)]
        for events in performances:
            padded = [-1] * (order - 1) + list(events)
            for i in range(order - 1, len(padded)):
                for k in range(order):
                    self.counts[k][tuple(padded[i - k:i])][padded[i]] += 1
        self.totals = [{h: sum(c.values()) for h, c in level.items()} for level in self.counts]

    def probability(self, history: tuple[int, ...], event: int) -> float:
        """P(event | the last ``order - 1`` events)."""
        p = 1.0 / self.classes
        for k in range(self.order):
            context = history[len(history) - k:] if k else ()
            seen = self.counts[k].get(context)
            if not seen:
                continue
            total, types = self.totals[k][context], len(seen)
            p = (seen[event] + types * p) / (total + types)
        return p

    def log_likelihood(self, performances: Sequence[Sequence[int]]) -> float:
        """Mean natural-log likelihood per event."""
        total, count = 0.0, 0
        for events in performances:
            padded = [-1] * (self.order - 1) + list(events)
            for i in range(self.order - 1, len(padded)):
                total += math.log(self.probability(tuple(padded[i - self.order + 1:i]), padded[i]))
                count += 1
        if not count:
            raise sk.SketchmlError("log_likelihood needs at least one event.")
        return total / count


def in_key_share(notes: Any, key: str = "C major") -> float:
    """The share of notes whose pitch class belongs to ``key``'s scale.

    Examples:
        >>> import sketchml as sk
        >>> in_key_share(sk.Notes([{"pitch": p, "start_time": 0, "end_time": 1} for p in (60, 61)]))
        0.5
    """
    scale = key_histogram(key) > 0
    pitches = [n.pitch for n in sk.Notes(notes).notes]
    if not pitches:
        return float("nan")
    return float(np.mean([scale[p % 12] for p in pitches]))


def notes_per_second(notes: Any, seconds: float | None = None) -> float:
    """Note onsets per second over ``seconds`` (default: up to the last note's end).

    Examples:
        >>> import sketchml as sk
        >>> notes_per_second(sk.Notes([{"pitch": 60, "start_time": t, "end_time": t + 0.5}
        ...                            for t in (0, 0.5, 1, 1.5)]))
        2.0
    """
    items = sk.Notes(notes)
    length = seconds if seconds is not None else items.total_time
    return len(items) / length if length > 0 else 0.0
