#!/usr/bin/env python3
"""Field check `test_health_endpoints`: see hokusai_acceptance.field_checks (exit 0 works, 1 fails, 2 usage)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hokusai_acceptance.field_checks import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main("test_health_endpoints"))
