"""MusicVAE: a latent space of 2-bar melodies to sample, encode, decode and walk.

After Roberts et al., "A Hierarchical Latent Vector Model for Learning Long-Term Structure
in Music" (ICML 2018) and Magenta's ``music_vae`` configs ``cat-mel_2bar_small`` /
``cat-mel_2bar_big`` (:data:`CONFIGS`). A melody is 32 sixteenth-note steps (two bars of
4/4), each one class of Magenta's melody one-hot encoding::

    0 = no event (the note before goes on), 1 = note off (a rest), 2 + p - 21 = note-on of
    pitch p, for pitches 21..108 (the piano's keys): 90 classes.

The encoder is a bidirectional LSTM over the one-hot steps; its last forward and backward
states give ``mu`` and ``sigma = softplus(.)`` of a Gaussian over ``z``. The decoder is an
LSTM whose initial states come from ``tanh(Linear(z))`` and whose input at each step is the
previous step's one-hot class with ``z`` appended (Magenta's ``CategoricalLstmDecoder``,
trained with teacher forcing). The loss is the reconstruction cross-entropy plus
``beta * max(KL - free_bits, 0)``, ``beta`` rising towards ``max_beta`` as
``1 - beta_rate ** step``.

``encode`` keeps both ``mu`` (the latent, key ``"z"``) and ``sigma`` (key ``"sigma"``);
``interpolate`` is a slerp of the means, as Magenta's ``interpolate`` is.

Magenta's published checkpoints load unchanged, with no TensorFlow:
``sk.model("musicvae", weights="cat-mel_2bar_big.tar")`` (or a ``.ckpt`` prefix, the
folder holding one, or a magenta.js folder with ``weights_manifest.json``, e.g.
``mel_2bar_small``; the hierarchical trio ``hierdec-trio_16bar`` and the multitrack
``hier-multiperf_vel_1bar_med_chords`` too, the latter in Magenta's own 490-class event
vocabulary) converts them once into safetensors in sketchml's cache;
``scripts/convert_magenta_checkpoint.py`` writes the file where you choose. The TensorFlow
variable -> key mapping is in :mod:`sketchml_music.musicvae_magenta`'s docstring.

Weights layout (sketchml's own; safetensors)::

    spec                      (4,) int32   z size, steps (32), min pitch (21), max pitch (108)
    encoder.weight_ih_l0 / _reverse, encoder.weight_hh_l0 / _reverse, biases  (nn.LSTM, bidirectional)
    mu.weight (Z, 2E), mu.bias; sigma.weight (Z, 2E), sigma.bias
    initial.weight (2 * layers * D, Z), initial.bias       h then c of each decoder layer
    decoder.weight_ih_l{k}, decoder.weight_hh_l{k}, biases  (nn.LSTM; input 90 + Z at l0)
    head.weight (90, D), head.bias
"""
from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import sketchml as sk
from sketchml.plugin import TrainingRun, TrainSettings, did_you_mean, setting

__all__ = ["CONFIGS", "MelodyCoding", "MusicVAE", "MusicVAENet", "MusicVAETraining",
           "melody_windows", "reconstruction_accuracy", "train_musicvae"]

EXPORT_NAME = "musicvae.safetensors"
HOLD, REST = 0, 1

# Magenta's published 2-bar melody configs (music_vae/configs.py); batch 512, lr 0.001.
CONFIGS: dict[str, dict[str, Any]] = {
    "cat-mel_2bar_small": {"z": 256, "encoder": 512, "decoder": 256, "layers": 2,
                           "max_beta": 0.2, "beta_rate": 0.99999, "free_bits": 0.0},
    "cat-mel_2bar_big": {"z": 512, "encoder": 2048, "decoder": 2048, "layers": 3,
                         "max_beta": 0.5, "beta_rate": 0.99999, "free_bits": 0.0},
}


def kl_penalty(mu: torch.Tensor, sigma: torch.Tensor, step: int,
               settings: dict[str, Any]) -> tuple[torch.Tensor, float, torch.Tensor]:
    """``(kl, beta, penalty)``: MusicVAE's KL term at ``step``.

    ``kl`` is the mean KL divergence of ``N(mu, sigma)`` from ``N(0, 1)``, ``beta`` rises
    towards ``max_beta`` as ``1 - beta_rate ** step``, and the loss adds
    ``penalty = beta * max(kl - free_bits, 0)``.
    """
    kl = (0.5 * (mu ** 2 + sigma ** 2 - 1) - torch.log(sigma + 1e-8)).sum(-1).mean()
    beta = (1 - settings["beta_rate"] ** step) * settings["max_beta"]
    return kl, beta, beta * torch.clamp(kl - settings["free_bits"], min=0)


