"""The Learner learns: held-out error and accuracy on examples made from known functions."""
from __future__ import annotations

import json

import numpy as np
import pytest

import sketchml as sk


def _wave(x: np.ndarray) -> np.ndarray:
    return np.sin(3.0 * x[:, 0]) + x[:, 1] ** 2


def _rings(x: np.ndarray) -> np.ndarray:
    """Four classes: left/right half, and a disc in the middle split in two."""
    disc = (x[:, 0] - 0.5) ** 2 + (x[:, 1] - 0.5) ** 2 < 0.06
    return (x[:, 0] > 0.5).astype(int) + 2 * disc


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    train, test = rng.random((300, 2)), rng.random((400, 2))
    return train, test


def _held_out_rmse(learner: sk.Learner, test: np.ndarray, truth: np.ndarray) -> float:
    predicted = np.array(learner.predict_many(test))[:, 0]
    return float(np.sqrt(np.mean((predicted - truth) ** 2)))


@pytest.mark.parametrize("model, options, limit", [
    ("neural", {}, 0.05),
    ("knn", {}, 0.10),
    ("linear", {"degree": 3}, 0.05),
])
def test_regression_held_out_error(data, model, options, limit):
    train, test = data
    learner = sk.Learner(inputs=2, outputs=[{"model": model, **options}])
    for x, y in zip(train, _wave(train)):
        learner.add_example(x, [y])
    learner.train()
    truth = _wave(test)
    rmse = _held_out_rmse(learner, test, truth)
    # The target spreads over about 0.43 (std): a model that learned nothing scores that.
    assert rmse < limit, (model, rmse, truth.std())


def test_linear_is_exact_on_a_plane(data):
    train, test = data
    learner = sk.Learner(inputs=2, model="linear")
    for x in train:
        learner.add_example(x, [2.0 * x[0] - 3.0 * x[1] + 1.0])
    learner.train()
    assert _held_out_rmse(learner, test, 2.0 * test[:, 0] - 3.0 * test[:, 1] + 1.0) < 1e-3


@pytest.mark.parametrize("model", ["knn", "neural", "tree", "boost"])
def test_classification_held_out_accuracy(data, model):
    train, test = data
    learner = sk.Learner(inputs=2, classes=4, model=model)
    for x, label in zip(train, _rings(train)):
        learner.add_example(x, [int(label) + 1])   # Wekinator's classes count from 1
    learner.train()
    predicted = np.array(learner.predict_many(test))[:, 0]
    accuracy = float(np.mean(predicted == _rings(test) + 1))
    assert accuracy > 0.9, (model, accuracy)


def test_inputs_are_normalised(data):
    """One input in thousands, one in thousandths: without normalisation k-NN would only
    see the first; the class depends on the second alone."""
    train, test = data

    def scaled(x):
        return np.stack([x[:, 0] * 1000.0, x[:, 1] / 1000.0], axis=1)

    learner = sk.Learner(inputs=2, classes=["low", "high"], model="knn")
    for x in train:
        learner.add_example(scaled(x[None])[0], ["high" if x[1] > 0.5 else "low"])
    learner.train()
    predicted = [row[0] for row in learner.predict_many(scaled(test))]
    accuracy = np.mean([p == ("high" if y > 0.5 else "low") for p, y in zip(predicted, test[:, 1])])
    assert accuracy > 0.95


def test_each_output_has_its_own_model(data):
    train, test = data
    learner = sk.Learner(inputs=2, outputs=[
        "neural", {"model": "linear", "name": "plane"}, {"model": "tree", "classes": ["l", "r"]},
    ])
    for x in train:
        learner.add_example(x, [_wave(x[None])[0], x[0] + x[1], "r" if x[0] > 0.5 else "l"])
    learner.train()
    rows = learner.predict_many(test)
    wave = np.array([r[0] for r in rows])
    plane = np.array([r[1] for r in rows])
    assert np.sqrt(np.mean((wave - _wave(test)) ** 2)) < 0.05
    assert np.abs(plane - test.sum(axis=1)).max() < 1e-3
    assert np.mean([r[2] == ("r" if x > 0.5 else "l") for r, x in zip(rows, test[:, 0])]) > 0.95
    assert learner.output_names == ["output_1", "plane", "output_3"]
    probabilities = learner.probabilities([0.9, 0.5], output=2)
    assert set(probabilities) == {"l", "r"} and probabilities["r"] > 0.9


