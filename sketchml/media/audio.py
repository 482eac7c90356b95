"""WAV files and notebook audio players, with the standard library's ``wave`` module.

Waveforms are float arrays or tensors in [-1, 1], shaped ``(channels, samples)``
or ``(samples,)`` for mono. Files are 16-bit PCM. Nothing here imports torch.
"""
from __future__ import annotations

import base64
import html
import io
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.files import atomic_write_bytes

__all__ = ["audio_html", "read_wav", "wav_bytes", "write_wav"]


def _as_channels_first(waveform: Any) -> np.ndarray:
    if hasattr(waveform, "detach"):
        waveform = waveform.detach().cpu().float().numpy()
    data = np.asarray(waveform, dtype=np.float32)
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2:
        raise SketchmlError(
            f"A waveform must be shaped (samples,) or (channels, samples); got shape {data.shape}. "
            f"Squeeze a batch dimension with waveform[0]."
        )
    if data.shape[0] > 16 and data.shape[1] <= 16:
        raise SketchmlError(
            f"A waveform shaped {data.shape} looks like (samples, channels); expected "
            f"(channels, samples). Pass waveform.T instead."
        )
    if data.shape[1] == 0:
        raise SketchmlError("The waveform has no samples; there is nothing to write.")
    if not np.all(np.isfinite(data)):
        raise SketchmlError("The waveform contains NaN or infinite values; it cannot be written "
                            "as audio. Check the model output (e.g. with numpy.isfinite).")
    return data


def _check_rate(sample_rate: Any) -> int:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) \
            or not 1 <= int(sample_rate) <= 4_000_000:
        raise SketchmlError(f"sample_rate must be a whole number of samples per second (e.g. "
                            f"16000 or 44100), got {sample_rate!r}.")
    return int(sample_rate)


def wav_bytes(waveform: Any, sample_rate: int) -> bytes:
    """Encode a float waveform in [-1, 1] as the bytes of a 16-bit PCM WAV file.

    Values outside [-1, 1] are clipped.

    Examples:
        >>> import numpy as np
        >>> from sketchml.media.audio import wav_bytes
        >>> wav_bytes(np.zeros(100), 8000)[:4]
        b'RIFF'
    """
    rate = _check_rate(sample_rate)
    data = _as_channels_first(waveform)
    pcm = np.round(np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(pcm.shape[0])
        out.setsampwidth(2)
        out.setframerate(rate)
        # WAV stores channels interleaved: sample 0 of every channel, then sample 1, ...
        out.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return buffer.getvalue()


def write_wav(path: str | os.PathLike[str], waveform: Any, sample_rate: int) -> Path:
    """Write ``waveform`` (float in [-1, 1], ``(channels, samples)`` or ``(samples,)``) as WAV.

    The file is 16-bit PCM and written atomically. Returns the path.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> from sketchml.media.audio import write_wav
        >>> tone = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000) * 0.5
        >>> write_wav(os.path.join(tempfile.mkdtemp(), "a4.wav"), tone, 16000).suffix
        '.wav'
    """
    target = Path(path)
    atomic_write_bytes(target, wav_bytes(waveform, sample_rate))
    return target


def read_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read a PCM WAV file as ``(waveform (channels, samples) float32 in [-1, 1], sample_rate)``.

    8-, 16-, 24- and 32-bit integer PCM files are read.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> from sketchml.media.audio import read_wav, write_wav
        >>> path = write_wav(os.path.join(tempfile.mkdtemp(), "s.wav"), np.zeros((2, 10)), 8000)
        >>> wave, rate = read_wav(path)
        >>> wave.shape, rate
        ((2, 10), 8000)
    """
    source = Path(path)
    if not source.is_file():
        raise SketchmlError(f"No WAV file at {source}. Check the path.")
    try:
        with wave.open(str(source), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise SketchmlError(
            f"Could not read {source} as a PCM WAV file ({exc}). Only uncompressed integer PCM "
            f"is read; convert other audio with e.g. `ffmpeg -i in -c:a pcm_s16le out.wav`."
        ) from exc
    raw = np.frombuffer(frames, dtype=np.uint8)
    usable = len(raw) - len(raw) % (width * channels)
    raw = raw[:usable]
    if width == 1:
        samples = (raw.astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        samples = raw.view("<i2").astype(np.float32) / 32768.0
    elif width == 3:
        triples = raw.reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        samples = value.astype(np.float32) / float(1 << 23)
    elif width == 4:
        samples = raw.view("<i4").astype(np.float32) / float(1 << 31)
    else:
        raise SketchmlError(f"{source} uses {width * 8}-bit samples; expected 8, 16, 24 or 32.")
    return np.ascontiguousarray(samples.reshape(-1, channels).T), rate


def audio_html(waveform: Any, sample_rate: int, *, autoplay: bool = False) -> str:
    """An HTML5 ``<audio>`` player with the sound embedded as a base64 WAV (for Jupyter).

    Examples:
        >>> import numpy as np
        >>> from sketchml.media.audio import audio_html
        >>> audio_html(np.zeros(800), 8000).startswith("<audio controls")
        True
    """
    encoded = base64.b64encode(wav_bytes(waveform, sample_rate)).decode("ascii")
    extra = " autoplay" if autoplay else ""
    return (f'<audio controls{extra} src="data:audio/wav;base64,{html.escape(encoded)}">'
            f"Your browser cannot play audio.</audio>")
