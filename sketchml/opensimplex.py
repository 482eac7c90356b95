"""OpenSimplex 2 noise, smooth variant ("SuperSimplex", K.jpg 2022), as py5's ``os_noise``.

The noise at a point is a sum over the lattice points within reach: each adds
``(r² - d²)⁴`` times the dot product of its pseudo-random gradient with the offset
``d`` to it. Two dimensions use the A2* (triangular) lattice, reached by skewing the
square one; three dimensions the body-centred cubic lattice (two cubic lattices half a
cell apart, the second hashed with a flipped seed) in the "fallback" orientation;
four dimensions the skewed A4 lattice. Each lattice point picks its gradient with a
64-bit multiplicative hash of its coordinates and the seed, with the primes and
multiplier of the reference implementation.

Two-dimensional values equal py5's (its ``os_noise(x, y)`` calls ``noise2`` of the same
algorithm): py5's documented examples render the same picture. Three- and four-
dimensional values follow the same lattices and falloff with gradient sets of the same
lengths built here, so they have the same character and range but are not py5's numbers.

Everything is numpy over whole arrays: a picture's worth of coordinates is one call.

Examples:
    >>> noise = OpenSimplex(seed=42)
    >>> -1.0 <= noise(0.3, 0.7) <= 1.0
    True
    >>> noise(np.zeros(3), np.arange(3) * 0.5).shape
    (3,)
"""
from __future__ import annotations

import itertools
import math
import random as _random
from functools import cache
from typing import Any

import numpy as np

from sketchml.errors import ApiUsageError

__all__ = ["OpenSimplex"]

_U64 = 1 << 64
_PRIMES = np.array([0x5205402B9270C86F, 0x598CD327003817B5, 0x5BCC226E9FA0BACB, 0x56CC5227E58F554B],
                   dtype=np.uint64).view(np.int64)
_HASH_MULTIPLIER = np.array([0x53A3F72DEEC546F5], dtype=np.uint64).view(np.int64)[0]
_SEED_FLIP_3D = np.int64(-0x52D547B2E96ED629)

_SKEW_2D = 0.366025403784439
_UNSKEW_2D = -0.21132486540518713
_SKEW_4D = float(np.float32(0.309016994374947))
_UNSKEW_4D = float(np.float32(-0.138196601125011))
_R2 = {2: 2.0 / 3.0, 3: 3.0 / 4.0, 4: 4.0 / 5.0}
# How many gradients the hash chooses among (a power of two; the sets below repeat to fill it).
_GRADS_EXPONENT = {2: 7, 3: 8, 4: 9}


def _gradients_2d() -> np.ndarray:
    """The 24 unit gradients of the reference order, over the 2D normaliser: eight at
    67.5 - 45k degrees, then four per quadrant at 7.5, 37.5, 52.5 and 82.5 degrees from
    its axes, going clockwise from straight up."""
    angles = [67.5 - 45.0 * k for k in range(8)]
    angles += [90.0 - 90.0 * q - off for q in range(4) for off in (7.5, 37.5, 52.5, 82.5)]
    unit = np.array([[math.cos(math.radians(a)), math.sin(math.radians(a))] for a in angles])
    return (unit.astype(np.float32) / 0.05481866495625118).astype(np.float32).astype(np.float64)


def _gradients_3d() -> np.ndarray:
    """48 gradients: every ordering and sign of (2.2247, 2.2247, 1) and (3.0863, 1.1722, 0),
    the lengths of the reference set (over its normaliser), in an order of our own."""
    found: list[tuple[float, ...]] = []
    for base in ((2.22474487139, 2.22474487139, 1.0), (3.0862664687972017, 1.1721513422464978, 0.0)):
        for perm in set(itertools.permutations(base)):
            for signs in itertools.product((1.0, -1.0), repeat=3):
                v = tuple(p * s for p, s in zip(perm, signs))
                if v not in found:
                    found.append(v)
    found.sort()
    _random.Random(3).shuffle(found)
    return np.array(found) / 0.2781926117527186


def _gradients_4d() -> np.ndarray:
    """160 unit gradients over the 4D normaliser, spread over the 4-sphere (a seeded,
    fixed set of our own)."""
    rng = np.random.default_rng(4)
    g = rng.normal(size=(160, 4))
    return g / np.linalg.norm(g, axis=1, keepdims=True) / 0.11127401889945551


_GRADIENTS = {2: _gradients_2d(), 3: _gradients_3d(), 4: _gradients_4d()}


def _lattice_hash(seed: np.int64, coords: list[np.ndarray], dims: int) -> np.ndarray:
    """Which gradient each lattice point gets: the seed and the prime-multiplied coordinates
    XORed, multiplied, folded, then masked as the reference does."""
    h = np.full(coords[0].shape, seed, dtype=np.int64)
    for c in coords:
        h ^= c
    h *= _HASH_MULTIPLIER
    exponent = _GRADS_EXPONENT[dims]
    h ^= h >> np.int64(64 - exponent + (1 if dims == 2 else 2))
    index = (h & np.int64(((1 << exponent) - 1) << (1 if dims == 2 else 2))) >> np.int64(1 if dims == 2 else 2)
    return index % len(_GRADIENTS[dims])


