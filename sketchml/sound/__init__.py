"""Sound in sketches, as in Processing's Sound library, and audio-reactive walks.

* :func:`load_sound` / :class:`Sound`: play, loop, stop, amp, rate, pan files and results;
* :class:`AudioIn`: a microphone or line input;
* :class:`Analyzer`: loudness, FFT bands, onsets, beats, centroid and chroma per frame;
* :func:`audio_features`: the same offline for a whole file, one value per video frame;
* :func:`react` / :class:`Reactor`: a song drives any image model's latent walk.

Playback goes through the speakers where there is an audio device and is silent but
on time where there is none; a headless render is frame-exact and its video gets the
sound (see :mod:`sketchml.sound.render`). Importing this package imports numpy only.
"""
from __future__ import annotations

from sketchml.sound.analysis import PITCH_CLASSES, Analyzer
from sketchml.sound.audio_in import AudioIn
from sketchml.sound.features import AudioFeatures, audio_features
from sketchml.sound.react import ReactFrame, Reactor, react, react_frames
from sketchml.sound.sound import Sound, load_sound

__all__ = ["Analyzer", "AudioFeatures", "AudioIn", "PITCH_CLASSES", "ReactFrame", "Reactor", "Sound",
           "audio_features", "load_sound", "react", "react_frames"]
