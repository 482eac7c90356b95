"""mkdocs hook: the lessons' pictures are made by the embedded defaults when the docs build.

Each picture below is rendered by the code a lesson teaches, with the models sketchml ships,
and added to the site as ``lessons/pictures/NAME.png`` (a lesson shows it with
``![...](pictures/NAME.png)``). Nothing is drawn by hand and nothing is committed: a picture
is rendered again whenever the files it depends on change, and otherwise read from
sketchml's cache folder (``$SKETCHML_HOME/docs-pictures``).

Registered in ``mkdocs.yml`` under ``hooks:``.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The prompts and kinds of picture of the CLIP guidance lesson's table (seed 0 of each).
GUIDE_PROMPTS = ("a red circle", "a blue square", "a green triangle", "a yellow star",
                 "a white cross")
GUIDE_MODELS = ("dcgan.shapes", "pixels", "fourier")
GUIDE_STEPS, GUIDE_CUTOUTS = 40, 8  # the settings of the lesson's table and quality test


def clip_guidance() -> bytes:
    """A row per kind of picture, a column per prompt: ``clip.guide(prompt, model=...)``.

    Seed 0 of each, at the settings of the lesson's measured table.
    """
    import torch

    import sketchml as sk

    torch.set_num_threads(1)
    clip = sk.model("clip", device="cpu")
    rows = []
    for name in GUIDE_MODELS:
        model = sk.model(name, device="cpu") if "." in name else name
        rows += [clip.guide(prompt, model=model, seed=0, steps=GUIDE_STEPS, cutouts=GUIDE_CUTOUTS)
                 .run(progress=False)
                 .image.resized(128).as_subclass(torch.Tensor) for prompt in GUIDE_PROMPTS]
    return _png(torch.cat(rows), nrow=len(GUIDE_PROMPTS))


def biggan_truncation() -> bytes:
    """A row per shape, two samples (the same noise) at each truncation 1.0, 0.5 and 0.2, left
    to right, from ``biggan.shapes``: the BigGAN lesson's truncation section."""
    import torch

    import sketchml as sk

    torch.set_num_threads(1)
    gan = sk.model("biggan.shapes", device="cpu")
    cells = [gan.generate(2, seed=1, label=name, truncation=t)
             for name in gan.class_names for t in (1.0, 0.5, 0.2)]
    return _png(torch.cat(cells).as_subclass(torch.Tensor), nrow=6, size=96)


def biggan_mixing() -> bytes:
    """Eight steps from one shape to another with the same noise, a row per pair of shapes:
    ``label={a: 1 - w, b: w}`` on ``biggan.shapes`` (the lesson's class-mixing section)."""
    import torch

    import sketchml as sk

    torch.set_num_threads(1)
    gan = sk.model("biggan.shapes", device="cpu")
    rows = []
    for a, b in BIGGAN_MIXES:
        noise = gan.sample_latent(1, seed=3, truncation=0.5)
        labels = [{a: 1 - k / 7, b: k / 7} for k in range(8)]
        rows.append(gan.generate(sk.Latent.cat([noise] * 8), label=labels).as_subclass(torch.Tensor))
    return _png(torch.cat(rows), nrow=8, size=96)


BIGGAN_MIXES = (("circle", "square"), ("triangle", "star"), ("square", "cross"))
BIGGAN_FILES = ("plugins/gan/sketchml_gan/biggan.py",
                "plugins/gan/sketchml_gan/weights/biggan-shapes/model.safetensors")

PICTURES: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "biggan-truncation": (biggan_truncation, BIGGAN_FILES),
    "biggan-mixing": (biggan_mixing, BIGGAN_FILES),
    "clip-guidance": (clip_guidance, (
        "plugins/clip/sketchml_clip/guide.py", "plugins/clip/sketchml_clip/params.py",
        "plugins/clip/sketchml_clip/weights/clip-tiny.safetensors",
        "plugins/gan/sketchml_gan/weights/dcgan-shapes.safetensors")),
}
"""Picture name -> (what renders it, the files whose change renders it again)."""


def _png(images, *, nrow: int, size: int | None = None) -> bytes:
    """A PNG grid of ``images``; ``size`` scales each picture up first (nearest: its pixels)."""
    import torch.nn.functional as F
    from PIL import Image

    from sketchml.models.results import grid

    if size is not None:
        images = F.interpolate(images, size=(size, size), mode="nearest")
    buffer = io.BytesIO()
    Image.fromarray(grid(images, nrow=nrow)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _key(name: str, inputs: tuple[str, ...]) -> str:
    digest = hashlib.sha256(name.encode() + Path(__file__).read_bytes())
    for path in inputs:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


def picture(name: str) -> bytes:
    """The PNG bytes of picture ``name``, from the cache or rendered now."""
    from sketchml.files import atomic_write_bytes
    from sketchml.models.weights import sketchml_home

    render, inputs = PICTURES[name]
    cached = sketchml_home() / "docs-pictures" / f"{name}-{_key(name, inputs)}.png"
    if cached.is_file():
        return cached.read_bytes()
    data = render()
    cached.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(cached, data)
    return data


def on_files(files, config):  # noqa: ANN001, ANN201 (mkdocs' hook signature)
    """Add every picture to the site's files, so lessons link to them like any page."""
    from mkdocs.structure.files import File

    for name in PICTURES:
        files.append(File.generated(config, f"lessons/pictures/{name}.png", content=picture(name)))
    return files
