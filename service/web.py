"""Server-rendered pages: the public verification page, and the candidate's own pages (sign in, sessions,
sitting the exam, result, certificate). They call the same operations as the API; a signed-in browser is a
session record on the server that its signed cookie names, and every form and save carries a CSRF token."""

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from certificates.lifecycle import STANDING_NAMES
from certificates.verify_pdf import looks_like_pdf
from certificates.vietnam_time import vn_time
from question_bank.review import attempt_view

from . import auth, clock, exams, issuing, verification
from .downloads import certificate_pdf as pdf_download
from .errors import ApiError, error_body, html_error
from .extensions import db
from .models import ROLES, Area, Attempt, Certificate, Competence, ExamSession
from .pages import SESSION_KEY, candidate_page, home_of, page_for, signed_in_user
from .ratelimit import limited
from .schemas.certificates import VerificationSchema
from .schemas.exams import AttemptSchema
from .unit_of_work import own_commits, refused

web = Blueprint("web", __name__)


@web.get("/v/<path:token>")
@limited("verify", "VERIFY_RATE_LIMIT")
def verify_page(token):
    answer = VerificationSchema().dump(verification.verify_token(token, clock.today()))
    return render_template("verify.html", answer=answer, limit=upload_limit())


def upload_limit() -> dict:
    """The largest request the service reads (MAX_UPLOAD_BYTES), in bytes and as a person reads it."""
    size = current_app.config["MAX_CONTENT_LENGTH"]
    text = f"{size / 2**20:.1f}".removesuffix(".0").replace(".", ",") + " MB" if size >= 2**20 else f"{size // 1024} KB"
    return {"bytes": size, "text": text}


def verify_upload_page(answer=None, errors=None, status=200):
    return render_template("verify_upload.html", answer=answer, errors=errors or {}, limit=upload_limit()), status


@web.get("/xac-minh")
def verify_upload_form():
    """The public page where a verifier uploads a certificate's PDF (no account)."""
    return verify_upload_page()


@web.post("/xac-minh")
@limited("verify", "VERIFY_RATE_LIMIT")
def verify_upload():
    """The answer of POST /api/v1/verify/pdf, in the QR page's design. A missing file or one that is not a PDF at
    all is said beside the field; a damaged or forged PDF gets the answer KHÔNG HỢP LỆ, as from the API."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return verify_upload_page(errors={"file": ["Hãy chọn tệp PDF của giấy chứng nhận."]}, status=422)
    data = upload.read()
    if not looks_like_pdf(data):
        return verify_upload_page(errors={"file": [
            f"Tệp «{upload.filename[:100]}» không phải tệp PDF. Hãy chọn tệp PDF của giấy chứng nhận "
            "(tệp tải về từ hệ thống, hoặc do người được cấp gửi)."]}, status=422)
    answer = VerificationSchema().dump(verification.verify_pdf(data, clock.today()))
    return verify_upload_page(answer)


@web.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """A file beyond the upload limit: on the verification page, said beside the file field."""
    if request.endpoint == "web.verify_upload":
        return verify_upload_page(errors={"file": [
            f"Tệp quá lớn: chỉ nhận tệp tối đa {upload_limit()['text']}. Tệp PDF giấy chứng nhận do hệ thống "
            "cấp thường dưới 200 KB."]}, status=413)
    return html_error(413, exc)


# -- signing in --------------------------------------------------------------------------------------------


@web.route("/dang-nhap", methods=["GET", "POST"])
def sign_in():
    if request.method == "POST":
        try:
            user = auth.authenticate(request.form.get("username", ""), request.form.get("password", ""),
                                     request.remote_addr or "unknown")
        except ApiError as exc:
            refused(exc)  # a failed login is kept: it counts against the account and the address
            # 401, or 429 with Retry-After (the account is locked or the address has failed too often)
            return render_template("sign_in.html", error=exc.message), exc.status, exc.headers or {}
        session.clear()  # a new session (and CSRF secret) at every sign-in
        session[SESSION_KEY] = auth.open_web_session(user)
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else home_of(user))
    return render_template("sign_in.html", error=None)


@web.route("/doi-mat-khau", methods=["GET", "POST"])
@page_for(set(ROLES))
def change_password(user):
    """Any signed-in person changes their own password; every session (this one too) and token made before stops
    working."""
    from .accounts import AccountError
    from .accounts import change_password as change

    error = None
    if request.method == "POST":
        try:
            change(user, request.form.get("current_password", ""), request.form.get("new_password", ""))
        except AccountError as exc:
            error = str(exc)
        else:
            session.clear()
            flash("Đã đổi mật khẩu. Hãy đăng nhập lại bằng mật khẩu mới.")
            return redirect(url_for("web.sign_in"))
    return render_template("change_password.html", error=error), 422 if error else 200


@web.post("/dang-xuat")
def sign_out():
    """Sign out: the session's record on the server is deleted, so no copy of the cookie opens it again."""
    auth.end_web_session(session.get(SESSION_KEY))
    session.clear()
    return redirect(url_for("web.sign_in"))


# -- the candidate's pages ------------------------------------------------------------------------------


