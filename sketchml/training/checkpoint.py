"""Resumable checkpoints that survive crashes and never execute code when loaded.

A checkpoint is a folder ``checkpoints/step-00000200/`` holding

* ``<name>.safetensors`` — one file of weights per model (``model`` when there is one);
* ``training_state.pt`` — optimiser and scheduler state and RNG states, only tensors and
  plain containers, read back with ``torch.load(weights_only=True)``;
* ``meta.json`` — step, loss history and run settings; written last, so a folder
  with a readable ``meta.json`` is complete.

The folder is assembled under a hidden temporary name, every file fsynced, and
only then renamed into place; ``checkpoints/latest`` (a one-line text file,
replaced atomically) then points at it, and only after that are older
checkpoints pruned. A crash at any moment leaves the previous checkpoint intact.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

from sketchml.errors import SketchmlError, did_you_mean
from sketchml.files import atomic_write_text, fsync_dir

__all__ = ["Checkpoint", "latest_checkpoint", "list_checkpoints", "save_checkpoint"]

FORMAT = "sketchml-checkpoint"
FORMAT_VERSION = 1
_STEP_DIR = re.compile(r"^step-(\d+)$")


def _step_name(step: int) -> str:
    return f"step-{step:08d}"


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@dataclass
class Checkpoint:
    """One complete checkpoint folder.

    Examples:
        >>> import tempfile, torch
        >>> from sketchml.training import save_checkpoint, latest_checkpoint
        >>> folder = tempfile.mkdtemp()
        >>> _ = save_checkpoint(folder, step=3, models={"model": torch.nn.Linear(2, 1)})
        >>> ckpt = latest_checkpoint(folder)
        >>> ckpt.step, sorted(ckpt.weights())
        (3, ['bias', 'weight'])
    """

    path: Path
    step: int
    meta: dict[str, Any] = field(repr=False)

    @property
    def model_names(self) -> list[str]:
        """Names of the models whose weights this checkpoint holds."""
        return list(self.meta["models"])

    @property
    def history(self) -> list[dict[str, float]]:
        """The loss records logged up to this checkpoint's step, oldest first."""
        return list(self.meta.get("history", []))

    def _weights_file(self, name: str) -> Path:
        if name not in self.meta["models"]:
            raise SketchmlError(
                f"Checkpoint {self.path} has no model named {name!r}; it holds "
                f"{', '.join(map(repr, self.meta['models']))}.{did_you_mean(name, self.meta['models'])}"
            )
        return self.path / f"{name}.safetensors"

    def weights(self, name: str = "model") -> dict[str, torch.Tensor]:
        """The tensors of model ``name`` (on the CPU), e.g. to export a trained generator.

        Tied weights (one tensor under two names, like GPT-2's embedding and output
        layer) are stored once, under one of the names; :meth:`load_model` restores both.
        """
        from sketchml.models.weights import read_safetensors

        return read_safetensors(self._weights_file(name))[0]

    def load_model(self, name: str, module: torch.nn.Module) -> None:
        """Load model ``name``'s weights into ``module`` (same architecture required).

        Examples:
            >>> import tempfile, torch
            >>> from sketchml.training import save_checkpoint
            >>> folder = tempfile.mkdtemp()
            >>> ckpt = save_checkpoint(folder, step=1, models={"g": torch.nn.Linear(2, 2)})
            >>> ckpt.load_model("g", torch.nn.Linear(2, 2))
        """
        try:
            safetensors.torch.load_model(module, self._weights_file(name), strict=True)
        except RuntimeError as exc:
            raise SketchmlError(
                f"The weights of {name!r} in {self.path} do not fit the model being trained "
                f"({str(exc).strip().splitlines()[0][:300]}). This folder holds a run of a "
                f"different architecture or size: train into another out= folder, or delete it."
            ) from exc

    def training_state(self) -> dict[str, Any]:
        """Optimiser, scheduler and RNG states, loaded without executing any code.

        Examples:
            >>> import tempfile, torch
            >>> from sketchml.training import save_checkpoint
            >>> net = torch.nn.Linear(2, 2)
            >>> ckpt = save_checkpoint(tempfile.mkdtemp(), step=1, models={"model": net},
            ...                        optimizers={"opt": torch.optim.SGD(net.parameters(), lr=0.1)})
            >>> ckpt.training_state()["optimizers"]["opt"]["param_groups"][0]["lr"]
            0.1
        """
        path = self.path / "training_state.pt"
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise SketchmlError(
                f"Could not read {path} as a weights-only file ({exc}). It is damaged or was "
                f"not written by sketchml; sketchml never loads files that need code execution."
            ) from exc


def _read_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint in ``path`` if it is complete, else None."""
    match = _STEP_DIR.match(path.name)
    meta_file = path / "meta.json"
    if match is None or not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    files = [path / f"{name}.safetensors" for name in meta.get("models", [])]
    files.append(path / "training_state.pt")
    if not all(f.is_file() for f in files):
        return None
    return Checkpoint(path=path, step=int(meta["step"]), meta=meta)


def list_checkpoints(folder: str | os.PathLike[str]) -> list[Checkpoint]:
    """Every complete checkpoint in ``folder``, oldest step first.

    Examples:
        >>> import tempfile
        >>> from sketchml.training import list_checkpoints
        >>> list_checkpoints(tempfile.mkdtemp())
        []
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    found = [c for c in (_read_checkpoint(p) for p in root.iterdir() if p.is_dir()) if c]
    return sorted(found, key=lambda c: c.step)


