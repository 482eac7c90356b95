"""The sound engine: one mixer per process, a clock, and the taps analysis reads from.

Every playing :class:`~sketchml.sound.Sound` is a voice; the engine mixes the voices
into stereo at :data:`RATE` samples a second, ``advance(n)`` samples at a time. Who
calls ``advance`` is the clock:

* ``"device"``: a PortAudio output stream (``sounddevice``) pulls blocks as the
  speakers play them;
* ``"wall"``: no audio device (headless machines, CI) or no sketch running: the engine
  catches up with the wall clock whenever it is asked anything, so sounds start, end
  and are analysed on time, silently, and never raise;
* ``"frames"``: a headless render; the runner advances exactly ``rate / fps`` samples
  after each frame, so a render's sound (and everything analysis says in ``draw()``)
  is exact and the same on every run. What the sketch played is recorded for the
  video's audio track.

Set ``SKETCHML_NO_AUDIO=1`` to keep sketches off the speakers even where there is a
device (the wall clock then keeps time), and ``SKETCHML_DEBUG_AUDIO=1`` to be told why no
device was opened.

Each voice, the mix (``"master"``) and every :class:`~sketchml.sound.AudioIn` keep their
latest samples (mono) in a :class:`Tap`, a ring buffer indexed by the engine's sample
clock, which :class:`~sketchml.sound.Analyzer` reads.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import numpy as np

__all__ = ["RATE", "Engine", "Tap", "engine"]

#: Samples per second of the mix (and of every tap).
RATE = 44100
# Four seconds of history: enough for an FFT window and a beat tracker's memory.
_TAP_SECONDS = 4
# A device callback asks for small blocks; the wall clock catches up in chunks of this size.
_CHUNK = 4096


class Tap:
    """The latest samples of one source (mono float32), indexed by the engine's clock.

    ``end`` is the clock (in samples) just after the newest sample; ``read(n)`` gives
    the ``n`` samples before it (zeros for anything older than the buffer holds).
    """

    def __init__(self, size: int = RATE * _TAP_SECONDS) -> None:
        self.buffer = np.zeros(size, np.float32)
        self.end = 0

    def write(self, block: np.ndarray) -> None:
        size = len(self.buffer)
        if len(block) > size:
            self.end += len(block) - size
            block = block[-size:]
        n = len(block)
        start = self.end % size
        first = min(n, size - start)
        self.buffer[start:start + first] = block[:first]
        self.buffer[:n - first] = block[first:]
        self.end += n

    def read(self, n: int, *, end: int | None = None) -> np.ndarray:
        """The ``n`` samples ending at ``end`` (default: the newest)."""
        end = self.end if end is None else min(end, self.end)
        size = len(self.buffer)
        n = min(n, size)
        out = np.zeros(n, np.float32)
        have = min(n, end, size - (self.end - end))
        if have <= 0:
            return out
        idx = np.arange(end - have, end) % size
        out[n - have:] = self.buffer[idx]
        return out


class Engine:
    """The process's mixer and clock; use :func:`engine` to get it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.voices: list[Any] = []
        self.master = Tap()
        self.inputs: list[Any] = []
        self.position = 0          # samples mixed so far (the engine's clock)
        self.clock = "wall"
        self._wall_start = time.perf_counter()
        self._stream: Any = None
        self._device_failed = False
        self._recorder: Any = None
        # Samples of silence before anything played: written only once something does, so
        # a render that plays nothing writes no sound file at all.
        self._silent_lead = 0
        self._frame_time = 0.0
        #: How many times a voice was started (a run compares it to know whether it played).
        self.voices_started = 0

    # -------------------------------------------------------------- clock control

    def sync(self) -> None:
        """On the wall clock, mix up to now; other clocks move by themselves."""
        if self.clock != "wall":
            return
        target = int((time.perf_counter() - self._wall_start) * RATE)
        with self.lock:
            gap = target - self.position
            if gap > len(self.master.buffer):
                # Nobody asked for a long while: skip what no one can hear or analyse.
                self.skip(gap - len(self.master.buffer))
                gap = target - self.position
            while gap > 0:
                step = min(gap, _CHUNK)
                self.advance(step)
                gap -= step

    def use_frames(self, *, record: str | os.PathLike[str] | None = None) -> None:
        """Switch to the frame clock (headless render) from time 0; ``record`` is a WAV
        path for the mix."""
        self.reset()
        with self.lock:
            self.clock = "frames"
            self._frame_time = 0.0
            if record is not None:
                import soundfile

                self._recorder = soundfile.SoundFile(os.fspath(record), mode="w", samplerate=RATE,
                                                     channels=2, subtype="PCM_16", format="WAV")

    def after_frame(self, fps: float) -> None:
        """The frame clock moves on by one frame of ``fps``: mix exactly up to it."""
        with self.lock:
            self._frame_time += 1.0 / fps
            target = int(round(self._frame_time * RATE))
            while self.position < target:
                self.advance(min(target - self.position, _CHUNK))

    def use_live(self) -> None:
        """Back to live time: the audio device when one plays, the wall clock otherwise."""
        self.reset()

    def reset(self) -> None:
        """Stop every voice and input, close the recording and restart the clock at 0."""
        with self.lock:
            for voice in list(self.voices):
                voice.sound._voice = None
            self.voices.clear()
            for source in list(self.inputs):
                source.stop()
            self.finish_recording()
            self.clock = "wall"
            self.position = 0
            self.master = Tap()
            self._wall_start = time.perf_counter()
        self._close_stream()

    def finish_recording(self) -> int:
        """Close the recording; returns the samples it holds (0 without one)."""
        recorder, self._recorder = self._recorder, None
        self._silent_lead = 0
        if recorder is None:
            return 0
        frames = recorder.frames
        recorder.close()
        return int(frames)

    def _flush_lead(self) -> None:
        while self._silent_lead:
            step = min(self._silent_lead, RATE)
            self._recorder.write(np.zeros((step, 2), np.float32))
            self._silent_lead -= step

    # -------------------------------------------------------------- voices

    def add(self, voice: Any) -> None:
        """Start mixing ``voice`` from the current clock."""
        with self.lock:
            self.sync()
            if voice not in self.voices:
                self.voices.append(voice)
                self.voices_started += 1
        if self.clock == "wall":
            self._open_stream()

    def remove(self, voice: Any) -> None:
        with self.lock:
            if voice in self.voices:
                self.voices.remove(voice)

    def advance(self, n: int) -> np.ndarray:
        """Mix the next ``n`` samples: ``(n, 2)`` float32, also written to the taps and
        the recording."""
        with self.lock:
            active = bool(self.voices)
            mix = np.zeros((2, n), np.float32)
            for voice in list(self.voices):
                block, done = voice.render(n)
                mix += block
                voice.tap.write(block.mean(axis=0))
                if done:
                    self.voices.remove(voice)
                    voice.sound._voice = None
            mono = mix.mean(axis=0)
            self.master.write(mono)
            self.position += n
            out = np.ascontiguousarray(np.clip(mix, -1.0, 1.0).T)
            if self._recorder is not None:
                if active or self._recorder.frames:
                    self._flush_lead()
                    self._recorder.write(out)
                else:
                    self._silent_lead += n
            return out

    def skip(self, n: int) -> None:
        """Move the clock ``n`` samples on without mixing (voices move on too)."""
        with self.lock:
            for voice in list(self.voices):
                if voice.skip(n):
                    self.voices.remove(voice)
                    voice.sound._voice = None
                voice.tap.write(np.zeros(min(n, len(voice.tap.buffer)), np.float32))
            self.master.write(np.zeros(min(n, len(self.master.buffer)), np.float32))
            self.position += n

    # -------------------------------------------------------------- the audio device

    def _open_stream(self) -> None:
        """Play through the default output device, when there is one (once per process
        it is tried; without one the wall clock keeps time, silently)."""
        if self._stream is not None or self._device_failed or os.environ.get("SKETCHML_NO_AUDIO"):
            return
        try:
            import sounddevice

            sounddevice.query_devices(kind="output")
            stream = sounddevice.OutputStream(samplerate=RATE, channels=2, dtype="float32",
                                              callback=self._callback)
            stream.start()
        except Exception as err:  # no PortAudio, no device, device busy: play silently
            self._device_failed = True
            if os.environ.get("SKETCHML_DEBUG_AUDIO"):
                print(f"sketchml: no audio output ({err}); sounds play silently", file=sys.stderr)
            return
        with self.lock:
            self.sync()
            self.clock = "device"
            self._stream = stream

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        outdata[:] = self.advance(frames)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()


_engine: list[Engine] = []


def engine() -> Engine:
    """The process's sound engine (made on first use).

    Examples:
        >>> engine() is engine()
        True
    """
    if not _engine:
        _engine.append(Engine())
    return _engine[0]
