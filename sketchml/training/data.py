"""Datasets for training on your own material: an image folder, a video's frames, a text
file, a folder of MIDI files.

They are ordinary map-style ``torch.utils.data.Dataset`` objects, so they work
with :meth:`TrainingRun.loop` and with a plain ``DataLoader``. Image datasets
decode every picture once, up front, and keep them as uint8 (N x H x W x 3
bytes of memory), so broken files are found before training starts and reported
in one summary.
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from sketchml.errors import SketchmlError
from sketchml.media.frames import fit_image, read_video_frames
from sketchml.media.midi import Note, read_midi
from sketchml.training.progress import progress_bar

__all__ = ["ImageFolder", "MidiFolder", "TextFile", "VideoFrames"]

IMAGE_EXTENSIONS = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".ppm", ".pgm", ".tga",
                              ".tif", ".tiff", ".webp"})
MIDI_EXTENSIONS = frozenset({".mid", ".midi", ".smf"})


def _folder(root: str | os.PathLike[str], what: str) -> Path:
    folder = Path(root)
    if not folder.exists():
        raise SketchmlError(f"No folder at {folder} to read {what} from. Check the path.")
    if not folder.is_dir():
        raise SketchmlError(f"{folder} is a file; expected a folder of {what}.")
    return folder


def _scan(folder: Path, extensions: Iterable[str]) -> tuple[list[Path], list[Path]]:
    """Files under ``folder`` (recursively, hidden ones ignored): (matching, others)."""
    wanted = {e.lower() for e in extensions}
    matching, others = [], []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            (matching if path.suffix.lower() in wanted else others).append(path)
    return matching, others


def _names(paths: Sequence[tuple[Path, str]], folder: Path, limit: int = 5) -> str:
    shown = [f"{p.relative_to(folder)}" + (f" ({why})" if why else "") for p, why in paths[:limit]]
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(shown) + more


def _report_skipped(kind: str, folder: Path, total: int, not_matching: list[Path],
                    unreadable: list[tuple[Path, str]], what: str) -> None:
    if not not_matching and not unreadable:
        return
    parts = []
    if not_matching:
        parts.append(f"{len(not_matching)} not {what} ("
                     f"{_names([(p, '') for p in not_matching], folder)})")
    if unreadable:
        parts.append(f"{len(unreadable)} unreadable ({_names(unreadable, folder)})")
    warnings.warn(f"{kind}({str(folder)!r}): skipped {len(not_matching) + len(unreadable)} of "
                  f"{total} files: " + "; ".join(parts) + ".", stacklevel=3)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:120]


def _to_rgb(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    from sketchml.media.image_io import eight_bit

    image = eight_bit(image)  # 16-bit greyscale would otherwise clip to white
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def _check_range(value_range: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError) as exc:
        raise SketchmlError(f"value_range must be (low, high), e.g. (-1, 1) or (0, 1); got "
                            f"{value_range!r}.") from exc
    if not high > low:
        raise SketchmlError(f"value_range {value_range!r} needs high > low, e.g. (-1, 1).")
    return low, high


class _Pictures(Dataset):
    """uint8 pictures held in memory, served as float tensors (3, H, W) in ``value_range``."""

    def __init__(self, pictures: np.ndarray, value_range: tuple[float, float], flip: bool) -> None:
        self.pictures = pictures
        self.value_range = _check_range(value_range)
        self.flip = flip

    def __len__(self) -> int:
        return len(self.pictures)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of every picture."""
        return int(self.pictures.shape[2]), int(self.pictures.shape[1])

    def __getitem__(self, index: int) -> torch.Tensor:
        picture = torch.from_numpy(self.pictures[index]).permute(2, 0, 1).float() / 255.0
        if self.flip and bool(torch.rand(()) < 0.5):
            picture = picture.flip(-1)
        low, high = self.value_range
        return picture * (high - low) + low


