"""Microphone and line input (Processing's ``AudioIn``), through PortAudio (``sounddevice``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.sound.engine import RATE, Tap, engine

__all__ = ["AudioIn"]


def _input_devices() -> list[dict[str, Any]]:
    try:
        import sounddevice
    except OSError:            # the PortAudio library itself is missing
        return []
    try:
        return [d for d in sounddevice.query_devices() if d.get("max_input_channels", 0) > 0]
    except Exception:
        return []


class AudioIn:
    """Sound from a microphone or line input, to analyse with :class:`~sketchml.sound.Analyzer`.

    Args:
        device: the input's index or part of its name (``None``: the system's default).
        channel: which input channel to listen to (0 = the first).

    Where the machine has no input device (a server, CI, a container) making one raises
    :class:`~sketchml.SketchmlError` saying so; check :meth:`available` first to fall
    back to a sound file.

    Examples:
        >>> import sketchml as sk
        >>> source = sk.AudioIn() if sk.AudioIn.available() else None
    """

    def __init__(self, device: int | str | None = None, *, channel: int = 0) -> None:
        devices = _input_devices()
        if not devices:
            raise SketchmlError(
                "No microphone or line input was found (PortAudio lists no input device), so "
                "AudioIn cannot listen. Plug one in, or analyse a file instead: "
                "song = sk.load_sound('song.wav'); song.loop(); sk.Analyzer(song). "
                "sk.AudioIn.available() tells whether there is one."
            )
        self.device = device
        self.channel = int(channel)
        self._tap = Tap()
        self._stream: Any = None
        self._amp = 1.0

    @staticmethod
    def available() -> bool:
        """Whether this machine has an audio input device.

        Examples:
            >>> import sketchml as sk
            >>> sk.AudioIn.available() in (True, False)
            True
        """
        return bool(_input_devices())

    def start(self) -> None:
        """Start listening (analysers see the input from now on).

        Examples:
            >>> import sketchml as sk
            >>> if sk.AudioIn.available():
            ...     mic = sk.AudioIn(); mic.start(); mic.stop()
        """
        if self._stream is not None:
            return
        import sounddevice

        try:
            stream = sounddevice.InputStream(samplerate=RATE, device=self.device,
                                             channels=self.channel + 1, dtype="float32",
                                             callback=self._callback)
            stream.start()
        except Exception as err:
            raise SketchmlError(
                f"Could not open the audio input {self.device!r} ({err}); sk.AudioIn.available() "
                "and `python -m sounddevice` list the inputs."
            ) from err
        self._stream = stream
        engine().inputs.append(self)

    def stop(self) -> None:
        """Stop listening.

        Examples:
            >>> import sketchml as sk
            >>> if sk.AudioIn.available():
            ...     sk.AudioIn().stop()
        """
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        if self in engine().inputs:
            engine().inputs.remove(self)

    def amp(self, amplitude: float) -> None:
        """Scale the input by ``amplitude`` before analysis (1 as it comes in).

        Examples:
            >>> import sketchml as sk
            >>> if sk.AudioIn.available():
            ...     sk.AudioIn().amp(2)
        """
        self._amp = float(amplitude)

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # A driver may hand over garbage (NaN, huge values) when it glitches: keep the
        # analysis finite.
        block = np.clip(np.nan_to_num(indata[:, self.channel] * self._amp), -1.0, 1.0)
        with engine().lock:
            self._tap.write(block)
