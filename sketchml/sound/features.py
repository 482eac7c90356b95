"""Offline analysis of a whole sound with librosa: one value per video frame.

:func:`audio_features` decodes a file (or takes a result), separates its harmonic and
percussive parts (HPSS, median filtering of the spectrogram) and measures, for every
frame of a video at ``fps``, the same things :class:`~sketchml.sound.Analyzer` measures
live: loudness (of the whole, the harmonic and the percussive part), onset strength,
onsets, beats and tempo, spectral centroid, chroma and bands. Frame ``k`` shows the
time ``[k / fps, (k + 1) / fps)`` of the sound: continuous values are that stretch's
mean, onset strength its peak, and an onset or beat belongs to the frame it falls in.

Beats are tracked on the onsets of the bass (below 250 Hz): kicks, not hi-hats, carry
the beat in most music.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.sound.io import as_waveform, resample

__all__ = ["AudioFeatures", "audio_features"]

# librosa's usual analysis rate: plenty for rhythm, pitch classes and loudness.
_RATE = 22050
_HOP = 256
_FFT = 2048
_PAD = _FFT
# Beats in frames quieter than this fraction of the loudest (about -50 dB) are dropped.
_SILENT = 3e-3


@dataclass
class AudioFeatures:
    """What :func:`audio_features` measured: arrays with one row per video frame.

    Attributes:
        fps: frames per second the values are for.
        start: where the analysed stretch starts in the sound, in seconds.
        duration: its length in seconds (``frames / fps`` rounded up covers it).
        rms, rms_harmonic, rms_percussive: loudness ``(F,)`` of the whole and of each part.
        onset_strength: ``(F,)`` peak onset strength (spectral flux of the percussive part).
        onsets, beats: ``(F,)`` bool: an onset / a beat falls in the frame.
        onset_times, beat_times: the times (s, from ``start``) of the onsets and beats.
        tempo: beats per minute.
        centroid: ``(F,)`` spectral centroid in Hz.
        chroma: ``(F, 12)`` energy per pitch class (C first), each
            frame's strongest scaled to 1.
        bands: ``(F, B)`` loudness of the loudest bin in each of B bands spaced evenly in
            pitch: 0 at -80 dB or less, 1 at a full-scale sine (0 dB).
        waveform, sample_rate: the analysed stretch, mono, at its own rate.

    Examples:
        >>> from sketchml.sound.synth import beat_song
        >>> feats = audio_features(beat_song(bpm=120, seconds=2), fps=4)
        >>> feats.frames, feats.beats.astype(int).tolist()
        (8, [1, 0, 1, 0, 1, 0, 1, 0])
    """

    fps: float
    start: float
    duration: float
    rms: np.ndarray
    rms_harmonic: np.ndarray
    rms_percussive: np.ndarray
    onset_strength: np.ndarray
    onsets: np.ndarray
    beats: np.ndarray
    onset_times: np.ndarray
    beat_times: np.ndarray
    tempo: float
    centroid: np.ndarray
    chroma: np.ndarray
    bands: np.ndarray
    waveform: np.ndarray = field(repr=False)
    sample_rate: int = 0

    @property
    def frames(self) -> int:
        """How many video frames the values cover."""
        return len(self.rms)

    def __len__(self) -> int:
        return self.frames


def audio_features(source: Any, *, fps: float = 30.0, start: float = 0.0,
                   duration: float | None = None, bands: int = 16) -> AudioFeatures:
    """Analyse a whole sound offline: one value per video frame at ``fps``.

    Args:
        source: a file path (WAV, FLAC, OGG, MP3 ...), an :class:`sketchml.Audio`, a
            :class:`~sketchml.sound.Sound` or anything with ``to_audio()``.
        fps: video frames per second.
        start: seconds to skip at the beginning.
        duration: seconds to analyse (default: to the end).
        bands: how many frequency bands.

    Examples:
        >>> from sketchml.sound.synth import beat_song
        >>> feats = audio_features(beat_song(bpm=120, seconds=4), fps=10)
        >>> feats.frames, round(feats.tempo)
        (40, 120)
    """
    import librosa

    wave, rate = as_waveform(source)
    if not fps > 0:
        raise SketchmlError(f"fps must be positive, got {fps}.")
    mono = wave.mean(axis=0)
    total = len(mono) / rate
    if not 0 <= start < total:
        raise SketchmlError(f"start={start} s is outside the sound, which lasts {total:.2f} s.")
    if duration is None:
        duration = total - start
    if not duration > 0:
        raise SketchmlError(f"duration must be positive, got {duration}.")
    duration = min(duration, total - start)
    segment = np.ascontiguousarray(mono[int(round(start * rate)):int(round((start + duration) * rate))])
    # Silence on both sides, so that a hit on the very first sample is still an onset
    # (flux needs a "before") and the last hop is analysed whole.
    y = np.pad(resample(segment[None], rate, _RATE)[0], _PAD)
    frames = max(1, math.ceil(duration * fps - 1e-9))

    mag = np.abs(librosa.stft(y, n_fft=_FFT, hop_length=_HOP))
    power = mag ** 2
    # HPSS on a 128-band mel spectrogram: the median filters cost 8 times less than on
    # 1025 FFT bins, and parts of a mix are told apart as well at that resolution.
    mel = librosa.feature.melspectrogram(S=power, sr=_RATE, n_mels=128)
    harmonic, percussive = librosa.decompose.hpss(mel, kernel_size=(31, 13))
    share = harmonic.sum(axis=0) / np.maximum(harmonic.sum(axis=0) + percussive.sum(axis=0), 1e-20)
    times = librosa.frames_to_time(np.arange(mag.shape[1]), sr=_RATE, hop_length=_HOP) - _PAD / _RATE
    inside = (times >= 0) & (times < duration)
    slot = np.clip(np.floor(times * fps).astype(np.int64), 0, frames - 1)

    def rms_of(m: np.ndarray) -> np.ndarray:
        return librosa.feature.rms(S=m, frame_length=_FFT)[0]

    env = librosa.onset.onset_strength(S=librosa.power_to_db(percussive, ref=np.max),
                                       sr=_RATE, hop_length=_HOP)
    onset_frames = librosa.onset.onset_detect(onset_envelope=env, sr=_RATE, hop_length=_HOP)
    bass = librosa.onset.onset_strength(y=y, sr=_RATE, hop_length=_HOP, fmax=250, n_mels=16)
    # librosa's trimming drops real beats at the end of a song; ours only drops the
    # beats the tracker carried on past the first or last hit (no bass onset near them).
    tempo, beat_frames = librosa.beat.beat_track(onset_envelope=bass, sr=_RATE, hop_length=_HOP,
                                                 trim=False)
    beat_frames = _trim_beats(np.asarray(beat_frames), bass)
    chroma = librosa.feature.chroma_stft(S=power, sr=_RATE, hop_length=_HOP, tuning=0.0)
    centroid = librosa.feature.spectral_centroid(S=mag, sr=_RATE)[0]
    edges = np.geomspace(20.0, 10000.0, bands + 1)
    freqs = librosa.fft_frequencies(sr=_RATE, n_fft=_FFT)
    which = np.clip(np.searchsorted(edges, freqs) - 1, -1, bands)
    # The loudest bin of each band, in dB of a full-scale sine (the max first: it is the
    # same as the max of the dBs, without a dB copy of the whole spectrogram).
    band_rows = np.stack([
        mag[which == b].max(axis=0) if np.any(which == b) else np.zeros(mag.shape[1])
        for b in range(bands)
    ])
    # librosa's Hann window sums to _FFT / 2, so a full-scale sine peaks at _FFT / 4.
    band_rows = np.maximum(20.0 * np.log10(np.maximum(band_rows, 1e-10) / (_FFT / 4)), -80.0)

    loud = rms_of(mag)
    onset_times = _within(times[onset_frames], duration)
    # A beat tracker keeps counting through silence; only beats one can hear are kept.
    audible = loud[beat_frames] > _SILENT * max(float(loud.max()), 1e-12)
    beat_times = _within(times[beat_frames[audible]], duration)
    keep = np.nonzero(inside)[0]
    slot = slot[keep]

    def pick(values: np.ndarray) -> np.ndarray:
        return values[..., keep[keep < values.shape[-1]]]

    chroma_frames = _mean(pick(chroma).T, slot, frames)
    peak = chroma_frames.max(axis=1, keepdims=True)
    return AudioFeatures(
        fps=float(fps), start=float(start), duration=float(duration),
        rms=_mean(pick(loud), slot, frames),
        # Each part's loudness: the whole's, split by its share of the power.
        rms_harmonic=_mean(pick(loud * np.sqrt(share)), slot, frames),
        rms_percussive=_mean(pick(loud * np.sqrt(1 - share)), slot, frames),
        onset_strength=_peak(pick(env), slot, frames),
        onsets=_events(onset_times, fps, frames),
        beats=_events(beat_times, fps, frames),
        onset_times=onset_times, beat_times=beat_times,
        tempo=float(np.atleast_1d(tempo)[0]),
        centroid=_mean(pick(np.where(loud > 1e-5, centroid, 0.0)), slot, frames),
        chroma=np.where(peak > 1e-9, chroma_frames / np.maximum(peak, 1e-9), 0.0),
        bands=np.clip((_mean(pick(band_rows).T, slot, frames) + 80.0) / 80.0, 0.0, 1.0),
        waveform=segment, sample_rate=rate,
    )


def _mean(values: np.ndarray, slot: np.ndarray, frames: int) -> np.ndarray:
    values = np.asarray(values, np.float64)[: len(slot)]
    slot = slot[: len(values)]
    shape = (frames,) + values.shape[1:]
    total = np.zeros(shape)
    count = np.zeros(frames)
    np.add.at(total, slot, values)
    np.add.at(count, slot, 1)
    filled = count > 0
    out = np.zeros(shape)
    out[filled] = total[filled] / count[filled].reshape(-1, *([1] * (values.ndim - 1)))
    # A frame shorter than one analysis hop (high fps) takes the nearest hop's value.
    if not filled.all():
        idx = np.nonzero(filled)[0]
        nearest = idx[np.clip(np.searchsorted(idx, np.arange(frames)), 0, len(idx) - 1)]
        out[~filled] = out[nearest[~filled]]
    return out.astype(np.float32)


def _trim_beats(beats: np.ndarray, envelope: np.ndarray) -> np.ndarray:
    if len(beats) == 0:
        return beats
    strength = np.array([envelope[max(0, b - 2):b + 3].max() for b in beats])
    weak = strength < 0.1 * np.median(strength)
    first = int(np.argmax(~weak)) if not weak.all() else len(beats)
    last = len(beats) - int(np.argmax(~weak[::-1])) if not weak.all() else 0
    return beats[first:last]


def _within(times: np.ndarray, duration: float) -> np.ndarray:
    times = np.asarray(times, np.float64)
    return times[(times >= 0) & (times < duration)]


def _peak(values: np.ndarray, slot: np.ndarray, frames: int) -> np.ndarray:
    out = np.zeros(frames)
    values = np.asarray(values, np.float64)[: len(slot)]
    np.maximum.at(out, slot[: len(values)], values)
    return out.astype(np.float32)


def _events(times: np.ndarray, fps: float, frames: int) -> np.ndarray:
    out = np.zeros(frames, bool)
    index = np.floor(np.asarray(times) * fps + 1e-9).astype(np.int64)
    out[index[(index >= 0) & (index < frames)]] = True
    return out
