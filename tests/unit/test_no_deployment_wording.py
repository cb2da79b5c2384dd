"""No deployment's wording is written in the diagnosis: it names answers through the contract's table.

The words a deployment answers with (``contract/answers.yaml``) change between generations and deployments; a
rule that matched them in code would be right where it was written and wrong elsewhere. Docstrings may quote
them (they explain); code may not."""

import ast
from pathlib import Path

import pytest
import yaml

from hokusai_acceptance.paths import CONTRACT_ANSWERS

PACKAGE = Path(__file__).resolve().parents[2] / "hokusai_acceptance"
#: the modules that judge answers: the diagnosis, who answered, outage pinning, the contract's table itself
JUDGES = sorted(
    [*(PACKAGE / "diagnosis").glob("*.py")]
    + [PACKAGE / name for name in ("classify.py", "who.py", "outages.py", "situations.py", "expectations.py")]
)
WORDING_KEYS = ("detail", "detail_prefix", "error", "message_prefix", "fields")


def wordings() -> set[str]:
    table = yaml.safe_load(CONTRACT_ANSWERS.read_text())
    found = set()
    shapes = [s for specs in table["situations"].values() for s in (specs if isinstance(specs, list) else [specs])]
    for spec in shapes:
        for key in WORDING_KEYS:
            values = spec.get(key) or []
            found.update(v for v in (values if isinstance(values, list) else [values]) if len(str(v)) >= 6)
    return found


def code_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_table_holds_wording_to_look_for():
    assert len(wordings()) >= 10


@pytest.mark.parametrize("path", JUDGES, ids=lambda p: p.name)
def test_no_deployment_wording_in_the_code_that_judges_answers(path):
    words = wordings()
    found = [
        f"{path.name}:{line}: {text[:80]!r} quotes {word!r}"
        for line, text in code_strings(path)
        for word in words
        # sentences in any case; codes (REGISTRY_ADMIN_REQUIRED) exactly, so a situation's name is not one
        if (word.lower() in text.lower() if " " in word else word in text)
    ]
    assert not found, "deployment wording belongs in contract/answers.yaml:\n" + "\n".join(found)


def test_the_scan_finds_a_quoted_wording(tmp_path):
    sample = tmp_path / "rule.py"
    sample.write_text('"""A rule."""\n\ndef rule(e):\n    return e.detail == "Authentication service error"\n')
    assert any("Authentication service error" in text for _, text in code_strings(sample))
