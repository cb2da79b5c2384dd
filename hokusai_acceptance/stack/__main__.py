"""``make stack``: run the embedded reference stack in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from ..errors import StackError
from .launcher import EmbeddedStack, StackOptions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hokusai_acceptance.stack", description=__doc__)
    parser.add_argument(
        "--profile",
        choices=["current", "2025"],
        default="current",
        help="which generation of the Hokusai API to reproduce",
    )
    parser.add_argument("--fault", action="append", default=[], help="field fault to inject (repeatable)")
    parser.add_argument("--cache-ttl", type=int, default=300, help="validation cache lifetime in seconds")
    args = parser.parse_args(argv)
    options = StackOptions(profile=args.profile, faults=tuple(f for f in args.fault if f), cache_ttl=args.cache_ttl)
    try:
        stack = EmbeddedStack(options)
    except ValueError as exc:
        print(f"make stack: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
    except StackError as exc:
        print(f"the embedded stack did not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stack.stop()
        return 130
    print(f"Embedded Hokusai stack ready in {stack.start_seconds:.1f} s (profile {options.profile}).")
    print(f"  API base URL     : {stack.url}")
    print(f"  MLflow tracking  : {stack.url}/api/mlflow")
    print(f"  internal MLflow  : {stack.mlflow_url}")
    if options.faults:
        print(f"  injected faults  : {', '.join(options.faults)}")
    print("This is a throw-away demo key for this local stack only (it dies with the stack):")
    print(f"  export HOKUSAI_API_URL={stack.url} HOKUSAI_API_KEY={stack.keys.valid}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while all(p.alive() for p in stack.processes.values()):
            time.sleep(1)
        dead = [name for name, p in stack.processes.items() if not p.alive()]
        print(f"stack process ended unexpectedly: {', '.join(dead)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping ...")
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
