"""Frame writers: MP4/GIF through ffmpeg, PNG sequences; streaming, atomic, clear errors."""
from __future__ import annotations

import os

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

from sketchml.errors import SketchmlError
from sketchml.media.video import expand_frame_pattern, open_frame_writer


def frame(i: int, size=(48, 64), channels=4) -> np.ndarray:
    img = np.zeros((*size, channels), np.uint8)
    img[..., 0] = (i * 25) % 256
    img[..., 2] = 200
    if channels == 4:
        img[..., 3] = 255
    return img


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_video_round_trip(tmp_path, suffix):
    path = tmp_path / f"clip{suffix}"
    with open_frame_writer(path, fps=24) as out:
        for i in range(7):
            out.write(frame(i))
    decoded = iio.imread(path)
    assert decoded.shape[:3] == (7, 48, 64)
    assert abs(int(decoded[3, 20, 20, 0]) - 75) <= 8 and abs(int(decoded[3, 20, 20, 2]) - 200) <= 8
    assert [p.name for p in tmp_path.iterdir()] == [path.name]        # temp file renamed away
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)             # not a private temp file


def test_mp4_frame_rate_and_rgb_frames(tmp_path):
    path = tmp_path / "rgb.mp4"
    with open_frame_writer(path, fps=10) as out:
        for i in range(5):
            out.write(frame(i, channels=3))
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (5, 0.5)


def test_png_sequences(tmp_path):
    out = open_frame_writer(tmp_path / "seq" / "shot-###.png")
    out.write(frame(1), index=7)
    out.write(frame(2))
    out.close()
    assert sorted(p.name for p in (tmp_path / "seq").iterdir()) == ["shot-002.png", "shot-007.png"]
    folder = open_frame_writer(tmp_path / "plain")
    folder.write(frame(0), index=1)
    assert os.listdir(tmp_path / "plain") == ["frame-0001.png"]
    single = open_frame_writer(tmp_path / "still.png")
    single.write(frame(1))
    single.write(frame(9))
    assert iio.imread(tmp_path / "still.png")[0, 0, 0] == (9 * 25) % 256   # replaced each frame
    assert expand_frame_pattern("a/####-#.png", 12) == "a/0012-#.png"


def test_size_change_and_bad_frames_are_refused(tmp_path):
    out = open_frame_writer(tmp_path / "v.mp4")
    out.write(frame(0))
    with pytest.raises(SketchmlError, match="frame size changed from 64x48 to 32x32"):
        out.write(frame(1, size=(32, 32)))
    with pytest.raises(SketchmlError, match="uint8"):
        out.write(frame(1).astype(np.float32))
    out.abort()
    assert list(tmp_path.iterdir()) == []


def test_odd_sizes_and_unknown_types(tmp_path):
    out = open_frame_writer(tmp_path / "odd.mp4")
    with pytest.raises(SketchmlError, match="even width and height"):
        out.write(frame(0, size=(31, 33)))
    with open_frame_writer(tmp_path / "odd.gif") as gif:
        gif.write(frame(0, size=(31, 33)))
    assert iio.imread(tmp_path / "odd.gif").shape[-3:-1] == (31, 33)
    with pytest.raises(SketchmlError, match="unknown file type '.avi2'"):
        open_frame_writer(tmp_path / "x.avi2")
    with pytest.raises(SketchmlError, match="no frames were written"):
        open_frame_writer(tmp_path / "empty.mp4").close()
    assert not (tmp_path / "empty.mp4").exists()


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def test_streaming_keeps_memory_flat(tmp_path):
    with open_frame_writer(tmp_path / "long.mp4", fps=60) as out:
        for i in range(200):
            out.write(frame(i))
        before = _rss()
        for i in range(200, 2200):
            out.write(frame(i))
        after = _rss()
    # 2,000 more 64x48 RGBA frames would be 24 MB if they were kept
    assert after - before < 5 * 1024 * 1024
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "long.mp4"))[0] == 2200
