"""Inputs for a learner from camera frames and sound: a few numbers that describe a frame or
a buffer, as Wekinator's example feature extractors make them.

Camera features take any frame: a numpy array ``(H, W, 3)`` (uint8, or float in [0, 1]),
a torch tensor ``(3, H, W)`` / ``(1, 3, H, W)`` / ``(H, W, 3)``, or an ``sk.Image`` (so an
``sk.Capture`` camera or an ``sk.Movie`` as it is), so they work on camera captures, video
frames, loaded pictures and model outputs alike:

* :func:`grid`: a downsampled grid of brightness (or colour), Wekinator's 10 x 10 webcam input;
* :func:`colour_stats`: mean and spread of each channel, brightness and saturation;
* :class:`Flow`: how much things move, per region (optical flow, Lucas-Kanade);
* :func:`embedding`: a model's embedding of the frame (CLIP's, or any model's ``encode``).

Sound features: :func:`sound` reads a live ``sk.Analyzer`` (a microphone, a playing sound,
or everything playing) as a learner's inputs; and for any buffer of samples (numpy or
torch; mono ``(N,)`` or ``(channels, N)``: a file, a model's audio) there are
:func:`amplitude`, :func:`bands` (energy in log-spaced frequency bands) and
:class:`Onsets` (a note or beat starting).

Examples:
    >>> import numpy as np
    >>> from sketchml.learn import features
    >>> frame = np.zeros((48, 64, 3), np.uint8); frame[:, 32:] = 255
    >>> features.grid(frame, cols=2, rows=1).tolist()
    [0.0, 1.0]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from sketchml.errors import SketchmlError

__all__ = ["Flow", "Onsets", "amplitude", "bands", "colour_stats", "embedding", "grid", "sound",
           "to_frame"]


def to_frame(frame: Any) -> np.ndarray:
    """Any frame as a float32 ``(H, W, 3)`` array in [0, 1].

    Examples:
        >>> import numpy as np
        >>> to_frame(np.full((2, 3), 255, np.uint8)).shape
        (2, 3, 3)
    """
    if hasattr(frame, "pixels") and hasattr(frame, "load_pixels"):   # an sk.Image, Capture, Movie
        frame = np.asarray(frame.pixels)
    chw = False
    if hasattr(frame, "detach"):
        tensor = frame.detach().cpu()
        if tensor.dim() == 4:
            tensor = tensor[0]
        chw = tensor.dim() == 3 and tensor.shape[0] in (1, 3, 4) and tensor.shape[-1] not in (3, 4)
        frame = tensor.numpy()
    array = np.asarray(frame)
    if array.ndim == 4:
        array = array[0]
    if chw:
        array = np.moveaxis(array, 0, -1)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4) or 0 in array.shape:
        raise SketchmlError(
            f"A frame is an image array (H, W, 3) or a tensor (3, H, W); got shape {array.shape}."
        )
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def _cells(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Mean of each of ``rows x cols`` cells of ``image`` ``(H, W, ...)``."""
    h, w = image.shape[:2]
    if rows < 1 or cols < 1 or rows > h or cols > w:
        raise SketchmlError(f"A grid of {cols} x {rows} cells needs a frame at least that big "
                            f"and 1 x 1 or more; the frame is {w} x {h}.")
    r_edges = np.linspace(0, h, rows + 1).astype(int)
    c_edges = np.linspace(0, w, cols + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(image, r_edges[:-1], axis=0), c_edges[:-1], axis=1)
    counts = np.outer(np.diff(r_edges), np.diff(c_edges))
    return sums / counts.reshape(rows, cols, *([1] * (image.ndim - 2)))


def grid(frame: Any, cols: int = 10, rows: int = 10, *, colour: bool = False) -> np.ndarray:
    """The frame shrunk to ``cols x rows`` cells: each cell's mean brightness in [0, 1]
    (``rows * cols`` numbers, row by row), or with ``colour=True`` its mean red, green and
    blue (``3 * rows * cols``).

    Examples:
        >>> import numpy as np
        >>> grid(np.zeros((30, 40, 3), np.uint8)).shape
        (100,)
    """
    image = to_frame(frame)
    if not colour:
        image = image.mean(axis=2)
    return _cells(image, rows, cols).reshape(-1)


