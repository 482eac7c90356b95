"""Training settings as a dataclass: each option written once, read by ``train()`` and the CLI.

A trainable family subclasses :class:`TrainSettings`, adding its own fields (or new
defaults for the shared ones) with :func:`setting`, and names it as its class's
``TrainSettings``. ``model.train(data, out=..., **options)`` fills it (unknown names get
"did you mean", simple types are checked) and ``sketchml train FAMILY`` turns every field
into a flag, with the same help text: ``--batch-size``, ``--minutes`` ...

Examples:
    >>> from dataclasses import dataclass
    >>> from sketchml.training import TrainSettings, setting
    >>> @dataclass
    ... class NoiseTraining(TrainSettings):
    ...     steps: int = setting(500, "optimisation steps in all")
    ...     width: int = setting(32, "channels of the network")
    >>> NoiseTraining.build("noise", {"width": 8}).width
    8
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sketchml.errors import SketchmlError, did_you_mean

__all__ = ["ImageTrainSettings", "TrainSettings", "cpu_budget", "setting"]

_S = TypeVar("_S", bound="TrainSettings")


def cpu_budget(seconds: float) -> Callable[[], bool]:
    """A ``should_stop`` that says stop once this process has used ``seconds`` of CPU time.

    On a shared machine a process gets only part of a core, so a budget of CPU time
    (counted from this call) makes a training run take the same steps however busy the
    machine is, where a wall-clock ``minutes`` would not. The run stops as on Ctrl-C:
    it finishes the step, saves a checkpoint and exports.

    Examples:
        >>> stop = cpu_budget(3600)
        >>> stop()
        False
        >>> cpu_budget(0)()
        True
    """
    import time

    if not seconds >= 0:
        raise SketchmlError(f"cpu_budget() takes a number of seconds >= 0, got {seconds!r}.")
    until = time.process_time() + seconds

    def spent() -> bool:
        return time.process_time() >= until

    return spent


def setting(default: Any, help: str, *, flag: bool = True) -> Any:
    """A field of a :class:`TrainSettings` dataclass: its default and its one help text.

    ``flag=False`` keeps it out of the command line (a callable, say), Python only.

    Examples:
        >>> from dataclasses import dataclass, fields
        >>> @dataclass
        ... class Demo:
        ...     lr: float = setting(0.001, "Adam's learning rate")
        >>> fields(Demo)[0].metadata["help"]
        "Adam's learning rate"
    """
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag})


@dataclasses.dataclass
class TrainSettings:
    """The settings every trainable family shares; a family's subclass adds its own.

    Examples:
        >>> settings = TrainSettings.build("noise", {"steps": 10})
        >>> settings.steps, settings.batch_size
        (10, 32)
    """

    steps: int = setting(2000, "optimisation steps in all; training again into the same "
                               "folder with more steps trains further")
    batch_size: int = setting(32, "examples per step")
    seed: int | None = setting(None, "seeds the weights, the noise and the data order (default: "
                                     "the resumed run's seed, else a new one, recorded in the run)")
    minutes: float | None = setting(None, "time budget: stop (saving a checkpoint and the "
                                          "weights) after this many minutes; run again to go on")
    checkpoint_every: int | None = setting(None, "steps between checkpoints (default: a tenth "
                                                 "of the steps)")
    sample_every: int | None = setting(None, "steps between samples written to OUT/samples/ "
                                             "(default: ten over the run)")
    progress: bool | None = setting(None, "show a progress bar (default: when someone can see "
                                          "it)", flag=False)
    should_stop: Callable[[], bool] | None = setting(
        None, "called between steps; training stops (and saves) once it returns True, "
              "e.g. a sketch's stop button or cpu_budget(seconds)", flag=False)

    @classmethod
    def build(cls: type[_S], family: str, options: Mapping[str, Any]) -> _S:
        """The settings from ``options`` (keyword arguments of ``train``), checked.

        Examples:
            >>> TrainSettings.build("noise", {"step": 3})
            Traceback (most recent call last):
            ...
            sketchml.errors.SketchmlError: train() of the 'noise' model family has no option 'step'. Did you mean 'steps'? It takes: steps, batch_size, seed, minutes, checkpoint_every, sample_every, progress.
        """
        names = [f.name for f in dataclasses.fields(cls)]
        hints = typing.get_type_hints(cls)
        for key, value in options.items():
            if key not in names:
                raise SketchmlError(
                    f"train() of the {family!r} model family has no option {key!r}."
                    f"{did_you_mean(key, names)} It takes: {', '.join(names)}."
                )
            _check(family, key, value, hints[key])
        return cls(**options)

    def seed_for(self, out: str | os.PathLike[str]) -> int:
        """The seed to use: the one given, else the seed of the run in ``out``, else a new one.

        Under ``torchrun`` the new one is the same in every process (derived from the launch).

        Examples:
            >>> import tempfile
            >>> TrainSettings(seed=3).seed_for(tempfile.mkdtemp())
            3
        """
        if self.seed is not None:
            return self.seed
        from sketchml.models.base import fresh_seed_value
        from sketchml.training.checkpoint import latest_checkpoint

        previous = latest_checkpoint(Path(out) / "checkpoints")
        if previous is not None and isinstance(previous.meta.get("seed"), int):
            return int(previous.meta["seed"])
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            # Every torchrun process must draw the same seed (the data order is shared):
            # derive it from what the launch gives them all alike.
            launch = "|".join(os.environ.get(k, "") for k in
                              ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT"))
            return int(hashlib.sha256(launch.encode()).hexdigest(), 16) % 2**31
        return fresh_seed_value()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add a ``--flag`` per field (bools as ``--flag`` / ``--no-flag``), with its help.

        Examples:
            >>> import argparse
            >>> parser = argparse.ArgumentParser()
            >>> TrainSettings.add_arguments(parser)
            >>> vars(parser.parse_args(["--batch-size", "8"]))["batch_size"]
            8
        """
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            kind = _plain(hints[field.name])
            if not field.metadata.get("flag", True) or kind is None:
                continue
            default = "" if field.default is None else f" (default {field.default})"
            help_text = field.metadata.get("help", "") + default
            flag = "--" + field.name.replace("_", "-")
            if kind is bool:
                parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                    help=help_text)
            else:
                parser.add_argument(flag, type=kind, default=None, help=help_text,
                                    metavar={int: "N", float: "X"}.get(kind, "TEXT"))

    @classmethod
    def given(cls, args: argparse.Namespace) -> dict[str, Any]:
        """The fields set on the command line (flags left out keep the family's defaults)."""
        return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
                if getattr(args, f.name, None) is not None}


