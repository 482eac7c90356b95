"""Interactive machine learning, Wekinator style: learn, live, a mapping from what you do
to what the sketch does.

* :class:`Learner`: continuous and classifier outputs, one model per output;
* :class:`GestureLearner`: gestures recognised by dynamic time warping;
* :func:`load_learner`: a saved learner back, examples and models;
* :class:`Wekinator`: Wekinator's OSC protocol (``/wek/inputs`` in, ``/wek/outputs`` out),
  :class:`OscIn` / :class:`OscOut` for any other OSC, :class:`MidiIn` for controllers;
* ``sketchml.learn.features``: inputs from camera frames and sound buffers.

Examples:
    >>> import sketchml as sk
    >>> sk.Learner is sk.learn.Learner
    True
"""
from __future__ import annotations

from sketchml.learn import features
from sketchml.learn.dtw import GestureLearner
from sketchml.learn.learner import Learner
from sketchml.learn.midi_in import MidiIn
from sketchml.learn.osc import OscIn, OscOut, Wekinator
from sketchml.learn.store import load_learner

__all__ = ["GestureLearner", "Learner", "MidiIn", "OscIn", "OscOut", "Wekinator", "load_learner"]
