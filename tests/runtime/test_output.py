"""Frames stream to MP4, GIF and PNG sequences; memory stays flat over many frames."""
from __future__ import annotations

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

import sketchml as sk
from sketchml.runtime.loop import Runner, run_file

COLOUR_RAMP = """
def setup():
    size(64, 48)
def draw():
    background(frame_count * 20, 0, 255 - frame_count * 20)
"""


def test_mp4_output_decodes_to_the_frames_drawn(write_sketch, run_cli, tmp_path):
    path = write_sketch(COLOUR_RAMP)
    out = tmp_path / "clip.mp4"
    result = run_cli("run", path, "--headless", "--frames", "10", "--out", out)
    assert result.returncode == 0, result.stderr
    frames = iio.imread(out)
    assert frames.shape == (10, 48, 64, 3)
    # colours survive the codec: frame 1 is bluish, frame 10 reddish
    assert frames[0, 24, 32, 2] > 200 and frames[0, 24, 32, 0] < 40
    assert frames[9, 24, 32, 0] > 180 and frames[9, 24, 32, 2] < 70
    assert not list(tmp_path.glob(".clip-*"))          # no temporary file left behind


def test_gif_output_decodes_to_the_frames_drawn(write_sketch, tmp_path):
    path = write_sketch(COLOUR_RAMP)
    out = tmp_path / "clip.gif"
    assert run_file(path, headless=True, frames=6, out=out) == 0
    frames = iio.imread(out)
    assert frames.shape[:3] == (6, 48, 64)
    assert abs(int(frames[2, 10, 10, 0]) - 60) <= 8 and abs(int(frames[2, 10, 10, 2]) - 195) <= 8


def test_frame_rate_sets_the_video_rate(write_sketch, tmp_path):
    path = write_sketch(COLOUR_RAMP.replace("size(64, 48)", "size(64, 48)\n    frame_rate(12)"))
    out = tmp_path / "slow.mp4"
    assert run_file(path, headless=True, frames=6, out=out) == 0
    assert iio.immeta(out, plugin="FFMPEG")["fps"] == 12.0
    assert imageio_ffmpeg.count_frames_and_secs(str(out)) == (6, 0.5)


BACKGROUND_WORK = """
import threading, time
done = {"steps": 0}
def work():
    while True:
        time.sleep(0.01)
        done["steps"] += 1
def setup():
    size(64, 48)
    threading.Thread(target=work, daemon=True).start()
def draw():
    background(min(255, done["steps"] * 4), 0, 0)
    print(frame_count, millis(), done["steps"], time.perf_counter())
"""


def test_fps_paces_a_headless_render_in_real_time(write_sketch, run_cli, tmp_path):
    path = write_sketch(BACKGROUND_WORK)
    result = run_cli("run", path, "--headless", "--frames", "5", "--fps", "10",
                     "--out", tmp_path / "paced.gif")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line[:1].isdigit()]
    frames, millis, steps, clock = (np.array([float(r[k]) for r in rows]) for k in range(4))
    assert list(frames) == [1, 2, 3, 4, 5]
    # Frames keep to a schedule a tenth of a second apart (a late one may catch up), and
    # millis() is the real clock.
    assert clock[-1] - clock[0] >= 0.39 and (np.diff(clock) > 0.05).all()
    assert millis[-1] - millis[0] >= 380
    # The background thread got on with its work between frames, and the render shows it.
    assert (np.diff(steps) > 0).all()
    reds = iio.imread(tmp_path / "paced.gif")[:, 24, 32, 0].astype(int)
    assert reds[-1] > reds[0] + 40
    # Without --fps the render races: millis() counts frames, not time.
    result = run_cli("run", path, "--headless", "--frames", "3")
    rows = [line.split() for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert [int(r[1]) for r in rows] == [0, 16, 33]
    assert run_cli("run", path, "--headless", "--fps", "0").returncode != 0


def test_png_sequence_numbering_and_folder_default(write_sketch, tmp_path):
    path = write_sketch(COLOUR_RAMP)
    assert run_file(path, headless=True, frames=3, out=tmp_path / "seq" / "f-##.png") == 0
    assert sorted(p.name for p in (tmp_path / "seq").iterdir()) == ["f-01.png", "f-02.png", "f-03.png"]
    assert run_file(path, headless=True, frames=2, out=str(tmp_path / "dir") + "/") == 0
    assert sorted(p.name for p in (tmp_path / "dir").iterdir()) == ["frame-0001.png", "frame-0002.png"]


def test_partial_video_is_kept_when_the_sketch_fails(write_sketch, run_cli, tmp_path):
    path = write_sketch(COLOUR_RAMP + "    if frame_count == 4:\n        raise RuntimeError('boom')\n")
    out = tmp_path / "partial.mp4"
    result = run_cli("run", path, "--headless", "--frames", "10", "--out", out)
    assert result.returncode == 1 and "RuntimeError: boom" in result.stderr
    assert iio.imread(out).shape[0] == 3


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def test_memory_stays_flat_while_streaming_many_frames(tmp_path):
    class Noise(sk.Sketch):
        def settings(self):
            self.size(64, 64)

        def draw(self):
            self.background(self.frame_count % 256, 40, 90)
            self.circles(np.arange(8) * 8 + 4, 32, 6 + self.frame_count % 5)

    runner = Runner(Noise(), headless=True, frames=2000, out=tmp_path / "long.mp4")
    runner.start()
    for _ in range(300):             # warm up: encoder started, caches filled
        runner.step()
    before = _rss_bytes()
    while runner.step():
        pass
    after = _rss_bytes()
    runner.close()
    assert runner.frames_drawn == 2000
    # 1,700 more frames of 64x64 RGBA would be 28 MB if they were kept
    assert after - before < 6 * 1024 * 1024, (before, after)
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "long.mp4"))[0] == 2000


def test_output_problems_are_reported_as_such_not_as_sketch_errors(write_sketch, tmp_path):
    path = write_sketch(COLOUR_RAMP)
    with pytest.raises(sk.SketchmlError, match="unknown file type '.webp2'"):
        run_file(path, headless=True, frames=1, out=tmp_path / "x.webp2")

    class Grows(sk.Sketch):
        def draw(self):
            self.size(40 + 2 * self.frame_count, 40)

    with pytest.raises(sk.SketchmlError, match="frame size changed") as info:
        Runner(Grows(), headless=True, frames=5, out=tmp_path / "grow.mp4").run()
    assert not isinstance(info.value, sk.SketchRuntimeError)
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "grow.mp4"))[0] == 1
