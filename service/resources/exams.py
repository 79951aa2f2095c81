from datetime import UTC

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from question_bank.item_types import get_item_type

from .. import clock, exams
from ..auth import bearer_identity, current_user, requires
from ..errors import ApiError, get_or_404, not_found
from ..extensions import db
from ..models import Attempt, AttemptItem, Certificate, ExamSession, ItemVersion
from ..models.exam import REVIEW_MODES
from ..units import manages
from .schemas import PageArgs, page_of

blp = Blueprint("exams", __name__, description="Kỳ sát hạch và bài thi")

SESSION_STAFF = ("proctor", "unit_manager")


class NaiveUtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time; a time without offset is taken as UTC. Stored as naive UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC).replace(tzinfo=None)


class SessionCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    blueprint = fields.String(required=True)
    opens_at = NaiveUtcDateTime(required=True)
    closes_at = NaiveUtcDateTime(required=True)
    candidates = fields.List(fields.String(), load_default=list)
    units = fields.List(fields.String(), load_default=list)
    max_attempts = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10))
    retake_gap_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=60 * 24 * 365))
    review_mode = fields.String(load_default="areas", validate=validate.OneOf(REVIEW_MODES))

    @validates_schema
    def window(self, data, **kwargs):
        if "opens_at" in data and "closes_at" in data and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("Phải sau opens_at.", "closes_at")


class EnrolSchema(Schema):
    class Meta:
        unknown = RAISE

    candidates = fields.List(fields.String(), load_default=list)
    units = fields.List(fields.String(), load_default=list)


class AnswerSchema(Schema):
    class Meta:
        unknown = RAISE

    answer = fields.Raw(required=True, allow_none=True)


class ExtraTimeSchema(Schema):
    class Meta:
        unknown = RAISE

    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=240))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class VoidSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


def iso(moment):
    return moment.isoformat() + "Z" if moment else None


def session_json(s: ExamSession, user=None) -> dict:
    body = {
        "id": s.id, "title": s.title, "blueprint": s.blueprint.code, "blueprint_version": s.blueprint.version,
        "audience": s.blueprint.audience_code, "duration_minutes": s.blueprint.duration_minutes,
        "item_count": s.blueprint.item_count, "opens_at": iso(s.opens_at), "closes_at": iso(s.closes_at),
        "max_attempts": s.max_attempts, "retake_gap_minutes": s.retake_gap_minutes, "review_mode": s.review_mode,
    }
    if user is not None and user.role == "candidate":
        attempts = list(db.session.scalars(select(Attempt).where(
            Attempt.session_id == s.id, Attempt.user_id == user.id)))
        body["attempts_used"] = len(attempts)
        live = next((a for a in attempts if a.status == "in_progress"), None)
        body["live_attempt_id"] = live.id if live else None
    return body


def _get_session(session_id: int) -> ExamSession:
    return get_or_404(ExamSession, session_id, "Không tìm thấy kỳ sát hạch.")


def _get_attempt(attempt_id: int, *, owner_only: bool) -> Attempt:
    """The attempt if the caller may see it; another candidate's attempt is a 404, not a 403."""
    attempt = db.session.get(Attempt, attempt_id)
    user = current_user()
    if attempt is None:
        raise not_found("Không tìm thấy bài thi.")
    if attempt.user_id == user.id:
        return attempt
    if owner_only or user.role == "candidate":
        raise not_found("Không tìm thấy bài thi.")
    if user.role == "unit_manager" and not manages(user, attempt.user.unit_id):
        raise not_found("Không tìm thấy bài thi.")
    return attempt


