"""The three sketch modes run end to end and draw what the sketch says."""
from __future__ import annotations

import numpy as np

import sketchml as sk
from sketchml.runtime.loop import run_file

IMPORTED = """
def setup():
    size(80, 60)

def draw():
    background(0, 0, 255)
    no_stroke()
    fill(255, 0, 0)
    rect(0, 0, 40, 60)
    fill(0, 255, 0)
    circle(60, 30, 10 + frame_count)
"""


def test_imported_mode_cli_writes_png_sequence(write_sketch, run_cli, tmp_path, read_png, close_to):
    path = write_sketch(IMPORTED)
    out = tmp_path / "frames" / "frame-####.png"
    result = run_cli("run", path, "--headless", "--frames", "3", "--out", out)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == ["frame-0001.png", "frame-0002.png", "frame-0003.png"]
    img = read_png(tmp_path / "frames" / "frame-0003.png")
    assert img.shape == (60, 80, 4)
    assert close_to(img[30, 10], (255, 0, 0, 255))
    assert close_to(img[30, 60], (0, 255, 0, 255))
    assert close_to(img[2, 78], (0, 0, 255, 255))
    # frame 3's circle (13 px) is bigger than frame 1's (11 px)
    first = read_png(tmp_path / "frames" / "frame-0001.png")
    assert (img[..., 1] > 128).sum() > (first[..., 1] > 128).sum()


def test_imported_mode_in_process(write_sketch, tmp_path, read_png, close_to):
    path = write_sketch(IMPORTED)
    out = tmp_path / "out"
    assert run_file(path, headless=True, frames=2, out=out) == 0
    img = read_png(out / "frame-0002.png")
    assert close_to(img[30, 10], (255, 0, 0, 255))
    assert close_to(img[30, 60], (0, 255, 0, 255))


def test_module_mode_script_in_subprocess(write_sketch, run_python, tmp_path, read_png, close_to):
    out = tmp_path / "module.png"
    script = write_sketch(f"""
        import sketchml as sk

        def settings():
            sk.size(50, 40)

        def draw():
            sk.background(255, 255, 0)
            sk.fill(0, 0, 0)
            sk.no_stroke()
            sk.rect(sk.width - 10, 0, 10, sk.height)
            print("frame", sk.frame_count, sk.width, sk.height)

        sk.run_sketch(frames=2, out={str(out)!r})
    """, name="module_mode.py")
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    assert "frame 2 50 40" in result.stdout
    img = read_png(out)
    assert img.shape == (40, 50, 4)
    assert close_to(img[20, 5], (255, 255, 0, 255))
    assert close_to(img[20, 45], (0, 0, 0, 255))


def test_module_mode_file_runs_under_the_cli(write_sketch, run_cli, tmp_path, read_png, close_to):
    out = tmp_path / "f-#.png"
    path = write_sketch("""
        import sketchml as sk

        def draw():
            sk.background(10, 200, 30)

        sk.run_sketch()
    """)
    result = run_cli("run", path, "--headless", "--frames", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    assert close_to(read_png(tmp_path / "f-1.png")[50, 50], (10, 200, 30, 255))


def test_class_mode_in_process(close_to):
    class Halves(sk.Sketch):
        def settings(self):
            self.size(64, 32)

        def setup(self):
            self.drawn = []

        def draw(self):
            self.background(255)
            self.no_stroke()
            self.fill(0, 0, 255)
            self.rect(0, 0, self.width / 2, self.height)
            self.drawn.append(self.frame_count)

    sketch = Halves()
    sketch.run_sketch(headless=True, frames=4)
    assert sketch.drawn == [1, 2, 3, 4]
    px = sketch._read_pixels()
    assert px.shape == (32, 64, 4)
    assert close_to(px[16, 10], (0, 0, 255, 255))
    assert close_to(px[16, 50], (255, 255, 255, 255))


def test_class_mode_file_runs_under_the_cli(write_sketch, run_cli, tmp_path, read_png, close_to):
    out = tmp_path / "class.png"
    path = write_sketch("""
        import sketchml as sk

        class Red(sk.Sketch):
            def settings(self):
                self.size(30, 20)
            def draw(self):
                self.background(220, 20, 20)

        Red().run_sketch()
    """)
    result = run_cli("run", path, "--headless", "--frames", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    img = read_png(out)
    assert img.shape == (20, 30, 4)
    assert close_to(img[10, 10], (220, 20, 20, 255))


def test_size_in_first_line_of_setup_and_size_flag(write_sketch, tmp_path, read_png):
    path = write_sketch("""
        def setup():
            size(90, 70)
            background(0)
        def draw():
            point(1, 1)
    """)
    assert run_file(path, headless=True, frames=1, out=tmp_path / "a.png") == 0
    assert read_png(tmp_path / "a.png").shape == (70, 90, 4)
    assert run_file(path, headless=True, frames=1, out=tmp_path / "b.png", size="40x30") == 0
    assert read_png(tmp_path / "b.png").shape == (30, 40, 4)


def test_seed_makes_random_and_noise_reproducible(write_sketch, run_cli, tmp_path, read_png):
    path = write_sketch("""
        def setup():
            size(64, 64)
        def draw():
            background(0)
            no_stroke()
            for i in range(30):
                fill(random(255), noise(i * 0.3) * 255, random_int(255))
                circle(random(width), random(height), 10 + random_gaussian() * 2)
    """)
    images = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        out = tmp_path / f"{name}.png"
        result = run_cli("run", path, "--headless", "--frames", "1", "--seed", seed, "--out", out)
        assert result.returncode == 0, result.stderr
        images[name] = read_png(out)
    assert np.array_equal(images["a"], images["b"])
    assert not np.array_equal(images["a"], images["c"])
