"""``sketchml/__init__.pyi`` (module mode's type stub) is generated and up to date."""
from __future__ import annotations

import ast

import sketchml as sk
from sketchml.runtime import stubgen
from sketchml.runtime.sketch import Sketch


def test_the_stub_is_up_to_date():
    assert stubgen.STUB_PATH.exists(), f"sketchml/__init__.pyi is missing: run {stubgen.COMMAND}"
    assert stubgen.STUB_PATH.read_text(encoding="utf-8") == stubgen.render_stub(), (
        f"sketchml/__init__.pyi is stale (a public name was added, removed or renamed): "
        f"run {stubgen.COMMAND} and commit the result."
    )


def _stub_names() -> set[str]:
    tree = ast.parse(stubgen.render_stub())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_the_stub_declares_every_public_name_and_live_variable():
    names = _stub_names()
    assert set(sk.__all__) <= names, sorted(set(sk.__all__) - names)
    assert set(Sketch.LIVE_NAMES) <= names, sorted(set(Sketch.LIVE_NAMES) - names)
    # No __getattr__: an unknown sk.<name> is an error to a type checker.
    assert "__getattr__" not in names


def test_generated_names_take_their_types_from_the_sketch_class():
    lines = stubgen.render_stub().splitlines()
    assert "_sketch: Sketch" in lines
    for name in ("circle", "size", "remap", "mouse_x", "frame_count", "pixels"):
        assert f"{name} = _sketch.{name}" in lines


def test_the_check_command_reports_a_stale_stub(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "__init__.pyi"
    stale.write_text(stubgen.render_stub().replace("circle = _sketch.circle\n", ""))
    monkeypatch.setattr(stubgen, "STUB_PATH", stale)
    assert stubgen.main(["--check"]) == 1
    assert stubgen.COMMAND in capsys.readouterr().out
    assert stubgen.main([]) == 0
    assert stubgen.main(["--check"]) == 0
    assert "circle = _sketch.circle" in stale.read_text()


def test_the_stub_declares_no_name_of_a_submodule():
    # Documentation tools (griffe) merge the stub into the package: a name the stub
    # declares, rather than imports, would replace the submodule of that name on the docs
    # pages (sk.models is imported, as the function it calls, for that reason).
    tree = ast.parse(stubgen.render_stub())
    declared = {target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    declared |= {node.target.id for node in tree.body
                 if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)}
    package = stubgen.STUB_PATH.parent
    submodules = {path.stem for path in package.iterdir()
                  if path.suffix == ".py" or (path / "__init__.py").exists()}
    assert "models" in submodules
    assert not declared & submodules, sorted(declared & submodules)
