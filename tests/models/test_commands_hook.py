"""Plugins add ``sketchml`` sub-commands through the ``sketchml_register_commands`` hook."""
from __future__ import annotations

import argparse
import types

import pytest

import sketchml as sk
from sketchml.cli.main import build_parser
from sketchml.models.registry import PluginWarning, Registry


def plugin_with_command(name: str) -> types.SimpleNamespace:
    def register(subparsers):
        command = subparsers.add_parser(name, help=f"the {name} command")
        command.add_argument("word")
        command.set_defaults(func=lambda args: len(args.word))

    return types.SimpleNamespace(sketchml_register_commands=sk.hookimpl(register))


def test_a_plugin_command_parses_and_runs():
    registry = Registry(discover=False)
    registry.register(plugin_with_command("hello"), name="hello")
    parser = argparse.ArgumentParser(prog="sketchml")
    registry.add_commands(parser.add_subparsers())
    args = parser.parse_args(["hello", "four"])
    assert args.func(args) == 4


def test_a_failing_plugin_leaves_the_other_commands():
    registry = Registry(discover=False)
    registry.register(plugin_with_command("train"), name="clash")  # a name the core has
    registry.register(plugin_with_command("hello"), name="hello")
    parser = argparse.ArgumentParser(prog="sketchml")
    sub = parser.add_subparsers()
    sub.add_parser("train")
    with pytest.warns(PluginWarning, match="'clash' failed to add its commands"):
        registry.add_commands(sub)
    assert "hello" in sub.choices


def test_guide_is_the_clip_plugin_s_command_not_the_core_s():
    import sketchml.cli.main as main

    assert "sketchml.cli.guide" not in main.COMMAND_MODULES
    assert "guide" in build_parser()._subparsers._group_actions[0].choices
