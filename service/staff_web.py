"""Web pages for staff: proctors watch sessions and act on attempts, reviewers review items, unit managers
see their staff's results, admins see the reports. Every action calls the operation the API calls."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from . import bank, clock, exams, issuing, reports, results
from .errors import ApiError
from .extensions import db
from .models import Attempt, ExamSession, ItemVersion, Unit
from .units import unit_subtree
from .web import page_for

staff = Blueprint("staff", __name__, url_prefix="/quan-ly")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def staff_page(*roles):
    return page_for(set(roles) | {"admin"})


def act(operation, success: str):
    """Run an operation from a form: commit and flash `success`, or roll back and flash its error."""
    try:
        operation()
    except ApiError as exc:
        db.session.rollback()
        flash(exc.message)
    else:
        db.session.commit()
        flash(success)


@staff.get("/")
@staff_page("author", "reviewer", "proctor", "unit_manager")
def home(user):
    return render_template("staff/home.html", user=user)


# -- proctors ---------------------------------------------------------------------------------------------


@staff.get("/ky-thi")
@staff_page("proctor")
def sessions(user):
    rows = db.session.scalars(select(ExamSession).order_by(ExamSession.opens_at.desc()).limit(200)).all()
    return render_template("staff/sessions.html", sessions=rows, now=clock.now())


@staff.get("/ky-thi/<int:session_id>")
@staff_page("proctor")
def session_detail(user, session_id):
    exam_session = db.get_or_404(ExamSession, session_id)
    live = exams.progress(exam_session, clock.now())
    closed = db.session.scalars(select(Attempt).where(
        Attempt.session_id == session_id, Attempt.status != "in_progress").order_by(Attempt.closed_at.desc())).all()
    certificates = issuing.session_progress(session_id)
    return render_template("staff/session.html", session=exam_session, live=live, closed=closed,
                           certificates=certificates)


@staff.post("/bai-thi/<int:attempt_id>/cong-gio")
@staff_page("proctor")
def extra_time(user, attempt_id):
    attempt = db.get_or_404(Attempt, attempt_id)
    minutes = request.form.get("minutes", type=int)
    reason = request.form.get("reason", "").strip()
    if not minutes or not 1 <= minutes <= 240 or len(reason) < 3:
        flash("Cần số phút từ 1 đến 240 và lý do.")
    else:
        act(lambda: exams.add_time(attempt, minutes, reason, user, clock.now()), f"Đã cộng {minutes} phút.")
    return redirect(url_for("staff.session_detail", session_id=attempt.session_id))


@staff.post("/bai-thi/<int:attempt_id>/huy")
@staff_page("proctor")
def void(user, attempt_id):
    attempt = db.get_or_404(Attempt, attempt_id)
    reason = request.form.get("reason", "").strip()
    if len(reason) < 3:
        flash("Cần ghi lý do hủy bài.")
    else:
        act(lambda: exams.void(attempt, reason, user, clock.now()), "Đã hủy bài thi.")
    return redirect(url_for("staff.session_detail", session_id=attempt.session_id))


@staff.post("/ky-thi/<int:session_id>/cap-chung-nhan")
@staff_page("proctor")
def render_certificates(user, session_id):
    done = issuing.render_pending(issuing.session_certificates(session_id), 50)
    flash(f"Đã tạo và ký {done} giấy chứng nhận.")
    return redirect(url_for("staff.session_detail", session_id=session_id))


# -- reviewers ------------------------------------------------------------------------------------------


@staff.get("/duyet")
@staff_page("reviewer")
def review_queue(user):
    waiting = db.session.scalars(select(ItemVersion).where(ItemVersion.status == "in_review")
                                 .order_by(ItemVersion.created_at)).all()
    return render_template("staff/review.html", versions=waiting, user=user)


@staff.post("/duyet/<int:version_id>")
@staff_page("reviewer")
def review(user, version_id):
    version = db.get_or_404(ItemVersion, version_id)
    action = request.form.get("action")
    if action not in ("approve", "reject"):
        abort(400)
    act(lambda: bank.transition(version, action, user, request.form.get("comment") or None),
        "Đã duyệt câu hỏi." if action == "approve" else "Đã trả lại câu hỏi cho tác giả.")
    return redirect(url_for("staff.review_queue"))


# -- unit managers and admins -------------------------------------------------------------------------------


def _managed_unit(user, code: str | None) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code)) if code else user.unit
    if unit is None:
        abort(404)
    if user.role != "admin" and (user.unit_id is None or unit.id not in unit_subtree(user.unit_id)):
        abort(403)
    return unit


def _unit_rows(unit: Unit) -> list[dict]:
    found = db.session.execute(results.unit_results_query(unit).limit(5000)).all()
    certificates = results.certificates_of([row[0].id for row in found])
    return [results.result_row(*row, certificates.get(row[0].id)) for row in found]


@staff.get("/don-vi")
@staff_page("unit_manager")
def unit_results(user):
    unit = _managed_unit(user, request.args.get("unit"))
    return render_template("staff/unit.html", unit=unit, rows=_unit_rows(unit), columns=results.COLUMNS)


@staff.get("/don-vi/<code>/ket-qua.xlsx")
@staff_page("unit_manager")
def unit_results_xlsx(user, code):
    unit = _managed_unit(user, code)
    data = results.to_xlsx(_unit_rows(unit), f"Kết quả sát hạch kỹ năng số — {unit.name}")
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="ket-qua-{code}.xlsx"'})


@staff.get("/bao-cao")
@staff_page()
def report(user):
    year = request.args.get("year", type=int) or clock.now().year
    if not 2020 <= year <= 2100:
        abort(400)
    progress, profile = reports.progress(year), reports.competence_profile(year)
    certified_chart = [{"label": r["name"][:32], "value": r["certified"]} for r in progress["by_audience"]]
    by_area: dict[str, list] = {}
    for row in profile["items"]:
        by_area.setdefault(row["area_name"], []).append((row["mean_percent"], row["attempts"]))
    area_chart = [{"label": name[:32], "value": round(sum(m * n for m, n in rows) / sum(n for _, n in rows), 1)}
                  for name, rows in by_area.items()]
    return render_template("staff/report.html", year=year, progress=progress, profile=profile,
                           certified_chart=certified_chart, area_chart=area_chart)
