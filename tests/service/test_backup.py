"""Backup and restore: the database and the keys folder, restored into a new database and an empty keys
folder, give back every certificate still verifying (token and signed PDF) and every attempt intact."""

import io
import tarfile
import uuid

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from service import create_app
from service.extensions import db
from service.models import Attempt, AttemptItem, Certificate


def _rows(model):
    return sorted(({c.name: getattr(row, c.key) for c in model.__table__.columns if c.name != "pdf"}
                   for row in db.session.scalars(select(model))),
                  key=lambda r: tuple(r[c.name] for c in model.__table__.primary_key))


@pytest.fixture
def target_url(app, tmp_path):
    """A new, empty database of the same kind as the suite's."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield url.set(database=str(tmp_path / "restored.db")).render_as_string(hide_password=False)
        return
    name = f"sathach_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_a_restored_backup_verifies_every_certificate_and_keeps_every_attempt(
        app, client, bank, make_user, make_session, sit_exam, auth_headers, tmp_path, target_url):
    people = [make_user("candidate") for _ in range(3)]
    session = make_session(people, max_attempts=2)
    bodies = [sit_exam(person, session.id) for person in people[:2]]
    sit_exam(people[2], session.id, right=False)  # a fail: an attempt without certificate
    admin = make_user("admin")
    pdfs = {}
    for person, body in zip(people, bodies, strict=False):
        certificate = body["certificate"]
        pdfs[certificate["id"]] = client.get(f"/api/v1/certificates/{certificate['id']}/pdf",
                                             headers=auth_headers(person)).data
    revoked = bodies[1]["certificate"]["id"]
    assert client.post(f"/api/v1/certificates/{revoked}/revoke", json={"reason": "Thử thu hồi"},
                       headers=auth_headers(admin)).status_code == 200
    before = {"attempts": _rows(Attempt), "attempt_items": _rows(AttemptItem), "certificates": _rows(Certificate)}
    archive = tmp_path / "sao-luu.tar.gz"
    made = app.test_cli_runner().invoke(args=["backup", "create", str(archive)])
    assert made.exit_code == 0, made.output
    assert archive.stat().st_mode & 0o077 == 0  # it holds private keys

    keys = tmp_path / "restored-keys"
    restored = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": target_url, "KEYS_DIR": str(keys),
                           "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with restored.app_context():
        done = restored.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
        assert done.exit_code == 0, done.output
        after = {"attempts": _rows(Attempt), "attempt_items": _rows(AttemptItem), "certificates": _rows(Certificate)}
        assert after == before
        again = restored.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
        assert again.exit_code != 0 and "CSDL đích đã có bảng" in again.output  # never over live data
        other = restored.test_client()
        for certificate in before["certificates"]:
            expected = "revoked" if certificate["public_id"] == revoked else "valid"
            token = other.get(f"/api/v1/verify/{certificate['token']}").get_json()
            assert token["status"] == expected, token
            upload = {"file": (io.BytesIO(pdfs[certificate["public_id"]]), "chung-nhan.pdf")}
            pdf = other.post("/api/v1/verify/pdf", data=upload).get_json()
            assert pdf["status"] == expected, pdf
        db.session.remove()
        db.engine.dispose()


def test_a_tampered_archive_restores_nothing(app, bank, tmp_path, target_url):
    archive = tmp_path / "sao-luu.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(archive)]).exit_code == 0
    tampered = tmp_path / "sua.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "keys/token.key":
                data = data.replace(b"A", b"B", 1)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    keys = tmp_path / "restored-keys"
    restored = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": target_url, "KEYS_DIR": str(keys),
                           "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with restored.app_context():
        done = restored.test_cli_runner().invoke(args=["backup", "restore", str(tampered)])
        assert done.exit_code != 0 and "keys/token.key" in done.output
        assert not keys.exists() or not any(keys.iterdir())
        assert inspect(db.engine).get_table_names() == []
        db.session.remove()
        db.engine.dispose()
