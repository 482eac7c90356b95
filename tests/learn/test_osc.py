"""Wekinator's protocol over loopback: inputs in, outputs out, control messages, bad messages."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sketchml as sk

PEER = Path(__file__).with_name("wekinator_peer.py")


@pytest.fixture()
def learner():
    learner = sk.Learner(inputs=2, outputs=["linear", {"model": "knn", "classes": 3, "k": 1}])
    for x in np.linspace(0, 1, 11):
        for y in np.linspace(0, 1, 11):
            learner.add_example([x, y], [x + 2 * y, 1 + int(x * 2.999)])
    learner.train()
    return learner


def test_a_separate_program_sends_inputs_and_gets_outputs(learner, capsys):
    peer = subprocess.Popen([sys.executable, str(PEER)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        peer_port = int(peer.stdout.readline())
        engine = sk.Wekinator(learner, port=0, send_port=peer_port)
        inputs = [[0.1, 0.2], [0.9, 0.4], [0.5, 0.5]]
        peer.stdin.write(f"{engine.port}\n" + "".join(json.dumps(v) + "\n" for v in inputs) + "\n")
        peer.stdin.flush()
        deadline = time.monotonic() + 20.0
        while peer.poll() is None and time.monotonic() < deadline:
            engine.poll()
            time.sleep(0.002)
        received = json.loads(peer.stdout.readline())
    finally:
        peer.kill()
        peer.wait()
    engine.close()
    assert [address for address, _ in received] == ["/wek/outputs"] * 3
    for (_, values), x in zip(received, inputs):
        expected = learner.predict(x)
        assert len(values) == 2
        assert values[0] == pytest.approx(expected[0], abs=1e-5)   # OSC floats are 32-bit
        assert values[1] == float(expected[1])
    assert engine.inputs == pytest.approx(inputs[-1])
    # Four bad messages, counted; one line printed about them, not four tracebacks.
    assert engine.bad_messages == 4
    assert capsys.readouterr().err.count("ignored an OSC message") == 1


def _drain(engine: sk.Wekinator, inbox: sk.OscIn, wait: float = 2.0) -> list:
    deadline = time.monotonic() + wait
    got: list = []
    while not got and time.monotonic() < deadline:
        engine.poll()
        got = inbox.wait(0.01)
    return got


def test_control_messages_record_train_and_run():
    learner = sk.Learner(inputs=1, outputs=1, model="linear")
    with sk.OscIn(0) as inbox, sk.Wekinator(learner, port=0, send_port=inbox.port) as engine:
        remote = sk.OscOut(engine.port)
        control = "/wekinator/control/"
        for target, points in ((1.0, [0.0, 0.1]), (3.0, [1.0, 1.1])):
            remote.send(control + "outputs", target)
            remote.send(control + "startRecording")
            for p in points:
                remote.send("/wek/inputs", p)
            remote.send(control + "stopRecording")
        remote.send(control + "train")
        deadline = time.monotonic() + 2.0
        while not learner.trained and time.monotonic() < deadline:
            engine.poll()
            time.sleep(0.002)
        assert len(learner) == 4 and learner.trained
        remote.send("/wek/inputs", 0.55)      # halfway between the two recordings
        [(address, values)] = _drain(engine, inbox)
        assert address == "/wek/outputs" and values[0] == pytest.approx(2.0, abs=0.01)
        remote.send(control + "stopRunning")
        remote.send("/wek/inputs", 0.5)
        assert _drain(engine, inbox, wait=0.2) == []
        assert engine.bad_messages == 0
        remote.close()


def test_gestures_are_announced_as_output_messages():
    gestures = sk.GestureLearner(inputs=1, gestures=["rise", "fall"])
    gestures.add_example(np.linspace(0, 1, 15)[:, None], "rise")
    gestures.add_example(np.linspace(1, 0, 15)[:, None], "fall")
    gestures.train()
    with sk.OscIn(0) as inbox, sk.Wekinator(gestures, port=0, send_port=inbox.port) as engine:
        remote = sk.OscOut(engine.port)
        for value in [*np.linspace(1, 0, 20), 0.0, 0.0, 0.0]:
            remote.send("/wek/inputs", float(value))
        [(address, values)] = _drain(engine, inbox)
        assert address == "/output_2" and values == ()
        assert engine.gesture == "fall"
        remote.close()


def test_busy_port_gets_a_clear_error():
    with sk.OscIn(0) as first:
        with pytest.raises(sk.SketchmlError, match="Another program"):
            sk.OscIn(first.port)


def test_osc_in_keeps_the_latest_values():
    with sk.OscIn(0) as inbox:
        out = sk.OscOut(inbox.port)
        out.send("/fader", 0.25)
        out.send("/fader", 0.75)
        inbox.wait()
        assert inbox.latest("/fader") == (0.75,)
        out.close()
