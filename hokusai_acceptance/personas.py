"""Who calls the registry in a run: the personas, each with its key, in one place.

A run acts as an ordinary third-party developer (``HOKUSAI_API_KEY``, the only key a remote run needs). Every
other persona is optional: given its key, the scenarios that need it run; without it, they are skipped with
the variable to set, and the reports say what the run could not check. Against the embedded reference stack
every persona has a key the stack issued, and a few roles exist only there (an expired key, a key about to be
revoked, a key with a low hourly limit).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    role: str  # what the world and the steps call it
    title: str  # who it is, in the reports' words
    variable: str | None  # where a remote run takes its key from (None: only the embedded stack has one)
    stack_key: str  # the attribute of the embedded stack's keys
    without_it: str = ""  # what a run cannot check without this persona's key

    def describe_missing(self) -> str:
        where = f"set {self.variable} to run it" if self.variable else "only the embedded stack has one"
        return f"no key of {self.title} is available for this target ({where})"


DEVELOPER = Persona(
    "valid",
    "an ordinary third-party developer",
    "HOKUSAI_API_KEY",
    "valid",
    "anything: every check acts as this developer",
)
REGISTRY_ADMIN = Persona(
    "registry admin",
    "a registry admin",
    "HOKUSAI_ADMIN_API_KEY",
    "admin",
    "what a key with the registry role may do where developers' keys are kept out of the registry",
)
READ_ONLY = Persona(
    "read-only",
    "a developer whose key may only read",
    "HOKUSAI_READONLY_API_KEY",
    "readonly",
    "that a key without write scope cannot write",
)
REVOKED = Persona(
    "revoked",
    "a developer whose key was revoked",
    "HOKUSAI_REVOKED_API_KEY",
    "revoked",
    "that a revoked key is refused",
)
SECOND_DEVELOPER = Persona(
    "second developer",
    "another developer (another user)",
    "HOKUSAI_SECOND_API_KEY",
    "second",
    "that one developer cannot change or claim another developer's models",
)
ROTATED = Persona(
    "rotated",
    "the same developer's second key, as after a key rotation",
    "HOKUSAI_ROTATED_API_KEY",
    "rotated",
    "that a new key of the same developer still manages the models of the old one",
)
NO_BALANCE = Persona(
    "no balance",
    "a developer whose balance is used up",
    "HOKUSAI_NOBALANCE_API_KEY",
    "nobalance",
    "what a developer whose balance is used up sees",
)
#: roles only the embedded stack can stand for (it issues and controls these keys)
EXPIRED = Persona("expired", "a developer whose key has expired", None, "expired")
REVOCABLE = Persona("revocable", "a developer whose key is about to be revoked", None, "revocable")
RATE_LIMITED = Persona("rate-limited", "a developer with a low hourly limit", None, "limited")

PERSONAS: tuple[Persona, ...] = (
    DEVELOPER,
    REGISTRY_ADMIN,
    READ_ONLY,
    REVOKED,
    SECOND_DEVELOPER,
    ROTATED,
    NO_BALANCE,
    EXPIRED,
    REVOCABLE,
    RATE_LIMITED,
)
BY_ROLE = {p.role: p for p in PERSONAS}
#: the personas a remote run can be given keys for, in the order the reports list them
CONFIGURABLE = tuple(p for p in PERSONAS if p.variable)

#: how a feature names the key a developer set up, and the role it stands for ("none" and "mistyped" are not
#: personas: no key at all, and the developer's own key with one character changed)
DESCRIBED = {
    "no key at all": "none",
    "my key with one character mistyped": "mistyped",
    "a revoked key": REVOKED.role,
    "a read-only key": READ_ONLY.role,
}


def persona(role: str) -> Persona | None:
    return BY_ROLE.get(role)
