"""Reports for the yearly report on the plan: progress against its targets, and the competence profile
(where training is needed). Computed from closed attempts and issued certificates."""

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import distinct, func, literal, select, union_all

from certificates.vietnam_time import vietnam_midnight

from .extensions import db
from .models import Area, Attempt, Audience, Certificate, Enrolment, ExamSession, Unit, UnitType, User
from .spreadsheets import tables_xlsx

TARGETS_FILE = Path(__file__).resolve().parent / "data" / "targets.yaml"


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The stored (naive UTC) times between which `year` runs in Viet Nam."""
    return vietnam_midnight(date(year, 1, 1)), vietnam_midnight(date(year + 1, 1, 1))


def _closed_attempts(year: int):
    start, end = _year_bounds(year)
    return db.session.execute(
        select(Attempt, User).join(User, User.id == Attempt.user_id)
        .where(Attempt.status == "submitted", Attempt.closed_at >= start, Attempt.closed_at < end)).all()


MEASURES = ("enrolled", "sat", "passed", "certified")


def _people_counts(year: int) -> list:
    """(unit code, name and type, audience, measure, people) for `year`, in one grouped query: each person
    counts once per measure (enrolled in a session opening in the year, sat or passed an attempt closed in it,
    holding a certificate issued in it and not revoked); people without a unit have None for the unit."""
    start, end = _year_bounds(year)
    closed = (Attempt.status == "submitted", Attempt.closed_at >= start, Attempt.closed_at < end)
    facts = union_all(
        select(Enrolment.user_id.label("user_id"), literal("enrolled").label("measure"))
        .join(ExamSession, ExamSession.id == Enrolment.session_id)
        .where(ExamSession.opens_at >= start, ExamSession.opens_at < end),
        select(Attempt.user_id, literal("sat")).where(*closed),
        select(Attempt.user_id, literal("passed")).where(*closed, Attempt.result["passed"].as_boolean().is_(True)),
        select(Certificate.user_id, literal("certified"))
        .where(Certificate.issued_at >= start, Certificate.issued_at < end, Certificate.status != "revoked"),
    ).subquery()
    group = (Unit.code, Unit.name, Unit.type_code, User.audience_code, facts.c.measure)
    return db.session.execute(
        select(*group, func.count(distinct(facts.c.user_id)))
        .join(User, User.id == facts.c.user_id).outerjoin(Unit, Unit.id == User.unit_id)
        .group_by(*group)).all()


def progress(year: int) -> dict:
    """Enrolled, sat, passed and certified people in `year`, by audience and by unit type beside the plan's
    targets, and by unit and audience (the units where anyone was counted)."""
    targets = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    audiences = db.session.scalars(select(Audience).order_by(Audience.position)).all()
    unit_types = db.session.scalars(select(UnitType).order_by(UnitType.structure, UnitType.code)).all()
    by_audience = {a.code: dict.fromkeys(MEASURES, 0) for a in audiences}
    by_unit_type = {t.code: dict.fromkeys(MEASURES, 0) for t in unit_types}
    by_unit: dict[tuple, dict] = {}
    for unit_code, unit_name, type_code, audience, measure, people in _people_counts(year):
        if audience in by_audience:
            by_audience[audience][measure] += people
        if type_code in by_unit_type:
            by_unit_type[type_code][measure] += people
        row = by_unit.setdefault((unit_code, audience), {
            "unit": unit_code, "unit_name": unit_name, "unit_type": type_code, "audience": audience,
            **dict.fromkeys(MEASURES, 0)})
        row[measure] += people
    audience_names = {a.code: a.name for a in audiences}
    position = {a.code: index for index, a in enumerate(audiences)}

    def unit_order(row):  # by unit code (people without a unit last), then audience as the framework lists them
        return row["unit"] is None, row["unit"] or "", position.get(row["audience"], len(position))

    return {
        "year": year,
        "plan": targets["plan"],
        "by_audience": [{"code": a.code, "name": a.name,
                         "target": targets["per_year"].get(a.code, {}).get(year), **by_audience[a.code]}
                        for a in audiences],
        "by_unit_type": [{"code": t.code, "name": t.name, "structure": t.structure,
                          "target_to_2025": targets["per_unit_type"].get(t.code, {}).get("people"),
                          **by_unit_type[t.code]} for t in unit_types],
        "by_unit": [{**row, "audience_name": audience_names.get(row["audience"])}
                    for row in sorted(by_unit.values(), key=unit_order)],
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
UNIT_PROGRESS_COLUMNS = [("unit", "Mã đơn vị"), ("unit_name", "Đơn vị"), ("audience_name", "Đối tượng"),
                         ("enrolled", "Được ghi danh"), ("sat", "Đã dự thi"), ("passed", "Đạt chuẩn"),
                         ("certified", "Được cấp chứng nhận")]
NO_UNIT = "(chưa gán đơn vị)"


def progress_xlsx(report: dict) -> bytes:
    """`progress()` as a workbook: audiences and unit types beside the targets, then units by audience."""
    year = report["year"]
    units = [{**row, "unit_name": row["unit_name"] or NO_UNIT} for row in report["by_unit"]]
    return tables_xlsx([(f"Tiến độ năm {year}", PROGRESS_COLUMNS, report["by_audience"] + report["by_unit_type"]),
                        (f"Theo đơn vị năm {year}", UNIT_PROGRESS_COLUMNS, units)])


def competence_xlsx(report: dict) -> bytes:
    """`competence_profile()` as a workbook of one sheet."""
    return tables_xlsx([(f"Năng lực số năm {report['year']}", PROFILE_COLUMNS, report["items"])])
