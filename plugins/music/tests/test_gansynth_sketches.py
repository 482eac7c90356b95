"""The GANSynth sketches render headless, offline, and write what they play under their output folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from sketchml.plugin import read_wav

ROOT = Path(__file__).resolve().parents[3]


def run(sketch: str, out: Path, frames: int, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1", SKETCHML_OUTPUT=str(cwd / "output"))
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(ROOT / "sketches" / sketch),
         "--headless", "--frames", str(frames), "--out", str(out)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # Only the frames it was told to write, nothing else, in the working directory.
    assert all(p.name == "output" or p.name.startswith(out.stem) for p in cwd.iterdir())


def test_melody_sketch_draws_the_spectrogram_and_writes_the_song(tmp_path: Path) -> None:
    run("gansynth_melody.py", tmp_path / "melody.png", 2, tmp_path)
    frame = iio.imread(sorted(tmp_path.glob("melody*.png"))[-1])[..., :3].astype(int)
    spectrogram = frame[:260]
    assert (spectrogram.sum(axis=2) > 150).mean() > 0.02  # lit where the notes sound
    waveform = frame[270:390]
    assert ((waveform[..., 2] > 200) & (waveform[..., 0] < 160)).sum() > 100  # the blue trace
    written = tmp_path / "output" / "gansynth_melody"
    wave, rate = read_wav(written / "melody-1.wav")
    assert rate == 16000 and wave.shape[1] / rate > 5 and np.abs(wave).max() > 0.05
    assert (written / "melody-1.mid").is_file()
    assert (written / "melody-1-timbres.safetensors").is_file()


def test_pads_sketch_plays_the_pitch_under_the_mouse(tmp_path: Path) -> None:
    run("gansynth_pads.py", tmp_path / "pads.png", 2, tmp_path)
    notes = sorted((tmp_path / "output" / "gansynth_pads").glob("pad-*.wav"))
    assert notes, "the pads sketch wrote no note"
    # Headless, the mouse rests at (0, 0): the lowest pitch of the grid, C2, in the top row.
    assert notes[0].name == "pad-36-row0-seed1.wav"
    wave, rate = read_wav(notes[0])
    assert rate == 16000 and np.abs(wave).max() > 0.01
