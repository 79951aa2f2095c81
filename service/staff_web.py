"""Web pages for staff: proctors watch sessions and act on attempts, reviewers review items, unit managers
see their staff's results, enrol them and download their certificates, admins see the reports. Every action
calls the operation the API calls."""

import re
import textwrap
import unicodedata

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError, validate
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from certificates.lifecycle import STANDING_NAMES
from certificates.vietnam_time import vn_time
from question_bank.review import REVIEW_LABELS, REVIEW_MODES

from . import audit, bank, calibration, clock, exams, issuing, reports, results, standard_settings, statistics
from .downloads import attachment, certificate_pdf, certificates_zip, competence_report, progress_report
from .errors import ApiError
from .extensions import db
from .models import Attempt, Audience, Certificate, Enrolment, ExamSession, ItemVersion, Unit, User
from .models import Blueprint as ExamBlueprint
from .pages import act, audience_names, field_errors, form_errors, load_form, page_number, staff_page
from .schemas.base import page_of
from .schemas.exams import EnrolSchema, ExtraTimeSchema, ReasonSchema, SessionCreateSchema
from .schemas.people import ReportArgs
from .unit_of_work import own_commits, refused
from .units import manages, subtree_ids, tree_options

staff = Blueprint("staff", __name__, url_prefix="/quan-ly")


@staff.get("/")
@staff_page("author", "reviewer", "proctor", "unit_manager")
def home(user):
    return render_template("staff/home.html", user=user, panel_studies=standard_settings.open_for(user))


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
                           certificates=certificates, enrolled=_enrolled_count(session_id), units=tree_options(),
                           review_labels=REVIEW_LABELS)


# Creating a session and enrolling candidates: the forms build the body POST /api/v1/exam-sessions (and its
# /enrolments) take, load it through the API's own schema (and its messages), and call the same operation.

REVIEW_CHOICES = [(mode, REVIEW_LABELS[mode]) for mode in REVIEW_MODES]  # a new mode without a label fails here
SESSION_FIELDS = SessionCreateSchema().fields


def bounds(name: str) -> dict:
    """The schema's range for an integer field, so the form's limits and messages cannot drift from it."""
    rule = next(v for v in SESSION_FIELDS[name].validators if isinstance(v, validate.Range))
    return {"min": rule.min, "max": rule.max}


# The API takes ISO 8601 times; the form takes Vietnam wall-clock time, and says so when one is missing or wrong.
LOCAL_TIMES = {
    "opens_at": "Cần nhập ngày giờ mở hợp lệ (giờ Việt Nam).",
    "closes_at": "Cần nhập ngày giờ đóng hợp lệ (giờ Việt Nam).",
}


def _usernames(text: str) -> list[str]:
    """Usernames typed one per line or separated by commas, in order, without repeats."""
    names = re.split(r"[,;\s]+", unicodedata.normalize("NFC", text))
    return list(dict.fromkeys(name for name in names if name))


def _as_utc(local: str) -> str:
    """A datetime-local value (Vietnam wall-clock time, no offset) as ISO 8601 with +07:00: the schema then
    converts it to naive UTC exactly as it does for the API. A value with its own offset becomes invalid."""
    return f"{local.strip()}+07:00" if local.strip() else ""


def _session_body(form: dict) -> dict:
    """The API body the form stands for; empty fields are left out, so the schema says they are missing
    (or applies its defaults)."""
    body = {
        "title": unicodedata.normalize("NFC", form["title"].strip()), "blueprint": form["blueprint"],
        "opens_at": _as_utc(form["opens_at"]), "closes_at": _as_utc(form["closes_at"]),
        "max_attempts": form["max_attempts"].strip(), "retake_gap_minutes": form["retake_gap_minutes"].strip(),
        "review_mode": form["review_mode"], "candidates": _usernames(form["candidates"]), "units": form["units"],
    }
    return {key: value for key, value in body.items() if value not in ("", [])}


def _session_form(source) -> dict:
    """What the proctor typed (or the schema's defaults), to fill the form again."""
    form = {name: source.get(name, "") for name in ("title", "blueprint", "opens_at", "closes_at", "candidates")}
    for name in ("max_attempts", "retake_gap_minutes", "review_mode"):
        form[name] = source.get(name, str(SESSION_FIELDS[name].load_default))
    form["units"] = source.getlist("units")
    return form


def _blueprint_options() -> list[dict]:
    audiences = dict(db.session.execute(select(Audience.code, Audience.name)).all())
    return [{"code": b.code, "name": b.name, "audience": audiences.get(b.audience_code, b.audience_code),
             "item_count": b.item_count, "minutes": b.duration_minutes}
            for b in db.session.scalars(select(ExamBlueprint).where(ExamBlueprint.current)
                                        .order_by(ExamBlueprint.code))]


