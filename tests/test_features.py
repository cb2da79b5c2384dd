"""The Gherkin itself: every step is defined exactly once (behave --dry-run), and
every scenario carries the tags that execution and the report rely on."""

import ast

import pytest
from behave.parser import parse_file

from .suite_runner import ROOT, run_behave

FEATURES = sorted((ROOT / "features").rglob("*.feature"))
CAPABILITIES = {"health", "auth", "registration", "proxy", "errors", "performance"}


def scenarios():
    for path in FEATURES:
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            yield path, feature, scenario


def test_there_are_features():
    assert len(FEATURES) >= 3


def test_dry_run_finds_every_step_defined(tmp_path):
    proc, _ = run_behave(["--dry-run", "--no-junit", "--tags=@performance or not @performance"], tmp_path,
                         timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "undefined" not in output.lower().split("took")[0].splitlines()[-1]
    assert "AmbiguousStep" not in output


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.relative_to(ROOT / "features").as_posix())
def test_feature_has_exactly_one_capability_tag(path):
    feature = parse_file(str(path))
    found = CAPABILITIES & set(feature.tags)
    assert len(found) == 1, f"{path.name}: capability tags {found}"
    assert path.parent.name == next(iter(found)), "features are foldered by capability"


@pytest.mark.parametrize("path,feature,scenario", list(scenarios()),
                         ids=lambda x: getattr(x, "name", None) or "")
def test_scenario_declares_whether_it_writes(path, feature, scenario):
    tags = set(scenario.effective_tags)
    assert ("readonly" in tags) != ("writes" in tags), \
        f"{path.name}: '{scenario.name}' must be tagged exactly one of @readonly / @writes"



STEP_FILES = sorted((ROOT / "steps").glob("*.py"))
STEP_DECORATORS = {"given", "when", "then", "step"}


def _step_functions():
    for path in STEP_FILES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "id", "") in STEP_DECORATORS
                    for d in node.decorator_list):
                yield path, node


STEPS = list(_step_functions())


@pytest.mark.parametrize("path,node", STEPS, ids=lambda x: getattr(x, "name", ""))
def test_every_step_parameter_is_used(path, node):
    """Text the Gherkin passes to a step must be checked or acted on: editing it must be able to fail the
    scenario. A parameter the step body never reads is a Then line that cannot fail."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    unused = [a.arg for a in node.args.args[1:] if a.arg not in names]
    assert not unused, f"{path.name}:{node.lineno} {node.name} ignores {unused}"


@pytest.mark.parametrize("path,node", STEPS, ids=lambda x: getattr(x, "name", ""))
def test_step_definitions_are_one_liners_into_the_world(path, node):
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    assert len(body) == 1 and not isinstance(body[0], (ast.If, ast.For, ast.While, ast.With, ast.Try)), \
        f"{path.name}:{node.lineno} {node.name} has logic; move it into hokusai_acceptance"
