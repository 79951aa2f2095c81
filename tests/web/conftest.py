"""Fixtures of the page tests: the unit tree, a certificate issued the way a pass issues one, submitted attempts
that give item statistics, and a real browser
(Debian's Chromium driven by Playwright) against the service served on a free port."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from service import clock, exams
from service.extensions import db
from service.models import Attempt, AttemptItem, Blueprint, Certificate, Item, ItemVersion
from service.models.types import utcnow


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


ATTEMPTS = 12


@pytest.fixture
def full_forms(bank, make_user, make_session):
    """Twelve submitted attempts on BP-CCVC, each with the same item at every position of the blueprint, so that
    Cronbach's alpha can be computed: the first item is always right (too easy), the second right only for the
    two least able (negative discrimination), the others right from an ability that grows with the position.
    Returns the item codes by position."""
    session = make_session([])
    blueprint = db.session.get(Blueprint, session.blueprint_id)
    versions = db.session.scalars(select(ItemVersion).where(ItemVersion.status == "active")
                                  .order_by(ItemVersion.id).limit(blueprint.item_count)).all()
    now = utcnow()
    for ability in range(ATTEMPTS):
        person = make_user("candidate")
        attempt = Attempt(session_id=session.id, user_id=person.id, number=1, status="submitted", seed=ability,
                          blueprint_id=blueprint.id, framework_version=blueprint.framework_version,
                          started_at=now, deadline=now + timedelta(minutes=30), closed_at=now)
        for position, version in enumerate(versions, start=1):
            if position == 1:
                credit = 1.0
            elif position == 2:
                credit = float(ability < 2)
            else:
                credit = float(ability >= position * 7 % ATTEMPTS)
            attempt.items.append(AttemptItem(position=position, item_version_id=version.id, option_order=[],
                                             credit=credit))
        db.session.add(attempt)
    db.session.commit()
    return [db.session.get(Item, v.item_id).code for v in versions]


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
