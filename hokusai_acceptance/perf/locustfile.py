"""Locust load for the Hokusai registry (run headless in its own process by
:func:`hokusai_acceptance.perf.measure.run_locust`, or as a library in its own process by
:mod:`.locust_windows`; never imported by the suite itself, because Locust's gevent patching must
not touch the suite's threads).

Environment: ``HOKUSAI_LOAD_KEY`` (sent as Bearer, empty for direct MLflow),
``HOKUSAI_LOAD_MOUNT`` ("/api/mlflow" through the gateway, "" straight to MLflow),
``HOKUSAI_LOAD_OPERATION`` ("read", "write", or "health": a static health answer at
``HOKUSAI_LOAD_HEALTH_PATH``, a target that is not the bottleneck, for measuring the load generator itself),
``HOKUSAI_LOAD_EXPERIMENT`` (id for writes). Workers of Locust's distributed mode on other machines run this
same file with the same environment
(``locust -f hokusai_acceptance/perf/locustfile.py --worker --master-host <master>``).
:mod:`.locust_windows` imports it as a library and sets ``recording`` to keep every successful
request's response time, unrounded (Locust's own percentiles are rounded to whole milliseconds).
"""

import os
import time

from locust import FastHttpUser, constant, events, task

from hokusai_acceptance.routes import SEARCH_EXPERIMENTS

KEY = os.environ.get("HOKUSAI_LOAD_KEY", "")
MOUNT = os.environ.get("HOKUSAI_LOAD_MOUNT", "/api/mlflow")
OPERATION = os.environ.get("HOKUSAI_LOAD_OPERATION", "read")
EXPERIMENT = os.environ.get("HOKUSAI_LOAD_EXPERIMENT", "0")
HEALTH_PATH = os.environ.get("HOKUSAI_LOAD_HEALTH_PATH", "/health")
recording = False
response_times: list[float] = []


@events.request.add_listener
def keep_response_time(response_time=None, exception=None, **_):
    if recording and exception is None and response_time is not None:
        response_times.append(response_time)


class RegistryUser(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 5.0
    network_timeout = 30.0  # the gateway's own limit for an MLflow answer: one answered within it was served

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {KEY}"} if KEY else {}

    @task
    def operation(self):
        if OPERATION == "health":
            self.client.get(f"{MOUNT}{HEALTH_PATH}", headers=self.headers, name="health")
        elif OPERATION == "read":
            self.client.get(
                f"{MOUNT}{SEARCH_EXPERIMENTS}?max_results=5", headers=self.headers, name="experiment search"
            )
        else:
            self.client.post(
                f"{MOUNT}/api/2.0/mlflow/runs/create",
                headers=self.headers,
                name="run create",
                json={"experiment_id": EXPERIMENT, "start_time": int(time.time() * 1000)},
            )
