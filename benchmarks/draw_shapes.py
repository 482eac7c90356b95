"""Shapes benchmark: N stroked, alpha-filled 12-pixel circles per frame at 640x480, headless.

Measures whole frames (record + flush + ``ctx.finish()``) through the per-call
``ellipse()`` path and the array-first ``circles()`` path, for N = 1k, 10k, 100k,
and prints frames per second beside py5's JAVA2D figures for the per-call
workload on this machine (~70 fps at 1k, ~10 fps at 10k) with the ratio. When
py5 is importable it is run on the same workload and the measured ratio printed.

Beside them runs a bare reference renderer of the same workload (``ReferenceCircles``):
one instanced moderngl draw call with a signed-distance fragment shader, the least
a GL program can do for these circles, so the ratio ours/reference says how much
sketchml's drawing API costs on top of the GPU (or llvmpipe) work itself. Every
frame, ours and the reference alike, ends with a readback of the pixels.

sketchml draws a loop of per-call shapes in growing runs, and a batch of more than a few
thousand shapes in chunks, handing each to the GL as soon as it is drawn
(``renderer.FIRST_RUN``, ``INSTANCE_CHUNK``, ``FLUSH_SHAPES``), so
llvmpipe's rasteriser threads work while Python records and numpy builds the next
chunk; the reference, given all its circles at once, draws them in one call. With
``--chunked-reference`` the reference is also timed drawn in chunks the same way,
to tell what the API costs apart from what chunking gains on this GL.

A second table splits a per-call frame into its parts (Python recording, numpy
vertex building, GL draw + finish) and shows the floor of the GL driver: the
same number of quads drawn with trivial shaders, so a reader can tell whether
our shaders or the rasteriser (Mesa's llvmpipe on a CPU-only machine) limit
the frame rate.

Frame rates are the best of several frames (at least ``--frames``, and for at least
``--min-seconds`` per size), the variants taking turns frame by frame so that load from other processes hits them alike. The machine may be shared, so the
load average is printed, and beside each frame rate the CPU time the frame
took in this process (all threads, llvmpipe's rasteriser threads included),
which other processes do not inflate: on an idle machine with C cores a frame
takes between CPU/C and CPU milliseconds of wall time.

Run:  .venv/bin/python benchmarks/draw_shapes.py [--frames 5] [--min-seconds 1] [--sizes 1000 10000 100000]
      [--chunked-reference]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from sketchml.graphics import renderer as R
from sketchml.graphics.canvas import Canvas
from sketchml.graphics.context import create_headless_context

W, H = 640, 480
PY5_JAVA2D_REFERENCE_FPS = {1_000: 70.0, 10_000: 10.0}


def workload(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, W, n), rng.uniform(0, H, n)


def style(c: Canvas) -> None:
    c.background(255)
    c.fill(30, 120, 220, 128)
    c.stroke(0)
    c.stroke_weight(1)


def frame_per_call(c: Canvas, xs: list[float], ys: list[float]) -> None:
    style(c)
    ellipse = c.ellipse
    for x, y in zip(xs, ys):
        ellipse(x, y, 12, 12)
    c._flush()
    c.fbo.read(components=4)


def frame_arrays(c: Canvas, x: np.ndarray, y: np.ndarray) -> None:
    style(c)
    c.circles(x, y, 12)
    c._flush()
    c.fbo.read(components=4)


class ReferenceCircles:
    """The workload as bare moderngl: one instanced draw of a quad per circle, shaded by
    its signed distance (alpha fill, 1 px stroke, 1 px anti-aliasing), then a readback."""

    VERTEX = """#version 330
    in vec2 corner; in vec3 circle;  // circle: centre x, y and radius, in pixels
    uniform vec2 size;
    out vec2 local; flat out float radius;
    void main() {
        radius = circle.z;
        local = corner * (radius + 1.5);
        gl_Position = vec4((circle.xy + local) / size * 2.0 - 1.0, 0.0, 1.0);
    }"""
    FRAGMENT = """#version 330
    in vec2 local; flat in float radius;
    uniform vec4 fill; uniform vec4 stroke;  // premultiplied
    out vec4 color;
    void main() {
        float d = length(local) - radius;
        float inside = clamp(0.5 - d, 0.0, 1.0);
        float band = clamp(1.0 - abs(d), 0.0, 1.0);   // a 1 px stroke centred on the edge
        vec4 c = fill * inside;
        color = stroke * band + c * (1.0 - stroke.a * band);
    }"""

    def __init__(self, ctx, n: int) -> None:
        self.ctx = ctx
        self.prog = ctx.program(vertex_shader=self.VERTEX, fragment_shader=self.FRAGMENT)
        self.prog["size"].value = (float(W), float(H))
        a = 128 / 255
        self.prog["fill"].value = (30 / 255 * a, 120 / 255 * a, 220 / 255 * a, a)
        self.prog["stroke"].value = (0.0, 0.0, 0.0, 1.0)
        quad = np.array([-1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1, 1], dtype="f4")
        self.quad = ctx.buffer(quad.tobytes())
        self.circles = ctx.buffer(reserve=n * 12, dynamic=True)
        self.vao = ctx.vertex_array(
            self.prog, [(self.quad, "2f", "corner"), (self.circles, "3f/i", "circle")])
        self.tex = ctx.texture((W, H), 4)
        self.fbo = ctx.framebuffer(color_attachments=[self.tex])
        self.n = n

    def frame(self, x: np.ndarray, y: np.ndarray) -> None:
        data = np.empty((self.n, 3), dtype="f4")
        data[:, 0], data[:, 1], data[:, 2] = x, y, 6.0
        self.circles.write(data)
        self.fbo.use()
        self.fbo.clear(1.0, 1.0, 1.0, 1.0)
        self.ctx.enable(self.ctx.BLEND)
        self.ctx.blend_func = self.ctx.ONE, self.ctx.ONE_MINUS_SRC_ALPHA
        self.vao.render(instances=self.n)
        self.fbo.read(components=4)

    def release(self) -> None:
        for obj in (self.vao, self.circles, self.quad, self.fbo, self.tex, self.prog):
            obj.release()


class ChunkedReferenceCircles(ReferenceCircles):
    """The reference drawn as sketchml draws a big batch: chunks of ``R.INSTANCE_CHUNK``
    circles, each handed to the GL (glFlush) once drawn, from a buffer orphaned between
    chunks. Shown with ``--chunked-reference``, to tell what sketchml's drawing API costs
    apart from what drawing in chunks gains on this GL."""

    def __init__(self, ctx, n: int) -> None:
        super().__init__(ctx, n)
        self.flush = R.gl_flush_function(ctx)

    def frame(self, x: np.ndarray, y: np.ndarray) -> None:
        data = np.empty((self.n, 3), dtype="f4")
        data[:, 0], data[:, 1], data[:, 2] = x, y, 6.0
        self.fbo.use()
        self.fbo.clear(1.0, 1.0, 1.0, 1.0)
        self.ctx.enable(self.ctx.BLEND)
        self.ctx.blend_func = self.ctx.ONE, self.ctx.ONE_MINUS_SRC_ALPHA
        for start in range(0, self.n, R.INSTANCE_CHUNK):
            part = data[start:start + R.INSTANCE_CHUNK]
            if start:
                self.circles.orphan(self.n * 12)
            self.circles.write(part)
            self.vao.render(instances=len(part))
            self.flush()
        self.fbo.read(components=4)


def best_seconds(fn, frames: int) -> float:
    """The fastest of ``frames`` runs of ``fn`` after one warm-up run (wall clock)."""
    return best_wall_and_cpu(fn, frames)[0]


def best_wall_and_cpu(fn, frames: int) -> tuple[float, float]:
    """The fastest wall-clock and process-CPU seconds of ``frames`` runs after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(frames):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def interleaved_best(fns: dict, frames: int, min_seconds: float = 0.0) -> tuple[dict, dict]:
    """The fastest wall-clock and process-CPU seconds of each function over at least
    ``frames`` rounds and ``min_seconds``, calling them in turn every round, so load from
    other processes hits them alike (and a 2 ms frame gets more than a few tries)."""
    for fn in fns.values():
        fn()
    best = {name: float("inf") for name in fns}
    cpu = {name: float("inf") for name in fns}
    rounds, began = 0, time.perf_counter()
    order = list(fns.items())
    while rounds < frames or time.perf_counter() - began < min_seconds:
        # Each round starts with the next variant, so none always runs first or last in a
        # round (periodic load from elsewhere would otherwise hit one variant more).
        turn = order[rounds % len(order):] + order[:rounds % len(order)]
        rounds += 1
        for name, fn in turn:
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
    return best, cpu


