"""sketchml.models.streaming.Stream and the default Model.stream: background pieces, polled."""
from __future__ import annotations

import gc
import threading
import time

import pytest

import sketchml as sk
from sketchml.models.streaming import Stream


def _gated(n: int, gate: threading.Semaphore, made: list[int]):
    """A producer that makes one piece each time the test releases the gate."""
    def produce(cancelled: threading.Event):
        for i in range(n):
            gate.acquire()
            made.append(i)
            yield f"w{i} "
    return produce


def _wait_until(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def _wait_for_pieces(stream: Stream, n: int) -> None:
    _wait_until(lambda: len(stream.pieces) >= n)


def test_pieces_arrive_one_by_one_and_poll_returns_only_the_new_ones():
    gate = threading.Semaphore(0)
    made: list[int] = []
    stream = Stream(_gated(3, gate, made))
    assert stream.poll() == "" and not stream.done
    gate.release()
    _wait_until(lambda: len(stream.pieces) == 1)
    assert stream.poll() == "w0 "
    assert stream.poll() == ""
    gate.release()
    gate.release()
    _wait_until(lambda: stream.done)
    assert stream.poll() == "w1 w2 "
    assert stream.text == "w0 w1 w2 " and stream.error is None


def test_poll_does_not_wait_for_a_slow_worker():
    gate = threading.Semaphore(0)
    made: list[int] = []
    stream = Stream(_gated(5, gate, made))
    # The worker is blocked on the gate: polls must still come back, many of them, with
    # nothing new; a poll that waited for the next piece would hang here.
    started = time.monotonic()
    results = [stream.poll() for _ in range(200)]
    elapsed = time.monotonic() - started
    assert results == [""] * 200 and made == [] and not stream.done
    assert elapsed < 5.0, f"200 polls took {elapsed:.2f} s while the worker was busy"
    stream.cancel(wait=0)
    gate.release()
    _wait_until(lambda: stream.done)


def test_iteration_yields_every_piece_in_order():
    assert list(Stream(iter(["a", "b", "c"]))) == ["a", "b", "c"]
    assert list(Stream(lambda cancelled: (i * i for i in range(4)))) == [0, 1, 4, 9]


def test_non_text_pieces_come_as_lists():
    stream = Stream([1, 2], text=False)
    assert stream.poll() in ([], [1], [1, 2])
    assert stream.wait() == [1, 2]
    with pytest.raises(sk.SketchmlError, match="not text"):
        stream.text


def test_cancel_stops_the_worker_promptly():
    made: list[int] = []

    def endless(cancelled):
        i = 0
        while True:
            made.append(i)
            yield str(i)
            i += 1
            time.sleep(0.001)

    stream = Stream(endless)
    _wait_until(lambda: len(made) >= 3)
    stream.cancel()
    assert stream.done and stream.cancelled
    count = len(made)
    time.sleep(0.05)
    assert len(made) == count, "the worker kept producing after cancel()"
    assert stream.text.startswith("012")


def test_cancel_reaches_a_producer_that_checks_the_event():
    def long_step(cancelled):
        # One piece that would take an hour unless the producer sees the event.
        for _ in range(360_000):
            if cancelled.wait(0.01):
                return
        yield "never"

    stream = Stream(long_step)
    stream.cancel(wait=5.0)
    assert stream.done and stream.pieces == []


def test_leaving_a_with_block_cancels():
    closed = threading.Event()

    def produce(cancelled):
        try:
            while True:
                yield "x"
                time.sleep(0.001)
        finally:
            closed.set()

    with Stream(produce) as stream:
        _wait_until(lambda: len(stream.pieces) > 2)
    assert stream.done and closed.is_set()


def test_a_forgotten_stream_stops_its_worker():
    closed = threading.Event()

    def produce(cancelled):
        try:
            while True:
                yield "x"
                time.sleep(0.001)
        finally:
            closed.set()

    stream = Stream(produce)
    _wait_for_pieces(stream, 3)
    del stream
    gc.collect()
    assert closed.wait(5.0), "the worker of a garbage-collected stream kept running"


def test_worker_errors_surface_on_the_next_poll_after_the_pieces():
    def failing(cancelled):
        yield "one "
        raise ValueError("the model broke")

    stream = Stream(failing)
    _wait_until(lambda: stream.done)
    assert stream.poll() == "one "
    with pytest.raises(ValueError, match="the model broke"):
        stream.poll()
    assert stream.poll() == ""
    assert isinstance(stream.error, ValueError)


def test_worker_errors_end_iteration_and_wait():
    def failing(cancelled):
        yield "a"
        raise RuntimeError("no more")

    seen = []
    with pytest.raises(RuntimeError, match="no more"):
        for piece in Stream(failing):
            seen.append(piece)
    assert seen == ["a"]
    with pytest.raises(RuntimeError, match="no more"):
        Stream(failing).wait()


def test_a_source_that_is_not_iterable_is_refused():
    with pytest.raises(sk.SketchmlError, match="iterable of pieces"):
        Stream(42)  # type: ignore[arg-type]


class _Slow(sk.Model):
    def generate(self, latent=None, *, word: str = "hello", delay: float = 0.0):
        time.sleep(delay)
        if word == "boom":
            raise sk.SketchmlError("cannot say boom")
        return sk.Text(word)


def test_model_stream_runs_generate_in_the_background(sketchml_registry):
    sketchml_registry.add("slowtext", family=f"{__name__}:_Slow", modality="text")
    model = sk.model("slowtext", device="cpu")
    stream = model.stream(word="hi", delay=0.2)
    assert stream.poll() == "" and not stream.done
    assert stream.wait() == "hi"
    failing = model.stream(word="boom")
    with pytest.raises(sk.SketchmlError, match="cannot say boom"):
        failing.wait()


def test_model_stream_needs_generate():
    class EncodeOnly(sk.Model):
        def encode(self, data, **options):
            return data

    with pytest.raises(sk.MissingVerbError, match="generate"):
        EncodeOnly(device="cpu").stream()


def test_a_stream_still_running_at_exit_is_stopped_before_python_finalises(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "leave_running.py"
    script.write_text(
        "import itertools, time\n"
        "from sketchml.models.streaming import Stream\n"
        "def endless(cancelled):\n"
        "    try:\n"
        "        for i in itertools.count():\n"
        "            time.sleep(0.001)\n"
        "            yield str(i)\n"
        "    finally:\n"
        "        print('worker stopped', flush=True)\n"
        "stream = Stream(endless)\n"
        "while len(stream.pieces) < 3:\n"
        "    time.sleep(0.001)\n"
        "print('exiting', flush=True)\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["exiting", "worker", "stopped"]
