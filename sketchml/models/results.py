"""Model outputs by modality: values you can draw, save, play or show in a notebook.

* :class:`Images` -- ``(N, 3, H, W)`` float in [0, 1]. It *is* a ``torch.Tensor``
  (a subclass), so ``image(result)``, ``result * 0.5`` and every torch function
  take it unchanged; a wrapper would need every call site to unwrap it. Results
  of arithmetic are plain tensors (they may leave [0, 1]); moving, copying and
  slicing the batch keep the ``Images`` type and its latent. Because importing
  sketchml must not import torch, the ``Images`` name is a stand-in whose
  instances are the real subclass, built on first use.
* :class:`Text` -- a ``str`` subclass.
* :class:`Notes` -- NoteSequence-like (``.notes`` of pitch/velocity/times).
* :class:`Audio` -- a waveform tensor ``(channels, samples)`` in [-1, 1] plus its sample rate.

Each has ``save(path)`` (atomic; PNG/JPEG grid, GIF/MP4 frames, TXT, MID, WAV)
and a Jupyter display (``_repr_png_`` / ``_repr_html_``). :func:`load_result`
reads any of those files back.
"""
from __future__ import annotations

import copy
import io
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.files import atomic_path, atomic_write_bytes

if TYPE_CHECKING:
    import numpy as np
    import torch

    from sketchml.models.latent import Latent

__all__ = ["Audio", "Images", "Notes", "Text", "load_result"]

_STILL = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_MOVING = (".gif", ".mp4")


# -- images -------------------------------------------------------------------------------

def grid(images: torch.Tensor, *, nrow: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile ``(N, 3, H, W)`` images in [0, 1] into one ``(H', W', 3)`` uint8 picture."""
    import numpy as np

    frames = to_uint8_frames(images)
    n, h, w, _ = frames.shape
    cols = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = np.zeros((rows * h + (rows - 1) * padding, cols * w + (cols - 1) * padding, 3), np.uint8)
    for i, frame in enumerate(frames):
        r, c = divmod(i, cols)
        out[r * (h + padding): r * (h + padding) + h, c * (w + padding): c * (w + padding) + w] = frame
    return out


RESAMPLING = {"lanczos": "LANCZOS", "bicubic": "BICUBIC", "bilinear": "BILINEAR",
              "nearest": "NEAREST"}
"""Ways :meth:`Images.resized` can scale pictures, by name (Pillow's filters)."""


def check_resize(size: Any, resample: Any) -> None:
    """Refuse a ``size``/``resample`` pair :meth:`Images.resized` cannot use, saying why."""
    if resample not in RESAMPLING:
        raise SketchmlError(f"resample must be one of {', '.join(RESAMPLING)}, got {resample!r}.")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8192:
        raise SketchmlError(f"size is the longer side in pixels, a whole number from 1 to 8192; "
                            f"got {size!r}.")


def to_uint8_frames(images: torch.Tensor) -> np.ndarray:
    """``(N, 3, H, W)`` float in [0, 1] -> ``(N, H, W, 3)`` uint8 (clamped)."""
    import torch

    with torch.no_grad():
        plain = torch.as_tensor(images)
        if isinstance(plain, _real_images_type()):
            plain = plain.as_subclass(torch.Tensor)
        data = (plain.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
        return data.permute(0, 2, 3, 1).cpu().numpy()


class _ImagesMethods:
    """What ``Images`` adds to a tensor (kept torch-free so the class can be documented)."""

    latent: Latent | None

    def save(self, path: str | os.PathLike[str], *, fps: float = 24, nrow: int | None = None) -> Path:
        """Save atomically, by extension: PNG/JPEG/WebP (a grid when N > 1) or GIF/MP4 (N frames).

        Examples:
            >>> import tempfile, torch, sketchml as sk
            >>> sk.Images(torch.rand(4, 3, 8, 8)).save(tempfile.mkdtemp() + "/grid.png").suffix
            '.png'
        """
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix in _STILL:
            import imageio.v3 as iio

            with atomic_path(target) as tmp:
                iio.imwrite(tmp, grid(self, nrow=nrow))  # type: ignore[arg-type]
        elif suffix == ".gif":
            import imageio.v3 as iio

            with atomic_path(target) as tmp:
                iio.imwrite(tmp, to_uint8_frames(self), duration=1000 / fps, loop=0)  # type: ignore[arg-type]
        elif suffix == ".mp4":
            _write_mp4(target, to_uint8_frames(self), fps)  # type: ignore[arg-type]
        else:
            raise SketchmlError(
                f"Cannot save images as {suffix or 'a file without extension'!r}: use one of "
                f"{', '.join(_STILL + _MOVING)} (.gif/.mp4 treat the N images as frames)."
            )
        return target

    def resized(self, size: int, *, resample: str = "lanczos") -> Any:
        """The images scaled so their longer side is ``size`` pixels, as ``Images`` (same latent).

        ``resample`` is ``"lanczos"`` (default: sharp edges, no blocks), ``"bicubic"``,
        ``"bilinear"`` or ``"nearest"`` (visible pixel blocks, for a pixel-art look).

        Examples:
            >>> import torch, sketchml as sk
            >>> sk.Images(torch.rand(2, 3, 64, 64)).resized(256).shape
            torch.Size([2, 3, 256, 256])
        """
        import numpy as np
        import torch
        from PIL import Image as PILImage

        check_resize(size, resample)
        frames = to_uint8_frames(self)  # type: ignore[arg-type]
        height, width = frames.shape[1:3]
        scale = size / max(height, width)
        shape = (max(1, round(width * scale)), max(1, round(height * scale)))
        method = getattr(PILImage.Resampling, RESAMPLING[resample])
        scaled = np.stack([np.asarray(PILImage.fromarray(frame).resize(shape, method))
                           for frame in frames])
        tensor = torch.from_numpy(scaled).permute(0, 3, 1, 2).float().div(255)
        return Images(tensor.to(torch.as_tensor(self).device), latent=self.latent)

    def _repr_png_(self) -> bytes:
        from PIL import Image as PILImage

        buffer = io.BytesIO()
        PILImage.fromarray(grid(self)).save(buffer, format="PNG")  # type: ignore[arg-type]
        return buffer.getvalue()


def _write_mp4(target: Path, frames: np.ndarray, fps: float) -> None:
    import imageio_ffmpeg
    import numpy as np

    _, h, w, _ = frames.shape
    # H.264 in yuv420p needs even sizes: pad by one black row/column where needed.
    frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)))
    with atomic_path(target) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w + w % 2, h + h % 2), fps=fps, codec="libx264",
            pix_fmt_out="yuv420p", macro_block_size=1, quality=8,
        )
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame).tobytes())
        writer.close()


