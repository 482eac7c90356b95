"""Per-frame sound analysis in ``draw()``: loudness, spectrum, onsets, beats, brightness, pitch.

An :class:`Analyzer` listens to one source (everything playing, one
:class:`~sketchml.sound.Sound`, or an :class:`~sketchml.sound.AudioIn`) by reading its
tap at the engine's clock. The spectrum, loudness, centroid and chroma describe the
latest ``window`` samples. Onsets and beats are found causally, hop by hop (512
samples, 11.6 ms), with spectral flux (the rise of the log-magnitude spectrum) against
a running threshold, so ``onset()`` and ``is_beat()`` say whether one happened since
the previous frame. Values are computed once per clock tick, however often they are read.
"""
from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.sound.engine import RATE, Tap, engine

__all__ = ["Analyzer", "PITCH_CLASSES", "band_edges"]

#: Names of the 12 chroma bins, C first.
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_HOP = 512
_CHROMA_WINDOW = 8192
_FLUX_WINDOW = 1024
# Beats are onsets of the bass: the flux of the FFT bins below about 200 Hz.
_BASS_BINS = 5
# Flux values kept for the running threshold: about 1.5 s.
_HISTORY = 128


def band_edges(bands: int, *, low: float = 20.0, high: float = 16000.0) -> np.ndarray:
    """``bands + 1`` band edges in Hz, spaced evenly in pitch (log frequency) from ``low`` to ``high``.

    Examples:
        >>> band_edges(2, low=100, high=400).round(6).tolist()
        [100.0, 200.0, 400.0]
    """
    return np.geomspace(low, high, bands + 1)


def _chroma_matrix(size: int) -> np.ndarray:
    """(12, bins) weights that fold an rfft of ``size`` into pitch classes (110 Hz - 5 kHz:
    below that, bins are wider than semitones)."""
    freqs = np.fft.rfftfreq(size, 1.0 / RATE)
    matrix = np.zeros((12, len(freqs)), np.float32)
    usable = (freqs >= 110.0) & (freqs <= 5000.0)
    midi = 69 + 12 * np.log2(np.where(usable, freqs, 440.0) / 440.0)
    pitch = np.round(midi).astype(int) % 12
    matrix[pitch[usable], np.nonzero(usable)[0]] = 1.0
    return matrix


