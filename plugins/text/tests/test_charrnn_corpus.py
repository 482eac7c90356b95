"""sketchml_text.corpus: the offline training text both text families learn from."""
from __future__ import annotations

import re
import shutil
import sysconfig
from pathlib import Path

import pytest

import sketchml as sk
from sketchml_text.charrnn import ngram_bits_per_char, unigram_bits_per_char
from sketchml_text.corpus import LITERARY, build_corpus, fortunes_folder, literary_corpus, \
    module_prose, stdlib_files

needs_fortunes = pytest.mark.skipif(
    fortunes_folder() is None,
    reason="Debian's 'fortunes' package is not installed (scripts/setup.sh installs it)")


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


def _fortune_files(folder: Path, poems: int = 40) -> None:
    """A small folder of fortune files in the package's format: fortunes between '%' lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for collection in LITERARY:
        docs = [f"Poem {i} of {collection},\n\tits second line,\t  with tabs.\n\t\t-- Author {i}"
                for i in range(poems)]
        (folder / collection).write_text("\n%\n".join(docs) + "\n%\n", encoding="utf-8")


def test_the_literary_corpus_splits_whole_fortunes_and_cleans_their_layout(tmp_path: Path):
    _fortune_files(tmp_path)
    corpus = literary_corpus(root=tmp_path, validation=0.2)
    docs = corpus.text.split("\n\n")[:-1]
    assert len(docs) == len(corpus.modules) == 40 * len(LITERARY)
    assert docs[0].count("\n") == 2 and "\t" not in corpus.text and "  " not in corpus.text
    assert re.fullmatch(r"Poem \d+ of [a-z-]+,\nits second line, with tabs\.\n-- Author \d+",
                        docs[0])
    # Held out by document: every held-out fortune is whole, and none is in training.
    held = set(corpus.validation.split("\n\n")[:-1])
    assert len(held) == corpus.validation_modules
    assert 0.1 < len(held) / len(docs) < 0.3
    assert not held & set(corpus.train.split("\n\n"))
    # The split belongs to each document: a collection more does not move the others.
    fewer = literary_corpus(root=tmp_path, validation=0.2, collections=LITERARY[:3])
    assert set(fewer.validation.split("\n\n")[:-1]) <= held
    assert literary_corpus(root=tmp_path, validation=0.2, seed=1).validation != corpus.validation


def test_a_missing_fortunes_package_is_explained(tmp_path: Path):
    (tmp_path / "literature").write_text("A horse!\n%\n", encoding="utf-8")
    with pytest.raises(sk.SketchmlError, match=r"songs-poems.*apt-get install fortunes"):
        literary_corpus(root=tmp_path)
    with pytest.raises(sk.SketchmlError, match="between 0 and 1"):
        literary_corpus(root=tmp_path, validation=0)


@needs_fortunes
def test_the_installed_corpus_is_english_verse_and_prose():
    corpus = literary_corpus()
    assert len(corpus.train) > 400_000 and len(corpus.validation) > 40_000
    assert re.fullmatch(r"[\n\x20-\x7e]*", corpus.text)
    words = corpus.text.split()
    assert sum(w.lower() in ("the", "a", "of", "and", "to") for w in words) / len(words) > 0.08
    assert "Shakespeare" in corpus.text and "Ogden Nash" in corpus.text


def test_a_character_ngram_model_beats_letter_frequencies_on_held_out_text():
    text = build_corpus(max_chars=60_000)
    unigram = unigram_bits_per_char(text.validation, reference=text.train)
    trigram = ngram_bits_per_char(text.validation, reference=text.train, order=3)
    assert trigram < unigram - 1.0
    # order=1 is the add-one unigram model itself.
    assert ngram_bits_per_char(text.validation, reference=text.train, order=1) == \
        pytest.approx(unigram)
    with pytest.raises(sk.SketchmlError, match="order"):
        ngram_bits_per_char("abc", reference="abc", order=0)


def test_the_corpus_and_baseline_examples_run():
    import doctest

    import sketchml_text.charrnn
    import sketchml_text.corpus

    assert doctest.testmod(sketchml_text.corpus).failed == 0
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(sketchml_text.charrnn.ngram_bits_per_char, "ngram_bits_per_char",
                            globs={"ngram_bits_per_char": sketchml_text.charrnn.ngram_bits_per_char}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries == 1
