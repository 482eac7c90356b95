"""``should_stop`` is a setting every family shares, and ``cpu_budget`` is one such stop."""
from __future__ import annotations

import time

import pytest

import sketchml as sk
from sketchml.plugin import ImageTrainSettings, TrainSettings, cpu_budget


def test_should_stop_is_a_shared_setting_kept_off_the_command_line():
    import argparse

    assert TrainSettings().should_stop is None
    assert ImageTrainSettings.build("dcgan", {"should_stop": bool}).should_stop is bool
    parser = argparse.ArgumentParser()
    ImageTrainSettings.add_arguments(parser)
    assert "--should-stop" not in parser.format_help()


def test_cpu_budget_counts_cpu_time_not_the_clock():
    stop = cpu_budget(0.05)
    time.sleep(0.2)  # the clock moves, the CPU does not
    assert stop() is False
    started = time.process_time()
    while time.process_time() - started < 0.1:
        pass
    assert stop() is True


def test_cpu_budget_refuses_a_negative_budget():
    with pytest.raises(sk.SketchmlError, match="seconds >= 0"):
        cpu_budget(-1)


def test_a_dcgan_run_stops_where_should_stop_says_and_still_exports(tmp_path):
    calls = []

    def after_three() -> bool:
        calls.append(1)
        return len(calls) > 3

    gan = sk.model("dcgan", device="cpu")
    run = gan.train("shapes", out=tmp_path, steps=50, resolution=32, width=4, batch_size=4,
                    shapes=8, progress=False, should_stop=after_three, seed=1)
    assert run.step == 3
    assert (tmp_path / "dcgan.safetensors").is_file()
