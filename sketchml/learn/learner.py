"""``sk.Learner``: supervised learning as a user interface, the way Wekinator does it.

Show it examples (inputs you make, with the outputs you want for them), train in a blink,
then run: every frame, new inputs give outputs you can draw with, steer a GAN's latent with
or send over OSC. Each output has its own model: continuous outputs (a neural network,
linear or polynomial regression, k-nearest neighbours) or classes (k-NN, a neural network,
a decision tree, AdaBoost). Inputs are normalised automatically.

Examples:
    >>> import sketchml as sk
    >>> learner = sk.Learner(inputs=2, outputs=[{"model": "knn", "k": 1}])
    >>> learner.add_example([0, 0], [0.0])
    >>> learner.add_example([100, 100], [1.0])
    >>> _ = learner.train()
    >>> learner.predict([90, 95])
    [1.0]
"""
from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.learn import algorithms
from sketchml.learn.store import Normaliser, vector, write_file

__all__ = ["Learner"]

Label = Any


@dataclass
class _Output:
    """One output: its name, model name and options, its class labels (``None`` for a
    continuous output) and the inputs it listens to (their positions; ``None``: all)."""

    name: str
    model: str
    classes: list[Label] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    uses: list[int] | None = None

    def make(self) -> algorithms.Algorithm:
        task = "regression" if self.classes is None else "classification"
        return algorithms.make(self.model, task, classes=len(self.classes or ()), **self.options)


def _labels(classes: int | Sequence[Label] | None) -> list[Label] | None:
    if classes is None:
        return None
    if isinstance(classes, (int, np.integer)) and not isinstance(classes, bool):
        if classes < 2:
            raise SketchmlError(f"A classifier needs 2 or more classes, got classes={classes}.")
        return list(range(1, int(classes) + 1))   # Wekinator numbers classes from 1
    labels = list(classes)
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise SketchmlError(
            f"classes= needs 2 or more different labels (or a count), got {classes!r}."
        )
    for label in labels:
        if not isinstance(label, (str, int)) or isinstance(label, bool):
            raise SketchmlError(f"Class labels are strings or whole numbers, got {label!r}.")
    return labels


