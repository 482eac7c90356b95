"""Maths helpers: Processing's semantics, numpy broadcasting, seeded randomness and noise."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sketchml as sk
from sketchml.errors import SketchmlError
from sketchml.maths import (
    PerlinNoise, RandomSource, constrain, degrees, dist, lerp, mag, norm, radians, remap, sq,
)


def test_scalar_helpers():
    assert remap(5, 0, 10, 100, 200) == 150.0
    assert remap(15, 0, 10, 0, 1) == 1.5                 # extrapolates like Processing
    assert remap(2, 10, 0, 0, 1) == 0.8                  # reversed ranges work
    assert constrain(12, 0, 10) == 10 and constrain(-1, 0, 10) == 0 and constrain(4, 0, 10) == 4
    assert lerp(10, 20, 0.25) == 12.5 and lerp(10, 20, 1.5) == 25.0
    assert norm(15, 10, 20) == 0.5
    assert sq(-3) == 9
    assert math.isclose(radians(90), math.pi / 2) and math.isclose(degrees(math.pi), 180)
    assert mag(3, 4) == 5.0 and mag(2, 3, 6) == 7.0
    assert dist(1, 1, 4, 5) == 5.0 and dist(0, 0, 0, 2, 3, 6) == 7.0


def test_helpers_broadcast_over_arrays():
    x = np.array([0.0, 5.0, 10.0])
    np.testing.assert_allclose(remap(x, 0, 10, -1, 1), [-1, 0, 1])
    np.testing.assert_allclose(constrain(np.array([-5, 5, 50]), 0, 10), [0, 5, 10])
    np.testing.assert_allclose(lerp(0.0, 10.0, np.array([0, 0.5, 1])), [0, 5, 10])
    np.testing.assert_allclose(dist(0, 0, np.array([3, 6]), np.array([4, 8])), [5, 10])
    np.testing.assert_allclose(mag(np.array([3.0]), np.array([4.0])), [5.0])
    np.testing.assert_allclose(radians(np.array([180.0])), [math.pi])


def test_helper_errors_are_for_people():
    with pytest.raises(SketchmlError, match="input range .* is empty"):
        remap(1, 3, 3, 0, 1)
    with pytest.raises(SketchmlError, match="takes \\(x1, y1, x2, y2\\)"):
        dist(1, 2, 3)


def test_random_ranges_and_choice():
    r = RandomSource(seed=1)
    values = [r.random(10) for _ in range(500)]
    assert all(0 <= v < 10 for v in values) and max(values) > 9
    values = [r.random(-5, 5) for _ in range(500)]
    assert all(-5 <= v < 5 for v in values) and min(values) < -4
    items = ["a", "b", "c"]
    assert {r.random(items) for _ in range(100)} == set(items)
    assert r.random(np.array([7])) == 7
    ints = [r.random_int(1, 3) for _ in range(200)]
    assert set(ints) == {1, 2, 3}                         # both ends included
    assert set(r.random_int(2) for _ in range(200)) == {0, 1, 2}
    gauss = np.array([r.random_gaussian(10, 2) for _ in range(4000)])
    assert abs(gauss.mean() - 10) < 0.2 and abs(gauss.std() - 2) < 0.2
    with pytest.raises(SketchmlError, match="empty"):
        r.random([])
    with pytest.raises(SketchmlError, match="greater than high"):
        r.random_int(5, 1)


def test_random_seed_repeats_the_sequence():
    r = RandomSource()
    r.random_seed(42)
    first = [r.random(1), r.random_int(100), r.random_gaussian()]
    r.random_seed(42)
    assert [r.random(1), r.random_int(100), r.random_gaussian()] == first
    r.random_seed(43)
    assert [r.random(1), r.random_int(100), r.random_gaussian()] != first


def test_noise_range_smoothness_and_spread():
    n = PerlinNoise(seed=3)
    xs = np.linspace(0, 50, 20001)
    values = n.noise(xs, 1.5, 2.5)
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert 0.45 < values.mean() < 0.55
    assert values.max() - values.min() > 0.5              # uses the range, not a narrow band
    assert np.abs(np.diff(values)).max() < 0.02           # smooth: tiny steps, tiny changes
    # integer coordinates are not all the same value (no lattice artefact)
    assert len({round(n.noise(float(i)), 6) for i in range(10)}) == 10


def test_noise_scalar_and_vector_paths_agree():
    n = PerlinNoise(seed=11)
    rng = np.random.default_rng(0)
    x, y, z = rng.uniform(-20, 20, (3, 300))
    vector = n.noise(x, y, z)
    scalar = [n.noise(float(a), float(b), float(c)) for a, b, c in zip(x, y, z)]
    np.testing.assert_allclose(vector, scalar, atol=1e-12)
    grid = n.noise(np.arange(4)[None, :] * 0.1, np.arange(3)[:, None] * 0.1)
    assert grid.shape == (3, 4)
    assert isinstance(n.noise(0.3), float)


def test_noise_seed_and_detail():
    a, b, c = PerlinNoise(seed=5), PerlinNoise(seed=5), PerlinNoise(seed=6)
    pts = np.linspace(0, 3, 50)
    assert np.array_equal(a.noise(pts, 0.2), b.noise(pts, 0.2))
    assert not np.allclose(a.noise(pts, 0.2), c.noise(pts, 0.2))
    smooth = PerlinNoise(seed=5, octaves=1)
    rough = PerlinNoise(seed=5, octaves=8, falloff=0.7)
    fine = np.linspace(0, 2, 2001)
    roughness = lambda v: np.abs(np.diff(v, 2)).mean()  # noqa: E731
    assert roughness(rough.noise(fine)) > 3 * roughness(smooth.noise(fine))
    with pytest.raises(SketchmlError, match="octaves must be at least 1"):
        a.noise_detail(0)
    with pytest.raises(SketchmlError, match="falloff must be greater than 0"):
        a.noise_detail(4, 0)


def test_sketch_methods_and_module_functions_share_state_per_sketch():
    s = sk.Sketch()
    s.noise_seed(9)
    s.random_seed(9)
    first = (s.noise(0.5, 0.5), s.random(100))
    s.noise_seed(9)
    s.random_seed(9)
    assert (s.noise(0.5, 0.5), s.random(100)) == first
    other = sk.Sketch()
    other.noise_seed(9)
    assert other.noise(0.5, 0.5) == first[0]
    assert sk.Sketch.remap is remap and s.lerp is lerp