def _enrolled_count(session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.session_id == session_id))


@staff.route("/ky-thi/moi", methods=["GET", "POST"])
@staff_page("proctor")
def new_session(user):
    """The form for POST /api/v1/exam-sessions. Errors re-show it with the input kept and nothing stored."""
    form, errors = _session_form(MultiDict()), {}
    if request.method == "POST":
        form = _session_form(request.form)
        try:
            created = exams.create_session(load_form(SessionCreateSchema(), _session_body(form), LOCAL_TIMES), user)
        except ApiError as exc:
            refused(exc)
            errors = form_errors(exc)
        else:
            flash(f"Đã tạo kỳ sát hạch với {_enrolled_count(created.id)} thí sinh.")
            return redirect(url_for("staff.session_detail", session_id=created.id))
    return render_template("staff/new_session.html", form=form, errors=errors, blueprints=_blueprint_options(),
                           units=tree_options(), review_choices=REVIEW_CHOICES, bounds=bounds,
                           now=vn_time(clock.now())), 422 if errors else 200


@staff.post("/ky-thi/<int:session_id>/ghi-danh")
@staff_page("proctor")
def enrol(user, session_id):
    """The form for POST /api/v1/exam-sessions/<id>/enrolments: more candidates by username or unit."""
    exam_session = db.get_or_404(ExamSession, session_id)
    body = {"candidates": _usernames(request.form.get("candidates", "")), "units": request.form.getlist("units")}
    if not body["candidates"] and not body["units"]:
        flash("Cần nhập tên đăng nhập hoặc chọn đơn vị để ghi danh.")
        return redirect(url_for("staff.session_detail", session_id=session_id))
    try:
        data = load_form(EnrolSchema(), body)
        added = exams.enrol(exam_session, data["candidates"], data["units"], user)
    except ApiError as exc:
        refused(exc)
        details = [m for messages in field_errors(exc.errors or {}).values() for m in messages]
        flash(f"{exc.message} {'; '.join(details)}".strip())
    else:
        flash(f"Đã ghi danh thêm {added} thí sinh.")
    return redirect(url_for("staff.session_detail", session_id=session_id))


@staff.post("/bai-thi/<int:attempt_id>/cong-gio")
@staff_page("proctor")
def extra_time(user, attempt_id):
    attempt = db.get_or_404(Attempt, attempt_id)
    body = {"minutes": request.form.get("minutes", ""), "reason": request.form.get("reason", "").strip()}
    act(lambda: exams.add_time(attempt, **_loaded(ExtraTimeSchema(), body), actor=user, now=clock.now()),
        f"Đã cộng {body['minutes']} phút.")
    return redirect(url_for("staff.session_detail", session_id=attempt.session_id))


@staff.post("/bai-thi/<int:attempt_id>/huy")
@staff_page("proctor")
def void(user, attempt_id):
    attempt = db.get_or_404(Attempt, attempt_id)
    body = {"reason": request.form.get("reason", "").strip()}
    act(lambda: exams.void(attempt, _loaded(ReasonSchema(), body)["reason"], user, clock.now()), "Đã hủy bài thi.")
    return redirect(url_for("staff.session_detail", session_id=attempt.session_id))


def _loaded(schema, body: dict) -> dict:
    """A small form's body through the API's schema. :raise ApiError 422: with its messages, to flash."""
    try:
        return load_form(schema, body)
    except ApiError as exc:
        raise ApiError(422, exc.code, " ".join(m for messages in exc.errors.values() for m in messages),
                       exc.errors) from exc


@staff.post("/ky-thi/<int:session_id>/cap-chung-nhan")
@staff_page("proctor")
@own_commits
def render_certificates(user, session_id):
    done = 0
    for _ in issuing.render_pending(issuing.session_certificates(session_id), 50):
        db.session.commit()  # each signed PDF is kept as soon as it is made
        done += 1
    audit.record(user, "certificates.bulk_issue", "exam_session", session_id, rendered=done)
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


# Item statistics: the figures of GET /api/v1/blueprints/<code>/statistics, for the same roles, as pages.
statistics_page = staff_page("reviewer")


@staff.get("/thong-ke")
@statistics_page
def statistics_list(user):
    """The current blueprints with how many submitted attempts their statistics rest on."""
    counts = statistics.submitted_attempts()
    current = db.session.scalars(select(ExamBlueprint).where(ExamBlueprint.current).order_by(ExamBlueprint.code))
    rows = [{"code": b.code, "name": b.name, "version": b.version, "attempts": counts.get(b.id, 0)} for b in current]
    return render_template("staff/statistics.html", blueprints=rows)


