"""Item statistics from attempts stored in the database, checked against figures computed by hand."""

from datetime import timedelta
from statistics import correlation, covariance, fmean, pstdev

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Attempt, AttemptItem, Blueprint, Item, ItemVersion
from service.models.types import utcnow


@pytest.fixture
def scored_attempts(bank, make_user, make_session):
    """Twelve closed attempts on the same four items: A always right; B and D right for the more able;
    C right only for the least able (so C discriminates negatively). Returns (codes, credit rows)."""
    session = make_session([])
    blueprint = db.session.get(Blueprint, session.blueprint_id)
    versions = db.session.scalars(select(ItemVersion).where(ItemVersion.status == "active")
                                  .order_by(ItemVersion.id).limit(4)).all()
    now = utcnow()
    rows = []
    for n in range(12):
        person = make_user("candidate")
        ability = n % 4
        attempt = Attempt(session_id=session.id, user_id=person.id, number=1, status="submitted", seed=n,
                          blueprint_id=blueprint.id, framework_version=blueprint.framework_version,
                          started_at=now, deadline=now + timedelta(minutes=30), closed_at=now)
        credits = [1.0, float(ability >= 1), float(ability == 0), float(ability >= 2)]
        rows.append(credits)
        for position, (version, credit) in enumerate(zip(versions, credits, strict=True), start=1):
            attempt.items.append(AttemptItem(position=position, item_version_id=version.id, option_order=[],
                                             credit=credit))
        db.session.add(attempt)
    db.session.commit()
    return [db.session.get(Item, v.item_id).code for v in versions], rows


def test_statistics_and_flags(client, make_user, auth_headers, scored_attempts):
    codes, rows = scored_attempts
    always, _, least_able, _ = codes
    body = client.get("/api/v1/blueprints/BP-CCVC/statistics", headers=auth_headers(make_user("reviewer"))).get_json()
    assert body["attempts"] == 12
    items = {i["code"]: i for i in body["items"]}
    should_flag = set()
    for column, code in enumerate(codes):
        credits = [row[column] for row in rows]
        rests = [sum(row) - row[column] for row in rows]
        assert items[code]["facility"] == pytest.approx(fmean(credits))
        if pstdev(credits) and pstdev(rests):
            assert items[code]["discrimination"] == pytest.approx(100 * correlation(credits, rests))
        if not 0.1 <= fmean(credits) <= 0.9 or (pstdev(credits) and pstdev(rests) and correlation(credits, rests) < 0):
            should_flag.add(code)
        elif pstdev(credits) and pstdev(rests) and covariance(credits, rests) < 0.15 * covariance(sorted(credits),
                                                                                               sorted(rests)):
            should_flag.add(code)  # Moodle's weak discrimination: efficiency under 15 %
    assert items[always]["facility"] == 1.0 and items[always]["sd"] == 0.0
    assert items[always]["discrimination"] is None  # no variance: nothing to correlate
    assert [f["code"] for f in items[always]["flags"]] == ["too_easy"]
    assert items[least_able]["discrimination"] < 0
    assert "negative_discrimination" in [f["code"] for f in items[least_able]["flags"]]
    assert set(body["flagged"]) == should_flag >= {always, least_able}
    assert body["reliability"]["attempts"] == 0 and body["reliability"]["alpha"] is None  # no complete form here


def test_statistics_of_an_unknown_blueprint_is_404(client, bank, make_user, auth_headers):
    response = client.get("/api/v1/blueprints/KHONG-CO/statistics", headers=auth_headers(make_user("admin")))
    assert response.status_code == 404


def test_statistics_show_the_current_calibration(client, make_user, auth_headers, scored_attempts, app):
    codes, _ = scored_attempts
    headers = auth_headers(make_user("reviewer"))
    before = client.get("/api/v1/blueprints/BP-CCVC/statistics", headers=headers).get_json()
    assert all(item["calibration"] is None for item in before["items"])
    assert app.test_cli_runner().invoke(args=["bank", "calibrate"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["bank", "calibrate"]).exit_code == 0  # a second run replaces the first
    body = client.get("/api/v1/blueprints/BP-CCVC/statistics", headers=headers).get_json()
    items = {i["code"]: i for i in body["items"]}
    for code in codes:
        calibration = items[code]["calibration"]
        assert calibration["n"] == 12 and calibration["version"] == 1 and calibration["run"] == 2
        assert calibration["a"] > 0 and -15 <= calibration["b"] <= 15
    easy, _, reversed_item, _ = codes
    assert items[easy]["calibration"]["b"] < items[reversed_item]["calibration"]["b"]
