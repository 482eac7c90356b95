"""OSC in and out, and Wekinator's protocol on top of it (python-osc encodes and decodes).

Wekinator's conventions, which its example input and output programs (Processing, Max,
openFrameworks ...) follow: input programs send ``/wek/inputs`` with one float per input to
port 6448; Wekinator sends ``/wek/outputs`` with one float per output to port 12000; a
gesture (DTW) project sends ``/output_1``, ``/output_2`` ... when a gesture is recognised;
and ``/wekinator/control/...`` messages (``startRecording``, ``train``, ``startRunning``
...) drive it remotely. :class:`Wekinator` puts a sketchml learner in Wekinator's place.

Nothing runs in the background: the sockets are read when the sketch asks (``poll()`` or
``messages()``, once a frame), so the learner is only touched from the sketch's own
thread. A message that is not understood is counted and reported once, never raised.

Examples:
    >>> import sketchml as sk
    >>> with sk.OscIn(0) as inbox:
    ...     sk.OscOut(inbox.port).send("/hello", 1.5, "world")
    ...     inbox.wait()
    [('/hello', (1.5, 'world'))]
"""
from __future__ import annotations

import select
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

from sketchml.errors import SketchmlError

__all__ = ["OscIn", "OscOut", "Wekinator"]

_CONTROL = "/wekinator/control/"


class OscIn:
    """Listens for OSC messages on a UDP port.

    Args:
        port: the port to listen on (0: any free port; :attr:`port` says which).
        host: the address to listen on: ``"127.0.0.1"`` (the default) hears this computer
            only; ``"0.0.0.0"`` hears other computers on the network too.

    Examples:
        >>> import sketchml as sk
        >>> inbox = sk.OscIn(0)
        >>> inbox.messages(), inbox.port > 0
        ([], True)
        >>> inbox.close()
    """

    def __init__(self, port: int, *, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, int(port)))
        except OSError as err:
            self._sock.close()
            raise SketchmlError(
                f"Cannot listen for OSC on {host}:{port} ({err.strerror}). Another program "
                "(Wekinator itself, or another sketch) may be using that port: close it, or "
                "choose another port."
            ) from None
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self.host = host
        self.bad_messages = 0
        self._latest: dict[str, tuple[Any, ...]] = {}

    def __enter__(self) -> OscIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and free the port."""
        self._sock.close()

    def messages(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Every message received since the last call, oldest first: ``(address, values)``.

        Examples:
            >>> import sketchml as sk
            >>> with sk.OscIn(0) as inbox:
            ...     inbox.messages()
            []
        """
        from pythonosc.osc_packet import OscPacket, ParseError

        received = []
        while True:
            try:
                data, sender = self._sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            try:
                packet = OscPacket(data)
            except (ParseError, ValueError, IndexError) as err:
                self.report_bad(f"an unreadable packet of {len(data)} bytes from "
                                f"{sender[0]}:{sender[1]} ({err})")
                continue
            for item in packet.messages:
                message = (item.message.address, tuple(item.message.params))
                self._latest[message[0]] = message[1]
                received.append(message)
        return received

    def wait(self, timeout: float = 1.0) -> list[tuple[str, tuple[Any, ...]]]:
        """:meth:`messages`, first waiting up to ``timeout`` seconds for one to arrive (for
        scripts and tests; a sketch's ``draw()`` should call :meth:`messages` instead)."""
        deadline = time.monotonic() + timeout
        received = self.messages()
        while not received and (left := deadline - time.monotonic()) > 0:
            select.select([self._sock], [], [], left)
            received = self.messages()
        return received

    def latest(self, address: str) -> tuple[Any, ...] | None:
        """The values of the newest message to ``address`` (reading what has arrived), or
        ``None`` if none came yet: handy to use an OSC controller as a learner's inputs.

        Examples:
            >>> import sketchml as sk
            >>> with sk.OscIn(0) as inbox:
            ...     inbox.latest("/fader") is None
            True
        """
        self.messages()
        return self._latest.get(address)

    def report_bad(self, why: str) -> None:
        """Count a message that could not be used; the first one is printed, the rest only
        counted (:attr:`bad_messages`), so a misconfigured sender cannot flood the console."""
        self.bad_messages += 1
        if self.bad_messages == 1:
            print(f"sketchml: ignored an OSC message on port {self.port}: {why}. Later bad "
                  "messages are only counted (bad_messages), not printed.", file=sys.stderr)


class OscOut:
    """Sends OSC messages to ``host:port`` over UDP.

    Args:
        port: the port the receiving program listens on.
        host: the receiving computer (this one unless given).

    Examples:
        >>> import sketchml as sk
        >>> sk.OscOut(12000).send("/wek/outputs", 0.25, 0.75)
    """

    def __init__(self, port: int, *, host: str = "127.0.0.1") -> None:
        self.port, self.host = int(port), host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, address: str, *values: Any) -> None:
        """Send one message: numbers go as 32-bit floats (as Wekinator expects), strings as
        strings. Nothing listening is not an error (UDP does not know)."""
        from pythonosc.osc_message_builder import OscMessageBuilder

        if not address.startswith("/"):
            raise SketchmlError(f"OSC addresses start with '/', got {address!r}.")
        builder = OscMessageBuilder(address=address)
        for value in values:
            if isinstance(value, str):
                builder.add_arg(value, "s")
            else:
                try:
                    builder.add_arg(float(value), "f")
                except (TypeError, ValueError):
                    raise SketchmlError(
                        f"OSC values are numbers or strings, got {value!r} for {address}."
                    ) from None
        try:
            self._sock.sendto(builder.build().dgram, (self.host, self.port))
        except OSError as err:
            raise SketchmlError(f"Could not send OSC to {self.host}:{self.port}: {err}.") from None

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()