def run_weights(folder: str | os.PathLike[str], *, export: str,
                models: tuple[str, ...]) -> tuple[dict[str, torch.Tensor], str] | None:
    """The weights a training run folder holds, with where they came from; ``None`` if none.

    A finished run's exported file ``folder/export`` wins; otherwise the first of
    ``models`` found in the newest checkpoint (so ``("g_ema", "g")`` prefers the
    weight average). Families use it so ``sk.model(FAMILY, weights=RUN_FOLDER)``
    loads a run that finished or one that was stopped.

    Examples:
        >>> import tempfile
        >>> from sketchml.training import run_weights
        >>> run_weights(tempfile.mkdtemp(), export="net.safetensors", models=("model",)) is None
        True
    """
    root = Path(folder)
    exported = root / export
    if exported.is_file():
        from sketchml.models.weights import load_weights

        return load_weights(exported), repr(str(exported))
    checkpoint = latest_checkpoint(root / "checkpoints")
    if checkpoint is None:
        return None
    for name in models:
        if name in checkpoint.model_names:
            return checkpoint.weights(name), repr(str(checkpoint.path))
    return None


def latest_checkpoint(folder: str | os.PathLike[str]) -> Checkpoint | None:
    """The newest complete checkpoint in ``folder`` (``None`` when there is none).

    The ``latest`` pointer is trusted when it names a complete checkpoint;
    otherwise the newest complete ``step-*`` folder is used.

    Examples:
        >>> import tempfile
        >>> from sketchml.training import latest_checkpoint
        >>> latest_checkpoint(tempfile.mkdtemp()) is None
        True
    """
    root = Path(folder)
    pointer = root / "latest"
    if pointer.is_file():
        try:
            named = pointer.read_text(encoding="utf-8").strip()
        except OSError:
            named = ""
        if named and "/" not in named and "\\" not in named:
            found = _read_checkpoint(root / named)
            if found is not None:
                return found
    complete = list_checkpoints(root)
    return complete[-1] if complete else None


def _unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return getattr(module, "module", module) if isinstance(
        module, torch.nn.parallel.DistributedDataParallel) else module


def save_checkpoint(
    folder: str | os.PathLike[str],
    *,
    step: int,
    models: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, Any] | None = None,
    schedulers: Mapping[str, Any] | None = None,
    rng: list[dict[str, Any]] | None = None,
    history: list[dict[str, float]] | None = None,
    meta: Mapping[str, Any] | None = None,
    keep: int | None = 2,
) -> Checkpoint:
    """Write a checkpoint for ``step`` into ``folder`` atomically; prune to the newest ``keep``.

    ``optimizers`` and ``schedulers`` map names to anything with ``state_dict()``
    (optimisers, LR schedulers, ``GradScaler``). ``rng`` is a list of
    :func:`~sketchml.training.capture_rng_state` results, one per process.
    ``keep=None`` keeps every checkpoint. Returns the new checkpoint.

    Examples:
        >>> import tempfile, torch
        >>> from sketchml.training import save_checkpoint
        >>> net = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.Adam(net.parameters())
        >>> save_checkpoint(tempfile.mkdtemp(), step=10, models={"model": net},
        ...                 optimizers={"opt": opt}).step
        10
    """
    if keep is not None and keep < 1:
        raise SketchmlError(f"keep={keep} would delete the checkpoint just written; use keep >= 1 "
                            f"or keep=None to keep them all.")
    for name in models:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise SketchmlError(f"Model name {name!r} cannot be a file name; use letters, digits, "
                                f"'_', '-' or '.'.")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{_step_name(step)}-", dir=root))
    try:
        for name, module in models.items():
            target = tmp / f"{name}.safetensors"
            safetensors.torch.save_model(_unwrap(module), str(target))
            _fsync_file(target)
        state = {
            "optimizers": {k: v.state_dict() for k, v in (optimizers or {}).items()},
            "schedulers": {k: v.state_dict() for k, v in (schedulers or {}).items()},
            "rng": rng or [],
        }
        with open(tmp / "training_state.pt", "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        record = {
            **dict(meta or {}),
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "step": step,
            "models": list(models),
            "history": history or [],
        }
        with open(tmp / "meta.json", "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(tmp)
        final = root / _step_name(step)
        if final.exists():
            # A leftover from an earlier run that reached this step: move it aside first,
            # because a folder cannot be renamed over a non-empty one.
            aside = Path(tempfile.mkdtemp(prefix=".tmp-old-", dir=root))
            os.replace(final, aside / final.name)
            os.rename(tmp, final)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(tmp, final)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(root / "latest", final.name + "\n")
    written = Checkpoint(path=final, step=step, meta=record)
    if keep is not None:
        for old in list_checkpoints(root)[:-keep]:
            if old.path != final:
                shutil.rmtree(old.path, ignore_errors=True)
    return written

