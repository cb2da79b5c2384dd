"""The developer interpreters: each script runs in a fresh copy with exactly the environment it is given."""

import pytest

from hokusai_acceptance.zygote import Zygote

pytestmark = pytest.mark.integration


def test_each_copy_sees_only_its_environment_and_arguments_and_timeouts_kill_it():
    zygote = Zygote()
    try:
        seen = zygote.run(
            "import os, sys, mlflow; print(sys.argv[1:], sorted(os.environ), mlflow.__version__)",
            ["a", "b"],
            {"ONLY": "this"},
            timeout=20,
        )
        assert seen.returncode == 0 and not seen.timed_out
        assert seen.stdout.startswith("['a', 'b'] ['ONLY']"), seen.stdout
        # a copy changes nothing for the next one
        zygote.run(
            "import os; os.environ['LEAK'] = '1'; import mlflow; mlflow.set_tracking_uri('http://x')",
            [],
            {},
            timeout=20,
        )
        clean = zygote.run(
            "import os, mlflow; print('LEAK' in os.environ, mlflow.get_tracking_uri())", [], {}, timeout=20
        )
        assert clean.stdout.split()[0] == "False" and "http://x" not in clean.stdout
        failed = zygote.run("raise RuntimeError('boom')", [], {}, timeout=20)
        assert failed.returncode == 1 and "RuntimeError: boom" in failed.stderr
        killed = zygote.run("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", [], {}, timeout=20)
        assert killed.returncode == -9
        slow = zygote.run("import time; time.sleep(60)", [], {}, timeout=1)
        assert slow.timed_out and slow.returncode is None
    finally:
        zygote.close()
    assert not zygote._dir.exists()


def test_stopping_kills_the_copy_that_is_running():
    import threading
    import time

    zygote = Zygote()
    try:
        zygote.warm()
        results = []
        worker = threading.Thread(
            target=lambda: results.append(
                zygote.run("import time; time.sleep(30); print('survived')", [], {}, timeout=40)
            )
        )
        started = time.monotonic()
        worker.start()
        while zygote._child is None and time.monotonic() - started < 20:
            time.sleep(0.05)
        zygote.stop_current()
        worker.join(20)
        assert results and results[0].returncode == -9 and "survived" not in results[0].stdout
        assert time.monotonic() - started < 25
    finally:
        zygote.close()
