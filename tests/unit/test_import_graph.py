"""The import-graph check finds a cycle where there is one, counts lazy imports, ignores TYPE_CHECKING ones,
and the package has none."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
assert spec is not None and spec.loader is not None
import_graph = importlib.util.module_from_spec(spec)
spec.loader.exec_module(import_graph)


def test_the_package_has_no_import_cycle_and_keeps_its_layers():
    edges = import_graph.graph()
    assert "hokusai_acceptance.diagnosis.facts" in edges and import_graph.cycles(edges) == []
    assert import_graph.layering(edges) == []


def test_a_broken_layer_is_named():
    edges = {
        "hokusai_acceptance.stack.gateway": {"hokusai_acceptance.classify", "hokusai_acceptance.redaction"},
        "hokusai_acceptance.capabilities.proxy": {"hokusai_acceptance.stack.inspection"},
        "hokusai_acceptance.diagnosis.engine": {"hokusai_acceptance.run"},
        "hokusai_acceptance.behave_support": {"hokusai_acceptance.stack.launcher"},
    }
    assert import_graph.layering(edges) == [
        "hokusai_acceptance.capabilities.proxy imports hokusai_acceptance.stack.inspection: only what starts the "
        "reference stack imports it",
        "hokusai_acceptance.diagnosis.engine imports hokusai_acceptance.run: the diagnosis reads evidence only",
        "hokusai_acceptance.stack.gateway imports hokusai_acceptance.classify: the reference stack uses only itself "
        "and the plumbing",
    ]


def test_a_cycle_through_a_lazy_import_is_found_and_a_type_checking_import_is_not(tmp_path, monkeypatch):
    package = tmp_path / "hokusai_acceptance"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def later():\n    from .a import thing\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    monkeypatch.setattr(import_graph, "ROOT", tmp_path)
    edges = import_graph.graph()
    assert edges["hokusai_acceptance.c"] == set()
    assert import_graph.cycles(edges) == [["hokusai_acceptance.a", "hokusai_acceptance.b"]]


def test_the_package_has_one_version_number():
    import tomllib

    import hokusai_acceptance

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert hokusai_acceptance.__version__ == declared, "reinstall with `make python-deps` after changing it"


def test_the_declared_dependencies_are_the_pinned_ones():
    """pyproject.toml declares what requirements.in pins directly, and requirements.txt installs exactly that."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    direct = {line.strip() for line in (ROOT / "requirements.in").read_text().splitlines()}
    direct = {line for line in direct if line and not line.startswith("#")}
    assert declared == direct

    def normal(pin: str) -> str:  # pip's spelling of a name: case, "_" and "-", extras aside
        name, _, version = pin.partition("==")
        return f"{name.split('[')[0].lower().replace('_', '-')}=={version}"

    installed = {normal(line.strip()) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    missing = [pin for pin in direct if normal(pin) not in installed]
    assert missing == [], "pinned in requirements.in but not in requirements.txt"