def colour_stats(frame: Any) -> np.ndarray:
    """Eight numbers: mean red, green, blue; their standard deviations; mean brightness;
    mean saturation (all in [0, 1]).

    Examples:
        >>> import numpy as np
        >>> red = np.zeros((4, 4, 3), np.uint8); red[..., 0] = 255
        >>> colour_stats(red).round(2).tolist()
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.33, 1.0]
    """
    image = to_frame(frame).reshape(-1, 3)
    high, low = image.max(axis=1), image.min(axis=1)
    saturation = np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0.0)
    return np.concatenate([image.mean(axis=0), image.std(axis=0),
                           [image.mean(), saturation.mean()]]).astype(np.float64)


class Flow:
    """How fast things move in each of ``cols x rows`` regions between consecutive frames:
    Lucas-Kanade optical flow on a small grey copy of the frame (``size`` pixels wide).

    Call it on every frame; it returns each region's flow magnitude in small-frame pixels
    per frame (zeros for the first frame). :attr:`vectors` holds the ``(rows, cols, 2)``
    motion, :attr:`total` the mean magnitude.

    Examples:
        >>> import numpy as np
        >>> flow = Flow(cols=1, rows=1)
        >>> x = np.linspace(0, 6 * np.pi, 64)
        >>> a = np.tile(np.sin(x), (48, 1)); b = np.tile(np.sin(x - 0.3), (48, 1))
        >>> _ = flow(a / 2 + 0.5); moved = flow(b / 2 + 0.5); bool(moved[0] > 0.5)
        True
    """

    def __init__(self, cols: int = 4, rows: int = 3, *, size: int = 64) -> None:
        self.cols, self.rows, self.size = int(cols), int(rows), int(size)
        self._previous: np.ndarray | None = None
        self.vectors = np.zeros((self.rows, self.cols, 2))
        self.total = 0.0

    def _small(self, frame: Any) -> np.ndarray:
        image = to_frame(frame).mean(axis=2)
        h, w = image.shape
        width = min(self.size, w)
        height = max(self.rows, min(h, round(h * width / w)))
        return _cells(image, height, width)

    def __call__(self, frame: Any) -> np.ndarray:
        current = self._small(frame)
        previous, self._previous = self._previous, current
        if previous is None or previous.shape != current.shape:
            self.vectors = np.zeros((self.rows, self.cols, 2))
            self.total = 0.0
            return np.zeros(self.rows * self.cols)
        mean = (current + previous) / 2.0
        iy, ix = np.gradient(mean)
        it = current - previous
        # Per region, least squares for the motion (u, v) with ix*u + iy*v + it = 0.
        terms = np.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it], axis=-1)
        sums = _cells(terms, self.rows, self.cols) * 1.0
        a, b, c, d, e = (sums[..., k] for k in range(5))
        ridge = 1e-4
        det = (a + ridge) * (c + ridge) - b * b
        u = (-(c + ridge) * d + b * e) / det
        v = (b * d - (a + ridge) * e) / det
        self.vectors = np.stack([u, v], axis=-1)
        magnitude = np.hypot(u, v)
        self.total = float(magnitude.mean())
        return magnitude.reshape(-1)


def embedding(frame: Any, model: Any) -> np.ndarray:
    """A model's embedding of the frame as a flat float vector: ``model`` is anything with
    ``encode(images)`` taking ``(N, 3, H, W)`` floats in [0, 1], such as
    ``sk.model("clip")`` (512 or fewer numbers: give the learner that many inputs).

    Examples:
        >>> import numpy as np, sketchml as sk
        >>> clip = sk.model("clip", device="cpu")
        >>> embedding(np.zeros((32, 32, 3), np.uint8), clip).ndim
        1
    """
    import torch

    image = torch.from_numpy(np.ascontiguousarray(to_frame(frame))).permute(2, 0, 1)[None]
    with torch.no_grad():
        result = model.encode(image)
    if hasattr(result, "tensor"):       # a Latent
        result = result.tensor
    return result.detach().float().cpu().numpy().reshape(-1).astype(np.float64)