@staff.get("/thong-ke/<code>")
@statistics_page
def blueprint_statistics(user, code):
    """One blueprint's statistics (its current version): the items that need a review first, then the rest by code.

    :raise 404: no such blueprint."""
    blueprint = db.session.scalar(select(ExamBlueprint).where(ExamBlueprint.code == code, ExamBlueprint.current))
    if blueprint is None:
        abort(404)
    found = statistics.blueprint_statistics(code)
    flagged = set(found["flagged"])
    items = sorted(found["items"], key=lambda item: (item["code"] not in flagged, item["code"]))
    item_links = user.role in current_app.view_functions["author.item_page"].allowed_roles
    check = calibration.check_blueprint(blueprint)  # what `flask blueprints check` prints, by default
    minimum = current_app.config["DECISION_CONSISTENCY_MIN"]
    return render_template("staff/blueprint_statistics.html", blueprint=blueprint, found=found, items=items,
                           flagged=flagged, item_links=item_links, check=check, minimum=minimum,
                           notes=calibration.verdicts(check, minimum))


# -- unit managers and admins -------------------------------------------------------------------------------


def _managed_unit(user, code: str | None) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code)) if code else user.unit
    if unit is None:
        abort(404)
    if not manages(user, unit.id):
        abort(403)
    return unit


def _unit_rows(unit: Unit) -> list[dict]:
    return results.result_rows(db.session.execute(results.unit_results_query(unit).limit(5000)).all())


@staff.get("/don-vi")
@staff_page("unit_manager")
def unit_results(user):
    unit = _managed_unit(user, request.args.get("unit"))
    return render_template("staff/unit.html", unit=unit, rows=[results.shown(row) for row in _unit_rows(unit)],
                           columns=results.COLUMNS)


@staff.get("/don-vi/<code>/ket-qua.xlsx")
@staff_page("unit_manager")
def unit_results_xlsx(user, code):
    unit = _managed_unit(user, code)
    data = results.to_xlsx(_unit_rows(unit), f"Kết quả sát hạch kỹ năng số — {unit.name}")
    return attachment(data, f"ket-qua-{code}.xlsx")


@staff.get("/don-vi/<code>/ghi-danh")
@staff_page("unit_manager")
def unit_sessions(user, code):
    """The sessions not yet closed, with how many of the unit's people each has: where to enrol them."""
    unit = _managed_unit(user, code)
    now = clock.now()
    sessions = db.session.scalars(select(ExamSession).where(ExamSession.closes_at > now)
                                  .order_by(ExamSession.opens_at, ExamSession.id)).all()
    enrolled = dict(db.session.execute(
        select(Enrolment.session_id, func.count()).join(User, User.id == Enrolment.user_id)
        .where(User.unit_id.in_(subtree_ids(unit.id)), Enrolment.session_id.in_([s.id for s in sessions]))
        .group_by(Enrolment.session_id)).all())
    return render_template("staff/unit_sessions.html", unit=unit, sessions=sessions, enrolled=enrolled, now=now)


STAFF_SHOWN = 1000  # people listed to tick on the enrolment page; more are enrolled by unit


def _unit_staff(unit: Unit, session_id: int) -> list[tuple[User, bool]]:
    """The active candidates of the unit and the units below it, by name, each with whether they are enrolled."""
    enrolled = select(Enrolment.user_id).where(Enrolment.session_id == session_id)
    rows = db.session.execute(
        select(User, User.id.in_(enrolled)).options(selectinload(User.unit))
        .where(User.unit_id.in_(subtree_ids(unit.id)), User.role == "candidate", User.active)
        .order_by(User.full_name, User.username).limit(STAFF_SHOWN + 1)).all()
    return [(person, bool(is_enrolled)) for person, is_enrolled in rows]