_images_type: type | None = None


def _real_images_type() -> type:
    """Build (once) the ``torch.Tensor`` subclass behind :class:`Images`."""
    global _images_type
    if _images_type is not None:
        return _images_type
    import torch

    keep = {
        torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.cuda, torch.Tensor.detach,
        torch.Tensor.clone, torch.Tensor.contiguous, torch.Tensor.__getitem__,
        torch.Tensor.float, torch.Tensor.double, torch.Tensor.half, torch.Tensor.requires_grad_,
    }

    class _Images(_ImagesMethods, torch.Tensor):
        @classmethod
        def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            with torch._C.DisableTorchFunctionSubclass():
                out = func(*args, **(kwargs or {}))
            if func in keep and isinstance(out, torch.Tensor) and out.dim() == 4 and out.shape[1] == 3:
                kept = out.as_subclass(cls)
                kept.latent = _carried_latent(func, args)
                return kept
            return out

        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            plain = copy.deepcopy(self.as_subclass(torch.Tensor), memo)
            return Images(plain, latent=copy.deepcopy(self.latent, memo))

        def __reduce_ex__(self, protocol: Any) -> Any:
            # Pickle by the public name: the class itself is built at run time.
            return (_rebuild_images, (self.as_subclass(torch.Tensor), self.latent))

        def __repr__(self, *, tensor_contents: Any = None) -> str:
            n, c, h, w = self.shape
            return f"Images(N={n}, {c}x{h}x{w}, device={self.device}, dtype={self.dtype})"

    _Images.__name__ = _Images.__qualname__ = "Images"
    _Images.__module__ = __name__
    _Images.__doc__ = Images.__doc__
    _images_type = _Images
    return _Images


def _rebuild_images(tensor: torch.Tensor, latent: Latent | None) -> Any:
    return Images(tensor, latent=latent)


