"""Runtime benchmark: call overhead of the three modes, frame-loop cost, streaming memory.

1. Calls: the same drawing call (``point(x, y)``, recorded into the batch) made
   N times per frame as imported mode makes it (a bound method injected into the
   namespace), as class mode makes it (``self.point``), and as module mode makes
   it (``sk.point``, the generated forwarder); the baseline is the bound method
   looked up once. Interleaved rounds, best of each; prints microseconds per call
   and the ratio to the baseline.
2. Frames: a ``draw()`` that only calls ``background()`` on a 64x64 canvas, headless, no output: frames
   per second of the loop itself; then the same with an MP4 being written.
3. Memory: N frames (10,000 unless given) of a 64x64 sketch streamed to an MP4;
   resident memory sampled every 1,000 frames, so a leak or a frame buffer that
   grows with the video shows as a rising column.
4. Encoding: 120 frames of the demo sketch (640x360) encoded with x264's default
   preset (what imageio-ffmpeg does unless told) and with the ``veryfast`` preset
   sketchml uses: seconds and file sizes side by side, at the same quality setting.

Run: ``.venv/bin/python benchmarks/runtime.py [--frames 10000] [--calls 20000]``
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import sketchml as sk
from sketchml.runtime.imported import inject_api
from sketchml.runtime.loop import Runner


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


def bench_calls(calls: int, rounds: int = 5) -> None:
    sketch = sk.Sketch()
    runner = Runner(sketch, headless=True)
    runner.start()
    namespace: dict = {}
    inject_api(namespace, sketch)
    # Compiled into the injected namespace, as a sketch file's draw() would be.
    exec("def imported(n):\n    for i in range(n):\n        point(i % 64, 3)\n", namespace)  # noqa: S102
    imported = namespace["imported"]

    def class_mode(n: int) -> None:
        for i in range(n):
            sketch.point(i % 64, 3)

    def module_mode(n: int) -> None:
        for i in range(n):
            sk.point(i % 64, 3)

    def baseline(n: int) -> None:
        point = sketch.point
        for i in range(n):
            point(i % 64, 3)

    variants = {"bound method, looked up once (baseline)": baseline,
                "imported mode: point(...)": imported,
                "class mode: self.point(...)": class_mode,
                "module mode: sk.point(...)": module_mode}
    best = {name: float("inf") for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            sketch._begin_frame()
            start = time.perf_counter()
            fn(calls)
            elapsed = time.perf_counter() - start
            sketch._batch.clear()
            best[name] = min(best[name], elapsed)
    runner.close()
    base = best["bound method, looked up once (baseline)"]
    print(f"\n1. call overhead, {calls} point() calls per round, best of {rounds}")
    for name, seconds in best.items():
        print(f"   {name:42s} {seconds / calls * 1e6:7.3f} us/call   x{seconds / base:5.2f}")


class Plain(sk.Sketch):
    def settings(self):
        self.size(64, 64)

    def draw(self):
        self.background(self.frame_count % 256)


class Busy(sk.Sketch):
    def settings(self):
        self.size(64, 64)

    def draw(self):
        self.background(self.frame_count % 256, 30, 80)
        self.fill(255)
        self.circle(32 + 20 * self.noise(self.frame_count * 0.01), 32, 12)


def bench_frames(frames: int) -> None:
    print(f"\n2. frame loop, 64x64 headless, {frames} frames")
    for label, out in (("background(), no output", None), ("background(), streaming MP4", "x.mp4")):
        with tempfile.TemporaryDirectory() as folder:
            runner = Runner(Plain(), headless=True, frames=frames,
                            out=None if out is None else Path(folder) / out)
            start = time.perf_counter()
            runner.run()
            elapsed = time.perf_counter() - start
        print(f"   {label:32s} {frames / elapsed:8.0f} frames/s  ({elapsed / frames * 1e3:.3f} ms/frame)")


def bench_memory(frames: int) -> None:
    print(f"\n3. memory while streaming {frames} frames of 64x64 to MP4")
    with tempfile.TemporaryDirectory() as folder:
        runner = Runner(Busy(), headless=True, frames=frames, out=Path(folder) / "long.mp4")
        runner.start()
        samples = []
        start = time.perf_counter()
        going = True
        while going:
            going = runner.step()
            if runner.frames_drawn % 1000 == 0:
                samples.append((runner.frames_drawn, rss_mb()))
        runner.close()
        elapsed = time.perf_counter() - start
        size = (Path(folder) / "long.mp4").stat().st_size
    for count, mb in samples:
        print(f"   after {count:6d} frames: RSS {mb:7.1f} MB")
    if len(samples) >= 2:
        growth = samples[-1][1] - samples[0][1]
        print(f"   growth from frame {samples[0][0]} to {samples[-1][0]}: {growth:+.1f} MB "
              f"(the frames themselves are {frames * 64 * 64 * 4 / 2**20:.0f} MB)")
    print(f"   {frames / elapsed:.0f} frames/s, video {size / 1024:.0f} KB")


def bench_encoding(frames: int = 120) -> None:
    import imageio_ffmpeg

    from sketchml.runtime.imported import FileSketchSource

    print(f"\n4. H.264 encoding of {frames} demo frames (640x360), same quality setting")
    source = FileSketchSource(Path(__file__).resolve().parents[1] / "sketches" / "demo.py")
    runner = Runner(source=source, headless=True, frames=frames, seed=1)
    runner.start()
    pictures = []
    for _ in range(frames):
        runner.step()
        pictures.append(runner.sketch._read_pixels())
    runner.close()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for preset in ("medium", "veryfast"):
            path = str(Path(folder) / f"{preset}.mp4")
            start = time.perf_counter()
            writer = imageio_ffmpeg.write_frames(
                path, (640, 360), pix_fmt_in="rgba", fps=60, quality=8, codec="libx264",
                macro_block_size=1, output_params=["-preset", preset])
            writer.send(None)
            for picture in pictures:
                writer.send(picture)
            writer.close()
            results[preset] = (time.perf_counter() - start, Path(path).stat().st_size)
    for preset, (seconds, size) in results.items():
        print(f"   preset {preset:9s} {seconds:6.2f} s  {size / 1024:7.0f} KB")
    print(f"   veryfast is x{results['medium'][0] / results['veryfast'][0]:.1f} faster, "
          f"size ratio {results['veryfast'][1] / results['medium'][1]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    bench_calls(args.calls)
    bench_frames(min(args.frames, 2000))
    bench_memory(args.frames)
    bench_encoding()


if __name__ == "__main__":
    main()
