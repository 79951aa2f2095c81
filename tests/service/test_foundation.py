"""The service foundation: health, error shape, login and its throttling, token handling."""

from datetime import timedelta

from service.extensions import db
from service.models import AuditEntry
from service.models.types import utcnow


def assert_error(response, status, code=None):
    assert response.status_code == status
    assert response.is_json, response.data[:200]
    body = response.get_json()
    assert set(body) >= {"code", "status", "message"}
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    if code:
        assert body["code"] == code
    return body


def test_health_answers_ok(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_document_lists_core_paths(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in doc["paths"]
    assert "/api/v1/health" in doc["paths"]


def test_unknown_route_is_json_404(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    assert_error(client.delete("/api/v1/health"), 405, "method_not_allowed")


def test_invalid_body_is_422_with_field_errors(client):
    body = assert_error(client.post("/api/v1/auth/token", json={"username": "x"}), 422, "validation_error")
    assert "password" in body["errors"]


def test_unknown_field_is_refused(client):
    body = assert_error(
        client.post("/api/v1/auth/token", json={"username": "a", "password": "b", "role": "admin"}), 422
    )
    assert "role" in body["errors"]


def test_malformed_json_is_json_error(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert_error(response, 400)


def test_too_large_body_is_json_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/auth/token", data="x" * 5000, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_login_gives_bearer_token_that_works(client, make_user):
    user = make_user("admin", username="quantri")
    response = client.post("/api/v1/auth/token", json={"username": "quantri", "password": "mat-khau-dung-123"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert user.password_hash.startswith("$argon2id$")
    assert "mat-khau" not in user.password_hash


def test_wrong_password_is_401_and_does_not_say_which_part(client, make_user):
    make_user("admin", username="quantri")
    wrong_password = assert_error(
        client.post("/api/v1/auth/token", json={"username": "quantri", "password": "sai-mat-khau"}), 401
    )
    unknown_user = assert_error(
        client.post("/api/v1/auth/token", json={"username": "khong-co", "password": "sai-mat-khau"}), 401
    )
    assert wrong_password == unknown_user


def test_repeated_failures_lock_the_account_with_429(client, make_user):
    make_user("admin", username="quantri")
    statuses = [
        client.post("/api/v1/auth/token", json={"username": "quantri", "password": f"sai-{i}"}).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    # Even the right password is refused while the account is locked.
    locked = client.post("/api/v1/auth/token", json={"username": "quantri", "password": "mat-khau-dung-123"})
    body = assert_error(locked, 429, "too_many_requests")
    assert int(locked.headers["Retry-After"]) > 0
    assert "password" not in str(body)


def test_lock_expires_with_time(client, make_user, app):
    make_user("admin", username="quantri")
    for i in range(6):
        client.post("/api/v1/auth/token", json={"username": "quantri", "password": f"sai-{i}"})
    later = utcnow() + timedelta(hours=1)
    app.config["CLOCK"] = lambda: later
    ok = client.post("/api/v1/auth/token", json={"username": "quantri", "password": "mat-khau-dung-123"})
    assert ok.status_code == 200


def test_one_client_guessing_many_accounts_is_refused(client):
    statuses = [
        client.post("/api/v1/auth/token", json={"username": f"user{i}", "password": "x"}).status_code
        for i in range(35)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429


def test_tampered_or_expired_token_is_401(client, make_user, auth_headers, app):
    user = make_user("admin")
    headers = auth_headers(user)
    assert client.get("/api/v1/blueprints", headers=headers).status_code == 200
    tampered = {"Authorization": headers["Authorization"][:-2] + "xx"}
    assert_error(client.get("/api/v1/blueprints", headers=tampered), 401)
    app.config["TOKEN_TTL_SECONDS"] = -1
    assert_error(client.get("/api/v1/blueprints", headers=headers), 401)


def test_audit_log_refuses_update_and_delete(app, make_user):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from service.audit import record

    record(make_user("admin"), "test.action", "thing", 1, note="x")
    db.session.commit()
    entry_id = db.session.query(AuditEntry.id).scalar()
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.get(AuditEntry, entry_id).action == "test.action"


def test_api_documentation_page_works_offline(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html and "/api/v1/openapi.json" in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        with client.get(f"/api/v1/docs/assets/{asset}") as response:
            assert response.status_code == 200 and len(response.data) > 1000
    assert client.get("/api/v1/docs/assets/../../service/config.py").status_code == 404


def test_the_connection_pool_holds_a_connection_per_request_thread(app):
    """On PostgreSQL, one pooled connection per gunicorn thread (DATABASE_POOL_SIZE): no connection is opened
    and closed per request. SQLite keeps SQLAlchemy's own pool."""
    from service.config import engine_options

    assert engine_options("postgresql+psycopg://db/sathach", 12) == {
        "pool_pre_ping": True, "pool_size": 12, "max_overflow": 12}
    assert engine_options("sqlite:///instance/sathach.db", 12) == {"pool_pre_ping": True}
    if db.engine.dialect.name == "postgresql":
        assert db.engine.pool.size() == app.config["DATABASE_POOL_SIZE"] == 10
