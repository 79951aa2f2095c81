"""The web pages' sessions are records on the server: signing out, a password change and a deactivation end them
for every copy of the cookie, not only in the browser that asked."""

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from service import clock
from service.extensions import db
from service.models import AuditEntry, WebSession
from tests.web.pages import csrf_of, sign_in


def copy_of(client: FlaskClient, app) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    return other


def signed_in(client: FlaskClient) -> bool:
    return client.get("/thi-sinh").status_code == 200


def sessions_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == user.id))


def test_signing_out_ends_the_session_on_the_server(app, client, make_user):
    person = make_user("candidate")
    token = sign_in(client, person)
    copied = copy_of(client, app)
    assert signed_in(copied) and sessions_of(person) == 1
    key = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert db.session.scalar(select(WebSession.key_sha256)) not in key  # the table keeps a hash, not the key

    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
    assert not signed_in(copied) and not signed_in(client) and sessions_of(person) == 0
    # Signing in again opens a new session; the copied cookie stays dead.
    sign_in(client, person)
    assert signed_in(client) and not signed_in(copied)


def test_a_password_change_ends_every_session_and_token(app, client, make_user, auth_headers):
    person = make_user("candidate")
    sign_in(client, person)
    phone = app.test_client()
    sign_in(phone, person)
    bearer = auth_headers(person)
    assert sessions_of(person) == 2
    form = client.get("/doi-mat-khau").get_data(as_text=True)
    changed = client.post("/doi-mat-khau", data={"current_password": "mat-khau-dung-123",
                                                 "new_password": "mat-khau-moi-dai", "csrf_token": csrf_of(form)})
    assert changed.status_code == 302
    assert not signed_in(client) and not signed_in(phone) and sessions_of(person) == 0
    assert client.get("/api/v1/exam-sessions", headers=bearer).status_code == 401


def test_a_password_change_through_the_api_ends_the_web_sessions(app, client, make_user, auth_headers):
    person = make_user("candidate")
    sign_in(client, person)
    changed = app.test_client().post("/api/v1/auth/password", headers=auth_headers(person), json={
        "current_password": "mat-khau-dung-123", "new_password": "mat-khau-moi-dai"})
    assert changed.status_code == 200 and not signed_in(client)


def test_deactivation_ends_every_session_and_token(app, client, make_user, auth_headers):
    person = make_user("candidate")
    sign_in(client, person)
    bearer = auth_headers(person)
    runner = app.test_cli_runner()
    done = runner.invoke(args=["users", "deactivate", person.username])
    assert done.exit_code == 0, done.output
    assert not signed_in(client) and sessions_of(person) == 0
    assert client.get("/api/v1/exam-sessions", headers=bearer).status_code == 401
    page = client.get("/dang-nhap").get_data(as_text=True)
    refused = client.post("/dang-nhap", data={"username": person.username, "password": "mat-khau-dung-123",
                                              "csrf_token": csrf_of(page)})
    assert refused.status_code == 401 and sessions_of(person) == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
    assert entry.target_id == str(person.id) and entry.details["via"] == "cli"

    assert runner.invoke(args=["users", "activate", person.username]).exit_code == 0
    sign_in(client, person)
    assert signed_in(client)
    unknown = runner.invoke(args=["users", "deactivate", "khong-co-ai"])
    assert unknown.exit_code != 0 and "Không có tài khoản" in unknown.output


def test_a_session_ends_when_a_token_would(app, client, make_user, clock_at):
    person = make_user("candidate")
    start = clock.now()
    clock_at(start)
    sign_in(client, person)
    clock_at(start + timedelta(seconds=app.config["TOKEN_TTL_SECONDS"] - 1))
    assert signed_in(client)
    clock_at(start + timedelta(seconds=app.config["TOKEN_TTL_SECONDS"]))
    assert not signed_in(client)
    sign_in(client, person)  # signing in again clears the account's expired records
    assert sessions_of(person) == 1
