"""``sk.GestureLearner``: recognise gestures by dynamic time warping, as Wekinator's DTW does.

Record a few examples of each gesture (a sequence of input frames: mouse positions, sensor
values, camera features); then feed live frames and it reports a gesture when the recent
frames match one of its examples closely enough, however fast or slow it was made.

Dynamic time warping (Sakoe and Chiba, 1978) aligns two sequences by stretching time
locally. Here both the whole-sequence distance (:meth:`GestureLearner.recognize`) and the
live one (:meth:`GestureLearner.predict`, a subsequence match that may start at any
frame, in the manner of Sakurai et al.'s SPRING, 2007) use the symmetric step pattern:
a diagonal step weighs double, so every alignment of a query of ``n`` frames with an
example of ``m`` frames has total weight ``n + m``, and the distance is the weighted cost
divided by ``n + m``: the mean distance between aligned (normalised) input frames.

Examples:
    >>> import numpy as np, sketchml as sk
    >>> t = np.linspace(0, 1, 30)[:, None]
    >>> gestures = sk.GestureLearner(inputs=2, gestures=["up", "down"])
    >>> gestures.add_example(np.hstack([t, t]), "up")
    >>> gestures.add_example(np.hstack([t, 1 - t]), "down")
    >>> _ = gestures.train()
    >>> slow = np.linspace(0, 1, 55)[:, None]
    >>> gestures.recognize(np.hstack([slow, 1 - slow]))
    'down'
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.learn.store import Normaliser, vector, write_file

__all__ = ["GestureLearner", "dtw_distance"]

# The cost of a step that stretches time (one sequence waits while the other moves on) is
# tripled: a gesture made at another speed stays close (its stretched steps pair near
# frames), while a half-made gesture, whose missing half would pile onto one frame, does not.
_STRETCH = 3.0


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The dynamic-time-warping distance of sequences ``a`` ``(n, D)`` and ``b`` ``(m, D)``:
    the mean Euclidean distance of aligned frames (symmetric steps, normalised by ``n + m``).

    Examples:
        >>> import numpy as np
        >>> a = np.array([[0.0], [1.0], [2.0]])
        >>> dtw_distance(a, np.array([[0.0], [0.0], [1.0], [1.0], [2.0]]))
        0.0
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n, m = len(a), len(b)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    prev = np.full(m + 1, math.inf)
    prev[0] = 0.0
    stretched = _STRETCH * cost
    runs = np.cumsum(stretched, axis=1)
    for i in range(n):
        # From the row above: diagonal (weight 2) or a stretched step down.
        above = np.minimum(prev[:-1] + 2.0 * cost[i], prev[1:] + stretched[i])
        # Along the row, cur[j] = min(above[j], cur[j-1] + s[j]): with S the running sum
        # of s, that is S[j] + the running minimum of above - S, all at once.
        prev[1:] = runs[i] + np.minimum.accumulate(above - runs[i])
        prev[0] = math.inf
    return float(prev[m] / (n + m))


class _Matcher:
    """Live subsequence DTW of one example: each new frame updates one column of costs.

    Cell ``j`` holds the best weighted cost of an alignment of example frames ``0..j`` with
    the query frames from some start up to now, and that start; the match distance is the
    cost at the example's last frame divided by ``n + m``."""

    def __init__(self, template: np.ndarray) -> None:
        self.template = template
        self.m = len(template)
        self.reset()

    def reset(self) -> None:
        self.cost = [math.inf] * self.m
        self.start = [0] * self.m

    def step(self, x: np.ndarray, t: int) -> float:
        c = np.sqrt(((self.template - x) ** 2).sum(axis=1)).tolist()
        prev_cost, prev_start = self.cost, self.start
        cost = [0.0] * self.m
        start = [0] * self.m
        # A match may begin at any frame: example frame 0 always starts afresh here.
        cost[0], start[0] = 2.0 * c[0], t
        for j in range(1, self.m):
            cj = c[j]
            best, s = prev_cost[j - 1] + 2.0 * cj, prev_start[j - 1]          # diagonal
            score = best / ((t - s + 1) + (j + 1))
            stretch = _STRETCH * cj
            for cand, cs in ((prev_cost[j] + stretch, prev_start[j]),
                             (cost[j - 1] + stretch, start[j - 1])):
                w = (t - cs + 1) + (j + 1)
                if cand / w < score:
                    best, s, score = cand, cs, cand / w
            cost[j], start[j] = best, s
        self.cost, self.start = cost, start
        return cost[-1] / ((t - start[-1] + 1) + self.m)


