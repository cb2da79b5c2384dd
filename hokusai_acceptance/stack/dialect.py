"""Another implementation of the Hokusai contract, for proving the diagnosis on a deployment it was not
written against.

The reference gateway and load balancer normally answer the way the deployments the suite was built against
answer. With the **variant** dialect they answer every situation of the contract differently, the way another
team's implementation might: other words, other statuses for a failing dependency, no error codes, their own
``Server`` headers, and (chosen with the stack) other time limits. The behaviour behind the answers is the
same: a fault switch still breaks a component, and only how the broken component is reported changes.
"""

from __future__ import annotations

import json
from typing import Any

HOKUSAI = "hokusai"
VARIANT = "variant"
DIALECTS = (HOKUSAI, VARIANT)

#: the header the gateway puts on the answers it writes itself (never sent: the dialect layer removes it)
OWN_ANSWER = "x-gateway-own"
#: what the variant gateway calls itself
VARIANT_SERVER = "registry-gateway"
#: what the variant load balancer calls itself
EDGE_SERVER = "edge-proxy"

#: the start of the API's own words, the status the variant answers instead (None: the same), its words
REWORDED: tuple[tuple[str, int | None, str], ...] = (
    ("API key required", None, "Missing credentials"),
    ("Invalid or expired API key", None, "Credentials rejected"),
    ("Authentication service error", 502, "Identity backend failure"),
    ("Authentication service unavailable", 502, "Could not reach identity backend"),
    ("Authentication service timeout", 504, "Identity backend did not respond"),
    ("Rate limit exceeded", None, "Too many requests"),
    ("Failed to connect to MLflow server", 503, "Upstream registry unavailable"),
    ("MLflow server request timeout", None, "Upstream registry timed out"),
    ("Internal server error while proxying", None, "Unexpected proxy failure"),
    ("Not Found", None, "No such route"),
    ("Admin access required", None, "Registry access denied"),
    ("Insufficient permissions", None, "This key may not write"),
)


def reword(status: int, body: bytes) -> tuple[int, bytes]:
    """The variant's answer for one of the gateway's own answers."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return status, body
    if not isinstance(data, dict) or "detail" not in data:
        return status, body
    detail = data["detail"]
    if isinstance(detail, dict) and "error" in detail:  # a switched-off feature, named by its code
        return status, json.dumps({"detail": "Artifact serving is turned off"}).encode()
    if isinstance(detail, str):
        for start, new_status, words in REWORDED:
            if detail.startswith(start):
                return new_status or status, json.dumps({"detail": words}).encode()
    return status, json.dumps({"detail": detail}).encode()


#: the variant load balancer's own answers: plain text, its own statuses
EDGE_PAGES = {
    "no-target": (503, "no healthy upstream"),
    "refused": (502, "upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
    "timeout": (504, "upstream request timeout"),
}
#: how long the variant load balancer waits for a target to accept a connection (the usual one waits 10 s)
EDGE_CONNECT_TIMEOUT = 4.0
