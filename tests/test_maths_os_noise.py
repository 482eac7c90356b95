"""os_noise / os_noise_seed: OpenSimplex 2 (smooth) noise as py5 has it (issue 17)."""
from __future__ import annotations

import numpy as np
import pytest

import sketchml as sk
from sketchml.errors import SketchmlError
from sketchml.opensimplex import OpenSimplex

# py5 1.x printed these (os_noise_seed(42), then -5) on this machine: its noise2.
PY5_SEED_42 = {(0.2, 0.5): -0.20544759929180145, (1.7, -3.25): 0.44383740425109863,
               (10.5, 4.0): 0.06488741934299469, (-7.3, 0.01): 0.654541015625}
PY5_SEED_MINUS_5 = {(0.2, 0.5): -0.563302218914032, (123.4, 56.7): 0.24354484677314758}


def test_two_dimensional_values_are_py5s():
    sk.os_noise_seed(42)
    for (x, y), value in PY5_SEED_42.items():
        assert sk.os_noise(x, y) == pytest.approx(value, abs=2e-6)
    sk.os_noise_seed(-5)
    for (x, y), value in PY5_SEED_MINUS_5.items():
        assert sk.os_noise(x, y) == pytest.approx(value, abs=2e-6)


def test_arrays_broadcast_and_match_single_calls():
    sk.os_noise_seed(3)
    x, y = np.meshgrid(np.linspace(0, 5, 7), np.linspace(0, 5, 5))
    grid = sk.os_noise(x, y)
    assert grid.shape == (5, 7)
    assert grid[2, 3] == pytest.approx(sk.os_noise(float(x[2, 3]), float(y[2, 3])))
    assert sk.os_noise(np.arange(4) * 0.3, 0.5, 1.0).shape == (4,)
    assert isinstance(sk.os_noise(0.1, 0.2, 0.3, 0.4), float)


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_noise_is_smooth_bounded_and_seeded(dims):
    rng = np.random.default_rng(dims)
    points = [rng.uniform(-20, 20, 4000) for _ in range(dims)]
    noise = OpenSimplex(seed=11)
    values = noise(*points)
    assert np.abs(values).max() <= 1.0 and values.std() > 0.15   # fills its range, never past it
    nearby = noise(*[p + 1e-3 for p in points])
    assert np.abs(values - nearby).max() < 0.02                   # continuous: no missing lattice points
    assert not np.allclose(values, OpenSimplex(seed=12)(*points))  # the seed changes the field
    assert np.array_equal(values, OpenSimplex(seed=11)(*points))


def test_wrong_coordinate_counts_say_what_to_do():
    with pytest.raises(SketchmlError, match="constant coordinate"):
        OpenSimplex(seed=1)(0.5)
    with pytest.raises(SketchmlError, match="needs z"):
        sk.os_noise(0.1, 0.2, w=0.3)