@staff.route("/don-vi/<code>/ky-thi/<int:session_id>", methods=["GET", "POST"])
@staff_page("unit_manager")
def unit_enrol(user, code, session_id):
    """POST /api/v1/exam-sessions/<id>/enrolments for a unit manager: the people ticked, or every one of a unit
    (and the units below it). The operation refuses anyone outside the manager's units; then nothing changes."""
    unit = _managed_unit(user, code)
    exam_session = db.get_or_404(ExamSession, session_id)
    chosen = {"candidates": request.form.getlist("candidates"), "units": request.form.getlist("units")}
    errors, status = {}, 200
    if request.method == "POST":
        try:
            if not chosen["candidates"] and not chosen["units"]:
                raise ApiError(422, "validation_error", "Hãy chọn người hoặc đơn vị cần ghi danh.")
            data = load_form(EnrolSchema(), chosen)
            added = exams.enrol(exam_session, data["candidates"], data["units"], user)
        except ApiError as exc:
            refused(exc)
            errors, status = form_errors(exc), exc.status
        else:
            flash(f"Đã ghi danh thêm {added} người vào «{exam_session.title}».")
            return redirect(url_for("staff.unit_enrol", code=code, session_id=session_id))
    people = _unit_staff(unit, session_id)
    page = render_template("staff/unit_enrol.html", unit=unit, session=exam_session, people=people[:STAFF_SHOWN],
                           more=len(people) > STAFF_SHOWN, units=tree_options(unit), chosen=chosen, errors=errors,
                           audience=exam_session.blueprint.audience_code, now=clock.now(),
                           audiences=audience_names())
    return page, status


@staff.get("/don-vi/<code>/chung-nhan")
@staff_page("unit_manager")
def unit_certificates(user, code):
    """The certificates of the unit's people, newest first, each with its PDF; and all valid ones as one ZIP."""
    unit = _managed_unit(user, code)
    query = issuing.unit_certificates(unit, valid_only=False).order_by(None).order_by(Certificate.id.desc())
    found = page_of(query, {"page": page_number(), "per_page": 100}, db.session)
    valid = db.session.scalar(select(func.count()).select_from(issuing.unit_certificates(unit).subquery()))
    return render_template("staff/unit_certificates.html", unit=unit, found=found, valid=valid,
                           standing_of=issuing.standing, standing_names=STANDING_NAMES)


@staff.get("/don-vi/<code>/chung-nhan.zip")
@staff_page("unit_manager")
@own_commits
def unit_certificates_zip(user, code):
    """GET /api/v1/units/<code>/certificates.zip: every valid certificate of the unit's people (audited)."""
    unit = _managed_unit(user, code)
    return certificates_zip(issuing.unit_certificates(unit), f"chung-nhan-{unit.code}.zip", user, "unit", unit.code)


@staff.get("/chung-nhan/<public_id>/tep-pdf")
@staff_page("proctor", "unit_manager")
def certificate_file(user, public_id):
    """GET /api/v1/certificates/<id>/pdf: the signed PDF, for whom the API gives it (their unit manager, proctors,
    admins); another's certificate is not found."""
    cert = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if cert is None or not issuing.visible_to(cert, user):
        abort(404)
    return certificate_pdf(issuing.render(cert), cert.serial)


def _report_year() -> int:
    """The report's year (this year in Viet Nam by default). :raise 400: not a year the reports cover."""
    try:
        return ReportArgs().load(request.args).get("year") or clock.today().year
    except ValidationError:
        abort(400)


CHART_LABEL_WIDTH = 28  # characters per line that fit beside the bars (the test measures them in Chromium)


def _chart_label(name: str) -> dict:
    """A bar's label in at most two lines broken between words, the second ending in "…" when the name is
    longer; the full name goes with it for the bar's tooltip."""
    lines = textwrap.wrap(name, CHART_LABEL_WIDTH, max_lines=2, placeholder="…")
    return {"lines": lines, "title": name}


@staff.get("/bao-cao")
@staff_page()
def report(user):
    year = _report_year()
    progress, profile = reports.progress(year), reports.competence_profile(year)
    certified_chart = [{**_chart_label(r["name"]), "value": r["certified"]} for r in progress["by_audience"]]
    by_area: dict[str, list] = {}
    for row in profile["items"]:
        by_area.setdefault(row["area_name"], []).append((row["mean_percent"], row["attempts"]))
    area_chart = [{**_chart_label(name), "value": round(sum(m * n for m, n in rows) / sum(n for _, n in rows), 1)}
                  for name, rows in by_area.items()]
    return render_template("staff/report.html", year=year, progress=progress, profile=profile,
                           certified_chart=certified_chart, area_chart=area_chart, no_unit=reports.NO_UNIT)


@staff.get("/bao-cao/tien-do.xlsx")
@staff_page()
def progress_xlsx(user):
    """GET /api/v1/reports/progress?format=xlsx: the same file."""
    return progress_report(_report_year())


@staff.get("/bao-cao/nang-luc.xlsx")
@staff_page()
def competence_xlsx(user):
    """GET /api/v1/reports/competences?format=xlsx: the same file."""
    return competence_report(_report_year())
