"""MIDI out: notes played in time on a port, and a clear message where there is no MIDI system."""
from __future__ import annotations

import time

import mido
import pytest

import sketchml as sk
from sketchml.media.midi_out import MidiOut


class Recorder(mido.ports.BaseOutput):
    """A mido output port that keeps what it is sent, with when."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[float, mido.Message]] = []

    def _send(self, message: mido.Message) -> None:
        self.sent.append((time.monotonic(), message))


def test_notes_are_sent_in_order_and_in_time():
    port = Recorder()
    tune = sk.Notes([{"pitch": 60, "velocity": 90, "start_time": 0.0, "end_time": 0.2},
                     {"pitch": 36, "velocity": 70, "start_time": 0.1, "end_time": 0.3,
                      "is_drum": True}])
    began = time.monotonic()
    MidiOut(port=port).play(tune).join(timeout=5)
    notes = [(m.type, m.note, m.channel) for _, m in port.sent if m.type.startswith("note")]
    assert notes == [("note_on", 60, 0), ("note_on", 36, 9), ("note_off", 60, 0),
                     ("note_off", 36, 9)]
    last = port.sent[-1][0] - began
    assert last >= 0.29  # the last note-off waits for its time


def test_without_a_midi_system_the_error_says_what_to_do():
    if MidiOut.ports():
        pytest.skip("this machine has MIDI outputs")
    with pytest.raises(sk.SketchmlError, match="MIDI"):
        MidiOut()
    with pytest.raises(sk.SketchmlError, match="MIDI"):
        MidiOut("Some Synth")
