"""The infrastructure report compares its findings with the previous run of the same target."""


def test_findings_are_compared_with_the_previous_run_of_the_same_target(tmp_path):
    from types import SimpleNamespace

    from hokusai_acceptance.diagnosis.report import compare_with_last

    def found(*ids):
        return [SimpleNamespace(id=i, title=f"title of {i}") for i in ids]

    assert compare_with_last(tmp_path, "remote-x", found("a", "b")) is None  # no earlier run
    changes = compare_with_last(tmp_path, "remote-x", found("b", "c"))
    assert [x["id"] for x in changes["new"]] == ["c"]
    assert [x["id"] for x in changes["resolved"]] == ["a"]
    assert [x["id"] for x in changes["persisting"]] == ["b"]
    assert compare_with_last(tmp_path, "remote-other", found("a")) is None  # another target has its own history
