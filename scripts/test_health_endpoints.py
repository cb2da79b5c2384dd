#!/usr/bin/env python3
"""Field check `test_health_endpoints` (hokusai_acceptance.field_checks): exit 0 works, 1 fails, 2 usage."""

import sys

from hokusai_acceptance.field_checks import main

if __name__ == "__main__":
    sys.exit(main("test_health_endpoints"))
