"""An offline English corpus found on every machine with Python: the standard library's prose.

The embedded text models need training text that is on every machine with no download and
that this repository does not copy from anywhere. Python's standard library ships its own
source, and its docstrings and comments are several megabytes of plain technical English.
:func:`build_corpus` reads them at run time, without importing any module (the files are
parsed with :mod:`ast` and :mod:`tokenize`, so nothing in them runs), keeps printable ASCII
prose, and splits it into training and validation text by module, so validation measures
text from modules the model never saw.

The order of modules is a keyed hash of ``seed`` and each module's path, not a shuffle of the
whole list: a Python release that adds or drops a module leaves the order of the others as
it was, so the corpus differs between Python versions only where the library's text does.

Examples:
    >>> from sketchml_text.corpus import build_corpus
    >>> corpus = build_corpus(max_chars=20_000)
    >>> len(corpus.text) <= 20_000 and corpus.text == corpus.train + corpus.validation
    True
"""
from __future__ import annotations

import ast
import functools
import hashlib
import io
import re
import sysconfig
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Corpus", "build_corpus", "stdlib_files"]

# Folders whose text is not prose worth learning: tests (code fragments and fixtures),
# generated tables, vendored third-party packages and the IDE's sources.
_SKIP_PARTS = frozenset({
    "test", "tests", "idle_test", "idlelib", "lib2to3", "site-packages", "dist-packages",
    "turtledemo", "ensurepip", "pydoc_data", "encodings", "__pycache__", "__phello__",
})
# Comments that are tooling directives or licence boilerplate rather than sentences.
_SKIP_COMMENT = re.compile(
    r"^(!|-\*-|\s*(type:|noqa|pragma|pylint|fmt:|XXX\s*$|copyright|license|\(c\))|[-=#*~_ ]*$)",
    re.IGNORECASE,
)
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


@dataclass(frozen=True)
class Corpus:
    """Prose from the standard library, split by module into training and validation text.

    ``text == train + validation``; ``modules`` names the source files used, in order, and
    ``validation_modules`` how many at the end of that list make up ``validation``.

    Examples:
        >>> corpus = build_corpus(max_chars=5_000)
        >>> corpus.validation in corpus.text
        True
    """

    train: str
    validation: str
    modules: tuple[str, ...] = field(repr=False)
    validation_modules: int = 0

    @property
    def text(self) -> str:
        """The whole corpus: training text followed by validation text."""
        return self.train + self.validation

    def __len__(self) -> int:
        return len(self.train) + len(self.validation)


def stdlib_files(*, root: str | Path | None = None) -> list[Path]:
    """The standard library's ``.py`` files the corpus may use, sorted by path.

    ``root`` defaults to this interpreter's standard library folder.

    Examples:
        >>> any(path.name == "textwrap.py" for path in stdlib_files())
        True
    """
    base = Path(root) if root is not None else Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in base.rglob("*.py"):
        rel = path.relative_to(base)
        if _SKIP_PARTS.isdisjoint(rel.parts) and not rel.parts[0].startswith("config-"):
            files.append(path)
    return sorted(files)


def module_prose(source: str) -> str:
    """The docstrings and comments of one module's ``source``, as paragraphs of ASCII prose.

    Examples:
        >>> module_prose("'''Spam and eggs.'''\\n# Eggs are cooked first.\\nx = 1\\n")
        'Spam and eggs.\\n\\nEggs are cooked first.\\n'
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    # (line, text) so docstrings and comments come out in the order a reader meets them.
    pieces: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc and node.body:
                pieces.append((node.body[0].lineno, doc))
    pieces.extend(_comment_blocks(source))
    pieces.sort(key=lambda item: item[0])
    paragraphs = []
    for _, text in pieces:
        block = _prose_lines(text)
        if len(block) >= 8:
            paragraphs.append(block)
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def _prose_lines(text: str) -> str:
    # Interactive examples (prompt lines and the output under them) and non-ASCII lines
    # would teach the model code and a larger alphabet rather than English.
    kept = []
    in_example = False
    for line in text.expandtabs(4).splitlines():
        line = line.rstrip()
        if line.lstrip().startswith(">>>"):
            in_example = True
        elif not line:
            in_example = False
        if not in_example and _PRINTABLE.match(line):
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _comment_blocks(source: str) -> list[tuple[int, str]]:
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = last = 0
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return blocks
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        text = tok.string[1:].strip()
        line = tok.start[0]
        if _SKIP_COMMENT.match(text):
            continue
        if current and line != last + 1:
            blocks.append((start, "\n".join(current)))
            current = []
        if not current:
            start = line
        current.append(text)
        last = line
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def _cut(prose: str, limit: int) -> str:
    """``prose`` cut to ``limit`` characters at a paragraph end where one is near."""
    if len(prose) <= limit:
        return prose
    head = prose[:limit]
    end = head.rfind("\n\n")
    return head[: end + 1] if end > limit // 2 else head


def _order_key(seed: int, rel: str) -> str:
    return hashlib.sha256(f"{seed}:{rel}".encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def build_corpus(*, max_chars: int = 400_000, seed: int = 0, validation: float = 0.1,
                 root: str | Path | None = None) -> Corpus:
    """Build the offline corpus: at most ``max_chars`` characters of standard-library prose.

    Modules are taken whole, in an order fixed by ``seed`` (default 0), until ``max_chars``
    (default 400,000) is reached; the last modules, about a ``validation`` fraction (default
    0.1) of the text, form the validation split. The same Python version gives the same
    corpus on every machine. ``root`` reads another standard library folder (default: this
    interpreter's).

    Examples:
        >>> corpus = build_corpus(max_chars=50_000, seed=1)
        >>> 0 < len(corpus.validation) < len(corpus.train)
        True
    """
    from sketchml.plugin import SketchmlError

    if not isinstance(max_chars, int) or max_chars < 1_000:
        raise SketchmlError(f"max_chars must be a whole number >= 1000, got {max_chars!r}.")
    if not 0 < validation < 1:
        raise SketchmlError(f"validation is the fraction of text held out, between 0 and 1 "
                            f"(e.g. 0.1); got {validation!r}.")
    files = stdlib_files(root=root)
    if not files:
        raise SketchmlError(
            f"No standard-library sources found under {root or sysconfig.get_paths()['stdlib']}; "
            "this Python was installed without its .py files. Pass root= a folder of them."
        )
    base = Path(root) if root is not None else Path(sysconfig.get_paths()["stdlib"])
    keyed = sorted(files, key=lambda p: _order_key(seed, p.relative_to(base).as_posix()))
    # A cap per module keeps one long module (decimal, typing) from being the whole
    # validation split, so validation measures many authors' prose.
    per_module = max(2_000, max_chars // 40)
    texts: list[str] = []
    names: list[str] = []
    total = 0
    for path in keyed:
        prose = module_prose(path.read_text(encoding="utf-8", errors="replace"))
        if not prose:
            continue
        prose = _cut(prose, min(per_module, max_chars - total) - 1) + "\n"
        texts.append(prose)
        names.append(path.relative_to(base).as_posix())
        total += len(prose)
        if total >= max_chars:
            break
    held = 0
    held_chars = 0
    while held < len(texts) - 1 and held_chars < validation * total:
        held += 1
        held_chars += len(texts[-held])
    return Corpus(train="".join(texts[: len(texts) - held]),
                  validation="".join(texts[len(texts) - held:]),
                  modules=tuple(names), validation_modules=held)
