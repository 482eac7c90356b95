"""Loss history on disk: a JSON-lines log as training goes, a CSV and a PNG plot (Pillow).

Only Pillow draws the plot, so matplotlib is not needed. Each loss gets its own
colour: a faint line for the raw values and a strong one for a moving average.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from sketchml.files import atomic_write_bytes, atomic_write_text

__all__ = ["plot_losses", "write_losses_csv", "write_losses_jsonl"]

_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _keys(history: Sequence[dict[str, float]]) -> list[str]:
    keys: dict[str, None] = {}
    for record in history:
        for key in record:
            if key != "step":
                keys.setdefault(key, None)
    return list(keys)


def write_losses_csv(history: Sequence[dict[str, float]], path: str | os.PathLike[str]) -> None:
    """Write ``history`` (records with a ``step`` and loss values) as CSV, atomically.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training import write_losses_csv
        >>> path = os.path.join(tempfile.mkdtemp(), "losses.csv")
        >>> write_losses_csv([{"step": 1, "loss": 0.5}], path)
        >>> open(path).read().splitlines()
        ['step,loss', '1,0.5']
    """
    keys = _keys(history)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["step", *keys])
    for record in history:
        writer.writerow([record["step"], *("" if record.get(k) is None else record[k] for k in keys)])
    atomic_write_text(path, buffer.getvalue())


def write_losses_jsonl(history: Sequence[dict[str, float]], path: str | os.PathLike[str]) -> None:
    """Rewrite the JSON-lines log from ``history``, atomically (used when a run resumes).

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training.losses import write_losses_jsonl
        >>> path = os.path.join(tempfile.mkdtemp(), "losses.jsonl")
        >>> write_losses_jsonl([{"step": 1, "loss": 0.5}], path)
        >>> open(path).read()
        '{"step": 1, "loss": 0.5}\\n'
    """
    atomic_write_text(path, "".join(json.dumps(record) + "\n" for record in history))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def _moving_average(values: list[float], window: int) -> list[float]:
    out: list[float] = []
    total = 0.0
    queue: deque[float] = deque()
    for v in values:
        queue.append(v)
        total += v
        if len(queue) > window:
            total -= queue.popleft()
        out.append(total / len(queue))
    return out


def _nice(value: float) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


def plot_losses(history: Sequence[dict[str, float]], path: str | os.PathLike[str] | None = None,
                *, width: int = 800, height: int = 400, title: str = "training losses") -> bytes:
    """Draw the losses in ``history`` against step; return PNG bytes and write them to ``path``.

    Examples:
        >>> from sketchml.training import plot_losses
        >>> png = plot_losses([{"step": s, "loss": 1 / s} for s in range(1, 50)])
        >>> png[:4]
        b'\\x89PNG'
    """
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image, "RGBA")
    font = _font(12)
    left, right, top, bottom = 64, 16, 28, 36
    plot_w, plot_h = max(width - left - right, 10), max(height - top - bottom, 10)
    draw.text((left, 8), title, fill="black", font=font)
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline=(90, 90, 90))

    keys = _keys(history)
    series = {k: [(r["step"], float(r[k])) for r in history
                  if r.get(k) is not None and math.isfinite(float(r[k]))] for k in keys}
    points = [p for s in series.values() for p in s]
    if not points:
        draw.text((left + 10, top + 10), "no losses logged yet", fill="black", font=font)
    else:
        x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
        y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
        if x1 == x0:
            x1 = x0 + 1
        pad = (y1 - y0) * 0.05 or max(abs(y0) * 0.05, 1e-6)
        y0, y1 = y0 - pad, y1 + pad

        def to_px(x: float, y: float) -> tuple[float, float]:
            return (left + (x - x0) / (x1 - x0) * plot_w, top + (1 - (y - y0) / (y1 - y0)) * plot_h)

        for i in range(5):
            y = y0 + (y1 - y0) * i / 4
            py = to_px(x0, y)[1]
            draw.line([left, py, left + plot_w, py], fill=(0, 0, 0, 25))
            draw.text((4, py - 6), _nice(y), fill="black", font=font)
        for x in (x0, (x0 + x1) / 2, x1):
            px = to_px(x, y0)[0]
            draw.text((px - 12, top + plot_h + 6), str(int(round(x))), fill="black", font=font)
        draw.text((left + plot_w // 2 - 12, height - 16), "step", fill="black", font=font)

        for index, key in enumerate(keys):
            data = series[key]
            if not data:
                continue
            colour = _COLOURS[index % len(_COLOURS)]
            raw = [to_px(x, y) for x, y in data]
            smooth_y = _moving_average([y for _, y in data], max(1, len(data) // 50))
            smooth = [to_px(x, y) for (x, _), y in zip(data, smooth_y)]
            if len(raw) == 1:
                cx, cy = raw[0]
                draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=colour)
            else:
                draw.line(raw, fill=(*colour, 70), width=1)
                draw.line(smooth, fill=(*colour, 255), width=2)
            legend_y = top + 6 + 16 * index
            draw.rectangle([left + plot_w - 120, legend_y + 3, left + plot_w - 108, legend_y + 11],
                           fill=colour)
            draw.text((left + plot_w - 102, legend_y), key, fill="black", font=font)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    if path is not None:
        atomic_write_bytes(Path(path), data)
    return data
