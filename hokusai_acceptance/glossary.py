"""The words a reader of the features and reports meets, explained once.

The README's glossary and the reports' "How to read this report" section are both written from
these tables; a test keeps every tag the features use explained here and in the README.
"""

from __future__ import annotations

TAGS = {
    "@smoke": "the short end-to-end selection: is the registry basically working?",
    "@readonly": "makes no write: safe against production",
    "@writes": "creates experiments and models, named with this run's prefix and deleted at the end",
    "@critical": "a check whose failure blocks third-party registration (shown as its severity)",
    "@embedded_only": "needs the local reference stack (it breaks something on purpose, or counts what a "
    "service did); skipped, with the reason, against a remote deployment",
    "@destructive": "freezes or breaks a part of the local reference stack for the scenario, then restores it",
    "@refusal": "checks that the registry refuses something; its passing is no sign that registration works",
    "@security": "who may do what in the shared registry; a failure is a security defect",
    "@slow": "moves large amounts of data or load (the 50 MB model, 32 and 64 concurrent callers)",
    "@aws": "reads the registry's ECS services and load balancer from AWS (needs AWS credentials)",
    "@performance": "timing and load; runs only when asked for (--tags=@performance)",
    "@fuzz": "requests generated from the contract document (Schemathesis); runs only when asked for "
    "(--tags=@fuzz, make fuzz)",
    "@admin": "acts with a registry admin's key (HOKUSAI_ADMIN_API_KEY), not a third-party developer's; skipped "
    "without one",
    "@tokenized": "the 2026 registration story: a registered model announced to Hokusai with its token and "
    "baseline; skipped, with the reason, on a deployment that takes no announcements",
    "@health @auth @registration @proxy @errors": "the capability a feature belongs to (its folder)",
}

TERMS = {
    "Hokusai API": "the service in front of the model registry: it checks keys and forwards MLflow calls",
    "MLflow": "the model registry and experiment tracker the API forwards to",
    "auth service": "the service that says whether an API key is valid",
    "validation cache": "where the API remembers, for a few minutes, that a key was valid (Redis)",
    "load balancer": "what receives the registry's traffic first and routes it (an AWS ALB in production)",
    "local reference stack": "a copy of the registry the suite starts on this machine (real MLflow, Redis, a "
    "load balancer, an API reproducing Hokusai's); not a Hokusai deployment",
    "Hokusai tags": "token id, benchmark metric and benchmark value on a registered model version",
    "failed": "the registry answered, but not as its contract says; the finding that explains it names who acts",
    "broken": "the check could not be exercised: something else answered, or a service behind the API failed",
    "finding": "a diagnosed cause, with the component, the owner, the evidence and what to do first",
    "policy": "a finding that is the product working as decided (only admin keys may register, calls are "
    "charged): a decision for the product owner, not a fault to fix",
    "differs from the suite's contract": "the deployment answered as the contract says in substance but in other "
    "words or another shape (a newer generation); the suite maintainers update the contract",
    "upgrade gap": "something the later contract adds that the target's (older) contract lacks; not a defect "
    "of that contract",
    "confidence": "high: one explanation fits, nothing known looks the same and every observation that could "
    "refute it was made; medium: one other explanation fits, a look-alike is known, or a refuting observation was "
    "not made; low: more explanations fit. The finding says what the evidence cannot separate",
    "not reached": "a component no call of the run got as far as: nothing is known of it, good or bad",
    "not blamed": "a component whose scenarios failed, each for a cause the report finds in another component",
    "reported healthy": "a component only the API's own /health speaks for: no scenario exercised it",
    "median / 95 out of 100": "half of the answers came faster than the median; 95 in 100 within the other",
}
