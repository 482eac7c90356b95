"""Audio-reactive latent walks (Lucid Sonic Dreams' idea) for any image family.

A song moves a walk through a model's latent space:

* **motion**: the walk's speed follows the song's energy (harmonic by default): loud
  passages travel, quiet ones drift, silence stands still. ``speed_fpm`` is how many
  new keyframe latents a minute of music visits (Lucid Sonic Dreams' "frames per
  minute"); ``motion_react`` is how much the energy changes the speed.
* **pulse**: every onset (percussive by default) kicks the latent towards a second
  latent and lets it fall back (``pulse_react`` is how far, ``pulse_decay`` how fast it
  returns).
* **class pitch**: for families whose ``generate`` takes ``label=`` (BigGAN), the 12
  pitch classes of the chroma pick among ``classes`` (one per pitch class; random ones by
  default), as much as ``class_pitch_react`` says.

The latents are made with the model's own ``sample_latent`` and ``interpolate`` (slerp
or lerp as the family says, or the family's own override) and the pictures with its
``generate``: nothing is special-cased beyond checking for ``label`` and
``truncation``. :func:`react` streams the frames into a video (memory stays flat) and
muxes in the song; :func:`react_frames` yields them; :class:`Reactor` runs the same
mapping live in ``draw()`` from an :class:`~sketchml.sound.AudioIn` or a playing sound.
"""
from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sketchml.errors import SketchmlError

if TYPE_CHECKING:
    import torch

    from sketchml.models.base import Model
    from sketchml.models.latent import Latent
    from sketchml.sound.features import AudioFeatures

__all__ = ["ReactFrame", "Reactor", "react", "react_frames"]

# Points per keyframe segment at which the model's interpolate() is asked; a frame's
# latent is a straight mix of the two nearest (they are 1/32 of a segment apart).
_FINE = 33
# The furthest a pulse moves the latent towards the pulse latent (at pulse_react=1): a
# third of the way already changes a GAN's picture a lot; further swaps it outright.
_PULSE_REACH = 0.35
# Keyframes are sampled this many at a time.
_BLOCK = 16
# Below this fraction of the song's loudest frame (about -50 dB) a frame counts as silent.
_SILENCE = 3e-3


@dataclass
class ReactFrame:
    """What the music is doing at one frame: what :func:`react`'s effects receive.

    Attributes:
        index: the frame number (0 first).
        time: seconds from the start of the reacting stretch.
        motion: the walk's speed this frame, in keyframes per frame.
        pulse: the pulse envelope, 0-1.
        onset, beat: whether an onset / a beat falls in this frame.
        rms: loudness (0-1, the loudest frame of the song is 1 offline).
        chroma: ``(12,)`` pitch-class energy, C first.
        silent: whether the frame counts as silence.

    Examples:
        >>> import numpy as np
        >>> frame = ReactFrame(index=3, time=0.1, motion=0.01, pulse=0.5, onset=True,
        ...                    beat=False, rms=0.8, chroma=np.zeros(12))
        >>> frame.pulse, frame.silent
        (0.5, False)
    """

    index: int
    time: float
    motion: float
    pulse: float
    onset: bool
    beat: bool
    rms: float
    chroma: np.ndarray = field(repr=False)
    silent: bool = False


Effect = Callable[[Any, ReactFrame], Any]


