"""Results by modality: tensor behaviour, atomic saves, load round trips, notebook display."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

import sketchml as sk


def test_images_are_tensors_that_stay_images_only_when_they_should():
    latent = sk.Latent(torch.randn(4, 8), seed=1)
    imgs = sk.Images(torch.rand(4, 3, 6, 6), latent=latent)
    assert isinstance(imgs, torch.Tensor) and isinstance(imgs, sk.Images)
    assert not isinstance(torch.rand(4, 3, 6, 6), sk.Images)
    assert type(imgs * 2) is torch.Tensor  # arithmetic may leave [0, 1]
    assert type(imgs.mean()) is torch.Tensor
    assert type(torch.nn.functional.avg_pool2d(imgs, 2)) is torch.Tensor
    part = imgs[1:3]
    assert isinstance(part, sk.Images) and torch.equal(part.latent.tensor, latent.tensor[1:3])
    assert imgs.detach().cpu().latent is latent
    assert type(imgs[0]) is torch.Tensor  # one (3, H, W) image is no longer a batch


def test_images_construction():
    assert sk.Images(torch.zeros(3, 4, 4)).shape == (1, 3, 4, 4)
    assert sk.Images(torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)).max() == 1.0
    assert torch.allclose(sk.Images(-torch.ones(1, 3, 2, 2), value_range=(-1, 1)), torch.zeros(1))
    with pytest.raises(sk.SketchmlError, match=r"\(N, 3, H, W\)"):
        sk.Images(torch.zeros(1, 4, 4, 3))


def test_png_grid_round_trip(tmp_path):
    imgs = sk.Images(torch.rand(4, 3, 5, 7))
    path = imgs.save(tmp_path / "grid.png")
    assert sorted(os.listdir(tmp_path)) == ["grid.png"]
    back = sk.load_result(path)
    assert back.shape == (1, 3, 2 * 5 + 2, 2 * 7 + 2)  # 2x2 grid with 2-pixel gaps
    assert torch.allclose(back[0, :, :5, :7], imgs[0].clamp(0, 1), atol=1 / 255)
    assert torch.allclose(back[0, :, 7:, 9:], imgs[3], atol=1 / 255)


def test_gif_and_mp4_treat_the_batch_as_frames(tmp_path):
    frames = torch.linspace(0, 1, 6).reshape(6, 1, 1, 1).expand(6, 3, 16, 16).contiguous()
    imgs = sk.Images(frames)
    gif = sk.load_result(imgs.save(tmp_path / "walk.gif", fps=10))
    assert gif.shape == (6, 3, 16, 16)
    assert torch.allclose(gif, frames, atol=2 / 255)
    mp4 = sk.load_result(imgs.save(tmp_path / "walk.mp4", fps=10))
    assert mp4.shape == (6, 3, 16, 16)
    assert torch.allclose(mp4.mean(dim=(1, 2, 3)), frames.mean(dim=(1, 2, 3)), atol=0.05)  # lossy codec


def test_unknown_extension_is_explained(tmp_path):
    with pytest.raises(sk.SketchmlError, match="Cannot save images as '.xyz'"):
        sk.Images(torch.rand(1, 3, 2, 2)).save(tmp_path / "a.xyz")
    assert os.listdir(tmp_path) == []


def test_images_show_in_notebooks():
    png = sk.Images(torch.rand(2, 3, 4, 4))._repr_png_()
    with PILImage.open(io.BytesIO(png)) as picture:
        assert picture.size == (10, 4)


def test_text(tmp_path):
    text = sk.Text("to be\nor not", prompt="to")
    assert isinstance(text, str) and text.split() == ["to", "be", "or", "not"]
    back = sk.load_result(text.save(tmp_path / "play.txt"))
    assert back == text and isinstance(back, sk.Text)


def test_notes_round_trip_and_piano_roll(tmp_path):
    sequence = [{"pitch": 60, "velocity": 90, "start_time": 0.0, "end_time": 0.5},
                {"pitch": 67, "velocity": 70, "start_time": 0.5, "end_time": 1.5}]
    notes = sk.Notes(sequence, tempo=100)
    assert len(notes) == 2 and notes.total_time == 1.5 and notes.tempos[0].qpm == 100
    back = sk.load_result(notes.save(tmp_path / "tune.mid"))
    assert [(n.pitch, n.velocity) for n in back] == [(60, 90), (67, 70)]
    assert [n.end for n in back] == pytest.approx([0.5, 1.5], abs=0.01)
    assert notes._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(sk.SketchmlError, match=".mid"):
        notes.save(tmp_path / "tune.txt")


def test_audio_round_trip_and_player(tmp_path):
    t = torch.arange(8000) / 8000
    wave = torch.stack([torch.sin(2 * torch.pi * 440 * t), torch.sin(2 * torch.pi * 220 * t)]) * 0.5
    audio = sk.Audio(wave, sample_rate=8000)
    assert audio.duration == 1.0 and audio.channels == 2
    back = sk.load_result(audio.save(tmp_path / "tone.wav"))
    assert back.sample_rate == 8000
    assert np.allclose(back.waveform.numpy(), wave.numpy(), atol=1e-4)
    assert "<audio" in audio._repr_html_()
    with pytest.raises(sk.SketchmlError, match="sample_rate"):
        sk.Audio(wave, sample_rate=0)


def test_images_draw_on_a_canvas():
    from sketchml.graphics.canvas import Canvas
    from sketchml.graphics.context import create_headless_context

    canvas = Canvas(20, 20)
    canvas._gl_init(create_headless_context())
    canvas._begin_frame()
    canvas.background(0)
    red = torch.zeros(2, 3, 10, 10)
    red[:, 0] = 1.0
    canvas.image(sk.Images(red), 0, 0, 20, 20)
    assert canvas._read_pixels()[10, 10].tolist() == [255, 0, 0, 255]
    canvas.fbo.release()


def test_images_copy_and_pickle_keep_type_and_latent():
    import copy
    import pickle

    imgs = sk.Images(torch.rand(2, 3, 4, 4), latent=sk.Latent(torch.randn(2, 5), seed=9))
    for twin in (copy.deepcopy(imgs), pickle.loads(pickle.dumps(imgs))):
        assert isinstance(twin, sk.Images) and torch.equal(twin, imgs)
        assert twin.latent.seed == 9 and torch.equal(twin.latent.tensor, imgs.latent.tensor)
        assert twin.data_ptr() != imgs.data_ptr()
