"""WAV writing and reading, and the notebook audio player."""
from __future__ import annotations

import base64
import re
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from sketchml.errors import SketchmlError
from sketchml.media.audio import audio_html, read_wav, wav_bytes, write_wav


def test_mono_and_stereo_round_trip(tmp_path: Path) -> None:
    t = np.arange(8000) / 8000
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = write_wav(tmp_path / "tone.wav", tone, 8000)
    back, rate = read_wav(path)
    assert rate == 8000 and back.shape == (1, 8000) and back.dtype == np.float32
    assert np.abs(back[0] - tone).max() < 1 / 16000

    stereo = torch.stack([torch.from_numpy(tone).float(), -torch.from_numpy(tone).float()])
    back, rate = read_wav(write_wav(tmp_path / "stereo.wav", stereo, 22050))
    assert rate == 22050 and back.shape == (2, 8000)
    assert np.abs(back - stereo.numpy()).max() < 1 / 16000
    with wave.open(str(tmp_path / "stereo.wav")) as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (2, 2)


def test_values_are_clipped_and_written_atomically(tmp_path: Path) -> None:
    back, _ = read_wav(write_wav(tmp_path / "loud.wav", np.array([2.0, -3.0, 0.25]), 100))
    assert np.allclose(back[0], [32767 / 32768, -32767 / 32768, 0.25], atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loud.wav"]


def test_other_sample_widths_are_read(tmp_path: Path) -> None:
    values = np.array([0, 1 << 22, -(1 << 22), (1 << 23) - 1], dtype=np.int32)
    packed = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in values)
    with wave.open(str(tmp_path / "deep.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(3)
        out.setframerate(48000)
        out.writeframes(packed)
    back, rate = read_wav(tmp_path / "deep.wav")
    assert rate == 48000 and np.allclose(back[0], [0, 0.5, -0.5, 1.0], atol=1e-6)
    with wave.open(str(tmp_path / "byte.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(bytes([128, 192, 64]))
    assert np.allclose(read_wav(tmp_path / "byte.wav")[0][0], [0, 0.5, -0.5])


def test_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="waveform.T"):
        write_wav(tmp_path / "a.wav", np.zeros((1000, 2)), 8000)
    with pytest.raises(SketchmlError, match="shaped"):
        write_wav(tmp_path / "a.wav", np.zeros((1, 2, 100)), 8000)
    with pytest.raises(SketchmlError, match="NaN"):
        write_wav(tmp_path / "a.wav", np.array([0.0, np.nan]), 8000)
    with pytest.raises(SketchmlError, match="sample_rate"):
        write_wav(tmp_path / "a.wav", np.zeros(10), 44100.5)
    with pytest.raises(SketchmlError, match="No WAV file"):
        read_wav(tmp_path / "missing.wav")
    (tmp_path / "fake.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(SketchmlError, match="pcm_s16le"):
        read_wav(tmp_path / "fake.wav")
    assert not (tmp_path / "a.wav").exists()


def test_audio_html_embeds_the_wav() -> None:
    tone = np.sin(np.linspace(0, 100, 400))
    page = audio_html(tone, 8000, autoplay=True)
    assert page.startswith("<audio controls autoplay")
    encoded = re.search(r'base64,([^"]+)"', page).group(1)
    assert base64.b64decode(encoded) == wav_bytes(tone, 8000)
