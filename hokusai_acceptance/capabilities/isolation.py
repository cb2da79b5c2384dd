"""Developers share one registry: each reads everything and changes only their own models.

The other developer acts with their own key (``HOKUSAI_SECOND_API_KEY`` on a remote target). Their calls
that aim at the first developer's model, run or experiment are recorded under the actor
:data:`~hokusai_acceptance.exchange.Actor.ON_ANOTHERS_MODEL`, so the diagnosis can tell an accepted trespass
from their own work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import registration as reg
from ..errors import ConfigError, RegistryCallFailed
from ..evidence import Marker
from ..exchange import Actor
from ..hokusai_tags import TOKEN_ID_TAG, validate
from ..state import IsolationState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


OTHER = "another developer"
OWNER_TAG = "hokusai.owner"
OTHER_EXPERIMENT = "registration-other-developer"
#: what a refusal for missing scope or registry role says: not an answer about ownership
NOT_ABOUT_OWNERSHIP = ("write permissions", "required_scope", "REGISTRY_ADMIN_REQUIRED", "Admin access required")
REFUSED = 403


@dataclass
class Attempt:
    """What happened when the other developer tried a change."""

    change: str
    accepted: bool
    status: int | None = None
    message: str = ""

    def describe(self) -> str:
        if self.accepted:
            return f"the registry accepted: {self.change}"
        return f"the registry answered HTTP {self.status}: {self.message[:300]}"


@dataclass
class Snapshot:
    """The first developer's model as they can read it, to compare before and after an attempt."""

    exists: bool
    versions: list[int]
    version_tags: dict[str, str]
    version_stage: str
    model_tags: dict[str, str]
    aliases: dict[str, str]
    description: str
    run_active: bool
    run_metrics: dict[str, float]
    experiment_active: bool


def _add_version(client: Any, registration: reg.Registration) -> Any:
    """A new version made from version 1 (a registered-model source: the server resolves its files)."""
    return client.create_model_version(registration.name, f"models:/{registration.name}/1", await_creation_for=10)


def _changes() -> dict[str, Callable[[Any, reg.Registration], Any]]:
    """What the other developer tries, as the feature names it, through the plain MLflow client."""
    return {
        "delete": lambda c, r: c.delete_registered_model(r.name),
        "rename": lambda c, r: c.rename_registered_model(r.name, f"{r.name}-taken"),
        "change the description of": lambda c, r: c.update_registered_model(
            r.name, description="changed by someone else"
        ),
        "tag": lambda c, r: c.set_registered_model_tag(r.name, "reviewed_by", "someone else"),
        "change the token id on version 1 of": lambda c, r: c.set_model_version_tag(
            r.name, "1", TOKEN_ID_TAG, "someone-elses-token"
        ),
        "point an alias at version 1 of": lambda c, r: c.set_registered_model_alias(r.name, "hijacked", "1"),
        "add a version to": _add_version,
        "delete version 1 of": lambda c, r: c.delete_model_version(r.name, "1"),
        "archive version 1 of": lambda c, r: reg.archive(c, r.name, "1"),
        "overwrite the owner recorded on": lambda c, r: c.set_registered_model_tag(r.name, OWNER_TAG, "someone-else"),
        "log a better benchmark into the training run of": lambda c, r: c.log_metric(
            r.run_id, r.metadata.benchmark_metric, 1.0
        ),
        "delete the training run of": lambda c, r: c.delete_run(r.run_id),
        "delete the experiment of": lambda c, r: c.delete_experiment(r.experiment_id),
    }


CHANGES = tuple(_changes())


class IsolationChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = IsolationState()

    # -- who acts

    def meet_other_developer(self) -> None:
        key = self.run.keys.get("second developer")
        if not key:
            self.skip(
                "no second developer's key for this target (set HOKUSAI_SECOND_API_KEY to a key of another "
                "user to run it)"
            )
            return
        if key in (self.run.keys.get("valid"), self.run.keys.get("rotated")):
            raise ConfigError("the second developer's key is one of the first developer's keys")
        self.state.other_key = key
        # a refusal proves isolation only if this key could have written: it makes an experiment of its own
        try:
            with self.world.acting_as(OTHER):
                reg.ensure_experiment(self.other_session, self.run.resources, OTHER_EXPERIMENT)
        except RegistryCallFailed as exc:
            if exc.status not in (401, 403):
                raise
            self.skip(
                f"the second developer's key cannot write here (HTTP {exc.status}): the isolation checks "
                f"need a key of another developer that can"
            )

    @property
    def other_session(self) -> reg.MlflowSession:
        return self.run.session(self.state.other_key)

    # -- the first developer's model, as they see it

    def snapshot(self) -> Snapshot:
        registration = self.world.registration.latest()
        session = self.run.session(self.run.keys.get("valid"))
        client = session.client()
        with self.world.acting_as("valid"):
            model = reg.find_registered_model(session, registration.name)
            versions = (
                sorted(int(v.version) for v in reg.registered_versions(session, registration.name))
                if model is not None
                else []
            )
            first = reg.model_version(session, registration.name, "1") if 1 in versions else None
            run = session.call("reading the training run", lambda: client.get_run(registration.run_id))
            experiment = session.call(
                "reading the experiment", lambda: client.get_experiment(registration.experiment_id)
            )
        return Snapshot(
            exists=model is not None,
            versions=versions,
            version_tags=dict(first.tags) if first is not None else {},
            version_stage=first.current_stage if first is not None else "",
            model_tags=dict(model.tags) if model is not None else {},
            aliases=dict(getattr(model, "aliases", None) or {}) if model is not None else {},
            description=(model.description or "") if model is not None else "",
            run_active=run.info.lifecycle_stage == "active",
            run_metrics=dict(run.data.metrics),
            experiment_active=experiment.lifecycle_stage == "active",
        )

    # -- what the other developer does

    def other_tries(self, change: str) -> None:
        changes = _changes()
        if change not in changes:
            raise ConfigError(f"unknown change {change!r}; the feature may use: {', '.join(CHANGES)}")
        registration = self.world.registration.latest()
        if change == "rename":  # should the registry wrongly allow it, the renamed model is still this run's
            self.run.resources.add_model(f"{registration.name}-taken")  # it keeps its owner: the first developer
        self.state.before = self.snapshot()
        session = self.other_session
        client = session.client()
        self._attempt(
            change,
            lambda: session.call(
                f"another developer trying to {change} {registration.name}",
                lambda: changes[change](client, registration),
            ),
        )

    def _attempt(self, change: str, act: Callable[[], Any], actor: str = Actor.ON_ANOTHERS_MODEL) -> None:
        with self.world.acting_as(actor):
            try:
                act()
            except RegistryCallFailed as exc:
                if exc.status is None or exc.status >= 500:
                    raise  # not an answer about ownership: the registry itself failed
                self.state.attempt = Attempt(change, accepted=False, status=exc.status, message=exc.answer or str(exc))
            else:
                self.state.attempt = Attempt(change, accepted=True)
        self.note(f"{change}: {self.state.attempt.describe()}")

    def other_registers_under_my_name(self) -> None:
        """Their own run and files in their own experiment, then a registration under the first developer's name."""
        registration = self.world.registration.latest()
        session = self.other_session
        with self.world.acting_as(OTHER):
            run_id = reg.log_model_files(
                session, self.run.resources, self.world.registration.trained(), experiment_slug=OTHER_EXPERIMENT
            )
        self.state.before = self.snapshot()
        self._attempt(
            "register a model under the first developer's name",
            lambda: reg.register_run_files(session, registration.name, run_id),
        )

    def other_registers_own_model(self, slug: str, token_id: str, metric: str, value: str) -> None:
        metadata = validate(token_id, metric, value)
        with self.world.acting_as(OTHER):
            self.state.other_registration = reg.register_model(
                self.other_session,
                self.run.resources,
                self.world.registration.trained(),
                self.run.resources.name(slug),
                metadata,
                experiment_slug=OTHER_EXPERIMENT,
                path=reg.RegistrationPath.RUN_FILES,
            )

    def other_claims_token(self, token_id: str) -> None:
        theirs = self.state.other_registration
        session = self.other_session
        client = session.client()
        self.state.before = self.snapshot()
        self._attempt(
            f"tag their version with token id {token_id}",
            lambda: session.call(
                "another developer claiming a token id",
                lambda: client.set_model_version_tag(theirs.name, theirs.version, TOKEN_ID_TAG, token_id),
            ),
            actor=Actor.CLAIMING_ANOTHERS_TOKEN,
        )

    def other_registers_with_my_token(self, slug: str, token_id: str, metric: str, value: str) -> None:
        """Their own model, registered as the quick start says, tagged with the first developer's token id:
        only the tag writes aim at what is not theirs (and are recorded so)."""
        metadata = validate(token_id, metric, value)
        session = self.other_session
        with self.world.acting_as(OTHER):
            theirs = reg.register_model(
                session,
                self.run.resources,
                self.world.registration.trained(),
                self.run.resources.name(slug),
                metadata,
                experiment_slug=OTHER_EXPERIMENT,
                tag=False,
                path=reg.RegistrationPath.RUN_FILES,
            )
        self.state.before = self.snapshot()
        self._attempt(
            f"register their model with token id {token_id}",
            lambda: reg.apply_hokusai_tags(
                session, theirs, while_tagging=lambda: self.world.acting_as(Actor.CLAIMING_ANOTHERS_TOKEN)
            ),
            actor=OTHER,
        )

    # -- checks

    def check_refused_as_not_theirs(self) -> None:
        attempt = self.state.attempt
        if attempt.accepted:
            raise AssertionError(
                f"the registry let another developer {attempt.change} the first developer's "
                f"model: any developer can change anyone's models (a security defect)"
            )
        if attempt.status != REFUSED:
            raise AssertionError(
                f"another developer's attempt to {attempt.change} the model was answered HTTP "
                f"{attempt.status}, not 403 Forbidden: {attempt.message[:300]}"
            )
        if any(words.lower() in attempt.message.lower() for words in NOT_ABOUT_OWNERSHIP):
            raise AssertionError(
                f"the 403 is about the key's scope or role, not about whose model it is: {attempt.message[:300]}"
            )

    def check_told_name_taken(self, slug: str) -> None:
        self._check_told(self.run.resources.name(slug))

    def check_told_token_taken(self, token_id: str) -> None:
        self._check_told(token_id)

    def _check_told(self, taken: str) -> None:
        """Refused, and the message names what is taken (the model name or the token id), so the developer
        knows what to change."""
        attempt = self.state.attempt
        if attempt.accepted:
            raise AssertionError(
                f"the registry accepted it ({attempt.change}); the other developer should have "
                f"been told that {taken!r} belongs to someone else (a security defect)"
            )
        if attempt.status not in (400, 403, 409):
            raise AssertionError(
                f"the refusal was HTTP {attempt.status}, not a clear 400, 403 or 409: {attempt.message[:300]}"
            )
        if taken.lower() not in attempt.message.lower():
            raise AssertionError(
                f"the refusal does not name {taken!r}, so the developer cannot tell what to "
                f"change; it says: {attempt.message[:300]}"
            )

    def check_my_model_unchanged(self) -> None:
        before, after = self.state.before, self.snapshot()
        differences = [
            f"{field}: {getattr(before, field)!r} -> {getattr(after, field)!r}"
            for field in before.__dataclass_fields__
            if getattr(before, field) != getattr(after, field)
        ]
        if differences:
            raise AssertionError("the first developer's model changed: " + "; ".join(differences))
        if not after.exists or after.versions != [1]:
            raise AssertionError(
                f"the first developer's model should still exist with version 1 only; it has "
                f"{after.versions if after.exists else 'gone'}"
            )

    def check_other_can_read(self) -> None:
        registration = self.world.registration.latest()
        session = self.other_session
        client = session.client()
        with self.world.acting_as(OTHER):
            model = reg.find_registered_model(session, registration.name)
            version = reg.model_version(session, registration.name, registration.version)
            run = session.call("reading the first developer's run", lambda: client.get_run(registration.run_id))
        if model is None:
            raise AssertionError(f"another developer cannot find {registration.name} in the shared registry")
        tags = dict(version.tags)
        registered = registration.metadata.token_id if registration.metadata is not None else None
        if tags.get(TOKEN_ID_TAG) != registered:
            raise AssertionError(f"another developer reads the token id {tags.get(TOKEN_ID_TAG)!r}, not {registered!r}")
        if run.info.run_id != registration.run_id:
            raise AssertionError("another developer read a different training run")

    def check_their_token(self, token_id: str) -> None:
        theirs = self.state.other_registration
        with self.world.acting_as(OTHER):
            tags = dict(reg.model_version(self.other_session, theirs.name, theirs.version).tags)
        if tags.get(TOKEN_ID_TAG) != token_id:
            raise AssertionError(
                f"the other developer's version carries token id {tags.get(TOKEN_ID_TAG)!r}, not their own {token_id!r}"
            )

    def check_owner_recorded(self, versions: int) -> None:
        """The model and every version name one owner, in the tag the registry records it in."""
        registration = self.world.registration.latest()
        read_from = len(self.evidence.snapshot())
        model = reg.find_registered_model(self.mlflow, registration.name)
        found = sorted(reg.registered_versions(self.mlflow, registration.name), key=lambda v: int(v.version))
        if model is None:
            raise AssertionError(f"model {registration.name} is not in the registry any more")
        if len(found) != versions:
            raise AssertionError(f"the model has {len(found)} versions, not {versions}")
        # the owner as the registry records it: the tag the reference API writes, or MLflow's own user id
        owners = {f"version {v.version}": dict(v.tags).get(OWNER_TAG) or getattr(v, "user_id", None) for v in found}
        model_owner = dict(model.tags).get(OWNER_TAG)
        if model_owner or not any(owners.values()):
            owners["the model"] = model_owner
        missing = [what for what, owner in owners.items() if not owner]
        if missing:
            read_back = [e for e in self.evidence.since(read_from) if e.status == 200]
            self.evidence.mark(Marker.NO_OWNER_RECORDED, ", ".join(missing), read_back)
            raise AssertionError(
                f"the registry does not record who registered {', '.join(missing)} (no '{OWNER_TAG}' tag and no "
                f"MLflow user id), so nobody can tell whose model it is"
            )
        if len(set(owners.values())) != 1:
            raise AssertionError(f"the model and its versions name different owners: {owners}")
