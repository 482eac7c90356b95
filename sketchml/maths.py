"""Processing's maths helpers: random numbers, Perlin noise, remap/constrain/lerp/dist.

No GL here. The pure helpers are plain functions that work on Python numbers
and broadcast over numpy arrays. Random numbers and noise keep state, so they
live in :class:`RandomSource` and :class:`PerlinNoise`; :class:`MathsMixin`
gives a :class:`~sketchml.Sketch` the methods ``random``, ``noise``, ... (and so
the generated module API ``sk.random``, ``sk.noise``, ...).

Examples:
    >>> from sketchml.maths import remap, PerlinNoise
    >>> remap(5, 0, 10, 0, 100)
    50.0
    >>> 0.0 <= PerlinNoise(seed=1).noise(0.5, 0.25) <= 1.0
    True
"""
from __future__ import annotations

import cmath
import math
import random as _pyrandom
from collections.abc import Sequence
from typing import Any

import numpy as np

from sketchml.errors import ApiUsageError, SketchmlError

__all__ = [
    "MathsMixin",
    "PerlinNoise",
    "RandomSource",
    "acos",
    "asin",
    "atan",
    "atan2",
    "ceil",
    "constrain",
    "cos",
    "degrees",
    "dist",
    "exp",
    "floor",
    "lerp",
    "log",
    "mag",
    "norm",
    "radians",
    "remap",
    "sin",
    "sq",
    "sqrt",
    "tan",
]

_SCALARS = (int, float)


def _is_scalar(*values: Any) -> bool:
    return all(type(v) in _SCALARS or isinstance(v, _SCALARS) for v in values)


def remap(value: Any, start1: float, stop1: float, start2: float, stop2: float) -> Any:
    """Re-map ``value`` from the range ``[start1, stop1]`` to ``[start2, stop2]``.

    Processing's ``map()`` (renamed, as py5 does, so Python's ``map`` still
    works). Values outside the first range are extrapolated, not clamped.
    Works on numbers and on numpy arrays.

    Examples:
        >>> remap(0.25, 0, 1, 100, 200)
        125.0
    """
    span = stop1 - start1
    if _is_scalar(span) and span == 0:
        raise SketchmlError(
            f"remap(): the input range [{start1}, {stop1}] is empty, so no value can be mapped "
            "from it; pass two different numbers as start1 and stop1."
        )
    return start2 + (stop2 - start2) * ((value - start1) / span)


def constrain(value: Any, low: float, high: float) -> Any:
    """Clamp ``value`` to ``[low, high]`` (numbers or numpy arrays).

    Examples:
        >>> constrain(12, 0, 10)
        10
    """
    if _is_scalar(value, low, high):
        return low if value < low else high if value > high else value
    return np.clip(value, low, high)


def lerp(start: Any, stop: Any, amt: Any) -> Any:
    """The value ``amt`` of the way from ``start`` to ``stop`` (``amt`` 0 gives ``start``).

    Examples:
        >>> lerp(10, 20, 0.5)
        15.0
    """
    return start + (stop - start) * float(amt) if _is_scalar(amt) else start + (stop - start) * amt


def norm(value: Any, start: float, stop: float) -> Any:
    """Normalise ``value`` from ``[start, stop]`` to ``[0, 1]`` (``remap(value, start, stop, 0, 1)``).

    Examples:
        >>> norm(15, 10, 20)
        0.5
    """
    return remap(value, start, stop, 0.0, 1.0)


def sq(value: Any) -> Any:
    """``value`` squared.

    Examples:
        >>> sq(3)
        9
    """
    return value * value


def radians(degrees: Any) -> Any:
    """Convert an angle from degrees to radians (numbers or numpy arrays).

    Examples:
        >>> round(radians(180), 5)
        3.14159
    """
    return math.radians(degrees) if _is_scalar(degrees) else np.radians(degrees)


