"""Where a sketch's files are, as in Processing: beside the sketch, not the working directory.

``sketch_path()`` is the folder of the sketch file (the working directory when a
sketch has no file, e.g. in a notebook) and ``data_path()`` its ``data`` folder.
Files a sketch reads (``load_image``, ``load_strings``, ``load_json``, ``load_bytes``)
are looked for in ``data_path()``, then ``sketch_path()``, then the working
directory; ``http(s)://`` URLs are downloaded (once per run, into a cache), with
a clear error when offline. Relative paths a sketch writes (``save_strings``,
``save_json``, ``save_bytes``) go under ``sketch_path()``.

What a sketch makes (videos, latents, trained models, sounds, run folders) goes under
``output_path()``: the ``output`` folder beside the sketch, made when first asked for,
so running a sketch from another folder leaves nothing in the working directory. The
environment variable ``SKETCHML_OUTPUT`` names another folder for every sketch's outputs
(a test's temporary folder, a batch run's results); a full path a user gives, such as
``sketchml run ... --out clip.mp4``, is used as given.

Examples:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "data").mkdir(); _ = (folder / "data" / "words.txt").write_text("a\\nb\\n")
    >>> find_input("words.txt", folder).name
    'words.txt'
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sketchml.errors import SketchmlError
from sketchml.files import atomic_write_bytes, atomic_write_text

__all__ = ["SketchPathsMixin", "fetch_url", "find_input", "is_url"]

_DOWNLOAD_TIMEOUT_S = 20.0


def is_url(path: Any) -> bool:
    """Whether ``path`` is an ``http://`` or ``https://`` address.

    Examples:
        >>> is_url("https://example.org/cat.png"), is_url("cat.png")
        (True, False)
    """
    return isinstance(path, str) and path.lower().startswith(("http://", "https://"))


def fetch_url(url: str) -> Path:
    """Download ``url`` into sketchml's download cache (once) and return the local file.

    Offline, or when the server refuses, raises a :class:`SketchmlError` that says so.
    """
    import urllib.error
    import urllib.request

    cache = Path(os.environ.get("SKETCHML_DOWNLOADS", Path(tempfile.gettempdir()) / "sketchml-downloads"))
    name = Path(url.split("?", 1)[0]).name or "download"
    target = cache / hashlib.sha256(url.encode()).hexdigest()[:16] / name
    if target.is_file():
        return target
    try:
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
            data = response.read()
    except urllib.error.HTTPError as err:
        raise SketchmlError(f"could not download {url}: the server answered {err.code} {err.reason}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise SketchmlError(
            f"could not download {url} ({reason}): this machine seems to be offline or the "
            "address is wrong. Download the file yourself, put it in the sketch's data/ folder "
            "and load it by name."
        ) from None
    atomic_write_bytes(target, data)
    return target


def find_input(path: str | os.PathLike[str], folder: Path | None, *, what: str = "file") -> Path:
    """The local file a sketch means by ``path``: a URL is downloaded; a relative path is
    looked for in ``folder/data``, ``folder`` and the working directory, in that order.

    Examples:
        >>> find_input("no-such-file.png", None, what="image")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        sketchml.errors.SketchmlError: Cannot find the image 'no-such-file.png'...
    """
    if is_url(path):
        return fetch_url(str(path))
    p = Path(path).expanduser()
    if p.is_absolute():
        places = [p]
    else:
        places = [folder / "data" / p, folder / p] if folder is not None else []
        places.append(Path.cwd() / p)
    for place in places:
        if place.exists():
            return place
    looked = ", ".join(repr(str(place)) for place in dict.fromkeys(places))
    raise SketchmlError(
        f"Cannot find the {what} {os.fspath(path)!r}: it does not exist (looked for {looked}). Put it in the "
        "sketch's data/ folder (data_path()), beside the sketch file, or give its full path."
    )


class SketchPathsMixin:
    """The sketch methods ``sketch_path``, ``data_path``, ``output_path`` and the text/JSON/bytes loaders."""

    API_METHODS: tuple[str, ...] = (
        "data_path", "load_bytes", "load_json", "load_strings", "output_path", "save_bytes",
        "save_json", "save_strings", "sketch_path",
    )
    _sketch_folder: Path | None = None

    def sketch_path(self, where: str | os.PathLike[str] | None = None) -> Path:
        """The folder of the sketch file (the working directory for a sketch without a
        file, as in a notebook), or ``where`` inside it.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().sketch_path("out.png").name
            'out.png'
        """
        folder = self._sketch_folder if self._sketch_folder is not None else Path.cwd()
        return folder if where is None else folder / where

    def data_path(self, where: str | os.PathLike[str] | None = None) -> Path:
        """The sketch's ``data`` folder (``sketch_path("data")``), or ``where`` inside it:
        the first place ``load_image``, ``load_strings`` ... look for a file.

        Examples:
            >>> import sketchml as sk
            >>> sk.Sketch().data_path("cat.png").parent.name
            'data'
        """
        data = self.sketch_path("data")
        return data if where is None else data / where

    def output_path(self, where: str | os.PathLike[str] | None = None) -> Path:
        """The folder a sketch's outputs go to, or ``where`` inside it; the folder (and
        the folders ``where`` names) are made if missing.

        The folder is ``sketch_path("output")``, or ``$SKETCHML_OUTPUT`` when that is set.
        An absolute ``where`` is returned as it is.

        Examples:
            >>> import os, sketchml as sk, tempfile
            >>> os.environ["SKETCHML_OUTPUT"] = tempfile.mkdtemp()
            >>> path = sk.Sketch().output_path("walk/seed-3.safetensors")
            >>> path.parent.name, path.parent.is_dir()
            ('walk', True)
            >>> del os.environ["SKETCHML_OUTPUT"]
        """
        chosen = os.environ.get("SKETCHML_OUTPUT")
        folder = Path(chosen).expanduser() if chosen else self.sketch_path("output")
        target = folder if where is None else folder / where
        (target if where is None else target.parent).mkdir(parents=True, exist_ok=True)
        return target

    def _input(self, path: str | os.PathLike[str], what: str) -> Path:
        return find_input(path, self._sketch_folder, what=what)

    def load_strings(self, path: str | os.PathLike[str]) -> list[str]:
        """The lines of a text file (a path beside the sketch, or a URL), without line ends.

        Examples:
            >>> import sketchml as sk, tempfile, os
            >>> p = os.path.join(tempfile.mkdtemp(), "t.txt"); _ = open(p, "w").write("a\\nb\\n")
            >>> sk.Sketch().load_strings(p)
            ['a', 'b']
        """
        return self._input(path, "text file").read_text(encoding="utf-8").splitlines()

    def load_json(self, path: str | os.PathLike[str]) -> Any:
        """The contents of a JSON file (a path beside the sketch, or a URL): dicts and lists.

        Examples:
            >>> import sketchml as sk, tempfile, os
            >>> p = os.path.join(tempfile.mkdtemp(), "t.json"); _ = open(p, "w").write('{"n": 1}')
            >>> sk.Sketch().load_json(p)
            {'n': 1}
        """
        source = self._input(path, "JSON file")
        try:
            return json.loads(source.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SketchmlError(f"{os.fspath(path)!r} is not valid JSON: {err}.") from None

    def load_bytes(self, path: str | os.PathLike[str]) -> bytes:
        """The raw bytes of a file (a path beside the sketch, or a URL).

        Examples:
            >>> import sketchml as sk, tempfile, os
            >>> p = os.path.join(tempfile.mkdtemp(), "b"); _ = open(p, "wb").write(b"hi")
            >>> sk.Sketch().load_bytes(p)
            b'hi'
        """
        return self._input(path, "file").read_bytes()

    def save_strings(self, lines: Any, path: str | os.PathLike[str]) -> Path:
        """Write ``lines`` (one string each) to a text file; a relative ``path`` is under
        ``sketch_path()``. Returns the path written.

        Examples:
            >>> import sketchml as sk, tempfile, os
            >>> sk.Sketch().save_strings(["a", "b"], os.path.join(tempfile.mkdtemp(), "t.txt")).name
            't.txt'
        """
        target = self.sketch_path(path)
        atomic_write_text(target, "".join(f"{line}\n" for line in lines))
        return target

    def save_json(self, data: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
        """Write ``data`` as JSON (``kwargs`` go to ``json.dumps``, e.g. ``indent=2``); a
        relative ``path`` is under ``sketch_path()``. Returns the path written.

        Examples:
            >>> import sketchml as sk, tempfile, os
            >>> sk.Sketch().save_json({"n": 1}, os.path.join(tempfile.mkdtemp(), "t.json")).suffix
            '.json'
        """
        target = self.sketch_path(path)
        atomic_write_text(target, json.dumps(data, **kwargs))
        return target

    def save_bytes(self, data: bytes, path: str | os.PathLike[str]) -> Path:
        """Write raw bytes to a file; a relative ``path`` is under ``sketch_path()``.

        Examples:
            >>> import sketchml as sk, tempfile, os
            >>> sk.Sketch().save_bytes(b"hi", os.path.join(tempfile.mkdtemp(), "b")).name
            'b'
        """
        target = self.sketch_path(path)
        atomic_write_bytes(target, bytes(data))
        return target
