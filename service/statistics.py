"""Item and blueprint statistics from real attempts, with Moodle's definitions (question_bank.statistics)."""

from sqlalchemy import func, select

from question_bank.statistics import FLAG_MESSAGES, flag_item, item_statistics, reliability

from .errors import ApiError
from .extensions import db
from .models import Attempt, AttemptItem, Blueprint, Item, ItemCalibration, ItemVersion


def blueprint_statistics(code: str) -> dict:
    """Per item (over the attempts that drew it) and per blueprint (Cronbach's alpha over form positions,
    as Moodle does for random questions), for the closed attempts of the blueprint's current version.

    :raise ApiError 404: no such blueprint.
    """
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.code == code, Blueprint.current))
    if blueprint is None:
        raise ApiError(404, "not_found", f"Không có cấu trúc đề {code}.")
    rows = db.session.execute(
        select(AttemptItem.attempt_id, AttemptItem.position, ItemVersion.item_id, AttemptItem.credit)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .where(Attempt.blueprint_id == blueprint.id, Attempt.status == "submitted")
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    ).all()
    attempts = sorted({r.attempt_id for r in rows})
    items = sorted({r.item_id for r in rows})
    row_of = {a: i for i, a in enumerate(attempts)}
    column_of = {item: j for j, item in enumerate(items)}
    by_item = [[None] * len(items) for _ in attempts]
    by_position = [[None] * blueprint.item_count for _ in attempts]
    for r in rows:
        by_item[row_of[r.attempt_id]][column_of[r.item_id]] = r.credit
        by_position[row_of[r.attempt_id]][r.position - 1] = r.credit
    codes = dict(db.session.execute(select(Item.id, Item.code).where(Item.id.in_(items))).all())
    calibrated = _calibrations(items)
    report = []
    for item_id, stats in zip(items, item_statistics(by_item) if attempts else [], strict=True):
        flags = flag_item(stats)
        report.append({
            "item_id": item_id, "code": codes[item_id], "attempts": stats.attempts, "facility": stats.facility,
            "sd": stats.sd, "discrimination": stats.discrimination,
            "discriminative_efficiency": stats.discriminative_efficiency,
            "flags": [{"code": f, "message": FLAG_MESSAGES[f]} for f in flags],
            "calibration": calibrated.get(item_id),
        })
    whole = reliability(by_position) if attempts else None
    return {
        "blueprint": blueprint.code, "version": blueprint.version, "attempts": len(attempts),
        "reliability": whole and {"attempts": whole.attempts, "items": whole.items, "mean": whole.mean,
                                  "sd": whole.sd, "alpha": whole.alpha, "sem": whole.sem},
        "items": report,
        "flagged": [r["code"] for r in report if any(f["code"] != "too_few_attempts" for f in r["flags"])],
    }


def submitted_attempts() -> dict[int, int]:
    """How many submitted attempts each blueprint version has (the attempts ``blueprint_statistics`` counts),
    by blueprint id; a version without one is absent."""
    return dict(db.session.execute(select(Attempt.blueprint_id, func.count()).where(Attempt.status == "submitted")
                                   .group_by(Attempt.blueprint_id)).all())


def _calibrations(item_ids: list[int]) -> dict[int, dict]:
    """Per item, the current calibration (flask bank calibrate) of its newest calibrated version."""
    found: dict[int, dict] = {}
    rows = db.session.execute(
        select(ItemVersion.item_id, ItemVersion.number, ItemCalibration.a, ItemCalibration.b, ItemCalibration.c,
               ItemCalibration.n, ItemCalibration.run_id)
        .join(ItemCalibration, ItemCalibration.item_version_id == ItemVersion.id)
        .where(ItemCalibration.current, ItemVersion.item_id.in_(item_ids)).order_by(ItemVersion.number))
    for r in rows:
        found[r.item_id] = {"version": r.number, "a": r.a, "b": r.b, "c": r.c, "n": r.n, "run": r.run_id}
    return found
