"""Results of a unit's staff, for its manager: a table and its XLSX export."""

from sqlalchemy import select

from certificates.lifecycle import STANDING_NAMES
from certificates.vietnam_time import vietnam_date

from . import issuing
from .models import Attempt, Audience, Certificate, ExamSession, Unit, User
from .spreadsheets import table_xlsx
from .units import subtree_ids

COLUMNS = [
    ("full_name", "Họ và tên"), ("username", "Tên đăng nhập"), ("unit", "Đơn vị"), ("audience", "Đối tượng"),
    ("session", "Kỳ sát hạch"), ("closed_at", "Ngày làm bài"), ("percent", "Tỷ lệ (%)"),
    ("score_10", "Điểm (thang 10)"),
    ("classification", "Xếp loại"), ("passed", "Đạt chuẩn"), ("certificate", "Số hiệu chứng nhận"),
    ("certificate_status", "Tình trạng chứng nhận"),
]


def unit_results_query(unit: Unit):
    """Closed, scored attempts of everyone in the unit and below, newest first."""
    return (select(Attempt, User, Unit, Audience, ExamSession)
            .join(User, User.id == Attempt.user_id)
            .join(Unit, Unit.id == User.unit_id)
            .join(Audience, Audience.code == User.audience_code)
            .join(ExamSession, ExamSession.id == Attempt.session_id)
            .where(User.unit_id.in_(subtree_ids(unit.id)), Attempt.status == "submitted")
            .order_by(Attempt.closed_at.desc(), Attempt.id.desc()))


def result_row(attempt: Attempt, user: User, unit: Unit, audience: Audience, session: ExamSession,
               certificate: Certificate | None) -> dict:
    result = attempt.result or {}
    return {
        "attempt_id": attempt.id, "full_name": user.full_name, "username": user.username, "unit": unit.name,
        "audience": audience.name, "session": session.title, "closed_at": vietnam_date(attempt.closed_at).isoformat(),
        "percent": result.get("percent"), "score_10": result.get("score_10"),
        "classification": result.get("classification_name"), "passed": result.get("passed"),
        "certificate": certificate.serial if certificate else None,
        "certificate_status": issuing.standing(certificate) if certificate else None,
    }


def result_rows(found) -> list[dict]:
    """The table's rows for rows of `unit_results_query`, each with the attempt's newest certificate."""
    certificates = certificates_of([row[0].id for row in found])
    return [result_row(*row, certificates.get(row[0].id)) for row in found]


def certificates_of(attempt_ids: list[int]) -> dict[int, Certificate]:
    """The newest certificate of each attempt (a reissue replaces the original)."""
    from .extensions import db

    newest: dict[int, Certificate] = {}
    for cert in db.session.scalars(select(Certificate).where(Certificate.attempt_id.in_(attempt_ids))
                                   .order_by(Certificate.reissue_no)):
        newest[cert.attempt_id] = cert
    return newest


def shown(row: dict) -> dict:
    """A row as people read it, on the page and in the XLSX: Vietnamese words for its codes."""
    return {**row, "passed": "Có" if row["passed"] else "Không",
            "certificate_status": STANDING_NAMES.get(row["certificate_status"])}


def to_xlsx(rows: list[dict], title: str) -> bytes:
    return table_xlsx(title, COLUMNS, [shown(row) for row in rows])
