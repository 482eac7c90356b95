"""Imported mode: run a file of bare ``setup()``/``draw()`` with the API injected.

The file is executed in a fresh namespace that already holds every API function
as a *bound method of the sketch* (``circle`` is ``sketch.circle``: no wrapper,
no per-call cost), Processing's constants and the live variables, which the
sketch copies into the namespace before every call of ``setup``, ``draw`` or a
callback. A file written in module mode (``import sketchml as sk`` ...
``sk.run_sketch()``) or class mode (``MySketch().run_sketch()``) runs too: its
``run_sketch()`` call hands the sketch over instead of starting a second loop.

Examples:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "dot.py")
    >>> _ = open(path, "w").write("def draw():\\n    circle(50, 50, frame_count)\\n")
    >>> sketch = FileSketchSource(path).load()
    >>> sketch._has_handler("draw")
    True
"""
from __future__ import annotations

import builtins
import io
import linecache
import os
import sys
import tokenize
from pathlib import Path
from typing import Any

from sketchml import constants
from sketchml.errors import SketchmlError
from sketchml.media.capture import Capture, Movie
from sketchml.runtime import module_api
from sketchml.runtime.hints import python_map, warn_callbacks
from sketchml.runtime.sketch import CALLBACK_NAMES, HOOK_NAMES, Sketch, _Loading
from sketchml.sound import Analyzer, AudioIn, Sound

__all__ = ["FileSketchSource", "inject_api"]


def inject_api(namespace: dict[str, Any], sketch: Sketch) -> None:
    """Put the sketch API (bound methods), constants and live variables into ``namespace``.

    Examples:
        >>> import sketchml as sk
        >>> s = sk.Sketch(); ns = {}
        >>> inject_api(ns, s)
        >>> ns["circle"] == s.circle, ns["CENTER"], ns["frame_count"]
        (True, 3, 0)
    """
    for name in constants.__all__:
        namespace[name] = getattr(constants, name)
    for name in Sketch.API_METHODS:
        namespace[name] = getattr(sketch, name)
    for name in Sketch.LIVE_NAMES:
        namespace[name] = getattr(sketch, name)
    # Python's map, refusing Processing's map(value, ...) with a pointer to remap().
    namespace["map"] = python_map
    # Processing's camera and movie classes are bare names in a sketch too.
    namespace["Capture"], namespace["Movie"] = Capture, Movie
    # ... and the Sound library's classes.
    namespace["Analyzer"], namespace["AudioIn"], namespace["Sound"] = Analyzer, AudioIn, Sound


class FileSketchSource:
    """Loads a sketch file into a fresh sketch, as many times as it is saved.

    ``load()`` returns a new :class:`~sketchml.Sketch` each call (the file's own
    instance in class mode). Modules the sketch imports from its own folder are
    re-imported on each load and watched with the file (``watched_files()``).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise SketchmlError(
                f"no sketch file at {os.fspath(path)!r}; pass the path of a .py file with "
                "setup() and/or draw(), e.g. sketchml run sketches/demo.py"
            )
        self._local_modules: list[str] = []

    @property
    def folder(self) -> Path:
        return self.path.parent

    def watched_files(self) -> list[str]:
        """The sketch file and the local modules it imported."""
        files = [str(self.path)]
        for name in self._local_modules:
            module_file = getattr(sys.modules.get(name), "__file__", None)
            if module_file:
                files.append(module_file)
        return files

    def _forget_local_modules(self) -> None:
        for name in self._local_modules:
            sys.modules.pop(name, None)
        self._local_modules = []

    def _record_local_modules(self) -> None:
        folder = str(self.folder) + os.sep
        self._local_modules = [
            name for name, module in list(sys.modules.items())
            if (getattr(module, "__file__", None) or "").startswith(folder)
        ]

    def load(self) -> Sketch:
        """Execute the file in a fresh namespace and return the sketch it defines.

        Raises whatever the file's top-level code raises (the runner reports it as
        a sketch error) and :class:`SketchmlError` when it defines no sketch at all.
        """
        source = read_source(self.path)
        # Tracebacks show lines of the version that runs, not a cached older one.
        linecache.cache[str(self.path)] = (len(source), None, source.splitlines(True), str(self.path))
        code = compile(source, str(self.path), "exec")
        sketch = Sketch()
        sketch._sketch_folder = self.folder
        namespace: dict[str, Any] = {
            "__name__": "__main__",
            "__file__": str(self.path),
            "__builtins__": builtins,
        }
        inject_api(namespace, sketch)
        if str(self.folder) not in sys.path:
            sys.path.insert(0, str(self.folder))
        self._forget_local_modules()
        module_api.set_current(sketch)
        if _is_static(code):
            # Processing's static mode: the whole file is the setup, drawn once.
            namespace["setup"] = lambda: exec(code, namespace)
            sketch.no_loop()
            sketch._use_functions(namespace, sync=True)
            return sketch
        claim: dict[str, Any] = {}
        _Loading.stack.append(claim)
        try:
            exec(code, namespace)
        finally:
            _Loading.stack.pop()
            self._record_local_modules()
        warn_callbacks(
            name for name, value in namespace.items()
            if callable(value) and getattr(getattr(value, "__code__", None), "co_filename", None)
            == str(self.path)
        )
        claimed = claim.get("sketch")
        if isinstance(claimed, Sketch):
            claimed._sketch_folder = self.folder
            module_api.set_current(claimed)
            return claimed
        if not any(callable(namespace.get(name)) for name in HOOK_NAMES + CALLBACK_NAMES):
            raise SketchmlError(
                f"{self.path.name} defines no setup() or draw(), so there is nothing to run. "
                "Define def setup(): (runs once) and/or def draw(): (runs every frame), or a "
                "class MySketch(sketchml.Sketch) followed by MySketch().run_sketch()."
            )
        sketch._use_functions(namespace, sync=True)
        return sketch


def read_source(path: Path) -> str:
    """The text of a sketch file: UTF-8, or the encoding its ``# -*- coding: ... -*-`` line names.

    Examples:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.py"
        >>> _ = path.write_bytes(b"# -*- coding: latin-1 -*-\\ntitle = 'caf\\xe9'\\n")
        >>> read_source(path).splitlines()[1]
        "title = 'café'"
    """
    data = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        pass
    try:  # where the first byte that is not UTF-8 sits
        data.decode("utf-8")
        start = 0
    except UnicodeDecodeError as err:
        start = err.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    text = data.splitlines()[line - 1].decode("utf-8", "replace") if data else ""
    raise SyntaxError(
        f"{path.name} is not UTF-8 text (byte 0x{data[start]:02X} at line {line}, "
        f"column {column}), so Python cannot read it. Save it as UTF-8 in your editor (most "
        "have an encoding choice in Save As), or name its encoding in its first line: "
        "# -*- coding: latin-1 -*-",
        (str(path), line, column, text),
    )


def _is_static(code: Any) -> bool:
    """Whether a compiled sketch file is in Processing's static mode: it calls the API at
    the top level (``size``, ``circle`` ...) and never names a hook or callback (no
    ``def draw():``), ``run_sketch`` or ``Sketch``."""
    names = set(code.co_names)
    if names & ({"run_sketch", "Sketch"} | set(HOOK_NAMES) | set(CALLBACK_NAMES)):
        return False
    return bool(names & set(Sketch.API_METHODS))
