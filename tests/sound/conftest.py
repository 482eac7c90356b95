"""Helpers for the sound tests: songs with known beats, and the engine on the frame clock."""
from __future__ import annotations

import numpy as np
import pytest

from sketchml.sound.engine import engine


@pytest.fixture
def frame_clock():
    """The engine on the frame clock from time 0 (as in a headless render); ``tick(n, fps)``
    moves it ``n`` frames on. Reset to live time afterwards."""
    eng = engine()
    eng.use_frames()

    def tick(frames: int = 1, fps: float = 60.0) -> None:
        for _ in range(frames):
            eng.after_frame(fps)

    yield tick
    eng.use_live()


def _sine(freq: float, seconds: float, rate: int = 44100, amp: float = 1.0) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


@pytest.fixture
def sine():
    """``sine(freq, seconds, rate=44100, amp=1)``: a float32 sine wave."""
    return _sine