def monophonic_line(notes: Sequence[Any], step: float, size: int, min_pitch: int,
                    max_pitch: int) -> list[int]:
    """``size`` steps of melody classes (hold 0, rest 1, note-on ``2 + pitch - min_pitch``).

    Monophonic, as Magenta's melody extraction: the highest note starting at a step wins,
    and each note ends where the next chosen one starts. ``step`` is a step's length in
    seconds; notes outside ``min_pitch..max_pitch`` are left out.
    """
    onsets: dict[int, tuple[int, int]] = {}
    for note in notes:
        begin = round(note.start / step)
        end = max(round(note.end / step), begin + 1)
        if begin < size and min_pitch <= note.pitch <= max_pitch and \
                note.pitch > onsets.get(begin, (-1, 0))[0]:
            onsets[begin] = (note.pitch, end)
    out = [REST] * size
    order = sorted(onsets)
    for begin, following in zip(order, order[1:] + [size]):
        pitch, end = onsets[begin]
        out[begin] = 2 + pitch - min_pitch
        for at in range(begin + 1, min(end, following)):
            out[at] = HOLD
    return out


class MelodyCoding:
    """Melodies as 32 steps of Magenta's 90 melody classes, at ``qpm`` beats a minute.

    Examples:
        >>> code = MelodyCoding()
        >>> steps = code.encode([{"pitch": 60, "start_time": 0, "end_time": 0.25}])
        >>> steps[:4], code.decode(steps)[0]["end_time"]
        ([41, 0, 1, 1], 0.25)
    """

    def __init__(self, *, steps: int = 32, min_pitch: int = 21, max_pitch: int = 108,
                 qpm: float = 120.0) -> None:
        self.steps = steps
        self.min_pitch = min_pitch
        self.max_pitch = max_pitch
        self.qpm = qpm

    @property
    def classes(self) -> int:
        """90 for the piano's range: hold, rest and one note-on per pitch."""
        return 2 + self.max_pitch - self.min_pitch + 1

    @property
    def step_seconds(self) -> float:
        """The length of one sixteenth note."""
        return 60.0 / self.qpm / 4

    def grid(self, notes: Any, length: int | None = None) -> list[int]:
        """The melody on the sixteenth grid from time 0, at the notes' own tempo.

        The highest note wins where notes overlap.
        """
        music = sk.Notes(notes)
        items = [n for n in music.notes if not n.is_drum]
        step_seconds = 60.0 / music.tempo / 4
        size = length or max((round(n.end / step_seconds) for n in items), default=0)
        return monophonic_line(items, step_seconds, size, self.min_pitch, self.max_pitch)

    def encode(self, notes: Any) -> list[int]:
        """The first ``steps`` sixteenths of a melody (rests where it is shorter).

        The tempo is the notes' own (``sk.Notes.tempo``; 120 for plain note lists).
        """
        return self.grid(notes, self.steps)

    def decode(self, classes: Sequence[int], *, velocity: int = 90) -> list[dict[str, Any]]:
        """Notes from melody classes (a hold after a rest is a rest)."""
        notes: list[dict[str, Any]] = []
        current, began = None, 0
        for step, value in enumerate(list(classes) + [REST]):
            if value == HOLD:
                continue
            if current is not None:
                notes.append({"pitch": current, "velocity": velocity,
                              "start_time": began * self.step_seconds,
                              "end_time": step * self.step_seconds})
            current, began = (value - 2 + self.min_pitch, step) if value >= 2 else (None, step)
        return notes


def melody_windows(notes: Any, coding: MelodyCoding, *, hop: int = 8,
                   min_notes: int = 4) -> list[list[int]]:
    """Every ``coding.steps``-long window of a melody, ``hop`` steps apart, with ``min_notes`` notes.

    Examples:
        >>> code = MelodyCoding()
        >>> tune = [{"pitch": 60 + i, "start_time": i * 0.25, "end_time": i * 0.25 + 0.25}
        ...         for i in range(32)]
        >>> len(melody_windows(tune, code, hop=16))
        3
    """
    steps = coding.grid(notes)
    windows = []
    for begin in range(0, max(0, len(steps) - coding.steps) + 1, hop):
        window = steps[begin:begin + coding.steps]
        if len(window) < coding.steps:
            break
        if window[0] == HOLD:
            # The note sounding at the window's start is cut: it starts the window as a rest.
            window = [REST] + window[1:]
            index = 1
            while index < len(window) and window[index] == HOLD:
                window[index] = REST
                index += 1
        if sum(v >= 2 for v in window) >= min_notes:
            windows.append(window)
    return windows