def degrees(radians: Any) -> Any:
    """Convert an angle from radians to degrees (numbers or numpy arrays).

    Examples:
        >>> degrees(math.pi)
        180.0
    """
    return math.degrees(radians) if _is_scalar(radians) else np.degrees(radians)


def mag(a: Any, b: Any, c: Any = None) -> Any:
    """Length of the vector ``(a, b)`` or ``(a, b, c)``.

    Examples:
        >>> mag(3, 4)
        5.0
    """
    values = (a, b) if c is None else (a, b, c)
    if _is_scalar(*values):
        return math.hypot(*values)
    return np.sqrt(sum(np.square(np.asarray(v, dtype=np.float64)) for v in values))


def dist(*coords: Any) -> Any:
    """Distance between two points: ``dist(x1, y1, x2, y2)`` or ``dist(x1, y1, z1, x2, y2, z2)``.

    Works on numbers and on numpy arrays (one distance per element).

    Examples:
        >>> dist(0, 0, 3, 4)
        5.0
    """
    if len(coords) not in (4, 6):
        raise SketchmlError(
            f"dist() takes (x1, y1, x2, y2) or (x1, y1, z1, x2, y2, z2): got {len(coords)} "
            "arguments."
        )
    half = len(coords) // 2
    deltas = [coords[half + i] - coords[i] for i in range(half)]
    if _is_scalar(*deltas):
        return math.hypot(*deltas)
    return np.sqrt(sum(np.square(np.asarray(d, dtype=np.float64)) for d in deltas))


# Processing's maths functions, as py5 has them: Python numbers give Python numbers
# (floor and ceil give ints), numpy arrays give arrays, element by element.


def _unary(scalar, array, value: Any) -> Any:
    return scalar(value) if _is_scalar(value) else array(value)


def sin(angle: Any) -> Any:
    """Sine of ``angle`` in radians (numbers or numpy arrays).

    Examples:
        >>> sin(math.pi / 2)
        1.0
    """
    return _unary(math.sin, np.sin, angle)


def cos(angle: Any) -> Any:
    """Cosine of ``angle`` in radians (numbers or numpy arrays).

    Examples:
        >>> cos(0)
        1.0
    """
    return _unary(math.cos, np.cos, angle)


def tan(angle: Any) -> Any:
    """Tangent of ``angle`` in radians (numbers or numpy arrays).

    Examples:
        >>> round(tan(math.pi / 4), 6)
        1.0
    """
    return _unary(math.tan, np.tan, angle)


def asin(value: Any) -> Any:
    """The angle in radians, in ``[-PI/2, PI/2]``, whose sine is ``value`` (in ``[-1, 1]``).

    Examples:
        >>> round(asin(1), 6)
        1.570796
    """
    return _unary(math.asin, np.arcsin, value)


def acos(value: Any) -> Any:
    """The angle in radians, in ``[0, PI]``, whose cosine is ``value`` (in ``[-1, 1]``).

    Examples:
        >>> acos(1)
        0.0
    """
    return _unary(math.acos, np.arccos, value)


def atan(value: Any) -> Any:
    """The angle in radians, in ``(-PI/2, PI/2)``, whose tangent is ``value``.

    Examples:
        >>> round(atan(1), 6)
        0.785398
    """
    return _unary(math.atan, np.arctan, value)


def atan2(y: Any, x: Any) -> Any:
    """The angle in radians from the positive x axis to the point ``(x, y)``, in
    ``[-PI, PI]``; note the order: ``y`` first, as in Processing.

    Examples:
        >>> round(atan2(1, 0), 6)
        1.570796
    """
    return math.atan2(y, x) if _is_scalar(y, x) else np.arctan2(y, x)


def sqrt(value: Any) -> Any:
    """Square root of ``value`` (numbers or numpy arrays); as in py5, a negative number
    gives a complex number (``sqrt(-625)`` is ``25j``).

    Examples:
        >>> sqrt(16), sqrt(-625)
        (4.0, 25j)
    """
    if _is_scalar(value):
        return math.sqrt(value) if value >= 0 else cmath.sqrt(value)
    return np.emath.sqrt(value)