def _numbers(values: Sequence[Any]) -> list[float] | None:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values]
    return None


class Wekinator:
    """A sketchml learner in Wekinator's place: receives ``/wek/inputs``, sends
    ``/wek/outputs``, obeys ``/wekinator/control/...``. Call :meth:`poll` every frame.

    Args:
        learner: a :class:`~sketchml.learn.Learner` (outputs go out as ``/wek/outputs``,
            one float per output; a class goes as its label if that is a number, else as
            its position counted from 1) or a :class:`~sketchml.learn.GestureLearner` (a
            recognised gesture goes out as ``/output_N``, N counted from 1).
        port: where inputs arrive (6448, Wekinator's).
        send_port: where outputs go (12000, Wekinator's).
        host: the address to listen on (``"0.0.0.0"`` to hear other computers).
        send_host: the computer outputs go to.
        inputs_address: the input message's address.
        outputs_address: the output message's address.

    Examples:
        >>> import sketchml as sk
        >>> learner = sk.Learner(inputs=2, outputs=1, model="linear")
        >>> engine = sk.Wekinator(learner, port=0, send_port=0)
        >>> engine.poll() is None     # no inputs yet
        True
        >>> engine.close()
    """

    def __init__(self, learner: Any, *, port: int = 6448, send_port: int = 12000,
                 host: str = "127.0.0.1", send_host: str = "127.0.0.1",
                 inputs_address: str = "/wek/inputs",
                 outputs_address: str = "/wek/outputs") -> None:
        self.learner = learner
        self.osc_in = OscIn(port, host=host)
        self.osc_out = OscOut(send_port, host=send_host)
        self.inputs_address, self.outputs_address = inputs_address, outputs_address
        self.running = True
        self.inputs: list[float] | None = None
        self.outputs: list[Any] | None = None
        self.gesture: Any = None
        self._record_outputs: list[float] | None = None

    @property
    def port(self) -> int:
        """The port inputs arrive on."""
        return self.osc_in.port

    @property
    def bad_messages(self) -> int:
        """How many messages were ignored (wrong address, count or types of values)."""
        return self.osc_in.bad_messages

    def close(self) -> None:
        """Free both sockets."""
        self.osc_in.close()
        self.osc_out.close()

    def __enter__(self) -> Wekinator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(self) -> list[Any] | None:
        """Handle every message that arrived: record, train or run as they say. Returns
        the newest outputs (``None`` before the first), also in :attr:`outputs`."""
        for address, values in self.osc_in.messages():
            if address == self.inputs_address:
                self._inputs(values)
            elif address.startswith(_CONTROL):
                self._control(address[len(_CONTROL):], values)
            else:
                self.osc_in.report_bad(f"{address} is not {self.inputs_address} or a "
                                       f"{_CONTROL}... message")
        return self.outputs

    def _inputs(self, values: tuple[Any, ...]) -> None:
        numbers = _numbers(values)
        count = self.learner.inputs
        if numbers is None or len(numbers) != count:
            kinds = "".join(type(v).__name__[0] for v in values)
            self.osc_in.report_bad(
                f"{self.inputs_address} needs {count} numbers, got {len(values)} value(s) "
                f"({kinds or 'none'}: {list(values)[:6]})"
            )
            return
        self.inputs = numbers
        if self.learner.recording:
            self.learner.feed(numbers)
            return
        if not self.running:
            return
        result = self.learner.feed(numbers)
        if result is None:
            return
        if hasattr(self.learner, "gestures"):
            self.gesture = result
            self.osc_out.send(f"/output_{self.learner.gestures.index(result) + 1}")
            return
        self.outputs = result
        self.osc_out.send(self.outputs_address, *self._as_numbers(result))

    def _as_numbers(self, outputs: list[Any]) -> list[float]:
        numbers = []
        for i, value in enumerate(outputs):
            if isinstance(value, str):
                numbers.append(float(self.learner.classes(i).index(value) + 1))
            else:
                numbers.append(float(value))
        return numbers

    def _control(self, command: str, values: tuple[Any, ...]) -> None:
        learner = self.learner
        gestures = hasattr(learner, "gestures")
        numbers = _numbers(values)
        if command == "outputs" and not gestures and numbers is not None \
                and len(numbers) == learner.outputs:
            self._record_outputs = numbers
        elif command == "startRecording" and not gestures and self._record_outputs is not None:
            learner.start_recording(self._decode_outputs(self._record_outputs))
        elif command == "stopRecording" and not gestures:
            learner.stop_recording()
        elif command == "startDtwRecording" and gestures and numbers and len(numbers) == 1 \
                and 1 <= numbers[0] <= len(learner.gestures):
            learner.start_recording(learner.gestures[int(numbers[0]) - 1])
        elif command == "stopDtwRecording" and gestures:
            learner.stop_recording()
        elif command == "train" and len(learner):
            learner.train()
        elif command == "startRunning":
            self.running = True
        elif command == "stopRunning":
            self.running = False
        elif command == "deleteAllExamples":
            learner.delete_examples()
        else:
            self.osc_in.report_bad(f"{_CONTROL}{command} with {list(values)[:6]} cannot be done "
                                   "now (unknown, wrong values, or nothing to act on)")

    def _decode_outputs(self, numbers: list[float]) -> list[Any]:
        # Wekinator sends classes as numbers counted from 1: map them back to the labels.
        decoded: list[Any] = []
        for i, value in enumerate(numbers):
            labels = self.learner.classes(i)
            if labels is not None and all(isinstance(label, str) for label in labels):
                decoded.append(labels[int(value) - 1] if 1 <= value <= len(labels) else value)
            else:
                decoded.append(value)
        return decoded