class MusicVAENet(nn.Module):
    """Bidirectional LSTM encoder -> (mu, sigma) of z -> LSTM decoder over melody classes.

    Examples:
        >>> net = MusicVAENet(z=8, encoder=16, decoder=16, layers=1)
        >>> mu, sigma = net.encode(torch.zeros(2, 32, dtype=torch.long))
        >>> tuple(mu.shape), tuple(net.decode_logits(mu, torch.zeros(2, 32, dtype=torch.long)).shape)
        ((2, 8), (2, 32, 90))
    """

    def __init__(self, *, z: int = 256, encoder: int = 512, decoder: int = 256, layers: int = 2,
                 coding: MelodyCoding | None = None) -> None:
        super().__init__()
        self.coding = coding or MelodyCoding()
        v = self.coding.classes
        self.register_buffer("spec", torch.tensor(
            [z, self.coding.steps, self.coding.min_pitch, self.coding.max_pitch], dtype=torch.int32))
        self.encoder = nn.LSTM(v, encoder, 1, batch_first=True, bidirectional=True)
        self.mu = nn.Linear(2 * encoder, z)
        self.sigma = nn.Linear(2 * encoder, z)
        self.initial = nn.Linear(z, 2 * layers * decoder)
        self.decoder = nn.LSTM(v + z, decoder, layers, batch_first=True)
        self.head = nn.Linear(decoder, v)
        # One-hot inputs reach the cells through single columns: give those columns unit
        # scale, as for Performance RNN, so learning starts at once.
        with torch.no_grad():
            self.encoder.weight_ih_l0.normal_(0.0, 1.0)
            self.encoder.weight_ih_l0_reverse.normal_(0.0, 1.0)
            self.decoder.weight_ih_l0[:, :v].normal_(0.0, 1.0)

    @property
    def z_size(self) -> int:
        """The size of the latent."""
        return self.mu.out_features

    def _onehot(self, classes: torch.Tensor) -> torch.Tensor:
        return F.one_hot(classes.clamp(min=-1) + 1, self.coding.classes + 1)[..., 1:].float()

    def encode(self, classes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, sigma)``, each ``(N, Z)``, of melodies ``(N, 32)`` of classes."""
        _, (h, _) = self.encoder(self._onehot(classes))
        last = torch.cat([h[-2], h[-1]], dim=-1)
        return self.mu(last), F.softplus(self.sigma(last))

    def start_state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder's initial ``(h, c)`` from ``z``."""
        layers, size = self.decoder.num_layers, self.decoder.hidden_size
        state = torch.tanh(self.initial(z)).view(-1, 2, layers, size).permute(1, 2, 0, 3)
        return state[0].contiguous(), state[1].contiguous()

    def step_inputs(self, previous: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Decoder inputs ``(N, T, V + Z)`` from previous classes ``(N, T)`` (-1 = none yet)."""
        return torch.cat([self._onehot(previous), z[:, None].expand(-1, previous.shape[1], -1)], -1)

    def decode_logits(self, z: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits ``(N, T, V)`` for melodies ``targets`` ``(N, T)`` from ``z``."""
        previous = torch.cat([targets.new_full((len(targets), 1), -1), targets[:, :-1]], dim=1)
        out, _ = self.decoder(self.step_inputs(previous, z), self.start_state(z))
        return self.head(out)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], source: str) -> MusicVAENet:
        """Rebuild and load the network a state dict in this module's layout came from."""
        needed = ("spec", "encoder.weight_hh_l0", "decoder.weight_hh_l0", "mu.weight", "head.weight")
        missing = [k for k in needed if k not in state]
        if missing:
            raise sk.SketchmlError(
                f"{source} is not MusicVAE weights: it lacks {', '.join(missing)}. Load a file "
                f"written by sketchml's MusicVAE training (`sketchml train musicvae FOLDER --out DIR`).")
        z, steps, low, high = (int(v) for v in state["spec"].tolist())
        net = cls(z=z, encoder=state["encoder.weight_hh_l0"].shape[1],
                  decoder=state["decoder.weight_hh_l0"].shape[1],
                  layers=sum(1 for k in state if re.fullmatch(r"decoder\.weight_hh_l\d+", k)),
                  coding=MelodyCoding(steps=steps, min_pitch=low, max_pitch=high))
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            raise sk.SketchmlError(f"{source} does not match the MusicVAE layout: {err}") from err
        return net


