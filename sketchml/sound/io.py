"""Reading sounds from files and results, and changing their sample rate.

Files go through libsndfile (``soundfile``: WAV, FLAC, OGG/Vorbis, MP3, AIFF ...) and,
for anything it cannot open, through ``audioread`` (which uses ffmpeg or the platform's
decoders). Results are :class:`sketchml.Audio` (``waveform``, ``sample_rate``) or any
object with a ``to_audio()`` method that returns one (``sk.Notes`` does). Everything comes
back as ``(channels, samples)`` float32 in [-1, 1] with its sample rate.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError

__all__ = ["as_waveform", "read_sound", "resample"]


def read_sound(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Decode an audio file: ``(waveform (channels, samples) float32 in [-1, 1], sample_rate)``.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> from sketchml.media.audio import write_wav
        >>> path = write_wav(os.path.join(tempfile.mkdtemp(), "a.wav"), np.zeros((2, 80)), 8000)
        >>> wave, rate = read_sound(path)
        >>> wave.shape, rate
        ((2, 80), 8000)
    """
    source = Path(path)
    if not source.is_file():
        raise SketchmlError(
            f"No sound file at {str(source)!r}. Check the path (it is relative to the folder "
            "you ran the sketch from, not to the sketch file)."
        )
    import soundfile

    try:
        data, rate = soundfile.read(str(source), dtype="float32", always_2d=True)
        wave = np.ascontiguousarray(data.T)
    except (RuntimeError, soundfile.LibsndfileError) as first:
        wave, rate = _read_with_audioread(source, first)
    if wave.shape[1] == 0:
        raise SketchmlError(f"{source} holds no audio samples.")
    return wave, int(rate)


def _read_with_audioread(source: Path, first: Exception) -> tuple[np.ndarray, int]:
    import audioread

    try:
        with audioread.audio_open(str(source)) as reader:
            rate, channels = reader.samplerate, reader.channels
            pcm = b"".join(reader)
    except (audioread.DecodeError, OSError) as err:
        raise SketchmlError(
            f"Could not decode {source} as audio ({first}; {err}). Use WAV, FLAC, OGG or MP3, "
            "or convert it with `ffmpeg -i in out.wav`."
        ) from err
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return np.ascontiguousarray(samples.reshape(-1, channels).T), int(rate)


def as_waveform(source: Any) -> tuple[np.ndarray, int]:
    """``(waveform (channels, samples) float32, sample_rate)`` from a file path, an
    :class:`sketchml.Audio`, anything with ``to_audio()`` or a ``(waveform, rate)`` pair.

    Examples:
        >>> import torch, sketchml as sk
        >>> wave, rate = as_waveform(sk.Audio(torch.zeros(100), sample_rate=8000))
        >>> wave.shape, rate
        ((1, 100), 8000)
    """
    if isinstance(source, (str, os.PathLike)):
        return read_sound(source)
    if hasattr(source, "to_audio") and not hasattr(source, "waveform"):
        source = source.to_audio()
    if hasattr(source, "waveform") and hasattr(source, "sample_rate"):
        wave, rate = source.waveform, source.sample_rate
    elif isinstance(source, tuple) and len(source) == 2:
        wave, rate = source
    else:
        raise SketchmlError(
            f"Cannot make a sound from a {type(source).__name__}: give a file path (WAV, FLAC, "
            "OGG, MP3), an sk.Audio result, something with .to_audio() (e.g. sk.Notes) or a "
            "(waveform, sample_rate) pair."
        )
    if hasattr(wave, "detach"):
        wave = wave.detach().cpu().float().numpy()
    data = np.asarray(wave, dtype=np.float32)
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2 or data.shape[1] == 0:
        raise SketchmlError(
            f"A waveform is (samples,) or (channels, samples) with samples, got shape {data.shape}."
        )
    if data.shape[0] > 16 and data.shape[1] <= 16:
        raise SketchmlError(f"A waveform shaped {data.shape} looks like (samples, channels); "
                            "pass waveform.T instead.")
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
        raise SketchmlError(f"sample_rate must be a positive whole number, got {rate!r}.")
    return np.ascontiguousarray(np.nan_to_num(data)), int(rate)


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``wave`` ``(channels, samples)`` from ``rate`` to ``target`` samples per second (soxr,
    high quality).

    Examples:
        >>> import numpy as np
        >>> resample(np.zeros((1, 8000), np.float32), 8000, 16000).shape
        (1, 16000)
    """
    if rate == target:
        return wave
    import soxr

    out = soxr.resample(np.ascontiguousarray(wave.T), rate, target, quality="HQ")
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(-1, wave.shape[0]).T)