def breakdown(c: Canvas, xs: list[float], ys: list[float], frames: int) -> tuple[float, float, float]:
    """CPU milliseconds of one per-call frame spent recording, building vertices, and in GL."""

    def record() -> None:
        c._batch.clear()
        style(c)
        ellipse = c.ellipse
        for x, y in zip(xs, ys):
            ellipse(x, y, 12, 12)

    def record_only() -> None:
        c._run_bytes = 1 << 62  # recording alone: no run is drawn while recording here
        record()

    rec = best_wall_and_cpu(record_only, frames)[1]
    rows = c._batch.rows().copy()
    c._batch.clear()
    # what the renderer builds from the rows, a chunk at a time: instance records
    # (R.instanced_rows) or vertices
    build_fn = R._shape_instances if R.instanced_rows(rows) else R.rows_to_vertices
    step = R.INSTANCE_CHUNK

    def build_all() -> None:
        for start in range(0, len(rows), step):
            build_fn(rows[start:start + step])

    build = best_wall_and_cpu(build_all, frames)[1]

    def gl() -> None:
        c.fbo.use()
        c._apply_blend()
        c._renderer.draw(rows, (W, H))
        c.ctx.finish()

    # gl() includes building the records again; subtract it.
    return rec * 1e3, build * 1e3, max(best_wall_and_cpu(gl, frames)[1] - build, 0.0) * 1e3


