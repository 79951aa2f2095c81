"""Fixtures of the page tests: the unit tree, a certificate issued the way a pass issues one, and a real browser
(Debian's Chromium driven by Playwright) against the service served on a free port."""

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from service import clock, exams
from service.extensions import db
from service.models import AttemptItem, Certificate, ItemVersion


@pytest.fixture
def units(app):
    """The shipped unit tree (`flask units load`)."""
    assert app.test_cli_runner().invoke(args=["units", "load"]).exit_code == 0


@pytest.fixture
def make_certificate(bank, make_user, make_session):
    """make_certificate(person=None) -> the Certificate of a passed attempt: the attempt is started, every item
    answered with its key and submitted through the service's operations, which score it and issue the
    certificate (the HTTP path of the same steps is sat in tests/service/test_exams.py)."""

    def make(person=None) -> Certificate:
        person = person or make_user("candidate")
        attempt, _ = exams.start_or_resume(make_session([person]), person, clock.now())
        for drawn, key in db.session.execute(select(AttemptItem, ItemVersion.key).join(ItemVersion).where(
                AttemptItem.attempt_id == attempt.id)).all():
            drawn.answer = key
        exams.submit(attempt, clock.now())
        db.session.commit()
        return exams.latest_certificate(attempt)

    return make


CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()
