"""DTW recognises synthetic gestures made with noise and time warping, and rejects others."""
from __future__ import annotations

import numpy as np
import pytest

import sketchml as sk

SHAPES = {
    "circle": lambda s: np.stack([0.5 + 0.4 * np.cos(2 * np.pi * s), 0.5 + 0.4 * np.sin(2 * np.pi * s)], 1),
    "swipe": lambda s: np.stack([0.1 + 0.8 * s, 0.5 + 0.0 * s], 1),
    "zigzag": lambda s: np.stack([0.1 + 0.8 * s, 0.3 + 0.4 * np.abs(((3 * s) % 2) - 1)], 1),
    "corner": lambda s: np.stack([0.2 + 0.6 * np.minimum(2 * s, 1), 0.2 + 0.6 * np.maximum(2 * s - 1, 0)], 1),
}


def perform(name: str, rng: np.random.Generator, *, noise: float = 0.02) -> np.ndarray:
    """One performance: 25 to 70 frames, an uneven speed (random monotone time warp), jitter."""
    frames = int(rng.integers(25, 71))
    speed = rng.lognormal(0.0, 0.5, frames - 1)
    s = np.concatenate([[0.0], np.cumsum(speed)])
    s /= s[-1]
    return SHAPES[name](s) + rng.normal(0.0, noise, (frames, 2))


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(11)
    learner = sk.GestureLearner(inputs=["x", "y"], gestures=list(SHAPES))
    for name in SHAPES:
        for _ in range(3):
            learner.add_example(perform(name, rng) * 400, name)   # in canvas pixels
    learner.train()
    return learner


def test_held_out_performances_are_recognised(trained):
    rng = np.random.default_rng(12)
    results = [(name, trained.recognize(perform(name, rng) * 400))
               for name in SHAPES for _ in range(15)]
    accuracy = np.mean([got == want for want, got in results])
    assert accuracy >= 0.9, results


def test_other_movements_are_not_gestures(trained):
    rng = np.random.default_rng(13)
    still = [0.5 + rng.normal(0.0, 0.02, (40, 2)) for _ in range(10)]   # a resting hand
    rejected = np.mean([trained.recognize(frames * 400) is None for frames in still])
    assert rejected >= 0.9


@pytest.mark.parametrize("seed", [14, 15])
def test_live_stream_reports_each_gesture_once_near_its_end(trained, seed):
    rng = np.random.default_rng(seed)
    stream, spans, order = [], [], ["zigzag", "circle", "swipe", "corner"]
    for name in order:
        rest = stream[-1] if stream else np.array([0.5, 0.5])
        stream += list(rest + rng.normal(0.0, 0.005, (20, 2)))   # pause between gestures
        start = len(stream)
        stream += list(perform(name, rng))
        spans.append((start, len(stream) - 1))
    stream += list(stream[-1] + rng.normal(0.0, 0.005, (20, 2)))
    hits = [(t, trained.predict(frame * 400)) for t, frame in enumerate(stream)]
    hits = [(t, name) for t, name in hits if name is not None]
    assert [name for _, name in hits] == order, hits
    # Live, the end of a gesture is only known once it stops matching better: reported in
    # its last quarter (an uneven speed can leave the end nearly still) or just after.
    for (t, _), (start, end) in zip(hits, spans):
        assert start + 0.75 * (end - start) <= t <= end + 10, (hits, spans)


def test_recording_by_holding_and_saving(tmp_path):
    rng = np.random.default_rng(15)
    learner = sk.GestureLearner(inputs=2, gestures=2)
    for gesture, name in ((1, "circle"), (2, "swipe")):
        for _ in range(2):
            learner.start_recording(gesture)
            for frame in perform(name, rng):
                learner.feed(frame)
            learner.stop_recording()
    assert len(learner) == 4
    learner.train()
    again = sk.load_learner(learner.save(tmp_path / "gestures.safetensors"))
    assert again.trained and again.threshold == pytest.approx(learner.threshold)
    sample = perform("swipe", rng)
    assert again.recognize(sample) == learner.recognize(sample) == 2


def test_threshold_decides(trained):
    sample = perform("circle", np.random.default_rng(16)) * 400
    distance = trained.gesture_distances(sample)["circle"]
    strict = sk.GestureLearner(inputs=2, gestures=list(SHAPES), threshold=distance * 0.5)
    for frames, name in trained.examples():
        strict.add_example(frames, name)
    strict.train()
    assert trained.recognize(sample) == "circle" and strict.recognize(sample) is None


def test_dtw_distance_ignores_speed_but_not_shape():
    s = np.linspace(0, 1, 30)
    slow = np.linspace(0, 1, 90)
    circle, swipe = SHAPES["circle"], SHAPES["swipe"]
    same = sk.learn.dtw.dtw_distance(circle(s), circle(slow))
    other = sk.learn.dtw.dtw_distance(circle(s), swipe(slow))
    assert other > 5 * same


def test_dtw_distance_is_the_textbook_recurrence():
    """The row-at-once solution equals the cell-by-cell dynamic programme it replaces."""
    from sketchml.learn.dtw import _STRETCH

    def cell_by_cell(a, b):
        n, m = len(a), len(b)
        cost = np.sqrt(((a[:, None] - b[None]) ** 2).sum(2))
        table = np.full((n + 1, m + 1), np.inf)
        table[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                c = cost[i - 1, j - 1]
                table[i, j] = min(table[i - 1, j - 1] + 2 * c, table[i - 1, j] + _STRETCH * c,
                                  table[i, j - 1] + _STRETCH * c)
        return table[n, m] / (n + m)

    rng = np.random.default_rng(17)
    for _ in range(20):
        a, b = rng.random((rng.integers(1, 30), 3)), rng.random((rng.integers(1, 30), 3))
        assert sk.learn.dtw.dtw_distance(a, b) == pytest.approx(cell_by_cell(a, b), abs=1e-12)
