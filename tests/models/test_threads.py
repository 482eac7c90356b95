"""sketchml chooses torch's CPU thread count when a model loads or training starts; you can say."""
from __future__ import annotations

import pytest
import torch

import sketchml as sk
from sketchml.models import threads
from sketchml.training import TrainingRun


class Tiny(sk.Model):
    def load(self) -> None:
        self.network = torch.nn.Linear(2, 2)


@pytest.fixture(autouse=True)
def _restore(monkeypatch):
    monkeypatch.delenv("SKETCHML_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    # As in a fresh process: torch at its own default (a core count), nothing chosen yet.
    torch.set_num_threads(threads.physical_cores())
    monkeypatch.setattr(threads, "_applied", None)
    yield
    sk.set_threads(None)
    torch.set_num_threads(1)


def test_set_threads_applies_at_once_and_holds_when_a_model_loads():
    sk.set_threads(3)
    assert torch.get_num_threads() == 3 == sk.thread_count()
    Tiny()
    assert torch.get_num_threads() == 3


def test_the_environment_variable_sets_the_count_when_a_model_loads(monkeypatch):
    monkeypatch.setenv("SKETCHML_THREADS", "2")
    Tiny()
    assert torch.get_num_threads() == 2
    # set_threads beats the variable.
    sk.set_threads(3)
    Tiny()
    assert torch.get_num_threads() == 3


def test_a_training_run_applies_the_choice(monkeypatch, tmp_path):
    monkeypatch.setenv("SKETCHML_THREADS", "2")
    TrainingRun(out=tmp_path / "run", model=torch.nn.Linear(2, 2), steps=1, device="cpu")
    assert torch.get_num_threads() == 2


def test_a_count_a_program_gave_torch_before_sketchml_chose_is_left_alone(monkeypatch):
    # A training script's --threads 1, say, on a machine torch starts with more threads on.
    unusual = max(threads._torch_defaults()) + 1
    torch.set_num_threads(unusual)
    Tiny()
    assert torch.get_num_threads() == unusual
    monkeypatch.setenv("SKETCHML_THREADS", "2")
    Tiny()
    assert torch.get_num_threads() == unusual
    sk.set_threads(2)
    assert torch.get_num_threads() == 2


def test_a_count_set_directly_in_torch_afterwards_is_left_alone(monkeypatch):
    monkeypatch.setenv("SKETCHML_THREADS", "2")
    Tiny()
    torch.set_num_threads(3)
    Tiny()
    assert torch.get_num_threads() == 3


def test_the_automatic_choice_leaves_busy_cores_alone():
    assert threads.choose_threads(cores=2, load=9.6)[0] == 1
    assert threads.choose_threads(cores=2, load=1.2)[0] == 2
    assert threads.choose_threads(cores=16, load=0.0)[0] == threads.MAX_AUTO_THREADS
    assert threads.choose_threads(cores=8, load=6.0)[0] == 3
    count, reason = threads.choose_threads()
    assert 1 <= count <= min(threads.physical_cores(), threads.MAX_AUTO_THREADS)
    assert reason.startswith("automatic")


@pytest.mark.parametrize("value", ["0", "abc", "-2", "1.5"])
def test_bad_counts_are_plain_errors(monkeypatch, value):
    monkeypatch.setenv("SKETCHML_THREADS", value)
    with pytest.raises(sk.SketchmlError, match="SKETCHML_THREADS must be a whole number"):
        Tiny()
    with pytest.raises(sk.SketchmlError, match=r"set_threads\(n\) must be a whole number"):
        sk.set_threads(0)
