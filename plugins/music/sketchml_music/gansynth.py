"""GANSynth: pitch-conditioned instrument notes from a progressive GAN (Engel et al. 2019).

Paper: "GANSynth: Adversarial Neural Audio Synthesis", arXiv:1902.08710. A note is drawn
as a spectrogram with two channels, log magnitude and instantaneous frequency (the phase's
time derivative, wrapped, divided by pi), both on a mel frequency axis, at 16 kHz; the
generator turns a latent ``z`` (256 numbers) joined to a one-hot pitch (MIDI 24-84, 61
classes) into that picture, and the inverse transform (mel back to linear bins, a cumulative
sum of the frequencies back to phase, an inverse STFT) makes it a waveform again. The
discriminator judges real against generated and also names the pitch (an auxiliary
classifier), which is what makes the pitch conditioning stick.

Representation (:class:`SpectralFormat`). Magenta's published checkpoints use 4 s notes
(64000 samples), a 2048-point STFT with hop 512 (75% overlap), 1024 bins with the DC bin
dropped and the Nyquist bin kept, all padding on the left, 1024 mel bins: ``(128, 1024)``
pictures. ``MAGENTA_FORMAT`` is that. CPU-sized training is smaller so a CPU can train and
run it (``CPU_FORMAT``): 0.512 s notes (8192 samples), a 512-point STFT with hop 128 (75%
overlap, as Magenta's), 256 linear bins warped to 128 mel bins: ``(64, 128)`` pictures. (At
50% overlap, neighbouring bins' phases turn half a cycle apart per frame, so the mel-warped
instantaneous frequency cannot be brought back: YIN heard the key in 83% of real pitched
notes after that round trip against 97.5% at 75%. Each generator carries its own format.)
The mel matrix
follows Magenta's recipe (HTK mel scale, bands at least 1.5 linear bins wide, DC excluded)
and its pseudo-inverse takes mel back to linear.

Networks. The progressive GAN of Karras et al. (2017) as Magenta wrote it: equalised
learning rate (weights drawn from N(0, 1), scaled by He's constant when used), pixel norm
after every generator convolution, leaky ReLU 0.2, nearest-neighbour up-sampling, box
down-sampling, the minibatch standard deviation before the discriminator's last block, and
``progress`` blending the blocks' outputs while a network grows. Magenta's full size starts
at ``(2, 16)`` and doubles six times to ``(128, 1024)`` with ``min(4096 / 2**block, 256)``
filters; the CPU default starts at ``(4, 8)`` and doubles four times to ``(64, 128)`` with
``min(256 / 2**block, 32)``.

Checkpoint layout: the names mirror Magenta's TensorFlow variables, so a one-time
conversion is a rename and a transpose (``tf.layers`` names a convolution's variables
``conv2d/kernel``, height x width x in x out, and a dense layer's ``dense/kernel``, in x out):

====================================================================================  =======================================
TensorFlow variable                                                                   PyTorch key (tensor transform)
====================================================================================  =======================================
``Generator/progressive_gan_generator/progressive_gan_block_{i}/conv0/conv2d/kernel``  ``generator``: ``progressive_gan_block_{i}.conv0.weight`` (permute 3, 2, 0, 1)
``Generator/progressive_gan_generator/progressive_gan_block_{i}/conv0/bias``          ``progressive_gan_block_{i}.conv0.bias``
``.../progressive_gan_block_{i}/conv1/...``, ``.../to_rgb/...``                        ``progressive_gan_block_{i}.conv1.*``, ``.to_rgb.*``
``Discriminator/progressive_gan_discriminator/progressive_gan_block_{i}/from_rgb/...``  ``discriminator``: ``progressive_gan_block_{i}.from_rgb.*`` (and ``conv0``, ``conv1``)
``Discriminator/progressive_gan_discriminator/progressive_gan_block_1/logits/dense/kernel``  ``progressive_gan_block_1.logits.weight`` (transpose)
``Discriminator/discriminator_cond/classification_logits/dense/kernel``                ``classification_logits.weight`` (transpose)
====================================================================================  =======================================

Biases keep their names (``.../bias`` -> ``.bias``). The generator also carries two
buffers a TensorFlow checkpoint keeps elsewhere: ``normalizer`` ``(2, 2)`` (rows ``a`` and
``b``; a network picture ``x`` is the spectrogram ``s`` as ``a * s + b``, per channel,
from Magenta's data normaliser) and ``spectral`` (the :class:`SpectralFormat` as
``audio_length, frames, n_fft, hop, mel_bins, sample_rate``). :func:`convert_magenta` follows
this table; ``scripts/convert_gansynth_checkpoint.py`` runs it once on a published checkpoint
(reading it needs no TensorFlow: :mod:`sketchml_music.magenta_io` reads the checkpoint).

Training (:meth:`GANSynth.train`) departs from Magenta's recipe where a CPU needs it: the
non-saturating logistic loss instead of WGAN-GP (no second backward pass), and a short
growing phase. The default variant ``gansynth.default`` was trained by
``scripts/train_gansynth_default.py`` on notes FluidSynth rendered from every General MIDI
instrument of pretty_midi's soundfont; its record is ``weights/gansynth-default.json``. It
is not Magenta's model: it is built with ``pitch_prior=True`` (see :class:`Generator`; its
frequency channel is an ideal harmonic note's at the asked pitch plus a small learned
residual, its magnitudes gated by the pitch's partials) and ``harmonics=True``. Magenta's
layout, and the checkpoints converted from it, have neither.
"""
from __future__ import annotations

import copy
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import (TrainSettings, TrainingRun, latest_checkpoint, progress_bar,
                             read_midi, read_wav, seed_everything, setting)

from sketchml_music.pitch import detect_pitch, resample

__all__ = ["CPU_FORMAT", "Discriminator", "GANSynth", "GANSynthTraining", "Generator",
           "MAGENTA_FORMAT", "PITCHES", "SAMPLE_RATE", "SpectralFormat", "convert_magenta",
           "harmonic_templates", "ideal_frequencies", "partial_mask", "read_notes",
           "train_gansynth"]

SAMPLE_RATE = 16000
LATENT_DIM = 256
PITCHES = range(24, 85)  # MIDI 24-84: NSynth's pitches that GANSynth was trained on
EXPORT_NAME = "gansynth.safetensors"
_EPS = 1.0e-6
_MEL_BREAK_HZ, _MEL_Q = 700.0, 1127.0
_NSYNTH_NAME = re.compile(r"-(\d{3})-(\d{3})$")


# -- the representation ----------------------------------------------------------------------

