"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. Either way the schema
is built once by the Alembic migrations, and the shipped bank is loaded once (as `flask bank load` does) into
a template; each test then starts from a copy: of the migrated, empty database, or of the template with the
bank when it asks for the `bank` fixture. On SQLite a copy is a file copy. On PostgreSQL the tables are
emptied and the bank's rows copied back from a schema that holds them, in one transaction: 20–70 ms, where
TRUNCATE of every table takes 100–300 ms and a new database from a template database about 80 ms (and
writes the whole database to the WAL each time)."""

import functools
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from service import create_app
from service.config import normalise_database_url
from service.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL")
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class SqliteDatabase:
    """Migrated once; each test gets a file copy of the empty or the banked template."""

    def __init__(self, folder: Path):
        self.empty, self.live = folder / "empty.db", folder / "test.db"
        self.url = f"sqlite:///{self.live}"
        _migrate(f"sqlite:///{self.empty}")

    @functools.cached_property
    def banked(self) -> Path:
        path = self.empty.with_name("bank.db")
        shutil.copyfile(self.empty, path)
        _load_bank(f"sqlite:///{path}")
        return path

    def reset(self, *, bank: bool) -> None:
        shutil.copyfile(self.banked if bank else self.empty, self.live)

    def close(self) -> None:
        pass


class PostgresDatabase:
    """Migrated once into the public schema; the bank's rows are kept in the schema `bank_template`."""

    TEMPLATE = "bank_template"

    def __init__(self, url: str):
        self.url = normalise_database_url(url)
        self.engine = create_engine(self.url)
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {self.TEMPLATE} CASCADE; DROP SCHEMA public CASCADE; "
                              "CREATE SCHEMA public;"))
        _migrate(self.url)
        with self.engine.connect() as conn:
            tables = {name for (name,) in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))}
            sequences = list(conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")))
        assert tables == set(db.metadata.tables), "every table is a model's"
        # Children before parents. The audit log refuses DELETE, not TRUNCATE; it goes first, as it refers to users.
        children_first = [table.name for table in reversed(db.metadata.sorted_tables) if table.name != "audit_log"]
        self.empty = "TRUNCATE audit_log; " + " ".join(f"DELETE FROM {name};" for name in children_first) + " " \
            + " ".join(f"SELECT setval('{name}', 1, false);" for name in sequences)

    @functools.cached_property
    def restore_bank(self) -> str:
        """Load the bank once, keep its rows in the template schema; the SQL that copies them back."""
        self.reset(bank=False)
        _load_bank(self.url)
        order = [table.name for table in db.metadata.sorted_tables]  # parents before children
        copies, sequences = [], []
        with self.engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.TEMPLATE}"))
            for table in order:
                if conn.scalar(text(f"SELECT EXISTS (SELECT FROM {table})")):
                    conn.execute(text(f"CREATE TABLE {self.TEMPLATE}.{table} AS SELECT * FROM {table}"))
                    copies.append(f"INSERT INTO {table} SELECT * FROM {self.TEMPLATE}.{table};")
                    sequence = conn.scalar(text(f"SELECT pg_get_serial_sequence('{table}', 'id')")) \
                        if "id" in db.metadata.tables[table].c else None
                    if sequence:
                        sequences.append(f"SELECT setval('{sequence}', (SELECT max(id) FROM {table}));")
        return " ".join(copies + sequences)

    def reset(self, *, bank: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(self.empty + (self.restore_bank if bank else "")))

    def close(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {self.TEMPLATE} CASCADE; DROP SCHEMA public CASCADE; "
                              "CREATE SCHEMA public;"))
        self.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The suite's database: `.url`, and `.reset(bank=...)` to start a test from a template."""
    found = PostgresDatabase(PG_URL) if PG_URL else SqliteDatabase(tmp_path_factory.mktemp("db"))
    yield found
    found.close()


def _migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        db.engine.dispose()