def attempt_json(attempt: Attempt, *, for_candidate: bool) -> dict:
    """The attempt as its owner sees it: never keys, correctness or explanations while it is open;
    after it closes, what the session's review setting allows. Staff see everything once closed."""
    now = clock.now()
    body = {
        "id": attempt.id, "session_id": attempt.session_id, "number": attempt.number, "status": attempt.status,
        "started_at": iso(attempt.started_at), "deadline": iso(attempt.deadline), "server_time": iso(now),
        "closed_at": iso(attempt.closed_at), "items": [],
    }
    closed = attempt.status != "in_progress"
    review = attempt.session.review_mode if for_candidate else "full"
    rows = db.session.execute(
        select(AttemptItem, ItemVersion).join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()
    for ai, version in rows:
        options = get_item_type(version.type).shown_options(version.options, ai.option_order)
        item = {"position": ai.position, "item_id": version.item_id, "type": version.type, "stem": version.stem,
                "options": options, "answer": ai.answer}
        if closed and review == "full" and attempt.status == "submitted":
            item.update(key=version.key, credit=ai.credit, explanation=version.explanation,
                        competence=version.competence_code)
        body["items"].append(item)
    if closed and attempt.result is not None and attempt.status == "submitted":
        result = dict(attempt.result)
        if review == "score":
            result = {k: result[k] for k in ("percent", "score_10", "passed", "classification",
                                             "classification_name")}
        body["result"] = result
        body["certificate"] = certificate_summary(attempt)
    if attempt.status == "voided":
        body["void_reason"] = attempt.void_reason
    return body


def certificate_summary(attempt: Attempt):
    cert = db.session.scalar(select(Certificate).where(
        Certificate.attempt_id == attempt.id).order_by(Certificate.reissue_no.desc()))
    if cert is None:
        return None
    return {"id": cert.public_id, "serial": cert.serial, "status": cert.status,
            "verify_url": cert.verify_url}


def submit_json(attempt: Attempt) -> dict:
    """The submit body: the same on every repeat."""
    return {"status": attempt.status, "result": attempt.result, "certificate": certificate_summary(attempt)}


@blp.route("/exam-sessions")
class ExamSessions(MethodView):
    @requires("candidate", *SESSION_STAFF)
    @blp.arguments(PageArgs, location="query")
    def get(self, args):
        """For a candidate: the sessions they may sit now. For staff: all sessions, newest first."""
        user = current_user()
        if user.role == "candidate":
            sessions = exams.sessions_open_for(user, clock.now())
            return {"items": [session_json(s, user) for s in sessions], "total": len(sessions)}
        return page_of(select(ExamSession).order_by(ExamSession.id.desc()), args, db.session, session_json)

    @requires("proctor")
    @blp.arguments(SessionCreateSchema)
    @blp.response(201)
    def post(self, data):
        """Create a session: blueprint, window, candidates (by username or unit), attempts, review setting.

        :raise 422: unknown blueprint or candidate, or the bank cannot fill the blueprint (cells named).
        """
        session = exams.create_session(data, current_user())
        db.session.commit()
        return session_json(session)


@blp.route("/exam-sessions/<int:session_id>")
class ExamSessionResource(MethodView):
    @requires("candidate", *SESSION_STAFF)
    def get(self, session_id):
        session = _get_session(session_id)
        user = current_user()
        if user.role == "candidate" and session not in exams.sessions_open_for(user, clock.now()):
            raise not_found("Không tìm thấy kỳ sát hạch.")
        return session_json(session, user)


@blp.route("/exam-sessions/<int:session_id>/enrolments")
class Enrolments(MethodView):
    @requires("proctor", "unit_manager")
    @blp.arguments(EnrolSchema)
    def post(self, body, session_id):
        """Enrol more candidates by username or by unit. A unit manager enrols only their unit's staff."""
        added = exams.enrol(_get_session(session_id), body["candidates"], body["units"], current_user())
        db.session.commit()
        return {"added": added}


@blp.route("/exam-sessions/<int:session_id>/progress")
class Progress(MethodView):
    @requires("proctor")
    def get(self, session_id):
        """Who is sitting now, with answered counts."""
        rows = exams.progress(_get_session(session_id), clock.now())
        for row in rows:
            row["started_at"], row["deadline"] = iso(row["started_at"]), iso(row["deadline"])
        return {"items": rows, "total": len(rows)}


@blp.route("/exam-sessions/<int:session_id>/attempts")
class Attempts(MethodView):
    @requires("candidate")
    def post(self, session_id):
        """Start an attempt (201), or resume the live one (200) with its saved answers.

        :raise 403: not enrolled. :raise 409: window closed, no attempts left, retake too soon.
        """
        session = _get_session(session_id)
        attempt, created = exams.start_or_resume(session, current_user(), clock.now())
        db.session.commit()  # at once: on SQLite a longer write transaction makes concurrent starts fail
        if created:
            exams.count_exposure(attempt.id)
            db.session.commit()
        return attempt_json(attempt, for_candidate=True), 201 if created else 200


@blp.route("/attempts/<int:attempt_id>")
class AttemptResource(MethodView):
    @requires("candidate", "proctor", "unit_manager")
    def get(self, attempt_id):
        """The attempt as its owner or staff may see it."""
        attempt = _get_attempt(attempt_id, owner_only=False)
        if exams.close_if_expired(attempt, clock.now()):
            db.session.commit()
        return attempt_json(attempt, for_candidate=attempt.user_id == current_user().id)


@blp.route("/attempts/<int:attempt_id>/responses/<int:position>")
class Response(MethodView):
    @requires("candidate", account_in_query=True)
    @blp.arguments(AnswerSchema)
    def put(self, body, attempt_id, position):
        """Save one answer; durable once this returns 200.

        :raise 409: the attempt is closed. :raise 404: no such position. :raise 422: wrong answer shape.
        """
        now = clock.now()
        try:
            deadline = exams.save_answer(attempt_id, bearer_identity(), position, body["answer"], now)
        except ApiError as exc:
            if exc.status == 409:
                db.session.commit()  # keep the closing and scoring the expiry caused
            raise
        return {"position": position, "answer": body["answer"], "saved_at": iso(now), "deadline": iso(deadline),
                "server_time": iso(now)}


@blp.route("/attempts/<int:attempt_id>/submit")
class Submit(MethodView):
    @requires("candidate")
    def post(self, attempt_id):
        """Close and score the attempt; idempotent, the same body on every repeat."""
        attempt = _get_attempt(attempt_id, owner_only=True)
        if attempt.status == "voided":
            raise ApiError(409, "attempt_voided", "Bài thi đã bị hủy.")
        exams.submit(attempt, clock.now())
        db.session.commit()
        return submit_json(attempt)


@blp.route("/attempts/<int:attempt_id>/extra-time")
class ExtraTime(MethodView):
    @requires("proctor")
    @blp.arguments(ExtraTimeSchema)
    def post(self, body, attempt_id):
        """Add minutes to one live attempt (audited)."""
        attempt = _get_attempt(attempt_id, owner_only=False)
        exams.add_time(attempt, body["minutes"], body["reason"], current_user(), clock.now())
        db.session.commit()
        return {"id": attempt.id, "deadline": iso(attempt.deadline)}


@blp.route("/attempts/<int:attempt_id>/void")
class Void(MethodView):
    @requires("proctor")
    @blp.arguments(VoidSchema)
    def post(self, body, attempt_id):
        """Void an attempt with a reason (audited)."""
        attempt = _get_attempt(attempt_id, owner_only=False)
        exams.void(attempt, body["reason"], current_user(), clock.now())
        db.session.commit()
        return {"id": attempt.id, "status": attempt.status, "void_reason": attempt.void_reason}
