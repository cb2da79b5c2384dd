"""Error handling: slow or dead dependencies, rate limits, malformed requests, concurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .. import expectations as expect
from .. import registration as reg
from ..client import HokusaiClient, Reply
from ..errors import InfrastructureError
from ..routes import PROXIED_SEARCH
from ..state import ErrorState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


#: Both generations of the API: 2025 answers 401 to every auth failure, later ones 503 (+ Retry-After).
AUTH_UNAVAILABLE_STATUSES = (401, 503)


class ErrorChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = ErrorState()

    def make_auth_service_slow(self, seconds: float) -> None:
        self.world.breaking_on_purpose()
        self.stack.flush_cache()
        self.stack.set_auth_state(delay=seconds)
        self.world.cleanups.append(lambda: self.stack.set_auth_state(delay=0))

    def make_mlflow_unresponsive(self, timeout: float) -> None:
        self.world.breaking_on_purpose()
        self.stack.gateway_settings_update(upstream_timeout=timeout)
        self.stack.freeze("mlflow")
        self.world.cleanups.append(lambda: self.stack.thaw("mlflow"))
        self.world.cleanups.append(lambda: self.stack.gateway_settings_update(upstream_timeout=30.0))
        self.note(f"gateway upstream timeout lowered to {timeout} s for this scenario (30 s in the contract)")

    def inject_fault(self, fault: str) -> None:
        self.world.breaking_on_purpose()
        self.stack.add_fault(fault)  # a run started under a fault stays under it
        self.world.cleanups.append(self.stack.restore_start_faults)

    def timed_call(self) -> None:
        started = time.monotonic()
        self.world.auth.call_registry()
        self.state.call_seconds = time.monotonic() - started

    def check_refused_in_time(self, detail: str, max_seconds: float) -> None:
        expect.expect_refusal(self.calls.reply, AUTH_UNAVAILABLE_STATUSES, detail)
        if self.state.call_seconds > max_seconds:
            raise AssertionError(f"the refusal took {self.state.call_seconds:.1f} s; expected at most {max_seconds} s")

    def check_gateway_error(self, status: int, detail_start: str, max_seconds: float) -> None:
        expect.expect_status(self.calls.reply, status, "the proxy error")
        detail = self.calls.reply.detail() or ""
        if not detail.startswith(detail_start):
            raise AssertionError(f"the proxy error says {detail!r}; expected it to start with {detail_start!r}")
        if self.state.call_seconds > max_seconds:
            raise AssertionError(
                f"the proxy error took {self.state.call_seconds:.1f} s; expected at most {max_seconds} s"
            )

    def try_mlflow_client_call(self) -> None:
        started = time.monotonic()
        self.state.client_failure = None
        try:
            reg.find_registered_model(self.mlflow, self.run.resources.name("never-created"))
        except InfrastructureError as exc:
            self.state.client_failure = exc
        self.state.client_seconds = time.monotonic() - started

    def check_client_fails_fast(self, max_seconds: float) -> None:
        if self.state.client_failure is None:
            raise AssertionError("the MLflow client call succeeded although MLflow is unreachable")
        if self.state.client_seconds > max_seconds:
            raise AssertionError(
                f"the MLflow client needed {self.state.client_seconds:.1f} s to give up; "
                f"expected at most {max_seconds} s"
            )
        failure = str(self.state.client_failure)[:160]
        self.note(f"MLflow client gave up after {self.state.client_seconds:.1f} s: {failure}")

    # -- rate limits
    def call_until_limited(self, calls: int) -> None:
        self.calls.replies = []
        for _ in range(calls):
            self.world.auth.call_registry()
            self.calls.replies.append(self.calls.reply)

    def check_rate_limited_after(self, allowed: int, refused_call: int) -> None:
        if refused_call != allowed + 1:
            raise AssertionError(
                f"the scenario says call {refused_call} is refused after {allowed} allowed calls; "
                f"the limit refuses call {allowed + 1}"
            )
        if len(self.calls.replies) < refused_call:
            raise AssertionError(f"only {len(self.calls.replies)} calls were made; call {refused_call} was never made")
        for reply in self.calls.replies:
            expect.expect_product_answer(reply)
        statuses = [r.status for r in self.calls.replies]
        expect.expect_equal(statuses[:allowed], [200] * allowed, f"the first {allowed} calls")
        limited = self.calls.replies[allowed]
        self.calls.reply = limited
        expect.expect_refusal(limited, 429, "Rate limit exceeded")
        retry_after = limited.headers.get("retry-after")
        if not retry_after or not retry_after.isdigit() or int(retry_after) <= 0:
            raise AssertionError(f"the 429 answer has no usable Retry-After header: {retry_after!r}")
        for header in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            if header not in limited.headers:
                raise AssertionError(f"the 429 answer lacks {header}")

    # -- malformed requests
    def send_malformed(self, body: str, content_type: str) -> None:
        self.calls.reply = self.client.post(
            "/api/mlflow/api/2.0/mlflow/experiments/create",
            key=self.key,
            data=body.encode(),
            headers={"Content-Type": content_type},
        )

    def check_client_error_with_code(self) -> None:
        expect.expect_product_answer(self.calls.reply)  # a server error from the registry itself is a defect
        if self.calls.reply.status >= 500:
            raise AssertionError(f"a malformed request caused a server error: {self.calls.reply.describe()}")
        expect.expect_status(self.calls.reply, range(400, 500), "a malformed request")
        body = self.calls.reply.json()
        if not isinstance(body, dict) or not body.get("error_code"):
            raise AssertionError(f"the refusal carries no MLflow error code: {self.calls.reply.describe()}")

    def call_unknown_route(self, path: str) -> None:
        self.calls.reply = self.client.get(path, key=self.key)

    def check_not_found_json(self) -> None:
        expect.expect_status(self.calls.reply, 404, "an unknown route")
        body = self.calls.reply.json()
        if not isinstance(body, dict) or not (body.get("detail") or body.get("error_code")):
            raise AssertionError(f"the 404 is not a JSON error: {self.calls.reply.describe()}")

    # -- concurrency
    def read_concurrently(self, count: int) -> None:
        def one(_: int) -> Reply:
            client = HokusaiClient(
                self.run.base_url,
                connect_timeout=self.run.settings.connect_timeout,
                read_timeout=self.run.settings.read_timeout,
            )
            try:
                return client.get(PROXIED_SEARCH, key=self.key, params={"max_results": 5})
            finally:
                client.close()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=count) as pool:
            self.calls.replies = list(pool.map(one, range(count)))
        self.note(f"{count} concurrent reads finished in {time.monotonic() - started:.2f} s")

    def check_all_succeeded(self) -> None:
        for reply in self.calls.replies:
            expect.expect_product_answer(reply)  # a load balancer's or another server's answer: not exercised
        failed = [r.describe() for r in self.calls.replies if r.status != 200]
        if failed:
            raise AssertionError(
                f"{len(failed)} of {len(self.calls.replies)} concurrent reads failed, e.g. {failed[0]}"
            )