@dataclass(frozen=True)
class SpectralFormat:
    """How a note becomes a (log-mel magnitude, mel instantaneous frequency) picture and back.

    Pictures are ``(N, 2, frames, mel_bins)``: channel 0 is ``log(mel power + 1e-6)``,
    channel 1 the instantaneous frequency (the phase advance per frame over pi, in [-1, 1];
    the first frame holds the phase itself over pi). Waveforms are ``(N, audio_length)``.

    Examples:
        >>> import torch
        >>> from sketchml_music.gansynth import CPU_FORMAT
        >>> CPU_FORMAT.to_specgrams(torch.zeros(1, CPU_FORMAT.audio_length)).shape
        torch.Size([1, 2, 64, 128])
    """

    audio_length: int
    frames: int
    n_fft: int
    hop: int
    mel_bins: int
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        if self.pad_left < 0 or self.n_fft % self.hop:
            raise sk.SketchmlError(
                f"A spectral format needs frames x hop to cover the note and a hop that "
                f"divides n_fft; {self} does not.")

    @property
    def freq_bins(self) -> int:
        """Linear frequency bins kept (``n_fft / 2``: DC dropped, Nyquist kept)."""
        return self.n_fft // 2

    @property
    def shape(self) -> tuple[int, int]:
        """``(frames, mel_bins)``, the picture's height and width."""
        return self.frames, self.mel_bins

    @property
    def pad_left(self) -> int:
        # As in Magenta, all padding goes in front (the note's tail stays unpadded).
        return self.hop * (self.frames - 1) + self.n_fft - self.audio_length

    @property
    def seconds(self) -> float:
        """Length of a note in seconds."""
        return self.audio_length / self.sample_rate

    def as_tensor(self) -> torch.Tensor:
        """The format as the generator's ``spectral`` buffer."""
        return torch.tensor([self.audio_length, self.frames, self.n_fft, self.hop,
                             self.mel_bins, self.sample_rate], dtype=torch.int64)

    @classmethod
    def from_tensor(cls, tensor: torch.Tensor) -> SpectralFormat:
        """The format stored in a generator's ``spectral`` buffer."""
        values = [int(v) for v in tensor.tolist()]
        return cls(*values)

    def mel_matrix(self) -> torch.Tensor:
        """``(freq_bins, mel_bins)`` weights that warp linear bins to mel bins."""
        nyquist = self.sample_rate / 2.0
        # Magenta spaces the linear bins' frequencies over [0, Nyquist] in n_fft/2 steps
        # and leaves the first (DC) bin out of every band.
        linear = np.linspace(0.0, nyquist, self.freq_bins)[1:, None]
        edges = np.linspace(0.0, _hz_to_mel(nyquist), self.mel_bins + 2)
        lower, centre, upper = edges[:-2].copy(), edges[1:-1], edges[2:].copy()
        narrowest = 1.5 * nyquist / self.freq_bins
        for i in range(self.mel_bins):
            if _mel_to_hz(upper[i]) - _mel_to_hz(lower[i]) < narrowest:
                # Too narrow to hold a linear bin: widen symmetrically (in mel) to 1.5 bins.
                ratio = 0.5 * narrowest / (_mel_to_hz(centre[i]) + _MEL_BREAK_HZ)
                half = _MEL_Q * math.asinh(ratio)
                lower[i], upper[i] = centre[i] - half, centre[i] + half
        lo, mid, hi = (_mel_to_hz(v)[None, :] for v in (lower, centre, upper))
        weights = np.maximum(0.0, np.minimum((linear - lo) / (mid - lo), (hi - linear) / (hi - mid)))
        weights = np.concatenate([np.zeros((1, self.mel_bins)), weights], axis=0)
        return torch.from_numpy(weights).float()

    def inverse_mel_matrix(self) -> torch.Tensor:
        """``(mel_bins, freq_bins)``: mel back to linear (the transpose, rows normalised)."""
        forward = self.mel_matrix().double()
        gram_sums = (forward @ forward.T).sum(dim=0)
        scale = torch.where(gram_sums.abs() > 1e-8, 1.0 / gram_sums, gram_sums)
        return (forward.T @ torch.diag(scale)).float()

    def _window(self, device: torch.device) -> torch.Tensor:
        return torch.hann_window(self.n_fft, periodic=True, dtype=torch.float64, device=device)

    def to_specgrams(self, waves: torch.Tensor) -> torch.Tensor:
        """Waveforms ``(N, audio_length)`` -> pictures ``(N, 2, frames, mel_bins)``.

        Examples:
            >>> import torch
            >>> from sketchml_music.gansynth import CPU_FORMAT
            >>> tone = torch.sin(torch.arange(CPU_FORMAT.audio_length) * 0.2)[None]
            >>> CPU_FORMAT.to_specgrams(tone)[0, 1, 1:].abs().max() <= 1
            tensor(True)
        """
        waves = _fit_length(waves.double(), self.audio_length)
        padded = F.pad(waves, (self.pad_left, 0))
        stft = torch.stft(padded, self.n_fft, self.hop, window=self._window(waves.device),
                          center=False, return_complex=True)[:, 1:, :]  # (N, F, T), DC dropped
        stft = stft.transpose(1, 2)  # (N, T, F)
        mel = self.mel_matrix().double().to(waves.device)
        log_mel_power = torch.log(stft.abs().pow(2) @ mel + _EPS)
        phase = _unwrapped_phase(torch.angle(stft))
        mel_if = _instantaneous_frequency(phase @ mel)
        return torch.stack([log_mel_power, mel_if], dim=1).float()

    def to_waves(self, specgrams: torch.Tensor) -> torch.Tensor:
        """Pictures ``(N, 2, frames, mel_bins)`` -> waveforms ``(N, audio_length)`` (inverse STFT).

        Examples:
            >>> import torch
            >>> from sketchml_music.gansynth import CPU_FORMAT
            >>> pictures = torch.zeros(1, 2, *CPU_FORMAT.shape)
            >>> CPU_FORMAT.to_waves(pictures).shape
            torch.Size([1, 8192])
        """
        specgrams = specgrams.double()
        inverse = self.inverse_mel_matrix().double().to(specgrams.device)
        power = torch.exp(specgrams[:, 0]) @ inverse
        magnitude = torch.sqrt(power.clamp(min=0.0) + _EPS)
        mel_phase = torch.cumsum(specgrams[:, 1] * math.pi, dim=1)
        phase = _cumulative_phase(_instantaneous_frequency(mel_phase @ inverse))
        stft = torch.polar(magnitude, phase)  # (N, T, F)
        dc = torch.zeros_like(stft[..., :1])  # the DC bin back, as zeros
        frames = torch.fft.irfft(torch.cat([dc, stft], dim=-1), n=self.n_fft, dim=-1)
        window = self._window(specgrams.device)
        # Each sample's squared windows summed over the overlapping frames, in steady state
        # (as TensorFlow's inverse_stft_window_fn): the edges come out faded, not amplified.
        overlap = window.pow(2).reshape(-1, self.hop).sum(dim=0).repeat(self.n_fft // self.hop)
        frames = frames * (window / overlap.clamp(min=1e-8))
        length = self.hop * (self.frames - 1) + self.n_fft
        waves = F.fold(frames.transpose(1, 2), output_size=(1, length),
                       kernel_size=(1, self.n_fft), stride=(1, self.hop))[:, 0, 0]
        return waves[:, self.pad_left:self.pad_left + self.audio_length].float()


def _hz_to_mel(hz: Any) -> Any:
    return _MEL_Q * np.log1p(np.asarray(hz) / _MEL_BREAK_HZ)


def _mel_to_hz(mel: Any) -> Any:
    return _MEL_BREAK_HZ * np.expm1(np.asarray(mel) / _MEL_Q)


def _wrap(angle: torch.Tensor) -> torch.Tensor:
    return torch.remainder(angle + math.pi, 2 * math.pi) - math.pi


def _unwrapped_phase(phase: torch.Tensor) -> torch.Tensor:
    """Phase ``(N, T, F)`` unwrapped along time (jumps over pi folded back)."""
    steps = torch.diff(phase, dim=1)
    corrected = _wrap(steps)
    corrected = torch.where(steps.abs() < math.pi, steps, corrected)
    return torch.cat([phase[:, :1], phase[:, :1] + torch.cumsum(corrected, dim=1)], dim=1)


def _instantaneous_frequency(phase: torch.Tensor) -> torch.Tensor:
    """Unwrapped phase ``(N, T, F)`` -> its change per frame over pi (the first frame: phase / pi)."""
    unwrapped = _unwrapped_phase(phase)
    change = torch.cat([unwrapped[:, :1], torch.diff(unwrapped, dim=1)], dim=1)
    return change / math.pi


def _cumulative_phase(frequency: torch.Tensor) -> torch.Tensor:
    return torch.cumsum(frequency * math.pi, dim=1)


def _fit_length(waves: torch.Tensor, length: int) -> torch.Tensor:
    if waves.dim() == 1:
        waves = waves[None]
    if waves.shape[-1] >= length:
        return waves[..., :length]
    return F.pad(waves, (0, length - waves.shape[-1]))


MAGENTA_FORMAT = SpectralFormat(audio_length=64000, frames=128, n_fft=2048, hop=512,
                                mel_bins=1024)
"""Magenta's published representation: 4 s notes as ``(128, 1024)`` pictures."""

CPU_FORMAT = SpectralFormat(audio_length=8192, frames=64, n_fft=512, hop=128, mel_bins=128)
"""CPU-sized training's representation: 0.512 s notes as ``(64, 128)`` pictures."""


# -- the networks ----------------------------------------------------------------------------

class _Scaled(nn.Module):
    """A convolution (or dense layer) with an equalised learning rate, named like Magenta's.

    The weight is drawn from N(0, 1) and multiplied by He's constant
    ``sqrt(2 / ((1 + slope**2) * fan_in))`` when used.
    """

    def __init__(self, c_in: int, c_out: int, kernel: tuple[int, int] | None, *,
                 slope: float, padding: int | str = 0) -> None:
        super().__init__()
        shape = (c_out, c_in, *kernel) if kernel is not None else (c_out, c_in)
        self.weight = nn.Parameter(torch.randn(shape))
        self.bias = nn.Parameter(torch.zeros(c_out))
        fan_in = c_in * (kernel[0] * kernel[1] if kernel is not None else 1)
        self.scale = math.sqrt(2.0 / ((1.0 + slope ** 2) * fan_in))
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight.dim() == 2:
            return F.linear(x, self.weight * self.scale, self.bias)
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


def _pixel_norm(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def harmonic_templates(spectral: SpectralFormat, pitches: int = len(PITCHES)) -> torch.Tensor:
    """``(pitches, mel_bins)``: where the partials of each pitch (MIDI 24 up) fall on the mel axis.

    An ideal harmonic comb (partial ``k`` at ``k`` times the fundamental, amplitude ``1/k``,
    each a Gaussian half a linear bin wide) warped by :meth:`SpectralFormat.mel_matrix`,
    each row scaled to a maximum of 1. Nothing here is learned.

    Examples:
        >>> from sketchml_music.gansynth import CPU_FORMAT, harmonic_templates
        >>> combs = harmonic_templates(CPU_FORMAT)
        >>> tuple(combs.shape), float(combs.max())
        ((61, 128), 1.0)
    """
    bin_hz = spectral.sample_rate / spectral.n_fft
    freqs = torch.arange(1, spectral.freq_bins + 1, dtype=torch.float64) * bin_hz
    mel = spectral.mel_matrix().double()
    rows = []
    for index in range(pitches):
        f0 = 440.0 * 2 ** ((PITCHES[0] + index - 69) / 12)
        k = torch.arange(1, int(spectral.sample_rate / 2 // f0) + 1, dtype=torch.float64)
        comb = (torch.exp(-0.5 * ((freqs[:, None] - k * f0) / (0.5 * bin_hz)) ** 2) / k).sum(1)
        row = comb @ mel
        rows.append(row / row.max().clamp(min=1e-12))
    return torch.stack(rows).float()


def partial_mask(spectral: SpectralFormat, pitches: int = len(PITCHES)) -> torch.Tensor:
    """``(pitches, mel_bins)`` in [0, 1]: how much of each mel band lies on a partial of the pitch.

    Each linear bin within half a bin of a harmonic ``k * f0`` counts 1 (a Gaussian, capped
    at 1), whatever the partial's loudness; a mel band is the average of its linear bins.
    Where partials lie closer than a band (low pitches, high bands) the mask is near 1.
    Nothing here is learned.

    Examples:
        >>> from sketchml_music.gansynth import CPU_FORMAT, partial_mask
        >>> mask = partial_mask(CPU_FORMAT)
        >>> tuple(mask.shape), float(mask[36].min()) < 0.1 < 0.5 < float(mask[36].max())
        ((61, 128), True)
    """
    bin_hz = spectral.sample_rate / spectral.n_fft
    freqs = torch.arange(1, spectral.freq_bins + 1, dtype=torch.float64) * bin_hz
    mel = spectral.mel_matrix().double()
    band = (torch.ones(spectral.freq_bins, dtype=torch.float64) @ mel).clamp(min=1e-9)
    rows = []
    for index in range(pitches):
        f0 = 440.0 * 2 ** ((PITCHES[0] + index - 69) / 12)
        k = torch.arange(1, int(spectral.sample_rate / 2 // f0) + 1, dtype=torch.float64)
        comb = torch.exp(-0.5 * ((freqs[:, None] - k * f0) / (0.5 * bin_hz)) ** 2).sum(1)
        rows.append((comb.clamp(max=1.0) @ mel) / band)
    return torch.stack(rows).clamp(0.0, 1.0).float()


def ideal_frequencies(spectral: SpectralFormat, pitches: int = len(PITCHES)) -> torch.Tensor:
    """``(pitches, frames, mel_bins)``: the frequency channel of a perfectly harmonic note.

    For each pitch (MIDI 24 up), a steady tone of all its partials below Nyquist (partial
    ``k`` at ``k * f0``, amplitude ``1 / k``, starting at the note's first sample) is taken
    through :meth:`SpectralFormat.to_specgrams`; its instantaneous-frequency picture is what
    every mel band's frequency would be if the note were exactly in tune. Nothing is learned.

    Examples:
        >>> from sketchml_music.gansynth import CPU_FORMAT, ideal_frequencies
        >>> ideal = ideal_frequencies(CPU_FORMAT, pitches=2)
        >>> tuple(ideal.shape), bool(ideal.abs().max() <= 1)
        ((2, 64, 128), True)
    """
    t = torch.arange(spectral.audio_length, dtype=torch.float64) / spectral.sample_rate
    rows = []
    for index in range(pitches):
        f0 = 440.0 * 2 ** ((PITCHES[0] + index - 69) / 12)
        k = torch.arange(1, int(spectral.sample_rate / 2 // f0) + 1, dtype=torch.float64)
        wave = (torch.sin(2 * math.pi * f0 * k[:, None] * t[None]) / k[:, None]).sum(0)
        rows.append(spectral.to_specgrams(wave[None])[0, 1])
    return torch.stack(rows)


def _wrap_unit(x: torch.Tensor) -> torch.Tensor:
    """Values folded into [-1, 1) as angles over pi are (the frequency channel's range)."""
    return torch.remainder(x + 1.0, 2.0) - 1.0


def _comb_map(templates: torch.Tensor, pitch: torch.Tensor, size: Any) -> torch.Tensor:
    """The combs of ``pitch`` as ``(N, 1, H, W)`` maps in [-1, 1], constant along time."""
    height, width = int(size[0]), int(size[1])
    rows = templates[pitch.long()][:, None, None, :]
    if rows.shape[-1] != width:
        rows = F.adaptive_avg_pool2d(rows, (1, width))
    return (rows * 2 - 1).expand(-1, -1, height, -1)


def _block(index: int) -> str:
    return f"progressive_gan_block_{index}"


class Generator(nn.Module):
    """GANSynth's generator: ``z`` ``(N, 256)`` and pitches -> pictures ``(N, 2, H, W)`` in [-1, 1].

    Args:
        channels: filters of blocks 1..B (Magenta: ``min(4096 / 2**b, 256)``).
        start: the first block's ``(height, width)``; each further block doubles both.
        latent_dim: numbers per ``z`` (256).
        pitches: pitch classes of the one-hot conditioning (61: MIDI 24-84).
        spectral: the :class:`SpectralFormat` its pictures are in.
        harmonics: also give every block after the first the requested pitch's harmonic
            comb on the mel axis (:func:`harmonic_templates`) as one more input channel (not
            in Magenta's model; ``scripts/train_gansynth_default.py`` trains with it, to help
            the pitch conditioning take hold in a short CPU training: the comb says where
            the partials go, not how loud they are). Such a generator carries the combs as
            its ``templates`` buffer.
        pitch_prior: build the requested pitch into the picture (not in Magenta's model,
            whose layout and checkpoints stay as they are with the default ``False``):
            the frequency channel is the ideal one of a perfectly harmonic note at that
            pitch (:func:`ideal_frequencies`) plus a learned residual that moves a band's
            frequency by at most ``prior[0]`` (2%) of the fundamental, a third of a
            semitone (a residual bounded the same in every band let the low notes drift a
            semitone sharp), and the magnitude channel is gated by the pitch's partials
            (:func:`partial_mask`): a band off every partial keeps ``prior[1]`` (0.4) of its
            height over the floor of the network's scale. The networks then
            learn the timbre (how loud each partial is, how the note moves) and small
            departures from the ideal, not where a pitch's partials go or how fast their
            phases turn, which a short CPU training does not learn
            (``scripts/train_gansynth_default.py`` trains the default with it). It assumes
            the frequency channel is unscaled (normaliser ``a = 1, b = 0``, as sketchml's
            training sets it). Such a generator carries ``prior`` and the ``partials``
            buffer; the ideal frequencies are computed from the format when it is built.

    Examples:
        >>> import torch
        >>> from sketchml_music.gansynth import CPU_FORMAT, Generator
        >>> g = Generator(channels=(8, 8, 8, 8, 4), start=(4, 8), spectral=CPU_FORMAT)
        >>> g(torch.randn(2, 256), torch.tensor([0, 60])).shape
        torch.Size([2, 2, 64, 128])
    """

    def __init__(self, *, channels: Sequence[int], start: tuple[int, int] = (2, 16),
                 latent_dim: int = LATENT_DIM, pitches: int = len(PITCHES),
                 spectral: SpectralFormat = MAGENTA_FORMAT, harmonics: bool = False,
                 pitch_prior: bool = False) -> None:
        super().__init__()
        self.channels, self.start = tuple(channels), tuple(start)
        self.latent_dim, self.pitches = latent_dim, pitches
        self.harmonics = harmonics
        self.pitch_prior = pitch_prior
        inputs = latent_dim + pitches
        previous = inputs
        for index, width in enumerate(self.channels, start=1):
            kernel0 = self.start if index == 1 else (3, 3)
            extra = 1 if harmonics and index > 1 else 0
            self.add_module(_block(index), nn.ModuleDict({
                "conv0": _Scaled(previous + extra, width, kernel0, slope=0.0,
                                 padding=0 if index == 1 else 1),
                "conv1": _Scaled(width, width, (3, 3), slope=0.0, padding=1),
                "to_rgb": _Scaled(width, 2, (1, 1), slope=1.0),
            }))
            previous = width
        self.register_buffer("normalizer", torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
        self.register_buffer("spectral", spectral.as_tensor())
        if harmonics:
            self.register_buffer("templates", harmonic_templates(spectral, pitches))
        if pitch_prior:
            # (largest frequency residual as a share of f0, magnitude kept off the partials)
            self.register_buffer("prior", torch.tensor([0.02, 0.4]))
            self.register_buffer("partials", partial_mask(spectral, pitches))
            self.register_buffer("ideal_if", ideal_frequencies(spectral, pitches).float(),
                                 persistent=False)
            # Each pitch's fundamental in the frequency channel's units (the phase it turns
            # per frame, over pi: a hertz is 2 * hop / sample_rate).
            f0 = 440.0 * 2 ** ((torch.arange(pitches) + PITCHES[0] - 69) / 12.0)
            self.register_buffer("f0_if", f0 * 2.0 * spectral.hop / spectral.sample_rate,
                                 persistent=False)

    @property
    def blocks(self) -> int:
        return len(self.channels)

    @property
    def format(self) -> SpectralFormat:
        """The :class:`SpectralFormat` of this generator's pictures."""
        return SpectralFormat.from_tensor(self.spectral)

    def forward(self, z: torch.Tensor, pitch: torch.Tensor,
                progress: float | None = None) -> torch.Tensor:
        """``z`` ``(N, latent_dim)``, ``pitch`` ``(N,)`` class indices (0 = MIDI 24) -> pictures."""
        progress = self.blocks - 1 if progress is None else progress
        one_hot = F.one_hot(pitch.long(), self.pitches).to(z.dtype)
        x = _pixel_norm(torch.cat([z, one_hot], dim=1)[:, :, None, None])
        h, w = self.start
        x = F.pad(x, (w - 1, w - 1, h - 1, h - 1))
        out = None
        for index in range(1, self.blocks + 1):
            if index - 2 >= progress:
                break  # this block and the later ones do not show yet while growing
            layers = getattr(self, _block(index))
            if index > 1:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
                if self.harmonics:
                    x = torch.cat([x, _comb_map(self.templates, pitch, x.shape[2:])], dim=1)
            x = _pixel_norm(F.leaky_relu(layers["conv0"](x), 0.2))
            x = _pixel_norm(F.leaky_relu(layers["conv1"](x), 0.2))
            alpha = max(0.0, min(progress - (index - 2), index - progress))
            if alpha > 0:
                picture = torch.tanh(layers["to_rgb"](x))
                scale = 2 ** (self.blocks - index)
                if scale > 1:
                    picture = F.interpolate(picture, scale_factor=scale, mode="nearest")
                out = picture * alpha if out is None else out + picture * alpha
        assert out is not None
        return self.apply_prior(out, pitch) if self.pitch_prior else out

    def gate(self, pictures: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """Magnitudes (channel 0, network scale) off the pitch's partials lowered toward -1.

        Only for a generator built with ``pitch_prior=True``; training passes real notes
        through the same gate, so the discriminator compares like with like.
        """
        keep = self.prior[1] + (1 - self.prior[1]) * self.partials[pitch.long()]
        magnitude = -1 + (pictures[:, :1] + 1) * keep[:, None, None, :]
        return torch.cat([magnitude, pictures[:, 1:]], dim=1)

    def apply_prior(self, pictures: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """The network's raw pictures -> gated magnitudes and ideal frequencies plus residual."""
        index = pitch.long()
        limit = (self.prior[0] * self.f0_if[index]).view(-1, 1, 1)
        frequency = _wrap_unit(self.ideal_if[index] + limit * pictures[:, 1])
        return self.gate(torch.cat([pictures[:, :1], frequency[:, None]], dim=1), pitch)

    def denormalize(self, pictures: torch.Tensor) -> torch.Tensor:
        """Network pictures in [-1, 1] -> spectrograms (log mel power, frequency)."""
        a, b = self.normalizer[0].view(1, 2, 1, 1), self.normalizer[1].view(1, 2, 1, 1)
        return (pictures - b) / a

    def normalize(self, specgrams: torch.Tensor) -> torch.Tensor:
        """Spectrograms -> the network's [-1, 1] scale (the inverse of :meth:`denormalize`)."""
        a, b = self.normalizer[0].view(1, 2, 1, 1), self.normalizer[1].view(1, 2, 1, 1)
        return specgrams * a + b


class Discriminator(nn.Module):
    """GANSynth's discriminator: pictures -> (real/fake logits ``(N,)``, pitch logits ``(N, P)``).

    Args:
        channels: filters of blocks 0..B (``channels[0]`` is the last convolution's).
        start: the generator's first ``(height, width)``.
        pitches: pitch classes the auxiliary classifier names.
        templates: ``(pitches, width)`` harmonic combs (:func:`harmonic_templates`): when
            given, the discriminator also sees the comb of the pitch a picture is labelled
            with (one more input channel), so a note that does not play its label looks fake.

    Examples:
        >>> import torch
        >>> from sketchml_music.gansynth import Discriminator
        >>> d = Discriminator(channels=(8, 8, 8, 8, 8, 4), start=(4, 8))
        >>> [t.shape for t in d(torch.randn(3, 2, 64, 128))]
        [torch.Size([3]), torch.Size([3, 61])]
    """

    def __init__(self, *, channels: Sequence[int], start: tuple[int, int] = (2, 16),
                 pitches: int = len(PITCHES), templates: torch.Tensor | None = None) -> None:
        super().__init__()
        self.channels, self.start = tuple(channels), tuple(start)
        blocks = len(self.channels) - 1
        if templates is not None:
            self.register_buffer("templates", templates.float().clone())
        else:
            self.templates = None
        for index in range(1, blocks + 1):
            width = self.channels[index]
            layers = {"from_rgb": _Scaled(2 if templates is None else 3, width, (1, 1),
                                          slope=0.0)}
            if index > 1:
                layers["conv0"] = _Scaled(width, width, (3, 3), slope=0.0, padding=1)
                layers["conv1"] = _Scaled(width, self.channels[index - 1], (3, 3), slope=0.0,
                                          padding=1)
            else:
                layers["conv0"] = _Scaled(width + 1, width, (3, 3), slope=0.0, padding=1)
                layers["conv1"] = _Scaled(width, self.channels[0], self.start, slope=0.0)
                layers["logits"] = _Scaled(self.channels[0], 1, None, slope=1.0)
            self.add_module(_block(index), nn.ModuleDict(layers))
        self.classification_logits = _Scaled(self.channels[0], pitches, None, slope=1.0)

    @property
    def blocks(self) -> int:
        return len(self.channels) - 1

    def forward(self, pictures: torch.Tensor, progress: float | None = None,
                pitch: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        progress = self.blocks - 1 if progress is None else progress
        if self.templates is not None:
            if pitch is None:
                raise sk.SketchmlError("This discriminator sees each picture's pitch comb; "
                                       "call it with pitch= (class indices, 0 = MIDI 24).")
            pictures = torch.cat([pictures, _comb_map(self.templates, pitch, pictures.shape[2:])],
                                 dim=1)

        def from_rgb(index: int) -> torch.Tensor:
            scale = 2 ** (self.blocks - index)
            lod = F.avg_pool2d(pictures, scale) if scale > 1 else pictures
            return F.leaky_relu(getattr(self, _block(index))["from_rgb"](lod), 0.2)

        x = None  # None: this block reads the picture itself (the larger ones are not grown yet)
        for index in range(self.blocks, 1, -1):
            alpha = min(max(index - 1 - progress, 0.0), 1.0)
            if alpha >= 1:
                continue
            layers = getattr(self, _block(index))
            x = from_rgb(index) if x is None else x
            x = F.leaky_relu(layers["conv0"](x), 0.2)
            x = F.leaky_relu(layers["conv1"](x), 0.2)
            x = F.avg_pool2d(x, 2)
            if alpha > 0:
                x = alpha * from_rgb(index - 1) + (1 - alpha) * x
        x = from_rgb(1) if x is None else x
        first = getattr(self, _block(1))
        spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-6).mean()
        x = torch.cat([x, spread.expand(x.shape[0], 1, *x.shape[2:])], dim=1)
        x = F.leaky_relu(first["conv0"](x), 0.2)
        x = F.leaky_relu(first["conv1"](x), 0.2).flatten(1)
        return first["logits"](x).flatten(), self.classification_logits(x)


_TF_GENERATOR = re.compile(
    r"^Generator/progressive_gan_generator/(progressive_gan_block_\d+)/(conv0|conv1|to_rgb)/"
    r"(conv2d/kernel|bias)$")


def convert_magenta(variables: Mapping[str, Any], normalizer: Sequence[float], *,
                    spectral: SpectralFormat = MAGENTA_FORMAT) -> dict[str, torch.Tensor]:
    """Magenta's TensorFlow generator variables -> the state dict sketchml's GANSynth loads.

    Args:
        variables: variable name -> array, as a TensorFlow checkpoint reader gives them
            (other variables, such as the discriminator's or Adam's, are left out).
        normalizer: Magenta's ``specgrams_simple_normalizer.npz`` values
            ``[m_a, m_b, p_a, p_b]`` (magnitude and frequency scale and offset), found in
            the checkpoint's ``assets/`` folder.
        spectral: the representation the checkpoint was trained on (Magenta's 4 s notes).

    Examples:
        >>> import numpy as np
        >>> from sketchml_music.gansynth import convert_magenta
        >>> name = "Generator/progressive_gan_generator/progressive_gan_block_1/conv0/conv2d/kernel"
        >>> state = convert_magenta({name: np.zeros((2, 16, 317, 256))}, [1, 0, 1, 0])
        >>> tuple(state["progressive_gan_block_1.conv0.weight"].shape)
        (256, 317, 2, 16)
    """
    state: dict[str, torch.Tensor] = {}
    for name, value in variables.items():
        found = _TF_GENERATOR.match(name)
        if found is None:
            continue
        block, layer, kind = found.groups()
        tensor = torch.as_tensor(np.asarray(value, dtype=np.float32))
        if kind == "bias":
            state[f"{block}.{layer}.bias"] = tensor
        else:
            # TensorFlow keeps kernels as height x width x in x out; torch as out x in x h x w.
            state[f"{block}.{layer}.weight"] = tensor.permute(3, 2, 0, 1).contiguous()
    if not state:
        raise sk.SketchmlError(
            "No GANSynth generator variables found (names such as 'Generator/progressive_gan_"
            "generator/progressive_gan_block_1/conv0/conv2d/kernel'); is this a GANSynth "
            "checkpoint?")
    m_a, m_b, p_a, p_b = (float(v) for v in normalizer)
    state["normalizer"] = torch.tensor([[m_a, p_a], [m_b, p_b]])
    state["spectral"] = spectral.as_tensor()
    return state


def _generator_from_state(state: dict[str, torch.Tensor], source: str) -> Generator:
    if not isinstance(state, dict) or "spectral" not in state or "normalizer" not in state:
        raise sk.SketchmlError(
            f"{source} is not a GANSynth generator (sketchml's layout: "
            f"progressive_gan_block_1.conv0.weight ..., plus the 'normalizer' and 'spectral' "
            f"buffers). Pass a file or folder written by `sketchml train gansynth`."
        )
    blocks = sorted({int(m.group(1)) for key in state
                     if (m := re.match(r"progressive_gan_block_(\d+)\.conv0\.weight$", key))})
    if not blocks or blocks != list(range(1, len(blocks) + 1)):
        raise sk.SketchmlError(f"{source} has no progressive_gan_block_1..N convolutions; it is "
                               f"not a GANSynth generator.")
    first = state["progressive_gan_block_1.conv0.weight"]
    channels = [int(state[f"{_block(i)}.conv1.weight"].shape[0]) for i in blocks]
    spectral = SpectralFormat.from_tensor(state["spectral"])
    inputs = int(first.shape[1])
    generator = Generator(channels=channels, start=(int(first.shape[2]), int(first.shape[3])),
                          latent_dim=LATENT_DIM, pitches=inputs - LATENT_DIM, spectral=spectral,
                          harmonics="templates" in state, pitch_prior="prior" in state)
    expected = generator.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise sk.SketchmlError(
            f"{source} does not match a GANSynth generator of {len(blocks)} blocks: missing "
            f"{missing[:4] or 'none'}, unexpected {unexpected[:4] or 'none'}, misshapen "
            f"{wrong[:4] or 'none'}. The file is damaged or from another model."
        )
    generator.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    height = generator.start[0] * 2 ** (generator.blocks - 1)
    width = generator.start[1] * 2 ** (generator.blocks - 1)
    if (height, width) != spectral.shape:
        raise sk.SketchmlError(f"{source}: the generator makes {height} x {width} pictures but "
                               f"its spectral format is {spectral.shape}; the file is damaged.")
    return generator.eval()


# -- data ------------------------------------------------------------------------------------

def read_notes(data: Any, spectral: SpectralFormat) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """A folder of single-note WAV files -> ``(waves (N, audio_length), pitches (N,), names)``.

    Pitches come from NSynth-style names (``anything-PPP-VVV.wav``: MIDI pitch ``PPP``,
    velocity ``VVV``), else from the YIN detector. Files are resampled to the format's rate
    and cut or padded to its length; notes outside MIDI 24-84 are left out.

    Examples:
        >>> import numpy as np, tempfile, pathlib
        >>> from sketchml.plugin import write_wav
        >>> from sketchml_music.gansynth import CPU_FORMAT, read_notes
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = write_wav(folder / "sine-069-100.wav", np.sin(np.arange(8192) * 0.17), 16000)
        >>> read_notes(folder, CPU_FORMAT)[1].tolist()
        [69]
    """
    if not isinstance(data, (str, os.PathLike)) or not Path(data).is_dir():
        raise sk.SketchmlError(
            f"GANSynth trains on a folder of single-note WAV files (NSynth-style names such as "
            f"'guitar_0-060-100.wav' give each note's pitch), got {data!r}."
        )
    files = sorted(Path(data).rglob("*.wav"))
    if not files:
        raise sk.SketchmlError(f"{str(data)!r} holds no .wav files; put one note per file there.")
    waves, pitches, names = [], [], []
    for path in files:
        wave, rate = read_wav(path)
        mono = resample(wave.mean(axis=0), rate, spectral.sample_rate)
        found = _NSYNTH_NAME.search(path.stem)
        pitch = int(found.group(1)) if found else detect_pitch(mono, spectral.sample_rate)
        if math.isnan(pitch) or round(pitch) not in PITCHES:
            continue
        clip = np.zeros(spectral.audio_length, dtype=np.float32)
        clip[:min(mono.size, clip.size)] = mono[:clip.size]
        waves.append(clip)
        pitches.append(int(round(pitch)))
        names.append(path.stem)
    if not waves:
        raise sk.SketchmlError(f"No note in {str(data)!r} has a pitch in MIDI 24-84; GANSynth "
                               f"is conditioned on those pitches.")
    return torch.from_numpy(np.stack(waves)), torch.tensor(pitches), names


# -- the family ------------------------------------------------------------------------------

@dataclass
class GANSynthTraining(TrainSettings):
    """What ``GANSynth.train`` and ``sketchml train gansynth`` take (and the shared settings)."""

    batch_size: int = setting(16, "notes per step")
    lr: float = setting(0.0008, "Adam learning rate (betas 0, 0.99, as in Magenta's GANSynth)")
    channels: int = setting(32, "filters of the widest blocks (Magenta: 256)")
    fmap_base: int = setting(256, "filters of block b are min(fmap_base / 2**b, channels) "
                                  "(Magenta: 4096)")
    full_size: bool = setting(False, "Magenta's 4 s, (128, 1024) representation instead of the "
                                     "CPU-sized 0.512 s, (64, 128) one")
    grow: float = setting(0.3, "share of the steps spent growing the networks block by block")
    pitch_weight: float = setting(1.0, "weight of the auxiliary pitch classifier's loss")
    ema: float = setting(0.999, "decay of the generator's weight average (0: none)")
    harmonics: bool = setting(False, "give the generator (each block) and the discriminator "
                                     "the requested pitch's harmonic comb (not Magenta's; "
                                     "meant to make the pitch take hold in a short CPU "
                                     "training)")
    pitch_prior: bool = setting(False, "build the pitch into the generator's pictures: ideal "
                                       "harmonic frequencies plus a small learned residual, "
                                       "magnitudes gated by the partials (not Magenta's; "
                                       "see Generator)")


class GANSynth(sk.Model):
    """GANSynth: instrument notes at any pitch from MIDI 24 to 84, sampled, walked and encoded.

    ``sk.model("gansynth")`` is ``gansynth.default``: CPU-sized (0.512 s notes, ``(64, 128)``
    spectrograms), trained offline on General MIDI instruments rendered by FluidSynth, with
    the pitch built into its pictures (``pitch_prior``, not Magenta's; see :class:`Generator`).
    Latents are ``z`` ``(N, 256)``, standard normal; a latent is a timbre, the pitch is
    given separately. Walks between timbres are spherical (slerp). The generator, a plain
    ``torch.nn.Module``, is ``gansynth.network``.

    Examples:
        >>> import sketchml as sk
        >>> synth = sk.model("gansynth", device="cpu")
        >>> synth.generate(seed=1, pitch=60).sample_rate
        16000
    """

    TrainSettings = GANSynthTraining
    interpolation = "slerp"
    trained_networks = ("g_ema", "g")

    def load(self) -> None:
        path = self.weights_path()
        source = repr(str(path))
        self.network = _generator_from_state(sk.load_weights(path), source).to(self.device)
        self.source = source

    # -- facts -----------------------------------------------------------------------------

    @property
    def format(self) -> SpectralFormat:
        """The :class:`SpectralFormat` of this model's notes."""
        return self.network.format

    @property
    def sample_rate(self) -> int:
        """Samples per second of the notes made (16000)."""
        return self.format.sample_rate

    @property
    def seconds(self) -> float:
        """Length of one generated note in seconds."""
        return self.format.seconds

    # -- verbs -----------------------------------------------------------------------------

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` timbres ``z`` ``(n, 256)``, standard normal; a seed gives the same on any device.

        Examples:
            >>> import sketchml as sk
            >>> sk.model("gansynth", device="cpu").sample_latent(3, seed=0)["z"].shape
            torch.Size([3, 256])
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise sk.SketchmlError(f"n must be a whole number >= 1, got {n!r}.")
        seed = _fresh(seed)
        return self.latent(self.randn(n, self.network.latent_dim, seed=seed), seed=seed)

    @torch.no_grad()
    def generate(self, latent: Any = None, *, pitch: int | Sequence[int] | None = None,
                 seed: int | None = None) -> sk.Audio | list[sk.Audio]:
        """Notes from timbres: one ``sk.Audio`` for ``latent=None``, a list for a count or a latent.

        Args:
            latent: ``None`` (one note, its timbre drawn from ``seed``), a count ``n``, a
                ``sk.Latent`` or a tensor ``(N, 256)``.
            pitch: MIDI pitch(es) 24-84, one for all or one per latent (default: the
                latent's own ``pitch`` metadata when it has one, such as an encoded note's,
                else 60, middle C).
            seed: draws the timbre when ``latent`` is ``None`` or a count.

        Examples:
            >>> import sketchml as sk
            >>> synth = sk.model("gansynth", device="cpu")
            >>> notes = synth.generate(synth.sample_latent(2, seed=3), pitch=[48, 60])
            >>> len(notes), notes[0].waveform.shape[0]
            (2, 1)
        """
        single = latent is None
        if single or isinstance(latent, int):
            seed = _fresh(seed)
        z = self.as_latent(latent, seed=seed)
        tensor = z.tensor
        if tensor.dim() != 2 or tensor.shape[1] != self.network.latent_dim:
            raise sk.SketchmlError(
                f"GANSynth takes latents shaped (N, {self.network.latent_dim}), got "
                f"{tuple(tensor.shape)}. Make them with model.sample_latent(n, seed=...)."
            )
        pitches = _pitches(pitch if pitch is not None else z.metadata.get("pitch", 60),
                           tensor.shape[0])
        waves = self._waves(tensor.to(self.device, torch.float32), pitches)
        results = []
        for k in range(tensor.shape[0]):
            one = self.latent(tensor[k:k + 1].detach().cpu(), seed=z.seed, pitch=pitches[k])
            results.append(sk.Audio(waves[k:k + 1].cpu(), sample_rate=self.sample_rate,
                                    latent=one, seed=z.seed))
        return results[0] if single else results

    def _waves(self, z: torch.Tensor, pitches: list[int], batch: int = 32) -> torch.Tensor:
        pieces = []
        for start in range(0, z.shape[0], batch):
            index = torch.tensor([p - PITCHES[0] for p in pitches[start:start + batch]],
                                 device=self.device)
            pictures = self.network.denormalize(self.network(z[start:start + batch], index))
            pieces.append(self.format.to_waves(pictures))
        waves = torch.cat(pieces)
        peak = waves.abs().amax(dim=1, keepdim=True)
        return torch.where(peak > 0.99, waves * (0.99 / peak.clamp(min=1e-9)), waves)

    def encode(self, data: Any, *, pitch: int | None = None, steps: int = 200,
               seed: int | None = None, lr: float = 0.05, candidates: int = 16,
               progress: bool | None = None) -> sk.Latent:
        """The timbre whose note sounds most like ``data`` (one note), found by optimisation.

        ``data`` is an ``sk.Audio``, a WAV path or a waveform tensor at 16 kHz. The pitch is
        ``pitch`` or, when not given, the one YIN hears (kept in the latent's ``pitch``). The
        search starts from the best of ``candidates`` random timbres (drawn from ``seed``)
        and takes ``steps`` Adam steps on the distance between the log-mel spectrograms;
        the result's ``losses`` hold that distance per step.

        Examples:
            >>> import sketchml as sk
            >>> synth = sk.model("gansynth", device="cpu")
            >>> note = synth.generate(seed=5, pitch=57)
            >>> z = synth.encode(note, pitch=57, steps=10, seed=0)
            >>> z.metadata["losses"][-1] < z.metadata["losses"][0], z.metadata["pitch"]
            (True, 57)
        """
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise sk.SketchmlError(f"steps must be a whole number >= 1, got {steps!r}.")
        wave = self._note(data)
        if pitch is None:
            heard = detect_pitch(wave.numpy(), self.sample_rate)
            if math.isnan(heard):
                raise sk.SketchmlError("encode() could not hear a pitch in this sound; give it "
                                       "with pitch=MIDI_NUMBER (24-84).")
            pitch = min(max(int(round(heard)), PITCHES[0]), PITCHES[-1])
        index = torch.tensor([_pitches(pitch, 1)[0] - PITCHES[0]], device=self.device)
        target = self.network.normalize(
            self.format.to_specgrams(wave[None].to(self.device)))[:, :1]
        seed = _fresh(seed)
        for parameter in self.network.parameters():
            parameter.requires_grad_(False)

        def distance(z: torch.Tensor) -> torch.Tensor:
            made = self.network(z, index.expand(z.shape[0]))[:, :1]
            return (made - target).abs().flatten(1).mean(1)

        with torch.no_grad():
            pool = self.randn(candidates, self.network.latent_dim, seed=seed)
            start = pool[distance(pool).argmin()][None]
        z = start.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([z], lr=lr)
        losses = []
        quiet = None if progress is None else not progress
        for _ in progress_bar(range(steps), desc="encoding", quiet=quiet):
            loss = distance(z).mean()
            prior = (z.pow(2).mean() - 1).pow(2)
            optimiser.zero_grad()
            (loss + 0.01 * prior).backward()
            optimiser.step()
            losses.append(round(float(loss.detach()), 6))
        return self.latent(z.detach(), seed=seed, pitch=int(index[0]) + PITCHES[0],
                           losses=losses, loss=losses[-1], encoded=True)

    def _note(self, data: Any) -> torch.Tensor:
        if isinstance(data, (str, os.PathLike)):
            if not Path(data).is_file():
                raise sk.SketchmlError(f"No sound file at {str(data)!r}; check the path.")
            wave, rate = read_wav(data)
            data = sk.Audio(torch.from_numpy(wave), sample_rate=rate)
        if isinstance(data, torch.Tensor):
            data = sk.Audio(data, sample_rate=self.sample_rate)
        if not isinstance(data, sk.Audio):
            raise sk.SketchmlError(
                f"encode() takes one note: an sk.Audio, a WAV file path or a waveform tensor at "
                f"16 kHz; got {type(data).__name__}."
            )
        mono = resample(data.waveform.float().mean(dim=0).numpy(), data.sample_rate,
                        self.sample_rate)
        return _fit_length(torch.from_numpy(mono), self.format.audio_length)[0].float()

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train GANSynth on a folder of single notes; checkpoints and the result go to ``out``.

        Args:
            data: a folder of WAV files, one note each (NSynth-style names such as
                ``flute_3-064-100.wav`` give the pitch; otherwise YIN hears it).
            out: the run's folder (required). Training again into it resumes; a larger
                ``steps`` trains further.
            **options: the fields of :class:`GANSynthTraining` (``steps``, ``batch_size``,
                ``channels``, ``minutes``, ``full_size`` ...).

        Returns:
            The :class:`~sketchml.training.TrainingRun`; this model now plays the trained
            generator, which is also written to ``out/gansynth.safetensors``.

        Examples:
            >>> import numpy as np, tempfile, pathlib, sketchml as sk
            >>> from sketchml.plugin import write_wav
            >>> notes = pathlib.Path(tempfile.mkdtemp())
            >>> for p in (60, 64):
            ...     _ = write_wav(notes / f"sine-{p:03d}-100.wav",
            ...                   np.sin(np.arange(8192) * 2 * np.pi * 440 * 2 ** ((p - 69) / 12) / 16000), 16000)
            >>> synth = sk.model("gansynth", device="cpu")
            >>> run = synth.train(notes, out=tempfile.mkdtemp(), steps=2, batch_size=2,
            ...                   channels=4, progress=False)
            >>> run.step
            2
        """
        run, generator = train_gansynth(data, out=out, device=self.device, **options)
        self.network = generator.eval()
        self.source = repr(str(Path(out) / EXPORT_NAME))  # type: ignore[arg-type]
        return run

    # -- Magenta's timbre interpolation along a MIDI file ------------------------------------

    def play_midi(self, midi_file: Any, *, instruments: int = 4,
                  seconds_per_instrument: float = 2.0, seed: int | None = None,
                  release: float = 0.1) -> sk.Audio:
        """A MIDI file played by an instrument that morphs through ``instruments`` timbres.

        As in Magenta's GANSynth demo: ``instruments`` random timbres are placed every
        ``seconds_per_instrument`` seconds along the piece (cycling when the piece is longer);
        each note takes the slerp of the two around its start, is generated at its pitch
        (moved by octaves into MIDI 24-84), cut to its length with a ``release`` fade (notes
        are at most the model's note length), scaled by its velocity and mixed in.

        Args:
            midi_file: a ``.mid`` path or ``sk.Notes`` (drums are left out).
            instruments: how many timbres to morph through.
            seconds_per_instrument: seconds from one timbre to the next.
            seed: draws the timbres (``None``: a fresh seed, kept in the result).
            release: fade-out after each note ends, in seconds.

        Returns:
            One ``sk.Audio``; its ``latent`` holds each note's timbre ``z`` ``(notes, 256)``
            with ``pitch``, ``start`` and ``end`` lists, so the render can be redone
            (``generate(audio.latent)``) or edited.

        Examples:
            >>> import sketchml as sk
            >>> tune = sk.Notes([{"pitch": 60 + 2 * i, "start_time": i * 0.25,
            ...                   "end_time": i * 0.25 + 0.25} for i in range(4)])
            >>> song = sk.model("gansynth", device="cpu").play_midi(tune, instruments=2, seed=0)
            >>> song.latent["z"].shape, round(song.duration, 2)
            (torch.Size([4, 256]), 1.1)
        """
        notes = _midi_notes(midi_file)
        if isinstance(instruments, bool) or not isinstance(instruments, int) or instruments < 1:
            raise sk.SketchmlError(f"instruments must be a whole number >= 1, got {instruments!r}.")
        if not seconds_per_instrument > 0:
            raise sk.SketchmlError(f"seconds_per_instrument must be > 0, got "
                                   f"{seconds_per_instrument!r}.")
        seed = _fresh(seed)
        timbres = self.sample_latent(instruments, seed=seed)["z"].cpu()
        z_notes = []
        for note in notes:
            position = note.start / seconds_per_instrument
            k = int(math.floor(position))
            a, b = timbres[k % instruments], timbres[(k + 1) % instruments]
            z_notes.append(_slerp(a, b, position - k))
        z = torch.stack(z_notes)
        pitches = [_into_range(n.pitch) for n in notes]
        with torch.no_grad():
            waves = self._waves(z.to(self.device), pitches).cpu()
        rate = self.sample_rate
        total = int(math.ceil((max(n.end for n in notes) + release) * rate)) + 1
        mix = torch.zeros(total)
        fade = max(1, int(release * rate))
        for note, wave in zip(notes, waves):
            start = int(round(note.start * rate))
            hold = min(int(round((note.end - note.start) * rate)), wave.numel())
            length = min(hold + fade, wave.numel())
            envelope = torch.ones(length)
            tail = length - hold
            if tail > 0:
                envelope[hold:] = torch.linspace(1.0, 0.0, tail)
            piece = wave[:length] * envelope * (note.velocity / 127.0)
            end = min(start + length, total)
            mix[start:end] += piece[:end - start]
        peak = float(mix.abs().max())
        if peak > 0.95:
            mix = mix * (0.95 / peak)
        latent = self.latent(z, seed=seed, pitch=pitches, start=[n.start for n in notes],
                             end=[n.end for n in notes], instruments=instruments,
                             seconds_per_instrument=seconds_per_instrument)
        return sk.Audio(mix[None], sample_rate=rate, latent=latent, seed=seed)


def _fresh(seed: int | None) -> int:
    if seed is None:
        return int(torch.randint(0, 2 ** 31 - 1, (1,)).item())
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise sk.SketchmlError(f"seed must be a whole number or None, got {seed!r}.")
    return seed


def _pitches(pitch: Any, n: int) -> list[int]:
    if isinstance(pitch, (np.ndarray, torch.Tensor)):
        pitch = pitch.tolist()
    values = list(pitch) if isinstance(pitch, (list, tuple)) else [pitch] * n
    if len(values) != n:
        raise sk.SketchmlError(f"pitch= gives {len(values)} pitches for {n} latents; give one "
                               f"pitch for all, or one per latent.")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or \
                value not in PITCHES:
            raise sk.SketchmlError(
                f"GANSynth plays MIDI pitches 24-84 (C1 to C6), got pitch={value!r}. Move the "
                f"note by octaves (12) into that range."
            )
    return [int(v) for v in values]


def _into_range(pitch: int) -> int:
    while pitch < PITCHES[0]:
        pitch += 12
    while pitch > PITCHES[-1]:
        pitch -= 12
    return pitch


def _slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp(min=1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if float(omega) < 1e-4:
        return a + (b - a) * t
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def _midi_notes(midi_file: Any) -> list[Any]:
    if isinstance(midi_file, (str, os.PathLike)):
        if not Path(midi_file).is_file():
            raise sk.SketchmlError(f"No MIDI file at {str(midi_file)!r}; check the path.")
        notes = read_midi(midi_file)
    elif isinstance(midi_file, sk.Notes):
        notes = list(midi_file.notes)
    else:
        raise sk.SketchmlError(f"play_midi() takes a .mid path or sk.Notes, got "
                               f"{type(midi_file).__name__}.")
    notes = sorted((n for n in notes if not n.is_drum and n.end > n.start), key=lambda n: n.start)
    if not notes:
        raise sk.SketchmlError("That MIDI file has no pitched notes to play (drums are left out).")
    return notes


# -- training --------------------------------------------------------------------------------

def _channels(settings: GANSynthTraining, blocks: int) -> list[int]:
    return [max(1, int(min(settings.fmap_base / 2 ** b, settings.channels)))
            for b in range(blocks + 1)]


def _asked_pitches(pitch_counts: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` pitch classes for generated notes, drawn as often as the data has each."""
    return torch.multinomial(pitch_counts, n, replacement=True)


def train_gansynth(data: Any, *, out: str | os.PathLike[str] | None, device: Any = None,
                   **options: Any) -> tuple[TrainingRun, Generator]:
    """Train GANSynth (see :meth:`GANSynth.train`); returns ``(run, generator)``.

    Examples:
        >>> import numpy as np, tempfile, pathlib
        >>> from sketchml.plugin import write_wav
        >>> from sketchml_music.gansynth import train_gansynth
        >>> notes = pathlib.Path(tempfile.mkdtemp())
        >>> _ = write_wav(notes / "hum-060-100.wav", np.sin(np.arange(8192) * 0.103), 16000)
        >>> run, g = train_gansynth(notes, out=tempfile.mkdtemp(), steps=1, batch_size=1,
        ...                         channels=4, progress=False, device="cpu")
        >>> g.format.shape
        (64, 128)
    """
    settings = GANSynthTraining.build("gansynth", options)
    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints and the trained "
                               "weights, e.g. synth.train('my_notes/', out='runs/mine').")
    for name in ("steps", "batch_size", "channels", "fmap_base"):
        if getattr(settings, name) < 1:
            raise sk.SketchmlError(f"{name} must be a whole number >= 1, got "
                                   f"{getattr(settings, name)!r}.")
    if not 0 <= settings.grow < 1:
        raise sk.SketchmlError(f"grow must be in [0, 1) (a share of the steps), got "
                               f"{settings.grow!r}.")
    spectral = MAGENTA_FORMAT if settings.full_size else CPU_FORMAT
    start = (2, 16) if settings.full_size else (4, 8)
    blocks = int(math.log2(spectral.frames // start[0])) + 1
    config = {"family": "gansynth", "channels": settings.channels, "fmap_base": settings.fmap_base,
              "full_size": settings.full_size, "ema": settings.ema,
              "harmonics": settings.harmonics, "pitch_prior": settings.pitch_prior}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in ("channels", "fmap_base", "full_size", "ema", "harmonics",
                               "pitch_prior")
                   if before.get(k, False if k in ("harmonics", "pitch_prior") else None)
                   != config[k]]
        if changed:
            given = ", ".join(
                f"{k}={before.get(k, False if k in ('harmonics', 'pitch_prior') else None)!r}"
                for k in changed)
            raise sk.SketchmlError(f"{out} holds a GANSynth run with {given}; resuming it needs "
                                   f"the same settings. Pass those, or train into another folder.")
    waves, pitches, _ = read_notes(data, spectral)
    specgrams = spectral.to_specgrams(waves)
    seed = settings.seed_for(out)
    seed_everything(seed)
    channels = _channels(settings, blocks)
    generator = Generator(channels=channels[1:], start=start, spectral=spectral,
                          harmonics=settings.harmonics, pitch_prior=settings.pitch_prior)
    discriminator = Discriminator(channels=channels, start=start,
                                  templates=generator.templates if settings.harmonics else None)
    # Magenta's normaliser: each channel's range mapped onto [-1, 1] (magnitudes by their
    # 0.1% and 99.9% quantiles, as the loudest bins are rare).
    magnitude = specgrams[:, 0].flatten()
    sample = magnitude[torch.randperm(magnitude.numel(), generator=torch.Generator().manual_seed(
        seed))[:200_000]]
    low, high = float(sample.quantile(0.001)), float(sample.quantile(0.999))
    a = 2.0 / max(high - low, 1e-3)
    generator.normalizer.copy_(torch.tensor([[a, 1.0], [-1.0 - low * a, 0.0]]))
    pictures = generator.normalize(specgrams).clamp(-1, 1)
    if settings.pitch_prior:
        # The discriminator sees real notes through the generator's partial gate too, so
        # the gate is part of the representation, not a tell of the generated notes.
        pictures = generator.gate(pictures, pitches - PITCHES[0])
    dataset = torch.utils.data.TensorDataset(pictures, pitches - PITCHES[0])
    pitch_counts = torch.bincount(pitches - PITCHES[0], minlength=len(PITCHES)).float()
    batch_size = min(settings.batch_size, len(dataset))
    betas = (0.0, 0.99)
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.lr, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.lr, betas=betas)
    modules: dict[str, nn.Module] = {"g": generator, "d": discriminator}
    if settings.ema:
        modules["g_ema"] = copy.deepcopy(generator).requires_grad_(False)
    result = "g_ema" if settings.ema else "g"
    growing = max(1, int(settings.grow * settings.steps))
    fixed_z = torch.randn(8, LATENT_DIM, generator=torch.Generator().manual_seed(seed))
    fixed_pitch = torch.linspace(0, len(PITCHES) - 1, 8).long()

    def on_sample(run: TrainingRun) -> None:
        with torch.no_grad():
            made = run.modules[result](fixed_z.to(run.device), fixed_pitch.to(run.device))
        # Log-magnitude pictures, low frequencies at the bottom, as a spectrogram is read.
        run.save_samples(made[:, :1].transpose(2, 3).flip(2).repeat(1, 3, 1, 1), nrow=4,
                         value_range=(-1.0, 1.0))

    run = TrainingRun(out=out, model=modules, optimizers={"g": opt_g, "d": opt_d},
                      steps=settings.steps, seed=seed, device=device,
                      sample_every=settings.sample_every or max(1, settings.steps // 10),
                      on_sample=on_sample, progress=settings.progress, config=config,
                      checkpoint_every=settings.checkpoint_every, minutes=settings.minutes,
                      should_stop=settings.should_stop,
                      ema={"g_ema": "g"} if settings.ema else None,
                      ema_decay=settings.ema or 0.0, export={EXPORT_NAME: result},
                      ddp_options={"broadcast_buffers": False})
    if settings.grow == 0:
        growing = 0
    for step, (real, pitch) in run.loop(dataset, batch_size=batch_size):
        progress = (blocks - 1) * min(1.0, step / growing) if growing else blocks - 1
        g, d = run.models["g"], run.models["d"]
        z = torch.randn(real.shape[0], LATENT_DIM, device=run.device)
        # As in Magenta, generated notes ask for pitches as often as the data has them (a
        # folder of a few pitches is not asked for the 61 its discriminator never heard).
        fake_pitch = _asked_pitches(pitch_counts, real.shape[0]).to(run.device)
        fake = g(z, fake_pitch, progress)
        real_logit, real_class = d(real, progress, pitch)
        fake_logit, _ = d(fake.detach(), progress, fake_pitch)
        pitch_loss = F.cross_entropy(real_class, pitch)
        loss_d = (F.softplus(fake_logit).mean() + F.softplus(-real_logit).mean()
                  + settings.pitch_weight * pitch_loss + 0.001 * real_logit.pow(2).mean())
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        gen_logit, gen_class = d(fake, progress, fake_pitch)
        gen_pitch_loss = F.cross_entropy(gen_class, fake_pitch)
        loss_g = F.softplus(-gen_logit).mean() + settings.pitch_weight * gen_pitch_loss
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        # How often the discriminator's pitch classifier names the pitch of real notes and of
        # generated ones (asked for): the second climbing is the conditioning taking hold.
        run.log(loss_d=loss_d, loss_g=loss_g, pitch_real=pitch_loss, pitch_fake=gen_pitch_loss,
                pitch_accuracy_real=(real_class.argmax(1) == pitch).float().mean(),
                pitch_accuracy_fake=(gen_class.argmax(1) == fake_pitch).float().mean(),
                progress=progress)
    return run, run.modules[result]
