"""MIDI controllers as inputs: knobs, faders and pads (mido, with python-rtmidi for devices).

A :class:`MidiIn` keeps the newest value of every control change and note, scaled to
[0, 1], so a row of faders becomes a learner's inputs in one call. Messages are read when
the sketch asks (:meth:`MidiIn.poll`, once a frame), never in the background.

Examples:
    >>> import mido
    >>> from sketchml.learn.midi_in import MidiIn
    >>> knobs = MidiIn.without_device()
    >>> knobs.handle(mido.Message("control_change", control=7, value=127))
    >>> knobs.cc(7)
    1.0
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sketchml.errors import SketchmlError

__all__ = ["MidiIn"]

_NO_DEVICE = (
    "Plug in a MIDI controller (and check that it shows up in your system's MIDI settings), "
    "or use the mouse, keys or OSC as inputs instead."
)


def _backend() -> Any:
    import mido

    try:
        return mido.Backend("mido.backends.rtmidi", load=True)
    except ImportError as err:
        raise SketchmlError(
            f"MIDI devices need python-rtmidi, which did not load ({err}): install it with "
            "`pip install python-rtmidi`; on Linux it also needs ALSA's library "
            "(`apt install libasound2`)."
        ) from None


class MidiIn:
    """The newest values of a MIDI controller's knobs, faders, pads and keys.

    Args:
        device: the input's name (or a part of it), or its position in
            :meth:`devices`; ``None`` (the default): the first one.

    Raises:
        SketchmlError: when no MIDI input device exists (with how to fix it), or none
            matches ``device``.

    Examples:
        >>> import sketchml as sk
        >>> try:
        ...     knobs = sk.MidiIn()
        ... except sk.SketchmlError as err:
        ...     print("no controller:", "MIDI" in str(err))
        no controller: True
    """

    def __init__(self, device: str | int | None = None) -> None:
        names = self.devices()
        if not names:
            raise SketchmlError(f"No MIDI input device was found. {_NO_DEVICE}")
        if device is None:
            name = names[0]
        elif isinstance(device, int):
            if not 0 <= device < len(names):
                raise SketchmlError(f"There is no MIDI input {device}; there are {len(names)}: "
                                    f"{names}.")
            name = names[device]
        else:
            matches = [n for n in names if device.lower() in n.lower()]
            if not matches:
                raise SketchmlError(f"No MIDI input is called {device!r}; the inputs are {names}.")
            name = matches[0]
        self._reset()
        self.name = name
        try:
            self._port = _backend().open_input(name)
        except Exception as err:
            raise SketchmlError(f"Could not open the MIDI input {name!r}: {err}.") from None

    @classmethod
    def without_device(cls) -> MidiIn:
        """A MidiIn with no device behind it, fed by :meth:`handle` (messages from a MIDI
        file, another library, or a test).

        Examples:
            >>> import mido, sketchml as sk
            >>> pads = sk.MidiIn.without_device()
            >>> pads.handle(mido.Message("note_on", note=36, velocity=64)); round(pads.notes[36], 2)
            0.5
        """
        midi = cls.__new__(cls)
        midi._reset()
        midi.name = None
        return midi

    def _reset(self) -> None:
        self.controls: dict[int, float] = {}
        self.notes: dict[int, float] = {}
        self.pitch_bend = 0.0
        self._port: Any = None

    @staticmethod
    def devices() -> list[str]:
        """The names of the MIDI inputs (an empty list where the system has no MIDI at all).

        Examples:
            >>> import sketchml as sk
            >>> isinstance(sk.MidiIn.devices(), list)
            True
        """
        backend = _backend()
        try:
            return list(backend.get_input_names())
        except Exception:   # rtmidi raises when the system has no MIDI service (ALSA seq)
            return []

    def handle(self, message: Any) -> None:
        """Take in one ``mido.Message`` (:meth:`poll` does this for the device's messages;
        call it yourself for messages from elsewhere, such as a file or another port)."""
        kind = message.type
        if kind == "control_change":
            self.controls[message.control] = message.value / 127.0
        elif kind == "note_on" and message.velocity > 0:
            self.notes[message.note] = message.velocity / 127.0
        elif kind in ("note_off", "note_on"):
            self.notes.pop(message.note, None)
        elif kind == "pitchwheel":
            self.pitch_bend = message.pitch / 8192.0

    def poll(self) -> list[Any]:
        """Read every message that arrived since the last call (returned, oldest first)."""
        if self._port is None:
            return []
        messages = list(self._port.iter_pending())
        for message in messages:
            self.handle(message)
        return messages

    def cc(self, control: int, default: float = 0.0) -> float:
        """Control ``control``'s newest value in [0, 1] (``default`` until it moves)."""
        return self.controls.get(int(control), default)

    def values(self, controls: Sequence[int]) -> list[float]:
        """Several controls' values at once, after reading what arrived: a ready-made
        list of learner inputs (e.g. ``learner.predict(midi.values([1, 2, 3, 4]))``)."""
        self.poll()
        return [self.cc(c) for c in controls]

    def close(self) -> None:
        """Close the device."""
        if self._port is not None:
            self._port.close()
            self._port = None
