"""Memory stays flat over a long run, with and without ``--out``: the RSS slope is checked.

A sketch that draws text that changes every frame, shapes, and a ``create_graphics()``
made in every ``draw()`` ran headless for thousands of frames; RSS grew 3.5 MB (text) and
19 MB (graphics) per 1000 frames before: the GL driver queued unsynchronised frames, and
Graphics never released their framebuffers. The slope is fitted over samples after a
warm-up, so a one-off cache filling does not count; a leak of even a tenth of those would.
"""
from __future__ import annotations

import numpy as np
import pytest

FRAMES = 1400
WARM_UP = 400

SKETCH = f"""
import os

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def setup():
    size(64, 64)

def draw():
    background(20)
    fill(255)
    if "{{workload}}" != "graphics":
        text(f"frame {{frame_count}} {{frame_count * 7919 % 10007}}", 4, 30)
        circle(32, 40, 10 + frame_count % 20)
        begin_shape()
        for i in range(40):
            vertex(32 + 20 * (i % 2 + 1) * (i % 3) / 3, 10 + i)
        end_shape(CLOSE)
    if "{{workload}}" != "text":
        pg = create_graphics(32, 32)
        pg.begin_draw()
        pg.rect(4, 4, 20, 20)
        pg.end_draw()
        image(pg, 0, 0)
    if frame_count >= {WARM_UP} and frame_count % 100 == 0:
        print("rss", frame_count, rss_mb(), flush=True)
"""


# Each workload alone: a frame that creates a framebuffer also syncs the driver, which
# would hide the text leak. With --out, reading every frame back syncs too.
@pytest.mark.parametrize(("workload", "out"), [
    ("text", None), ("graphics", None), ("both", "render.mp4"),
])
def test_rss_is_flat_over_thousands_of_frames(write_sketch, run_cli, tmp_path, workload, out):
    sketch = write_sketch(SKETCH.replace("{workload}", workload))
    args = ["run", str(sketch), "--headless", "--frames", str(FRAMES)]
    if out:
        args += ["--out", str(tmp_path / out)]
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    samples = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("rss ")]
    frames, mb = np.array(samples, dtype=float).T
    assert len(frames) == (FRAMES - WARM_UP) // 100 + 1
    slope = np.polyfit(frames, mb, 1)[0] * 1000
    assert slope < 1.0, f"RSS grows {slope:.2f} MB per 1000 frames: {mb.round(1).tolist()}"
    if out:
        assert (tmp_path / out).stat().st_size > 0
