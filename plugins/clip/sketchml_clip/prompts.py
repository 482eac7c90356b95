"""Prompts for CLIP guidance: weighted texts, negatives and image prompts.

A prompt string holds one or more parts separated by ``|``; each part may end with
``:weight``. Positive weights pull the picture towards a part, negative weights push it
away::

    "a lighthouse:1 | fog:0.5 | text:-1"

A part without a weight weighs 1. Image prompts (a picture the result should look like)
are given beside the text, as paths, tensors or ``(image, weight)`` pairs.

:func:`read_prompts` reads a file of prompts, one per line, and reports blank and
malformed lines with their numbers instead of stopping at the first.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sketchml.plugin import SketchmlError

__all__ = ["Prompt", "PromptLine", "parse_prompt", "read_prompts"]

# "text:weight" where the weight is a plain or scientific number, maybe signed.
_WEIGHTED = re.compile(r"^(?P<text>.*?)\s*:\s*(?P<weight>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$",
                       re.DOTALL)
_EXAMPLE = "e.g. 'a lighthouse:1 | fog:0.5 | text:-1'"


@dataclass(frozen=True)
class Prompt:
    """One part of a prompt: a text (or an image) and how strongly it pulls (negative: pushes).

    Attributes:
        text: the words, or ``""`` for an image prompt.
        weight: how much this part counts; negative to steer away from it.
        image: the image of an image prompt (a path, a tensor ``(3, H, W)`` / ``(1, 3, H, W)``
            in [0, 1], a PIL image or a numpy array), else ``None``.

    Examples:
        >>> Prompt("fog", 0.5)
        Prompt(text='fog', weight=0.5, image=None)
    """

    text: str
    weight: float = 1.0
    image: Any = None

    def describe(self) -> str:
        """``text:weight`` (or ``<image>:weight``), as it would be written in a prompt."""
        what = self.text if self.image is None else f"<image {_image_name(self.image)}>"
        return f"{what}:{self.weight:g}"


def parse_prompt(prompt: str | Sequence[Any] | None, *,
                 images: Iterable[Any] | None = None) -> list[Prompt]:
    """The parts of a prompt: ``"a lighthouse:1 | fog:0.5 | text:-1"`` -> three :class:`Prompt`.

    Args:
        prompt: a prompt string, a list of strings or ``(text, weight)`` pairs, or ``None``
            when only image prompts steer.
        images: image prompts: images, or ``(image, weight)`` pairs.

    Raises:
        SketchmlError: for an empty prompt, an empty part (``"a ||b"``), a ``:`` with no
            number after it, a weight that is not finite, or no part with a positive weight.

    Examples:
        >>> [(p.text, p.weight) for p in parse_prompt("a lighthouse:1 | fog:0.5 | text:-1")]
        [('a lighthouse', 1.0), ('fog', 0.5), ('text', -1.0)]
    """
    parts: list[Prompt] = []
    if isinstance(prompt, str):
        parts.extend(_parse_string(prompt))
    elif prompt is not None:
        for item in prompt:
            if isinstance(item, str):
                parts.extend(_parse_string(item))
            elif isinstance(item, Prompt):
                parts.append(item)
            elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
                parts.append(Prompt(_check_text(item[0], item[0]), _check_weight(item[1], item[0])))
            else:
                raise SketchmlError(
                    f"A prompt list holds strings or (text, weight) pairs, got {item!r}; {_EXAMPLE}.")
    for item in images or ():
        image, weight = item if isinstance(item, tuple) and len(item) == 2 else (item, 1.0)
        parts.append(Prompt("", _check_weight(weight, "an image prompt"), image))
    if not parts:
        raise SketchmlError(
            f"The prompt is empty: say what the picture should show, {_EXAMPLE}, or give "
            "image prompts.")
    if not any(part.weight > 0 for part in parts):
        raise SketchmlError(
            f"Every part of the prompt has a weight of 0 or less ({_describe(parts)}), so nothing "
            "pulls the picture anywhere: give at least one part a positive weight, "
            f"{_EXAMPLE}.")
    return parts


def _parse_string(prompt: str) -> list[Prompt]:
    if not prompt.strip():
        raise SketchmlError(f"The prompt is empty: say what the picture should show, {_EXAMPLE}.")
    parts = []
    for index, piece in enumerate(prompt.split("|")):
        if not piece.strip():
            raise SketchmlError(
                f"Part {index + 1} of the prompt {prompt!r} is empty (two '|' in a row, or one at "
                f"an end): remove the extra '|', {_EXAMPLE}.")
        match = _WEIGHTED.match(piece)
        if match:
            text, weight = match["text"], float(match["weight"])
        else:
            text, weight = piece.strip(), 1.0
            if text.endswith(":"):
                raise SketchmlError(
                    f"Part {index + 1} of the prompt ({piece.strip()!r}) ends with ':' but no "
                    f"weight: write a number after it, like 'fog:0.5', or remove the ':'.")
        parts.append(Prompt(_check_text(text, piece), _check_weight(weight, piece.strip())))
    return parts


def _check_text(text: str, piece: str) -> str:
    text = text.strip()
    if not text:
        raise SketchmlError(
            f"The prompt part {piece.strip()!r} has a weight but no words: write them before "
            "the ':', like 'fog:0.5'.")
    return text


def _check_weight(weight: Any, where: str) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
        raise SketchmlError(
            f"The weight of {where!r} must be a finite number (like 0.5 or -1), got {weight!r}.")
    return float(weight)


def _describe(parts: Sequence[Prompt]) -> str:
    return " | ".join(part.describe() for part in parts)


def _image_name(image: Any) -> str:
    if isinstance(image, (str, os.PathLike)):
        return Path(image).name
    return type(image).__name__


@dataclass(frozen=True)
class PromptLine:
    """A line of a prompts file: its number (from 1), its text, and its parts or the problem.

    Attributes:
        number: the line number, counting from 1.
        text: the line without its line break.
        prompts: the parsed parts (empty when the line has a problem).
        error: what is wrong with the line, or ``""``.
    """

    number: int
    text: str
    prompts: tuple[Prompt, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether the line is a prompt that can be rendered."""
        return not self.error


def read_prompts(path: str | os.PathLike[str]) -> list[PromptLine]:
    """Every non-comment line of a prompts file, parsed; problems are kept, not raised.

    One prompt per line, in the syntax of :func:`parse_prompt`. Lines starting with ``#``
    are comments. A blank line or a malformed prompt becomes a :class:`PromptLine` whose
    ``error`` says what is wrong, so a caller can report it with its line number and render
    the rest.

    Examples:
        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "prompts.txt"
        >>> _ = file.write_text("a red circle\\n\\na blue star | :2\\n")
        >>> [(line.number, line.ok) for line in read_prompts(file)]
        [(1, True), (2, False), (3, False)]
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SketchmlError(
            f"No prompts file at {str(file)!r}: write one prompt per line (e.g. 'a red circle') "
            "and pass its path.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SketchmlError(f"Cannot read the prompts file {str(file)!r} ({err}); it must be "
                            "UTF-8 text, one prompt per line.") from err
    lines = text.splitlines()
    # A trailing newline does not make a blank last line worth reporting.
    while lines and not lines[-1].strip():
        lines.pop()
    found = []
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        if not line.strip():
            found.append(PromptLine(number, line, error="blank line (no prompt)"))
            continue
        try:
            found.append(PromptLine(number, line, tuple(parse_prompt(line))))
        except SketchmlError as err:
            found.append(PromptLine(number, line, error=str(err)))
    return found
