"""Where the project's own files are: the checkout the package is installed from (editable)."""

from __future__ import annotations

from pathlib import Path

#: the project checkout: behave.ini, features/, the second MLflow venv, the recorded evidence
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if not (PROJECT_ROOT / "behave.ini").is_file():  # pragma: no cover - installed without its checkout
    PROJECT_ROOT = Path.cwd()

BEHAVE_INI = PROJECT_ROOT / "behave.ini"
MLFLOW29_VENV = PROJECT_ROOT / ".venv-mlflow29"
EVIDENCE_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "evidence"
#: what each generation of the API answers in the situations a client meets (the diagnosis names answers by it)
CONTRACT_ANSWERS = PROJECT_ROOT / "contract" / "answers.yaml"
ALLURE = PROJECT_ROOT / "node_modules" / ".bin" / "allure"
