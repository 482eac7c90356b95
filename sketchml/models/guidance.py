"""``sk.guide(prompt)``: text-to-image by CLIP guidance, and a whole file of prompts.

Guidance lives in a plugin: the core never imports one nor names its models, so
:func:`guide` builds the scorer through the registry (the first family declaring the
``guide`` capability, unless ``clip=`` names one) and calls its ``guide`` method.

:func:`guide_prompts` renders a file of prompts, one per line, into a folder: each
result as PNG + latent + settings, blank and malformed lines reported with their
numbers while the rest render, finished prompts skipped when run again, and a
contact sheet of them all.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sketchml.errors import SketchmlError

__all__ = ["GuideBatch", "contact_sheet", "guide", "guide_prompts", "result_name"]

SHEET_NAME = "contact-sheet.png"


def guide(prompt: Any = None, *, model: Any = None, clip: Any = None,
          clip_weights: str | os.PathLike[str] | None = None, device: Any = None,
          **options: Any) -> Any:
    """Steer ``model`` towards ``prompt`` with a CLIP-like scorer: an iterator of ``(step, image, loss, latent)``.

    The core knows no guiding family by name: the work is done by the ``guide`` method
    of the scorer, a model whose family declares the ``guide`` capability (the clip
    plugin's ``clip`` does).

    Args:
        prompt: ``"a lighthouse:1 | fog:0.5 | text:-1"``: parts separated by ``|``, each with
            an optional ``:weight``; negative weights steer away.
        model: what makes the picture: a generator's name or a model you built, or a
            parameterisation the scorer's family knows; ``None`` (the default) leaves the
            choice to the scorer's family.
        clip: the scorer's name or a model you built; ``None`` (the default) is the default
            variant of the first installed family (by name) that can guide.
        clip_weights: a weights file for the scorer, when ``clip`` is a name or ``None``.
        device: where the scorer runs when ``clip`` is a name or ``None`` (default: the best).
        **options: the scorer family's guidance options (``steps``, ``seed``, ``lr`` ...).

    Returns:
        A guidance iterator: ``for step, image, loss, latent in sk.guide(...)`` draws the
        picture forming; ``.result()`` is the best so far, ``.run()`` runs to the end.

    Examples:
        >>> import sketchml as sk
        >>> result = sk.guide("a red circle", steps=30).run()  # doctest: +SKIP
        >>> result.save("red-circle.png")  # doctest: +SKIP
    """
    from sketchml.models.base import Model

    _check_prompt(prompt)  # before any model loads: that takes seconds
    if isinstance(clip, Model):
        if clip_weights is not None or device is not None:
            raise SketchmlError("clip_weights= and device= apply when clip is a name; this model "
                                "is already built, so set them when you make it.")
        scorer = clip
    elif clip is None or isinstance(clip, str):
        scorer = _scorer(clip, weights=clip_weights, device=device)
    else:
        raise SketchmlError(f"clip= is the name of a model that can guide, or a built one, got "
                            f"{type(clip).__name__}.")
    method = getattr(scorer, "guide", None)
    if not callable(method):
        raise SketchmlError(
            f"The {scorer.name!r} model cannot guide generators (it has no guide() method). "
            f"Models that can: {', '.join(_guiders()) or 'none installed'}.")
    if model is not None:
        options["model"] = model
    return method(prompt, **options)


def _check_prompt(prompt: Any) -> None:
    """Refuse a prompt with no words in it (``""``, ``" | "``, ``":1"``)."""
    if isinstance(prompt, str) and not any(
            part.rpartition(":")[0 if ":" in part else 2].strip() for part in prompt.split("|")):
        raise SketchmlError(
            f"The prompt {prompt!r} is empty: say what the picture should show, e.g. "
            "'a lighthouse:1 | fog:0.5 | text:-1'."
        )


def _guiders() -> list[str]:
    """The families (default variants) that declare the ``guide`` capability, by name."""
    from sketchml.models.registry import models

    return sorted(e.name.split(".", 1)[0] for e in models() if e.default and "guide" in e.capabilities)


def _scorer(name: str | None, *, weights: Any, device: Any) -> Any:
    from sketchml.models.registry import model as load_model

    if name is None:
        found = _guiders()
        if not found:
            raise SketchmlError(
                "No installed model family can guide (none declares the 'guide' capability); "
                "install one that does (sketchml's clip plugin: pip install sketchml-clip) or "
                "pass clip=MODEL.")
        name = found[0]
    return load_model(name, weights=weights, device=device)


@dataclass
class GuideBatch:
    """What :func:`guide_prompts` did, line by line.

    Attributes:
        rendered: ``(line number, PNG path)`` of each prompt rendered now.
        resumed: ``(line number, PNG path)`` of each prompt found already rendered.
        problems: ``(line number, message)`` of each blank or malformed line, or failed prompt.
        sheet: the contact sheet's path, or ``None`` when nothing was rendered.
    """

    rendered: list[tuple[int, Path]] = field(default_factory=list)
    resumed: list[tuple[int, Path]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    sheet: Path | None = None

    @property
    def blank(self) -> list[int]:
        """Line numbers of blank lines."""
        return [number for number, message in self.problems if message == _BLANK]

    @property
    def malformed(self) -> list[tuple[int, str]]:
        """``(line number, message)`` of the lines that are not blank yet could not be rendered."""
        return [(number, message) for number, message in self.problems if message != _BLANK]


_BLANK = "blank line (no prompt)"


def guide_prompts(prompts: str | os.PathLike[str], *, out: str | os.PathLike[str],
                  sheet_size: int = 160, progress: bool | None = None,
                  on_line: Any = None, save_size: int | None = None, resample: str = "lanczos",
                  **options: Any) -> GuideBatch:
    """Render every prompt of a file (one per line) into ``out``, resumably, with a contact sheet.

    Each prompt's result is saved as ``NAME.png``, ``NAME.safetensors`` (its latent) and
    ``NAME.json`` (its settings), where ``NAME`` is made from the prompt's words and a short
    hash of the prompt and ``options``, so running again skips the prompts already done and
    renders the rest (change an option and they render anew). Lines starting with ``#`` are
    comments; blank lines and prompts that cannot be rendered are reported with their line
    numbers, and the other lines still render. ``contact-sheet.png`` in ``out`` shows every
    result of the file, captioned.

    Args:
        prompts: the prompts file.
        out: the folder for the results.
        sheet_size: side of each picture on the contact sheet, in pixels.
        progress: show a progress bar over the prompts (default: when a person watches).
        on_line: called as ``on_line(number, status, detail)`` after each line
            (``status`` is ``"rendered"``, ``"resumed"`` or ``"problem"``), e.g. to print.
        save_size: scale each saved PNG so its longer side is this many pixels (default:
            the picture's own size), with ``resample`` (``"lanczos"`` by default, see
            :meth:`Images.resized <sketchml.Images.resized>`).
        resample: how ``save_size`` scales.
        **options: passed to :func:`guide` (``model``, ``clip``, ``steps``, ``seed`` ...).

    Examples:
        >>> import sketchml as sk
        >>> batch = guide_prompts("prompts.txt", out="renders", steps=50)  # doctest: +SKIP
        >>> batch.sheet  # doctest: +SKIP
        PosixPath('renders/contact-sheet.png')
    """
    file = Path(prompts)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SketchmlError(f"No prompts file at {str(file)!r}: write one prompt per line "
                            "(e.g. 'a red circle') and pass its path.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SketchmlError(f"Cannot read the prompts file {str(file)!r} ({err}); it must be "
                            "UTF-8 text, one prompt per line.") from err
    while lines and not lines[-1].strip():
        lines.pop()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        raise SketchmlError(
            f"The prompts file {str(file)!r} holds no prompts (only blank lines and # comments), "
            "so nothing would be rendered: write one prompt per line, e.g. 'a red circle'."
        )
    if save_size is not None:
        from sketchml.models.results import check_resize

        check_resize(save_size, resample)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    batch = GuideBatch()
    done: list[tuple[int, str, Path]] = []

    def report(number: int, status: str, detail: Any) -> None:
        if on_line is not None:
            on_line(number, status, detail)

    # Built once, on the first prompt that needs rendering, then shared by all the others:
    # loading a CLIP or a GAN per line would take longer than many guidance runs.
    shared = dict(options)

    def start(prompt: str) -> Any:
        from sketchml.models.base import Model

        clip = shared.get("clip")
        if clip is None or isinstance(clip, str):
            shared["clip"] = _scorer(clip, weights=shared.pop("clip_weights", None),
                                     device=shared.pop("device", None))
        guidance = guide(prompt, **shared)
        if not isinstance(shared.get("model"), Model):
            shared["model"] = guidance.model
            shared.pop("size", None)
            shared.pop("weights", None)
        return guidance

    from sketchml.training import progress_bar

    wanted = [(n, line) for n, line in enumerate(lines, start=1) if not line.lstrip().startswith("#")]
    bar = progress_bar(total=len(wanted), desc="prompts",
                       quiet=None if progress is None else not progress)
    try:
        for number, line in wanted:
            bar.update(1)
            prompt = line.strip()
            if not prompt:
                batch.problems.append((number, _BLANK))
                report(number, "problem", _BLANK)
                continue
            stem = folder / result_name(prompt, options)
            png = stem.with_name(stem.name + ".png")
            if png.is_file() and stem.with_name(stem.name + ".safetensors").is_file():
                batch.resumed.append((number, png))
                done.append((number, prompt, png))
                report(number, "resumed", png)
                continue
            try:
                result = start(prompt).run(progress=False)
            except SketchmlError as err:
                batch.problems.append((number, str(err)))
                report(number, "problem", str(err))
                continue
            result.save(png, size=save_size, resample=resample)
            batch.rendered.append((number, png))
            done.append((number, prompt, png))
            report(number, "rendered", png)
    finally:
        bar.close()
    if done:
        batch.sheet = contact_sheet([(f"{number}: {prompt}", png) for number, prompt, png in done],
                                    folder / SHEET_NAME, size=sheet_size)
    return batch


def _signature(options: dict[str, Any]) -> str:
    """The options that change a result, as text (objects by their type and name)."""
    def plain(value: Any) -> Any:
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in sorted(value.items())}
        return f"{type(value).__name__}:{getattr(value, 'name', '')}"
    return json.dumps(plain(options), sort_keys=True)


def result_name(prompt: str, options: dict[str, Any]) -> str:
    """A file name for a prompt's result: its words, then a hash of the prompt and options.

    Examples:
        >>> result_name("A red circle!", {"steps": 50})
        'a-red-circle-a4faf42e'
    """
    words = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:48].strip("-") or "prompt"
    digest = hashlib.sha1(f"{prompt}\n{_signature(options)}".encode()).hexdigest()[:8]
    return f"{words}-{digest}"


def contact_sheet(items: list[tuple[str, Path]], path: str | os.PathLike[str], *,
                  size: int = 160) -> Path:
    """A captioned grid of pictures, written atomically to ``path``; returns the path.

    Examples:
        >>> import tempfile, pathlib, numpy as np, imageio.v3 as iio
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> iio.imwrite(folder / "a.png", np.zeros((8, 8, 3), np.uint8))
        >>> contact_sheet([("1: a", folder / "a.png")], folder / "sheet.png", size=32).name
        'sheet.png'
    """
    from PIL import Image, ImageDraw, ImageFont

    from sketchml.files import atomic_path

    if not items:
        raise SketchmlError("A contact sheet needs at least one picture.")
    font = ImageFont.load_default()
    caption = 28
    columns = math.ceil(math.sqrt(len(items)))
    rows = math.ceil(len(items) / columns)
    sheet = Image.new("RGB", (columns * (size + 8) + 8, rows * (size + caption + 8) + 8), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for index, (label, picture) in enumerate(items):
        row, column = divmod(index, columns)
        x, y = 8 + column * (size + 8), 8 + row * (size + caption + 8)
        with Image.open(picture) as opened:
            tile = opened.convert("RGB").resize((size, size), Image.Resampling.NEAREST
                                                if opened.width <= size else Image.Resampling.LANCZOS)
        sheet.paste(tile, (x, y))
        for k, text in enumerate(_wrap(label, draw, font, size)[:2]):
            draw.text((x, y + size + 2 + 12 * k), text, fill=(230, 230, 230), font=font)
    target = Path(path)
    with atomic_path(target) as tmp:
        sheet.save(tmp)
    return target


def _wrap(text: str, draw: Any, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and draw.textlength(trial, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    if len(lines) > 2:
        lines[1] = lines[1][: max(1, len(lines[1]) - 3)] + "..."
    return lines