def _plain(hint: Any) -> type | None:
    """``int``, ``float``, ``str`` or ``bool`` behind a hint (``X | None`` included), else None."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if len(args) == 1 else None
    return hint if hint in (int, float, str, bool) else None


def _check(family: str, key: str, value: Any, hint: Any) -> None:
    kind = _plain(hint)
    if kind is None or value is None:
        return
    accepted = (int, float) if kind is float else (kind,)
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, accepted):
        raise SketchmlError(f"train() option {key!r} of the {family!r} model family must be a "
                            f"{kind.__name__}, got {value!r} ({type(value).__name__}).")


@dataclasses.dataclass
class ImageTrainSettings(TrainSettings):
    """The settings every image family shares (what :func:`~sketchml.training.image_dataset` reads).

    Examples:
        >>> ImageTrainSettings().resolution, ImageTrainSettings().flip
        (64, True)
    """

    resolution: int = setting(64, "image size in pixels")
    flip: bool = setting(True, "mirror images at random (a cheap augmentation for small sets)")
    frames: int | None = setting(None, "for a video: how many evenly spaced frames to train on "
                                       "(default 2000, or all if fewer)")
    shapes: int = setting(4000, "pictures drawn for DATA 'shapes' (sketchml's shapes world)")
    ema: float = setting(0.999, "decay of the moving average of the generator's weights that "
                                "samples, the export and the model use (0 turns it off)")
