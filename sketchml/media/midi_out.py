"""MIDI out: notes to a synth or a DAW, through mido and python-rtmidi.

:class:`MidiOut` opens a virtual output port named ``"sketchml"`` (on Linux and macOS a
DAW or synth sees it as a MIDI input) or an existing port by name, and plays notes on it
on a background thread, in time: ``MidiOut().play(notes)``. Where no MIDI system exists
(no ALSA sequencer, no python-rtmidi) it says what is missing and how to get it.

Examples:
    >>> import mido
    >>> from sketchml.media.midi_out import MidiOut
    >>> sent = []
    >>> class Recorder(mido.ports.BaseOutput):
    ...     def _send(self, message):
    ...         sent.append(message.type)
    >>> out = MidiOut(port=Recorder())
    >>> out.play([{"pitch": 60, "start_time": 0, "end_time": 0.01}]).join()
    >>> sent
    ['program_change', 'note_on', 'note_off']
"""
from __future__ import annotations

import threading
import time
from typing import Any

from sketchml.errors import SketchmlError
from sketchml.media.midi import DRUM_CHANNEL, notes_from

__all__ = ["MidiOut"]

_HOW = ("On Linux the ALSA sequencer must exist (/dev/snd/seq: load the snd-seq module, or run "
        "on a machine with sound); on macOS and Windows it works as installed. Or save the "
        "notes as a file instead: notes.save('tune.mid').")


class MidiOut:
    """An output MIDI port that plays notes in time on a background thread.

    Args:
        port: the name of an existing output (see :meth:`ports`), or an open mido output
            port; ``None`` (the default) opens a virtual port called ``name``.
        name: the virtual port's name (default ``"sketchml"``).

    Raises:
        SketchmlError: without python-rtmidi, without a MIDI system, or for an unknown port.
    """

    def __init__(self, port: Any = None, *, name: str = "sketchml") -> None:
        if port is not None and not isinstance(port, str):
            self.port = port
            return
        import mido

        try:
            mido.Backend("mido.backends.rtmidi", load=True)
        except ImportError as err:
            raise SketchmlError(f"MIDI out needs python-rtmidi ({err}); install it with "
                                f"`pip install python-rtmidi`.") from None
        try:
            if port is None:
                self.port = mido.open_output(name, virtual=True)
            else:
                outputs = mido.get_output_names()
                if port not in outputs:
                    raise SketchmlError(f"No MIDI output is called {port!r}; the outputs are "
                                        f"{outputs}. Leave port out for a virtual port.")
                self.port = mido.open_output(port)
        except (OSError, RuntimeError) as err:
            raise SketchmlError(f"No MIDI system to send to here ({err}). {_HOW}") from None

    @staticmethod
    def ports() -> list[str]:
        """The names of the MIDI outputs this machine has (empty where there is no MIDI system)."""
        import mido

        try:
            return list(mido.get_output_names())
        except (ImportError, OSError, RuntimeError):
            return []

    def send(self, kind: str, **fields: Any) -> None:
        """Send one message, e.g. ``send("note_on", note=60, velocity=100)``."""
        import mido

        self.port.send(mido.Message(kind, **fields))

    def play(self, notes: Any) -> threading.Thread:
        """Play notes (``sk.Notes``, a NoteSequence, ``Note`` lists) from now, in time.

        Returns the (daemon) thread doing it; ``join()`` it to wait for the end.
        Drums go to channel 10, other instruments to channels of their own.
        """
        items = notes_from(notes)
        channels: dict[tuple[int, int, bool], int] = {}
        melodic = [c for c in range(16) if c != DRUM_CHANNEL]
        for note in items:
            key = (note.instrument, note.program, note.is_drum)
            if key not in channels:
                channels[key] = DRUM_CHANNEL if note.is_drum else melodic[
                    sum(not k[2] for k in channels) % len(melodic)]
        messages = sorted(
            [(n.start, 1, channels[(n.instrument, n.program, n.is_drum)], n.pitch, n.velocity)
             for n in items] +
            [(n.end, 0, channels[(n.instrument, n.program, n.is_drum)], n.pitch, 0) for n in items])

        def run() -> None:
            for (instrument, program, is_drum), channel in channels.items():
                if not is_drum:
                    self.send("program_change", program=program, channel=channel)
            started = time.monotonic()
            for when, is_on, channel, pitch, velocity in messages:
                wait = when - (time.monotonic() - started)
                if wait > 0:
                    time.sleep(wait)
                self.send("note_on" if is_on else "note_off", note=pitch,
                          velocity=max(1, velocity) if is_on else 0, channel=channel)

        thread = threading.Thread(target=run, name="sketchml-midi-out", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Close the port."""
        self.port.close()
