"""Locust as a library, in a process of its own, running the registry load in windows on command.

Started by :class:`hokusai_acceptance.perf.measure.LocustWindows`; it speaks JSON lines: it says
``{"ready": true}``, then for each ``{"users": N, "seconds": S}`` on stdin it runs N users of the
locustfile for S seconds and answers ``{"raw_ms": [...], "failures": F}`` (every successful
request's response time as Locust measured it, unrounded). ``{"stop": true}`` or end of input
ends it. Starting Locust once and alternating short windows with the suite's own sampler lets
both see the same moments of a busy machine; a new Locust process per window would not.

Environment: as the locustfile (``HOKUSAI_LOAD_KEY``, ``HOKUSAI_LOAD_MOUNT``, ...).
"""

import json
import sys

import gevent
from locust import events
from locust.env import Environment

from hokusai_acceptance.perf import locustfile


def answer(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(host: str) -> int:
    environment = Environment(user_classes=[locustfile.RegistryUser], host=host, events=events)
    runner = environment.create_local_runner()
    locustfile.recording = True
    answer({"ready": True})
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("stop"):
            break
        locustfile.response_times.clear()
        environment.stats.reset_all()
        users = int(command["users"])
        runner.start(users, spawn_rate=users)
        gevent.sleep(float(command["seconds"]))
        runner.stop()
        answer({"raw_ms": list(locustfile.response_times), "failures": environment.stats.total.num_failures})
    runner.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
