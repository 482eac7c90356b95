"""Results that arrive piece by piece from a background worker: :class:`Stream`.

A sketch's ``draw()`` must return within a frame, but a language model writes for
seconds. ``model.stream(...)`` starts the work on a background thread and returns at
once; each frame, ``stream.poll()`` hands over whatever arrived since the last call
without waiting, so the frame rate holds while words appear. ``stream.cancel()`` stops
the worker at its next piece. An exception in the worker is raised in the sketch's
thread by the next ``poll()`` (or by iteration), so it is shown like any error in
``draw()``.

The stream is family-agnostic: a family's ``stream`` passes a generator of pieces
(characters, tokens, images ...). A family that only has ``generate`` still streams,
as one piece, through the default :meth:`sketchml.Model.stream`.

Examples:
    >>> from sketchml.models.streaming import Stream
    >>> words = Stream(iter(["to ", "be ", "or ", "not"]))
    >>> "".join(words)
    'to be or not'
"""
from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from sketchml.errors import SketchmlError

__all__ = ["Stream"]

T = TypeVar("T")


# Workers still running, so that interpreter exit can stop them first: a worker left inside
# torch while Python finalises can abort the process ("terminate called without an active
# exception") instead of exiting cleanly.
_running: dict[threading.Thread, _Worker] = {}
_running_lock = threading.Lock()


@atexit.register
def _stop_running_streams(timeout: float = 5.0) -> None:
    with _running_lock:
        running = list(_running.items())
    for _, worker in running:
        worker.cancelled.set()
    deadline = time.monotonic() + timeout
    for thread, _ in running:
        thread.join(max(0.0, deadline - time.monotonic()))


class _Worker:
    """What the background thread shares with its :class:`Stream` (never the Stream itself).

    Keeping the Stream out of the thread's reach lets a forgotten stream be garbage
    collected, which cancels its work.
    """

    def __init__(self) -> None:
        self.pieces: list[Any] = []
        self.error: BaseException | None = None
        self.finished = False
        self.cancelled = threading.Event()
        self.changed = threading.Condition()

    def run(self, source: Callable[[threading.Event], Iterable[Any]] | Iterable[Any]) -> None:
        iterator: Iterator[Any] | None = None
        try:
            iterable = source(self.cancelled) if callable(source) else source
            iterator = iter(iterable)
            for piece in iterator:
                if self.cancelled.is_set():
                    break
                with self.changed:
                    self.pieces.append(piece)
                    self.changed.notify_all()
        except BaseException as err:  # noqa: BLE001 -- handed to the caller's thread
            with self.changed:
                self.error = err
        finally:
            # Closing the generator runs its cleanup (a model's `finally`) on this thread.
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as err:  # noqa: BLE001 -- reported like any worker error
                    if self.error is None:
                        self.error = err
            with self.changed:
                self.finished = True
                self.changed.notify_all()
            with _running_lock:
                _running.pop(threading.current_thread(), None)


