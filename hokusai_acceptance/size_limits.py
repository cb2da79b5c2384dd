"""The largest model file a registry accepts, found by uploading files of growing size.

Sizes double from ``start_mb`` until the registry refuses one (or ``cap_mb`` is accepted), then the gap
between the largest accepted and the smallest refused size is halved until it is at most
``resolution_mb``. Every upload is a real artifact upload through the registry; an accepted file is
checked whole and deleted again, so the search leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass
class Upload:
    """One upload of the search: its size and what the registry did with it."""

    size_mb: int
    status: int | None  # None: no answer (connection reset, timeout)
    seconds: float
    message: str = ""  # the refusal's message, or the transport failure
    stored_bytes: int | None = None  # what the registry lists for the file afterwards (None: not listed)

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def clear_refusal(self) -> bool:
        """Refused the way a developer understands: a 4xx answer with a message, not a timeout or a reset."""
        return self.status is not None and 400 <= self.status < 500 and bool(self.message.strip())

    def describe(self) -> str:
        if self.accepted:
            return f"{self.size_mb} MB accepted in {self.seconds:.1f} s"
        if self.status is None:
            return f"{self.size_mb} MB: no answer after {self.seconds:.1f} s ({self.message})"
        return f"{self.size_mb} MB refused with HTTP {self.status} in {self.seconds:.1f} s: {self.message[:160]}"


@dataclass
class SizeSearch:
    cap_mb: int
    uploads: list[Upload] = field(default_factory=list)

    @property
    def largest_accepted(self) -> Upload | None:
        accepted = [u for u in self.uploads if u.accepted]
        return max(accepted, key=lambda u: u.size_mb) if accepted else None

    @property
    def smallest_refused(self) -> Upload | None:
        refused = [u for u in self.uploads if not u.accepted]
        return min(refused, key=lambda u: u.size_mb) if refused else None

    def summary(self) -> str:
        largest, refused = self.largest_accepted, self.smallest_refused
        if refused is None:
            return f"accepts model files of at least {self.cap_mb} MB (the search's cap; no limit found below it)"
        if largest is None:
            return f"accepts no model file of {refused.size_mb} MB or more (the smallest size tried)"
        return (
            f"accepts model files of {largest.size_mb} MB; refuses {refused.size_mb} MB "
            f"(HTTP {refused.status if refused.status is not None else 'no answer'})"
        )


def search(
    upload: Callable[[int], Upload], *, start_mb: int = 16, cap_mb: int = 256, resolution_mb: int = 8
) -> SizeSearch:
    """Find the largest accepted size; ``upload(size_mb)`` uploads one file of that size and says what
    happened. At most log2(cap/start) + log2(cap/resolution) uploads are made."""
    if not 0 < start_mb <= cap_mb or resolution_mb <= 0:
        raise ValueError("sizes must satisfy 0 < start <= cap and resolution > 0")
    result = SizeSearch(cap_mb=cap_mb)
    size, good, bad = start_mb, 0, None
    while True:
        attempt = upload(size)
        result.uploads.append(attempt)
        if not attempt.accepted:
            bad = size
            break
        good = size
        if size >= cap_mb:
            return result
        size = min(size * 2, cap_mb)
    while bad - good > resolution_mb:
        middle = (good + bad) // 2
        attempt = upload(middle)
        result.uploads.append(attempt)
        if attempt.accepted:
            good = middle
        else:
            bad = middle
    return result


def payload(size_mb: int) -> bytes:
    """``size_mb`` of incompressible bytes (one random megabyte repeated), quick to make."""
    return os.urandom(MB) * size_mb
