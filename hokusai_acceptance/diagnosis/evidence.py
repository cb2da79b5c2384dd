"""Everything the diagnosis reads about one run, in one serialisable object.

A run's evidence is what any client of any deployment has: the sweep's probes,
the exchanges the scenarios made, the marks their steps left, how the scenarios ended,
what the target says about itself, and what cleanup could not remove. It is written
next to the reports (``diagnosis-evidence.json``) so a run can be diagnosed again later,
and recorded runs against other deployments are replayed by the tests.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..evidence import Mark, Marker
from ..exchange import Exchange
from ..redaction import redact_data

#: the current format; format 2 (no marks, no scenario locations) is still read
FORMAT = 3
READABLE_FORMATS = (2, 3)


@dataclass
class ScenarioOutcome:
    feature: str
    name: str
    status: str
    message: str = ""
    tags: list[str] = field(default_factory=list)
    #: where the scenario is written (feature file and line): what tells two scenarios apart, names aside
    location: str = ""
    #: the type of the exception that ended it ("" when it passed or was skipped)
    error_type: str = ""


@dataclass
class RunEvidence:
    probes: dict[str, Exchange] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    scenarios: list[ScenarioOutcome] = field(default_factory=list)
    #: what the target says about itself beyond the probes' body prefixes (OpenAPI paths, version documents)
    identity: dict[str, Any] = field(default_factory=dict)
    #: the client side: MLflow client version, whether an auth URL was given, expected version/commit
    client: dict[str, Any] = field(default_factory=dict)
    #: what cleanup could not remove (descriptions, redacted)
    leftovers: list[str] = field(default_factory=list)
    #: what the scenarios' steps established that no single exchange shows
    marks: list[Mark] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        index = {id(e): i for i, e in enumerate(self.exchanges)}
        marks = [
            {
                "kind": m.kind.value,
                "scenario": m.scenario,
                "note": m.note,
                "exchanges": [index[id(e)] for e in m.exchanges if id(e) in index],
            }
            for m in self.marks
        ]
        return {
            "format": FORMAT,
            "probes": {k: v.to_dict() for k, v in self.probes.items()},
            "exchanges": [e.to_dict() for e in self.exchanges],
            "scenarios": [asdict(s) for s in self.scenarios],
            "identity": self.identity,
            "client": self.client,
            "leftovers": self.leftovers,
            "marks": marks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunEvidence:
        if data.get("format") not in READABLE_FORMATS:
            raise ValueError(f"evidence format {data.get('format')!r} is not one of {READABLE_FORMATS}")
        exchanges = [Exchange.from_dict(e) for e in data.get("exchanges", [])]
        known = set(ScenarioOutcome.__dataclass_fields__)
        scenarios = [ScenarioOutcome(**{k: v for k, v in s.items() if k in known}) for s in data.get("scenarios", [])]
        for scenario in scenarios:  # format 2 kept the exception's type only as the start of its message
            if not scenario.error_type and scenario.status in ("failed", "broken") and ": " in scenario.message:
                scenario.error_type = scenario.message.split(": ", 1)[0]
        return cls(
            probes={k: Exchange.from_dict(v) for k, v in data.get("probes", {}).items()},
            exchanges=exchanges,
            scenarios=scenarios,
            identity=data.get("identity", {}),
            client=data.get("client", {}),
            leftovers=list(data.get("leftovers", [])),
            marks=[
                Mark(
                    kind=Marker(m["kind"]),
                    scenario=m.get("scenario", ""),
                    note=m.get("note", ""),
                    exchanges=[exchanges[i] for i in m.get("exchanges", []) if 0 <= i < len(exchanges)],
                )
                for m in data.get("marks", [])
            ],
        )

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(redact_data(self.to_dict()), indent=1))
        return path

    @classmethod
    def read(cls, path: Path) -> RunEvidence:
        return cls.from_dict(json.loads(path.read_text()))

    def all_exchanges(self) -> list[Exchange]:
        """Probes first, then the scenarios' exchanges (deliberate ones excluded: the scenario caused them)."""
        return list(self.probes.values()) + [e for e in self.exchanges if not e.deliberate]