class Stream(Generic[T]):
    """Pieces of a result made by a background thread, read without blocking.

    Args:
        source: an iterable of pieces, or a function ``source(cancelled)`` returning one,
            where ``cancelled`` is a ``threading.Event`` that long steps inside the
            producer may check to stop early. It is iterated on a worker thread.
        text: whether the pieces are strings to be joined (default: decided by the first
            piece). Text streams return ``str`` from :meth:`poll` and have :attr:`text`;
            other streams return lists of pieces.
        name: the worker thread's name, shown in debuggers.

    Use it from a sketch by polling once per frame::

        def draw():
            global shown
            shown += poem.poll()          # "" when nothing new arrived
            text(shown, 20, 40)

    or iterate it where blocking is fine (a script, a notebook cell). Leaving a ``with``
    block cancels the stream.

    Examples:
        >>> import time
        >>> from sketchml.models.streaming import Stream
        >>> def count(cancelled):
        ...     for i in range(3):
        ...         time.sleep(0.01)
        ...         yield str(i)
        >>> stream = Stream(count)
        >>> stream.wait()
        '012'
        >>> stream.done, stream.poll()
        (True, '012')
    """

    def __init__(self, source: Callable[[threading.Event], Iterable[T]] | Iterable[T], *,
                 text: bool | None = None, name: str = "sketchml-stream") -> None:
        if not (callable(source) or isinstance(source, Iterable)):
            raise SketchmlError(
                f"Stream(source) takes an iterable of pieces or a function returning one, got "
                f"{type(source).__name__}; e.g. Stream(iter(['a', 'b'])) or Stream(lambda "
                f"cancelled: my_generator())."
            )
        self._worker = _Worker()
        self._text = text
        self._cursor = 0
        self._error_raised = False
        self._thread = threading.Thread(target=self._worker.run, args=(source,), name=name,
                                        daemon=True)
        # A stream nobody holds any more stops its worker instead of computing unseen text.
        weakref.finalize(self, self._worker.cancelled.set)
        with _running_lock:
            _running[self._thread] = self._worker
        self._thread.start()

    # -- state -------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the worker has stopped: finished, cancelled or failed."""
        return self._worker.finished

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (or the stream was closed)."""
        return self._worker.cancelled.is_set()

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped the worker, if one did."""
        return self._worker.error

    @property
    def pieces(self) -> list[T]:
        """Every piece produced so far (a copy), polled or not."""
        with self._worker.changed:
            return list(self._worker.pieces)

    @property
    def text(self) -> str:
        """All the text produced so far (text streams only)."""
        pieces = self.pieces
        if not self._is_text(pieces):
            raise SketchmlError("This stream's pieces are not text; read stream.pieces instead.")
        return "".join(pieces)  # type: ignore[arg-type]

    def _is_text(self, pieces: list[Any]) -> bool:
        if self._text is None and pieces:
            self._text = isinstance(pieces[0], str)
        return bool(self._text) if self._text is not None else True

    # -- reading -----------------------------------------------------------------------

    def poll(self) -> Any:
        """What arrived since the last call, without waiting: a ``str`` for text, else a list.

        Raises the worker's exception, once, when the worker failed (after handing over
        the pieces made before the failure on the previous calls).

        Examples:
            >>> from sketchml.models.streaming import Stream
            >>> stream = Stream(["a", "b"])
            >>> _ = stream.wait()
            >>> stream.poll(), stream.poll()
            ('ab', '')
        """
        with self._worker.changed:
            fresh = self._worker.pieces[self._cursor:]
            self._cursor += len(fresh)
            error = self._worker.error
        if not fresh:
            self._raise_error(error)
        return "".join(fresh) if self._is_text(fresh) else fresh

    def _raise_error(self, error: BaseException | None) -> None:
        if error is not None and not self._error_raised:
            self._error_raised = True
            raise error

    def __iter__(self) -> Iterator[T]:
        """Each piece not yet handed over, waiting for the next; ends when the worker does."""
        while True:
            with self._worker.changed:
                self._worker.changed.wait_for(
                    lambda: self._cursor < len(self._worker.pieces) or self._worker.finished)
                fresh = self._worker.pieces[self._cursor:]
                self._cursor += len(fresh)
                finished = self._worker.finished
                error = self._worker.error
            yield from fresh
            if finished and self._cursor == len(self._worker.pieces):
                self._raise_error(error)
                return

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the worker stops (or ``timeout`` seconds pass); return everything so far.

        The whole text for text streams, else the list of pieces. Raises the worker's error.

        Examples:
            >>> from sketchml.models.streaming import Stream
            >>> Stream([1, 2, 3]).wait()
            [1, 2, 3]
        """
        self._thread.join(timeout)
        self._raise_error(self._worker.error)
        pieces = self.pieces
        return "".join(pieces) if self._is_text(pieces) else pieces  # type: ignore[arg-type]

    def cancel(self, *, wait: float | None = 1.0) -> None:
        """Stop the worker at its next piece; wait up to ``wait`` seconds for it (default 1).

        Pieces already made stay readable. Cancelling a finished stream does nothing.

        Examples:
            >>> import itertools
            >>> from sketchml.models.streaming import Stream
            >>> forever = Stream(str(i) for i in itertools.count())
            >>> forever.cancel()
            >>> forever.done
            True
        """
        self._worker.cancelled.set()
        if wait is None or wait > 0:
            self._thread.join(wait)

    close = cancel

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def __repr__(self) -> str:
        state = "done" if self.done else ("cancelling" if self.cancelled else "running")
        return f"<Stream {state}, {len(self._worker.pieces)} pieces>"
