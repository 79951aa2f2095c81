"""Loading the unit tree from data."""

from pathlib import Path

import yaml
from sqlalchemy import select

from question_bank.criteria import nfc

from .extensions import db
from .models import Unit, UnitType

UNITS_FILE = Path(__file__).resolve().parent / "data" / "units.yaml"


def load_units(path: Path = UNITS_FILE) -> int:
    """Upsert unit types and units (parents before children); returns how many units were added."""
    data = nfc(yaml.safe_load(path.read_text(encoding="utf-8")))
    for t in data["unit_types"]:
        row = db.session.get(UnitType, t["code"])
        if row is None:
            db.session.add(UnitType(code=t["code"], name=t["name"], structure=t["structure"]))
        else:
            row.name, row.structure = t["name"], t["structure"]
    db.session.flush()
    added = 0
    for u in data["units"]:
        row = db.session.scalar(select(Unit).where(Unit.code == u["code"]))
        parent = db.session.scalar(select(Unit).where(Unit.code == u["parent"])) if u.get("parent") else None
        if row is None:
            row = Unit(code=u["code"])
            db.session.add(row)
            added += 1
        row.name, row.type_code, row.structure = u["name"], u["type"], u["structure"]
        row.parent = parent
        db.session.flush()
    return added


def unit_subtree(unit_id: int) -> list[int]:
    """The unit and every unit below it."""
    ids, frontier = [unit_id], [unit_id]
    while frontier:
        frontier = list(db.session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids
