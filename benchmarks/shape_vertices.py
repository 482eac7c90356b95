"""begin_shape() with many vertices: seconds for the fill, ours vs plain ear clipping.

A smooth outline of N vertices (a circle; a star of alternating radii) was quadratic: ear
clipping rejects its nearly collinear corners over and over. Ours fans any outline seen whole
from its vertex mean in linear time (the first table; a spiral band, which its centre does
not see whole, is thinned before ear clipping there, for user shaders that need triangles).

An outline that crosses itself (random points; a closed random walk) has no linear
triangulation; ours fills it by counting windings on the GPU (sketchml.graphics.winding),
which the second table times as end_shape() plus the draw on a headless 200x200 canvas
(GL finished), against ear clipping alone, which was quadratic and, for crossing
outlines, fills the wrong pixels. "x prev" is ours over ours at the previous size: about
2 for each doubling when the cost is linear.

Run:  .venv/bin/python benchmarks/shape_vertices.py [--sizes 10000 20000 40000 80000]
"""
from __future__ import annotations

import argparse
import os
import time

import mapbox_earcut
import numpy as np

from sketchml.graphics import geometry as G


def outline(kind: str, n: int) -> np.ndarray:
    if kind == "spiral":  # out along one spiral, back along another 6 px inside it
        t = np.linspace(0, 6 * np.pi, n // 2)
        r = 10 + 4 * t
        outer = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
        inner = np.stack([(r - 6) * np.cos(t), (r - 6) * np.sin(t)], axis=1)[::-1]
        return 100 + np.concatenate([outer, inner])
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = np.full(n, 80.0) if kind == "circle" else 80.0 - 20.0 * (np.arange(n) % 2)
    return np.stack([100 + radius * np.cos(t), 100 + radius * np.sin(t)], axis=1)


def seconds(work, *args) -> float:
    start = time.perf_counter()
    work(*args)
    return time.perf_counter() - start


def earcut_only(pts: np.ndarray) -> None:
    mapbox_earcut.triangulate_float64(pts, np.array([len(pts)], dtype=np.uint32))


def frame_seconds(n: int) -> float:
    import sketchml as sk

    took: list[float] = []
    pts = outline("circle", n).tolist()

    class Many(sk.Sketch):
        def settings(self) -> None:
            self.size(200, 200)

        def draw(self) -> None:
            start = time.perf_counter()
            self.begin_shape()
            for x, y in pts:
                self.vertex(x, y)
            self.end_shape()
            took.append(time.perf_counter() - start)

    Many().run_sketch(headless=True, frames=1)
    return took[0]


def crossing(kind: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "random":  # random points: edges cross the whole canvas, again and again
        return rng.uniform(10, 190, size=(n, 2))
    walk = np.cumsum(rng.normal(0, 1.0, size=(n, 2)), axis=0)  # "walk": a closed scribble
    walk -= np.linspace(0, 1, n)[:, None] * walk[-1]
    return 100 + 90 * walk / np.abs(walk).max()


def winding_seconds(pts: np.ndarray) -> float:
    from sketchml.graphics.canvas import Canvas
    from sketchml.graphics.context import create_headless_context

    ctx = create_headless_context()
    canvas = Canvas(200, 200)
    canvas._gl_init(ctx)
    canvas._begin_frame()
    canvas.no_stroke()
    canvas.begin_shape()
    canvas.vertices(pts)
    ctx.finish()
    start = time.perf_counter()
    canvas.end_shape()
    canvas._flush()
    ctx.finish()
    took = time.perf_counter() - start
    canvas.fbo.release()  # type: ignore[union-attr]
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 20000, 40000, 80000])
    parser.add_argument("--baseline-max", type=int, default=20000,
                        help="largest N to ear clip a crossing outline (quadratic: minutes beyond)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'outline':8} {'N':>7} {'ear clipping s':>15} {'ours s':>8} {'ratio':>7} {'frame s':>8}")
    for kind in ("circle", "star", "spiral"):
        for n in args.sizes:
            pts = outline(kind, n)
            base = seconds(earcut_only, pts)
            ours = seconds(G.fill_polygon, pts)
            frame = f"{frame_seconds(n):8.2f}" if kind == "circle" else ""
            print(f"{kind:8} {n:7d} {base:15.3f} {ours:8.3f} {base / max(ours, 1e-9):7.1f} {frame}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'crossing':8} {'N':>7} {'ear clipping s':>15} {'winding s':>10} {'x prev':>7}")
    for kind in ("random", "walk"):
        prev = None
        for n in args.sizes:
            pts = crossing(kind, n)
            base = f"{seconds(earcut_only, pts):15.3f}" if n <= args.baseline_max else f"{'-':>15}"
            ours = winding_seconds(pts)
            growth = f"{ours / prev:7.2f}" if prev else ""
            print(f"{kind:8} {n:7d} {base} {ours:10.3f} {growth}")
            prev = ours
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
