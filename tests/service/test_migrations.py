"""The Alembic migrations build the schema and every revision downgrades, on SQLite and on PostgreSQL."""

import os
from pathlib import Path

import pytest
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


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    from service.config import ConfigError

    monkeypatch.setenv("SATHACH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()
