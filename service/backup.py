"""Backup and restore: the database and the keys folder together, in one archive.

A certificate is only as good as the keys that verify it and the rows that say it was issued, so the two
are saved and restored as one: ``flask backup create FILE`` writes a gzipped tar holding the database
(``pg_dump`` custom format on PostgreSQL, SQLite's online backup otherwise), every file of KEYS_DIR, and a
manifest with each member's SHA-256 and the row counts that a restore must find again.
``flask backup restore FILE`` refuses a database that already has tables and a keys folder that already
has files, checks every member against the manifest, restores, and compares the counts.

The archive holds private keys: it is written readable by its owner only; keep it as you keep KEYS_DIR."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from . import clock
from .extensions import db
from .models import Attempt, AttemptItem, AuditEntry, Certificate, ItemVersion

DATABASE_MEMBER = {"postgresql": "database.pgdump", "sqlite": "database.sqlite"}
COUNTED = {"certificates": Certificate, "attempts": Attempt, "attempt_items": AttemptItem,
           "item_versions": ItemVersion, "audit_log": AuditEntry}


class BackupError(RuntimeError):
    pass


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_MEMBER:
        raise BackupError(f"Không hỗ trợ sao lưu CSDL {name}.")
    return name


def _libpq_url() -> str:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _sqlite_path() -> Path:
    return Path(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database)


def _counts() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in COUNTED.items()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create(archive: Path) -> dict:
    """Write the archive; returns its manifest."""
    dialect = _dialect()
    keys = Path(current_app.config["KEYS_DIR"])
    with tempfile.TemporaryDirectory() as work:
        staging = Path(work)
        dump = staging / DATABASE_MEMBER[dialect]
        counts = _counts()
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.rollback()
        if dialect == "postgresql":
            _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", _libpq_url())
        else:
            source = sqlite3.connect(_sqlite_path())
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)
            source.close()
            target.close()
        key_files = sorted(p for p in keys.rglob("*") if p.is_file()) if keys.exists() else []
        members = {dump.name: dump, **{f"keys/{p.relative_to(keys).as_posix()}": p for p in key_files}}
        manifest = {
            "created_at": clock.now().isoformat() + "Z", "database": dialect, "alembic_revision": revision,
            "counts": counts, "files": {name: _sha256(path) for name, path in members.items()},
        }
        partial = archive.with_name(archive.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                tar.add(path, arcname=name)
        partial.replace(archive)
    return manifest


def restore(archive: Path) -> dict:
    """Restore the archive into the configured database (which must have no tables) and KEYS_DIR (which
    must have no files); returns the manifest. :raise BackupError: with a Vietnamese message."""
    dialect = _dialect()
    keys = Path(current_app.config["KEYS_DIR"])
    if inspect(db.engine).get_table_names():
        raise BackupError("CSDL đích đã có bảng: chỉ phục hồi vào một CSDL trống.")
    if keys.exists() and any(p.is_file() for p in keys.rglob("*")):
        raise BackupError(f"Thư mục khóa {keys} đã có tệp: chỉ phục hồi vào một thư mục trống.")
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, mode="r:gz") as tar:
        staging = Path(work)
        tar.extractall(staging, filter="data")  # refuses absolute paths, links out of the folder, devices
        manifest = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
        if manifest["database"] != dialect:
            raise BackupError(f"Bản sao lưu là của CSDL {manifest['database']}, không phục hồi vào {dialect}.")
        present = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()} - {"manifest.json"}
        if present != set(manifest["files"]):
            raise BackupError("Bản sao lưu không khớp với bảng kê của nó.")
        for name, digest in manifest["files"].items():
            if _sha256(staging / name) != digest:
                raise BackupError(f"Tệp {name} trong bản sao lưu đã bị thay đổi (SHA-256 không khớp).")
        dump = staging / DATABASE_MEMBER[dialect]
        db.session.remove()
        db.engine.dispose()
        if dialect == "postgresql":
            _run("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={_libpq_url()}",
                 str(dump))
        else:
            shutil.copyfile(dump, _sqlite_path())
        if (staging / "keys").exists():
            shutil.copytree(staging / "keys", keys, dirs_exist_ok=True)
    found = _counts()
    if found != manifest["counts"]:
        raise BackupError(f"Số dòng sau phục hồi khác bản sao lưu: {found} ≠ {manifest['counts']}.")
    return manifest


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{command[0]} thất bại: {done.stderr.strip()}")
