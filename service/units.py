"""The unit tree: loading it from data, and who manages which units (the one place the scope is written)."""

from pathlib import Path

import yaml
from sqlalchemy import ColumnElement, Select, false, select, true

from question_bank.criteria import nfc

from .extensions import db
from .models import Unit, UnitType, User

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


def subtree_ids(unit_id: int) -> Select:
    """The ids of the unit and of every unit below it, as one query (a recursive CTE) to use in `in_()`."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return select(tree.c.id)


def manages(user: User, unit_id: int | None) -> bool:
    """Whether `user` acts for the people of a unit: an admin for every unit, a unit manager for their own unit
    and every unit below it, nobody else (and nobody for people without a unit)."""
    if user.role == "admin":
        return True
    if user.role != "unit_manager" or user.unit_id is None or unit_id is None:
        return False
    tree = subtree_ids(user.unit_id).subquery()
    return db.session.scalar(select(tree.c.id).where(tree.c.id == unit_id)) is not None


def in_scope(unit_id: ColumnElement, user: User) -> ColumnElement[bool]:
    """The condition that keeps, of rows whose unit is `unit_id`, those `manages` allows `user` to see."""
    if user.role == "admin":
        return true()
    if user.role != "unit_manager" or user.unit_id is None:
        return false()
    return unit_id.in_(subtree_ids(user.unit_id))


def tree_options(within: Unit | None = None) -> list[dict]:
    """Active units depth first (all of them, or `within` and the units below it), each with its depth, so that
    a select shows the tree."""
    children: dict[int | None, list[Unit]] = {}
    for unit in db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.code)):
        children.setdefault(unit.parent_id, []).append(unit)
    roots = [within] if within is not None else children.get(None, [])
    options, stack = [], [(unit, 0) for unit in reversed(roots)]
    while stack:
        unit, depth = stack.pop()
        options.append({"code": unit.code, "name": unit.name, "depth": depth})
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.id, [])))
    return options
