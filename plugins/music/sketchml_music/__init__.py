"""sketchml's first-party music families, registered exactly as a third party would.

* ``performance_rnn``: Magenta's Performance RNN (expressive piano as note-on, note-off,
  time-shift and velocity events), conditioned on note density and a key; the ``default``
  variant ships in this package, trained offline on the Bach works in music21's corpus.
* ``musicvae``: Magenta's MusicVAE (sample, encode, decode, slerp walks) for 2-bar melodies
  (``default``), 16-bar trios (``trio``) and multitrack bars that follow a chord
  progression (``multitrack``); all three ship here, trained offline on the same corpus.
* ``gansynth``: Magenta's GANSynth (instrument notes from a timbre latent and a pitch, as
  log-mel magnitude and instantaneous-frequency spectrograms); the ``default`` variant ships
  here, CPU-sized, trained offline on General MIDI instruments rendered by FluidSynth.

Registration only stores data: no torch, no networks, no weights are touched until a sketch
calls ``sk.model("performance_rnn")``, ``sk.model("musicvae")`` or ``sk.model("gansynth")``.
"""
from __future__ import annotations

import sketchml as sk


@sk.hookimpl
def sketchml_register_models(registry) -> None:
    registry.add(
        "performance_rnn",
        family="sketchml_music.performance_rnn:PerformanceRNN",
        modality="notes",
        verbs=["generate", "train"],
        variants={
            "default": {
                "weights": "weights/performance_rnn-default.safetensors",
                "default": True,
                "description": "multiconditioned Performance RNN (1 x 256 LSTM) trained offline "
                               "on music21's Bach corpus",
            },
        },
        description="Performance RNN (Simon & Oore 2017): expressive piano with temperature, "
                    "primer, note-density and key conditioning; train it on your MIDI",
    )
    registry.add(
        "musicvae",
        family="sketchml_music.musicvae:MusicVAE",
        modality="notes",
        verbs=["generate", "encode", "interpolate", "sample_latent", "train"],
        variants={
            "default": {
                "weights": "weights/musicvae-default.safetensors",
                "default": True,
                "description": "2-bar melody MusicVAE (cat-mel_2bar_small, smaller) trained "
                               "offline on the voices of music21's Bach corpus",
            },
            "trio": {
                "weights": "weights/musicvae-trio.safetensors",
                "description": "16-bar trio MusicVAE (hierdec-trio_16bar, smaller): melody, "
                               "bass and drums, trained offline on music21's Bach chorales",
            },
            "multitrack": {
                "weights": "weights/musicvae-multitrack.safetensors",
                "description": "multitrack MusicVAE with chords (hier-multiperf_vel_1bar_med_"
                               "chords, smaller): one bar per chord of up to 8 instruments, "
                               "trained offline on music21's Bach chorales",
            },
        },
        description="MusicVAE (Roberts et al. 2018): latent spaces of 2-bar melodies, 16-bar "
                    "trios and multitrack bars that follow chords, to sample, encode, decode "
                    "and walk; train it on your MIDI",
    )
    registry.add(
        "gansynth",
        family="sketchml_music.gansynth:GANSynth",
        modality="audio",
        verbs=["generate", "encode", "interpolate", "sample_latent", "train"],
        capabilities=["play_midi"],
        variants={
            "default": {
                "weights": "weights/gansynth-default.safetensors",
                "default": True,
                "description": "CPU-sized GANSynth (0.512 s notes, 32 x 128 mel spectrograms) "
                               "trained offline on pretty_midi's General MIDI soundfont",
            },
        },
        description="GANSynth (Engel et al. 2019): instrument notes at MIDI pitches 24-84 from a "
                    "timbre latent; slerp timbres along a MIDI file; train it on your notes",
    )
