"""The Alembic migrations build the schema and every revision downgrades, on SQLite and on PostgreSQL."""

import os
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from service import create_app
from service.config import normalise_database_url
from service.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the kind under test, separate from the suite's."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    # Named after the suite's database, so that suites run against one server at once never share it.
    base, suite = normalise_database_url(PG_URL).rsplit("/", 1)
    name = f"{suite}_migrations"
    admin = create_engine(normalise_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        created = tables(scratch_url)
        assert {"users", "units", "item_versions", "attempts", "certificates", "audit_log"} <= created
        assert set(db.metadata.tables) <= created  # every model has its table
        downgrade(directory=MIGRATIONS, revision="base")
        assert tables(scratch_url) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS)
        assert tables(scratch_url) == created
        db.engine.dispose()


# The smallest chain of rows a certificate stands on, as the schema before 9ae2f366e694 holds them.
BEFORE_FROZEN_CERTIFICATES = [
    "INSERT INTO audiences (code, name, position) VALUES ('cong_chuc', 'Công chức', 0)",
    "INSERT INTO blueprints (id, code, version, name, audience_code, duration_minutes, framework_version, spec,"
    " current) VALUES (1, 'BP', 1, 'Đề', 'cong_chuc', 30, '1', '{}', true)",
    "INSERT INTO users (id, username, password_hash, role, full_name, active, token_version, failed_logins,"
    " created_at) VALUES (1, 'thisinh', 'x', 'candidate', 'Thí Sinh', true, 1, 0, '2026-01-01 00:00:00')",
    "INSERT INTO exam_sessions (id, title, blueprint_id, opens_at, closes_at, max_attempts, retake_gap_minutes,"
    " review_mode, created_at) VALUES (1, 'Kỳ', 1, '2026-01-01 00:00:00', '2026-01-02 00:00:00', 1, 0, 'areas',"
    " '2026-01-01 00:00:00')",
    "INSERT INTO attempts (id, session_id, user_id, number, status, seed, blueprint_id, framework_version,"
    " started_at, deadline) VALUES (1, 1, 1, 1, 'submitted', 1, 1, '1', '2026-01-01 00:00:00',"
    " '2026-01-01 00:30:00')",
    "INSERT INTO token_keys (kid, algorithm, public_key, status, valid_from) VALUES ('k1', 'EdDSA', 'x', 'active',"
    " '2026-01-01 00:00:00')",
    "INSERT INTO certificates (id, public_id, serial, attempt_id, reissue_no, user_id, holder_name, audience_name,"
    " issuer_name, percent, score_10, classification_code, classification_name, issued_at, issued_on, status,"
    " token_kid, token) VALUES (1, 'p', 'BTR-2026-000001-1', 1, 0, 1, 'Thí Sinh', 'Công chức', 'Sở', 90, 9,"
    " 'gioi', 'Giỏi', '2026-01-01 00:00:00', '2026-01-01', 'valid', 'k1', 'a.b.c')",
]


def test_certificates_issued_before_get_the_place_and_address_they_were_made_with(scratch_url):
    before = ScriptDirectory(MIGRATIONS).get_revision("9ae2f366e694").down_revision
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "ISSUER_PLACE": "Bến Tre",
                      "PUBLIC_BASE_URL": "https://sathach.bentre.gov.vn"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=before)
        with db.engine.begin() as conn:
            for statement in BEFORE_FROZEN_CERTIFICATES:
                conn.execute(text(statement))
        upgrade(directory=MIGRATIONS, revision="9ae2f366e694")
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT issuer_place, verify_url_prefix FROM certificates")).one()
        assert tuple(row) == ("Bến Tre", "https://sathach.bentre.gov.vn/v/")
        downgrade(directory=MIGRATIONS, revision=before)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT serial FROM certificates")).scalar() == "BTR-2026-000001-1"
        db.engine.dispose()


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    from service.config import ConfigError

    monkeypatch.setenv("SATHACH_ENV", "production")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_without_redis(monkeypatch):
    """Per-process rate-limit counters would give each worker its own budget."""
    from service.config import ConfigError, from_environment

    environ = {"SATHACH_ENV": "production", "SECRET_KEY": "s" * 32}
    with pytest.raises(ConfigError, match="REDIS_URL"):
        from_environment(environ)
    config = from_environment({**environ, "REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert config["ENV_NAME"] == "production" and config["REDIS_URL"] == "redis://127.0.0.1:6379/15"
