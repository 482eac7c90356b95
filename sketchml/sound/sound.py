"""Sounds a sketch plays: Processing's ``SoundFile`` (``play``, ``loop``, ``stop``, ``amp``,
``rate`` ...), made from a file, an :class:`sketchml.Audio` result or anything with
``to_audio()``.

A sound is decoded once, converted to the engine's rate, and played by the process's
:mod:`~sketchml.sound.engine` (speakers where there is an output device, silent but on
time otherwise, frame-exact in a headless render).
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.sound.engine import RATE, Tap, engine
from sketchml.sound.io import as_waveform, resample

__all__ = ["Sound", "load_sound"]


class _Voice:
    """One playing sound: a read position (in samples, fractional when the rate is not 1)."""

    def __init__(self, sound: Sound, *, looping: bool) -> None:
        self.sound = sound
        self.position = 0.0
        self.looping = looping
        self.paused = False
        self.tap = sound._tap

    def render(self, n: int) -> tuple[np.ndarray, bool]:
        data = self.sound._data
        length = data.shape[1]
        if self.paused:
            return np.zeros((2, n), np.float32), False
        rate = self.sound._rate
        if rate == 1.0 and self.position.is_integer():
            idx = int(self.position) + np.arange(n)
            frac = None
        else:
            where = self.position + np.arange(n) * rate
            idx = np.floor(where).astype(np.int64)
            frac = (where - idx).astype(np.float32)
        if self.looping:
            idx = idx % length
            valid = np.ones(n, bool)
        else:
            valid = idx < length
        safe = np.minimum(idx, length - 1)
        block = data[:, safe]
        if frac is not None:
            nxt = (safe + 1) % length if self.looping else np.minimum(safe + 1, length - 1)
            block = block + (data[:, nxt] - block) * frac
        block = np.where(valid, block, 0.0).astype(np.float32)
        if block.shape[0] == 1:
            block = np.repeat(block, 2, axis=0)
        elif block.shape[0] > 2:
            block = np.stack([block[0::2].mean(axis=0), block[1::2].mean(axis=0)])
        pan = self.sound._pan
        gains = np.array([[min(1.0, 1.0 - pan)], [min(1.0, 1.0 + pan)]], np.float32)
        block = block * (gains * self.sound._amp)
        self.position += n * rate
        if self.looping:
            self.position %= length
        return block, not self.looping and self.position >= length

    def skip(self, n: int) -> bool:
        if self.paused:
            return False
        self.position += n * self.sound._rate
        length = self.sound._data.shape[1]
        if self.looping:
            self.position %= length
            return False
        return self.position >= length


class Sound:
    """A sound to play: ``load_sound(path)`` makes one (Processing's ``SoundFile``).

    Args:
        source: a file path (WAV, FLAC, OGG, MP3 ...), an :class:`sketchml.Audio`, anything
            with ``to_audio()`` (e.g. :class:`sketchml.Notes`) or a ``(waveform, rate)`` pair.

    With no audio device the sound plays silently but on time: ``is_playing()`` and
    ``position()`` and every analysis behave as if it were heard. In a headless render
    what it plays goes into the video's audio track.

    Examples:
        >>> import numpy as np, sketchml as sk
        >>> beep = sk.Sound((np.sin(np.arange(4410) * 0.2) * 0.5, 44100))
        >>> round(beep.duration(), 2), beep.is_playing()
        (0.1, False)
    """

    def __init__(self, source: Any) -> None:
        wave, rate = as_waveform(source)
        self.source_rate = rate
        self._data = resample(wave, rate, RATE)
        self._rate = 1.0
        self._amp = 1.0
        self._pan = 0.0
        self._voice: _Voice | None = None
        self._tap = Tap()
        self.name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else None

    def __repr__(self) -> str:
        where = f" {self.name!r}" if self.name else ""
        return f"Sound({where.strip() or 'waveform'}, {self.duration():.2f} s, {self.channels()} ch)"

    # -------------------------------------------------------------- playing

    def play(self, rate: float | None = None, amp: float | None = None) -> None:
        """Play once from the start (from where it was after ``pause()``); ``rate`` and
        ``amp`` as :meth:`rate` and :meth:`amp`. Playing a sound that plays restarts it.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> s = sk.Sound((np.zeros(44100), 44100)); s.play(); s.is_playing()
            True
            >>> s.stop()
        """
        self._start(looping=False, rate=rate, amp=amp)

    def loop(self, rate: float | None = None, amp: float | None = None) -> None:
        """Play over and over until :meth:`stop`.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> s = sk.Sound((np.zeros(100), 44100)); s.loop(); s.is_playing()
            True
            >>> s.stop(); s.is_playing()
            False
        """
        self._start(looping=True, rate=rate, amp=amp)

    def _start(self, *, looping: bool, rate: float | None, amp: float | None) -> None:
        if rate is not None:
            self.rate(rate)
        if amp is not None:
            self.amp(amp)
        voice = self._voice
        if voice is not None and voice.paused:
            voice.paused = False
            voice.looping = looping
            return
        if voice is not None:
            engine().remove(voice)
        self._voice = _Voice(self, looping=looping)
        engine().add(self._voice)

    def stop(self) -> None:
        """Stop playing (the next ``play()`` starts from the beginning).

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).stop()
        """
        voice, self._voice = self._voice, None
        if voice is not None:
            engine().remove(voice)

    def pause(self) -> None:
        """Stop playing but keep the place: ``play()`` goes on from there.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> s = sk.Sound((np.zeros(44100), 44100)); s.play(); s.pause(); s.is_playing()
            False
            >>> s.stop()
        """
        engine().sync()
        if self._voice is not None:
            self._voice.paused = True

    def jump(self, seconds: float) -> None:
        """Move the playing position to ``seconds`` from the start (and play from there).

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> s = sk.Sound((np.zeros(44100), 44100)); s.jump(0.5); round(s.position(), 1)
            0.5
            >>> s.stop()
        """
        seconds = _number(seconds, "jump()")
        if not 0 <= seconds <= self.duration():
            raise SketchmlError(f"jump({seconds}) is outside the sound, which lasts "
                                f"{self.duration():.2f} s.")
        if self._voice is None or self._voice.paused:
            self.play()
        self._voice.position = seconds * RATE

    # -------------------------------------------------------------- settings

    def amp(self, amplitude: float) -> None:
        """Loudness: 1 as recorded (the default), 0 silent; above 1 is louder (and may clip).

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).amp(0.5)
        """
        amplitude = _number(amplitude, "amp()")
        if amplitude < 0:
            raise SketchmlError(
                f"amp() takes a loudness of 0 or more (1 = as recorded), got {amplitude}."
            )
        self._amp = amplitude

    def rate(self, rate: float) -> None:
        """Playback speed (and pitch): 1 as recorded, 2 twice as fast and an octave up,
        0.5 half speed.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).rate(2)
        """
        rate = _number(rate, "rate()")
        if not rate > 0:
            raise SketchmlError(f"rate() takes a speed above 0 (1 = as recorded), got {rate}.")
        self._rate = rate

    def pan(self, pan: float) -> None:
        """Left-right position: -1 left, 0 centre (the default), 1 right.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).pan(-1)
        """
        pan = _number(pan, "pan()")
        if not -1 <= pan <= 1:
            raise SketchmlError(f"pan() takes -1 (left) to 1 (right), got {pan}.")
        self._pan = pan

    # -------------------------------------------------------------- questions

    def is_playing(self) -> bool:
        """Whether the sound is playing now (a finished ``play()`` is not).

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).is_playing()
            False
        """
        engine().sync()
        return self._voice is not None and not self._voice.paused

    def position(self) -> float:
        """Where playback is, in seconds from the start of the sound.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).position()
            0.0
        """
        engine().sync()
        return 0.0 if self._voice is None else self._voice.position / RATE

    def duration(self) -> float:
        """Length in seconds (at rate 1).

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(22050), 44100)).duration()
            0.5
        """
        return self._data.shape[1] / RATE

    def channels(self) -> int:
        """1 for mono, 2 for stereo.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros((2, 100)), 44100)).channels()
            2
        """
        return int(self._data.shape[0])

    def sample_rate(self) -> int:
        """Samples per second of the file or result it came from.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 16000)).sample_rate()
            16000
        """
        return self.source_rate

    def to_audio(self) -> Any:
        """The sound as an :class:`sketchml.Audio` (at the engine's 44.1 kHz), to save or show.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sound((np.zeros(100), 44100)).to_audio().sample_rate
            44100
        """
        from sketchml.models.results import Audio

        return Audio(self._data.copy(), sample_rate=RATE)

    def _repr_html_(self) -> str:
        from sketchml.media.audio import audio_html

        return audio_html(self._data, RATE)


def load_sound(source: Any) -> Sound:
    """Load a sound to play and analyse (Processing's ``SoundFile``).

    ``source`` is a path to a WAV, FLAC, OGG or MP3 file (other formats go through
    ffmpeg), an :class:`sketchml.Audio` result, or anything with ``to_audio()`` (such as
    :class:`sketchml.Notes`). Load in ``setup()``, then ``play()``/``loop()`` it.

    Examples:
        >>> import numpy as np, tempfile, os, sketchml as sk
        >>> from sketchml.media.audio import write_wav
        >>> path = write_wav(os.path.join(tempfile.mkdtemp(), "hum.wav"),
        ...                  np.sin(np.arange(22050) * 0.05) * 0.3, 22050)
        >>> hum = sk.load_sound(path)
        >>> hum.duration()
        1.0
    """
    return Sound(source)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SketchmlError(f"{where} takes a number, got {value!r}.")
    return float(value)
