"""The state-dict layout checks plugins share (sketchml.plugin.check_state_keys, load_state_checked)."""
from __future__ import annotations

import pytest
import torch

import sketchml as sk
from sketchml.plugin import check_state_keys, load_state_checked


def test_missing_keys_are_named_with_what_the_file_has_and_how_to_fix_it():
    state = {f"k{i}": torch.zeros(1) for i in range(8)}
    with pytest.raises(sk.SketchmlError) as caught:
        check_state_keys(state, ["k1", "head.weight", "vocab"], source="x.safetensors",
                         what="char-RNN weights", how="Train one with sketchml train.")
    message = str(caught.value)
    assert message.startswith("x.safetensors is not char-RNN weights: it lacks head.weight, vocab")
    assert "(it has k0, k1, k2, k3, k4, k5...)" in message and message.endswith("sketchml train.")
    check_state_keys(state, ["k0", "k7"], source="x", what="w", how="")


def test_a_mismatched_state_dict_is_a_clear_error_and_a_matching_one_loads():
    net = torch.nn.Linear(3, 2)
    with pytest.raises(sk.SketchmlError, match=r"(?s)x\.pt does not match the toy layout: .*size mismatch for weight"):
        load_state_checked(net, {"weight": torch.zeros(2, 4), "bias": torch.zeros(2)},
                           source="x.pt", what="toy")
    load_state_checked(net, {"weight": torch.ones(2, 3), "bias": torch.zeros(2)},
                       source="x.pt", what="toy")
    assert torch.equal(net.weight, torch.ones(2, 3))
