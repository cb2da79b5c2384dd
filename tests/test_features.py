"""The Gherkin itself: every step is defined exactly once (behave --dry-run), and
every scenario carries the tags that execution and the report rely on."""

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
