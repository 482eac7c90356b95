"""sketchml's first-party music families, registered exactly as a third party would.

* ``performance_rnn``: Magenta's Performance RNN (expressive piano as note-on, note-off,
  time-shift and velocity events), conditioned on note density and a key; the ``default``
  variant ships in this package, trained offline on the Bach works in music21's corpus.

Registration only stores data: no torch, no networks, no weights are touched until a sketch
calls ``sk.model("performance_rnn")``.
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
                "description": "multiconditioned Performance RNN (2 x 192 LSTM) trained offline "
                               "on music21's Bach corpus",
            },
        },
        description="Performance RNN (Simon & Oore 2017): expressive piano with temperature, "
                    "primer, note-density and key conditioning; train it on your MIDI",
    )
