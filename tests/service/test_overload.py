"""Under load a verification never answers 500: the in-process rate limit is safe under request threads (gunicorn
gthread)."""

import sys
import threading
import time

import pytest
from limits import parse

THREADS = 16


@pytest.fixture
def busy_switching():
    """Switch between threads as often as the interpreter can, as a loaded machine does."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_the_in_process_rate_limit_starts_no_thread(app):
    # A thread started from a request thread for a count (the `limits` memory storage's expiry timer) is started
    # unsynchronised by whichever request thread finds the last one finished: two threads could start the same.
    limiter, limit = app.extensions["rate_limiter"], parse("10/minute")
    before = set(threading.enumerate())
    assert limiter.hit(limit, "verify", "203.0.113.7")
    assert set(threading.enumerate()) - before == set()


def test_the_in_process_rate_limit_counts_every_call_from_many_threads(app, busy_switching):
    limiter, per_thread = app.extensions["rate_limiter"], 200
    limit = parse(f"{THREADS * per_thread}/minute")
    start, answers, failures = threading.Barrier(THREADS), [], []

    def calls():
        start.wait()
        try:
            answers.extend(limiter.hit(limit, "verify", "203.0.113.7") for _ in range(per_thread))
        except Exception as exc:  # noqa: BLE001 - the failure is what this test looks for
            failures.append(exc)

    threads = [threading.Thread(target=calls) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert answers == [True] * THREADS * per_thread
    assert not limiter.hit(limit, "verify", "203.0.113.7")  # the budget is spent exactly
    stats = limiter.get_window_stats(limit, "verify", "203.0.113.7")
    assert stats.remaining == 0 and 0 < stats.reset_time - time.time() <= 60
    assert limiter.hit(limit, "verify", "198.51.100.1")  # another client has its own budget


def test_verifications_from_many_threads_all_answer(app, busy_switching):
    app.config["VERIFY_RATE_LIMIT"] = "1000000/minute"
    statuses, start = [], threading.Barrier(THREADS)

    def verify():
        client = app.test_client()
        start.wait()
        statuses.extend(client.get("/api/v1/verify/khong-hop-le").status_code for _ in range(20))

    threads = [threading.Thread(target=verify) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * THREADS * 20
