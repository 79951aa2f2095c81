"""Fixtures of the page tests: the unit tree, and a certificate issued the way a pass issues one."""

import pytest
from sqlalchemy import select

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

