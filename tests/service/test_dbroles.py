"""Production's two database roles on a PostgreSQL of the test's own: the owner migrates and grants; the
service, connected as the runtime role, sits a whole exam, but cannot truncate, disable the triggers of,
drop, rewrite or back-date the audit log."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from service import create_app
from service.config import normalise_database_url
from service.extensions import db
from tests.pgcluster import PrivatePostgres

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _app(url, keys_dir):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                       "SECRET_KEY": "test-secret", "KEYS_DIR": str(keys_dir), "RATELIMIT_STORAGE_URI": "memory://",
                       "PASSWORD_HASHER": "test", "PUBLIC_BASE_URL": "https://sathach.example.vn"})


@pytest.fixture(scope="module")
def roles(tmp_path_factory):
    """(owner url, runtime url) of a database owned by `sathach_owner`, migrated and granted."""
    with PrivatePostgres() as postgres:
        admin = create_engine(normalise_database_url(postgres.url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE ROLE sathach_owner LOGIN"))
            conn.execute(text("CREATE ROLE sathach_app LOGIN"))
            conn.execute(text("CREATE DATABASE sathach OWNER sathach_owner"))
            conn.execute(text("REVOKE ALL ON DATABASE sathach FROM PUBLIC"))
            conn.execute(text("GRANT CONNECT ON DATABASE sathach TO sathach_app"))
        admin.dispose()
        base = f"postgresql://{{}}@127.0.0.1:{postgres.port}/sathach"
        owner_url, runtime_url = base.format("sathach_owner"), base.format("sathach_app")
        keys_dir = tmp_path_factory.mktemp("keys")
        owner = _app(owner_url, keys_dir)
        with owner.app_context():
            upgrade(directory=MIGRATIONS)
            result = owner.test_cli_runner().invoke(args=["db", "grant-runtime", "sathach_app"])
            assert result.exit_code == 0, result.output
            refused = owner.test_cli_runner().invoke(args=["db", "grant-runtime", "sathach_owner"])
            assert refused.exit_code != 0 and "chủ sở hữu" in refused.output
            db.session.remove()
            db.engine.dispose()
        yield owner_url, runtime_url, keys_dir


def test_the_service_sits_an_exam_as_the_runtime_role(roles):
    _, runtime_url, keys_dir = roles
    app = _app(runtime_url, keys_dir)
    with app.app_context():
        demo = app.test_cli_runner().invoke(args=["demo"])
        assert demo.exit_code == 0, demo.output
        password = re.search(r"thisinh\s+candidate\s+(\S+)", demo.output).group(1)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "thisinh", "password": password}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        session_id = client.get("/api/v1/exam-sessions", headers=headers).get_json()["items"][0]["id"]
        attempt = client.post(f"/api/v1/exam-sessions/{session_id}/attempts", headers=headers).get_json()

        from service.models import AttemptItem, ItemVersion

        for entry in attempt["items"]:
            key = db.session.scalar(select(ItemVersion.key).join(AttemptItem).where(
                AttemptItem.attempt_id == attempt["id"], AttemptItem.position == entry["position"]))
            saved = client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}",
                               json={"answer": key}, headers=headers)
            assert saved.status_code == 200
        submitted = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
        assert submitted["result"]["passed"] is True
        pdf = client.get(f"/api/v1/certificates/{submitted['certificate']['id']}/pdf", headers=headers)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("statement", [
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TABLE audit_log",
    "UPDATE audit_log SET action = 'rewritten'",
    "DELETE FROM audit_log",
    "DROP TABLE certificates",
    "TRUNCATE certificates CASCADE",
    "UPDATE alembic_version SET version_num = 'x'",
])
def test_the_runtime_role_cannot_rewrite_history(roles, statement):
    _, runtime_url, _ = roles
    engine = create_engine(normalise_database_url(runtime_url))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, action, target_type, target_id, details) "
                          "VALUES (now(), 'test.entry', 'test', '1', '{}')"))
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'test.entry'")) >= 1
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'rewritten'")) == 0
    engine.dispose()


def test_an_audit_entry_cannot_be_back_dated(roles):
    _, runtime_url, _ = roles
    engine = create_engine(normalise_database_url(runtime_url))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, action, target_type, target_id, details) "
                          "VALUES ('2020-01-01 00:00:00', 'test.backdated', 'test', '1', '{}')"))
        stamped = conn.scalar(text("SELECT at FROM audit_log WHERE action = 'test.backdated'"))
    engine.dispose()
    assert abs(stamped - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