@torch.no_grad()
def reconstruction_accuracy(net: MusicVAENet, melodies: Sequence[Sequence[int]]) -> float:
    """The share of steps that come back right when melodies are encoded to ``mu`` and decoded greedily.

    Examples:
        >>> net = MusicVAENet(z=4, encoder=8, decoder=8, layers=1)
        >>> 0 <= reconstruction_accuracy(net, [[41] + [0] * 31]) <= 1
        True
    """
    device = net.head.weight.device
    targets = torch.tensor([list(m) for m in melodies], dtype=torch.long, device=device)
    was_training = net.training
    net.eval()
    mu, _ = net.encode(targets)
    decoded = _decode(net, mu, temperature=None, generator=None)
    net.train(was_training)
    return float((decoded == targets.cpu()).float().mean())


@torch.no_grad()
def _decode(net: MusicVAENet, z: torch.Tensor, *, temperature: float | None,
            generator: torch.Generator | None) -> torch.Tensor:
    """Classes ``(N, steps)`` decoded from ``z``: sampled at ``temperature``, or greedy if None."""
    state = net.start_state(z)
    previous = torch.full((len(z), 1), -1, dtype=torch.long, device=z.device)
    out = []
    for _ in range(net.coding.steps):
        hidden, state = net.decoder(net.step_inputs(previous, z), state)
        logits = net.head(hidden[:, -1]).double().cpu()
        if temperature is None:
            choice = logits.argmax(dim=-1)
        else:
            choice = torch.multinomial(torch.softmax(logits / temperature, -1), 1,
                                       generator=generator)[:, 0]
        out.append(choice)
        previous = choice[:, None].to(z.device)
    return torch.stack(out, dim=1)


@dataclass
class MusicVAETraining(TrainSettings):
    """What ``MusicVAE.train`` and ``sketchml train musicvae`` take.

    Sizes and the KL schedule left unset come from ``config``.

    Examples:
        >>> MusicVAETraining.build("musicvae", {"z": 4}).config
        'cat-mel_2bar_small'
    """

    batch_size: int = setting(64, "2-bar melodies per step")
    config: str = setting("cat-mel_2bar_small", "the MusicVAE config whose sizes and KL "
                                                "schedule are the defaults: cat-mel_2bar_small, "
                                                "cat-mel_2bar_big, hierdec-trio_16bar or "
                                                "hier-multiperf_vel_1bar_med_chords")
    z: int | None = setting(None, "numbers per latent (default: the config's)")
    encoder: int | None = setting(None, "units per encoder LSTM direction (default: the "
                                        "config's)")
    decoder: int | None = setting(None, "units per decoder LSTM layer (default: the config's)")
    layers: int | None = setting(None, "decoder LSTM layers (default: the config's)")
    lr: float = setting(0.001, "Adam's learning rate")
    max_beta: float | None = setting(None, "the KL weight's final value (default: the "
                                           "config's)")
    beta_rate: float | None = setting(None, "how fast the KL weight rises to max_beta "
                                            "(default: the config's)")
    free_bits: float | None = setting(None, "nats of KL left free of cost (default: the "
                                            "config's)")
    transpose: int = setting(3, "each batch is transposed by a random number of semitones in "
                                "-transpose..transpose")
    validation: float = setting(0.1, "the share of pieces held out (by a stable hash of their "
                                     "names) to log val_accuracy, their reconstruction accuracy")
    encoder_layers: int | None = setting(None, "encoder LSTM layers (hierarchical configs; "
                                               "default: the config's)")
    chord_dropout: float = setting(0.1, "multitrack: the share of bars shown with no chord, so "
                                        "the model also plays unconditioned")
    sample_every: int | None = setting(None, "not used: a MusicVAE run writes no samples",
                                       flag=False)

    UNUSED = ("sample_every",)

    def arguments(self, *leave_out: str) -> dict[str, Any]:
        """The settings as keyword arguments for a training function, less the fields this
        family does not use (``UNUSED``) and ``leave_out``.

        Examples:
            >>> sorted(MusicVAETraining().arguments("chord_dropout"))[:3]
            ['batch_size', 'beta_rate', 'checkpoint_every']
        """
        dropped = set(self.UNUSED) | set(leave_out)
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in dropped}


