"""Authentication: key forms, refusals, the validation cache, scopes."""

from __future__ import annotations

import time

from .. import expectations as expect
from ..client import KeyForm
from ..errors import StackError
from ..routes import PROXIED_SEARCH
from .base import Capability

EXPERIMENTS_SEARCH = PROXIED_SEARCH
#: a refused key (missing, unknown, revoked, expired) is a 401 in every generation of the contract
AUTH_REFUSAL_STATUS = 401


class AuthChecks(Capability):
    def call_registry(self, key_form: KeyForm | None = KeyForm.BEARER) -> None:
        """A harmless authenticated read: list one experiment."""
        key = self.key if key_form is not None else None
        self.calls.reply = self.client.get(
            EXPERIMENTS_SEARCH, params={"max_results": 1}, key=key, key_form=key_form or KeyForm.BEARER
        )

    def call_registry_with_scheme(self, scheme: str) -> None:
        self.calls.reply = self.client.get(
            EXPERIMENTS_SEARCH, params={"max_results": 1}, headers={"Authorization": f"{scheme} {self.key}"}
        )

    def call_registry_repeatedly(self, times: int) -> None:
        self.calls.replies = []
        for _ in range(times):
            self.call_registry()
            self.calls.replies.append(self.calls.reply)

    def check_accepted(self) -> None:
        body = expect.expect_success(self.calls.reply, "the authenticated call")
        expect.expect_json_keys(body, ["experiments"], "the experiment list")

    def check_all_accepted(self) -> None:
        for reply in self.calls.replies:
            self.calls.reply = reply
            self.check_accepted()

    def check_refused(self, detail: str) -> None:
        expect.expect_refusal(self.calls.reply, AUTH_REFUSAL_STATUS, detail)

    def check_all_refused(self, detail: str) -> None:
        for reply in self.calls.replies:
            expect.expect_refusal(reply, AUTH_REFUSAL_STATUS, detail)

    # -- the validation cache (embedded stack: the auth stand-in counts its calls)

    def start_with_empty_cache(self) -> None:
        self.stack.flush_cache()
        self.stack.set_auth_state(reset_counts=True)

    def check_auth_service_calls(self, expected: int) -> None:
        stats = self.stack.auth_stats()
        key_id = self.stack.key_id(self.key_role)
        calls = stats["calls"].get(key_id, 0) if key_id else stats["total_calls"]
        expect.expect_equal(calls, expected, "validations the auth service performed for this key")

    def revoke_my_key(self) -> None:
        key_id = self.stack.key_id(self.key_role)
        if key_id is None:
            raise StackError(f"the embedded stack issued no {self.key_role} key it can revoke")
        self.stack.revoke(key_id)

    def check_cache_window(self, max_seconds: int) -> None:
        if self.key is None:
            raise StackError("the validation cache holds nothing for a call without a key")
        ttl = self.stack.cache_ttl_of(self.key)
        if not 0 < ttl <= max_seconds:
            raise AssertionError(f"the cached validation lives {ttl} s; expected a lifetime of at most {max_seconds} s")
        self.note(f"a revoked key keeps working for up to {ttl} s more (validation cache lifetime)")

    def check_still_accepted_within_window(self, max_seconds: int) -> None:
        self.call_registry()
        self.check_accepted()
        self.check_cache_window(max_seconds)

    def expire_cache_entry_and_call(self) -> None:
        self.stack.flush_cache()  # what the cache does by itself when the entry's lifetime ends
        self.call_registry()

    def use_rate_limited_key(self, calls_per_hour: int) -> None:
        configured = self.stack.limited_key_rate
        if configured != calls_per_hour:
            raise AssertionError(
                f"the embedded stack's rate-limited key allows {configured} calls an hour, not {calls_per_hour}"
            )
        self.world.use_key("rate-limited")

    # -- scopes

    def try_to_create_experiment(self) -> None:
        name = self.run.resources.name(f"scope-probe-{int(time.time() * 1000)}")
        self.calls.reply = self.rest.create_experiment(name)
        if self.calls.reply.status == 200:  # the write went through: remember it so cleanup removes it
            experiment_id = self.calls.reply.json_or_none() or {}
            if "experiment_id" in experiment_id:
                self.run.resources.experiments[name] = experiment_id["experiment_id"]

    def check_write_forbidden(self) -> None:
        if self.calls.reply.status == 200:
            raise AssertionError(
                "a key without write scope created an experiment: the target does not enforce "
                "scopes (finding: scopes-not-enforced)"
            )
        expect.expect_status(self.calls.reply, 403, "a write with a read-only key")
        body = self.calls.reply.json()
        if "write" not in str(body.get("required_scope", "")) and "write" not in str(body):
            raise AssertionError(f"the refusal does not name the missing write scope: {body!r}")
