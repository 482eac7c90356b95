"""py5's maths names (sin ... ceil) and random_choice/sample/permutation (issue 17)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sketchml as sk


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("sin", (math.pi / 2,), 1.0), ("cos", (math.pi,), -1.0), ("tan", (0.0,), 0.0),
        ("asin", (1.0,), math.pi / 2), ("acos", (-1.0,), math.pi), ("atan", (1.0,), math.pi / 4),
        ("atan2", (1.0, -1.0), 3 * math.pi / 4), ("sqrt", (2.25,), 1.5),
        ("exp", (0.0,), 1.0), ("log", (math.e,), 1.0),
    ],
)
def test_maths_functions_on_numbers_and_arrays(name, args, expected):
    fn = getattr(sk, name)
    assert fn(*args) == pytest.approx(expected)
    assert isinstance(fn(*args), float)
    arrays = fn(*(np.array([a, a]) for a in args))
    assert np.allclose(arrays, expected)


def test_floor_and_ceil_give_ints():
    assert sk.floor(2.7) == 2 and isinstance(sk.floor(2.7), int)
    assert sk.ceil(-2.7) == -2 and isinstance(sk.ceil(-2.7), int)
    assert sk.floor(np.array([1.5, -0.5])).tolist() == [1, -1]
    assert sk.ceil(np.array([1.5, -0.5])).tolist() == [2, 0]


def test_random_choice_sample_permutation_are_seeded():
    items = list(range(20))
    sk.random_seed(5)
    first = (sk.random_choice(items), sk.random_sample(items, 5), sk.random_permutation(items))
    sk.random_seed(5)
    again = (sk.random_choice(items), sk.random_sample(items, 5), sk.random_permutation(items))
    assert first == again
    assert first[0] in items and len(first[1]) == 5 and sorted(first[2]) == items
    assert sorted(sk.random_sample(items, 20, replace=False)) == items
    arr = sk.random_sample(np.arange(4), 3)
    assert isinstance(arr, np.ndarray) and arr.shape == (3,)
    assert sk.random_choice([]) is None and sk.random_sample([], 2) == []
    with pytest.raises(sk.SketchmlError, match="without replacement"):
        sk.random_sample([1, 2], 3, replace=False)
