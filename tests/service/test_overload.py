"""Under load a verification never answers 500: the in-process rate limit is safe under request threads (gunicorn
gthread), and a request that finds every pooled connection busy for the pool's whole timeout answers 503 with
Retry-After, like one that finds the database down."""

import sys
import threading
import time
from datetime import date

import pytest
from limits import parse

from certificates.serial import new_public_id
from certificates.token import TokenKey, issue_token
from service import create_app
from service.extensions import db

THREADS = 16


def well_formed_token() -> str:
    """A token that parses, so that verifying it looks the database up (it names no certificate)."""
    return issue_token({"public_id": new_public_id(), "holder_name": "Nguyễn Văn Thử", "unit_code": "BTR-BATRI",
                        "classification": "dat", "percent": 80, "issue_date": date(2026, 1, 5)},
                       TokenKey.generate())


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


def test_an_in_process_window_reopens_when_its_period_ends(app):
    limiter, limit = app.extensions["rate_limiter"], parse("2/second")
    assert [limiter.hit(limit, "verify", "203.0.113.9") for _ in range(3)] == [True, True, False]
    reset_at = limiter.get_window_stats(limit, "verify", "203.0.113.9").reset_time
    assert 0 < reset_at - time.time() <= 1
    time.sleep(max(0.0, reset_at - time.time()) + 0.05)
    assert limiter.get_window_stats(limit, "verify", "203.0.113.9").remaining == 2
    assert [limiter.hit(limit, "verify", "203.0.113.9") for _ in range(3)] == [True, True, False]


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


@pytest.fixture
def one_connection(database, keys_dir):
    """An app whose pool holds one connection and waits 0.1 s for it; and a way to hold that connection in
    another thread (as a long request would) while the test asks."""
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": "test-secret",
        "KEYS_DIR": str(keys_dir), "RATELIMIT_STORAGE_URI": "memory://", "PASSWORD_HASHER": "test",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.1},
    })
    taken, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context(), db.engine.connect():
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    with app.app_context():
        database.reset(bank=False)
        yield app, app.test_client(), holder, taken, release
        release.set()
        if holder.is_alive() or holder.ident:
            holder.join()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/api/v1/verify/{token}", "/api/v1/verify/keys", "/v/{token}"],
                         ids=["api-token", "api-keys", "page"])
def test_an_exhausted_pool_answers_503_with_retry_after(one_connection, path):
    app, client, holder, taken, release = one_connection
    path = path.format(token=well_formed_token())
    assert client.get(path).status_code == 200  # the one connection serves when it is free
    holder.start()
    assert taken.wait(5)

    busy = client.get(path)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    if path.startswith("/api/"):
        assert busy.get_json()["code"] == "service_unavailable"
        assert busy.get_json()["status"] == 503
    else:
        assert busy.mimetype == "text/html"
        assert "thử lại sau" in busy.get_data(as_text=True)

    release.set()
    holder.join()
    assert client.get(path).status_code == 200  # and serves again once it is returned
