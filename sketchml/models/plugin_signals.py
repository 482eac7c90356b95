"""Signal handlers that plugins install while they are imported, made in the main thread.

Discovery imports each plugin in a thread of its own (:meth:`Registry._isolated`), so a
plugin that hangs can be abandoned. Python lets only the main thread call
``signal.signal()``: a plugin that installs a handler at import (to clean up on SIGTERM,
say) would fail there, though it works when imported directly. While a plugin thread
runs, ``signal.signal()`` and ``signal.getsignal()`` called from that thread are
recorded instead of made: the call returns the handler it replaces, as usual, and
``getsignal`` sees the recorded one. When the import has finished and succeeded, the
discovering thread makes the recorded calls, in order (:func:`apply`), so the handlers
end up as if the plugin had been imported there. A plugin that failed or was abandoned
installs nothing. Calls from any other thread go straight to :mod:`signal`.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["apply", "deferred_signals"]

_lock = threading.Lock()
_pending: dict[threading.Thread, list[tuple[int, Any]]] = {}
_saved: dict[str, Callable[..., Any]] = {}  # the functions replaced while any plugin loads


def _real(name: str) -> Callable[..., Any]:
    return _saved.get(name) or getattr(signal, name)


def _check(signalnum: Any, handler: Any) -> int:
    """The checks ``signal.signal`` makes before it would refuse a non-main thread."""
    num = int(signalnum)
    if num not in signal.valid_signals():
        raise ValueError("signal number out of range")
    if not (callable(handler) or handler in (signal.SIG_IGN, signal.SIG_DFL)):
        raise TypeError("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")
    return num


def _deferring_signal(signalnum: Any, handler: Any) -> Any:
    pending = _pending.get(threading.current_thread())
    if pending is None:
        return _real("signal")(signalnum, handler)
    num = _check(signalnum, handler)
    previous = _deferring_getsignal(num)
    pending.append((num, handler))
    return previous


def _deferring_getsignal(signalnum: Any) -> Any:
    pending = _pending.get(threading.current_thread())
    for num, handler in reversed(pending or []):
        if num == int(signalnum):
            return handler
    return _real("getsignal")(signalnum)


@contextlib.contextmanager
def deferred_signals(thread: threading.Thread) -> Iterator[list[tuple[int, Any]]]:
    """While open, ``signal.signal()`` calls from ``thread`` are recorded in the list it
    gives, for :func:`apply`.

    Examples:
        >>> import signal, threading
        >>> worker = threading.Thread(target=lambda: signal.signal(signal.SIGUSR1, print))
        >>> with deferred_signals(worker) as calls:
        ...     worker.start(); worker.join()
        >>> calls == [(signal.SIGUSR1, print)], signal.getsignal(signal.SIGUSR1) is print
        (True, False)
    """
    calls: list[tuple[int, Any]] = []
    with _lock:
        if not _pending:
            _saved.update(signal=signal.signal, getsignal=signal.getsignal)
            signal.signal = _deferring_signal  # type: ignore[assignment]
            signal.getsignal = _deferring_getsignal  # type: ignore[assignment]
        _pending[thread] = calls
    try:
        yield calls
    finally:
        with _lock:
            _pending.pop(thread, None)
            if not _pending:
                # Put back what was there (unless someone replaced it meanwhile).
                if signal.signal is _deferring_signal:
                    signal.signal = _saved["signal"]  # type: ignore[assignment]
                if signal.getsignal is _deferring_getsignal:
                    signal.getsignal = _saved["getsignal"]  # type: ignore[assignment]
                _saved.clear()


def apply(calls: list[tuple[int, Any]]) -> BaseException | None:
    """Make the recorded ``signal.signal()`` calls in this thread, in order; return the
    error of the first that fails (outside the main thread, every one does, as it would
    have in the plugin's import there).

    Examples:
        >>> import signal
        >>> before = signal.getsignal(signal.SIGUSR1)
        >>> apply([(signal.SIGUSR1, signal.SIG_IGN)]) is None
        True
        >>> signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN
        True
        >>> _ = signal.signal(signal.SIGUSR1, before)
    """
    for num, handler in calls:
        try:
            _real("signal")(num, handler)
        except (ValueError, OSError, TypeError, RuntimeError) as err:
            return err
    return None
