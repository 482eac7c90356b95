"""Benchmark: drawing a (3, H, W) float32 tensor with ``image(t)`` against plain copies of its bytes.

For 512x512 and 1024x1024 RGB tensors in [0, 1] (CHW, as models return them)
it prints frames per second and milliseconds per frame for:

* ``bridge upload``   -- ``to_texture(ctx, t)``: the bridge's one upload of the
                         tensor's own bytes (layout, dtype, range untouched);
* ``plain copy``      -- ``texture.write`` of the same bytes into a texture of the
                         same format (the baseline), and ``np.copyto`` of them;
* ``image(t)``        -- the whole call: upload + the decoding draw onto a canvas
                         of the same size;
* ``draw floor``      -- ``image(img)`` of an already uploaded RGBA8 ``Image``:
                         the cheapest textured draw of that many pixels;
* ``naive``           -- permute to HWC + convert to uint8 with torch, then
                         upload and draw (what a hand-written sketch would do).

Ratios: the bridge upload against the plain copy, and ``image(t)`` against
plain copy + draw floor (what any path must pay). With CUDA it also compares
CUDA-GL interop with the host round trip for a CUDA tensor. Every GL timing
ends with ``ctx.finish()`` so queued GPU work is counted; the variants are
interleaved round by round so load from other processes hits them alike.

Each size is measured quiet and then beside ``--busy`` CPU-bound processes that
``competing.py`` starts (2 by default, as many as this machine has cores; 0 skips it).

Run: ``python benchmarks/bridge.py [--frames N] [--busy N]``
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from competing import competing
from sketchml.bridge import set_cuda_interop, to_texture
from sketchml.graphics.canvas import Canvas
from sketchml.graphics.context import create_headless_context
from sketchml.graphics.image import Image


def interleaved(fns: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each function, calling them in turn every round."""
    for fn in fns.values():
        fn()
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def row(name: str, seconds: float, note: str = "") -> str:
    return f"  {name:<40} {1.0 / seconds:9.1f} fps {seconds * 1e3:9.2f} ms  {note}"


def bench_size(ctx, size: int, rounds: int) -> None:
    t = torch.rand(3, size, size, generator=torch.Generator().manual_seed(0))
    canvas = Canvas(size, size)
    canvas._gl_init(ctx)
    canvas._begin_frame()
    tex = ctx.texture_array((size, size, 3), 1, dtype="f4")
    data = t.numpy()
    dst = np.empty_like(data)
    img = Image.from_array(t.permute(1, 2, 0).numpy())

    def bridge_upload() -> None:
        to_texture(ctx, t)
        ctx.finish()

    def plain_copy() -> None:
        tex.write(data)
        ctx.finish()

    def ours() -> None:
        canvas.image(t, 0, 0)
        ctx.finish()

    def draw_floor() -> None:
        canvas.image(img, 0, 0)
        ctx.finish()

    def naive() -> None:
        hwc = (t.permute(1, 2, 0).clamp(0, 1) * 255).to(torch.uint8).numpy()
        canvas.image(hwc, 0, 0)
        ctx.finish()

    m = interleaved(
        {"bridge": bridge_upload, "copy": plain_copy, "memcpy": lambda: np.copyto(dst, data),
         "ours": ours, "floor": draw_floor, "naive": naive},
        rounds,
    )
    floor_total = m["copy"] + m["floor"]
    print(f"{size}x{size} float32 CHW ({t.numel() * 4 / 2**20:.1f} MiB), median of {rounds} rounds:")
    print(row("bridge upload: to_texture(t)", m["bridge"], f"{m['bridge'] / m['copy']:.2f}x plain copy"))
    print(row("plain copy: texture.write(same bytes)", m["copy"], "baseline"))
    print(row("plain copy: np.copyto(same bytes)", m["memcpy"], f"{m['memcpy'] / m['copy']:.2f}x"))
    print(row("image(t): upload + decoding draw", m["ours"], f"{m['ours'] / floor_total:.2f}x copy + draw floor"))
    print(row("draw floor: image(uploaded RGBA8 Image)", m["floor"], ""))
    print(row("naive: permute+uint8 (torch)+upload+draw", m["naive"], f"{m['naive'] / m['ours']:.2f}x image(t)"))
    if torch.cuda.is_available():
        tc = t.cuda()

        def cuda_draw() -> None:
            canvas.image(tc, 0, 0)
            ctx.finish()
            torch.cuda.synchronize()

        set_cuda_interop("off")
        host = interleaved({"host": cuda_draw}, rounds)["host"]
        print(row("CUDA tensor, host round trip", host, ""))
        try:
            set_cuda_interop("on")
            interop = interleaved({"interop": cuda_draw}, rounds)["interop"]
            print(row("CUDA tensor, CUDA-GL interop", interop, f"{interop / host:.2f}x host round trip"))
        except Exception as exc:  # report why interop is unavailable instead of failing the run
            print(f"  CUDA-GL interop unavailable: {exc}")
        finally:
            set_cuda_interop("auto")
    tex.release()
    canvas.fbo.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="timed rounds per size")
    parser.add_argument("--busy", type=int, default=2, help="competing processes for the busy run (0: none)")
    args = parser.parse_args()
    ctx = create_headless_context()
    print(f"GL renderer: {ctx.info['GL_RENDERER']}; torch {torch.__version__}; "
          f"CUDA {'available' if torch.cuda.is_available() else 'not available: GPU rows skipped'}")
    for busy in sorted({0, args.busy}):
        with competing(busy):
            print(f"\n== {'quiet' if busy == 0 else f'busy: beside {busy} competing processes'} "
                  f"(load average {os.getloadavg()[0]:.1f}) ==")
            for size in (512, 1024):
                bench_size(ctx, size, args.frames)


if __name__ == "__main__":
    main()
