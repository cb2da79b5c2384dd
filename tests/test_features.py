"""The Gherkin itself: every step is defined exactly once (behave --dry-run), and
every scenario carries the tags that execution and the report rely on."""

import ast

import pytest
from behave.parser import parse_file

from .suite_runner import ROOT, run_behave

FEATURES = sorted((ROOT / "features").rglob("*.feature"))
CAPABILITIES = {"health", "auth", "registration", "proxy", "errors", "performance", "fuzz"}


def scenarios():
    for path in FEATURES:
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            yield path, feature, scenario


def test_there_are_features():
    assert len(FEATURES) >= 3


def test_dry_run_finds_every_step_defined(tmp_path):
    proc, _ = run_behave(["--dry-run", "--no-junit", "--tags=@performance or not @performance"], tmp_path, timeout=120)
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


@pytest.mark.parametrize("path,feature,scenario", list(scenarios()), ids=lambda x: getattr(x, "name", None) or "")
def test_scenario_declares_whether_it_writes(path, feature, scenario):  # noqa: ARG001 - ids only
    tags = set(scenario.effective_tags)
    assert ("readonly" in tags) != ("writes" in tags), (
        f"{path.name}: '{scenario.name}' must be tagged exactly one of @readonly / @writes"
    )


STEP_FILES = sorted((ROOT / "steps").glob("*.py"))
STEP_DECORATORS = {"given", "when", "then", "step"}


def _step_functions():
    for path in STEP_FILES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", "") in STEP_DECORATORS for d in node.decorator_list
            ):
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
    assert len(body) == 1 and not isinstance(body[0], (ast.If, ast.For, ast.While, ast.With, ast.Try)), (
        f"{path.name}:{node.lineno} {node.name} has logic; move it into hokusai_acceptance"
    )


def test_every_step_definition_is_used(tmp_path):
    proc, _ = run_behave(
        ["--dry-run", "--no-junit", "-f", "steps.usage", "--tags=@performance or not @performance"],
        tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "UNUSED STEP DEFINITIONS" not in proc.stdout, proc.stdout.split("UNUSED STEP DEFINITIONS")[-1][:1500]


#: the limits scenarios state in their text, and the budget in behave.ini each must agree with
STATED_LIMITS = {
    r"95 out of 100 of them answer within (\d+) milliseconds": "perf_read_p95_ms",
    r"the check answers within (\d+) milliseconds": "probe_budget_ms",
    r"at most ([\d.]+) times MLflow's own": "perf_overhead_ratio",
    r"at least ([\d.]+) times MLflow's own requests per second": "perf_min_throughput_ratio",
    r"within (\d+) seconds once the load stopped": "perf_max_recovery_seconds",
}


def test_limits_stated_in_the_features_agree_with_behave_ini():
    """One number, written where a reader sees it and where `make bench` reads it: they must agree."""
    import re

    from hokusai_acceptance.perf.targets import read_budgets

    budgets = read_budgets()
    seen = set()
    for path in FEATURES:
        text = path.read_text()
        for pattern, name in STATED_LIMITS.items():
            for stated in re.findall(pattern, text):
                seen.add(name)
                assert float(stated) == budgets[name], f"{path.name} states {stated} for {name}: {budgets[name]}"
    assert seen == set(STATED_LIMITS.values())


def test_every_tag_is_explained_in_the_glossary_and_the_readme():
    from hokusai_acceptance.glossary import TAGS

    explained = {tag for key in TAGS for tag in key.split()}
    readme = (ROOT / "README.md").read_text()
    used = set()
    for path in FEATURES:
        feature = parse_file(str(path))
        used |= {f"@{t}" for t in feature.tags if not t.startswith("allure.")}
        for scenario in feature.walk_scenarios():
            used |= {f"@{t}" for t in scenario.effective_tags if not t.startswith("allure.")}
    assert used <= explained, f"tags without an explanation: {sorted(used - explained)}"
    assert all(f"`{tag}`" in readme for tag in explained), "the README's glossary is behind glossary.py"


def test_scenario_names_are_unique_within_a_feature():
    for path in FEATURES:
        names = [s.name for s in parse_file(str(path)).walk_scenarios()]
        assert len(names) == len(set(names)), f"{path.name}: {[n for n in names if names.count(n) > 1]}"


def _effective_tags(feature, scenario) -> set[str]:
    return set(feature.tags) | set(scenario.effective_tags if hasattr(scenario, "effective_tags") else scenario.tags)


def _verify_selections():
    from hokusai_acceptance.diagnosis.catalog import CATALOG

    return sorted({e.verify_tags for e in CATALOG} | {"@smoke"})


@pytest.mark.parametrize("selection", _verify_selections())
def test_every_verify_the_fix_selection_runs_scenarios(selection):
    """A finding's 'verify the fix' command must select scenarios: a selection matching nothing passes
    vacuously, which a reader takes for a fix."""
    from behave.tag_expression import make_tag_expression

    expression = make_tag_expression(selection)
    matched = [s.name for _, feature, s in scenarios() if expression.check(_effective_tags(feature, s))]
    assert matched, f'behave --tags="{selection}" selects no scenario'


def test_the_readme_counts_the_scenarios_each_feature_folder_has():
    """The README's table of what the features cover states a count per folder; it must stay true."""
    import re

    readme = (ROOT / "README.md").read_text()
    stated = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^\| [^|]+ \| `features/(\w+)` \| (\d+) \|", readme, flags=re.M)
    }
    counted: dict[str, int] = {}
    for path, _, _ in scenarios():
        folder = path.parent.name
        counted[folder] = counted.get(folder, 0) + 1
    assert stated == counted


def test_every_step_an_unset_state_field_names_is_one_the_features_use():
    """A scenario whose steps are reordered is told which step sets what it needs: that step must exist."""
    import dataclasses
    import re

    from hokusai_acceptance import state

    written = [f"{step.keyword} {step.name}" for _, _, scenario in scenarios() for step in scenario.steps]
    written += [
        f"{step.keyword} {step.name}"
        for path in FEATURES
        for step in (parse_file(str(path)).background.steps if parse_file(str(path)).background else [])
    ]
    named = []
    for holder in vars(state).values():
        if isinstance(holder, type) and dataclasses.is_dataclass(holder):
            for item in dataclasses.fields(holder):
                named += re.findall(r"'((?:Given|When|Then|And) [^']*)'", item.metadata.get("set_by", ""))
    assert named
    missing = []
    for text in named:
        pattern = re.escape(text).replace(re.escape("..."), ".*")
        pattern = re.sub(r"<[^>]*>", ".+", pattern.replace("\\<", "<").replace("\\>", ">"))
        if not any(re.fullmatch(pattern, line) or re.match(pattern, line) for line in written):
            missing.append(text)
    assert missing == [], "steps named by an unset state field that no feature has"