class _Mapping:
    """The music-to-latent mapping, one frame at a time (causal, so it runs live too)."""

    def __init__(self, model: Model, *, fps: float, speed_fpm: float, motion_react: float,
                 pulse_react: float, pulse_decay: float, smooth: float,
                 class_pitch_react: float, classes: Sequence[Any] | None, seed: int,
                 keyframes: Any, truncation: float | None, options: dict[str, Any]) -> None:
        _check_fraction(motion_react, "motion_react")
        _check_fraction(pulse_react, "pulse_react")
        _check_fraction(class_pitch_react, "class_pitch_react")
        if not speed_fpm >= 0:
            raise SketchmlError(f"speed_fpm must be 0 or more keyframes a minute, got {speed_fpm}.")
        if not fps > 0:
            raise SketchmlError(f"fps must be positive, got {fps}.")
        self.model = model
        self.fps = float(fps)
        self.step_size = speed_fpm / 60.0 / self.fps
        self.motion_react = float(motion_react)
        self.pulse_react = float(pulse_react)
        self.class_pitch_react = float(class_pitch_react)
        # Per-frame factors of exponential smoothing / decay with the given time constants.
        self.keep = math.exp(-1.0 / (max(smooth, 1e-6) * self.fps)) if smooth > 0 else 0.0
        self.decay = math.exp(-1.0 / (max(pulse_decay, 1e-6) * self.fps)) if pulse_decay > 0 else 0.0
        self.seed = int(seed)
        self.options = dict(options)
        takes = _keywords(model.generate)
        if truncation is not None:
            if "truncation" not in takes:
                raise SketchmlError(
                    f"The {model.family!r} family's generate() has no truncation option; leave "
                    "truncation out for it."
                )
            self.options["truncation"] = truncation
        self.classes = self._classes(classes, takes)
        self.keys = self._keyframes(keyframes)
        # Pulses kick towards a latent of the same kind as the walk's: a given keyframe
        # (e.g. a StyleGAN2 w) or a sampled one.
        self.pulse_target = (self.keys[len(self.keys) // 2] if self.keys is not None
                             else model.sample_latent(1, seed=self.seed + 7919)).to("cpu")
        self._segments: dict[int, Latent] = {}
        self._blocks: dict[int, Latent] = {}
        self.position = 0.0
        self.pulse = 0.0
        self.motion = 0.0
        self.class_weights = None if self.classes is None else np.full(12, 1.0 / 12)

    def _classes(self, classes: Sequence[Any] | None, takes: set[str]) -> list[Any] | None:
        if "label" not in takes:
            if classes is not None:
                raise SketchmlError(
                    f"The {self.model.family!r} family's generate() takes no label, so it has no "
                    "classes for the pitch to pick; leave classes out for it."
                )
            return None
        if classes is None:
            names = getattr(self.model, "class_names", None)
            if not names or self.class_pitch_react == 0:
                return None
            picks = np.random.default_rng(self.seed).choice(len(names), size=12, replace=False)
            return [int(i) for i in picks]
        classes = list(classes)
        if not 1 <= len(classes) <= 12:
            raise SketchmlError(
                f"classes takes 1 to 12 labels (one per pitch class, C first), got {len(classes)}."
            )
        return classes

    def _keyframes(self, keyframes: Any) -> Latent | None:
        from sketchml.models.latent import Latent

        if keyframes is None:
            return None
        if not isinstance(keyframes, Latent) or len(keyframes) < 2:
            raise SketchmlError(
                "keyframes must be a Latent with at least 2 items, e.g. "
                "gan.sample_latent(8, seed=1) (or W latents for StyleGAN2)."
            )
        return keyframes

    def key(self, index: int) -> Latent:
        """Keyframe ``index``: the given ones in a cycle, or sampled ``_BLOCK`` at a time
        (each block from its own seed, so the walk can go on for ever and stays the same)."""
        if self.keys is not None:
            return self.keys[index % len(self.keys)]
        block, item = divmod(index, _BLOCK)
        latents = self._blocks.get(block)
        if latents is None:
            if len(self._blocks) > 2:
                self._blocks.pop(min(self._blocks))
            latents = self.model.sample_latent(_BLOCK, seed=self.seed + 104729 * block)
            self._blocks[block] = latents
        return latents[item]

    def segment(self, index: int) -> Latent:
        path = self._segments.get(index)
        if path is None:
            if len(self._segments) > 4:
                self._segments.pop(min(self._segments))
            path = self.model.interpolate(self.key(index), self.key(index + 1), steps=_FINE)
            self._segments[index] = path.to("cpu")
        return path

    def step(self, *, energy: float, onset: float, chroma: np.ndarray | None, silent: bool) -> None:
        """Advance one frame: ``energy`` 0-1 drives motion, ``onset`` 0-1 a new pulse."""
        if silent:
            speed = 0.0
        else:
            speed = self.step_size * ((1.0 - self.motion_react) + self.motion_react * 2.0 * energy)
        self.motion = self.keep * self.motion + (1.0 - self.keep) * speed if not silent else 0.0
        self.position += self.motion
        self.pulse = max(onset * self.pulse_react, self.pulse * self.decay)
        if self.pulse < 1e-3:
            self.pulse = 0.0
        if self.class_weights is not None and chroma is not None and not silent:
            sharp = np.asarray(chroma, np.float64) ** 4
            total = sharp.sum()
            if total > 0:
                target = (1 - self.class_pitch_react) / 12 + self.class_pitch_react * sharp / total
                self.class_weights = self.keep * self.class_weights + (1 - self.keep) * target

    def latent(self) -> Latent:
        """The latent for the current state (one item, on the CPU)."""
        from sketchml.models.latent import Latent

        index = int(math.floor(self.position))
        along = (self.position - index) * (_FINE - 1)
        fine = min(int(along), _FINE - 2)
        frac = along - fine
        path = self.segment(index)
        a, b = path[fine], path[fine + 1]
        tensors = {k: a.tensors[k] + (b.tensors[k] - a.tensors[k]) * frac for k in a.tensors}
        here = Latent(tensors, **a.metadata)
        if self.pulse > 0:
            towards = self.model.interpolate(here, self.pulse_target, steps=_FINE)
            here = towards[int(round(min(self.pulse * _PULSE_REACH, 1.0) * (_FINE - 1)))].to("cpu")
        return here

    def label(self) -> dict[Any, float] | None:
        if self.classes is None or self.class_weights is None:
            return None
        weights: dict[Any, float] = {}
        for pitch, weight in enumerate(self.class_weights):
            name = self.classes[pitch % len(self.classes)]
            weights[name] = weights.get(name, 0.0) + float(weight)
        return weights

    def render(self, latents: list[Latent], labels: list[Any]) -> Any:
        from sketchml.models.latent import Latent

        batch = Latent.cat(latents)
        options = dict(self.options)
        if self.classes is not None:
            options["label"] = labels
        images = self.model.generate(batch, **options)
        if getattr(images, "dim", None) is None or images.dim() != 4 or images.shape[1] != 3:
            raise SketchmlError(
                f"react() draws images, but the {self.model.family!r} family's generate() gave "
                f"{type(images).__name__}; use an image family (sk.models() lists modalities)."
            )
        return images


def react_frames(model: Model, song: Any, *, fps: float = 30.0, start: float = 0.0,
                 duration: float | None = None, speed_fpm: float = 12.0,
                 motion_react: float = 0.5, pulse_react: float = 0.5,
                 motion_percussive: bool = False, motion_harmonic: bool = True,
                 pulse_percussive: bool = True, pulse_harmonic: bool = False,
                 class_pitch_react: float = 0.5, classes: Sequence[Any] | None = None,
                 smooth: float = 0.25, pulse_decay: float = 0.15,
                 truncation: float | None = None, effects: Sequence[Effect] = (),
                 keyframes: Any = None, seed: int = 0, batch: int = 8,
                 features: AudioFeatures | None = None, **options: Any) -> Iterator[Any]:
    """The frames of an audio-reactive walk, one ``(1, 3, H, W)`` image at a time.

    Arguments as :func:`react` (without ``out``); ``features`` reuses an analysis from
    :func:`~sketchml.sound.audio_features` at the same ``fps``. Each frame carries its
    latent (``frame.latent``) and its :class:`ReactFrame` (``frame.music``).

    Examples:
        >>> import sketchml as sk
        >>> from sketchml.sound.synth import beat_song
        >>> gan = sk.model("dcgan.shapes", device="cpu")
        >>> frames = react_frames(gan, beat_song(seconds=1), fps=10)
        >>> next(frames).shape
        torch.Size([1, 3, 64, 64])
    """
    from sketchml.sound.features import audio_features

    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise SketchmlError(f"batch must be a whole number >= 1, got {batch!r}.")
    for effect in effects:
        if not callable(effect):
            raise SketchmlError(f"effects are functions effect(images, frame), got {effect!r}.")
    if features is None:
        features = audio_features(song, fps=fps, start=start, duration=duration)
    elif abs(features.fps - fps) > 1e-9:
        raise SketchmlError(f"features were measured at {features.fps} fps, not {fps}.")
    mapping = _Mapping(model, fps=fps, speed_fpm=speed_fpm, motion_react=motion_react,
                       pulse_react=pulse_react, pulse_decay=pulse_decay, smooth=smooth,
                       class_pitch_react=class_pitch_react, classes=classes, seed=seed,
                       keyframes=keyframes, truncation=truncation, options=options)
    signals = _signals(features, motion_percussive=motion_percussive,
                       motion_harmonic=motion_harmonic, pulse_percussive=pulse_percussive,
                       pulse_harmonic=pulse_harmonic)
    return _stream(mapping, features, signals, effects=list(effects), batch=batch)


def _signals(features: AudioFeatures, *, motion_percussive: bool, motion_harmonic: bool,
             pulse_percussive: bool, pulse_harmonic: bool) -> dict[str, np.ndarray]:
    def norm(values: np.ndarray) -> np.ndarray:
        top = float(np.max(values)) if len(values) else 0.0
        return values / top if top > 0 else np.zeros_like(values)

    if not (motion_percussive or motion_harmonic):
        raise SketchmlError("motion follows the harmonic part, the percussive part or both: "
                            "set motion_harmonic or motion_percussive.")
    if not (pulse_percussive or pulse_harmonic):
        raise SketchmlError("pulses come from the percussive part, the harmonic part or both: "
                            "set pulse_percussive or pulse_harmonic.")
    energy = np.zeros(features.frames)
    if motion_harmonic:
        energy = energy + norm(features.rms_harmonic)
    if motion_percussive:
        energy = energy + norm(features.rms_percussive)
    energy = norm(energy)
    onset = np.zeros(features.frames)
    if pulse_percussive:
        # Every onset pulses at least half as hard as the strongest, so soft kicks show too.
        strength = 0.5 + 0.5 * norm(features.onset_strength)
        onset = np.maximum(onset, np.where(features.onsets, strength, 0.0))
    if pulse_harmonic:
        rise = np.maximum(np.diff(norm(features.rms_harmonic), prepend=0.0), 0.0)
        onset = np.maximum(onset, norm(rise))
    loud = norm(features.rms)
    return {"energy": energy, "onset": np.clip(onset, 0, 1), "rms": loud,
            "silent": features.rms <= _SILENCE * max(float(np.max(features.rms)), 1e-9)}


def _stream(mapping: _Mapping, features: AudioFeatures, signals: dict[str, np.ndarray], *,
            effects: list[Effect], batch: int) -> Iterator[Any]:
    total = features.frames
    for first in range(0, total, batch):
        latents, labels, music = [], [], []
        for index in range(first, min(total, first + batch)):
            silent = bool(signals["silent"][index])
            mapping.step(energy=float(signals["energy"][index]),
                         onset=float(signals["onset"][index]),
                         chroma=features.chroma[index], silent=silent)
            latents.append(mapping.latent())
            labels.append(mapping.label())
            music.append(ReactFrame(
                index=index, time=index / features.fps, motion=mapping.motion,
                pulse=mapping.pulse, onset=bool(features.onsets[index]),
                beat=bool(features.beats[index]), rms=float(signals["rms"][index]),
                chroma=features.chroma[index], silent=silent))
        images = mapping.render(latents, labels)
        for i, frame in enumerate(music):
            image = images[i:i + 1]
            if getattr(image, "latent", None) is None:
                image.latent = latents[i]
            for effect in effects:
                changed = effect(image, frame)
                image = image if changed is None else changed
            image.music = frame
            yield image


def react(model: Model, song: Any, *, out: str | os.PathLike[str], fps: float = 30.0,
          start: float = 0.0, duration: float | None = None, speed_fpm: float = 12.0,
          motion_react: float = 0.5, pulse_react: float = 0.5,
          motion_percussive: bool = False, motion_harmonic: bool = True,
          pulse_percussive: bool = True, pulse_harmonic: bool = False,
          class_pitch_react: float = 0.5, classes: Sequence[Any] | None = None,
          smooth: float = 0.25, pulse_decay: float = 0.15, truncation: float | None = None,
          effects: Sequence[Effect] = (), keyframes: Any = None, seed: int = 0,
          batch: int = 8, progress: bool | None = None, **options: Any) -> Path:
    """Render a song-driven latent walk of ``model`` to a video with the song as its sound.

    Args:
        model: any image model (``sk.model("dcgan.shapes")``, BigGAN, StyleGAN2, a
            third-party family).
        song: a sound file (WAV, FLAC, OGG, MP3), an :class:`sketchml.Audio` or anything
            with ``to_audio()``.
        out: ``video.mp4`` (the song's stretch is muxed in), a ``.gif`` or PNG frames.
        fps: frames per second.
        start: where in the song to begin, in seconds.
        duration: how many seconds to render (default: to the end).
        speed_fpm: keyframe latents visited per minute of music.
        motion_react: 0 steady speed while there is sound, 1 speed follows the energy.
        pulse_react: how far an onset kicks the latent (0-1; 1 moves it a third of the
            way to the pulse latent).
        motion_percussive: the percussive part's energy drives the motion (default no).
        motion_harmonic: the harmonic part's energy drives the motion (default yes).
        pulse_percussive: the percussive part's onsets pulse (default yes).
        pulse_harmonic: rises of the harmonic part's loudness pulse (default no).
        class_pitch_react: how much the chroma picks the classes (0-1; families with ``label``).
        classes: up to 12 labels, one per pitch class from C (default: 12 random classes
            where the model has ``class_names``).
        smooth: seconds over which motion and classes are smoothed.
        pulse_decay: seconds a pulse takes to fade (to a third).
        truncation: passed to ``generate`` (families that take it).
        effects: functions ``effect(image, frame)`` run on each ``(1, 3, H, W)`` frame with
            its :class:`ReactFrame`; each returns the changed image (or ``None`` after
            changing it in place).
        keyframes: a Latent of the latents to walk through, in order (e.g. StyleGAN2 W
            latents); default: ``model.sample_latent(..., seed=seed)``, as many as needed.
        seed: seeds the keyframes, pulse latent and classes: the same arguments render
            the same video.
        batch: frames generated at once.
        progress: show a progress bar (default: when a person watches the terminal).
        **options: more ``generate`` options.

    Returns:
        the path written. Frames stream to the encoder, so memory stays flat.

    Examples:
        >>> import tempfile, sketchml as sk
        >>> from sketchml.sound.synth import beat_song
        >>> gan = sk.model("dcgan.shapes", device="cpu")
        >>> path = sk.react(gan, beat_song(seconds=2), out=tempfile.mkdtemp() + "/r.mp4", fps=12)
        >>> path.suffix
        '.mp4'
    """
    from sketchml.files import temp_beside
    from sketchml.media.audio import write_wav
    from sketchml.media.soundtrack import AUDIO_VIDEO_SUFFIXES, mux_audio
    from sketchml.media.video import open_frame_writer
    from sketchml.models.results import to_uint8_frames
    from sketchml.sound.features import audio_features
    from sketchml.training.progress import progress_bar

    features = audio_features(song, fps=fps, start=start, duration=duration)
    frames = react_frames(model, song, fps=fps, speed_fpm=speed_fpm, motion_react=motion_react,
                          pulse_react=pulse_react, motion_percussive=motion_percussive,
                          motion_harmonic=motion_harmonic, pulse_percussive=pulse_percussive,
                          pulse_harmonic=pulse_harmonic, class_pitch_react=class_pitch_react,
                          classes=classes, smooth=smooth, pulse_decay=pulse_decay,
                          truncation=truncation, effects=effects, keyframes=keyframes, seed=seed,
                          batch=batch, features=features, **options)
    bar = progress_bar(total=features.frames, desc=f"react {model.name}",
                       quiet=None if progress is None else not progress)
    try:
        with open_frame_writer(out, fps=fps) as writer:
            for index, frame in enumerate(frames, start=1):
                writer.write(to_uint8_frames(frame)[0], index=index)
                bar.update(1)
    finally:
        bar.close()
    target = writer.path
    if target.suffix.lower() in AUDIO_VIDEO_SUFFIXES:
        # The sound is cut to the frames: frames * rate / fps samples (within one sample).
        keep = int(round(features.frames / fps * features.sample_rate))
        wave = features.waveform[:keep]
        wave = np.pad(wave, (0, keep - len(wave)))
        track = temp_beside(target.with_name(target.stem + "-sound.wav"))
        try:
            write_wav(track, wave, features.sample_rate)
            mux_audio(target, track)
        finally:
            track.unlink(missing_ok=True)
    return target


class Reactor:
    """The :func:`react` mapping, live: in ``draw()``, ``image(reactor.frame())``.

    It listens through an :class:`~sketchml.sound.Analyzer` to ``source`` (a playing
    :class:`~sketchml.sound.Sound`, an :class:`~sketchml.sound.AudioIn`, or ``None`` for
    everything playing). Loudness is scaled by the loudest moment heard so far; onsets
    pulse, the loudness moves the walk, chroma picks classes. The knobs are
    :func:`react`'s; ``fps`` should be the sketch's frame rate.

    Examples:
        >>> import sketchml as sk
        >>> gan = sk.model("dcgan.shapes", device="cpu")
        >>> live = sk.Reactor(gan, fps=30)
        >>> live.frame().shape
        torch.Size([1, 3, 64, 64])
    """

    def __init__(self, model: Model, source: Any = None, *, fps: float = 60.0,
                 speed_fpm: float = 12.0, motion_react: float = 0.5, pulse_react: float = 0.5,
                 class_pitch_react: float = 0.5, classes: Sequence[Any] | None = None,
                 smooth: float = 0.25, pulse_decay: float = 0.15,
                 truncation: float | None = None, keyframes: Any = None, seed: int = 0,
                 **options: Any) -> None:
        from sketchml.sound.analysis import Analyzer

        self.analyzer = Analyzer(source)
        self.mapping = _Mapping(model, fps=fps, speed_fpm=speed_fpm, motion_react=motion_react,
                                pulse_react=pulse_react, pulse_decay=pulse_decay, smooth=smooth,
                                class_pitch_react=class_pitch_react, classes=classes, seed=seed,
                                keyframes=keyframes, truncation=truncation, options=options)
        self._peak = 1e-6
        self._strength = 1e-6
        self.frames = 0

    def frame(self) -> Any:
        """Listen, move one frame on and return its image ``(1, 3, H, W)`` in [0, 1].

        Examples:
            >>> import sketchml as sk
            >>> live = sk.Reactor(sk.model("dcgan.shapes", device="cpu"))
            >>> float(live.frame().min()) >= 0
            True
        """
        meter = self.analyzer
        rms = meter.rms()
        self._peak = max(rms, self._peak * 0.999)
        strength = meter.onset_strength()
        self._strength = max(strength, self._strength * 0.999)
        silent = rms < 1e-3
        onset = min(1.0, strength / self._strength) if meter.onset() else 0.0
        self.mapping.step(energy=min(1.0, rms / self._peak), onset=onset,
                          chroma=meter.chroma(), silent=silent)
        image = self.mapping.render([self.mapping.latent()], [self.mapping.label()])
        image.music = ReactFrame(index=self.frames, time=self.frames / self.mapping.fps,
                                 motion=self.mapping.motion, pulse=self.mapping.pulse,
                                 onset=onset > 0, beat=meter.is_beat(),
                                 rms=min(1.0, rms / self._peak), chroma=meter.chroma(),
                                 silent=silent)
        self.frames += 1
        return image


def _keywords(fn: Callable[..., Any]) -> set[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def _check_fraction(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise SketchmlError(f"{name} takes a number from 0 to 1, got {value!r}.")