def exp(value: Any) -> Any:
    """Euler's number e raised to ``value``.

    Examples:
        >>> round(exp(1), 5)
        2.71828
    """
    return _unary(math.exp, np.exp, value)


def log(value: Any) -> Any:
    """Natural logarithm (base e) of ``value``, which must be greater than 0.

    Examples:
        >>> log(1)
        0.0
    """
    return _unary(math.log, np.log, value)


def floor(value: Any) -> Any:
    """The closest whole number less than or equal to ``value``, as an ``int`` (an int array
    for an array).

    Examples:
        >>> floor(2.7), floor(-2.2)
        (2, -3)
    """
    return _unary(math.floor, lambda v: np.floor(v).astype(np.int64), value)


def ceil(value: Any) -> Any:
    """The closest whole number greater than or equal to ``value``, as an ``int`` (an int
    array for an array).

    Examples:
        >>> ceil(2.2), ceil(-2.7)
        (3, -2)
    """
    return _unary(math.ceil, lambda v: np.ceil(v).astype(np.int64), value)


def _as_sequence(objects: Any) -> Any:
    if isinstance(objects, (Sequence, np.ndarray)) and not isinstance(objects, str):
        return objects
    if isinstance(objects, str):
        return list(objects)
    try:
        return list(objects)
    except TypeError:
        raise SketchmlError(
            f"expected a list, tuple or array to pick from, got {type(objects).__name__}."
        ) from None


class RandomSource:
    """Processing-style random numbers with their own seedable generator.

    Examples:
        >>> r = RandomSource(seed=3)
        >>> a = r.random(10)
        >>> r.random_seed(3)
        >>> r.random(10) == a
        True
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._rng = _pyrandom.Random(seed)

    def random_seed(self, seed: int) -> None:
        """Seed the generator, so the same sequence of numbers comes again."""
        self._rng.seed(seed)

    def random(self, low: Any = 1.0, high: float | None = None) -> Any:
        """``random(high)`` in ``[0, high)``, ``random(low, high)`` in ``[low, high)``, or
        ``random(sequence)``: one element of a list/tuple/array, picked at random."""
        if high is None:
            if isinstance(low, (Sequence, np.ndarray)) and not isinstance(low, str):
                if len(low) == 0:
                    raise SketchmlError(
                        "random(): the list is empty, so there is nothing to pick; pass a "
                        "non-empty list, or numbers: random(high) or random(low, high)."
                    )
                return low[self._rng.randrange(len(low))]
            low, high = 0.0, low
        return low + (high - low) * self._rng.random()

    def random_int(self, low: int, high: int | None = None) -> int:
        """``random_int(high)`` in ``[0, high]``, ``random_int(low, high)`` in ``[low, high]``:
        both ends included, like Python's ``random.randint``."""
        if high is None:
            low, high = 0, low
        if high < low:
            raise SketchmlError(
                f"random_int(): low ({low}) is greater than high ({high}); pass them in order."
            )
        return self._rng.randint(int(low), int(high))

    def random_gaussian(self, loc: float = 0.0, scale: float = 1.0) -> float:
        """A number from a normal distribution with mean ``loc`` and standard deviation
        ``scale`` (Processing's ``randomGaussian()`` when called with no arguments)."""
        return self._rng.gauss(loc, scale)

    def random_choice(self, objects: Any) -> Any:
        """One element of ``objects``, picked at random (``None`` when it is empty, as py5)."""
        objects = _as_sequence(objects)
        if len(objects) == 0:
            return None
        return objects[self._rng.randrange(len(objects))]

    def random_sample(self, objects: Any, size: int = 1, replace: bool = True) -> Any:
        """``size`` elements of ``objects``; with ``replace=False`` each element at most once.
        A numpy array gives an array, anything else a list."""
        objects = _as_sequence(objects)
        n = len(objects)
        if n == 0:
            return []
        size = int(size)
        if not replace and size > n:
            raise SketchmlError(
                f"random_sample(): cannot take {size} elements without replacement from {n}; "
                "ask for at most len(objects), or pass replace=True."
            )
        if replace:
            indices = [self._rng.randrange(n) for _ in range(size)]
        else:
            indices = self._rng.sample(range(n), size)
        if isinstance(objects, np.ndarray):
            return objects[np.asarray(indices, dtype=np.intp)]
        return [objects[i] for i in indices]

    def random_permutation(self, objects: Any) -> Any:
        """The elements of ``objects`` in a random order (an array for an array, else a list)."""
        objects = _as_sequence(objects)
        return self.random_sample(objects, len(objects), replace=False)


