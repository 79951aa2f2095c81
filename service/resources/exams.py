from flask.views import MethodView
from sqlalchemy import select

from question_bank.review import attempt_view

from .. import clock, exams
from ..auth import bearer_identity, current_user, requires
from ..errors import ApiError, get_or_404, not_found
from ..extensions import db
from ..models import Attempt, ExamSession
from ..schemas.base import PageArgs, dumped, page_of, page_schema, page_view, whole_list
from ..schemas.exams import (
    AnswerSchema,
    AttemptSchema,
    EnrolledSchema,
    EnrolSchema,
    ExtendedSchema,
    ExtraTimeSchema,
    ReasonSchema,
    SavedAnswerSchema,
    SessionCreateSchema,
    SessionSchema,
    SittingSchema,
    SubmitSchema,
    VoidedSchema,
)
from ..unit_of_work import own_commits
from ..units import manages
from . import Blueprint

blp = Blueprint("exams", __name__, description="Kỳ sát hạch và bài thi")

SESSION_STAFF = ("proctor", "unit_manager")


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


def _attempt_body(attempt: Attempt, status: int = 200):
    """The attempt in the view its reader may have (question_bank/review.py)."""
    view = attempt_view(attempt.session.review_mode, attempt.status, staff=attempt.user_id != current_user().id)
    return dumped(AttemptSchema(view=view), exams.attempt_data(attempt, clock.now()), status)


@blp.route("/exam-sessions")
class ExamSessions(MethodView):
    @requires("candidate", *SESSION_STAFF)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(SessionSchema))
    def get(self, args):
        """For a candidate: the sessions they may sit now (all of them). For staff: all sessions, newest first."""
        user = current_user()
        if user.role == "candidate":
            return dumped(page_view(SessionSchema, "candidate"), whole_list(exams.sessions_open_for(user, clock.now())))
        return dumped(page_view(SessionSchema, "staff"),
                      page_of(select(ExamSession).order_by(ExamSession.id.desc()), args, db.session))

    @requires("proctor")
    @blp.arguments(SessionCreateSchema)
    @blp.response(201, SessionSchema)
    def post(self, data):
        """Create a session: blueprint, window, candidates (by username or unit), attempts, review setting.

        :raise 422: unknown blueprint or candidate, or the bank cannot fill the blueprint (cells named).
        """
        session = exams.create_session(data, current_user())
        return dumped(SessionSchema(view="staff"), session, 201)


@blp.route("/exam-sessions/<int:session_id>")
class ExamSessionResource(MethodView):
    @requires("candidate", *SESSION_STAFF)
    @blp.response(200, SessionSchema)
    def get(self, session_id):
        """A session; a candidate sees only one they may sit now, with their attempts."""
        session = _get_session(session_id)
        user = current_user()
        if user.role == "candidate":
            if session not in exams.sessions_open_for(user, clock.now()):
                raise not_found("Không tìm thấy kỳ sát hạch.")
            return dumped(SessionSchema(view="candidate"), session)
        return dumped(SessionSchema(view="staff"), session)


@blp.route("/exam-sessions/<int:session_id>/enrolments")
class Enrolments(MethodView):
    @requires("proctor", "unit_manager")
    @blp.arguments(EnrolSchema)
    @blp.response(200, EnrolledSchema)
    def post(self, body, session_id):
        """Enrol more candidates by username or by unit. A unit manager enrols only their unit's staff."""
        return {"added": exams.enrol(_get_session(session_id), body["candidates"], body["units"], current_user())}


@blp.route("/exam-sessions/<int:session_id>/progress")
class Progress(MethodView):
    @requires("proctor")
    @blp.response(200, page_schema(SittingSchema))
    def get(self, session_id):
        """Who is sitting now, with answered counts."""
        return whole_list(exams.progress(_get_session(session_id), clock.now()))


@blp.route("/exam-sessions/<int:session_id>/attempts")
class Attempts(MethodView):
    @requires("candidate")
    @blp.response(201, AttemptSchema)
    @blp.alt_response(200, schema=AttemptSchema, success=True, description="Bài đang làm, làm tiếp")
    @own_commits
    def post(self, session_id):
        """Start an attempt (201), or resume the live one (200) with its saved answers.

        :raise 403: not enrolled. :raise 409: window closed, no attempts left, retake too soon.
        """
        session = _get_session(session_id)
        attempt, created = exams.start_or_resume(session, current_user(), clock.now())
        # The body is made from the rows in hand, before the commit expires them (reloading them all would
        # cost more than the rest of a start); it is sent only once the attempt is committed.
        body = _attempt_body(attempt, 201 if created else 200)
        attempt_id = attempt.id
        db.session.commit()  # at once: on SQLite a longer write transaction makes concurrent starts fail
        if created:
            exams.count_exposure(attempt_id)
            db.session.commit()
        return body


@blp.route("/attempts/<int:attempt_id>")
class AttemptResource(MethodView):
    @requires("candidate", "proctor", "unit_manager")
    @blp.response(200, AttemptSchema)
    def get(self, attempt_id):
        """The attempt as its owner or staff may see it."""
        attempt = _get_attempt(attempt_id, owner_only=False)
        exams.close_if_expired(attempt, clock.now())
        return _attempt_body(attempt)


@blp.route("/attempts/<int:attempt_id>/responses/<int:position>")
class Response(MethodView):
    @requires("candidate", account_in_query=True)
    @blp.arguments(AnswerSchema)
    @blp.response(200, SavedAnswerSchema)
    @own_commits  # the answer is written in its own short transaction (exams.save_answer)
    def put(self, body, attempt_id, position):
        """Save one answer; durable once this returns 200.

        :raise 409: the attempt is closed. :raise 404: no such position. :raise 422: wrong answer shape.
        """
        now = clock.now()
        deadline = exams.save_answer(attempt_id, bearer_identity(), position, body["answer"], now)
        return {"position": position, "answer": body["answer"], "saved_at": now, "deadline": deadline,
                "server_time": now}


@blp.route("/attempts/<int:attempt_id>/submit")
class Submit(MethodView):
    @requires("candidate")
    @blp.response(200, SubmitSchema)
    def post(self, attempt_id):
        """Close and score the attempt; idempotent, the same body on every repeat."""
        attempt = _get_attempt(attempt_id, owner_only=True)
        if attempt.status == "voided":
            raise ApiError(409, "attempt_voided", "Bài thi đã bị hủy.")
        exams.submit(attempt, clock.now())
        return {"status": attempt.status, "result": attempt.result, "certificate": exams.latest_certificate(attempt)}


@blp.route("/attempts/<int:attempt_id>/extra-time")
class ExtraTime(MethodView):
    @requires("proctor")
    @blp.arguments(ExtraTimeSchema)
    @blp.response(200, ExtendedSchema)
    def post(self, body, attempt_id):
        """Add minutes to one live attempt (audited)."""
        attempt = _get_attempt(attempt_id, owner_only=False)
        return exams.add_time(attempt, body["minutes"], body["reason"], current_user(), clock.now())


@blp.route("/attempts/<int:attempt_id>/void")
class Void(MethodView):
    @requires("proctor")
    @blp.arguments(ReasonSchema)
    @blp.response(200, VoidedSchema)
    def post(self, body, attempt_id):
        """Void an attempt with a reason (audited)."""
        attempt = _get_attempt(attempt_id, owner_only=False)
        return exams.void(attempt, body["reason"], current_user(), clock.now())
