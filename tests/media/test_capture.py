"""Capture (a camera, or a video file / image folder standing in for one) and Movie."""
from __future__ import annotations

import time
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image as PILImage

import sketchml as sk
from sketchml.errors import SketchmlError
from sketchml.media.capture import Capture, Movie
from sketchml.runtime.imported import inject_api

LEVELS = [0, 50, 100, 150, 200, 250]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Six frames, each one grey level, with a white left half in the last one (48 x 32 px)."""
    frames = [np.full((32, 48, 3), level, np.uint8) for level in LEVELS]
    path = tmp_path / "clip.mp4"
    imageio.mimwrite(path, frames, fps=10)
    return path


def grey(image: Capture | Movie) -> float:
    return float(image.pixels[..., :3].mean())


def test_a_video_file_stands_in_for_a_camera_frame_by_frame(clip: Path) -> None:
    cam = Capture(clip)
    assert (cam.width, cam.height, cam.kind) == (48, 32, "file")
    assert not cam.available()
    with pytest.raises(SketchmlError, match="start"):
        cam.read()
    cam.start()
    seen = []
    for _ in range(len(LEVELS) + 2):
        assert cam.available()
        cam.read()
        seen.append(grey(cam))
    # Every frame in order, then the clip starts again (loop=True, as a camera never ends).
    assert np.allclose(seen, LEVELS + LEVELS[:2], atol=4)
    assert cam.frames_read == len(LEVELS) + 2
    cam.stop()
    assert not cam.available()


def test_without_loop_the_last_frame_stays(clip: Path) -> None:
    with Capture(clip, loop=False) as cam:
        cam.start()
        while cam.available():
            cam.read()
        assert cam.frames_read == len(LEVELS)
        cam.read()
        assert grey(cam) == pytest.approx(LEVELS[-1], abs=4)


def test_frames_are_scaled_to_cover_and_cropped(tmp_path: Path) -> None:
    # Left third red, the rest blue: a 24 x 24 crop of the centre has no red at its edges.
    frame = np.zeros((48, 144, 3), np.uint8)
    frame[:, :48] = (255, 0, 0)
    frame[:, 48:] = (0, 0, 255)
    path = tmp_path / "wide.mp4"
    imageio.mimwrite(path, [frame] * 2, fps=5)
    with Capture(path, width=24, height=24) as cam:
        cam.start()
        cam.read()
        assert cam.pixels.shape == (24, 24, 4)
        assert cam.pixels[12, 23, 2] > 200 and cam.pixels[12, 23, 0] < 40
    with Capture(path, width=60) as half:
        assert (half.width, half.height) == (60, 20)


def test_the_tensor_is_the_frame_as_floats(clip: Path) -> None:
    with Capture(clip) as cam:
        cam.start()
        cam.read()
        cam.read()
        tensor = cam.tensor()
    assert tensor.shape == (1, 3, 32, 48) and tensor.dtype == torch.float32
    assert torch.equal(tensor[0].permute(1, 2, 0), torch.from_numpy(cam.pixels[..., :3]) / 255.0)
    assert float(tensor.mean()) == pytest.approx(LEVELS[1] / 255, abs=0.02)


def test_a_folder_of_images_stands_in_too(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, level in enumerate((30, 130, 230)):
        PILImage.new("RGB", (20, 10), (level, level, level)).save(folder / f"f{i:02d}.png")
    (folder / "notes.txt").write_text("not a frame")
    with Capture(folder, height=5) as cam:
        cam.start()
        levels = []
        for _ in range(4):
            cam.read()
            levels.append(int(cam.pixels[2, 5, 0]))
        assert (cam.width, cam.height) == (10, 5)
    assert levels == [30, 130, 230, 30]


def test_realtime_plays_on_a_background_thread(clip: Path) -> None:
    with Capture(clip, realtime=True, fps=50) as cam:
        cam.start()
        deadline = time.monotonic() + 30
        while not cam.available() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cam.available()
        cam.read()
        assert cam.frames_read == 1 and grey(cam) in [pytest.approx(v, abs=4) for v in LEVELS]


def test_mistakes_are_explained(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(SketchmlError, match="not a camera, a video file or a folder"):
        Capture(tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SketchmlError, match="holds no images"):
        Capture(tmp_path / "empty")
    with pytest.raises(SketchmlError, match="width"):
        Capture(clip, width=0)
    with pytest.raises(SketchmlError, match="camera index or name"):
        Capture(3.5)
    if not Capture.list():
        with pytest.raises(SketchmlError, match="No camera was found.*stand in"):
            Capture()


def test_movie_follows_its_clock(clip: Path) -> None:
    movie = Movie(clip)
    assert movie.duration() == pytest.approx(0.6) and movie.frame_count == 6
    assert movie.available() and movie.time() == 0.0
    movie.jump(0.35)
    movie.read()
    assert grey(movie) == pytest.approx(LEVELS[3], abs=4)
    assert not movie.available()
    movie.jump(0.1)  # backwards: the decoder starts again there
    movie.read()
    assert grey(movie) == pytest.approx(LEVELS[1], abs=4)
    movie.speed(20.0)
    movie.loop()
    deadline = time.monotonic() + 30
    while not movie.available() and time.monotonic() < deadline:
        time.sleep(0.01)
    movie.read()
    assert 0.0 <= movie.time() < movie.duration()
    movie.stop()
    assert movie.time() == 0.0 and not movie.is_playing
    with pytest.raises(SketchmlError, match="No video file"):
        Movie(clip.with_name("nope.mp4"))
    with pytest.raises(SketchmlError, match="positive rate"):
        movie.speed(0)


def test_a_sketch_draws_the_camera_frame(clip: Path) -> None:
    class Mirror(sk.Sketch):
        def settings(self) -> None:
            self.size(48, 32)

        def setup(self) -> None:
            self.cam = sk.Capture(clip)
            self.cam.start()

        def draw(self) -> None:
            if self.cam.available():
                self.cam.read()
            self.image(self.cam, 0, 0)

    sketch = Mirror()
    sketch.run_sketch(headless=True, frames=3)
    sketch.cam.stop()
    assert abs(int(sketch._read_pixels()[16, 24, 0]) - LEVELS[2]) <= 4


def test_imported_mode_sketches_see_capture_and_movie() -> None:
    namespace: dict = {}
    inject_api(namespace, sk.Sketch())
    assert namespace["Capture"] is sk.Capture is Capture and namespace["Movie"] is sk.Movie
