"""The models one output of a :class:`~sketchml.learn.Learner` can use, in plain numpy.

Wekinator's choices, small enough to train in milliseconds on a few hundred examples and
to predict in microseconds every frame:

* continuous outputs: ``"neural"`` (a small multilayer perceptron), ``"linear"`` (linear or
  polynomial least squares) and ``"knn"`` (the mean of the k nearest examples);
* classification: ``"knn"`` (a vote of the k nearest), ``"neural"`` (the same perceptron
  with a softmax), ``"tree"`` (a CART decision tree) and ``"boost"`` (AdaBoost, SAMME, over
  shallow trees).

Each model sees inputs already normalised by the learner (each input scaled by its range in
the examples) and keeps its whole state as named numpy arrays plus a JSON-friendly
config, so a learner saves to safetensors with no pickle.

Examples:
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 20)[:, None]
    >>> model = make("linear", "regression")
    >>> model.fit(x, 3 * x[:, 0] + 1)
    >>> round(float(model.predict(np.array([[0.5]]))[0]), 3)
    2.5
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError, did_you_mean

__all__ = ["CLASSIFIERS", "REGRESSORS", "Algorithm", "make", "restore"]

Arrays = dict[str, np.ndarray]


class Algorithm:
    """One output's model: ``fit`` on normalised inputs ``(N, D)``, ``predict`` ``(M,)``.

    ``task`` is ``"regression"`` (targets are floats) or ``"classification"`` (targets are
    class indices ``0 .. classes - 1``).
    """

    name = ""
    defaults: dict[str, Any] = {}

    def __init__(self, task: str, *, classes: int = 0, **options: Any) -> None:
        unknown = set(options) - set(self.defaults)
        if unknown:
            name = sorted(unknown)[0]
            raise SketchmlError(
                f"The {self.name!r} model has no option {name!r}.{did_you_mean(name, self.defaults)}"
                f" Its options: {', '.join(sorted(self.defaults)) or 'none'}."
            )
        self.task = task
        self.classes = int(classes)
        self.options = {**self.defaults, **options}

    @property
    def config(self) -> dict[str, Any]:
        """What :func:`restore` needs besides the arrays."""
        return {"name": self.name, "task": self.task, "classes": self.classes,
                "options": self.options}

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Values ``(M,)``: floats for regression, class indices for classification."""
        if self.task == "classification":
            return self.proba(x).argmax(axis=1)
        raise NotImplementedError

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``(M, classes)`` (classification only)."""
        raise NotImplementedError

    def arrays(self) -> Arrays:
        raise NotImplementedError

    def load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------- k-NN


class KNN(Algorithm):
    """k nearest neighbours: regression averages their targets, classification takes a vote
    (ties go to the class of the nearest). Options: ``k`` (3 for regression, 1 for classes,
    as Wekinator)."""

    name = "knn"
    defaults = {"k": None}

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = np.asarray(x, np.float64)
        self.y = np.asarray(y, np.float64)

    def _k(self) -> int:
        k = self.options["k"] or (1 if self.task == "classification" else 3)
        return max(1, min(int(k), len(self.x)))

    def _neighbours(self, x: np.ndarray) -> np.ndarray:
        d = ((x[:, None, :] - self.x[None, :, :]) ** 2).sum(axis=2)
        k = self._k()
        if k == len(self.x):
            return np.argsort(d, axis=1)
        nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(d, nearest, axis=1).argsort(axis=1)
        return np.take_along_axis(nearest, order, axis=1)[:, :k]

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.task == "regression":
            return self.y[self._neighbours(x)[:, : self._k()]].mean(axis=1)
        return super().predict(x)

    def proba(self, x: np.ndarray) -> np.ndarray:
        near = self._neighbours(x)[:, : self._k()]
        labels = self.y[near].astype(int)
        votes = np.zeros((len(x), self.classes))
        np.add.at(votes, (np.arange(len(x))[:, None], labels), 1.0)
        votes[np.arange(len(x)), labels[:, 0]] += 0.5   # the nearest breaks ties
        return votes / votes.sum(axis=1, keepdims=True)

    def arrays(self) -> Arrays:
        return {"x": self.x, "y": self.y}

    def load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.fit(arrays["x"], arrays["y"])


# --------------------------------------------------------------------------- linear


class Linear(Algorithm):
    """Least squares on the inputs and their powers up to ``degree`` (1: linear regression,
    2 or 3: Wekinator's polynomial regression), with a whisper of ridge so repeated or
    constant inputs still solve. Regression only."""

    name = "linear"
    defaults = {"degree": 1}

    def _features(self, x: np.ndarray) -> np.ndarray:
        powers = [x ** p for p in range(1, int(self.options["degree"]) + 1)]
        return np.concatenate([*powers, np.ones((len(x), 1))], axis=1)

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        f = self._features(np.asarray(x, np.float64))
        ridge = 1e-6 * len(f) * np.eye(f.shape[1])
        ridge[-1, -1] = 0.0
        self.w = np.linalg.solve(f.T @ f + ridge, f.T @ np.asarray(y, np.float64))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._features(x) @ self.w

    def arrays(self) -> Arrays:
        return {"w": self.w}

    def load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.w = np.asarray(arrays["w"], np.float64)


# --------------------------------------------------------------------------- neural network


class NeuralNet(Algorithm):
    """A multilayer perceptron: ``layers`` hidden layers of ``hidden`` tanh units, trained
    with Adam for ``epochs`` steps (seeded, so training twice gives the same net). Each step
    sees every example, or a random ``batch`` of them when there are more, so training
    time stops growing past ``batch`` examples. Regression fits standardised targets with
    squared error; classification a softmax with cross-entropy."""

    name = "neural"
    defaults = {"hidden": 24, "layers": 2, "epochs": 500, "batch": 256, "learning_rate": 0.01,
                "seed": 0}

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        x = np.asarray(x, np.float64) * 2.0 - 1.0
        rng = np.random.default_rng(int(self.options["seed"]))
        if self.task == "regression":
            y = np.asarray(y, np.float64)
            self.mean, self.std = float(y.mean()), float(y.std()) or 1.0
            target = ((y - self.mean) / self.std)[:, None]
            out = 1
        else:
            self.mean, self.std = 0.0, 1.0
            target = np.eye(self.classes)[np.asarray(y, int)]
            out = self.classes
        sizes = [x.shape[1]] + [int(self.options["hidden"])] * int(self.options["layers"]) + [out]
        params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            params.append(rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)))
            params.append(np.zeros(fan_out))
        moments = [np.zeros_like(p) for p in params]
        squares = [np.zeros_like(p) for p in params]
        rate, epochs = float(self.options["learning_rate"]), int(self.options["epochs"])
        batch = int(self.options["batch"])
        for step in range(1, epochs + 1):
            if len(x) > batch:
                rows = rng.choice(len(x), batch, replace=False)
                grads = self._gradients(params, x[rows], target[rows])
            else:
                grads = self._gradients(params, x, target)
            # A cosine decay settles the weights at the end instead of leaving them jittering.
            lr = rate * 0.5 * (1.0 + np.cos(np.pi * step / epochs)) + rate * 0.01
            for p, g, m, v in zip(params, grads, moments, squares):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        self.params = params

    def _gradients(self, params: list[np.ndarray], x: np.ndarray, target: np.ndarray
                   ) -> list[np.ndarray]:
        activations = [x]
        h = x
        for i in range(0, len(params) - 2, 2):
            h = np.tanh(h @ params[i] + params[i + 1])
            activations.append(h)
        out = h @ params[-2] + params[-1]
        if self.task == "regression":
            delta = 2.0 * (out - target) / len(x)
        else:
            delta = (_softmax(out) - target) / len(x)
        grads: list[np.ndarray] = []
        for i in range(len(params) - 2, -1, -2):
            a = activations[i // 2]
            grads[:0] = [a.T @ delta, delta.sum(axis=0)]
            if i:
                delta = (delta @ params[i].T) * (1.0 - a * a)
        return grads

    def _forward(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, np.float64) * 2.0 - 1.0
        for i in range(0, len(self.params) - 2, 2):
            h = np.tanh(h @ self.params[i] + self.params[i + 1])
        return h @ self.params[-2] + self.params[-1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.task == "regression":
            return self._forward(x)[:, 0] * self.std + self.mean
        return super().predict(x)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return _softmax(self._forward(x))

    def arrays(self) -> Arrays:
        named = {f"p{i}": p for i, p in enumerate(self.params)}
        named["scale"] = np.array([self.mean, self.std])
        return named

    def load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        count = sum(1 for key in arrays if key.startswith("p"))
        self.params = [np.asarray(arrays[f"p{i}"], np.float64) for i in range(count)]
        self.mean, self.std = (float(v) for v in arrays["scale"])


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- trees


def _grow_tree(x: np.ndarray, y: np.ndarray, w: np.ndarray, classes: int, max_depth: int,
               min_leaf: int) -> Arrays:
    """A CART tree (Gini impurity, weighted examples) as flat arrays: ``feature`` (-1 at a
    leaf), ``threshold``, ``left``, ``right`` and ``value`` (class weights per node)."""
    onehot = np.eye(classes)[y] * w[:, None]
    feature, threshold, left, right, value = [], [], [], [], []
    stack = [(np.arange(len(x)), 0, -1, False)]
    while stack:
        rows, depth, parent, is_right = stack.pop()
        node = len(feature)
        if parent >= 0:
            (right if is_right else left)[parent] = node
        counts = onehot[rows].sum(axis=0)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        value.append(counts / max(counts.sum(), 1e-12))
        if depth >= max_depth or len(rows) < 2 * min_leaf or np.count_nonzero(counts) < 2:
            continue
        best = _best_split(x[rows], onehot[rows], min_leaf)
        if best is None:
            continue
        f, t = best
        feature[node], threshold[node] = f, t
        goes_left = x[rows, f] <= t
        stack.append((rows[~goes_left], depth + 1, node, True))
        stack.append((rows[goes_left], depth + 1, node, False))
    return {
        "feature": np.array(feature, np.int64), "threshold": np.array(threshold, np.float64),
        "left": np.array(left, np.int64), "right": np.array(right, np.int64),
        "value": np.array(value, np.float64),
    }


def _best_split(x: np.ndarray, onehot: np.ndarray, min_leaf: int) -> tuple[int, float] | None:
    total = onehot.sum(axis=0)
    n = len(x)
    best, best_score = None, float(total.sum() - (total ** 2).sum() / max(total.sum(), 1e-12))
    for f in range(x.shape[1]):
        order = np.argsort(x[:, f], kind="stable")
        values = x[order, f]
        cum = np.cumsum(onehot[order], axis=0)[:-1]
        rest = total - cum
        lw, rw = cum.sum(axis=1), rest.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            impurity = (lw - (cum ** 2).sum(axis=1) / lw) + (rw - (rest ** 2).sum(axis=1) / rw)
        count = np.arange(1, n)
        valid = (values[1:] > values[:-1]) & (count >= min_leaf) & (n - count >= min_leaf)
        impurity = np.where(valid & (lw > 0) & (rw > 0), impurity, np.inf)
        i = int(np.argmin(impurity))
        if impurity[i] < best_score - 1e-12:
            best_score = float(impurity[i])
            best = (f, float((values[i] + values[i + 1]) / 2.0))
    return best


def _walk_tree(tree: Mapping[str, np.ndarray], x: np.ndarray, root: Any = 0) -> np.ndarray:
    """The leaf each row of ``x`` reaches from ``root`` (a node, or one node per row)."""
    node = np.broadcast_to(np.asarray(root, np.int64), (len(x),)).copy()
    rows = np.arange(len(x))
    while True:
        f = tree["feature"][node]
        inner = f >= 0
        if not inner.any():
            return node
        go_left = x[rows[inner], f[inner]] <= tree["threshold"][node[inner]]
        node[inner] = np.where(go_left, tree["left"][node[inner]], tree["right"][node[inner]])


class Tree(Algorithm):
    """A decision tree (CART with Gini impurity, like Wekinator's J48 choice). Options:
    ``depth`` (deepest split, 10) and ``min_leaf`` (fewest examples in a leaf, 1).
    Classification only."""

    name = "tree"
    defaults = {"depth": 10, "min_leaf": 1}

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        self.tree = _grow_tree(np.asarray(x, np.float64), np.asarray(y, int),
                               np.ones(len(x)), self.classes, int(self.options["depth"]),
                               int(self.options["min_leaf"]))

    def proba(self, x: np.ndarray) -> np.ndarray:
        return self.tree["value"][_walk_tree(self.tree, x)]

    def arrays(self) -> Arrays:
        return dict(self.tree)

    def load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.tree = {key: np.asarray(arrays[key]) for key in
                     ("feature", "threshold", "left", "right", "value")}


class Boost(Algorithm):
    """AdaBoost (the multi-class SAMME rule, Wekinator's AdaBoost.M1 choice) over shallow
    trees. Options: ``rounds`` (most trees, 50) and ``depth`` (of each tree, 2).
    Classification only."""

    name = "boost"
    defaults = {"rounds": 50, "depth": 2}

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        x, y = np.asarray(x, np.float64), np.asarray(y, int)
        w = np.full(len(x), 1.0 / len(x))
        trees, alphas = [], []
        for _ in range(int(self.options["rounds"])):
            tree = _grow_tree(x, y, w, self.classes, int(self.options["depth"]), 1)
            wrong = tree["value"][_walk_tree(tree, x)].argmax(axis=1) != y
            error = float(w[wrong].sum())
            if error >= 1.0 - 1.0 / self.classes:
                break
            alpha = np.log((1.0 - error) / max(error, 1e-10)) + np.log(max(self.classes - 1, 1))
            trees.append(tree)
            alphas.append(alpha)
            if error == 0.0:
                break
            w = w * np.exp(alpha * wrong)
            w /= w.sum()
        if not trees:   # the first tree was no better than chance: keep it anyway
            trees.append(_grow_tree(x, y, w, self.classes, int(self.options["depth"]), 1))
            alphas.append(1.0)
        self._join(trees, np.array(alphas))

    def _join(self, trees: list[Arrays], alphas: np.ndarray) -> None:
        offsets = np.cumsum([0] + [len(t["feature"]) for t in trees[:-1]])
        joined = {key: np.concatenate([t[key] for t in trees]) for key in trees[0]}
        for key in ("left", "right"):
            shifted = [np.where(t[key] >= 0, t[key] + o, -1) for t, o in zip(trees, offsets)]
            joined[key] = np.concatenate(shifted)
        self.forest, self.roots, self.alphas = joined, offsets.astype(np.int64), alphas

    def proba(self, x: np.ndarray) -> np.ndarray:
        # Every row walks every tree at once: row i of x, tree j is row i * T + j.
        trees = len(self.roots)
        leaf = _walk_tree(self.forest, np.repeat(x, trees, axis=0), np.tile(self.roots, len(x)))
        choice = self.forest["value"][leaf].argmax(axis=1).reshape(len(x), trees)
        votes = np.zeros((len(x), self.classes))
        np.add.at(votes, (np.arange(len(x))[:, None], choice), self.alphas[None, :])
        return _softmax(votes / max(float(self.alphas.sum()), 1e-12) * 8.0)

    def arrays(self) -> Arrays:
        return {**self.forest, "roots": self.roots, "alphas": self.alphas}

    def load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.forest = {key: np.asarray(arrays[key]) for key in
                       ("feature", "threshold", "left", "right", "value")}
        self.roots = np.asarray(arrays["roots"], np.int64)
        self.alphas = np.asarray(arrays["alphas"], np.float64)


#: Model names for continuous outputs.
REGRESSORS: dict[str, type[Algorithm]] = {"knn": KNN, "linear": Linear, "neural": NeuralNet}
#: Model names for classifier outputs.
CLASSIFIERS: dict[str, type[Algorithm]] = {"boost": Boost, "knn": KNN, "neural": NeuralNet,
                                           "tree": Tree}


def make(name: str, task: str, *, classes: int = 0, **options: Any) -> Algorithm:
    """A fresh model called ``name`` for ``task`` (``"regression"`` or ``"classification"``).

    Examples:
        >>> make("tree", "classification", classes=3).options["depth"]
        10
    """
    table = REGRESSORS if task == "regression" else CLASSIFIERS
    if name not in table:
        kind = "continuous outputs" if task == "regression" else "classifier outputs"
        other = CLASSIFIERS if task == "regression" else REGRESSORS
        if name in other and task == "regression":
            hint = f" {name!r} is a classifier: give the output classes= to make it one."
        elif name in other:
            hint = f" {name!r} is for continuous outputs only."
        else:
            hint = did_you_mean(name, table)
        raise SketchmlError(
            f"No model {name!r} for {kind}.{hint} Choose one of: {', '.join(sorted(table))}."
        )
    return table[name](task, classes=classes, **options)


def restore(config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Algorithm:
    """A trained model back from its :attr:`Algorithm.config` and arrays."""
    model = make(config["name"], config["task"], classes=config["classes"], **config["options"])
    model.load_arrays(arrays)
    return model