def _carried_latent(func: Any, args: Any) -> Any:
    import torch

    source = args[0] if args else None
    latent = getattr(source, "latent", None)
    if latent is None or func is not torch.Tensor.__getitem__:
        return latent
    index = args[1] if len(args) > 1 else None
    if isinstance(index, slice) and len(latent) == source.shape[0]:
        return latent[index]
    return None


class _LazyTensorClass(type):
    """Metaclass of :class:`Images`: calls and ``isinstance`` go to the real tensor subclass."""

    def __call__(cls, data: Any, *, latent: Latent | None = None,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> Any:
        import torch

        tensor = torch.as_tensor(data)
        if isinstance(tensor, _real_images_type()):
            tensor = tensor.as_subclass(torch.Tensor)
        if tensor.dim() == 3:
            tensor = tensor.unsqueeze(0)
        if tensor.dim() != 4 or tensor.shape[1] != 3:
            raise SketchmlError(
                f"Images are shaped (N, 3, H, W), got {tuple(tensor.shape)}; for a single image "
                "(3, H, W) is accepted too. Use tensor.permute(0, 3, 1, 2) for NHWC data."
            )
        if tensor.dtype == torch.uint8:
            tensor = tensor.float() / 255
        elif not tensor.is_floating_point():
            tensor = tensor.float()
        low, high = value_range
        if (low, high) != (0.0, 1.0):
            tensor = (tensor - low) / (high - low)
        out = tensor.as_subclass(_real_images_type())
        out.latent = latent
        return out

    def __instancecheck__(cls, obj: Any) -> bool:
        return "torch" in sys.modules and isinstance(obj, _real_images_type())

    def __subclasscheck__(cls, sub: type) -> bool:
        return sub is cls or ("torch" in sys.modules and issubclass(sub, _real_images_type()))


class Images(_ImagesMethods, metaclass=_LazyTensorClass):
    """Images ``(N, 3, H, W)`` float in [0, 1]: a ``torch.Tensor`` that saves and shows itself.

    ``sk.Images(data, *, latent=None, value_range=(0, 1))`` takes a tensor (or
    array) ``(N, 3, H, W)`` or ``(3, H, W)`` (uint8 is scaled to [0, 1]); ``latent``
    is the latent that made the images (kept through ``.to()`` and slicing) and
    ``value_range`` the range ``data`` is in, e.g. ``(-1, 1)`` for tanh outputs.

    Examples:
        >>> import torch, sketchml as sk
        >>> imgs = sk.Images(torch.rand(2, 3, 16, 16))
        >>> isinstance(imgs, torch.Tensor), imgs.shape
        (True, torch.Size([2, 3, 16, 16]))
    """


# -- text, notes, audio ---------------------------------------------------------------------

class Text(str):
    """Generated text: a ``str`` that can be saved; ``prompt``, ``latent`` and ``seed`` say where it came from.

    ``seed`` is the seed the text was sampled with: the same model, prompt, latent and
    seed write it again.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> poem = sk.Text("roses are\\nmauve", prompt="roses", seed=3)
        >>> poem.upper(), poem.prompt, poem.seed
        ('ROSES ARE\\nMAUVE', 'roses', 3)
    """

    prompt: str | None
    latent: Latent | None
    seed: int | None

    def __new__(cls, value: str, *, prompt: str | None = None, latent: Latent | None = None,
                seed: int | None = None) -> Text:
        text = super().__new__(cls, value)
        text.prompt = prompt
        text.latent = latent
        text.seed = seed
        return text

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the text as UTF-8 (atomically).

        Examples:
            >>> import tempfile, sketchml as sk
            >>> sk.Text("hi").save(tempfile.mkdtemp() + "/hi.txt").read_text()
            'hi'
        """
        return atomic_write_bytes(path, str(self).encode("utf-8"))


class _Tempo:
    """``NoteSequence.tempos[i]``-like: a tempo in quarter notes per minute."""

    def __init__(self, qpm: float) -> None:
        self.qpm = qpm
        self.time = 0.0


class Notes:
    """Generated music: NoteSequence-like, saved as MIDI, shown as a piano roll.

    Args:
        notes: :class:`sketchml.media.midi.Note` s, dicts, or anything with ``.notes``
            (a ``note_seq.NoteSequence`` works).
        tempo: beats per minute (default: the sequence's own, else 120).
        latent: the latent it was made from, if any.
        seed: the seed it was sampled with (the same model and seed make it again).

    Examples:
        >>> import sketchml as sk
        >>> tune = sk.Notes([{"pitch": 60, "velocity": 90, "start_time": 0.0, "end_time": 0.5}])
        >>> len(tune), tune.total_time
        (1, 0.5)
    """

    def __init__(self, notes: Any, *, tempo: float | None = None, latent: Latent | None = None,
                 seed: int | None = None) -> None:
        from sketchml.media.midi import notes_from

        tempos = getattr(notes, "tempos", None)
        own = getattr(tempos[0], "qpm", None) if tempos else None
        self.notes = notes_from(notes)
        self.tempos = [_Tempo(float(tempo or own or 120.0))]
        self.latent = latent
        self.seed = seed

    @property
    def tempo(self) -> float:
        """Beats (quarter notes) per minute."""
        return self.tempos[0].qpm

    @property
    def total_time(self) -> float:
        """The end of the last note, in seconds."""
        return max((n.end for n in self.notes), default=0.0)

    def __len__(self) -> int:
        return len(self.notes)

    def __iter__(self) -> Any:
        return iter(self.notes)

    def __repr__(self) -> str:
        return f"Notes({len(self)} notes, {self.total_time:.2f} s, {self.tempo:g} bpm)"

    def save(self, path: str | os.PathLike[str], *, sample_rate: int = 44100) -> Path:
        """Write a MIDI file, or a WAV file of the notes heard (see :meth:`to_audio`), atomically.

        Examples:
            >>> import tempfile, sketchml as sk
            >>> tune = sk.Notes([{"pitch": 64, "start_time": 0, "end_time": 1}])
            >>> tune.save(tempfile.mkdtemp() + "/tune.mid").suffix
            '.mid'
        """
        from sketchml.media.midi import write_midi

        suffix = Path(path).suffix.lower()
        if suffix == ".wav":
            return self.to_audio(sample_rate=sample_rate).save(path)
        if suffix not in (".mid", ".midi"):
            raise SketchmlError(f"Notes are saved as MIDI (.mid) or as sound (.wav), got {str(path)!r}.")
        return write_midi(path, self.notes, tempo=self.tempo)

    def to_audio(self, sample_rate: int = 44100, *, synth: str = "auto",
                 soundfont: str | os.PathLike[str] | None = None) -> Audio:
        """The notes heard: FluidSynth with pretty_midi's General MIDI soundfont, else a plain synth.

        ``synth="auto"`` falls back to the plain synth (with a warning that says how to
        install FluidSynth) when FluidSynth is missing; ``"fluidsynth"`` insists on it and
        ``"plain"`` skips it. See :func:`sketchml.media.synth.render_notes`.

        Examples:
            >>> import sketchml as sk
            >>> tune = sk.Notes([{"pitch": 69, "start_time": 0, "end_time": 0.5}])
            >>> tune.to_audio(8000, synth="plain").duration
            1.5
        """
        import torch

        from sketchml.media.synth import render_notes

        wave, rate = render_notes(self.notes, sample_rate=sample_rate, synth=synth, soundfont=soundfont)
        return Audio(torch.from_numpy(wave), sample_rate=rate, latent=self.latent)

    def _repr_png_(self) -> bytes:
        from sketchml.media.midi import piano_roll_png

        return piano_roll_png(self.notes)

    def _repr_html_(self) -> str:
        """In Jupyter: the piano roll with an audio player beside it."""
        import base64

        from sketchml.media.audio import audio_html

        picture = base64.b64encode(self._repr_png_()).decode("ascii")
        sound = self.to_audio(22050)
        return (f'<div style="display:flex;align-items:center;gap:12px">'
                f'<img src="data:image/png;base64,{picture}" alt="piano roll">'
                f"{audio_html(sound.waveform.numpy(), sound.sample_rate)}</div>")


class Audio:
    """A generated sound: ``waveform`` ``(channels, samples)`` float in [-1, 1] and ``sample_rate``.

    ``latent`` and ``seed`` (optional) say what it was made from.

    Examples:
        >>> import torch, sketchml as sk
        >>> beep = sk.Audio(torch.sin(torch.arange(16000) * 0.1) * 0.5, sample_rate=16000)
        >>> beep.duration, beep.channels
        (1.0, 1)
    """

    def __init__(self, waveform: Any, *, sample_rate: int, latent: Latent | None = None,
                 seed: int | None = None) -> None:
        import torch

        wave = torch.as_tensor(waveform)
        if wave.dim() == 1:
            wave = wave.unsqueeze(0)
        if wave.dim() != 2:
            raise SketchmlError(
                f"An audio waveform is (samples,) or (channels, samples), got {tuple(wave.shape)}; "
                "make one Audio per sound."
            )
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
            raise SketchmlError(f"sample_rate must be a positive int (e.g. 16000), got {sample_rate!r}.")
        self.waveform = wave.float() if not wave.is_floating_point() else wave
        self.sample_rate = sample_rate
        self.latent = latent
        self.seed = seed

    @property
    def channels(self) -> int:
        """How many channels (1 = mono)."""
        return int(self.waveform.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.waveform.shape[1] / self.sample_rate

    def __repr__(self) -> str:
        return f"Audio({self.duration:.2f} s, {self.channels} ch, {self.sample_rate} Hz)"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a 16-bit WAV file (atomically).

        Examples:
            >>> import tempfile, torch, sketchml as sk
            >>> sk.Audio(torch.zeros(800), sample_rate=8000).save(tempfile.mkdtemp() + "/a.wav").suffix
            '.wav'
        """
        from sketchml.media.audio import write_wav

        if Path(path).suffix.lower() != ".wav":
            raise SketchmlError(f"Audio is saved as WAV: give a path ending in .wav, got {str(path)!r}.")
        return write_wav(path, self.waveform, self.sample_rate)

    def _repr_html_(self) -> str:
        from sketchml.media.audio import audio_html

        return audio_html(self.waveform, self.sample_rate)

    def play(self) -> None:
        """Play the sound once, as ``sk.load_sound(audio).play()`` does: through the speakers
        where there is an audio device, silently but on time otherwise, and into the video
        of a headless render.

        Examples:
            >>> import torch, sketchml as sk
            >>> sk.Audio(torch.zeros(800), sample_rate=8000).play()
        """
        self._sound().play()

    def loop(self) -> None:
        """Play the sound over and over until :meth:`stop`.

        Examples:
            >>> import torch, sketchml as sk
            >>> beep = sk.Audio(torch.zeros(800), sample_rate=8000); beep.loop(); beep.stop()
        """
        self._sound().loop()

    def stop(self) -> None:
        """Stop playing.

        Examples:
            >>> import torch, sketchml as sk
            >>> sk.Audio(torch.zeros(800), sample_rate=8000).stop()
        """
        self._sound().stop()

    def _sound(self) -> Any:
        from sketchml.sound.sound import Sound

        sound = self.__dict__.get("_playing")
        if sound is None:
            sound = self.__dict__["_playing"] = Sound(self)
        return sound


def load_result(path: str | os.PathLike[str]) -> Any:
    """Read a saved result back: images (PNG/JPEG... as one image, GIF/MP4 as frames), TXT, MID, WAV.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> path = sk.Text("hello").save(tempfile.mkdtemp() + "/t.txt")
        >>> sk.load_result(path)
        'hello'
    """
    import numpy as np
    import torch

    file = Path(path)
    if not file.is_file():
        raise SketchmlError(f"No file at {str(file)!r} to load a result from.")
    suffix = file.suffix.lower()
    if suffix in _STILL + _MOVING:
        import imageio.v3 as iio

        if suffix == ".mp4":
            import imageio_ffmpeg

            reader = imageio_ffmpeg.read_frames(str(file))
            meta = reader.__next__()
            w, h = meta["size"]
            frames = np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])
        else:
            frames = np.asarray(iio.imread(file, index=None if suffix == ".gif" else 0))
            if frames.ndim == 3:
                frames = frames[None]
        frames = frames[..., :3]
        return Images(torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2))
    if suffix == ".txt":
        return Text(file.read_text(encoding="utf-8"))
    if suffix in (".mid", ".midi"):
        from sketchml.media.midi import read_midi

        return Notes(read_midi(file))
    if suffix == ".wav":
        from sketchml.media.audio import read_wav

        wave, rate = read_wav(file)
        return Audio(torch.from_numpy(wave), sample_rate=rate)
    raise SketchmlError(
        f"Cannot tell what result {str(file)!r} holds from its extension; expected one of "
        f"{', '.join(_STILL + _MOVING)}, .txt, .mid, .wav."
    )
