"""sketches/charrnn_train_live.py: runs headless, saves when it ends, and its training thread delivers samples."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np

ROOT = Path(__file__).resolve().parents[3]
SKETCH = ROOT / "sketches" / "charrnn_train_live.py"


def test_sketch_renders_headless_and_writes_its_demo_text(tmp_path: Path) -> None:
    out = tmp_path / "frames.gif"
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1", SKETCHML_OUTPUT=str(tmp_path / "output"))
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", str(SKETCH), "--headless",
         "--frames", "4", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames.gif", "output"]
    demo = (tmp_path / "output" / "my_text.txt").read_text()
    assert len(demo) > 100_000, "the sketch should write a demo text when TEXT is missing"
    # Training started on its thread, and ending the sketch stopped it with a checkpoint saved.
    assert (tmp_path / "output" / "runs" / "charrnn-live" / "charrnn.safetensors").is_file()
    frames = iio.imread(out)
    assert frames.shape[0] == 4
    # The title line is drawn in dark ink on the light paper.
    title = frames[-1][10:35, 20:300, :3].astype(int)
    assert (title.sum(axis=-1) < 300).sum() > 100


def test_a_paced_headless_render_shows_the_samples_arriving(tmp_path: Path) -> None:
    # The sketch with its settings shrunk (a student's edit), rendered with --fps so the
    # frames follow the training thread instead of racing ahead of it.
    source = SKETCH.read_text()
    for name, value in (("STEPS", 400), ("HIDDEN", 16), ("LAYERS", 1), ("SAMPLE_EVERY", 2),
                        ("TEXT", "tiny.txt")):
        source, count = re.subn(rf"^{name} = .*$", f"{name} = {value!r}", source, flags=re.M)
        assert count == 1, name
    # The recording ends once samples and the learning curve are on the canvas (another
    # student's edit), so on a busy machine, where the first training step comes late (its
    # first optimiser imports torch._dynamo: about 10 s at load 10), it records for longer
    # instead of ending before the samples arrive. 400 frames (100 s) bound it.
    source += """

_draw = draw


def draw():
    _draw()
    if len(curve) >= 2 and latest["step"] >= 4:
        print(f"recorded {frame_count} frames in {millis()} ms")
        exit_sketch()
"""
    (tmp_path / "sketch.py").write_text(source)
    (tmp_path / "tiny.txt").write_text("the owl paints the sea.\nthe cat eats a fish.\n" * 30)
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SKETCHML_OFFLINE="1", OMP_NUM_THREADS="1")
    out = tmp_path / "live.gif"
    result = subprocess.run(
        [sys.executable, "-m", "sketchml.cli.main", "run", "sketch.py", "--headless",
         "--fps", "4", "--frames", "400", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ended = re.search(r"recorded (\d+) frames in (\d+) ms", result.stdout)
    assert ended, f"the samples and the curve never arrived in 400 frames: {result.stdout}"
    # Paced, millis() is the real clock: a quarter of a second a frame, or more when frames
    # run late (a racing render's clock counts 17 ms a frame).
    recorded, ms = int(ended[1]), int(ended[2])
    assert ms >= 200 * (recorded - 1), (recorded, ms)
    frames = iio.imread(out)[..., :3].astype(int)
    assert len(frames) == recorded
    # The sample's box (ink on paper): the placeholder line at first, sample text later,
    # and the learning curve's box fills in.
    ink = (frames[:, 66:300, 20:700].sum(axis=-1) < 300).sum(axis=(1, 2))
    assert ink[-1] > 3 * ink[0]
    curve = (np.abs(frames[:, 335:455, 25:695] - frames[0, 335:455, 25:695]).sum(axis=-1) > 60)
    assert curve[-1].sum() > 50


def test_the_training_thread_hands_samples_to_draw(tmp_path: Path) -> None:
    # The sketch's own functions, with its settings shrunk so training takes a moment.
    namespace: dict = {"__name__": "charrnn_train_live", "__file__": str(SKETCH)}
    exec(compile(SKETCH.read_text(), str(SKETCH), "exec"), namespace)
    text = tmp_path / "tiny.txt"
    text.write_text("the owl paints the sea.\nthe cat eats a fish.\n" * 30)
    namespace.update(TEXT=str(text), RUN=str(tmp_path / "run"), STEPS=6, HIDDEN=16, LAYERS=1,
                     SAMPLE_EVERY=3)
    seen = []
    remember = namespace["remember"]
    namespace["remember"] = lambda step, sample: (seen.append(step), remember(step, sample))
    namespace["train"](namespace["sk"].model("charrnn", device="cpu"))
    latest = namespace["latest"]
    assert seen == [3, 6] and latest["step"] == 6
    assert len(latest["sample"]) == 200 and set(latest["sample"]) <= set(text.read_text())
    assert latest["status"].startswith("done at step 6")
    namespace["read_curve"]()
    assert [step for step, _, _ in namespace["curve"]] == list(range(1, 7))
    records = [json.loads(line) for line in (tmp_path / "run" / "losses.jsonl").read_text().splitlines()]
    assert np.isfinite([r["bpc"] for r in records]).all()