class MusicVAE(sk.Model):
    """MusicVAE's 2-bar melody model: sample, encode your melodies, decode, walk between them.

    ``sk.model("musicvae")`` is ``musicvae.default``: Magenta's ``cat-mel_2bar_small``
    architecture at a smaller size, trained offline on the melodies of the Bach works in
    music21's corpus (``scripts/train_musicvae_default.py``). Melodies play at 120 bpm.

    Examples:
        >>> import sketchml as sk
        >>> vae = sk.model("musicvae", device="cpu")
        >>> tunes = vae.generate(vae.sample_latent(2, seed=1), temperature=0.5, seed=1)
        >>> len(tunes), tunes[0].total_time <= 4.0
        (2, True)
    """

    TrainSettings = MusicVAETraining
    interpolation = "slerp"

    def load(self) -> None:
        given = Path(self.weights).expanduser() if self.weights is not None else None
        from sketchml_music.magenta_io import is_magenta

        if given is not None and is_magenta(given):
            # Magenta's published checkpoint: converted once, then read from sketchml's cache.
            from sketchml.plugin import load_weights
            from sketchml_music.magenta_io import converted
            from sketchml_music.musicvae_magenta import convert_magenta_file

            state = load_weights(converted(given, self.family, convert_magenta_file))
            source = repr(str(given))
        elif given is not None and given.is_dir():
            from sketchml.plugin import run_weights

            found = run_weights(given, export=EXPORT_NAME, models=("model",))
            if found is None:
                raise sk.SketchmlError(
                    f"{str(given)!r} holds no trained MusicVAE: no {EXPORT_NAME} and no "
                    f"checkpoints/. Train one there with `sketchml train musicvae MIDI_FOLDER "
                    f"--out {given}`.")
            state, source = found
        else:
            state, source = self.load_weights(), repr(str(given)) if given else f"model {self.name!r}"
        from sketchml_music.musicvae_hier import network_from_state

        net = network_from_state(state, source) or MusicVAENet.from_state_dict(state, source)
        self.network = net.to(self.device).eval()
        self.source = source

    @property
    def coding(self) -> Any:
        """How music becomes steps of classes (``MelodyCoding``, ``TrioCoding`` or ``MultitrackCoding``)."""
        return self.network.coding

    @property
    def kind(self) -> str:
        """``"melody"`` (2 bars), ``"trio"`` (16 bars) or ``"multitrack"`` (a bar with a chord)."""
        return getattr(self.network, "kind", "melody")

    def sample_latent(self, n: int = 1, *, seed: int | None = None) -> sk.Latent:
        """``n`` latents from the prior, a standard normal ``(n, Z)``.

        Examples:
            >>> import sketchml as sk
            >>> vae = sk.model("musicvae", device="cpu")
            >>> z = vae.sample_latent(3, seed=1)
            >>> len(z), z.seed
            (3, 1)
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise sk.SketchmlError(f"n must be a whole number >= 1, got {n!r}.")
        return self.latent(self.randn(n, self.network.z_size, seed=seed), seed=seed)

    @torch.no_grad()
    def encode(self, data: Any) -> sk.Latent:
        """The latents of melodies: ``"z"`` = mu, ``"sigma"`` = the encoder's sigma, ``(N, Z)`` each.

        ``data`` is one melody (``sk.Notes``, a NoteSequence, a MIDI file path) or a list of
        them; each is read from time 0 for two bars at its own tempo (``sk.Notes.tempo``,
        120 bpm for a plain list), the highest note winning where notes overlap.

        Examples:
            >>> import sketchml as sk
            >>> vae = sk.model("musicvae", device="cpu")
            >>> tune = sk.Notes([{"pitch": 67 - i, "start_time": i / 2, "end_time": i / 2 + 0.5}
            ...                  for i in range(8)])
            >>> z = vae.encode(tune)
            >>> sorted(z.tensors), tuple(z.tensor.shape)
            (['sigma', 'z'], (1, 64))
        """
        items = list(data) if isinstance(data, (list, tuple)) and data and not isinstance(
            data[0], (dict, int)) and not hasattr(data[0], "pitch") else [data]
        music = []
        for item in items:
            if isinstance(item, (str, os.PathLike)):
                from sketchml.plugin import read_midi

                item = read_midi(item)
            music.append(item if isinstance(item, sk.Notes) else sk.Notes(item, tempo=self.coding.qpm))
        if self.kind == "melody":
            classes = torch.tensor([self.coding.encode(m) for m in music], dtype=torch.long,
                                   device=self.device)
            mu, sigma = self.network.encode(classes)
        else:
            from sketchml_music.musicvae_hier import encode_music

            mu, sigma = encode_music(self.network, music)
        return self.latent({"z": mu, "sigma": sigma})

    def interpolate(self, a: Any, b: Any, *, steps: int = 10, method: str | None = None) -> sk.Latent:
        """``steps`` latents from ``a`` to ``b``: a slerp of the means (melodies are encoded first).

        Examples:
            >>> import sketchml as sk
            >>> vae = sk.model("musicvae", device="cpu")
            >>> walk = vae.interpolate(vae.sample_latent(seed=1), vae.sample_latent(seed=2), steps=5)
            >>> len(vae.generate(walk, seed=0))
            5
        """
        first = a if isinstance(a, sk.Latent) else self.encode(a)
        last = b if isinstance(b, sk.Latent) else self.encode(b)
        means = [self.latent({"z": z.tensors["z"]}) for z in (first, last)]
        return super().interpolate(means[0], means[1], steps=steps, method=method)

    @torch.no_grad()
    def generate(self, latent: Any = None, *, temperature: float = 0.5, chords: Any = None,
                 seed: int | None = None) -> sk.Notes | list[sk.Notes]:
        """Decode music from latents, sampling each step at ``temperature``.

        A melody model plays 2 bars, the trio (``musicvae.trio``) 16 bars of melody (instrument
        0), bass (1) and drums (9), the multitrack model (``musicvae.multitrack``) one bar of
        up to 8 instruments per chord of ``chords``.

        Args:
            latent: ``None`` (one result from a random latent), a count ``n``, or an
                ``sk.Latent`` (``sample_latent``, ``encode``, ``interpolate``).
            temperature: above 0 (default 0.5, Magenta's): low plays the likeliest music,
                1.0 samples as trained.
            chords: multitrack only: chord symbols, one a bar (``["C", "G", "Am", "F"]`` or
                ``"C G Am F"``); each latent plays every bar, each bar following its chord.
                Default: one bar with no chord.
            seed: makes the sampling (and a random latent) reproducible.

        Returns:
            ``sk.Notes`` for ``latent=None``, else a list with one per latent.

        Examples:
            >>> import sketchml as sk
            >>> vae = sk.model("musicvae", device="cpu")
            >>> len(vae.generate(seed=3)) > 0
            True
        """
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
                or not math.isfinite(temperature) or temperature <= 0:
            raise sk.SketchmlError(f"temperature must be a number above 0 (0.5 is Magenta's "
                                   f"default), got {temperature!r}.")
        if seed is None:
            import secrets

            seed = secrets.randbits(62)
        z = self.as_latent(latent, seed=seed)
        tensor = z.tensors["z"].to(self.device, torch.float32)
        if tensor.dim() != 2 or tensor.shape[1] != self.network.z_size:
            raise sk.SketchmlError(f"This MusicVAE's latents are (N, {self.network.z_size}); got "
                                   f"{tuple(tensor.shape)}. Make them with sample_latent or encode.")
        if self.kind == "melody":
            if chords is not None:
                raise sk.SketchmlError("chords= steers the multitrack MusicVAE "
                                       "(sk.model('musicvae.multitrack')); a melody model plays "
                                       "without chords.")
            classes = _decode(self.network, tensor, temperature=float(temperature),
                              generator=self.generator(seed))
            decoded = [self.coding.decode(row) for row in classes.tolist()]
        else:
            from sketchml_music.musicvae_hier import decode_music

            decoded = decode_music(self.network, tensor, temperature=float(temperature),
                                   generator=self.generator(seed), chords=chords)
        results = []
        for i, row in enumerate(decoded):
            notes = sk.Notes(row, tempo=self.coding.qpm, latent=z[i])
            notes.seed = seed  # type: ignore[attr-defined]
            results.append(notes)
        return results[0] if latent is None else results

    def reconstruction_accuracy(self, melodies: Sequence[Any]) -> float:
        """The share of steps of ``melodies`` (notes: melodies, trios or bars, as the model
        plays) that survive encode + greedy decode (events in place for the multitrack)."""
        if self.kind != "melody":
            from sketchml_music.musicvae_hier import accuracy

            return accuracy(self.network, [m if isinstance(m, sk.Notes) else sk.Notes(m)
                                           for m in melodies])
        return reconstruction_accuracy(self.network, [self.coding.encode(m) for m in melodies])

    def train(self, data: Any, *, out: str | os.PathLike[str] | None = None,
              **options: Any) -> TrainingRun:
        """Train a new 2-bar melody MusicVAE on a folder of MIDI files, ``"bach"`` or a list of notes.

        Every 2-bar window (a half bar apart, at 120 bpm) of every instrument's top line with
        at least four notes is a training melody; each batch is transposed by a random
        number of semitones in ``-transpose..transpose``. Sizes and the KL schedule default to
        ``config``'s (one of :data:`CONFIGS`); ``z``, ``encoder``, ``decoder``, ``layers``,
        ``max_beta``, ``beta_rate`` and ``free_bits`` override them. ``validation`` holds out
        that share of the pieces (by a stable hash of their names) and logs ``val_accuracy``,
        the reconstruction accuracy on them. ``options`` are the :class:`MusicVAETraining`
        settings, the flags of ``sketchml train musicvae`` (and ``should_stop``, called after
        every step: training stops and saves once it returns True); ``seed`` defaults to the
        resumed run's, else a new one, recorded in the run. Returns the ``TrainingRun``; this
        model then uses the trained network.

        Examples:
            >>> import sketchml as sk, tempfile
            >>> vae = sk.model("musicvae", device="cpu")
            >>> run = vae.train([sk.Notes([{"pitch": 60 + i % 5, "start_time": i / 4,
            ...                             "end_time": i / 4 + 0.25} for i in range(40)])],
            ...                 out=tempfile.mkdtemp(), steps=2, z=4, encoder=8, decoder=8,
            ...                 layers=1, batch_size=2, validation=0, progress=False)
            >>> run.step
            2
        """
        from sketchml_music.musicvae_hier import HIER_CONFIGS, train_hier

        settings = MusicVAETraining.build(self.family, options)
        if settings.config in HIER_CONFIGS:
            run, net = train_hier(data, out=out, device=self.device, **settings.arguments())
        else:
            run, net = train_musicvae(data, out=out, device=self.device,
                                      **settings.arguments("encoder_layers", "chord_dropout"))
        self.network = net.to(self.device).eval()
        self.source = repr(str(Path(out) / EXPORT_NAME))  # type: ignore[arg-type]
        return run


# -- training ------------------------------------------------------------------------------------

class _Melodies(torch.utils.data.Dataset):
    """Melody windows, each transposed afresh when drawn."""

    def __init__(self, windows: list[list[int]], coding: MelodyCoding, transpose: int) -> None:
        self.windows = torch.tensor(windows, dtype=torch.long)
        self.coding = coding
        self.transpose = transpose

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> torch.Tensor:
        window = self.windows[index]
        notes = window >= 2
        pitches = window[notes] - 2
        low, high = -int(pitches.min()), self.coding.classes - 3 - int(pitches.max())
        shift = int(torch.randint(max(-self.transpose, low), min(self.transpose, high) + 1, ()))
        moved = window.clone()
        moved[notes] += shift
        return moved


def _named_melodies(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, (list, tuple)):
        if not data:
            raise sk.SketchmlError("The list of melodies to train on is empty.")
        return [(f"item{i}", item) for i, item in enumerate(data)]
    if data == "bach":
        from sketchml_music.corpus import bach_pieces

        return [(piece.name, part) for piece in bach_pieces() for part in piece.parts]
    if isinstance(data, (str, os.PathLike)):
        from sketchml.plugin import MidiFolder

        folder = MidiFolder(data)
        named = []
        for path, notes in zip(folder.paths, folder.songs):
            for instrument in sorted({n.instrument for n in notes if not n.is_drum}):
                named.append((str(path.relative_to(folder.root)),
                              [n for n in notes if n.instrument == instrument and not n.is_drum]))
        return named
    raise sk.SketchmlError(f"data must be a folder of MIDI files, 'bach' or a list of notes; got "
                           f"{type(data).__name__}.")


def train_musicvae(data: Any, *, out: str | os.PathLike[str] | None, steps: int = 2000,
                   config: str = "cat-mel_2bar_small", z: int | None = None,
                   encoder: int | None = None, decoder: int | None = None,
                   layers: int | None = None, batch_size: int = 64, lr: float = 0.001,
                   max_beta: float | None = None, beta_rate: float | None = None,
                   free_bits: float | None = None, transpose: int = 3, validation: float = 0.1,
                   seed: int | None = None, minutes: float | None = None,
                   checkpoint_every: int | None = None, progress: bool | None = None,
                   should_stop: Callable[[], bool] | None = None,
                   device: Any = None) -> tuple[TrainingRun, MusicVAENet]:
    """Train a 2-bar melody MusicVAE (see :meth:`MusicVAE.train`); returns ``(run, net)``.

    ``seed=None`` takes the resumed run's seed, else a new one (recorded in the run).

    Examples:
        >>> import tempfile, sketchml as sk
        >>> from sketchml_music.musicvae import train_musicvae
        >>> tune = sk.Notes([{"pitch": 62 + i % 3, "start_time": i / 4, "end_time": i / 4 + 0.25}
        ...                  for i in range(40)])
        >>> run, net = train_musicvae([tune], out=tempfile.mkdtemp(), steps=1, z=4, encoder=8,
        ...                           decoder=8, layers=1, batch_size=1, validation=0,
        ...                           progress=False, device="cpu")
        >>> net.z_size
        4
    """
    import zlib

    from sketchml.plugin import latest_checkpoint, seed_everything

    if out is None:
        raise sk.SketchmlError("train() needs out='folder' for checkpoints and the trained "
                               "weights, e.g. vae.train('my_midis/', out='runs/melodies').")
    seed = MusicVAETraining(seed=seed).seed_for(out)
    if config not in CONFIGS:
        from sketchml_music.musicvae_hier import HIER_CONFIGS

        known = [*CONFIGS, *HIER_CONFIGS]
        raise sk.SketchmlError(f"config={config!r} is not a MusicVAE config here; use one of "
                               f"{', '.join(known)}.{did_you_mean(config, known)}")
    given = {"z": z, "encoder": encoder, "decoder": decoder, "layers": layers,
             "max_beta": max_beta, "beta_rate": beta_rate, "free_bits": free_bits}
    settings = {**CONFIGS[config], **{k: v for k, v in given.items() if v is not None}}
    for name in ("z", "encoder", "decoder", "layers"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise sk.SketchmlError(f"{name} must be a whole number >= 1, got {value!r}.")
    if not 0 <= validation < 0.5:
        raise sk.SketchmlError(f"validation is the share of pieces held out, from 0 to 0.5; "
                               f"got {validation!r}.")

    coding = MelodyCoding()

    def held(name: str) -> bool:
        return validation > 0 and zlib.crc32(name.encode()) % 1000 < validation * 1000

    named = _named_melodies(data)
    train_windows = [w for name, notes in named if not held(name) for w in melody_windows(notes, coding)]
    held_windows = [w for name, notes in named if held(name) for w in melody_windows(notes, coding, hop=16)]
    if not train_windows:
        raise sk.SketchmlError("No 2-bar melody with at least 4 notes was found to train on: the "
                               "music is too short or too sparse (it is read at 120 bpm).")
    model_config = {"family": "musicvae", "config": config, **settings}
    previous = latest_checkpoint(Path(out) / "checkpoints")
    if previous is not None:
        before = previous.meta.get("config", {})
        changed = [k for k in ("z", "encoder", "decoder", "layers") if before.get(k) != settings[k]]
        if changed:
            raise sk.SketchmlError(
                f"{out} holds a MusicVAE run with different "
                f"{', '.join(f'{k}={before.get(k)!r}' for k in changed)}; resume with the same "
                f"settings or train into another out= folder.")
    seed_everything(seed)
    net = MusicVAENet(z=settings["z"], encoder=settings["encoder"], decoder=settings["decoder"],
                      layers=settings["layers"], coding=coding)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    run = TrainingRun(out=out, model=net, optimizers=optimizer, steps=steps, seed=seed,
                      device=device, progress=progress, config=model_config,
                      checkpoint_every=checkpoint_every)
    dataset = _Melodies(train_windows, coding, transpose)
    eval_every = max(1, steps // 10)
    started = time.monotonic()
    for step, melodies in run.loop(dataset, batch_size=min(batch_size, len(dataset))):
        if (minutes is not None and time.monotonic() - started > minutes * 60) or \
                (should_stop is not None and should_stop()):
            break
        mu, sigma = run.model.encode(melodies)
        sample = mu + sigma * torch.randn_like(mu)
        logits = run.model.decode_logits(sample, melodies)
        recon = F.cross_entropy(logits.flatten(0, 1), melodies.flatten(), reduction="sum") / len(melodies)
        kl, beta, penalty = kl_penalty(mu, sigma, step, settings)
        loss = recon + penalty
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        values = {"recon": recon.detach(), "kl": kl.detach(), "beta": beta}
        if held_windows and (step % eval_every == 0 or step == steps):
            values["val_accuracy"] = reconstruction_accuracy(net, held_windows[:512])
        run.log(**values)
    if run.checkpoint is None or run.checkpoint.step != run.step:
        run.save()
    if run.is_main:
        from safetensors.torch import save

        from sketchml.plugin import atomic_write_bytes

        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        meta = {"format": "sketchml.musicvae/1", "config": json.dumps({**model_config, "step": run.step})}
        atomic_write_bytes(Path(out) / EXPORT_NAME, save(state, metadata=meta))
    return run, net.eval()
