"""The documented CI workflow is valid, is the one in .github, and uses only the README's commands."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_workflow_file_matches_the_documentation():
    doc = (ROOT / "docs" / "ci.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block.strip() == (ROOT / ".github" / "workflows" / "acceptance.yml").read_text().strip()


def test_workflow_runs_the_readme_commands_and_keeps_the_key_secret():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "acceptance.yml").read_text())
    assert set(workflow["jobs"]) == {"embedded", "staging-readonly"}
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    commands = [line for run in runs for line in run.splitlines() if line.startswith("make ")]
    assert "make test-full" in commands
    assert any(c.startswith("make report") for c in commands)
    staging = workflow["jobs"]["staging-readonly"]
    assert staging["env"]["HOKUSAI_API_KEY"] == "${{ secrets.HOKUSAI_STAGING_API_KEY }}"
    assert any("@readonly" in run for run in runs)


def test_ci_entry_point_is_the_readme_full_test_command():
    assert "make test-full" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "`make test`" in readme and "`make test-full`" in readme and "CI runs it" in readme
