"""Everything the diagnosis reads about one run, in one serialisable object.

A run's evidence is what any client of any deployment has: the sweep's probes,
the exchanges the scenarios made, how the scenarios ended, what the target says
about itself, and what cleanup could not remove. It is written next to the
reports (``diagnosis-evidence.json``) so a run can be diagnosed again later, and
recorded runs against other deployments are replayed by the tests.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..evidence import Exchange
from ..redaction import redact

FORMAT = 2


@dataclass
class ScenarioOutcome:
    feature: str
    name: str
    status: str
    message: str = ""
    tags: list[str] = field(default_factory=list)


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

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "probes": {k: v.to_dict() for k, v in self.probes.items()},
            "exchanges": [e.to_dict() for e in self.exchanges],
            "scenarios": [asdict(s) for s in self.scenarios],
            "identity": self.identity,
            "client": self.client,
            "leftovers": self.leftovers,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RunEvidence:
        if data.get("format") != FORMAT:
            raise ValueError(f"evidence format {data.get('format')!r} is not {FORMAT}")
        return cls(
            probes={k: Exchange.from_dict(v) for k, v in data.get("probes", {}).items()},
            exchanges=[Exchange.from_dict(e) for e in data.get("exchanges", [])],
            scenarios=[ScenarioOutcome(**s) for s in data.get("scenarios", [])],
            identity=data.get("identity", {}),
            client=data.get("client", {}),
            leftovers=list(data.get("leftovers", [])),
        )

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(json.dumps(self.to_dict(), indent=1)))
        return path

    @classmethod
    def read(cls, path: Path) -> RunEvidence:
        return cls.from_dict(json.loads(path.read_text()))

    def all_exchanges(self) -> list[Exchange]:
        """Probes first, then the scenarios' exchanges (deliberate ones excluded: the scenario caused them)."""
        return list(self.probes.values()) + [e for e in self.exchanges if not e.deliberate]
