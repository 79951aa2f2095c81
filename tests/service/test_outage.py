"""While the database is unreachable every route answers 503 (JSON under /api/, a Vietnamese page
elsewhere), never 500; when it is back the service recovers without a restart."""

from pathlib import Path

import pytest
from flask_migrate import upgrade

from service import create_app
from service.config import normalise_database_url
from service.extensions import db
from tests.pgcluster import PrivatePostgres


@pytest.fixture
def outage(keys_dir):
    """(app, client, postgres, bearer headers of an admin) on a PostgreSQL of the test's own."""
    with PrivatePostgres() as postgres:
        app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": normalise_database_url(postgres.url),
            "SECRET_KEY": "test-secret", "KEYS_DIR": str(keys_dir), "RATELIMIT_STORAGE_URI": "memory://",
            "PASSWORD_HASHER": "test",
        })
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parents[2] / "migrations"))
            from service.accounts import create_account
            from service.auth import issue_token

            admin = create_account(username="quantri", password="mat-khau-dung-123", role="admin",
                                   full_name="Quản Trị Viên")
            db.session.commit()
            headers = {"Authorization": f"Bearer {issue_token(admin)}"}
            db.session.remove()
            yield app, app.test_client(), postgres, headers
            db.session.remove()
            db.engine.dispose()


def _routes(app):
    """Every route of the app with its path parameters filled in, once per method."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "swagger_ui_assets") or "docs" in rule.rule:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "1").replace(f"<path:{name}>", "x").replace(f"<{name}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


# Routes that rightly answer without the database: the API document, a PDF check refused for want of a
# file (API and page), the PDF upload page, the sign-in page, and a token too malformed to look up (it is
# INVALID whatever the database holds). Signing out needs the database: it deletes the session's record there.
NO_DATABASE_NEEDED = {
    ("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/verify/pdf"), ("GET", "/api/v1/verify/x"),
    ("GET", "/v/x"), ("GET", "/dang-nhap"), ("GET", "/xac-minh"), ("POST", "/xac-minh"),
}
BODIES = {"/api/v1/auth/token": {"username": "quantri", "password": "mat-khau-dung-123"},
          "/api/v1/attempts/1/responses/1": {"answer": "a"}}


def test_every_route_answers_503_while_the_database_is_down_and_recovers(outage):
    app, client, postgres, headers = outage
    app.config["WTF_CSRF_ENABLED"] = False  # let the page forms reach the database
    assert client.get("/api/v1/health").status_code == 200
    signed_in = client.post("/dang-nhap", data={"username": "quantri", "password": "mat-khau-dung-123"})
    assert signed_in.status_code == 302

    postgres.stop()
    answered = {}
    signing_out = ("POST", "/dang-xuat")
    for method, path in sorted(_routes(app), key=lambda route: route == signing_out):  # sign out last
        body = BODIES.get(path, {})
        if path.startswith("/api/"):
            response = client.open(path, method=method, headers=headers, json=body)
        else:
            response = client.open(path, method=method, data=body)
        answered[(method, path)] = response.status_code
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "5", (method, path)
            if path.startswith("/api/"):
                assert response.get_json()["code"] == "service_unavailable"
            else:
                assert "cơ sở dữ liệu" in response.get_data(as_text=True)
    others = {route: status for route, status in answered.items() if status != 503}
    assert set(others) == NO_DATABASE_NEEDED, others
    assert all(status < 500 for status in others.values()), others

    postgres.start()
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/audit", headers=headers).status_code == 200
    signed_in = client.post("/dang-nhap", data={"username": "quantri", "password": "mat-khau-dung-123"})
    assert signed_in.status_code == 302 and client.get("/quan-ly/").status_code == 200
