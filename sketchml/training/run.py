"""``TrainingRun``: the bookkeeping around a plain PyTorch training loop.

A family's ``train`` stays a short loop it writes itself; the run supplies the
rest — device, seeds, DDP under ``torchrun``, data order, a progress bar, loss
logs and plot, sample callbacks, atomic checkpoints every N steps and on Ctrl-C,
and resuming exactly where the last run stopped::

    run = TrainingRun(out="runs/mine", model={"g": G, "d": D},
                      optimizers={"g": opt_g, "d": opt_d}, steps=2000, seed=1)
    for step, (images, _) in run.loop(dataset, batch_size=64):
        ...                                   # one optimisation step
        run.log(loss_g=loss_g, loss_d=loss_d)

Files under ``out``: ``checkpoints/`` (see :mod:`sketchml.training.checkpoint`),
``losses.jsonl`` (one line per step, appended as it trains), ``losses.csv`` and
``losses.png`` (rewritten at every checkpoint), ``samples/`` (written by the
sample callback). Only rank 0 writes; every process must see ``out`` (a shared
filesystem) to resume.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from sketchml.errors import SketchmlError, did_you_mean
from sketchml.models.threads import apply_threads
from sketchml.training.batches import iterate_batches, to_device
from sketchml.training.checkpoint import Checkpoint, latest_checkpoint, save_checkpoint
from sketchml.training.device import (capture_rng_state, pick_device, restore_rng_state,
                                      seed_everything)
from sketchml.training.distributed import (all_agree, barrier, distributed_info, init_distributed,
                                           wrap_ddp)
from sketchml.training.losses import plot_losses, write_losses_csv, write_losses_jsonl
from sketchml.training.progress import progress_bar
from sketchml.training.samples import save_image_grid, save_text_sample

__all__ = ["TrainingRun"]


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise SketchmlError(f"run.log({name}=...) got a tensor of shape {tuple(value.shape)}; "
                                f"log one number per name (e.g. loss.mean()).")
        return float(value.detach().item())
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise SketchmlError(f"run.log({name}={value!r}): expected a number or a one-element "
                            f"tensor.") from exc


class TrainingRun:
    """Checkpointed, resumable, DDP-ready bookkeeping for a plain PyTorch training loop.

    Args:
        out: folder for checkpoints, logs, the loss plot and samples.
        model: the module being trained, or a dict of them (``{"g": G, "d": D}``). They are
            moved to the run's device, restored from the last checkpoint when resuming, and
            (under ``torchrun``) wrapped in DDP. Call them through :attr:`model` /
            :attr:`models` in the loop so gradients are synchronised.
        steps: total optimisation steps; resuming with a larger value trains further.
        optimizers: optimisers by name (a single one is named ``"opt"``); their state is
            checkpointed. Build them from the module's parameters before the run.
        schedulers: LR schedulers, ``GradScaler`` or anything with ``state_dict()`` /
            ``load_state_dict()``, by name; checkpointed too.
        checkpoint_every: steps between checkpoints (default: a tenth of ``steps``, at
            least 1). A checkpoint is also written at the last step and on Ctrl-C.
        keep: how many checkpoints to keep (default 2; ``None`` keeps all).
        seed: seeds every RNG (process rank added, so each process draws different noise)
            and fixes the data order. Seed model initialisation yourself with
            :func:`~sketchml.training.seed_everything` before building the model.
        device: ``None`` picks CUDA, MPS, then CPU (each ``torchrun`` process takes its own
            GPU); or a device name. torch's CPU thread count is chosen as the run starts
            (see :func:`sketchml.set_threads`).
        resume: continue from the last checkpoint in ``out`` (default True). With False,
            an ``out`` that already holds checkpoints is an error rather than overwritten.
        sample_every: call ``on_sample(run)`` every this many steps and at the end
            (rank 0 only, under ``torch.no_grad()``, models in eval mode, with the training
            RNG streams left untouched). Inside it use the plain modules (:attr:`modules`),
            not the DDP ones.
        on_sample: the sample callback; :meth:`save_samples` writes its output.
        progress: show a progress bar (default: only where someone can see it).
        config: JSON-serialisable settings stored with every checkpoint (e.g. the
            hyper-parameters a family needs to rebuild the model).
        ddp_options: keyword arguments for ``DistributedDataParallel`` (e.g.
            ``{"broadcast_buffers": False}`` for GANs with batch norm).
        minutes: the time budget: the loop ends (saving a checkpoint, :attr:`timed_out` then
            True) once this many minutes of wall time have passed; run again to go on. A
            limited run is reproducible through the step it reached, not its minutes.
        ema: moving averages of weights to keep, as ``{average: trained}`` names of
            ``model`` (e.g. ``{"g_ema": "g"}``); the average is updated after every step
            with decay ``min(ema_decay, (1 + step) / (10 + step))``, so it warms up fast
            instead of staying near the random start; buffers (batch-norm statistics) are
            copied. Averages are checkpointed like any model.
        ema_decay: the averages' decay (default 0.999).
        export: ``{file name: model name}``: when the loop ends (finished, out of time or
            stopped) rank 0 writes each named model's weights to ``out/<file name>`` as
            safetensors, atomically, with ``config`` and the step in the header; this is
            the file ``sk.model(family, weights=out)`` loads.
        should_stop: called before every step; once it returns True the loop ends as on
            Ctrl-C (a checkpoint, the export, :attr:`interrupted` True), e.g. a sketch's
            "stop" button while training runs on another thread.

    Examples:
        >>> import tempfile, torch
        >>> from sketchml.training import TrainingRun
        >>> net = torch.nn.Linear(1, 1)
        >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> run = TrainingRun(out=tempfile.mkdtemp(), model=net, optimizers=opt, steps=20,
        ...                   device="cpu", progress=False)
        >>> for step, _ in run.loop():
        ...     x = torch.rand(16, 1)
        ...     loss = ((run.model(x) - 2 * x) ** 2).mean()
        ...     opt.zero_grad(); loss.backward(); opt.step()
        ...     run.log(loss=loss)
        >>> run.step, run.completed
        (20, True)
    """

    def __init__(
        self,
        *,
        out: str | os.PathLike[str],
        model: torch.nn.Module | Mapping[str, torch.nn.Module],
        steps: int,
        optimizers: torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] | None = None,
        schedulers: Any | Mapping[str, Any] | None = None,
        checkpoint_every: int | None = None,
        keep: int | None = 2,
        seed: int = 0,
        device: str | torch.device | None = None,
        resume: bool = True,
        sample_every: int | None = None,
        on_sample: Callable[[TrainingRun], Any] | None = None,
        progress: bool | None = None,
        config: Mapping[str, Any] | None = None,
        ddp_options: Mapping[str, Any] | None = None,
        minutes: float | None = None,
        ema: Mapping[str, str] | None = None,
        ema_decay: float = 0.999,
        export: Mapping[str, str] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        if not isinstance(steps, int) or steps < 1:
            raise SketchmlError(f"steps must be a whole number >= 1, got {steps!r}.")
        if checkpoint_every is not None and checkpoint_every < 1:
            raise SketchmlError(f"checkpoint_every must be >= 1 (steps between checkpoints), "
                                f"got {checkpoint_every!r}.")
        if sample_every is not None and (sample_every < 1 or on_sample is None):
            raise SketchmlError("sample_every needs on_sample=fn (called as fn(run)) and a value "
                                ">= 1.")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, (int, float))
                                    or minutes < 0):
            raise SketchmlError(f"minutes must be a number >= 0 (the time budget), got {minutes!r}.")
        if not 0.0 <= ema_decay < 1.0:
            raise SketchmlError(f"ema_decay must be in [0, 1) (0.999 is usual), got {ema_decay!r}.")
        if config is not None:
            try:
                json.dumps(dict(config))
            except TypeError as exc:
                raise SketchmlError(f"config must be JSON-serialisable (numbers, strings, lists, "
                                    f"dicts): {exc}.") from exc
        self.out = Path(out)
        self.steps = steps
        self.checkpoint_every = checkpoint_every or max(1, steps // 10)
        self.keep = keep
        self.seed = seed
        self.sample_every = sample_every or (steps if on_sample is not None else None)
        self.on_sample = on_sample
        self.config = dict(config or {})
        self.progress = progress
        self.interrupted = False
        self.timed_out = False
        self.minutes = minutes
        self.ema = dict(ema or {})
        self.ema_decay = ema_decay
        self.export = dict(export or {})
        self.should_stop = should_stop
        self.history: list[dict[str, float]] = []

        self.info = distributed_info()
        self.device = pick_device(device)
        apply_threads()
        if self.info.is_distributed and self.device.type == "cuda" and self.device.index is None:
            # Each torchrun process on a machine takes its own GPU.
            self.device = torch.device("cuda", self.info.local_rank)
        # The backend follows the device trained on: a CPU run on a GPU machine uses gloo.
        self.info, self._joined_group = init_distributed(
            backend="nccl" if self.device.type == "cuda" else "gloo")

        modules = dict(model) if isinstance(model, Mapping) else {"model": model}
        if not modules or not all(isinstance(m, torch.nn.Module) for m in modules.values()):
            raise SketchmlError("model must be a torch.nn.Module or a dict of them, e.g. "
                                "model={'g': generator, 'd': discriminator}.")
        self.modules: dict[str, torch.nn.Module] = modules
        for name in [*self.ema, *self.ema.values(), *self.export.values()]:
            if name not in modules:
                raise SketchmlError(f"ema= and export= name models of this run; {name!r} is not "
                                    f"one.{did_you_mean(name, modules)} Its models: "
                                    f"{', '.join(modules)}.")
        self.optimizers = self._named(optimizers, "opt")
        self.schedulers = self._named(schedulers, "sched")
        for module in self.modules.values():
            module.to(self.device)

        self.step = 0
        self.checkpoint: Checkpoint | None = None
        found = latest_checkpoint(self.checkpoint_dir)
        if found is not None and not resume:
            raise SketchmlError(
                f"{self.out} already holds a training run (checkpoint at step {found.step}). "
                f"Pass resume=True to continue it, or choose another out= folder (or delete "
                f"this one) to start afresh."
            )
        if found is not None:
            self._resume_from(found)
        else:
            seed_everything(seed + self.info.rank)
        self.models: dict[str, torch.nn.Module] = {
            name: wrap_ddp(module, self.device, **dict(ddp_options or {}))
            for name, module in self.modules.items()
        }
        if self.info.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_losses_jsonl(self.history, self.log_path)
        self._pending: dict[str, float] = {}
        self._log_file: Any = None
        self._stop_requested = False
        self._stop_time = 0.0
        self._last_saved_step = self.step if found is not None else -1

    @staticmethod
    def _named(value: Any, default: str) -> dict[str, Any]:
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return dict(value)
        return {default: value}

    @property
    def model(self) -> torch.nn.Module:
        """The model to call in the loop (DDP-wrapped under ``torchrun``), when there is one."""
        if len(self.models) != 1:
            raise SketchmlError(f"This run trains several models ({', '.join(self.models)}); "
                                f"use run.models[name].")
        return next(iter(self.models.values()))

    @property
    def checkpoint_dir(self) -> Path:
        """``out/checkpoints``."""
        return self.out / "checkpoints"

    @property
    def log_path(self) -> Path:
        """``out/losses.jsonl``: one JSON record per logged step."""
        return self.out / "losses.jsonl"

    @property
    def plot_path(self) -> Path:
        """``out/losses.png``: the loss plot, redrawn at every checkpoint."""
        return self.out / "losses.png"

    @property
    def completed(self) -> bool:
        """True once :attr:`step` has reached :attr:`steps`."""
        return self.step >= self.steps

    @property
    def is_main(self) -> bool:
        """True on the process that writes files (rank 0; always true without ``torchrun``)."""
        return self.info.is_main

    def _resume_from(self, found: Checkpoint) -> None:
        names = found.model_names
        if sorted(names) != sorted(self.modules):
            raise SketchmlError(
                f"{self.out} holds a run of models {names}, but this run trains "
                f"{list(self.modules)}. Use the same model names, or another out= folder."
            )
        for name, module in self.modules.items():
            found.load_model(name, module)
        state = found.training_state()
        for kind, mine in (("optimizers", self.optimizers), ("schedulers", self.schedulers)):
            saved = state.get(kind, {})
            for name, obj in mine.items():
                if name not in saved:
                    raise SketchmlError(
                        f"The checkpoint in {found.path} has no {kind[:-1]} named {name!r} "
                        f"(it has {sorted(saved)}).{did_you_mean(name, saved)} Use the names "
                        f"of the run being resumed, or another out= folder."
                    )
                obj.load_state_dict(saved[name])
        rng = state.get("rng", [])
        if found.meta.get("world_size", self.info.world_size) != self.info.world_size:
            warnings.warn(f"Resuming a run saved with {found.meta.get('world_size')} processes on "
                          f"{self.info.world_size}; the data order from here on differs.",
                          stacklevel=3)
        if len(rng) == self.info.world_size:
            restore_rng_state(rng[self.info.rank])
        else:
            # A different number of processes cannot replay the old random streams;
            # a fresh seed per (rank, step) keeps the continuation reproducible.
            seed_everything(self.seed + self.info.rank + found.step * 1_000_003)
        self.history = found.history
        self.step = found.step
        self.checkpoint = found

    def log(self, **values: Any) -> None:
        """Record loss values (numbers or one-element tensors) for the current step.

        Examples:
            >>> import tempfile, torch
            >>> from sketchml.training import TrainingRun
            >>> run = TrainingRun(out=tempfile.mkdtemp(), model=torch.nn.Linear(1, 1),
            ...                   steps=1, device="cpu", progress=False)
            >>> for step, _ in run.loop():
            ...     run.log(loss=0.5, accuracy=torch.tensor(0.75))
            >>> run.history
            [{'step': 1, 'loss': 0.5, 'accuracy': 0.75}]
        """
        for name, value in values.items():
            self._pending[name] = _as_float(value, name)

    def save_samples(self, samples: Any, *, name: str | None = None, nrow: int | None = None,
                     value_range: tuple[float, float] = (0.0, 1.0)) -> Path | None:
        """Write samples for the current step under ``out/samples/`` (rank 0 only).

        ``samples`` is an image tensor ``(N, C, H, W)`` (a PNG grid) or a ``str`` (a text
        file). ``name`` defaults to ``step-00000200``. Returns the path written, or ``None``
        on other ranks.

        Examples:
            >>> import tempfile, torch
            >>> from sketchml.training import TrainingRun
            >>> run = TrainingRun(out=tempfile.mkdtemp(), model=torch.nn.Linear(1, 1),
            ...                   steps=1, device="cpu", progress=False)
            >>> run.save_samples(torch.rand(4, 3, 8, 8)).name
            'step-00000000.png'
        """
        if not self.is_main:
            return None
        stem = name or f"step-{self.step:08d}"
        folder = self.out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(samples, str):
            return save_text_sample(samples, folder / f"{stem}.txt")
        if isinstance(samples, torch.Tensor):
            return save_image_grid(samples, folder / f"{stem}.png", nrow=nrow,
                                   value_range=value_range)
        raise SketchmlError(f"save_samples takes an image tensor (N, C, H, W) or a str, got "
                            f"{type(samples).__name__}.")

    def loop(self, data: Any = None, *, batch_size: int | None = None, shuffle: bool = True,
             drop_last: bool = True, num_workers: int = 0,
             collate_fn: Callable[[list[Any]], Any] | None = None) -> Iterator[tuple[int, Any]]:
        """Yield ``(step, batch)`` from the step after the last checkpoint up to ``steps``.

        ``data`` is a map-style ``Dataset`` (batched here with ``batch_size``, shuffled per
        epoch, sharded across processes and resumed mid-epoch exactly), a ``DataLoader`` or
        any iterable of batches (cycled; a resumed run restarts it from its beginning, so pass
        the Dataset itself for exact resuming), or ``None`` (``batch`` is ``None``). Tensors in a
        batch arrive on the run's device. After each step the run logs, checkpoints and
        samples when due. Ctrl-C finishes the current step, saves a checkpoint, prints how to
        resume and ends the loop (``run.interrupted`` is then True).

        Examples:
            >>> import tempfile, torch
            >>> from torch.utils.data import TensorDataset
            >>> from sketchml.training import TrainingRun
            >>> data = TensorDataset(torch.rand(32, 2))
            >>> run = TrainingRun(out=tempfile.mkdtemp(), model=torch.nn.Linear(2, 1),
            ...                   steps=5, device="cpu", progress=False)
            >>> [tuple(batch[0].shape) for step, batch in run.loop(data, batch_size=8)][0]
            (8, 2)
        """
        if self.completed:
            if self.is_main:
                print(f"{self.out} is already trained to step {self.step} of {self.steps}; pass a "
                      f"larger steps= to train further.", file=sys.stderr)
            if self._joined_group:
                self._leave_group()
            return
        batches = iterate_batches(data, start_step=self.step, info=self.info, seed=self.seed,
                                  device=self.device, batch_size=batch_size, shuffle=shuffle,
                                  drop_last=drop_last, num_workers=num_workers,
                                  collate_fn=collate_fn)
        bar = progress_bar(total=self.steps, initial=self.step, desc=self.out.name or "training",
                           quiet=None if self.progress is None else not self.progress) \
            if self.is_main else None
        previous_handler = self._install_sigint()
        self._log_file = open(self.log_path, "a", encoding="utf-8") if self.is_main else None
        deadline = None if self.minutes is None else time.monotonic() + self.minutes * 60
        try:
            while self.step < self.steps:
                # Checked before a step, so minutes=0 takes none and a step once begun ends.
                out_of_time = deadline is not None and time.monotonic() > deadline
                if all_agree(out_of_time, self.device):
                    self.timed_out = True
                    self._finish()
                    if self.is_main:
                        print(f"Time budget of {self.minutes:g} minutes used at step {self.step} "
                              f"of {self.steps}; saved in {self.out}. Run the same training "
                              f"again to go on.", file=sys.stderr)
                    return
                if self.should_stop is not None and all_agree(self.should_stop(), self.device):
                    self._stop(bar)
                    return
                batch = to_device(next(batches), self.device)
                step = self.step + 1
                self._pending = {}
                yield step, batch
                self.step = step
                self._after_step(bar)
                if all_agree(self._stop_requested, self.device):
                    self._stop(bar)
                    return
            self._finish()
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
            if bar is not None:
                bar.close()
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None
            batches.close()
            if self._joined_group and (self.completed or self.interrupted or self.timed_out):
                self._leave_group()

    def _install_sigint(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return None

        def on_sigint(signum: int, frame: Any) -> None:
            now = time.monotonic()
            if self._stop_requested:
                # torchrun relays the terminal's Ctrl-C to its workers, who also got it
                # directly: a repeat within moments is the same press. A later one is a
                # person insisting, and stops at once, the usual way.
                if now - self._stop_time < 2.0:
                    return
                raise KeyboardInterrupt
            self._stop_requested = True
            self._stop_time = now
            if self.is_main:
                print(f"\nCtrl-C: finishing step {self.step + 1}, then saving a checkpoint "
                      f"(press Ctrl-C again to stop at once, without saving).", file=sys.stderr)

        return signal.signal(signal.SIGINT, on_sigint)

    @torch.no_grad()
    def _update_averages(self) -> None:
        decay = min(self.ema_decay, (1 + self.step) / (10 + self.step))
        for average, trained in self.ema.items():
            mean, current = self.modules[average], self.modules[trained]
            for target, source in zip(mean.parameters(), current.parameters(), strict=True):
                target.lerp_(source, 1.0 - decay)
            for target, source in zip(mean.buffers(), current.buffers(), strict=True):
                target.copy_(source)

    def _after_step(self, bar: Any) -> None:
        if self.ema:
            self._update_averages()
        if self._pending:
            record = {"step": self.step, **self._pending}
            self.history.append(record)
            if self._log_file is not None:
                self._log_file.write(json.dumps(record) + "\n")
                self._log_file.flush()
        if bar is not None:
            bar.update(1)
            if self._pending:
                bar.set_postfix({k: f"{v:.4g}" for k, v in self._pending.items()}, refresh=False)
        if self.step % self.checkpoint_every == 0 or self.step == self.steps:
            self.save()
        if self.sample_every is not None and (self.step % self.sample_every == 0
                                              or self.step == self.steps):
            self._sample()

    def _sample(self) -> None:
        if not self.is_main or self.on_sample is None:
            return
        state = capture_rng_state()
        # Eval mode, so sampling neither updates batch-norm statistics nor drops units;
        # each submodule's own mode is put back afterwards.
        modes = [(m, m.training) for module in self.modules.values() for m in module.modules()]
        try:
            for module in self.modules.values():
                module.eval()
            with torch.no_grad():
                self.on_sample(self)
        finally:
            for m, training in modes:
                m.training = training
            restore_rng_state(state)

    def save(self) -> Checkpoint | None:
        """Write a checkpoint of the current step now (every process must call it together).

        Examples:
            >>> import tempfile, torch
            >>> from sketchml.training import TrainingRun
            >>> run = TrainingRun(out=tempfile.mkdtemp(), model=torch.nn.Linear(1, 1),
            ...                   steps=1, device="cpu", progress=False)
            >>> run.save().step
            0
        """
        rng = [capture_rng_state()]
        if self.info.is_distributed and dist.is_initialized():
            gathered: list[Any] = [None] * self.info.world_size
            dist.all_gather_object(gathered, rng[0])
            rng = gathered
        written = None
        if self.is_main:
            meta = {"steps": self.steps, "seed": self.seed, "world_size": self.info.world_size,
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "torch": torch.__version__, "config": self.config}
            written = save_checkpoint(self.checkpoint_dir, step=self.step, models=self.modules,
                                      optimizers=self.optimizers, schedulers=self.schedulers,
                                      rng=rng, history=self.history, meta=meta, keep=self.keep)
            self.checkpoint = written
            write_losses_csv(self.history, self.out / "losses.csv")
            plot_losses(self.history, self.plot_path, title=f"{self.out.name}: losses")
        self._last_saved_step = self.step
        barrier()
        return written

    def _stop(self, bar: Any) -> None:
        self.interrupted = True
        if self._last_saved_step != self.step:
            self.save()
        self._export()
        if bar is not None:
            bar.close()
        if self.is_main:
            where = self.checkpoint.path if self.checkpoint else self.checkpoint_dir
            print(f"Training stopped at step {self.step} of {self.steps}; checkpoint saved in "
                  f"{where}. To resume, run the same training again with out='{self.out}': it "
                  f"continues from step {self.step}.", file=sys.stderr)

    def _finish(self) -> None:
        if self._last_saved_step != self.step:
            self.save()
        self._export()

    def _export(self) -> None:
        if not self.is_main or not self.export:
            return
        from safetensors.torch import save

        from sketchml.files import atomic_write_bytes

        meta = {"format": "sketchml-export/1",
                "config": json.dumps({**self.config, "step": self.step})}
        for file, name in self.export.items():
            state = {k: v.detach().cpu().contiguous()
                     for k, v in self.modules[name].state_dict().items()}
            atomic_write_bytes(self.out / file, save(state, metadata=meta))

    def _leave_group(self) -> None:
        if dist.is_initialized():
            # Leave together: a process that tears its gloo connections down while a peer
            # is still using them makes that peer abort at exit ("terminate called ...").
            dist.barrier()
            dist.destroy_process_group()
        self._joined_group = False

