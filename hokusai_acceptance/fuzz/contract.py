"""The registration contract document, and how a target's own description differs from it.

``contract/hokusai-registration.openapi.yaml`` describes what a third-party developer's client sends
through the Hokusai API and the API's own probes. It is what the generated requests are drawn from
(:mod:`.runner`). A target that serves its own ``/openapi.json`` (FastAPI does) is compared with it:
operations added, removed or changed, and their auth requirements. That comparison is *drift*,
stated in the reports, never a failure: a description is documentation, not behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..paths import PROJECT_ROOT

CONTRACT = PROJECT_ROOT / "contract" / "hokusai-registration.openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
#: how the description marks "no key needed" and "a key is accepted but not needed"
NO_AUTH, OPTIONAL_AUTH, KEY_REQUIRED, NOT_DECLARED = "no key", "key optional", "key required", "not declared"


def load(path: Path = CONTRACT) -> dict:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"the contract document {path} cannot be read: {exc}") from exc
    if not isinstance(document, dict) or "paths" not in document:
        raise ConfigError(f"{path} is not an OpenAPI document (no 'paths')")
    return document


def validate(document: dict, what: str = "the contract document") -> None:
    """Raise :class:`ConfigError` naming the first rule an OpenAPI 3.x document breaks."""
    from openapi_spec_validator import validate as validate_spec
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate_spec(document)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the document"
        raise ConfigError(f"{what} is not valid OpenAPI at {where}: {exc.message}") from exc
    except Exception as exc:
        raise ConfigError(f"{what} is not valid OpenAPI: {type(exc).__name__}: {exc}"[:500]) from exc


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str
    auth: str  # NO_AUTH | OPTIONAL_AUTH | KEY_REQUIRED | NOT_DECLARED
    statuses: frozenset[str] = frozenset()
    required_parameters: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _auth(document: dict, operation: dict) -> str:
    requirements = operation.get("security", document.get("security"))
    if requirements is None:
        return NOT_DECLARED
    if not requirements:
        return NO_AUTH
    empty = any(not r for r in requirements)
    if empty and all(not r for r in requirements):
        return NO_AUTH
    return OPTIONAL_AUTH if empty else KEY_REQUIRED


def operations(document: dict) -> dict[tuple[str, str], Operation]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        shared = [p for p in item.get("parameters") or [] if isinstance(p, dict)]
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parameters = shared + [p for p in operation.get("parameters") or [] if isinstance(p, dict)]
            required = frozenset(
                f"{p.get('in')}:{p.get('name')}"
                for p in parameters
                if p.get("required") and p.get("in") in ("query", "path")
            )
            found[(method.upper(), path)] = Operation(
                method.upper(),
                path,
                _auth(document, operation),
                frozenset(str(s) for s in (operation.get("responses") or {})),
                required,
            )
    return found


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _template(path: str) -> re.Pattern:
    """A served path as a pattern. A final ``{param}`` takes the rest of the path: that is how FastAPI
    describes a catch-all route (``{path:path}``), the way the Hokusai API declares its MLflow proxy."""
    parts = re.split(r"(\{[^}]+\})", path)
    pattern = ""
    for i, part in enumerate(parts):
        if part.startswith("{") and part.endswith("}"):
            pattern += ".+" if i == len(parts) - 2 and not parts[-1] else "[^/]+"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}$")


@dataclass
class Drift:
    """How a target's own description differs from the contract (documentation, not behaviour)."""

    served_title: str = ""
    added: list[str] = field(default_factory=list)  # the target describes it; the contract does not
    removed: list[str] = field(default_factory=list)  # the contract has it; the target does not describe it
    changed: list[str] = field(default_factory=list)  # both describe it, differently (auth, statuses, parameters)
    covered: list[str] = field(default_factory=list)  # contract operations the target describes only as a catch-all
    auth_declared: bool = True  # whether the served description declares any auth at all
    invalid: str = ""  # why the served description is not valid OpenAPI, if so

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict:
        return {
            "served_title": self.served_title,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "covered_by_catch_all": self.covered,
            "auth_declared": self.auth_declared,
            "invalid": self.invalid,
        }

    def lines(self) -> list[str]:
        out = []
        for title, items in (
            ("added (described by the target, not in the contract)", self.added),
            ("removed (in the contract, not described by the target)", self.removed),
            ("changed", self.changed),
            ("described only as a catch-all route", self.covered),
        ):
            if items:
                out.append(f"{title}: {len(items)}")
                out += [f"  - {item}" for item in items]
        if not self.auth_declared:
            out.append(
                "the target's description declares no authentication at all (it is enforced without being described)"
            )
        if self.invalid:
            out.append(f"the target's description is not valid OpenAPI: {self.invalid}")
        return out or ["no differences"]


def drift(contract: dict, served: dict) -> Drift:
    """Compare the operations of ``served`` (a target's /openapi.json) with the contract's."""
    ours = operations(contract)
    # a path parameter's name is not part of the operation: /runs/{id} and /runs/{run_id} are one path
    theirs = {(method, _shape(path)): op for (method, path), op in operations(served).items()}
    ours = {(method, _shape(path)): op for (method, path), op in ours.items()}
    auth_declared = bool((served.get("components") or {}).get("securitySchemes")) or "security" in served
    catch_alls = [(op, _template(op.path)) for op in theirs.values() if op.path.endswith("}")]
    result = Drift(served_title=str((served.get("info") or {}).get("title", "")), auth_declared=auth_declared)
    try:
        validate(served, "the target's description")
    except ConfigError as exc:
        result.invalid = str(exc).split(": ", 1)[-1]
    used_catch_alls: set[tuple[str, str]] = set()
    for key, op in sorted(ours.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        served_op = theirs.get(key)
        if served_op is None:
            matches = [c for c, pattern in catch_alls if c.method == op.method and pattern.match(op.path)]
            if matches:
                used_catch_alls.add((matches[0].method, _shape(matches[0].path)))
                result.covered.append(f"{op.label} (by {matches[0].label})")
            else:
                result.removed.append(op.label)
            continue
        differences = []
        # FastAPI leaves "security" off a public route: not declaring it is saying "no key"
        served_auth = NO_AUTH if served_op.auth == NOT_DECLARED else served_op.auth
        if auth_declared and served_auth != op.auth:
            differences.append(f"auth: the contract says {op.auth}, the target's description says {served_auth}")
        if served_op.required_parameters != op.required_parameters:
            differences.append(
                "required parameters: the contract says "
                f"{', '.join(sorted(op.required_parameters)) or 'none'}, the target's description says "
                f"{', '.join(sorted(served_op.required_parameters)) or 'none'}"
            )
        only_ours = sorted(op.statuses - served_op.statuses - {"default"})
        if only_ours and "default" not in served_op.statuses:
            differences.append(f"answers the target does not describe: {', '.join(only_ours)}")
        if differences:
            result.changed.append(f"{op.label}: " + "; ".join(differences))
    for key, op in sorted(theirs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if key not in ours and key not in used_catch_alls:
            result.added.append(op.label)
    return result
