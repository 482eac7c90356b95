"""A small instrument-family classifier: the judge of how varied GANSynth's timbres are.

``scripts/train_gansynth_default.py`` trains it on the log-mel spectrograms of real notes
(the General MIDI instruments it renders, labelled with their GM family) and ships it beside
the generator as ``weights/gansynth-family-classifier.safetensors``. It is not part of the
model: the spread of the families it hears in generated notes (:func:`family_entropy`) is
compared with the spread it hears in real notes of instruments neither saw in training.

Examples:
    >>> import torch
    >>> from sketchml_music.timbre import FamilyClassifier, standardise
    >>> FamilyClassifier()(standardise(torch.randn(2, 1, 64, 128))).shape
    torch.Size([2, 16])
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["FAMILIES", "FamilyClassifier", "family_entropy", "standardise"]

FAMILIES = ["piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble",
            "brass", "reed", "pipe", "synth lead", "synth pad", "synth effects", "ethnic",
            "percussive", "sound effects"]
"""The 16 General MIDI instrument families, in program order (8 programs each)."""


class FamilyClassifier(nn.Module):
    """A small CNN: standardised log-mel magnitudes ``(N, 1, frames, mel_bins)`` -> 16 family logits.

    Any picture size works (the features are averaged over time and frequency); the shipped
    classifier was trained on ``CPU_FORMAT`` pictures, ``(64, 128)``.
    """

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 1
        for out in (width, width * 2, width * 4, width * 4):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, len(FAMILIES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def standardise(magnitudes: torch.Tensor) -> torch.Tensor:
    """Each note's log-mel magnitudes to mean 0, deviation 1, so loudness does not decide.

    Examples:
        >>> import torch
        >>> from sketchml_music.timbre import standardise
        >>> abs(float(standardise(torch.rand(1, 1, 4, 4) * 9 + 3).mean())) < 1e-5
        True
    """
    flat = magnitudes.flatten(1)
    flat = (flat - flat.mean(1, keepdim=True)) / (flat.std(1, keepdim=True) + 1e-6)
    return flat.view_as(magnitudes)


def family_entropy(votes: torch.Tensor) -> float:
    """Entropy of the families voted for, over log(16): 0 = all one family, 1 = all alike.

    Examples:
        >>> import torch
        >>> from sketchml_music.timbre import family_entropy
        >>> family_entropy(torch.arange(16)), family_entropy(torch.zeros(5, dtype=torch.long))
        (1.0, 0.0)
    """
    counts = torch.bincount(votes.flatten().long(), minlength=len(FAMILIES)).float()
    p = counts[counts > 0] / counts.sum()
    return round(float(-(p * p.log()).sum() / math.log(len(FAMILIES))), 6) + 0.0
