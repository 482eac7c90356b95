"""Datasets: image folders, video frames, text files and MIDI folders, with their errors."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image

from sketchml.errors import SketchmlError
from sketchml.media.frames import read_video_frames, video_frame_count
from sketchml.media.midi import Note, write_midi
from sketchml.training import ImageFolder, MidiFolder, TextFile, TrainingRun, VideoFrames


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_image_folder_skips_broken_and_foreign_files_with_one_summary(tmp_path: Path) -> None:
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "red.png").write_bytes(_png((255, 0, 0)))
    (tmp_path / "nested" / "deeper" / "blue.jpg").write_bytes(_png((0, 0, 255), (30, 60)))
    Image.new("RGBA", (20, 20), (0, 255, 0, 0)).save(tmp_path / "nested" / "clear.png")
    (tmp_path / "corrupt.png").write_bytes(b"this is not a png at all")
    (tmp_path / "truncated.png").write_bytes(_png((1, 2, 3), (64, 64))[:60])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = ImageFolder(tmp_path, size=16, value_range=(0, 1))
    assert len(caught) == 1
    summary = str(caught[0].message)
    assert "skipped 3 of 6 files" in summary
    assert "notes.txt" in summary and "truncated.png (image file is truncated)" in summary
    assert "corrupt.png (not an image Pillow can read)" in summary
    assert sorted(p.name for p, _ in data.skipped) == ["corrupt.png", "notes.txt", "truncated.png"]

    assert len(data) == 3 and data.size == (16, 16)
    by_name = {p.name: data[i] for i, p in enumerate(data.paths)}
    assert by_name["red.png"].shape == (3, 16, 16)
    assert torch.allclose(by_name["red.png"][:, 8, 8], torch.tensor([1.0, 0.0, 0.0]), atol=0.01)
    assert torch.allclose(by_name["blue.jpg"][:, 8, 8], torch.tensor([0.0, 0.0, 1.0]), atol=0.03)
    # Transparent pixels land on the white background, not on black.
    assert torch.allclose(by_name["clear.png"][:, 8, 8], torch.ones(3), atol=0.01)

    with pytest.warns(UserWarning, match="skipped 3 of 6"):
        signed = ImageFolder(tmp_path, size=(12, 8))
    assert signed[0].shape == (3, 8, 12)
    assert float(signed[0].min()) >= -1.0 and float(signed[0].min()) < -0.9


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="No folder"):
        ImageFolder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SketchmlError, match="is empty"):
        ImageFolder(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.png").write_bytes(b"nope")
    (tmp_path / "junk" / "b.txt").write_text("nope")
    with pytest.raises(SketchmlError, match="No readable images"):
        ImageFolder(tmp_path / "junk")
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.png").write_bytes(_png((0, 0, 0), (10, 10)))
    (tmp_path / "mixed" / "b.png").write_bytes(_png((0, 0, 0), (12, 10)))
    with pytest.raises(SketchmlError, match="differ in size.*size=64"):
        ImageFolder(tmp_path / "mixed")
    with pytest.raises(SketchmlError, match="value_range"):
        ImageFolder(tmp_path / "mixed", size=8, value_range=(1, 0))


def test_image_folder_trains_a_tiny_autoencoder(tmp_path: Path) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    for i, colour in enumerate(colours * 4):
        (tmp_path / "images" / f"{i:02d}.png").parent.mkdir(exist_ok=True)
        (tmp_path / "images" / f"{i:02d}.png").write_bytes(_png(colour, (12, 12)))
    data = ImageFolder(tmp_path / "images", size=8, flip=True)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 4), torch.nn.Tanh(),
                              torch.nn.Linear(4, 192), torch.nn.Tanh(), torch.nn.Unflatten(1, (3, 8, 8)))
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    run = TrainingRun(out=tmp_path / "run", model=net, optimizers=opt, steps=80, device="cpu",
                      progress=False)
    for _step, images in run.loop(data, batch_size=4):
        loss = torch.nn.functional.mse_loss(run.model(images), images)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log(loss=loss)
    losses = [r["loss"] for r in run.history]
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:5])


def _write_clip(path: Path, frames: int = 10) -> None:
    # Frame i is a flat grey of brightness 20 * i, so decoded frames identify themselves.
    imageio.mimwrite(path, [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(frames)], fps=10,
                     macro_block_size=16)


def _index(frame: np.ndarray) -> int:
    return round(float(frame.mean()) / 20)


def test_video_frames_every_count_and_size(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    _write_clip(clip)
    assert video_frame_count(clip) == 10
    every = list(read_video_frames(clip, every=3))
    assert [_index(f) for f in every] == [0, 3, 6, 9]
    assert every[0].shape == (48, 64, 3) and every[0].dtype == np.uint8
    assert [_index(f) for f in read_video_frames(clip, count=4)] == [0, 3, 6, 9]
    assert [_index(f) for f in read_video_frames(clip, count=1)] == [0]
    assert len(list(read_video_frames(clip, count=50))) == 10
    assert [f.shape for f in read_video_frames(clip, every=5, size=(32, 16))] == [(16, 32, 3)] * 2

    # Stopping early closes the decoder rather than reading the rest.
    stream = read_video_frames(clip)
    assert _index(next(stream)) == 0
    stream.close()

    data = VideoFrames(clip, count=5, size=16, value_range=(0, 1))
    assert len(data) == 5 and data[0].shape == (3, 16, 16)
    assert data[4].mean() > data[0].mean()


def test_video_errors(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="No video file"):
        read_video_frames(tmp_path / "missing.mp4")
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"definitely not a video" * 10)
    with pytest.raises(SketchmlError, match="Could not decode .*fake.mp4"):
        read_video_frames(fake)
    with pytest.raises(SketchmlError, match="Could not decode"):
        read_video_frames(fake, count=3)
    with pytest.raises(SketchmlError, match="not both"):
        read_video_frames(fake, every=2, count=3)
    with pytest.raises(SketchmlError, match="every must be"):
        read_video_frames(fake, every=0)


def test_text_file_char_and_word_level(tmp_path: Path) -> None:
    path = tmp_path / "play.txt"
    path.write_text("HAMLET: To be, or not to be.\nOPHELIA: Good my lord.\n", encoding="utf-8")
    chars = TextFile(path, length=10)
    assert chars.vocab_size == len(set(path.read_text()))
    x, y = chars[1]
    assert x.dtype == torch.long and x.shape == y.shape == (10,)
    assert torch.equal(x[1:], y[:-1])
    assert chars.decode(x) == path.read_text()[10:20]
    assert chars.decode(chars.encode("To be")) == "To be"
    with pytest.raises(SketchmlError, match="never occur"):
        chars.encode("xyz")
    with pytest.raises(IndexError):
        chars[len(chars)]

    words = TextFile(path, length=4, level="word")
    assert "HAMLET" in words.vocab and ":" in words.vocab
    assert words.decode(words.ids) == path.read_text()

    class Bytes:
        vocab_size = 256

        def encode(self, text: str) -> list[int]:
            return list(text.encode())

        def decode(self, ids: list[int]) -> str:
            return bytes(ids).decode()

    tokens = TextFile(path, length=5, tokenizer=Bytes())
    assert tokens.vocab_size == 256 and tokens.decode(tokens[0][0]) == "HAMLE"


def test_text_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="No text file"):
        TextFile(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(SketchmlError, match=r"empty\.txt is empty"):
        TextFile(empty)
    binary = tmp_path / "model.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SketchmlError, match=r"model\.bin looks like a binary file"):
        TextFile(binary)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(SketchmlError, match=r"latin\.txt is not utf-8 text"):
        TextFile(latin)
    assert TextFile(latin, encoding="latin-1", length=4).decode(range(0)) == ""
    short = tmp_path / "short.txt"
    short.write_text("abc")
    with pytest.raises(SketchmlError, match="too few for one window"):
        TextFile(short, length=8)
    with pytest.raises(SketchmlError, match="level="):
        TextFile(short, level="sentence")


def test_char_model_learns_a_text(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_text("the cat sat on the mat. " * 40)
    data = TextFile(path, length=16)
    torch.manual_seed(0)

    class CharRNN(torch.nn.Module):
        def __init__(self, vocab: int) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(vocab, 16)
            self.rnn = torch.nn.GRU(16, 32, batch_first=True)
            self.head = torch.nn.Linear(32, vocab)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.rnn(self.embed(ids))[0])

    net = CharRNN(data.vocab_size)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    run = TrainingRun(out=tmp_path / "run", model=net, optimizers=opt, steps=50, device="cpu",
                      progress=False)
    for _step, (x, y) in run.loop(data, batch_size=8):
        loss = torch.nn.functional.cross_entropy(run.model(x).transpose(1, 2), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log(loss=loss)
    losses = [r["loss"] for r in run.history]
    assert np.mean(losses[-5:]) < 0.4 * np.mean(losses[:3])


def test_midi_folder_skips_damaged_files(tmp_path: Path) -> None:
    write_midi(tmp_path / "a.mid", [Note(60, 100, 0.0, 0.5), Note(64, 90, 0.5, 1.0)])
    (tmp_path / "sub").mkdir()
    write_midi(tmp_path / "sub" / "b.midi", [Note(67, 80, 0.0, 0.25)])
    (tmp_path / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    write_midi(tmp_path / "silent.mid", [])
    (tmp_path / "readme.md").write_text("songs")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        songs = MidiFolder(tmp_path)
    assert len(caught) == 1 and "skipped 3 of 5 files" in str(caught[0].message)
    assert "broken.mid" in str(caught[0].message) and "silent.mid (no notes)" in str(caught[0].message)
    assert len(songs) == 2
    assert [n.pitch for n in songs[0]] == [60, 64] and [n.pitch for n in songs[1]] == [67]
    with pytest.warns(UserWarning, match="skipped 3 of 5"):
        pitches = MidiFolder(tmp_path, transform=lambda notes: [n.pitch for n in notes])
    assert pitches[1] == [67]


def test_midi_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(SketchmlError, match="it is empty"):
        MidiFolder(tmp_path)
    (tmp_path / "x.mid").write_bytes(b"garbage")
    with pytest.raises(SketchmlError, match="None of the 1 MIDI files"):
        MidiFolder(tmp_path)