def sound(analyzer: Any) -> np.ndarray:
    """A live sound's features from an ``sk.Analyzer``, once a frame: loudness, each of
    its bands, and onset strength (``bands + 2`` numbers, ready as a learner's inputs).

    Examples:
        >>> import sketchml as sk
        >>> sound(sk.Analyzer(bands=8)).shape
        (10,)
    """
    return np.concatenate([[analyzer.rms()], np.asarray(analyzer.bands(), np.float64),
                           [analyzer.onset_strength()]]).astype(np.float64)


def _mono(samples: Any) -> np.ndarray:
    if hasattr(samples, "detach"):
        samples = samples.detach().cpu().numpy()
    array = np.asarray(samples, np.float64)
    if array.ndim == 2:
        array = array.mean(axis=0) if array.shape[0] <= array.shape[1] else array.mean(axis=1)
    if array.ndim != 1 or array.size == 0:
        raise SketchmlError(f"A sound buffer is (samples,) or (channels, samples); got shape "
                            f"{np.shape(samples)}.")
    return array


def amplitude(samples: Any) -> float:
    """The loudness of a buffer: the root mean square of its samples.

    Examples:
        >>> import numpy as np
        >>> round(amplitude(np.sin(np.linspace(0, 20 * np.pi, 4800))), 3)
        0.707
    """
    mono = _mono(samples)
    return float(np.sqrt(np.mean(mono * mono)))


def _spectrum(mono: np.ndarray) -> np.ndarray:
    return np.abs(np.fft.rfft(mono * np.hanning(len(mono)))) / max(len(mono), 1)


def bands(samples: Any, rate: int, count: int = 8, *, low: float = 60.0,
          high: float | None = None) -> np.ndarray:
    """The energy of a buffer in ``count`` frequency bands spaced evenly in pitch
    (logarithmically) from ``low`` to ``high`` Hz (half the sample rate unless given).

    Examples:
        >>> import numpy as np
        >>> t = np.arange(4096) / 44100
        >>> int(np.argmax(bands(np.sin(2 * np.pi * 440 * t), 44100, count=8)))
        2
    """
    mono = _mono(samples)
    top = float(high or rate / 2)
    if not 0 < low < top:
        raise SketchmlError(f"bands() needs 0 < low < high, got low={low}, high={top}.")
    power = _spectrum(mono) ** 2
    freqs = np.fft.rfftfreq(len(mono), 1.0 / rate)
    edges = np.geomspace(low, top, count + 1)
    which = np.searchsorted(edges, freqs, side="right") - 1
    inside = (which >= 0) & (which < count)
    energy = np.bincount(which[inside], weights=power[inside], minlength=count)
    return np.sqrt(energy)


class Onsets:
    """Notices notes and beats starting: spectral flux (how much the spectrum grew since the
    previous buffer) above ``sensitivity`` times its recent average (after a few buffers
    of history).

    Call it with each new buffer; it returns whether an onset happened in it, and keeps the
    flux in :attr:`strength`.

    Examples:
        >>> import numpy as np
        >>> onsets = Onsets()
        >>> quiet = np.zeros(1024); loud = np.random.default_rng(0).normal(size=1024)
        >>> [onsets(buffer) for buffer in [quiet] * 5 + [loud] + [quiet] * 3]
        [False, False, False, False, False, True, False, False, False]
    """

    def __init__(self, *, sensitivity: float = 1.5, history: int = 20, floor: float = 1e-4
                 ) -> None:
        self.sensitivity, self.floor = float(sensitivity), float(floor)
        self.history = int(history)
        self._fluxes: list[float] = []
        self._previous: np.ndarray | None = None
        self.strength = 0.0

    def __call__(self, samples: Any) -> bool:
        spectrum = _spectrum(_mono(samples))
        previous, self._previous = self._previous, spectrum
        if previous is None or previous.shape != spectrum.shape:
            return False
        flux = float(np.maximum(spectrum - previous, 0.0).sum())
        recent = self._fluxes[-self.history:]
        average = float(np.mean(recent)) if recent else 0.0
        self._fluxes = recent + [flux]
        self.strength = flux
        if len(recent) < 3:   # too little history to know what is ordinary yet
            return False
        return flux > self.sensitivity * average + self.floor
