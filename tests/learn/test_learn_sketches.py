"""The interactive-ML sketches run headless with their scripted performers, and learn."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import sketchml as sk
from sketchml.runtime.loop import run_file

SKETCHES = Path(__file__).resolve().parents[2] / "sketches"


def _run(name: str, frames: int, folder: Path, monkeypatch) -> np.ndarray:
    cwd = folder / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("SKETCHML_OUTPUT", str(folder / "output"))  # the sketches' output folder
    assert run_file(SKETCHES / name, headless=True, frames=frames, seed=1,
                    out=folder / "frames" / "f-#.png") == 0
    assert not any(cwd.iterdir())  # nothing written into the working directory
    img = np.asarray(Image.open(folder / "frames" / f"f-{frames}.png").convert("RGBA")).astype(int)
    assert len(np.unique(img.reshape(-1, 4), axis=0)) > 20
    return img


def test_mouse_to_gan(tmp_path, monkeypatch):
    _run("wekinator_mouse_to_gan.py", 90, tmp_path, monkeypatch)
    mapping = sk.load_learner(tmp_path / "output/wekinator_mouse_to_gan/mapping.safetensors")
    assert len(mapping) == 80 and mapping.trained
    # Each corner the performer recorded leads to its own landmark.
    for k, corner in enumerate([(70, 70), (250, 70), (70, 250), (250, 250)]):
        assert int(np.argmax(mapping.predict(corner))) == k


def test_gestures(tmp_path, monkeypatch):
    img = _run("gesture_dtw.py", 455, tmp_path, monkeypatch)
    gestures = sk.load_learner(tmp_path / "output/gesture_dtw/gestures.safetensors")
    assert len(gestures) == 6 and gestures.trained
    # The last performance (a zigzag) lit the zigzag box: its colour, not the unlit grey.
    assert tuple(img[335, 12 + 2 * 156 + 4, :3]) == (100, 160, 255)


def test_osc_bridge(tmp_path, monkeypatch):
    _run("osc_bridge.py", 100, tmp_path, monkeypatch)
    mapping = sk.load_learner(tmp_path / "output/osc_bridge/mapping.safetensors")
    assert mapping.trained and len(mapping) > 60     # recorded and trained by OSC messages


def test_classifier_colours(tmp_path, monkeypatch):
    _run("classifier_colours.py", 110, tmp_path, monkeypatch)
    colours = sk.load_learner(tmp_path / "output/classifier_colours/colours.safetensors")
    assert len(colours) == 60 and colours.trained
    assert colours.predict([250, 40, 30]) == ["warm"] and colours.predict([236, 230, 240]) == ["grey"]


def test_camera_to_gan(tmp_path, monkeypatch):
    _run("camera_to_gan.py", 125, tmp_path, monkeypatch)
    mapping = sk.load_learner(tmp_path / "output/camera_to_gan/mapping.safetensors")
    assert len(mapping) == 120 and mapping.trained
    # Each quarter of the stand-in clip leads to its own landmark (the views it was shown).
    views, _ = mapping.examples()
    chosen = [int(np.argmax(mapping.predict(view))) for view in views]
    assert np.mean([c == i * 4 // 120 for i, c in enumerate(chosen)]) > 0.9