class ImageFolder(_Pictures):
    """Every image under a folder (recursively) as float tensors ``(3, H, W)``.

    Files that are not images, and images that cannot be decoded, are skipped
    with one warning that lists them (also kept in :attr:`skipped`). A folder with
    no readable image is an error.

    Args:
        root: the folder.
        size: an int (square) or ``(width, height)``: each image is scaled to cover it
            and centre-cropped. ``None`` keeps the images' own size, which must then match.
        value_range: range of the returned values, ``(-1, 1)`` (default, for GANs) or ``(0, 1)``.
        flip: randomly mirror images left-right (a cheap augmentation for small sets).
        background: colour that transparent pixels are composited onto (default white).

    Examples:
        >>> import tempfile, os
        >>> from PIL import Image, UnidentifiedImageError
        >>> from sketchml.training import ImageFolder
        >>> folder = tempfile.mkdtemp()
        >>> Image.new("RGB", (40, 30), "red").save(os.path.join(folder, "a.png"))
        >>> data = ImageFolder(folder, size=16, value_range=(0, 1))
        >>> len(data), tuple(data[0].shape), float(data[0][0].mean())
        (1, (3, 16, 16), 1.0)
    """

    def __init__(self, root: str | os.PathLike[str], *, size: int | tuple[int, int] | None = None,
                 value_range: tuple[float, float] = (-1.0, 1.0), flip: bool = False,
                 background: tuple[int, int, int] = (255, 255, 255)) -> None:
        folder = _folder(root, "images")
        candidates, others = _scan(folder, IMAGE_EXTENSIONS)
        if not candidates and not others:
            raise SketchmlError(f"The folder {folder} is empty (no files, searched recursively). "
                                f"Put some .png or .jpg images in it.")
        pictures: list[np.ndarray] = []
        paths: list[Path] = []
        unreadable: list[tuple[Path, str]] = []
        for path in progress_bar(candidates, desc="reading images",
                                 quiet=None if len(candidates) > 200 else True):
            try:
                with Image.open(path) as image:
                    image.load()
                    picture = _to_rgb(image, background)
            except UnidentifiedImageError:
                unreadable.append((path, "not an image Pillow can read"))
                continue
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                    SketchmlError) as exc:
                unreadable.append((path, _reason(exc)))
                continue
            if size is not None:
                picture = fit_image(picture, size)
            elif pictures and picture.size != (pictures[0].shape[1], pictures[0].shape[0]):
                raise SketchmlError(
                    f"Images in {folder} differ in size ({paths[0].name} is "
                    f"{pictures[0].shape[1]}x{pictures[0].shape[0]}, {path.name} is "
                    f"{picture.size[0]}x{picture.size[1]}). Pass size=64 (or (width, height)) "
                    f"to scale and centre-crop them all."
                )
            pictures.append(np.asarray(picture, dtype=np.uint8))
            paths.append(path)
        if not pictures:
            raise SketchmlError(
                f"No readable images in {folder}: looked at {len(candidates) + len(others)} files "
                f"({len(candidates)} with image extensions, all unreadable). Expected "
                f"{', '.join(sorted(IMAGE_EXTENSIONS))} files Pillow can open."
            )
        _report_skipped("ImageFolder", folder, len(candidates) + len(others), others, unreadable,
                        "images")
        self.root = folder
        self.paths = paths
        self.skipped: list[tuple[Path, str]] = [(p, "not an image") for p in others] + unreadable
        super().__init__(np.stack(pictures), value_range, flip)


class VideoFrames(_Pictures):
    """Frames of a video file as float tensors ``(3, H, W)``, decoded once and kept in memory.

    ``every=k`` keeps every k-th frame, ``count=n`` keeps n evenly spaced frames;
    ``size`` as for :class:`ImageFolder`.

    Examples:
        >>> import tempfile, os, numpy as np, imageio.v2 as imageio
        >>> from sketchml.training import VideoFrames
        >>> path = os.path.join(tempfile.mkdtemp(), "clip.mp4")
        >>> imageio.mimwrite(path, [np.zeros((32, 32, 3), np.uint8)] * 12, fps=12)
        >>> len(VideoFrames(path, every=4, size=16))
        3
    """

    def __init__(self, path: str | os.PathLike[str], *, size: int | tuple[int, int] | None = None,
                 every: int | None = None, count: int | None = None,
                 value_range: tuple[float, float] = (-1.0, 1.0), flip: bool = False) -> None:
        frames = list(read_video_frames(path, every=every, count=count, size=size))
        if not frames:
            raise SketchmlError(f"{path} gave no video frames; is it an empty or audio-only file?")
        self.path = Path(path)
        super().__init__(np.stack(frames), value_range, flip)


