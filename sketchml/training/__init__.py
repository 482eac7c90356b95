"""Shared training helpers: plain PyTorch loops with checkpoints, resuming, logs and DDP.

Every trainable model family builds its ``train`` verb from these pieces:
:class:`TrainingRun` (the loop bookkeeping: time budget, weight averages, the
final save and export), :class:`TrainSettings` (a family's options, read by
``train()`` and ``sketchml train`` alike), :func:`image_dataset` (folder, video,
tensor or a named world, for every image family), datasets (:class:`ImageFolder`,
:class:`VideoFrames`, :class:`TextFile`, :class:`MidiFolder`), device and seed
set-up, atomic checkpoints and the ``torchrun`` helpers.

Importing this package is light: torch is only imported when one of the names
below is first used.

Examples:
    >>> import sketchml.training as training
    >>> training.pick_device("cpu").type
    'cpu'
"""
from __future__ import annotations

from sketchml._lazy import lazy_exports

# name -> submodule that defines it; loaded on first attribute access.
_LAZY = {
    "Checkpoint": "checkpoint",
    "DistributedInfo": "distributed",
    "ImageFolder": "data",
    "ImageTrainSettings": "settings",
    "MidiFolder": "data",
    "TextFile": "data",
    "TrainSettings": "settings",
    "TrainingRun": "run",
    "VideoFrames": "data",
    "all_agree": "distributed",
    "barrier": "distributed",
    "capture_rng_state": "device",
    "cpu_budget": "settings",
    "distributed_info": "distributed",
    "image_dataset": "images",
    "image_grid": "samples",
    "init_distributed": "distributed",
    "iterate_batches": "batches",
    "latest_checkpoint": "checkpoint",
    "list_checkpoints": "checkpoint",
    "pick_device": "device",
    "plot_losses": "losses",
    "progress_bar": "progress",
    "restore_rng_state": "device",
    "run_weights": "checkpoint",
    "save_checkpoint": "checkpoint",
    "save_image_grid": "samples",
    "seed_everything": "device",
    "setting": "settings",
    "to_device": "batches",
    "wants_progress": "progress",
    "wrap_ddp": "distributed",
    "write_losses_csv": "losses",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
