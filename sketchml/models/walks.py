"""Latent walks: a keyframe path through any family's latent space, rendered frame by frame.

A walk is built from keyframe latents with :func:`sketchml.interpolate` (steps per
segment, hold frames, easing, loop), moving through each latent tensor the way the
family says (its ``interpolation``: slerp for Gaussian noise, lerp for StyleGAN's W
and class vectors). The path's latents are small; the pictures are not, so they are
made ``batch`` at a time through ``model.generate`` and handed on one by one:
:func:`walk_frames` yields them to a sketch, :func:`walk` streams them into an MP4,
a GIF or a PNG sequence with the frame writers of :mod:`sketchml.media.video`, so
memory stays flat however long the walk.

The path is computed on the CPU, in float64, from the keyframes alone, so a walk (like
any saved :class:`~sketchml.Latent`) renders the same pixels every time on one device.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.errors import SketchmlError
from sketchml.models.deprecation import renamed
from sketchml.models.latent import Latent, load_latent

if TYPE_CHECKING:
    import torch

    from sketchml.models.base import Model

__all__ = ["walk", "walk_frames", "walk_path"]

Easing = str | Callable[[float], float]


def walk_path(
    model: Model,
    keyframes: Any,
    *,
    steps: int = 60,
    hold: int | Sequence[int] = 0,
    easing: Easing = "linear",
    loop: bool = False,
) -> Latent:
    """The latents of a walk through ``keyframes``: one Latent item per frame.

    Args:
        model: the model whose latent space is walked (its ``interpolation`` says
            slerp or lerp for each latent tensor).
        keyframes: a Latent whose items are the keyframes, or a sequence of Latents
            (each item of each is a keyframe), tensors ``(D...)`` or latent file paths.
        steps: frames per segment, both keyframes included (consecutive segments
            share their keyframe), at least 2.
        hold: extra frames to stay on each keyframe: one number, or one per keyframe.
        easing: ``"linear"``, ``"ease-in"``, ``"ease-out"``, ``"ease-in-out"``,
            ``"sine"`` or a function of ``t`` in [0, 1], applied within each segment.
        loop: walk back from the last keyframe to the first, for seamless loops.

    Returns:
        a Latent on the CPU with ``(steps - 1) * segments + 1`` items plus the holds
        (without the closing frame when ``loop``, so the walk repeats seamlessly).

    Examples:
        >>> import sketchml as sk, torch
        >>> class Dots(sk.Model):
        ...     def sample_latent(self, n=1, *, seed=None):
        ...         return self.latent(self.randn(n, 8, seed=seed), seed=seed)
        >>> dots = Dots(device="cpu")
        >>> len(sk.walk_path(dots, dots.sample_latent(3, seed=0), steps=5, hold=2))
        15
    """
    from sketchml.models.interpolation import interpolate

    keys = _keyframes(model, keyframes)
    if len(keys) < 2:
        raise SketchmlError(
            f"A walk needs at least 2 keyframes, got {len(keys)}; pass a Latent with several "
            "items (model.sample_latent(4, seed=1)) or a list of latents."
        )
    return interpolate(keys, steps=steps, hold=hold, easing=easing,
                       method=model.interpolation, loop=loop)


def walk_frames(
    model: Model,
    keyframes: Any,
    *,
    steps: int = 60,
    hold: int | Sequence[int] = 0,
    easing: Easing = "linear",
    loop: bool = False,
    batch: int = 8,
    repeat: bool = False,
    **options: Any,
) -> Iterator[torch.Tensor]:
    """The frames of a walk, one image ``(1, 3, H, W)`` in [0, 1] at a time, for a sketch.

    The path is :func:`walk_path`'s; frames are generated ``batch`` at a time and
    each carries its latent (``frame.latent``). ``repeat=True`` starts again after
    the last frame, for ever (use it with ``loop=True`` for a seamless cycle).
    ``options`` go to ``model.generate`` (e.g. ``truncation=0.7`` for StyleGAN2).
    Nothing is generated until the first frame is asked for.

    Examples:
        >>> import sketchml as sk, torch
        >>> class Grey(sk.Model):
        ...     def sample_latent(self, n=1, *, seed=None):
        ...         return self.latent(self.randn(n, 1, seed=seed), seed=seed)
        ...     def generate(self, latent=None, *, seed=None):
        ...         z = self.as_latent(latent, seed=seed).tensor
        ...         return sk.Images(z.sigmoid()[:, :, None, None].expand(-1, 3, 4, 4))
        >>> grey = Grey(device="cpu")
        >>> frames = sk.walk_frames(grey, grey.sample_latent(2, seed=0), steps=4)
        >>> first = next(frames)
        >>> first.shape, 1 + len(list(frames))
        (torch.Size([1, 3, 4, 4]), 4)
    """
    path = walk_path(model, keyframes, steps=steps, hold=hold, easing=easing, loop=loop)
    _check_batch(batch)
    return _frames(model, path, batch=batch, repeat=repeat, options=options)


@renamed(out="path")
def walk(
    model: Model,
    keyframes: Any,
    path: str | os.PathLike[str],
    *,
    steps: int = 60,
    hold: int | Sequence[int] = 0,
    easing: Easing = "linear",
    loop: bool = False,
    fps: float = 30,
    batch: int = 8,
    progress: bool | None = None,
    size: int | None = None,
    resample: str = "lanczos",
    **options: Any,
) -> Path:
    """Render a walk through ``keyframes`` to a video, a GIF or PNG frames; returns the path.

    The arguments shaping the walk are :func:`walk_path`'s (``steps`` counts the points
    of each segment, as ``model.interpolate`` does). ``path`` picks the format:
    ``walk.mp4`` (H.264; even width and height), ``walk.gif``, ``frames/f-####.png``
    or a folder. (It was called ``out=``, which still works for a release with a
    warning: ``out=`` names the folder a verb writes into, and this is one file.) Frames are generated ``batch`` at a time and streamed to the file,
    which appears only when complete (an error leaves nothing behind). ``progress``
    shows a progress bar (default: when a person is watching the terminal).
    ``size`` scales each frame so its longer side is that many pixels, with ``resample``
    (see :meth:`Images.resized <sketchml.Images.resized>`: ``"lanczos"`` by default, smooth;
    ``"nearest"`` for blocks). ``options`` go to ``model.generate``.

    Examples:
        >>> import tempfile, sketchml as sk, torch
        >>> class Grey(sk.Model):
        ...     def sample_latent(self, n=1, *, seed=None):
        ...         return self.latent(self.randn(n, 1, seed=seed), seed=seed)
        ...     def generate(self, latent=None, *, seed=None):
        ...         z = self.as_latent(latent, seed=seed).tensor
        ...         return sk.Images(z.sigmoid()[:, :, None, None].expand(-1, 3, 16, 16))
        >>> grey = Grey(device="cpu")
        >>> video = sk.walk(grey, grey.sample_latent(3, seed=1), tempfile.mkdtemp() + "/walk.gif",
        ...                 steps=8, hold=4, easing="ease-in-out", fps=12)
        >>> video.suffix
        '.gif'
    """
    from sketchml.media.video import open_frame_writer
    from sketchml.models.results import to_uint8_frames
    from sketchml.training.progress import progress_bar

    latents = walk_path(model, keyframes, steps=steps, hold=hold, easing=easing, loop=loop)
    _check_batch(batch)
    frames = _frames(model, latents, batch=batch, repeat=False, options=options)
    if size is not None:
        from sketchml.models.results import Images, check_resize

        check_resize(size, resample)
        frames = (Images(frame).resized(size, resample=resample) for frame in frames)
    bar = progress_bar(total=len(latents), desc=f"walk {model.name}",
                       quiet=None if progress is None else not progress)
    try:
        with open_frame_writer(path, fps=fps) as writer:
            for index, frame in enumerate(frames, start=1):
                writer.write(to_uint8_frames(frame)[0], index=index)
                bar.update(1)
    finally:
        bar.close()
    return writer.path


# -- helpers ----------------------------------------------------------------------------------

def _check_batch(batch: int) -> None:
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise SketchmlError(
            f"batch must be a whole number >= 1 (frames generated at once), got {batch!r}; "
            "8 suits a CPU, 32 or more a GPU."
        )


def _frames(model: Model, path: Latent, *, batch: int, repeat: bool,
            options: dict[str, Any]) -> Iterator[torch.Tensor]:
    while True:
        for start in range(0, len(path), batch):
            images = model.generate(path[start:start + batch], **options)
            if getattr(images, "dim", None) is None or images.dim() != 4 or images.shape[1] != 3:
                raise SketchmlError(
                    f"A walk renders images, but the {model.family!r} family's generate() gave "
                    f"{type(images).__name__} {tuple(getattr(images, 'shape', ()))}; walk an "
                    "image family (sk.models() lists each family's modality)."
                )
            for i in range(images.shape[0]):
                yield images[i:i + 1]
        if not repeat:
            return


def _keyframes(model: Model, keyframes: Any) -> list[Latent]:
    """Keyframes as one-item CPU Latents of ``model``'s family, with the same tensor names."""
    import torch

    if isinstance(keyframes, (Latent, torch.Tensor, str, os.PathLike)):
        keyframes = [keyframes]
    if not isinstance(keyframes, Sequence):
        raise SketchmlError(
            f"keyframes must be a Latent, a list of Latents, tensors or latent files, got "
            f"{type(keyframes).__name__}."
        )
    items: list[Latent] = []
    for number, key in enumerate(keyframes, start=1):
        if isinstance(key, (str, os.PathLike)):
            key = load_latent(key)
        elif isinstance(key, torch.Tensor):
            key = model.latent(key.detach().cpu().unsqueeze(0) if key.dim() == 1 else key.cpu())
        elif not isinstance(key, Latent):
            raise SketchmlError(
                f"Keyframe {number} is a {type(key).__name__}; expected a Latent (from "
                "model.sample_latent or sk.load_latent), a tensor or a latent file path."
            )
        if key.family is not None and key.family != model.family:
            raise SketchmlError(
                f"Keyframe {number} is a latent of the {key.family!r} family, but the walk "
                f"runs through {model.family!r}; every keyframe must come from the family "
                "that renders the walk."
            )
        items += list(key.to("cpu"))
    names = [list(item.tensors) for item in items]
    for number, keys in enumerate(names, start=1):
        if keys != names[0]:
            raise SketchmlError(
                f"Keyframe {number} holds the tensors {keys} but the first holds {names[0]}; "
                "walk between latents of one kind (e.g. all 'z' or all 'w')."
            )
    _check_shapes(model, items)
    return items


def _check_shapes(model: Model, items: list[Latent]) -> None:
    """Refuse keyframes whose tensors the model cannot render (a file from elsewhere, say)."""
    import torch

    try:
        reference = model.sample_latent(1, seed=0)
    except SketchmlError:  # a family without sample_latent: its generate() judges
        return
    for number, item in enumerate(items, start=1):
        for name, tensor in item.tensors.items():
            want = reference.tensors.get(name)
            if want is None:
                continue
            if tuple(tensor.shape[1:]) != tuple(want.shape[1:]):
                raise SketchmlError(
                    f"Keyframe {number}'s {name!r} has shape {tuple(tensor.shape[1:])} per latent, "
                    f"but the {model.name!r} model's latents have {tuple(want.shape[1:])}; the "
                    "latent comes from another model or variant: walk with the one that made it."
                )
            if not torch.isfinite(tensor).all():
                raise SketchmlError(
                    f"Keyframe {number}'s {name!r} holds NaN or infinite values, which render "
                    "nothing; make it again with model.sample_latent()."
                )
