"""The sound sketches run offline and headless (no microphone, no files) and their videos
carry what they played."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sketchml.media.soundtrack import read_audio_track
from sketchml.runtime.loop import run_file

SKETCHES = Path(__file__).resolve().parents[2] / "sketches"


@pytest.mark.parametrize("name", ["sound_basics.py", "mic_visualiser.py", "audio_reactive.py"])
def test_sound_sketch_renders_with_its_sound(name, tmp_path):
    out = tmp_path / "out" / f"{Path(name).stem}.mp4"
    assert run_file(SKETCHES / name, headless=True, frames=45, out=out) == 0
    wave, rate = read_audio_track(out)
    assert wave.shape[1] / rate == pytest.approx(45 / 30, abs=1 / 30)
    assert np.abs(wave).max() > 0.1
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [out.name]
