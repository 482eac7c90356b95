"""sketchml_text.corpus: the offline training text both text families learn from."""
from __future__ import annotations

import re
import shutil
import sysconfig
from pathlib import Path

import pytest

import sketchml as sk
from sketchml_text.corpus import build_corpus, module_prose, stdlib_files


def test_the_corpus_is_deterministic_sized_and_split_by_module():
    corpus = build_corpus(max_chars=60_000)
    again = build_corpus.__wrapped__(max_chars=60_000)  # rebuilt, not the cached one
    assert corpus == again and corpus.text == again.text
    assert 55_000 < len(corpus.text) <= 60_000
    assert corpus.text == corpus.train + corpus.validation
    assert 0.05 < len(corpus.validation) / len(corpus) < 0.3
    assert corpus.validation_modules >= 2
    # Held out by module: no validation module contributed to the training text.
    held = corpus.modules[-corpus.validation_modules:]
    assert not set(held) & set(corpus.modules[: -corpus.validation_modules])


def test_seeds_pick_other_modules():
    assert build_corpus(max_chars=20_000, seed=1).modules != build_corpus(max_chars=20_000, seed=2).modules


def test_the_text_is_ascii_prose_without_interactive_examples():
    text = build_corpus(max_chars=100_000).text
    assert re.fullmatch(r"[\n\x20-\x7e]*", text)
    assert ">>>" not in text
    words = text.split()
    assert sum(w.lower() in ("the", "a", "of", "is", "to") for w in words) / len(words) > 0.05


def test_module_prose_reads_docstrings_and_comments_in_order_without_running_code():
    source = '''"""Module doc."""
import sys
sys.exit("this must never run")


def f():
    """Function doc.

    >>> f()
    42
    """
    # A comment about the answer.
    return 42
'''
    assert module_prose(source) == "Module doc.\n\nFunction doc.\n\nA comment about the answer.\n"
    assert module_prose("def broken(:\n") == ""


def test_tests_and_vendored_packages_are_left_out():
    names = [p.relative_to(sysconfig.get_paths()["stdlib"]).parts for p in stdlib_files()]
    assert names and not any({"test", "site-packages", "idlelib"} & set(parts) for parts in names)


def test_a_standard_library_without_sources_is_explained(tmp_path: Path):
    with pytest.raises(sk.SketchmlError, match="without its .py files"):
        build_corpus(root=tmp_path)
    shutil.copy(Path(sysconfig.get_paths()["stdlib"]) / "textwrap.py", tmp_path / "textwrap.py")
    small = build_corpus(max_chars=5_000, root=tmp_path)
    # One module cannot be split by module: it all goes to training.
    assert small.modules == ("textwrap.py",) and small.validation == ""
    assert small.train.startswith("Text wrapping and filling.") and len(small.train) <= 5_000
    with pytest.raises(sk.SketchmlError, match="max_chars"):
        build_corpus(max_chars=10)
    with pytest.raises(sk.SketchmlError, match="between 0 and 1"):
        build_corpus(validation=1.5)