class Tokenizer(Protocol):
    """Anything with ``encode(str) -> list[int]`` and ``decode(list[int]) -> str`` (e.g. GPT-2's).

    Examples:
        >>> class Bytes:
        ...     def encode(self, text): return list(text.encode())
        ...     def decode(self, ids): return bytes(ids).decode()
        >>> Bytes().decode(Bytes().encode("hi"))
        'hi'
    """

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...


_WORDS = re.compile(r"\w+|[^\w\s]|\s+")


class TextFile(Dataset):
    """A UTF-8 text file as ``(input, target)`` pairs of token ids, target shifted by one.

    Each item is a window of ``length`` tokens, ``(length,)`` int64 tensors.
    ``level="char"`` (default) makes every character a token, ``level="word"``
    words, punctuation marks and runs of spaces; or pass a ``tokenizer`` (anything
    with ``encode``/``decode``, e.g. GPT-2's BPE). An empty or binary file is an error
    naming the file.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training import TextFile
        >>> path = os.path.join(tempfile.mkdtemp(), "play.txt")
        >>> _ = open(path, "w").write("to be or not to be, that is the question")
        >>> data = TextFile(path, length=8)
        >>> x, y = data[0]
        >>> data.decode(x), data.decode(y)
        ('to be or', 'o be or ')
    """

    def __init__(self, path: str | os.PathLike[str], *, length: int = 128, level: str = "char",
                 tokenizer: Tokenizer | None = None, encoding: str = "utf-8") -> None:
        source = Path(path)
        if not source.is_file():
            raise SketchmlError(f"No text file at {source}. Check the path.")
        if level not in ("char", "word"):
            raise SketchmlError(f"level={level!r}: expected 'char' or 'word' (or pass tokenizer=).")
        if not isinstance(length, int) or length < 1:
            raise SketchmlError(f"length must be a whole number >= 1, got {length!r}.")
        raw = source.read_bytes()
        if b"\x00" in raw[:65536]:
            raise SketchmlError(f"{source} looks like a binary file (it contains NUL bytes), not "
                                f"text. Pass a plain-text (.txt) file.")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise SketchmlError(
                f"{source} is not {encoding} text (byte 0x{raw[exc.start]:02X} at line {line}, "
                f"column {column}). Save it as UTF-8 and train on that: in your editor choose "
                f"UTF-8 under Save As, or run: iconv -f latin1 -t utf-8 {source.name} > "
                f"{source.stem}-utf8{source.suffix} (for a file in Latin-1). In Python, "
                "sketchml.training.TextFile(path, encoding='latin-1') reads it as it is."
            ) from exc
        if not text.strip():
            raise SketchmlError(f"{source} is empty (no text to learn from). Put some text in it.")
        self.path = source
        self.length = length
        self.level = level
        self.tokenizer = tokenizer
        self.text = text
        if tokenizer is not None:
            ids = list(tokenizer.encode(text))
            self.vocab: list[str] | None = None
        else:
            tokens = list(text) if level == "char" else _WORDS.findall(text)
            self.vocab = sorted(set(tokens))
            self._index = {token: i for i, token in enumerate(self.vocab)}
            ids = [self._index[t] for t in tokens]
        self.ids = torch.tensor(ids, dtype=torch.long)
        if len(self) == 0:
            raise SketchmlError(
                f"{source} has {len(ids)} tokens, too few for one window of length={length} "
                f"(needs {length + 1}). Use a smaller length or a longer text."
            )

    @property
    def vocab_size(self) -> int:
        """Number of distinct token ids (the size of a model's embedding and output layers)."""
        if self.vocab is not None:
            return len(self.vocab)
        size = getattr(self.tokenizer, "vocab_size", None)
        return int(size) if size is not None else int(self.ids.max()) + 1

    def __len__(self) -> int:
        return max(0, (len(self.ids) - 1) // self.length)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index * self.length
        chunk = self.ids[start:start + self.length + 1]
        return chunk[:-1], chunk[1:]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (characters or words not in the file are an error).

        Examples:
            >>> import tempfile, os
            >>> from sketchml.training import TextFile
            >>> path = os.path.join(tempfile.mkdtemp(), "t.txt")
            >>> _ = open(path, "w").write("abcabc")
            >>> TextFile(path, length=2).encode("cab")
            [2, 0, 1]
        """
        if self.tokenizer is not None:
            return list(self.tokenizer.encode(text))
        tokens = list(text) if self.level == "char" else _WORDS.findall(text)
        unknown = sorted({t for t in tokens if t not in self._index})
        if unknown:
            raise SketchmlError(f"{unknown[:10]!r} never occur in {self.path.name}, so the model "
                                f"has no token for them. Use only text made of its {self.level}s.")
        return [self._index[t] for t in tokens]

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        """The text of token ids (a list or a tensor), e.g. a model's sampled output.

        Examples:
            >>> import tempfile, os
            >>> from sketchml.training import TextFile
            >>> path = os.path.join(tempfile.mkdtemp(), "t.txt")
            >>> _ = open(path, "w").write("abcabc")
            >>> TextFile(path, length=2).decode([2, 0, 1])
            'cab'
        """
        values = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        if self.tokenizer is not None:
            return self.tokenizer.decode(values)
        return "".join(self.vocab[i] for i in values)


class MidiFolder(Dataset):
    """Every MIDI file under a folder (recursively), each item a ``list[Note]``.

    Damaged files and files without notes are skipped with one warning (also in
    :attr:`skipped`). Families turn the note lists into their own event tokens,
    optionally through ``transform``.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.media.midi import Note, write_midi
        >>> from sketchml.training import MidiFolder
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_midi(os.path.join(folder, "a.mid"), [Note(60, 100, 0, 0.5)])
        >>> [n.pitch for n in MidiFolder(folder)[0]]
        [60]
    """

    def __init__(self, root: str | os.PathLike[str], *,
                 transform: Callable[[list[Note]], Any] | None = None) -> None:
        folder = _folder(root, "MIDI files")
        candidates, others = _scan(folder, MIDI_EXTENSIONS)
        if not candidates:
            raise SketchmlError(f"No MIDI files (.mid, .midi) in {folder}"
                                + (f" (it has {len(others)} other files)" if others else
                                   " (it is empty)") + ". Put some MIDI files in it.")
        songs: list[list[Note]] = []
        paths: list[Path] = []
        unreadable: list[tuple[Path, str]] = []
        for path in candidates:
            try:
                notes = read_midi(path)
            except SketchmlError as exc:
                unreadable.append((path, _reason(exc.__cause__ or exc)))
                continue
            if not notes:
                unreadable.append((path, "no notes"))
                continue
            songs.append(notes)
            paths.append(path)
        if not songs:
            raise SketchmlError(f"None of the {len(candidates)} MIDI files in {folder} could be "
                                f"read or had notes: {_names(unreadable, folder)}.")
        _report_skipped("MidiFolder", folder, len(candidates) + len(others), others, unreadable,
                        "MIDI files")
        self.root = folder
        self.paths = paths
        self.songs = songs
        self.transform = transform
        self.skipped: list[tuple[Path, str]] = [(p, "not MIDI") for p in others] + unreadable

    def __len__(self) -> int:
        return len(self.songs)

    def __getitem__(self, index: int) -> Any:
        notes = self.songs[index]
        return self.transform(notes) if self.transform is not None else notes
