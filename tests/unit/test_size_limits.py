"""The search for the largest accepted upload: doubling, then halving the gap, bounded in uploads."""

import pytest

from hokusai_acceptance.size_limits import MB, SizeSearch, Upload, payload, search


def registry_with_limit(limit_mb, unclear=False):
    tried = []

    def upload(size_mb):
        tried.append(size_mb)
        if size_mb <= limit_mb:
            return Upload(size_mb, 200, 0.1, stored_bytes=size_mb * MB)
        return Upload(size_mb, None if unclear else 413, 5.0, message="reset" if unclear else "too large")

    return upload, tried


def test_the_limit_is_bracketed_to_the_resolution():
    upload, tried = registry_with_limit(100)
    found = search(upload, start_mb=16, cap_mb=256, resolution_mb=8)
    assert tried == [16, 32, 64, 128, 96, 112, 104]
    assert found.largest_accepted.size_mb == 96 and found.smallest_refused.size_mb == 104
    assert found.summary() == "accepts model files of 96 MB; refuses 104 MB (HTTP 413)"


def test_no_limit_below_the_cap_is_stated_as_at_least_the_cap():
    upload, tried = registry_with_limit(10_000)
    found = search(upload, start_mb=16, cap_mb=256)
    assert tried == [16, 32, 64, 128, 256] and found.smallest_refused is None
    assert "at least 256 MB" in found.summary()


def test_a_limit_below_the_first_size_is_still_bracketed():
    upload, tried = registry_with_limit(5)
    found = search(upload, start_mb=16, cap_mb=256, resolution_mb=4)
    assert tried == [16, 8, 4] and found.largest_accepted.size_mb == 4 and found.smallest_refused.size_mb == 8


def test_an_unclear_refusal_is_kept_for_the_check():
    upload, _ = registry_with_limit(40, unclear=True)
    found = search(upload, start_mb=16, cap_mb=64)
    refused = found.smallest_refused
    assert refused.status is None and not refused.clear_refusal and "no answer" in refused.describe()


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="start"):
        search(lambda s: Upload(s, 200, 0), start_mb=0)
    with pytest.raises(ValueError, match="cap"):
        search(lambda s: Upload(s, 200, 0), start_mb=512, cap_mb=256)


def test_the_payload_has_the_size_asked_for_and_does_not_compress():
    import zlib

    data = payload(2)
    assert len(data) == 2 * MB and len(zlib.compress(data[:MB])) > 0.99 * MB
    assert SizeSearch(cap_mb=8).summary().startswith("accepts model files of at least 8 MB")