class GestureLearner:
    """Gestures recognised by dynamic time warping (Wekinator's third model type).

    Args:
        inputs: how many numbers each frame has (mouse x and y: 2), or their names.
        gestures: how many gestures (named 1, 2, ... as Wekinator numbers them) or a list
            of their names.
        threshold: the largest distance that counts as a match, in normalised input units
            (each input scaled to [0, 1] over the examples). ``None`` (the default) sets it
            at :meth:`train`: twice the typical distance between examples of the same
            gesture, or, with one example each, half the distance between the closest
            examples of different gestures.

    Examples:
        >>> import numpy as np, sketchml as sk
        >>> swipe = np.linspace([0, 0.5], [1, 0.5], 20)
        >>> gestures = sk.GestureLearner(inputs=2, gestures=["swipe", "drop"], threshold=0.1)
        >>> gestures.add_example(swipe, "swipe")
        >>> gestures.add_example(np.linspace([0.5, 0], [0.5, 1], 20), "drop")
        >>> _ = gestures.train()
        >>> slow = np.linspace([0, 0.5], [1, 0.5], 35)       # then the hand rests
        >>> hits = [gestures.predict(frame) for frame in [*slow] + [[1, 0.5]] * 5]
        >>> [hit for hit in hits if hit]
        ['swipe']
    """

    def __init__(self, inputs: int | Sequence[str], gestures: int | Sequence[Any], *,
                 threshold: float | None = None) -> None:
        if isinstance(inputs, (int, np.integer)) and not isinstance(inputs, bool):
            self.input_names = [f"input_{i + 1}" for i in range(int(inputs))]
        else:
            self.input_names = [str(name) for name in inputs]
        if not self.input_names:
            raise SketchmlError("A gesture learner needs at least one input.")
        if isinstance(gestures, (int, np.integer)) and not isinstance(gestures, bool):
            self.gestures: list[Any] = list(range(1, int(gestures) + 1))
        else:
            self.gestures = list(gestures)
        if not self.gestures or len(set(self.gestures)) != len(self.gestures):
            raise SketchmlError(
                f"gestures= needs a count or a list of different names, got {gestures!r}."
            )
        self.threshold = None if threshold is None else float(threshold)
        self._threshold_given = threshold is not None
        self._examples: list[tuple[np.ndarray, int]] = []
        self._norm: Normaliser | None = None
        self._matchers: list[tuple[_Matcher, int]] | None = None
        self._recording: int | None = None
        self._recorded: list[np.ndarray] = []
        self._t = 0
        self._pending: tuple[Any, float, int] | None = None
        self.distances: dict[Any, float] = {}
        self.train_seconds = 0.0

    @property
    def inputs(self) -> int:
        """How many numbers each frame has."""
        return len(self.input_names)

    def __len__(self) -> int:
        return len(self._examples)

    def __repr__(self) -> str:
        state = "trained" if self.trained else "not trained"
        return (f"GestureLearner({self.inputs} inputs, gestures {self.gestures}; "
                f"{len(self)} examples, {state})")

    def _gesture(self, gesture: Any) -> int:
        if gesture not in self.gestures:
            raise SketchmlError(f"{gesture!r} is not one of the gestures: "
                                f"{', '.join(map(repr, self.gestures))}.")
        return self.gestures.index(gesture)

    def _sequence(self, frames: Any) -> np.ndarray:
        if hasattr(frames, "detach"):
            frames = frames.detach().cpu().numpy()
        rows = [vector(frame, self.inputs, "inputs of a frame") for frame in frames]
        if len(rows) < 2:
            raise SketchmlError(f"A gesture needs at least 2 frames, got {len(rows)}.")
        return np.array(rows)

    # ------------------------------------------------------------------ examples

    def add_example(self, frames: Any, gesture: Any) -> None:
        """Add one example of ``gesture``: its frames ``(T, inputs)``, in order.

        Examples:
            >>> import sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=2)
            >>> g.add_example([[0], [1], [2]], 1); len(g)
            1
        """
        self._examples.append((self._sequence(frames), self._gesture(gesture)))

    def examples(self) -> list[tuple[np.ndarray, Any]]:
        """Every example: ``(frames, gesture)``."""
        return [(frames.copy(), self.gestures[g]) for frames, g in self._examples]

    def delete_examples(self) -> None:
        """Forget every example."""
        self._examples.clear()

    def start_recording(self, gesture: Any) -> None:
        """Record an example of ``gesture``: every :meth:`feed` adds a frame until
        :meth:`stop_recording` stores them as one example (record while a key is held).

        Examples:
            >>> import sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=["wave"])
            >>> g.start_recording("wave")
            >>> for x in range(10):
            ...     _ = g.feed([x])
            >>> g.stop_recording(); len(g)
            1
        """
        self._recording = self._gesture(gesture)
        self._recorded = []

    def stop_recording(self) -> None:
        """Store the frames fed since :meth:`start_recording` as one example (a recording
        of fewer than 2 frames is dropped)."""
        gesture, frames = self._recording, self._recorded
        self._recording, self._recorded = None, []
        if gesture is not None and len(frames) >= 2:
            self._examples.append((np.array(frames), gesture))

    @property
    def recording(self) -> bool:
        """Whether :meth:`feed` is recording an example."""
        return self._recording is not None

    def feed(self, inputs: Any) -> Any:
        """One live frame: added to the example being recorded, or else (once trained)
        matched, returning the gesture that just ended here or ``None``."""
        if self._recording is not None:
            self._recorded.append(vector(inputs, self.inputs))
            return None
        if self._matchers is None:
            return None
        return self.predict(inputs)

    # ------------------------------------------------------------------ training and running

    def train(self) -> float:
        """Get ready to recognise: normalise the examples and choose the threshold (unless
        one was given). Returns the seconds it took.

        Examples:
            >>> import sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=2)
            >>> g.add_example([[0], [1]], 1); g.add_example([[1], [0]], 2)
            >>> g.train() < 1.0 and g.threshold > 0
            True
        """
        if not self._examples:
            raise SketchmlError("train() needs examples: record a few of each gesture first "
                                "(gestures.add_example(frames, gesture)).")
        start = time.perf_counter()
        self._norm = Normaliser.fit(np.concatenate([frames for frames, _ in self._examples]))
        templates = [(self._norm(frames), g) for frames, g in self._examples]
        if not self._threshold_given:
            self.threshold = _auto_threshold(templates)
        self._matchers = [(_Matcher(frames), g) for frames, g in templates]
        self._t = 0
        self._pending = None
        self.train_seconds = time.perf_counter() - start
        return self.train_seconds

    @property
    def trained(self) -> bool:
        """Whether :meth:`train` has run."""
        return self._matchers is not None

    def _ready(self) -> tuple[Normaliser, list[tuple[_Matcher, int]]]:
        if self._matchers is None or self._norm is None:
            raise SketchmlError("This gesture learner is not trained yet: add examples and call "
                                "train() first.")
        return self._norm, self._matchers

    def gesture_distances(self, frames: Any) -> dict[Any, float]:
        """Each gesture's distance to a whole recorded sequence (its closest example).

        Examples:
            >>> import sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=["up"])
            >>> g.add_example([[0], [0.5], [1]], "up"); _ = g.train()
            >>> round(g.gesture_distances([[0], [0.25], [0.5], [0.75], [1]])["up"], 3)
            0.125
        """
        norm, matchers = self._ready()
        query = norm(self._sequence(frames))
        best = {name: math.inf for name in self.gestures}
        for matcher, g in matchers:
            name = self.gestures[g]
            best[name] = min(best[name], dtw_distance(query, matcher.template))
        return best

    def recognize(self, frames: Any) -> Any:
        """The gesture a whole sequence ``(T, inputs)`` is, or ``None`` when no example is
        within the threshold.

        Examples:
            >>> import sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=["up", "down"], threshold=0.2)
            >>> g.add_example([[0], [0.5], [1]], "up"); g.add_example([[1], [0.5], [0]], "down")
            >>> _ = g.train(); g.recognize([[0.9], [0.7], [0.5], [0.3], [0.1]])
            'down'
        """
        distances = self.gesture_distances(frames)
        name = min(distances, key=distances.__getitem__)
        return name if distances[name] <= (self.threshold or 0.0) else None

    def predict(self, inputs: Any) -> Any:
        """Match one live frame: the gesture whose example the recent frames completed
        (within the threshold) is returned once the match stops improving (two frames
        without getting closer: near the gesture's end), else ``None``. After
        a match the matching starts afresh, so one performance is reported once. :attr:`distances` holds each gesture's
        current distance, for drawing.

        Examples:
            >>> import sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=["up"], threshold=0.05)
            >>> g.add_example([[0], [0.5], [1]], "up"); _ = g.train()
            >>> [g.predict([v]) for v in (0.2, 0.0, 0.5, 1.0, 1.0, 1.0)]
            [None, None, None, None, None, 'up']
        """
        norm, matchers = self._ready()
        x = norm(vector(inputs, self.inputs))
        self._t += 1
        best = {name: math.inf for name in self.gestures}
        for matcher, g in matchers:
            name = self.gestures[g]
            best[name] = min(best[name], matcher.step(x, self._t))
        self.distances = best
        # A match is reported once it stops improving: for two frames its distance has not
        # fallen by 2 % of the threshold. So a gesture is reported once, near its end, not
        # as soon as it comes close; a hand resting at the end (which still lowers the mean
        # distance a little) counts as done.
        name = min(best, key=best.__getitem__)
        threshold = self.threshold or 0.0
        pending = self._pending
        if pending is not None:
            gesture, lowest, stale = pending
            if best[name] < lowest - 0.02 * threshold:
                gesture, lowest, stale = name, best[name], 0
            else:
                stale += 1
            if stale >= 2:
                self._pending = None
                for matcher, _ in matchers:
                    matcher.reset()
                return gesture
            self._pending = (gesture, lowest, stale)
        elif best[name] <= threshold:
            self._pending = (name, best[name], 0)
        return None

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the examples and settings to one ``.safetensors`` file (no pickle),
        atomically; ``sk.load_learner(path)`` resumes it, trained if it was.

        Examples:
            >>> import tempfile, sketchml as sk
            >>> g = sk.GestureLearner(inputs=1, gestures=2)
            >>> g.add_example([[0], [1]], 2)
            >>> sk.load_learner(g.save(tempfile.mkdtemp() + "/g.safetensors")).examples()[0][1]
            2
        """
        config = {"inputs": self.input_names, "gestures": self.gestures,
                  "threshold": self.threshold, "threshold_given": self._threshold_given,
                  "trained": self.trained}
        arrays = {f"example{i}": frames for i, (frames, _) in enumerate(self._examples)}
        arrays["example_gestures"] = np.array([g for _, g in self._examples], np.int64)
        return write_file(path, "gestures", config, arrays)

    @classmethod
    def _from_file(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
                   ) -> GestureLearner:
        learner = cls(config["inputs"], config["gestures"],
                      threshold=config["threshold"] if config["threshold_given"] else None)
        for i, g in enumerate(arrays["example_gestures"].tolist()):
            learner._examples.append((np.asarray(arrays[f"example{i}"], np.float64), int(g)))
        if config["trained"]:
            learner.train()
            learner.threshold = config["threshold"]
        return learner


def _auto_threshold(templates: list[tuple[np.ndarray, int]]) -> float:
    same, different = [], []
    for i, (a, ga) in enumerate(templates):
        near_same = near_other = math.inf
        for j, (b, gb) in enumerate(templates):
            if i == j:
                continue
            d = dtw_distance(a, b)
            if gb == ga:
                near_same = min(near_same, d)
            else:
                near_other = min(near_other, d)
        if math.isfinite(near_same):
            same.append(near_same)
        if math.isfinite(near_other):
            different.append(near_other)
    if same:
        threshold = 2.0 * float(np.median(same))
        if different:   # never so loose that the closest other gesture would match
            threshold = min(threshold, 0.9 * min(different))
        return max(threshold, 1e-3)
    if different:
        return 0.5 * min(different)
    return 0.1
