"""Importing and exporting the question bank in XLSX, CSV, Moodle XML and GIFT."""

from sqlalchemy import select

from question_bank.formats import parse, serialize
from question_bank.item_types import get_item_type

from . import audit
from .bank import upsert_loaded_item, validate_item_data
from .extensions import db
from .models import ItemVersion, User


def import_file(data: bytes, fmt: str, actor: User | None, *, import_valid: bool = False,
                status: str = "draft", defaults: dict | None = None) -> dict:
    """Import a file and report, per question: created, updated, skipped (with reason), errors (with place
    and field). A file with any error imports nothing unless `import_valid` asks for the valid part.
    Imported items are drafts that go through review, like items written in the service. `defaults` fills
    competence, level and audiences where the file has none (files from Moodle carry none)."""
    parsed = parse(fmt, data)
    errors = [{"location": i.location, "field": i.field, "message": i.message}
              for i in parsed.issues if i.kind == "error"]
    skipped = [{"location": i.location, "code": None, "reason": i.message}
               for i in parsed.issues if i.kind == "skipped"]
    valid = []
    for entry in parsed.entries:
        for name, value in (defaults or {}).items():
            if not entry.item.get(name):
                entry.item[name] = value
        problems = validate_item_data(entry.item)
        if problems:
            errors.extend({"location": entry.location, "field": field, "message": message}
                          for field, message in problems)
        else:
            valid.append(entry)
    report = {"format": fmt, "questions": len(parsed.entries) + len(parsed.issues), "created": [], "updated": [],
              "skipped": skipped, "errors": errors, "imported": False}
    if errors and not import_valid:
        return report
    for entry in valid:
        outcome = upsert_loaded_item(entry.item, status=status, actor=actor)
        if outcome.result == "skipped":
            report["skipped"].append({"location": entry.location, "code": outcome.code,
                                      "reason": "Không thay đổi so với ngân hàng."})
        else:
            report[outcome.result].append({"location": entry.location, "code": outcome.code})
    report["imported"] = True
    audit.record(actor, "bank.import", "bank", fmt, created=len(report["created"]),
                 updated=len(report["updated"]), skipped=len(report["skipped"]), errors=len(errors))
    return report


def interchange_of(version: ItemVersion) -> dict:
    options, key = get_item_type(version.type).to_interchange(version.options, version.key)
    return {
        "code": version.item.code, "type": version.type, "stem": version.stem, "options": options, "key": key,
        "explanation": version.explanation, "competence": version.competence_code, "level": version.level_code,
        "audiences": version.audience_codes, "source": version.source, "enemy_group": version.enemy_group,
    }


def export_versions(query, fmt: str) -> bytes:
    versions = db.session.scalars(query).all()
    return serialize(fmt, [interchange_of(v) for v in versions])


def latest_versions_query():
    latest = (select(ItemVersion.item_id, db.func.max(ItemVersion.number).label("n"))
              .group_by(ItemVersion.item_id).subquery())
    return (select(ItemVersion)
            .join(latest, (ItemVersion.item_id == latest.c.item_id) & (ItemVersion.number == latest.c.n))
            .order_by(ItemVersion.item_id))