class Learner:
    """A mapping from inputs to outputs, learned from examples (Wekinator's continuous and
    classifier models, one model per output).

    Args:
        inputs: how many numbers go in (mouse x and y: 2), or a list of their names.
        outputs: how many outputs (each uses ``model`` and ``classes``), or a list with one
            item per output: a model name, or a dict such as
            ``{"model": "knn", "classes": 3, "name": "shape", "inputs": ["x"], "k": 5}``
            (``inputs``: the inputs this output listens to, by name or position, all unless
            given, as Wekinator's per-model input selection; any keys besides ``model``,
            ``classes``, ``name`` and ``inputs`` are the model's options).
        model: the model of outputs that do not name one: for continuous outputs
            ``"neural"`` (the default), ``"linear"`` or ``"knn"``; for classifiers
            ``"knn"``, ``"neural"``, ``"tree"`` or ``"boost"``.
        classes: makes the outputs classifiers: a count (labels 1, 2, ... as in Wekinator)
            or a list of labels (``["red", "green", "blue"]``). ``None`` (the default):
            continuous outputs.
        seed: seeds the neural networks, so the same examples train the same mapping.

    Why "Learner": it learns a mapping from what you do to what the sketch does, and is
    neither one model nor one algorithm, so it is not named after either.

    Examples:
        >>> import sketchml as sk
        >>> colours = sk.Learner(inputs=3, classes=["red", "blue"], model="tree")
        >>> colours.add_example([250, 10, 20], ["red"])
        >>> colours.add_example([10, 20, 240], ["blue"])
        >>> _ = colours.train()
        >>> colours.predict([200, 40, 30])
        ['red']
    """

    def __init__(
        self,
        inputs: int | Sequence[str],
        outputs: int | Sequence[str | Mapping[str, Any]] = 1,
        *,
        model: str | None = None,
        classes: int | Sequence[Label] | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(inputs, (int, np.integer)) and not isinstance(inputs, bool):
            self.input_names = [f"input_{i + 1}" for i in range(int(inputs))]
        else:
            self.input_names = [str(name) for name in inputs]
        if not self.input_names:
            raise SketchmlError("A learner needs at least one input, e.g. sk.Learner(inputs=2).")
        labels = _labels(classes)
        default = model or ("knn" if labels is not None else "neural")
        if isinstance(outputs, (int, np.integer)) and not isinstance(outputs, bool):
            if outputs < 1:
                raise SketchmlError(f"A learner needs at least one output, got outputs={outputs}.")
            items: list[Any] = [default] * int(outputs)
        else:
            items = list(outputs)
            if not items:
                raise SketchmlError("outputs= is an empty list; give a count or one item per output.")
        self.seed = int(seed)
        self._outputs = [self._parse(i, item, default, labels) for i, item in enumerate(items)]
        for i, out in enumerate(self._outputs):
            self._seeded(i, out).make()   # unknown model names and options fail now
        self._x: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        self._models: list[algorithms.Algorithm] | None = None
        self._columns: list[list[int]] = []
        self._norm: Normaliser | None = None
        self._recording: np.ndarray | None = None
        self.train_seconds = 0.0

    def _seeded(self, index: int, out: _Output) -> _Output:
        # Each network gets its own seed, so two outputs on the same examples differ.
        if out.model == "neural":
            out.options.setdefault("seed", self.seed + index)
        return out

    def _parse(self, index: int, item: Any, default: str, labels: list[Label] | None) -> _Output:
        name = f"output_{index + 1}"
        if isinstance(item, str):
            return _Output(name, item, labels, {})
        if isinstance(item, Mapping):
            options = dict(item)
            model = options.pop("model", default)
            own = _labels(options.pop("classes")) if "classes" in options else labels
            name = str(options.pop("name", name))
            uses = self._uses(options.pop("inputs")) if options.get("inputs") is not None else None
            options.pop("inputs", None)
            return _Output(name, model, own, options, uses)
        raise SketchmlError(
            f"Output {index + 1} is {item!r}; give a model name ('neural', 'knn' ...) or a dict "
            "like {'model': 'knn', 'classes': 3}."
        )

    def _uses(self, inputs: Sequence[int | str]) -> list[int]:
        """Positions of the inputs an output listens to, from names or positions."""
        if isinstance(inputs, (str, int)):
            inputs = [inputs]
        positions = []
        for item in inputs:
            if isinstance(item, str) and item in self.input_names:
                positions.append(self.input_names.index(item))
            elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item < self.inputs:
                positions.append(item)
            else:
                raise SketchmlError(f"An output's inputs= names inputs of the learner ("
                                    f"{self.input_names} or 0 to {self.inputs - 1}); got {item!r}.")
        if not positions:
            raise SketchmlError("An output's inputs= needs at least one input.")
        return positions

    # ------------------------------------------------------------------ description

    @property
    def inputs(self) -> int:
        """How many inputs each example and prediction has."""
        return len(self.input_names)

    @property
    def outputs(self) -> int:
        """How many outputs a prediction has."""
        return len(self._outputs)

    @property
    def output_names(self) -> list[str]:
        """The outputs' names (``output_1`` ... unless named)."""
        return [out.name for out in self._outputs]

    def classes(self, output: int = 0) -> list[Label] | None:
        """The class labels of ``output`` (``None`` for a continuous output).

        Examples:
            >>> import sketchml as sk
            >>> sk.Learner(inputs=2, classes=3).classes()
            [1, 2, 3]
        """
        return list(self._outputs[self._index(output)].classes or []) or None

    def __len__(self) -> int:
        return len(self._x)

    def __repr__(self) -> str:
        models = ", ".join(
            f"{o.name}: {o.model}" + (f" ({len(o.classes)} classes)" if o.classes else "")
            for o in self._outputs
        )
        state = "trained" if self.trained else "not trained"
        return f"Learner({self.inputs} inputs -> {models}; {len(self)} examples, {state})"

    def _index(self, output: int | str) -> int:
        if isinstance(output, str):
            if output not in self.output_names:
                raise SketchmlError(f"No output {output!r}; the outputs are {self.output_names}.")
            return self.output_names.index(output)
        if not -self.outputs <= output < self.outputs:
            raise SketchmlError(f"Output {output} is out of range: this learner has "
                                f"{self.outputs} (numbered from 0).")
        return output % self.outputs

    def set_model(self, output: int | str, model: str, **options: Any) -> None:
        """Use ``model`` (with ``options``) for one output, as Wekinator lets you choose per
        output; takes effect at the next :meth:`train`.

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=2, outputs=2)
            >>> learner.set_model(1, "knn", k=5)
            >>> learner
            Learner(2 inputs -> output_1: neural, output_2: knn; 0 examples, not trained)
        """
        i = self._index(output)
        out = self._outputs[i]
        replaced = self._seeded(i, _Output(out.name, model, out.classes, dict(options), out.uses))
        replaced.make()
        self._outputs[i] = replaced

    # ------------------------------------------------------------------ examples

    def _target(self, outputs: Any) -> np.ndarray:
        if isinstance(outputs, (str, int, float, np.number)):
            if self.outputs != 1:
                raise SketchmlError(f"Expected {self.outputs} outputs (a list), got one value: "
                                    f"{outputs!r}.")
            outputs = [outputs]
        values = list(outputs.tolist() if hasattr(outputs, "tolist") else outputs)
        if len(values) != self.outputs:
            raise SketchmlError(
                f"Expected {self.outputs} outputs, got {len(values)}: {values[:8]}."
            )
        row = np.empty(self.outputs)
        for i, (value, out) in enumerate(zip(values, self._outputs)):
            if out.classes is None:
                row[i] = vector(value, 1, f"value of {out.name}")[0]
            else:
                label = value.item() if hasattr(value, "item") else value
                if isinstance(label, float) and label.is_integer():
                    label = int(label)
                if label not in out.classes:
                    raise SketchmlError(
                        f"{label!r} is not a class of {out.name}; its classes are "
                        f"{', '.join(map(repr, out.classes))}."
                    )
                row[i] = out.classes.index(label)
        return row

    def add_example(self, inputs: Any, outputs: Any) -> None:
        """Add one example: these ``inputs`` should give these ``outputs`` (one value per
        output: a number for a continuous output, a label for a classifier; a lone value
        is fine with one output). Call it every frame while a key is held to record a
        stream of examples, as Wekinator's record button does.

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=2, outputs=3)
            >>> learner.add_example([10, 20], [0.0, 0.5, 1.0]); len(learner)
            1
        """
        self._x.append(vector(inputs, self.inputs))
        self._y.append(self._target(outputs))

    def examples(self) -> tuple[np.ndarray, list[list[Label]]]:
        """The examples: inputs ``(N, inputs)`` and, per example, its outputs (labels for
        classifiers).

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=1, classes=["a", "b"])
            >>> learner.add_example([3], "b"); learner.examples()[1]
            [['b']]
        """
        x = np.array(self._x).reshape(len(self._x), self.inputs)
        return x, [self._decode(row) for row in self._y]

    def delete_examples(self) -> None:
        """Forget every example (the trained models stay until the next :meth:`train`).

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=1)
            >>> learner.add_example([1], [1]); learner.delete_examples(); len(learner)
            0
        """
        self._x.clear()
        self._y.clear()

    def start_recording(self, outputs: Any) -> None:
        """Record: from now on every :meth:`feed` adds an example with these ``outputs``,
        until :meth:`stop_recording` (Wekinator's record button, for when inputs arrive
        from elsewhere, such as OSC).

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=2)
            >>> learner.start_recording([0.5])
            >>> for x in range(5):
            ...     _ = learner.feed([x, 2 * x])
            >>> learner.stop_recording(); len(learner)
            5
        """
        self._recording = self._target(outputs)

    def stop_recording(self) -> None:
        """Stop recording examples (see :meth:`start_recording`)."""
        self._recording = None

    @property
    def recording(self) -> bool:
        """Whether :meth:`feed` is recording examples."""
        return self._recording is not None

    def feed(self, inputs: Any) -> list[Label] | None:
        """One frame of inputs: recorded as an example while recording; otherwise, once
        trained, turned into outputs (returned). ``None`` when nothing was predicted.

        Examples:
            >>> import sketchml as sk
            >>> sk.Learner(inputs=2).feed([1, 2]) is None   # not trained yet
            True
        """
        if self._recording is not None:
            self._x.append(vector(inputs, self.inputs))
            self._y.append(self._recording.copy())
            return None
        if self._models is None:
            return None
        return self.predict(inputs)

    # ------------------------------------------------------------------ training and running

    def train(self) -> float:
        """Train every output's model on the examples; returns the seconds it took (well
        under one for a few hundred examples: see ``benchmarks/interactive.py``).

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=1, model="linear")
            >>> learner.add_example([0], [1]); learner.add_example([1], [3])
            >>> learner.train() < 1.0
            True
        """
        if not self._x:
            raise SketchmlError(
                "train() needs examples first: call learner.add_example(inputs, outputs), or "
                "record some (hold the record key in the lesson's sketch)."
            )
        start = time.perf_counter()
        x = np.array(self._x)
        y = np.array(self._y)
        norm = Normaliser.fit(x)
        xn = norm(x)
        models, columns = [], []
        for i, out in enumerate(self._outputs):
            model = out.make()
            cols = out.uses if out.uses is not None else list(range(self.inputs))
            model.fit(xn[:, cols], y[:, i])
            models.append(model)
            columns.append(cols)
        self._norm, self._models, self._columns = norm, models, columns
        self.train_seconds = time.perf_counter() - start
        return self.train_seconds

    @property
    def trained(self) -> bool:
        """Whether :meth:`train` has run (so :meth:`predict` works)."""
        return self._models is not None

    def _ready(self) -> tuple[Normaliser, list[algorithms.Algorithm]]:
        if self._models is None or self._norm is None:
            raise SketchmlError(
                "This learner is not trained yet: add examples (learner.add_example(inputs, "
                "outputs)) and call learner.train() before predict()."
            )
        return self._norm, self._models

    def _decode(self, row: np.ndarray) -> list[Label]:
        return [float(v) if out.classes is None else out.classes[int(v)]
                for v, out in zip(row, self._outputs)]

    def predict(self, inputs: Any) -> list[Label]:
        """The outputs for one set of inputs: a float per continuous output, a label per
        classifier. Cheap enough for every frame (microseconds; see the benchmark).

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=1, model="knn")
            >>> for x in range(10):
            ...     learner.add_example([x], [x * 10])
            >>> _ = learner.train(); learner.predict([4])
            [40.0]
        """
        norm, models = self._ready()
        x = norm(vector(inputs, self.inputs))[None, :]
        return self._decode(np.array([model.predict(x[:, cols])[0]
                                      for model, cols in zip(models, self._columns)]))

    def predict_many(self, inputs: Any) -> list[list[Label]]:
        """:meth:`predict` for many input rows ``(M, inputs)`` at once.

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=1, model="linear")
            >>> learner.add_example([0], [0]); learner.add_example([1], [2])
            >>> _ = learner.train(); [[round(v, 3) for v in row] for row in learner.predict_many([[0], [1]])]
            [[0.0], [2.0]]
        """
        norm, models = self._ready()
        if hasattr(inputs, "detach"):
            inputs = inputs.detach().cpu().numpy()
        rows = np.asarray(inputs, np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.inputs:
            raise SketchmlError(f"predict_many takes rows of {self.inputs} inputs, shape "
                                f"(M, {self.inputs}); got shape {rows.shape}.")
        xn = norm(rows)
        values = np.stack([model.predict(xn[:, cols]) for model, cols in zip(models, self._columns)],
                          axis=1)
        return [self._decode(row) for row in values]

    def probabilities(self, inputs: Any, output: int | str = 0) -> dict[Label, float]:
        """How sure a classifier output is: each class label's probability.

        Examples:
            >>> import sketchml as sk
            >>> learner = sk.Learner(inputs=1, classes=["lo", "hi"], model="neural")
            >>> for x in range(10):
            ...     learner.add_example([x], ["lo" if x < 5 else "hi"])
            >>> _ = learner.train(); learner.probabilities([9])["hi"] > 0.9
            True
        """
        norm, models = self._ready()
        i = self._index(output)
        labels = self._outputs[i].classes
        if labels is None:
            raise SketchmlError(f"{self._outputs[i].name} is a continuous output, not a "
                                "classifier: it has no class probabilities.")
        x = norm(vector(inputs, self.inputs))[None, :]
        p = models[i].proba(x[:, self._columns[i]])[0]
        return {label: float(v) for label, v in zip(labels, p)}

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save examples, settings and trained models to one ``.safetensors`` file (no
        pickle), atomically; :func:`sk.load_learner <sketchml.learn.load_learner>` resumes it.

        Examples:
            >>> import tempfile, sketchml as sk
            >>> learner = sk.Learner(inputs=2)
            >>> learner.save(tempfile.mkdtemp() + "/empty.safetensors").suffix
            '.safetensors'
        """
        config: dict[str, Any] = {
            "inputs": self.input_names, "seed": self.seed, "trained": self.trained,
            "outputs": [{"name": o.name, "model": o.model, "classes": o.classes,
                         "options": o.options, "inputs": o.uses} for o in self._outputs],
        }
        arrays = {
            "examples.inputs": np.array(self._x).reshape(len(self._x), self.inputs),
            "examples.outputs": np.array(self._y).reshape(len(self._y), self.outputs),
        }
        if self._models is not None and self._norm is not None:
            arrays.update(self._norm.arrays())
            config["models"] = [model.config for model in self._models]
            config["columns"] = self._columns
            for i, model in enumerate(self._models):
                arrays.update({f"model{i}.{key}": value for key, value in model.arrays().items()})
        return write_file(path, "mapping", config, arrays)

    @classmethod
    def _from_file(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Learner:
        outputs = [{"model": o["model"], "name": o["name"], "inputs": o["inputs"], **o["options"],
                    **({"classes": o["classes"]} if o["classes"] else {})}
                   for o in config["outputs"]]
        learner = cls(config["inputs"], outputs, seed=config["seed"])
        learner._x = list(np.asarray(arrays["examples.inputs"], np.float64))
        learner._y = list(np.asarray(arrays["examples.outputs"], np.float64))
        if config.get("trained"):
            learner._norm = Normaliser.from_arrays(arrays)
            learner._models = []
            for i, model_config in enumerate(config["models"]):
                prefix = f"model{i}."
                own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
                learner._models.append(algorithms.restore(model_config, own))
            learner._columns = [list(cols) for cols in config["columns"]]
        return learner