def _load_bank(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["bank", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory):
    """One development CA and token key for the whole run (made by the first `init_keys`)."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def app(request, database, keys_dir):
    database.reset(bank="bank" in request.fixturenames)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database.url,
        "SECRET_KEY": "test-secret",
        "KEYS_DIR": str(keys_dir),
        "PUBLIC_BASE_URL": "https://sathach.example.vn",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASHER": "test",
    })
    with app.app_context():
        from service.keystore import init_keys

        init_keys()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_user(app):
    """Factory: make_user(role="candidate", **overrides) -> User (password "mat-khau-dung-123")."""
    from service.accounts import create_account

    counter = iter(range(1, 100000))

    def make(role="candidate", **overrides):
        n = next(counter)
        fields = {
            "username": f"{role}{n}",
            "password": "mat-khau-dung-123",
            "role": role,
            "full_name": f"Nguyễn Văn Thử {n}",
            "audience_code": None,
        }
        fields.update(overrides)
        if role == "candidate":
            fields.setdefault("birth_date", date(1990, 5, 17))
            fields.setdefault("unit_code", _ensure_unit("BTR-BATRI", "Ủy ban nhân dân huyện Ba Tri"))
            if fields["audience_code"] is None:
                _ensure_audience("cong_chuc")
                fields["audience_code"] = "cong_chuc"
        user = create_account(**fields)
        db.session.commit()
        return user

    return make


def _ensure_unit(code, name):
    from sqlalchemy import select

    from service.models import Unit, UnitType

    if db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
        if db.session.get(UnitType, "ubnd_huyen") is None:
            db.session.add(UnitType(code="ubnd_huyen", name="Ủy ban nhân dân huyện", structure="2021"))
        db.session.add(Unit(code=code, name=name, type_code="ubnd_huyen", structure="2021"))
        db.session.flush()
    return code


def _ensure_audience(code):
    from service.models import Audience

    if db.session.get(Audience, code) is None:
        db.session.add(Audience(code=code, name=code))
        db.session.flush()


@pytest.fixture
def auth_headers(app):
    """auth_headers(user) -> {"Authorization": "Bearer …"} for a user made by make_user."""
    from service.auth import issue_token

    return lambda user: {"Authorization": f"Bearer {issue_token(user)}"}


@pytest.fixture
def bank(app):
    """The shipped criteria, blueprints and starter bank, as `flask bank load` leaves them: the test's database
    starts from the template they were loaded into once (see `app`)."""


@pytest.fixture
def clock_at(app):
    """clock_at(moment) sets the service's clock; returns a setter usable many times."""
    def set_clock(moment):
        app.config["CLOCK"] = lambda: moment
        return moment

    return set_clock


@pytest.fixture
def make_session(app, make_user):
    """Factory: make_session(candidates, blueprint="BP-CCVC", **overrides) -> ExamSession, open now."""
    from datetime import timedelta

    from service import clock, exams

    def make(candidates, blueprint="BP-CCVC", **overrides):
        now = clock.now()
        data = {"title": "Kỳ sát hạch kiểm thử", "blueprint": blueprint, "opens_at": now - timedelta(minutes=1),
                "closes_at": now + timedelta(days=1), "candidates": [c.username for c in candidates],
                "units": [], "max_attempts": 1, "retake_gap_minutes": 0, "review_mode": "full"}
        data.update(overrides)
        session = exams.create_session(data, make_user("proctor"))
        db.session.commit()
        return session

    return make


@pytest.fixture
def sit_exam(client, auth_headers):
    """sit_exam(person, session_id, right=True) -> the submit body: start, answer every item right (or leave
    them all unanswered), submit."""
    from sqlalchemy import select

    from service.models import AttemptItem, ItemVersion

    def sit(person, session_id, right=True):
        headers = auth_headers(person)
        attempt = client.post(f"/api/v1/exam-sessions/{session_id}/attempts", headers=headers).get_json()
        for entry in attempt["items"] if right else []:
            key = db.session.scalar(select(ItemVersion.key).join(AttemptItem).where(
                AttemptItem.attempt_id == attempt["id"], AttemptItem.position == entry["position"]))
            client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}", json={"answer": key},
                       headers=headers)
        return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()

    return sit
