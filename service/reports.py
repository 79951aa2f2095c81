"""Reports for the yearly report on the plan: progress against its targets, and the competence profile
(where training is needed). Computed from closed attempts and issued certificates."""

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from certificates.vietnam_time import vietnam_midnight

from .extensions import db
from .models import Area, Attempt, Audience, Certificate, Enrolment, ExamSession, Unit, UnitType, User

TARGETS_FILE = Path(__file__).resolve().parent / "data" / "targets.yaml"


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The stored (naive UTC) times between which `year` runs in Viet Nam."""
    return vietnam_midnight(date(year, 1, 1)), vietnam_midnight(date(year + 1, 1, 1))


def _closed_attempts(year: int):
    start, end = _year_bounds(year)
    return db.session.execute(
        select(Attempt, User).join(User, User.id == Attempt.user_id)
        .where(Attempt.status == "submitted", Attempt.closed_at >= start, Attempt.closed_at < end)).all()


def progress(year: int) -> dict:
    """Enrolled, sat, passed and certified people in `year`, by audience and by unit type, beside the targets."""
    targets = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    start, end = _year_bounds(year)
    people: dict[str, set] = {name: set() for name in ("enrolled", "sat", "passed", "certified")}
    people["enrolled"] = set(db.session.scalars(
        select(Enrolment.user_id).join(ExamSession, ExamSession.id == Enrolment.session_id)
        .where(ExamSession.opens_at >= start, ExamSession.opens_at < end)))
    for attempt, user in _closed_attempts(year):
        people["sat"].add(user.id)
        if attempt.result and attempt.result.get("passed"):
            people["passed"].add(user.id)
    people["certified"] = set(db.session.scalars(
        select(Certificate.user_id).where(Certificate.issued_at >= start, Certificate.issued_at < end,
                                          Certificate.status != "revoked")))
    everyone = set().union(*people.values())
    facts = {u.id: (u.audience_code, u.unit.type_code if u.unit else None)
             for u in db.session.scalars(select(User).where(User.id.in_(everyone)))}

    def counts(index, codes):
        table = {code: {name: 0 for name in people} for code in codes}
        for name, ids in people.items():
            for user_id in ids:
                key = facts[user_id][index]
                if key in table:
                    table[key][name] += 1
        return table

    audiences = db.session.scalars(select(Audience).order_by(Audience.position)).all()
    by_audience = counts(0, [a.code for a in audiences])
    unit_types = db.session.scalars(select(UnitType).order_by(UnitType.structure, UnitType.code)).all()
    by_unit_type = counts(1, [t.code for t in unit_types])
    return {
        "year": year,
        "plan": targets["plan"],
        "by_audience": [{"code": a.code, "name": a.name,
                         "target": targets["per_year"].get(a.code, {}).get(year), **by_audience[a.code]}
                        for a in audiences],
        "by_unit_type": [{"code": t.code, "name": t.name, "structure": t.structure,
                          "target_to_2025": targets["per_unit_type"].get(t.code, {}).get("people"),
                          **by_unit_type[t.code]} for t in unit_types],
    }


def competence_profile(year: int) -> dict:
    """Mean score per area by unit and audience, and the share of candidates under the area minimum among
    those whose form held enough items of the area for the minimum to apply (None when it applied to none)."""
    groups: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for attempt, user in _closed_attempts(year):
        for area in (attempt.result or {}).get("areas", []):
            groups[(user.unit_id, user.audience_code)][area["code"]].append(
                (area["percent"], area["passed"], area.get("minimum_applies", True)))
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    audiences = {a.code: a.name for a in db.session.scalars(select(Audience))}
    area_names = {a.code: a.name for a in db.session.scalars(select(Area))}
    rows = []
    for (unit_id, audience), by_area in sorted(groups.items(), key=lambda g: (units[g[0][0]].code, g[0][1])):
        for code, values in sorted(by_area.items()):
            judged = [passed for _, passed, applies in values if applies]
            rows.append({
                "unit": units[unit_id].code, "unit_name": units[unit_id].name,
                "audience": audience, "audience_name": audiences.get(audience, audience),
                "area": code, "area_name": area_names.get(code, code), "attempts": len(values),
                "mean_percent": round(sum(p for p, _, _ in values) / len(values), 2),
                "minimum_applied": len(judged),
                "below_minimum_share": round(judged.count(False) / len(judged), 4) if judged else None,
            })
    return {"year": year, "items": rows}


PROGRESS_COLUMNS = [("name", "Đối tượng / loại đơn vị"), ("target", "Chỉ tiêu năm"),
                    ("target_to_2025", "Nhu cầu đến 2025"), ("enrolled", "Được ghi danh"), ("sat", "Đã dự thi"),
                    ("passed", "Đạt chuẩn"), ("certified", "Được cấp chứng nhận")]
PROFILE_COLUMNS = [("unit_name", "Đơn vị"), ("audience_name", "Đối tượng"), ("area_name", "Lĩnh vực"),
                   ("attempts", "Số bài"), ("mean_percent", "Điểm trung bình (%)"),
                   ("minimum_applied", "Số bài xét mức tối thiểu"), ("below_minimum_share", "Tỷ lệ dưới mức tối thiểu")]