def driver_floor_ms(ctx, n: int, frames: int) -> float:
    """CPU milliseconds to draw n 15x15 px quads (two triangles each) with trivial shaders."""
    prog = ctx.program(
        vertex_shader="#version 330\nin vec2 p;\nvoid main() { gl_Position = vec4(p, 0.0, 1.0); }",
        fragment_shader="#version 330\nout vec4 f;\nvoid main() { f = vec4(0.5); }",
    )
    x, y = workload(n)
    centre = np.stack([x / W * 2 - 1, y / H * 2 - 1], axis=1)[:, None, :]
    corners = np.array([[-1, -1], [1, -1], [-1, 1], [-1, 1], [1, -1], [1, 1]]) * [7.5 * 2 / W, 7.5 * 2 / H]
    vbo = ctx.buffer((centre + corners).astype("f4").tobytes())
    vao = ctx.vertex_array(prog, [(vbo, "2f", "p")])

    def draw() -> None:
        vao.render()
        ctx.finish()

    ms = best_wall_and_cpu(draw, frames)[1] * 1e3
    vao.release()
    vbo.release()
    prog.release()
    return ms


def py5_fps(n: int, frames: int) -> float | None:
    try:
        import py5
    except Exception:
        return None
    x, y = workload(n)
    xs, ys = x.tolist(), y.tolist()
    stamps: list[float] = []

    def settings():
        py5.size(W, H)

    def draw():
        py5.background(255)
        py5.fill(30, 120, 220, 128)
        py5.stroke(0)
        for px, py in zip(xs, ys):
            py5.ellipse(px, py, 12, 12)
        stamps.append(time.perf_counter())
        if len(stamps) > frames:
            py5.exit_sketch()

    py5.run_sketch(sketch_functions={"settings": settings, "draw": draw}, block=True)
    gaps = np.diff(stamps)
    return float(1.0 / gaps.min()) if len(gaps) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=5, help="frames measured per figure (best is kept)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--min-seconds", type=float, default=1.0,
                        help="measure each size for at least this long (more rounds for small N)")
    parser.add_argument("--chunked-reference", action="store_true",
                        help="also time the reference drawn in chunks, as sketchml draws big batches")
    opts = parser.parse_args()

    ctx = create_headless_context()
    c = Canvas(W, H)
    c._gl_init(ctx)
    c._begin_frame()
    print(f"renderer: {ctx.info['GL_RENDERER']}; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f}; canvas {W}x{H}; 12 px circles, alpha fill, 1 px stroke")
    print(f"\n{'N':>8} {'reference fps':>14} {'ellipse() fps':>14} {'/ref':>6} {'circles() fps':>14} "
          f"{'/ref':>6} {'py5 JAVA2D fps':>15} {'ellipse()/py5':>14}")
    parts, cpu_rows, chunked_rows = [], [], []
    for n in opts.sizes:
        x, y = workload(n)
        xs, ys = x.tolist(), y.tolist()
        reference = ReferenceCircles(ctx, n)
        variants = {
            "reference": lambda: reference.frame(x, y),
            "ellipse": lambda: frame_per_call(c, xs, ys),
            "circles": lambda: frame_arrays(c, x, y),
        }
        best, cpu = interleaved_best(variants, opts.frames, opts.min_seconds)
        if opts.chunked_reference:
            # Timed in a pass of its own beside the reference: its glFlush, taken among our
            # frames, made the next write to our (not orphaned) instance buffer wait ~5 ms
            # on llvmpipe now and then, which no sketch of ours does to itself.
            chunked = ChunkedReferenceCircles(ctx, n)
            pair, pair_cpu = interleaved_best(
                {"reference": lambda: reference.frame(x, y), "chunked": lambda: chunked.frame(x, y)},
                opts.frames, opts.min_seconds)
            chunked.release()
            gain = pair["reference"] / pair["chunked"]
            chunked_rows.append((n, gain, pair_cpu["reference"] / pair_cpu["chunked"],
                                 best["reference"] / best["ellipse"] / gain,
                                 best["reference"] / best["circles"] / gain))
        reference.release()
        ref_fps, per_call, arrays = (1.0 / best[k] for k in ("reference", "ellipse", "circles"))
        ref = PY5_JAVA2D_REFERENCE_FPS.get(n)
        ref_s = f"{ref:15.0f}" if ref else f"{'-':>15}"
        ratio = f"{per_call / ref:13.1f}x" if ref else f"{'-':>14}"
        print(f"{n:>8} {ref_fps:14.1f} {per_call:14.1f} {per_call / ref_fps:5.2f}x {arrays:14.1f} "
              f"{arrays / ref_fps:5.2f}x {ref_s} {ratio}")
        parts.append((n, *breakdown(c, xs, ys, opts.frames), driver_floor_ms(ctx, n, opts.frames)))
        cpu_rows.append((n, *(cpu[k] * 1e3 for k in ("reference", "ellipse", "circles"))))

    print(f"\nthe same frames in CPU milliseconds of this process (all threads, llvmpipe's "
          f"included; best of {opts.frames}),\nwhich other processes do not inflate; ratio = "
          "reference CPU / ours, as fps ratios are:")
    print(f"{'N':>8} {'reference':>10} {'ellipse()':>10} {'ref/ours':>9} {'circles()':>10} {'ref/ours':>9}")
    for n, ref_ms, per_call_ms, arrays_ms in cpu_rows:
        print(f"{n:>8} {ref_ms:10.1f} {per_call_ms:10.1f} {ref_ms / per_call_ms:8.2f}x "
              f"{arrays_ms:10.1f} {ref_ms / arrays_ms:8.2f}x")

    if chunked_rows:
        print("\nthe reference drawn in chunks of R.INSTANCE_CHUNK with a glFlush after each "
              "(--chunked-reference;\ntimed against the plain reference in a second pass; "
              "ours/it = ours/reference / (it/reference)):")
        print(f"{'N':>8} {'fps x ref':>10} {'CPU x ref':>10} {'ellipse()/it':>13} {'circles()/it':>13}")
        for n, fps_gain, cpu_gain, per_call, arrays in chunked_rows:
            print(f"{n:>8} {fps_gain:9.2f}x {cpu_gain:9.2f}x {per_call:12.2f}x {arrays:12.2f}x")

    print(f"\nper-call frame, CPU milliseconds of this process (best of {opts.frames}):")
    print(f"{'N':>8} {'record':>8} {'us/call':>8} {'build':>9} {'GL+finish':>10} "
          f"{'GL floor*':>10}")
    for n, rec, build, gl, floor in parts:
        print(f"{n:>8} {rec:8.1f} {rec / n * 1e3:8.2f} {build:9.1f} {gl:10.1f} {floor:10.1f}")
    print("* GL floor: the same number of 15x15 px quads with trivial shaders and no blending:\n"
          "  what the GL driver alone costs for this many shapes.")

    measured = py5_fps(1_000, opts.frames)
    if measured is None:
        print("\npy5 is not importable here; the py5 column holds the recorded JAVA2D figures.")
    else:
        x, y = workload(1_000)
        ours = 1.0 / best_seconds(lambda: frame_per_call(c, x.tolist(), y.tolist()), opts.frames)
        print(f"\npy5 measured now, 1k per-call: {measured:.1f} fps; ours/py5 = {ours / measured:.1f}x")


if __name__ == "__main__":
    main()