@cache
def _step(axis: int, offset: int) -> np.int64:
    """``offset`` times the axis's prime, wrapped to 64 bits as Java's long arithmetic does."""
    prime = int(_PRIMES.view(np.uint64)[axis])
    return np.array([offset * prime % _U64], dtype=np.uint64).view(np.int64)[0]


def _contribute(value: np.ndarray, seed: np.int64, base: list[np.ndarray], offset: tuple[int, ...],
                d: list[np.ndarray]) -> None:
    """Add one lattice point's share: ``base`` are prime-multiplied cell coordinates,
    ``offset`` the point's integer step from them, ``d`` the offsets to it."""
    dims = len(d)
    a = _R2[dims] - sum(c * c for c in d)
    near = a > 0
    if not near.any():
        return
    coords = [b[near] + _step(i, o) for i, (b, o) in enumerate(zip(base, offset))]
    grads = _GRADIENTS[dims][_lattice_hash(seed, coords, dims)]
    a = a[near]
    value[near] += (a * a) * (a * a) * sum(grads[:, i] * d[i][near] for i in range(dims))


class OpenSimplex:
    """OpenSimplex 2 (smooth) noise in two, three or four dimensions, values in about
    ``[-1, 1]``; call it with 2-4 coordinates (numbers or numpy arrays, broadcast).

    Examples:
        >>> a, b = OpenSimplex(seed=1), OpenSimplex(seed=1)
        >>> a(0.5, 0.25, 0.1) == b(0.5, 0.25, 0.1)
        True
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        """Use ``seed`` (any int, kept to 64 bits) or, with ``None``, a random one."""
        if seed is None:
            seed = _random.getrandbits(63)
        self._seed = np.array([int(seed) % _U64], dtype=np.uint64).view(np.int64)[0]

    def __call__(self, *coords: Any) -> Any:
        if not 2 <= len(coords) <= 4:
            raise ApiUsageError(
                f"os_noise takes 2, 3 or 4 coordinates, got {len(coords)}; for 1D noise add a "
                "constant coordinate, e.g. os_noise(0.2, frame_count / 100)")
        arrays = np.broadcast_arrays(*(np.asarray(c, dtype=np.float64) for c in coords))
        flat = [a.ravel() for a in arrays]
        out = (self._noise2, self._noise3, self._noise4)[len(coords) - 2](*flat)
        if not any(isinstance(c, np.ndarray) for c in coords):
            return float(out[0]) if out.size == 1 else out.reshape(arrays[0].shape)
        return out.reshape(arrays[0].shape)

    def _noise2(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        s = _SKEW_2D * (x + y)
        xs, ys = x + s, y + s
        xsb, ysb = np.floor(xs), np.floor(ys)
        xi, yi = xs - xsb, ys - ysb
        base = [xsb.astype(np.int64) * _PRIMES[0], ysb.astype(np.int64) * _PRIMES[1]]
        t = (xi + yi) * _UNSKEW_2D
        dx0, dy0 = xi + t, yi + t
        value = np.zeros_like(x)
        # Every lattice point that can be within reach of a point in the cell.
        for i, j in itertools.product((-1, 0, 1, 2), repeat=2):
            u = (i + j) * _UNSKEW_2D
            _contribute(value, self._seed, base, (i, j), [dx0 - (i + u), dy0 - (j + u)])
        return value

    def _noise3(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        r = (2.0 / 3.0) * (x + y + z)
        rotated = [r - x, r - y, r - z]
        cells = [np.floor(c) for c in rotated]
        frac = [c - b for c, b in zip(rotated, cells)]
        base = [b.astype(np.int64) * _PRIMES[i] for i, b in enumerate(cells)]
        value = np.zeros_like(x)
        seed2 = self._seed ^ _SEED_FLIP_3D
        for offset in itertools.product((-1, 0, 1, 2), repeat=3):
            _contribute(value, self._seed, base, offset, [f - o for f, o in zip(frac, offset)])
        # The second cubic lattice, half a cell along every axis, is hashed one cell on.
        for offset in itertools.product((-1, 0, 1), repeat=3):
            _contribute(value, seed2, base, tuple(o + 1 for o in offset),
                        [f - (o + 0.5) for f, o in zip(frac, offset)])
        return value

    def _noise4(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        s = _SKEW_4D * (x + y + z + w)
        skewed = [x + s, y + s, z + s, w + s]
        cells = [np.floor(c) for c in skewed]
        frac = [c - b for c, b in zip(skewed, cells)]
        base = [b.astype(np.int64) * _PRIMES[i] for i, b in enumerate(cells)]
        unskew = sum(frac) * _UNSKEW_4D
        local = [f + unskew for f in frac]
        value = np.zeros_like(x)
        for offset in itertools.product((-1, 0, 1, 2), repeat=4):
            u = sum(offset) * _UNSKEW_4D
            _contribute(value, self._seed, base, offset, [c - (o + u) for c, o in zip(local, offset)])
        return value