def test_each_output_listens_to_its_own_inputs(tmp_path):
    """An output told to ignore an input cannot be fooled by it; the choice is saved."""
    rng = np.random.default_rng(3)
    learner = sk.Learner(inputs=["a", "noise"], outputs=[
        {"model": "knn", "k": 1, "inputs": ["a"]}, {"model": "knn", "k": 1}])
    for a, noise in rng.random((200, 2)):
        learner.add_example([a, noise * 100], [a, a])
    learner.train()
    probe = rng.random((100, 1))
    rows = np.hstack([probe, rng.random((100, 1)) * 100])   # new noise values
    picked = np.array(learner.predict_many(rows))
    only_a = np.abs(picked[:, 0] - probe[:, 0]).max()
    everything = np.abs(picked[:, 1] - probe[:, 0]).max()
    assert only_a < 0.05 < everything
    again = sk.load_learner(learner.save(tmp_path / "m.safetensors"))
    assert again.predict_many(rows) == learner.predict_many(rows)
    learner.set_model(0, "linear")
    learner.train()
    assert np.abs(np.array(learner.predict_many(rows))[:, 0] - probe[:, 0]).max() < 1e-3


def test_set_model_changes_one_output():
    learner = sk.Learner(inputs=1, outputs=2, model="linear")
    for x in np.linspace(0, 1, 11):
        learner.add_example([x], [x, 1.0 if x > 0.5 else 0.0])
    learner.set_model(1, "knn", k=1)
    learner.train()
    # k-NN with k=1 copies the nearest example's step; a line through a step could not.
    assert learner.predict([0.52])[1] == 0.0 and learner.predict([0.58])[1] == 1.0
    assert learner.predict([0.9]) == pytest.approx([0.9, 1.0], abs=1e-3)


def test_recording_while_held_adds_a_stream_of_examples():
    learner = sk.Learner(inputs=2, outputs=1, model="knn")
    learner.start_recording([5.0])
    for i in range(30):
        assert learner.feed([i, i]) is None
    learner.stop_recording()
    learner.start_recording([-5.0])
    for i in range(30):
        learner.feed([100 + i, 100 + i])
    learner.stop_recording()
    assert len(learner) == 60 and not learner.recording
    learner.train()
    assert learner.feed([10, 12]) == [5.0]
    assert learner.feed([120, 118]) == [-5.0]


def test_save_and_load_resume_examples_and_models(tmp_path, data):
    train, test = data
    learner = sk.Learner(inputs=2, outputs=["neural", {"model": "boost", "classes": 4}], seed=3)
    for x, y, c in zip(train, _wave(train), _rings(train)):
        learner.add_example(x, [y, int(c) + 1])
    learner.train()
    path = learner.save(tmp_path / "mapping.safetensors")
    again = sk.load_learner(path)
    assert len(again) == len(learner) and again.trained
    assert again.predict_many(test) == learner.predict_many(test)
    # The file is safetensors: an 8-byte length and a JSON header, no pickled objects.
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert header["__metadata__"]["format"] == "sketchml.learner/1"
    assert b"pickle" not in raw and not raw.startswith(b"\x80")
    # Retraining the loaded learner from its examples gives the same mapping (seeded).
    again.train()
    assert np.allclose(np.array(again.predict_many(test), float),
                       np.array(learner.predict_many(test), float))


def test_untrained_learner_is_saved_and_loaded_untrained(tmp_path):
    learner = sk.Learner(inputs=["x", "y"], classes=["a", "b"])
    learner.add_example([1, 2], "a")
    again = sk.load_learner(learner.save(tmp_path / "l.safetensors"))
    assert not again.trained and again.examples()[1] == [["a"]]
    assert again.input_names == ["x", "y"]


def _trained() -> sk.Learner:
    learner = sk.Learner(inputs=1, model="linear")
    learner.add_example([0], [0])
    learner.train()
    return learner


@pytest.mark.parametrize("make, message", [
    (lambda: sk.Learner(inputs=2).add_example([1, 2, 3], [0]), "Expected 2 inputs, got 3"),
    (lambda: sk.Learner(inputs=1, classes=["a", "b"]).add_example([1], ["c"]), "not a class"),
    (lambda: sk.Learner(inputs=1).predict([1]), "not trained yet"),
    (lambda: sk.Learner(inputs=1).train(), "needs examples"),
    (lambda: sk.Learner(inputs=1, model="nueral"), "Did you mean 'neural'"),
    (lambda: sk.Learner(inputs=1, model="tree"), "give the output classes="),
    (lambda: sk.Learner(inputs=1, outputs=[{"model": "knn", "kk": 3}]), "no option 'kk'"),
    (lambda: sk.Learner(inputs=1).add_example([float("nan")], [0]), "NaN"),
    (lambda: sk.Learner(inputs=1).save("mapping.json"), ".safetensors"),
    (lambda: sk.Learner(inputs=1, outputs=2).add_example([1], "red"), "got one value"),
    (lambda: sk.Learner(inputs=["x"], outputs=[{"inputs": ["y"]}]), "inputs= names inputs"),
    (lambda: _trained().predict_many([1, 2, 3]), r"shape \(M, 1\)"),
])
def test_mistakes_get_clear_errors(make, message):
    with pytest.raises(sk.SketchmlError, match=message):
        make()


def test_loading_something_else_is_refused(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(sk.SketchmlError, match="not a readable safetensors"):
        sk.load_learner(bad)
