"""Ports for the servers the suite starts: never handed out twice, nor one another process of the suite reserved."""


def test_a_port_is_never_handed_out_twice(monkeypatch):
    """A port is free until its server binds it, seconds later: two components given the same one collide
    ('address already in use' at start-up), so the stack never hands a port out twice."""
    import random

    from hokusai_acceptance import ports

    draws = iter([20001, 20001, 20002])
    monkeypatch.setattr(ports, "_ephemeral_range", lambda: (32768, 60999))
    monkeypatch.setattr(ports, "_handed_out", set())
    monkeypatch.setattr(random, "randint", lambda _low, _high: next(draws))
    assert [ports.free_port(), ports.free_port()] == [20001, 20002]


def test_a_port_another_process_of_the_suite_reserved_is_not_chosen(monkeypatch):
    """Two stacks starting at once in two processes: a port the other one has just chosen (its server not yet
    listening) is passed over; the reservation ends with the process that made it."""
    import random
    import subprocess
    import sys

    from hokusai_acceptance import ports

    script = (
        "import sys, random\n"
        "from hokusai_acceptance import ports\n"
        "random.randint = lambda low, high: 20011\n"
        "print(ports.free_port(), flush=True); sys.stdin.read()"
    )
    other = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "20011"
        draws = iter([20011, 20012])
        monkeypatch.setattr(ports, "_ephemeral_range", lambda: (32768, 60999))
        monkeypatch.setattr(ports, "_handed_out", set())
        monkeypatch.setattr(random, "randint", lambda _low, _high: next(draws))
        assert ports.free_port() == 20012
    finally:
        other.stdin.close()
        other.wait(timeout=30)
    draws = iter([20011])
    monkeypatch.setattr(random, "randint", lambda _low, _high: next(draws))
    assert ports.free_port() == 20011  # the other process has ended: its reservation with it