# Lattice coordinates are shifted by these irrational offsets so that integer
# inputs (noise(frame_count)) do not all land on the lattice, where gradient
# noise is exactly 0.5.
_OFFSETS = (0.3819660112501051, 0.6180339887498949, 0.7071067811865476)

_GRADIENTS = (
    (1, 1, 0), (-1, 1, 0), (1, -1, 0), (-1, -1, 0),
    (1, 0, 1), (-1, 0, 1), (1, 0, -1), (-1, 0, -1),
    (0, 1, 1), (0, -1, 1), (0, 1, -1), (0, -1, -1),
    (1, 1, 0), (0, -1, 1), (-1, 1, 0), (0, -1, -1),
)
_GX, _GY, _GZ = (np.array(axis, dtype=np.float64) for axis in zip(*_GRADIENTS))

# Raw gradient noise rarely leaves [-0.7, 0.7]; this stretch spreads results over
# about [0.1, 0.9], close to the range Processing users expect.
_STRETCH = 1.4


class PerlinNoise:
    """Ken Perlin's improved gradient noise in 1, 2 or 3 dimensions, summed over octaves.

    Results lie in ``[0, 1]`` (centred on 0.5): each octave's noise is weighted by
    ``falloff`` times the previous one's and the sum is divided by the total weight,
    so changing the detail changes the texture, not the range. Inputs may be numbers
    (a float comes back) or numpy arrays of any broadcastable shapes (an array comes
    back).

    Examples:
        >>> n = PerlinNoise(seed=7)
        >>> xs = np.linspace(0, 3, 5)
        >>> bool(np.allclose(n.noise(xs), [n.noise(float(x)) for x in xs]))
        True
    """

    def __init__(self, *, seed: int | None = None, octaves: int = 4, falloff: float = 0.5) -> None:
        self.noise_seed(seed)
        self.noise_detail(octaves, falloff)

    def noise_seed(self, seed: int | None) -> None:
        """Pick the random gradient table from ``seed``, so the same noise field comes again."""
        table = list(range(256))
        _pyrandom.Random(seed).shuffle(table)
        self._perm = table + table
        self._perm_array = np.array(self._perm, dtype=np.int64)

    def noise_detail(self, octaves: int, falloff: float = 0.5) -> None:
        """Use ``octaves`` layers of noise, each ``falloff`` times as strong as the last
        (Processing's defaults: 4 and 0.5)."""
        if int(octaves) < 1:
            raise SketchmlError(
                f"noise_detail(): octaves must be at least 1, got {octaves}; use 1 for smooth "
                "noise and more (4 to 8) for rougher detail."
            )
        if not 0.0 < falloff:
            raise SketchmlError(
                f"noise_detail(): falloff must be greater than 0, got {falloff}; 0.5 halves "
                "each octave, values near 1 keep fine detail strong."
            )
        self._octaves = int(octaves)
        self._falloff = float(falloff)
        weights = [self._falloff**i for i in range(self._octaves)]
        total = sum(weights)
        self._weights = [w / total for w in weights]

    def noise(self, x: Any, y: Any = 0.0, z: Any = 0.0) -> Any:
        """Noise at ``(x, y, z)``; see the class docstring."""
        if _is_scalar(x, y, z):
            total = 0.0
            freq = 1.0
            for weight in self._weights:
                total += weight * self._scalar(x * freq, y * freq, z * freq)
                freq *= 2.0
            return min(1.0, max(0.0, 0.5 + 0.5 * _STRETCH * total))
        xs, ys, zs = np.broadcast_arrays(
            np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
            np.asarray(z, dtype=np.float64),
        )
        total = np.zeros(xs.shape, dtype=np.float64)
        freq = 1.0
        for weight in self._weights:
            total += weight * self._array(xs * freq, ys * freq, zs * freq)
            freq *= 2.0
        return np.clip(0.5 + 0.5 * _STRETCH * total, 0.0, 1.0)

    def _scalar(self, x: float, y: float, z: float) -> float:
        x += _OFFSETS[0]
        y += _OFFSETS[1]
        z += _OFFSETS[2]
        fx, fy, fz = math.floor(x), math.floor(y), math.floor(z)
        xi, yi, zi = int(fx) & 255, int(fy) & 255, int(fz) & 255
        x -= fx
        y -= fy
        z -= fz
        u = x * x * x * (x * (x * 6 - 15) + 10)
        v = y * y * y * (y * (y * 6 - 15) + 10)
        w = z * z * z * (z * (z * 6 - 15) + 10)
        p = self._perm
        a = p[xi] + yi
        aa, ab = p[a] + zi, p[a + 1] + zi
        b = p[xi + 1] + yi
        ba, bb = p[b] + zi, p[b + 1] + zi

        def grad(h: int, dx: float, dy: float, dz: float) -> float:
            g = _GRADIENTS[h & 15]
            return g[0] * dx + g[1] * dy + g[2] * dz

        x1 = grad(p[aa], x, y, z) + u * (grad(p[ba], x - 1, y, z) - grad(p[aa], x, y, z))
        x2 = grad(p[ab], x, y - 1, z) + u * (grad(p[bb], x - 1, y - 1, z) - grad(p[ab], x, y - 1, z))
        y1 = x1 + v * (x2 - x1)
        x3 = grad(p[aa + 1], x, y, z - 1) + u * (
            grad(p[ba + 1], x - 1, y, z - 1) - grad(p[aa + 1], x, y, z - 1)
        )
        x4 = grad(p[ab + 1], x, y - 1, z - 1) + u * (
            grad(p[bb + 1], x - 1, y - 1, z - 1) - grad(p[ab + 1], x, y - 1, z - 1)
        )
        y2 = x3 + v * (x4 - x3)
        return y1 + w * (y2 - y1)

    def _array(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        x = x + _OFFSETS[0]
        y = y + _OFFSETS[1]
        z = z + _OFFSETS[2]
        fx, fy, fz = np.floor(x), np.floor(y), np.floor(z)
        xi = fx.astype(np.int64) & 255
        yi = fy.astype(np.int64) & 255
        zi = fz.astype(np.int64) & 255
        x, y, z = x - fx, y - fy, z - fz
        u = x * x * x * (x * (x * 6 - 15) + 10)
        v = y * y * y * (y * (y * 6 - 15) + 10)
        w = z * z * z * (z * (z * 6 - 15) + 10)
        p = self._perm_array
        a = p[xi] + yi
        aa, ab = p[a] + zi, p[a + 1] + zi
        b = p[xi + 1] + yi
        ba, bb = p[b] + zi, p[b + 1] + zi

        def grad(h: np.ndarray, dx: np.ndarray, dy: np.ndarray, dz: np.ndarray) -> np.ndarray:
            h = h & 15
            return _GX[h] * dx + _GY[h] * dy + _GZ[h] * dz

        x1 = grad(p[aa], x, y, z) + u * (grad(p[ba], x - 1, y, z) - grad(p[aa], x, y, z))
        x2 = grad(p[ab], x, y - 1, z) + u * (grad(p[bb], x - 1, y - 1, z) - grad(p[ab], x, y - 1, z))
        y1 = x1 + v * (x2 - x1)
        x3 = grad(p[aa + 1], x, y, z - 1) + u * (
            grad(p[ba + 1], x - 1, y, z - 1) - grad(p[aa + 1], x, y, z - 1)
        )
        x4 = grad(p[ab + 1], x, y - 1, z - 1) + u * (
            grad(p[bb + 1], x - 1, y - 1, z - 1) - grad(p[ab + 1], x, y - 1, z - 1)
        )
        y2 = x3 + v * (x4 - x3)
        return y1 + w * (y2 - y1)


class MathsMixin:
    """The maths part of the sketch API, mixed into :class:`~sketchml.Sketch`.

    Each sketch has its own random generator and noise field, so two sketches
    (or a sketch and its reloaded successor) never disturb each other's sequence.
    The stateless helpers are static methods: the same functions as this module's.
    """

    remap = staticmethod(remap)
    constrain = staticmethod(constrain)
    lerp = staticmethod(lerp)
    norm = staticmethod(norm)
    sq = staticmethod(sq)
    radians = staticmethod(radians)
    degrees = staticmethod(degrees)
    mag = staticmethod(mag)
    dist = staticmethod(dist)
    sin = staticmethod(sin)
    cos = staticmethod(cos)
    tan = staticmethod(tan)
    asin = staticmethod(asin)
    acos = staticmethod(acos)
    atan = staticmethod(atan)
    atan2 = staticmethod(atan2)
    sqrt = staticmethod(sqrt)
    exp = staticmethod(exp)
    log = staticmethod(log)
    floor = staticmethod(floor)
    ceil = staticmethod(ceil)

    _random_source: RandomSource | None = None
    _perlin: PerlinNoise | None = None
    _opensimplex: Any = None

    def _maths_random(self) -> RandomSource:
        if self._random_source is None:
            self._random_source = RandomSource()
        return self._random_source

    def _maths_noise(self) -> PerlinNoise:
        if self._perlin is None:
            self._perlin = PerlinNoise()
        return self._perlin

    def random(self, low: Any = 1.0, high: float | None = None) -> Any:
        """A random number: ``random(high)`` in ``[0, high)``, ``random(low, high)`` in
        ``[low, high)``; or ``random(sequence)``, one element picked at random.

        Examples:
            >>> import sketchml as sk
            >>> 0 <= sk.random(10) < 10
            True
        """
        return self._maths_random().random(low, high)

    def random_int(self, low: int, high: int | None = None) -> int:
        """A random integer: ``random_int(high)`` in ``[0, high]``, ``random_int(low, high)``
        in ``[low, high]`` (both ends included).

        Examples:
            >>> import sketchml as sk
            >>> sk.random_int(1, 6) in range(1, 7)
            True
        """
        return self._maths_random().random_int(low, high)

    def random_gaussian(self, loc: float = 0.0, scale: float = 1.0) -> float:
        """A random number from a normal distribution (mean ``loc``, standard deviation
        ``scale``; 0 and 1 unless given).

        Examples:
            >>> import sketchml as sk
            >>> isinstance(sk.random_gaussian(), float)
            True
        """
        return self._maths_random().random_gaussian(loc, scale)

    def random_choice(self, objects: Any) -> Any:
        """One element of a list, tuple or array, picked at random (``None`` if it is empty).

        Examples:
            >>> import sketchml as sk
            >>> sk.random_choice(["red", "green", "blue"]) in ("red", "green", "blue")
            True
        """
        return self._maths_random().random_choice(objects)

    def random_sample(self, objects: Any, size: int = 1, replace: bool = True) -> Any:
        """``size`` elements picked at random from ``objects`` (a list back; an array for a
        numpy array); with ``replace=False`` no element is picked twice.

        Examples:
            >>> import sketchml as sk
            >>> sorted(sk.random_sample([1, 2, 3], 3, replace=False))
            [1, 2, 3]
        """
        return self._maths_random().random_sample(objects, size, replace)

    def random_permutation(self, objects: Any) -> Any:
        """The elements of ``objects`` shuffled into a random order (a new list, or array).

        Examples:
            >>> import sketchml as sk
            >>> sorted(sk.random_permutation([3, 1, 2]))
            [1, 2, 3]
        """
        return self._maths_random().random_permutation(objects)

    def random_seed(self, seed: int) -> None:
        """Seed ``random``, ``random_int``, ``random_gaussian`` and the ``random_choice``
        family so a sketch repeats exactly.

        Examples:
            >>> import sketchml as sk
            >>> sk.random_seed(1); a = sk.random(100)
            >>> sk.random_seed(1); a == sk.random(100)
            True
        """
        self._maths_random().random_seed(seed)

    def noise(self, x: Any, y: Any = 0.0, z: Any = 0.0) -> Any:
        """Perlin noise in ``[0, 1]`` at ``(x)``, ``(x, y)`` or ``(x, y, z)``: smooth random
        values that change slowly as the coordinates do. Steps of about 0.005 to 0.03 give
        gentle motion. Coordinates may be numpy arrays: one value per element comes back.

        Examples:
            >>> import sketchml as sk
            >>> 0.0 <= sk.noise(0.1, 0.2) <= 1.0
            True
        """
        return self._maths_noise().noise(x, y, z)

    def noise_seed(self, seed: int) -> None:
        """Seed ``noise`` so the same noise field comes back every run.

        Examples:
            >>> import sketchml as sk
            >>> sk.noise_seed(4); a = sk.noise(0.5)
            >>> sk.noise_seed(4); a == sk.noise(0.5)
            True
        """
        self._maths_noise().noise_seed(seed)

    def _maths_os_noise(self) -> Any:
        if self._opensimplex is None:
            from sketchml.opensimplex import OpenSimplex

            self._opensimplex = OpenSimplex()
        return self._opensimplex

    def os_noise(self, x: Any, y: Any, z: Any = None, w: Any = None) -> Any:
        """OpenSimplex 2 (smooth) noise in ``[-1, 1]`` at ``(x, y)``, ``(x, y, z)`` or
        ``(x, y, z, w)``, as py5's ``os_noise``: smooth random values, an alternative to
        ``noise()`` (which is Perlin's, in ``[0, 1]``). For one dimension hold a coordinate
        still: ``os_noise(0.2, frame_count / 100)``. Coordinates may be numpy arrays
        (broadcast together): one value per element comes back, fast. Two-dimensional
        values are py5's own; 3D and 4D have the same lattices but gradients of their own.

        Examples:
            >>> import sketchml as sk, numpy as np
            >>> sk.os_noise_seed(42)
            >>> -1.0 <= sk.os_noise(0.2, 0.5) <= 1.0
            True
            >>> sk.os_noise(np.linspace(0, 5, 4), 0.0).shape
            (4,)
        """
        coords = [c for c in (x, y, z, w) if c is not None]
        if w is not None and z is None:
            raise ApiUsageError("os_noise(x, y, w=...) needs z too: os_noise(x, y, z, w)")
        return self._maths_os_noise()(*coords)

    def os_noise_seed(self, seed: int) -> None:
        """Seed ``os_noise`` so the same noise field comes back every run (py5's
        ``os_noise_seed``; without it each run has a random one).

        Examples:
            >>> import sketchml as sk
            >>> sk.os_noise_seed(7); a = sk.os_noise(0.5, 0.5)
            >>> sk.os_noise_seed(7); a == sk.os_noise(0.5, 0.5)
            True
        """
        self._maths_os_noise().seed(int(seed))

    def noise_detail(self, octaves: int, falloff: float = 0.5) -> None:
        """Set how many octaves (layers of finer noise) ``noise`` sums, each ``falloff``
        times as strong as the previous (Processing's defaults are 4 and 0.5).

        Examples:
            >>> import sketchml as sk
            >>> sk.noise_detail(8, 0.6)
        """
        self._maths_noise().noise_detail(octaves, falloff)
