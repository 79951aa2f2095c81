"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. Either way the schema
is built once by the Alembic migrations; each test then starts from an empty database (a copy of the
migrated SQLite file, or TRUNCATE on PostgreSQL)."""

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


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A migrated database; yields (url, reset) where reset() empties every table."""
    if PG_URL:
        url = normalise_database_url(PG_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        _migrate(url)
        with engine.connect() as conn:
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
            ))]
        truncate = text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

        def reset():
            with engine.begin() as conn:
                conn.execute(truncate)

        yield url, reset
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        engine.dispose()
    else:
        folder = tmp_path_factory.mktemp("db")
        template = folder / "template.db"
        live = folder / "test.db"
        _migrate(f"sqlite:///{template}")

        def reset():
            shutil.copyfile(template, live)

        yield f"sqlite:///{live}", reset


def _migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory):
    """One development CA and token key for the whole run (made by the first `init_keys`)."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def app(database, keys_dir):
    url, reset = database
    reset()
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
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
    """The shipped criteria, blueprints and starter bank, loaded as `flask bank load` does."""
    result = app.test_cli_runner().invoke(args=["bank", "load"])
    assert result.exit_code == 0, result.output
    return result


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
