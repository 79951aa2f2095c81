"""The core flow exactly as an outside tool scripts it: HTTP only, no database access, no helpers."""

import os

import pytest
import redis as redis_client

from service import create_app
from service.extensions import db


def login(client, username, password):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def demo_passwords(app):
    """The demo's accounts, with the passwords it prints once."""
    output = app.test_cli_runner().invoke(args=["demo"]).output
    return {line.split()[0]: line.split()[2] for line in output.splitlines() if line.startswith("  ")}


def test_candidate_sits_the_exam_over_http(client, demo_passwords):
    candidate = login(client, "thisinh", demo_passwords["thisinh"])
    reviewer = login(client, "kiemduyet", demo_passwords["kiemduyet"])
    proctor = login(client, "giamthi", demo_passwords["giamthi"])

    blueprint = next(b for b in client.get("/api/v1/blueprints", headers=proctor).get_json()["items"]
                     if b["audience"] == "cong_chuc")
    created = client.post("/api/v1/exam-sessions", headers=proctor, json={
        "title": "Kỳ sát hạch tháng 12", "blueprint": blueprint["code"], "opens_at": "2026-01-01T00:00:00Z",
        "closes_at": "2030-01-01T00:00:00Z", "candidates": ["thisinh"], "max_attempts": 1})
    assert created.status_code == 201
    session_id = created.get_json()["id"]
    assert session_id in [s["id"] for s in client.get("/api/v1/exam-sessions", headers=candidate).get_json()["items"]]

    started = client.post(f"/api/v1/exam-sessions/{session_id}/attempts", headers=candidate)
    assert started.status_code == 201
    attempt = started.get_json()
    assert len(attempt["items"]) == blueprint["item_count"]
    for entry in attempt["items"]:
        # The reviewer reads the key from the staff endpoint; the candidate's view never had it.
        assert "key" not in entry
        key = client.get(f"/api/v1/items/{entry['item_id']}", headers=reviewer).get_json()["key"]
        saved = client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}",
                           json={"answer": key}, headers=candidate)
        assert saved.status_code == 200

    submitted = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=candidate).get_json()
    assert submitted["status"] == "submitted"
    assert submitted["result"]["percent"] == 100 and submitted["result"]["passed"] is True
    assert submitted["certificate"]["serial"]

    result = client.get(f"/api/v1/attempts/{attempt['id']}", headers=candidate).get_json()
    assert result["result"]["score_10"] == 10
    assert [a["code"] for a in result["result"]["areas"]] == [a["code"] for a in submitted["result"]["areas"]]

    pdf = client.get(f"/api/v1/certificates/{submitted['certificate']['id']}/pdf", headers=candidate)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    token = submitted["certificate"]["verify_url"].rsplit("/v/", 1)[1]
    verified = client.get(f"/api/v1/verify/{token}").get_json()
    assert verified["status"] == "valid" and verified["certificate"]["holder_name"] == "Nguyễn Thị Hồng Nhung"


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_rate_limit_is_shared_by_workers_through_redis(app):
    """Two app instances (two workers) share one verification budget when REDIS_URL is set."""
    try:
        redis_client.Redis.from_url(REDIS_URL).flushdb()
    except redis_client.exceptions.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "KEYS_DIR", "SECRET_KEY")}
    workers = [create_app({**config, "TESTING": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
                           "VERIFY_RATE_LIMIT": "10/minute"}) for _ in range(2)]
    statuses = [workers[i % 2].test_client().get(f"/api/v1/verify/forged{i}").status_code for i in range(14)]
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()
    redis_client.Redis.from_url(REDIS_URL).flushdb()
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429] * 4
