"""A machine without network fails at once: the hub is probed before any download is tried."""
from __future__ import annotations

import pytest

import sketchml as sk
from sketchml.models.registry import VariantSpec
from sketchml.models.weights import hub_reachable, resolve_weights

HUB = VariantSpec("deep-128", hub_id="org/biggan-deep-128", files=("model.safetensors",))


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Online as far as the flags go, but the hub's name does not resolve (.invalid never does)."""
    for name in ("SKETCHML_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.invalid")
    monkeypatch.setenv("SKETCHML_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


def test_an_unreachable_hub_is_noticed(no_network):
    assert hub_reachable() is False


def test_without_network_the_one_message_says_so_and_how_to_fetch(no_network, capfd):
    with pytest.raises(sk.SketchmlError) as raised:
        resolve_weights("biggan", HUB)
    message = str(raised.value)
    assert "no network" in message
    assert message.count("hf download org/biggan-deep-128") == 1
    assert "\n" not in message and len(message) < 700
    # The hub client was never asked, so it printed no retries.
    assert "Retry" not in capfd.readouterr().err