@web.get("/")
def home():
    user = signed_in_user()
    if user is not None:
        return redirect(home_of(user))
    return render_template("home.html")


@web.get("/thi-sinh")
@candidate_page
def candidate_home(user):
    now = clock.now()
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == user.id)
                                  .order_by(Attempt.started_at.desc())).all()
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                      .order_by(Certificate.issued_at.desc())).all()
    return render_template("candidate.html", user=user, sessions=exams.sessions_open_for(user, now),
                           attempts=attempts, certificates=certificates,
                           standing_of=issuing.standing, standing_names=STANDING_NAMES)


@web.post("/ky-thi/<int:session_id>/bat-dau")
@candidate_page
@own_commits
def start_attempt(user, session_id):
    exam_session = db.get_or_404(ExamSession, session_id)
    try:
        attempt, created = exams.start_or_resume(exam_session, user, clock.now())
    except ApiError as exc:
        refused(exc)
        flash(exc.message)
        return redirect(url_for("web.candidate_home"))
    attempt_id = attempt.id
    db.session.commit()  # at once, as the API's start does; the exposure count in a second short transaction
    if created:
        exams.count_exposure(attempt_id)
        db.session.commit()
    return redirect(url_for("web.sit", attempt_id=attempt_id))


def own_attempt(user, attempt_id) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        abort(404)
    return attempt


def own_view(attempt: Attempt) -> dict:
    """The attempt as the API shows it to the candidate who sat it."""
    view = attempt_view(attempt.session.review_mode, attempt.status, staff=False)
    return AttemptSchema(view=view).dump(exams.attempt_data(attempt, clock.now()))


def time_left(deadline: datetime, now: datetime) -> dict:
    """What the exam page's clock shows: the seconds the server still allows (the page counts them down on its
    own clock, so a wrong clock on the candidate's machine does not matter) and the deadline in Viet Nam time."""
    return {"remaining": max(0, int((deadline - now).total_seconds())), "deadline": vn_time(deadline, "%H:%M")}


@web.get("/bai-thi/<int:attempt_id>")
@candidate_page
def sit(user, attempt_id):
    attempt = own_attempt(user, attempt_id)
    if exams.close_if_expired(attempt, clock.now()):
        return redirect(url_for("web.result", attempt_id=attempt.id))
    return render_template("exam.html", attempt=attempt, body=own_view(attempt),
                           clock=time_left(attempt.deadline, clock.now()), title=attempt.session.title)


@web.get("/bai-thi/<int:attempt_id>/thoi-gian")
@candidate_page
def time_of(user, attempt_id):
    """The exam page asks here, every half minute and when its clock reaches zero, how long the server still
    allows: extra time granted by a proctor reaches an open page this way. A closed attempt (submitted, timed
    out, voided) says so, and the page goes to its result."""
    attempt = own_attempt(user, attempt_id)
    if exams.close_if_expired(attempt, clock.now()):
        return jsonify({"status": "closed"})
    return jsonify({"status": "in_progress", **time_left(attempt.deadline, clock.now())})


@web.post("/bai-thi/<int:attempt_id>/cau/<int:position>")
@candidate_page
@own_commits  # the answer is written in its own short transaction (exams.save_answer)
def save(user, attempt_id, position):
    """The exam page saves each answer here as it is given (JSON, CSRF token in the X-CSRFToken header); the
    answer is durable once this says so."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "answer" not in data:
        return jsonify(error_body(422, "validation_error", "Thiếu câu trả lời.")), 422
    now = clock.now()
    try:
        identity = auth.Identity(user.id, user.token_version, user.role)
        deadline = exams.save_answer(attempt_id, identity, position, data["answer"], now)
    except ApiError as exc:
        refused(exc)
        return jsonify(error_body(exc.status, exc.code, exc.message, exc.errors)), exc.status
    return jsonify({"saved": True, **time_left(deadline, now)})  # extra time reaches the page with any save


@web.post("/bai-thi/<int:attempt_id>/nop")
@candidate_page
def submit(user, attempt_id):
    attempt = own_attempt(user, attempt_id)
    if attempt.status == "in_progress":
        exams.submit(attempt, clock.now())
    return redirect(url_for("web.result", attempt_id=attempt.id))


@web.get("/bai-thi/<int:attempt_id>/ket-qua")
@candidate_page
def result(user, attempt_id):
    attempt = own_attempt(user, attempt_id)
    if not exams.close_if_expired(attempt, clock.now()):
        return redirect(url_for("web.sit", attempt_id=attempt.id))
    body = own_view(attempt)
    areas = {a.code: a.name for a in db.session.scalars(select(Area))}
    competences = {c.code: c.name for c in db.session.scalars(select(Competence))}
    return render_template("result.html", attempt=attempt, body=body, areas=areas, competences=competences)


@web.get("/chung-nhan/<public_id>.pdf")
@candidate_page
def certificate_pdf(user, public_id):
    cert = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id,
                                                       Certificate.user_id == user.id))
    if cert is None:
        abort(404)
    return pdf_download(issuing.render(cert), cert.serial)