class Analyzer:
    """Analysis of a sound, read in ``draw()`` (Processing's Amplitude, FFT and BeatDetector
    in one).

    Args:
        source: what to listen to: ``None`` for everything playing (the mix), a
            :class:`~sketchml.sound.Sound`, or an :class:`~sketchml.sound.AudioIn`.
        bands: how many frequency bands :meth:`bands` gives (spaced evenly in pitch).
        window: samples per spectrum (a power of two; 2048 is 46 ms).
        sensitivity: the shortest time between two beats, in seconds (0.25 by default:
            up to 240 beats a minute).
        threshold: how far above its recent average the spectral flux must rise to
            count as an onset (1.5 by default; lower finds more onsets).

    Examples:
        >>> import numpy as np, sketchml as sk
        >>> tone = sk.Sound((np.sin(np.arange(44100) * 2 * np.pi * 440 / 44100), 44100))
        >>> meter = sk.Analyzer(tone)
        >>> meter.rms(), len(meter.bands()), len(meter.chroma())
        (0.0, 16, 12)
    """

    def __init__(self, source: Any = None, *, bands: int = 16, window: int = 2048,
                 sensitivity: float = 0.25, threshold: float = 1.5) -> None:
        if window < 256 or window & (window - 1):
            raise SketchmlError(f"window must be a power of two of 256 or more, got {window}.")
        if not isinstance(bands, int) or bands < 1:
            raise SketchmlError(f"bands must be a whole number >= 1, got {bands!r}.")
        self.source = source
        self.window = window
        self.sensitivity = float(sensitivity)
        self.threshold = float(threshold)
        self._edges = band_edges(bands)
        freqs = np.fft.rfftfreq(window, 1.0 / RATE)
        self._freqs = freqs
        self._band_index = np.clip(np.searchsorted(self._edges, freqs) - 1, -1, bands)
        self._nbands = bands
        self._chroma = _chroma_matrix(_CHROMA_WINDOW)
        self._chroma_hann = np.hanning(_CHROMA_WINDOW).astype(np.float32)
        self._hann = np.hanning(window).astype(np.float32)
        self._scale = 2.0 / float(self._hann.sum())
        self._flux_hann = np.hanning(_FLUX_WINDOW).astype(np.float32)
        self._seen = -1
        self._hop_end: int | None = None
        self._prev_log: np.ndarray | None = None
        self._flux: deque[tuple[float, float, float]] = deque(maxlen=_HISTORY)
        self._last_onset = -1e9
        self._last_beat = -1e9
        self._bass_level = 0.0
        self._beat_times: deque[float] = deque(maxlen=16)
        self._values: dict[str, Any] = {}

    def _tap(self) -> Tap:
        source = self.source
        if source is None:
            return engine().master
        tap = getattr(source, "_tap", None)
        if not isinstance(tap, Tap):
            raise SketchmlError(
                f"An Analyzer listens to a Sound, an AudioIn or None (everything playing), got "
                f"{type(source).__name__}."
            )
        return tap

    def _update(self) -> dict[str, Any]:
        eng = engine()
        eng.sync()
        # An audio device's thread writes the taps: read them whole, under the engine's lock.
        with eng.lock:
            return self._measure(self._tap())

    def _measure(self, tap: Tap) -> dict[str, Any]:
        if tap.end == self._seen:
            return self._values
        self._seen = tap.end
        samples = tap.read(self.window)
        # Scaled so that a full-scale sine on a bin's frequency peaks at 1.
        spectrum = np.abs(np.fft.rfft(samples * self._hann)) * self._scale
        bands = np.zeros(self._nbands, np.float32)
        inside = (self._band_index >= 0) & (self._band_index < self._nbands)
        np.maximum.at(bands, self._band_index[inside], spectrum[inside])
        total = float(spectrum.sum())
        # Pitch needs finer bins than loudness: a longer window (186 ms) for the chroma.
        long = tap.read(_CHROMA_WINDOW)
        chroma = self._chroma @ (np.abs(np.fft.rfft(long * self._chroma_hann)) ** 2)
        peak = float(chroma.max())
        onset, strength, beat = self._onsets(tap)
        self._values = {
            "rms": float(np.sqrt(np.mean(samples[-self.window:] ** 2))),
            "spectrum": spectrum,
            "bands": bands,
            "centroid": float((self._freqs * spectrum).sum() / total) if total > 1e-9 else 0.0,
            "chroma": chroma / peak if peak > 1e-12 else np.zeros(12, np.float32),
            "onset": onset,
            "strength": strength,
            "beat": beat,
        }
        return self._values

    def _onsets(self, tap: Tap) -> tuple[bool, float, bool]:
        """Flux of every hop since the last update: whether one was an onset, the strongest
        flux, and whether one was a beat."""
        end = tap.end
        if self._hop_end is None or end - self._hop_end > len(tap.buffer) - _FLUX_WINDOW:
            self._hop_end = max(0, end - end % _HOP - 8 * _HOP)
            self._prev_log = None
        onset = beat = False
        strength = 0.0
        while self._hop_end + _HOP <= end:
            self._hop_end += _HOP
            frame = tap.read(_FLUX_WINDOW, end=self._hop_end)
            mag = np.abs(np.fft.rfft(frame * self._flux_hann))
            log = np.log1p(100.0 * mag)
            rise = np.maximum(log - (self._prev_log if self._prev_log is not None else 0.0), 0)
            self._prev_log = log
            # The bass's log energy; the floor (about -46 dBFS) keeps the hum of quiet
            # tones from counting as rises.
            level = float(np.log(1.0 + np.sum(mag[:_BASS_BINS] ** 2)))
            flux, bass = float(rise.mean()), max(0.0, level - self._bass_level)
            self._bass_level = level
            recent = np.mean(self._flux, axis=0) if self._flux else np.zeros(3)
            loudest = max((row[2] for row in self._flux), default=0.0)
            self._flux.append((flux, bass, level))
            strength = max(strength, flux)
            now = self._hop_end / RATE
            if flux > self.threshold * recent[0] + 0.02 and now - self._last_onset > 0.05:
                self._last_onset = now
                onset = True
            # A beat is a jump of the bass to near the loudest bass of the last 1.5 s (within
            # 10 dB): the flutter of a bass note against a fading kick is not one.
            rested = now - self._last_beat >= self.sensitivity
            if bass > max(1.0, self.threshold * recent[1]) and level > loudest - 2.3 and rested:
                self._last_beat = now
                self._beat_times.append(now)
                beat = True
        return onset, strength, beat

    # -------------------------------------------------------------- what draw() reads

    def rms(self) -> float:
        """Loudness: the root mean square of the latest window (0 silent, about 0.7 for a
        full-scale sine).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().rms() >= 0
            True
        """
        return self._update()["rms"]

    def spectrum(self) -> np.ndarray:
        """Magnitudes of the latest window's FFT, ``window // 2 + 1`` bins from 0 Hz to 22050 Hz
        (a full-scale sine peaks near 1).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer(window=1024).spectrum().shape
            (513,)
        """
        return self._update()["spectrum"]

    def bands(self) -> np.ndarray:
        """The loudest FFT magnitude in each of ``bands`` bands spaced evenly in pitch from
        20 Hz to 16 kHz (bass first); :func:`band_edges` gives the edges.

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer(bands=8).bands().shape
            (8,)
        """
        return self._update()["bands"]

    def centroid(self) -> float:
        """Spectral centroid in Hz: where the spectrum's weight is, i.e. how bright it sounds
        (0 in silence).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().centroid() >= 0
            True
        """
        return self._update()["centroid"]

    def chroma(self) -> np.ndarray:
        """Energy of each of the 12 pitch classes (C, C#, ... B; see ``PITCH_CLASSES``),
        the strongest scaled to 1 (all 0 in silence).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().chroma().shape
            (12,)
        """
        return self._update()["chroma"]

    def onset(self) -> bool:
        """Whether a new sound event (a note, a hit) started since the previous frame.

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().onset() in (True, False)
            True
        """
        return self._update()["onset"]

    def onset_strength(self) -> float:
        """The largest spectral flux since the previous frame (0 when nothing changed).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().onset_strength() >= 0
            True
        """
        return self._update()["strength"]

    def is_beat(self) -> bool:
        """Whether a beat fell since the previous frame: an onset at least ``sensitivity``
        seconds after the last beat (Processing's ``BeatDetector.isBeat``).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().is_beat() in (True, False)
            True
        """
        return self._update()["beat"]

    def waveform(self, n: int = 1024) -> np.ndarray:
        """The latest ``n`` samples (mono float32 in [-1, 1]), oldest first: an oscilloscope.

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().waveform(256).shape
            (256,)
        """
        eng = engine()
        eng.sync()
        with eng.lock:
            return self._tap().read(int(n))

    def tempo(self) -> float:
        """Beats per minute from the recent beats (0 until there have been three).

        Examples:
            >>> import sketchml as sk
            >>> sk.Analyzer().tempo()
            0.0
        """
        self._update()
        if len(self._beat_times) < 3:
            return 0.0
        gaps = np.diff(np.asarray(self._beat_times))
        return float(60.0 / np.median(gaps))
