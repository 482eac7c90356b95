"""Offline English corpora: verse and prose from Debian's ``fortunes``, and Python's own prose.

The embedded text models need training text that installs with no download at run time and
that this repository does not copy from anywhere.

:func:`literary_corpus` is what ``charrnn.default`` and ``gpt2.tiny`` learn from: the
literature, poems, love, wisdom, humorists, tao and people collections of Debian's
``fortunes`` package (BSD licence, as its copyright file says; ``scripts/setup.sh`` installs
it). Each fortune is one document: quotations from Shakespeare, Twain, Tolkien, Ogden Nash,
Robert W. Service and many more, with their attributions. Documents are split into training
and validation text by a keyed hash of their words, so validation measures whole poems and
quotations the model never saw, and the split does not move when a package release adds or
drops a fortune.

:func:`build_corpus` is the smaller corpus every machine with Python has. Python's standard library ships its own
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

__all__ = ["Corpus", "LITERARY", "build_corpus", "fortunes_folder", "literary_corpus",
           "stdlib_files"]

# The collections of Debian's ``fortunes`` package that are verse, literature and aphorism
# rather than computing jokes, news or Star Trek.
LITERARY = ("humorists", "literature", "love", "people", "songs-poems", "tao", "wisdom")
# Where fortune(6) data lives: Debian and Ubuntu; Fedora and Arch; source builds; Homebrew.
_FORTUNE_FOLDERS = ("/usr/share/games/fortunes", "/usr/share/fortunes",
                    "/usr/local/share/games/fortunes", "/opt/homebrew/share/games/fortunes")

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


def fortunes_folder(*, collections: tuple[str, ...] = LITERARY) -> Path | None:
    """The installed folder that has every one of ``collections`` of fortunes, or None.

    Examples:
        >>> folder = fortunes_folder()
        >>> folder is None or (folder / "songs-poems").is_file()
        True
    """
    for name in _FORTUNE_FOLDERS:
        folder = Path(name)
        if all((folder / c).is_file() for c in collections):
            return folder
    return None


def _fortunes(text: str) -> list[str]:
    """The fortunes of one collection file, cleaned: ASCII only, no tab layout."""
    docs = []
    for raw in re.split(r"^%$", text, flags=re.MULTILINE):
        # Tabs and runs of spaces are layout (attributions pushed right, two columns, two
        # spaces after a full stop): one space teaches the words, not the typewriter.
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in raw.strip("\n").splitlines()]
        doc = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        if len(doc) >= 8 and _PRINTABLE.match(doc.replace("\n", " ")):
            docs.append(doc)
    return docs


@functools.lru_cache(maxsize=4)
def literary_corpus(*, collections: tuple[str, ...] = LITERARY, seed: int = 0,
                    validation: float = 0.1, root: str | Path | None = None) -> Corpus:
    """Verse and prose from Debian's ``fortunes``, split by document into training and validation.

    Every fortune of ``collections`` (default :data:`LITERARY`) is one document; documents
    are joined by a blank line. A document is held out when a hash of ``seed`` (default 0)
    and its text falls in the first ``validation`` fraction (default 0.1), so whole poems
    and quotations are held out, never lines of one. Both parts are in an order fixed by the
    same hash, which mixes the collections. ``root`` reads another folder of fortune files
    (default: the installed package, see :func:`fortunes_folder`). ``modules`` names each
    document ``collection:number``, training documents first.

    Examples:
        >>> corpus = literary_corpus()  # doctest: +SKIP
        >>> "Shakespeare" in corpus.text  # doctest: +SKIP
        True
    """
    from sketchml.plugin import SketchmlError

    if not 0 < validation < 1:
        raise SketchmlError(f"validation is the fraction of documents held out, between 0 and "
                            f"1 (e.g. 0.1); got {validation!r}.")
    collections = tuple(collections)
    folder = Path(root) if root is not None else fortunes_folder(collections=collections)
    missing = [c for c in collections if folder is None or not (folder / c).is_file()]
    if folder is None or missing:
        where = str(folder) if folder is not None else ", ".join(_FORTUNE_FOLDERS)
        raise SketchmlError(
            f"The literary corpus reads the {', '.join(missing)} collections of Debian's "
            f"'fortunes' package and did not find them in {where}. Install the package: "
            f"'sudo apt-get install fortunes' (scripts/setup.sh does this).")
    keyed: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for collection in collections:
        text = (folder / collection).read_text(encoding="utf-8", errors="replace")
        for number, doc in enumerate(_fortunes(text)):
            # A fortune filed in two collections is one document: it must not be on both
            # sides of the split.
            if doc not in seen:
                seen.add(doc)
                keyed.append((_order_key(seed, doc), f"{collection}:{number}", doc))
    keyed.sort()
    cut = validation * 16 ** 64
    held = [item for item in keyed if int(item[0], 16) < cut]
    kept = [item for item in keyed if int(item[0], 16) >= cut]
    if not held or not kept:
        raise SketchmlError(f"{len(keyed)} documents are too few to hold out "
                            f"validation={validation}; use more collections.")
    join = lambda items: "".join(doc + "\n\n" for _, _, doc in items)  # noqa: E731
    return Corpus(train=join(kept), validation=join(held),
                  modules=tuple(name for _, name, _ in kept + held),
                  validation_modules=len(held))
