"""Exam sessions and attempts: enrolment, drawing a form, timing, saving, closing and scoring.

The rules themselves (assembly, item types, scoring) live in question_bank; this module binds them to the
database. Operations flush; the route commits once. The answer save is the exception: one short
transaction of its own, the hottest path of an exam."""

import random
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import NamedTuple, NoReturn

from sqlalchemy import Float, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from certificates.vietnam_time import vn_time
from question_bank.assembly import BankShortage, PoolItem, check_coverage, draw_form
from question_bank.item_types import AnswerShapeError, get_item_type
from question_bank.scoring import ScoredResponse, ScoringRule, missed_competences, score

from . import audit
from .auth import Identity, accepts, unauthorized
from .bank import drawable
from .calibration import difficulties_at_cut
from .errors import ApiError
from .extensions import db
from .models import (
    Attempt,
    AttemptItem,
    Blueprint,
    Certificate,
    Competence,
    Enrolment,
    ExamSession,
    Item,
    ItemVersion,
    Unit,
    User,
)
from .units import manages, subtree_ids

GRACE = timedelta(seconds=10)  # absorbs network delay on the last save and on submit


# -- sessions --------------------------------------------------------------------------------------


def pool_sizes(blueprint: Blueprint) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        drawable(blueprint.audience_code, Competence.area_code, ItemVersion.level_code, func.count())
        .group_by(Competence.area_code, ItemVersion.level_code)
    )
    return {(area, level): n for area, level, n in rows}


def create_session(data: dict, actor: User) -> ExamSession:
    """:raise ApiError 422: unknown blueprint or candidates, a bad window, or a bank that cannot fill it."""
    blueprint = db.session.scalar(
        select(Blueprint).where(Blueprint.code == data["blueprint"], Blueprint.current)
    )
    if blueprint is None:
        raise ApiError(422, "validation_error", "Cấu trúc đề không tồn tại.",
                       {"blueprint": [f"Không có cấu trúc đề {data['blueprint']}"]})
    if data["closes_at"] <= data["opens_at"]:
        raise ApiError(422, "validation_error", "Thời gian đóng phải sau thời gian mở.",
                       {"closes_at": ["Phải sau opens_at."]})
    short = check_coverage(blueprint.cells, pool_sizes(blueprint))
    if short:
        raise ApiError(422, "bank_shortage", str(BankShortage(short)),
                       {"blueprint": [f"{s.area}/{s.level}: cần {s.needed}, có {s.available}" for s in short]})
    candidates = _resolve_candidates(data.get("candidates", []), data.get("units", []), blueprint)
    session = ExamSession(
        title=data["title"], blueprint=blueprint, opens_at=data["opens_at"], closes_at=data["closes_at"],
        max_attempts=data["max_attempts"], retake_gap_minutes=data["retake_gap_minutes"],
        review_mode=data["review_mode"], created_by_id=actor.id,
    )
    db.session.add(session)
    db.session.flush()
    for user in candidates:
        db.session.add(Enrolment(session_id=session.id, user_id=user.id))
    db.session.flush()
    audit.record(actor, "session.create", "exam_session", session.id, blueprint=blueprint.code,
                 candidates=len(candidates))
    return session


def _resolve_candidates(usernames: list[str], unit_codes: list[str], blueprint: Blueprint) -> list[User]:
    """Named candidates plus every active candidate of the named units (and their sub-units) whose
    audience is the blueprint's."""
    errors: dict[str, list[str]] = {}
    found = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}
    for name in usernames:
        user = found.get(name)
        if user is None or user.role != "candidate":
            errors.setdefault("candidates", []).append(f"Không có thí sinh {name}")
        elif user.audience_code != blueprint.audience_code:
            errors.setdefault("candidates", []).append(
                f"{name} thuộc đối tượng {user.audience_code}, đề dành cho {blueprint.audience_code}")
    unit_ids = []
    for code in unit_codes:
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            errors.setdefault("units", []).append(f"Không có đơn vị {code}")
        else:
            unit_ids.extend(db.session.scalars(subtree_ids(unit.id)))
    if errors:
        raise ApiError(422, "validation_error", "Danh sách thí sinh không hợp lệ.", errors)
    chosen = {u.id: u for u in found.values()}
    if unit_ids:
        for user in db.session.scalars(select(User).where(
                User.unit_id.in_(unit_ids), User.role == "candidate", User.active,
                User.audience_code == blueprint.audience_code)):
            chosen[user.id] = user
    return list(chosen.values())


def enrol(session: ExamSession, usernames: list[str], unit_codes: list[str], actor: User) -> int:
    """Enrol more candidates by username or unit; a unit manager only the people of the units they manage.

    :raise ApiError 403: a unit or person outside the manager's units. 422: an unknown one.
    """
    if actor.role == "unit_manager":
        _check_managed(actor, usernames, unit_codes)
    users = _resolve_candidates(usernames, unit_codes, session.blueprint)
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.session_id == session.id)))
    added = [u for u in users if u.id not in enrolled]
    for user in added:
        db.session.add(Enrolment(session_id=session.id, user_id=user.id))
    db.session.flush()
    audit.record(actor, "session.enrol", "exam_session", session.id, added=[u.username for u in added])
    return len(added)


def _check_managed(manager: User, usernames: list[str], unit_codes: list[str]) -> None:
    for code in unit_codes:
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is not None and not manages(manager, unit.id):
            raise ApiError(403, "forbidden", f"Đơn vị {code} không thuộc quyền quản lý của bạn.")
    for name in usernames:
        person = db.session.scalar(select(User).where(User.username == name))
        if person is not None and not manages(manager, person.unit_id):
            raise ApiError(403, "forbidden", f"{name} không thuộc đơn vị bạn quản lý.")


def sessions_open_for(user: User, now: datetime) -> list[ExamSession]:
    """Sessions the candidate may sit now: enrolled, inside the window, with a live attempt or one left. Each
    carries the candidate's `attempts_used` and `live_attempt_id` (what the candidate's view shows)."""
    used = (select(Attempt.session_id, func.count().label("n"),
                   func.max(case((Attempt.live_slot.is_not(None), Attempt.id))).label("live"))
            .where(Attempt.user_id == user.id).group_by(Attempt.session_id).subquery())
    rows = db.session.execute(
        select(ExamSession, func.coalesce(used.c.n, 0), used.c.live)
        .join(Enrolment, Enrolment.session_id == ExamSession.id)
        .outerjoin(used, used.c.session_id == ExamSession.id)
        .where(Enrolment.user_id == user.id, ExamSession.opens_at <= now, ExamSession.closes_at > now,
               (func.coalesce(used.c.n, 0) < ExamSession.max_attempts) | used.c.live.is_not(None))
        .order_by(ExamSession.closes_at)
    ).all()
    for session, attempts_used, live_attempt_id in rows:
        session.attempts_used, session.live_attempt_id = attempts_used, live_attempt_id
    return [session for session, _, _ in rows]


# -- attempts --------------------------------------------------------------------------------------


def live_attempt(session: ExamSession, user: User) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.live_slot == _slot(session, user)))


def _slot(session: ExamSession, user: User) -> str:
    return f"{session.id}:{user.id}"


def start_or_resume(session: ExamSession, user: User, now: datetime) -> tuple[Attempt, bool]:
    """The candidate's live attempt, or a new one with its own form. Returns (attempt, created).

    :raise ApiError 403: not enrolled. :raise ApiError 409: outside the window, no attempts left,
        or the retake gap has not passed.
    """
    # One read of the candidate's attempts: the live one and the count come from the same rows, so a start
    # committed by another request in between cannot make a resume look like a new attempt over the limit.
    previous = list(db.session.scalars(select(Attempt).where(
        Attempt.session_id == session.id, Attempt.user_id == user.id).order_by(Attempt.number)))
    live = next((a for a in previous if a.live_slot is not None), None)
    if live is not None and not close_if_expired(live, now):
        return live, False
    if db.session.scalar(select(Enrolment.id).where(
            Enrolment.session_id == session.id, Enrolment.user_id == user.id)) is None:
        raise ApiError(403, "not_enrolled", "Bạn không có tên trong kỳ sát hạch này.")
    if not session.opens_at <= now < session.closes_at:
        raise ApiError(409, "session_closed", "Kỳ sát hạch chưa mở hoặc đã đóng.")
    if len(previous) >= session.max_attempts:
        raise ApiError(409, "no_attempts_left", "Bạn đã hết số lần thi cho phép.")
    if previous and previous[-1].closed_at and session.retake_gap_minutes:
        ready = previous[-1].closed_at + timedelta(minutes=session.retake_gap_minutes)
        if now < ready:
            raise ApiError(409, "retake_too_soon",
                           f"Chưa đến thời gian được thi lại (từ {vn_time(ready, '%H:%M %d/%m/%Y')}, giờ Việt Nam).")
    attempt = _new_attempt(session, user, len(previous) + 1, now)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            # The drawn items by one executemany of a cached INSERT, without fifty ORM objects to track (a third
            # of the cost); a multi-row VALUES would be compiled anew each time and costs more than either.
            db.session.execute(insert(AttemptItem.__table__),
                               [{"attempt_id": attempt.id, **drawn} for drawn in attempt.drawn])
    except IntegrityError:
        # Another request started the same attempt a moment ago: resume that one.
        existing = live_attempt(session, user)
        if existing is None:
            raise
        return existing, False
    return attempt, True


def _new_attempt(session: ExamSession, user: User, number: int, now: datetime) -> Attempt:
    blueprint = session.blueprint
    seed = secrets.randbits(63)
    pools: dict[tuple[str, str], dict[str, list[PoolItem]]] = {}  # split by competence, as draw_form takes
    exposure: dict[int, int] = {}
    rows = db.session.execute(
        drawable(blueprint.audience_code, ItemVersion.item_id, ItemVersion.id, Competence.area_code,
                 ItemVersion.level_code, Item.exposure, ItemVersion.competence_code, ItemVersion.enemy_group,
                 ItemVersion.content_sha256, ItemVersion.created_at)
        .join(Item, Item.id == ItemVersion.item_id)
        .order_by(ItemVersion.id)
    )
    rows = rows.all()
    # What assembly balances: the chance that the blueprint's borderline candidate answers each item right,
    # cached per blueprint until a calibration or a change of the pool (service/calibration.py).
    at_cut = difficulties_at_cut(blueprint, (len(rows), sum(row[1] for row in rows)))
    content = {}
    for item_id, version_id, area, level, times_drawn, competence, enemy_group, sha256, created_at in rows:
        content[version_id] = (sha256, created_at)
        pools.setdefault((area, level), {}).setdefault(competence, []).append(
            PoolItem(item_id, version_id, competence, enemy_group, at_cut.get(item_id)))
        exposure[item_id] = times_drawn
    seen = set(db.session.scalars(
        select(ItemVersion.item_id).join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.user_id == user.id)))
    try:
        form = draw_form(blueprint.cells, pools, seed=seed, candidate_seen=seen, exposure=exposure)
    except BankShortage as exc:
        raise ApiError(409, "bank_shortage", str(exc)) from exc
    versions = shown_versions((d.version_id, *content[d.version_id]) for d in form)
    rng = random.Random(seed)
    attempt = Attempt(
        session_id=session.id, user_id=user.id, number=number, status="in_progress",
        live_slot=_slot(session, user), seed=seed, blueprint_id=blueprint.id,
        framework_version=blueprint.framework_version, started_at=now,
        deadline=min(now + timedelta(minutes=blueprint.duration_minutes), session.closes_at),
    )
    # The drawn items as rows (start_or_resume inserts them), and their versions' content, which the body of
    # the start is made from without reading them back (attempt_data).
    attempt.drawn, attempt.shown_versions = [], versions
    for position, drawn in enumerate(form, start=1):
        version = versions[drawn.version_id]
        shown = get_item_type(version.type).candidate_options(version.options, rng)
        attempt.drawn.append({"position": position, "item_version_id": drawn.version_id,
                              "option_order": [o["id"] for o in shown], "answer": None, "answered_at": None,
                              "credit": None})
    return attempt


class ShownVersion(NamedTuple):
    """What an attempt shows of an item version, and what scores it: its content, nothing about its state."""

    item_id: int
    type: str
    stem: str
    options: list  # the stored options; shared, so read only (the item types' option helpers copy them)
    key: object
    explanation: str
    competence: str


# The content of item versions, for the starts, bodies and scoring of attempts: the hot paths read it from here
# instead of transferring and decoding it again each time. A version's content is immutable once it can be drawn
# (an edit makes a new version). An entry is keyed on the version's id, the hash of its content (service/bank.py
# content_hash: type, stem, options, key, explanation, competence, ...) and its creation time, which every reader
# fetches with the row that names the version: a changed draft, or a database rebuilt under the same ids, finds
# no entry rather than another's content (the creation time because the hash is of the interchange content,
# while the stored option ids are drawn at random when a version is made). A pure function of stored data,
# holding no state of any request or candidate; each process has its own, and bounds it.
_SHOWN: dict[tuple[int, str, datetime], ShownVersion] = {}
_SHOWN_LIMIT = 20_000


def shown_versions(wanted: Iterable[tuple[int, str, datetime]]) -> dict[int, ShownVersion]:
    """The content of each (version id, content hash, creation time) in `wanted`, by version id; one query for
    those not kept."""
    found: dict[int, ShownVersion] = {}
    missing = []
    for version_id, sha256, created_at in wanted:
        entry = _SHOWN.get((version_id, sha256, created_at))
        if entry is None:
            missing.append(version_id)
        else:
            found[version_id] = entry
    if missing:
        if len(_SHOWN) > _SHOWN_LIMIT:
            _SHOWN.clear()
        for row in db.session.execute(
                select(ItemVersion.id, ItemVersion.content_sha256, ItemVersion.created_at, ItemVersion.item_id,
                       ItemVersion.type,
                       ItemVersion.stem, ItemVersion.options, ItemVersion.key, ItemVersion.explanation,
                       ItemVersion.competence_code).where(ItemVersion.id.in_(missing))):
            entry = ShownVersion(row.item_id, row.type, row.stem, row.options, row.key, row.explanation,
                                 row.competence_code)
            _SHOWN[(row.id, row.content_sha256, row.created_at)] = found[row.id] = entry
    return found


def count_exposure(attempt_id: int) -> None:
    """Count the draw in each item's exposure. Call it in its own short transaction after the attempt is
    committed: the counters are hot rows shared by every start, so they are locked in id order (no deadlock
    between concurrent starts), only for this one statement, and a counter another start holds at that
    moment is skipped rather than waited for. Exposure steers the draw toward less used items; under a
    burst of starts it may undercount, which only makes the steering a little less sharp."""
    item_ids = select(ItemVersion.item_id).join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id).where(
        AttemptItem.attempt_id == attempt_id)
    locked = select(Item.id).where(Item.id.in_(item_ids)).order_by(Item.id).with_for_update(skip_locked=True)
    db.session.execute(update(Item).where(Item.id.in_(locked.scalar_subquery())).values(exposure=Item.exposure + 1)
                       .execution_options(synchronize_session=False))


def earliest_live_deadline(now: datetime) -> datetime:
    """An attempt whose deadline is earlier than this has expired at `now`, the grace included: the one rule,
    in Python and in the queries that select live or expired attempts."""
    return now - GRACE


def expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline < earliest_live_deadline(now)


def close_if_expired(attempt: Attempt, now: datetime) -> bool:
    """Close and score an attempt past its deadline. True when the attempt is (now) closed."""
    if attempt.status != "in_progress":
        return True
    if not expired(attempt, now):
        return False
    close(attempt, now, closed_by="timeout")
    return True


# An answer save is this one statement, built once. Its subquery locks the attempt row FOR SHARE (PostgreSQL)
# when the attempt is live and the caller's account owns it and still accepts the caller's identity (token
# version, active): a save and a submit of the same attempt never interleave, so an answer is either in the
# score or refused, never written after the scoring. The UPDATE returns what the answer's shape is checked
# against.
# (Subqueries, not a CTE or UPDATE ... FROM: SQLite's driver opens a transaction only for a statement that
# starts with UPDATE, and cannot return columns of FROM tables.)
_LIVE_ATTEMPT = (
    select(Attempt.id)
    .join(User, User.id == Attempt.user_id)
    .where(Attempt.id == bindparam("attempt"), Attempt.status == "in_progress",
           Attempt.deadline >= bindparam("earliest_deadline"), User.id == bindparam("user_id"),
           User.token_version == bindparam("token_version"), User.active, User.role == "candidate")
    .with_for_update(read=True, of=Attempt)
)
_ITEM_VERSION_OF_ROW = ItemVersion.id == AttemptItem.item_version_id
_SAVE = (
    update(AttemptItem.__table__)
    .where(AttemptItem.attempt_id.in_(_LIVE_ATTEMPT), AttemptItem.position == bindparam("at"))
    .values(answer=bindparam("answer"), answered_at=bindparam("now"))
    .returning(
        select(ItemVersion.type).where(_ITEM_VERSION_OF_ROW).scalar_subquery().label("type"),
        select(ItemVersion.options).where(_ITEM_VERSION_OF_ROW).scalar_subquery().label("options"),
        select(Attempt.deadline).where(Attempt.id == AttemptItem.attempt_id).scalar_subquery().label("deadline"),
    )
)


def save_answer(attempt_id: int, identity: Identity, position: int, answer, now: datetime) -> datetime:
    """Save one answer with one indexed UPDATE, committed before this returns; returns the attempt's deadline.

    :raise ApiError 401: the account no longer accepts this identity. 404: no such attempt for this
        candidate, or no such position. 409: the attempt is closed. 422: the answer does not have the item
        type's shape (the write is rolled back).
    """
    with db.engine.begin() as connection:  # its own short transaction: commits here, rolls back on a raise
        row = connection.execute(_SAVE, {
            "attempt": attempt_id, "at": position, "answer": answer, "now": now,
            "earliest_deadline": earliest_live_deadline(now), "user_id": identity.user_id,
            "token_version": identity.version}).first()
        if row is not None:
            try:
                get_item_type(row.type).validate_answer(row.options, answer)
            except AnswerShapeError as exc:
                raise ApiError(422, "invalid_answer", str(exc), {"answer": [str(exc)]}) from exc
    if row is None:
        _refuse_save(attempt_id, identity, now)
    return row.deadline


def _refuse_save(attempt_id: int, identity: Identity, now: datetime) -> NoReturn:
    """Why a save matched nothing, in the order a caller needs to hear it; an expired attempt is closed."""
    if not accepts(db.session.get(User, identity.user_id), identity):
        raise unauthorized()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != identity.user_id:
        raise ApiError(404, "not_found", "Không tìm thấy bài thi.")
    if attempt.status != "in_progress" or expired(attempt, now):
        close_if_expired(attempt, now)  # kept: the attempt is closed and scored from what was saved
        raise ApiError(409, "attempt_closed", "Bài thi đã kết thúc, không thể lưu câu trả lời.", keep=True)
    raise ApiError(404, "not_found", "Không có câu hỏi ở vị trí này trong bài thi.")


def close(attempt: Attempt, now: datetime, *, closed_by: str) -> bool:
    """Close an in-progress attempt and score it, exactly once even under concurrent requests.

    The conditional UPDATE is the lock: only the request whose UPDATE changes the row scores it and
    issues the certificate; any other sees rowcount 0 and reads the stored result.
    :return: True when this call closed the attempt.
    """
    won = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(status="submitted", live_slot=None, closed_at=now, closed_by=closed_by)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(attempt)
    if not won:
        return False
    attempt.result = score_attempt(attempt)
    db.session.flush()
    if attempt.result["passed"]:
        from .issuing import issue_for_attempt

        issue_for_attempt(attempt)
    return True


def score_attempt(attempt: Attempt) -> dict:
    blueprint = attempt.blueprint
    rule = ScoringRule.from_blueprint(blueprint.spec)
    rows = db.session.execute(
        select(AttemptItem.position, AttemptItem.answer, AttemptItem.item_version_id, ItemVersion.content_sha256,
               ItemVersion.created_at, Competence.area_code)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .join(Competence, Competence.code == ItemVersion.competence_code)
        .where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)
    ).all()
    versions = shown_versions((r.item_version_id, r.content_sha256, r.created_at) for r in rows)
    drawn = [versions[r.item_version_id] for r in rows]
    responses = [ScoredResponse(area=r.area_code, type=v.type, key=v.key, answer=r.answer, option_count=len(v.options))
                 for r, v in zip(rows, drawn, strict=True)]
    result = score(rule, responses, blueprint.spec["areas"])
    _store_credits(attempt.id, {r.position: float(credit) for r, credit in zip(rows, result.item_credits, strict=True)})
    body = result.to_dict()
    body["missed_competences"] = missed_competences(
        (v.competence, credit) for v, credit in zip(drawn, result.item_credits, strict=True))
    body["blueprint"] = {"code": blueprint.code, "version": blueprint.version}
    body["framework_version"] = attempt.framework_version
    return body


def _store_credits(attempt_id: int, credits: dict[int, float]) -> None:
    """Each item's credit, by position, in one UPDATE (the ORM would send one per item); an item of the
    attempt already loaded in the session gets its stored credit as well."""
    if not credits:
        return
    db.session.execute(_credits_update(tuple(credits)),
                       {"attempt": attempt_id, **{f"credit_{p}": credit for p, credit in credits.items()}})
    for position, credit in credits.items():
        loaded = db.session.identity_map.get(db.session.identity_key(AttemptItem, (attempt_id, position)))
        if loaded is not None:
            set_committed_value(loaded, "credit", credit)


@cache
def _credits_update(positions: tuple[int, ...]):
    """UPDATE the credits of these positions of an attempt: one statement per form's positions, built once."""
    return (update(AttemptItem.__table__).where(AttemptItem.attempt_id == bindparam("attempt"))
            .values(credit=case({p: bindparam(f"credit_{p}", type_=Float) for p in positions},
                                value=AttemptItem.position)))


def latest_certificate(attempt: Attempt) -> Certificate | None:
    """The attempt's certificate as it stands: the newest reissue, or the original."""
    return db.session.scalar(select(Certificate).where(
        Certificate.attempt_id == attempt.id).order_by(Certificate.reissue_no.desc()))


def attempt_data(attempt: Attempt, now: datetime) -> dict:
    """All there is to show of an attempt, in the shape of its schema (service/schemas/exams.py): the items as
    the candidate saw them, with their keys; the result and certificate once submitted; the reason it was
    voided. The reader's view (question_bank/review.py) decides what of it is shown."""
    if getattr(attempt, "drawn", None) is not None:  # just started by this request: the rows it inserted
        rows = [SimpleNamespace(**drawn) for drawn in attempt.drawn]
        versions = attempt.shown_versions
    else:
        rows = db.session.execute(
            select(AttemptItem.position, AttemptItem.item_version_id, AttemptItem.option_order, AttemptItem.answer,
                   AttemptItem.credit, ItemVersion.content_sha256, ItemVersion.created_at)
            .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
            .where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()
        versions = shown_versions((row.item_version_id, row.content_sha256, row.created_at) for row in rows)
    data = {
        "id": attempt.id, "session_id": attempt.session_id, "number": attempt.number, "status": attempt.status,
        "started_at": attempt.started_at, "deadline": attempt.deadline, "server_time": now,
        "closed_at": attempt.closed_at,
        "items": [{
            "position": drawn.position, "item_id": version.item_id, "type": version.type, "stem": version.stem,
            "options": get_item_type(version.type).shown_options(version.options, drawn.option_order),
            "answer": drawn.answer, "key": version.key, "credit": drawn.credit,
            "explanation": version.explanation, "competence": version.competence,
        } for drawn in rows for version in (versions[drawn.item_version_id],)],
    }
    if attempt.status == "submitted" and attempt.result is not None:
        data["result"], data["certificate"] = attempt.result, latest_certificate(attempt)
    if attempt.status == "voided":
        data["void_reason"] = attempt.void_reason
    return data


def submit(attempt: Attempt, now: datetime) -> Attempt:
    """Idempotent: the first submit closes and scores; every later one returns the same result."""
    if attempt.status == "in_progress":
        close(attempt, now, closed_by="timeout" if expired(attempt, now) else "submit")
    return attempt


def close_expired(now: datetime) -> int:
    """Close every attempt past its deadline (the periodic command)."""
    closed = 0
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.status == "in_progress", Attempt.deadline < earliest_live_deadline(now))).all():
        closed += close(attempt, now, closed_by="timeout")
    return closed


# -- proctoring ------------------------------------------------------------------------------------


def add_time(attempt: Attempt, minutes: int, reason: str, actor: User, now: datetime) -> Attempt:
    if attempt.status != "in_progress" or close_if_expired(attempt, now):
        raise ApiError(409, "attempt_closed", "Chỉ cộng giờ cho bài đang làm.")
    attempt.deadline += timedelta(minutes=minutes)
    db.session.flush()
    audit.record(actor, "attempt.extra_time", "attempt", attempt.id, minutes=minutes, reason=reason,
                 deadline=attempt.deadline.isoformat())
    return attempt


def void(attempt: Attempt, reason: str, actor: User, now: datetime) -> Attempt:
    """Void an attempt; a certificate it earned is revoked with the same reason."""
    if attempt.status == "voided":
        raise ApiError(409, "already_voided", "Bài thi đã bị hủy trước đó.")
    attempt.status, attempt.live_slot, attempt.void_reason = "voided", None, reason
    attempt.closed_at = attempt.closed_at or now
    attempt.closed_by = attempt.closed_by or "void"
    db.session.flush()
    audit.record(actor, "attempt.void", "attempt", attempt.id, reason=reason)
    from .issuing import revoke

    for cert in db.session.scalars(select(Certificate).where(
            Certificate.attempt_id == attempt.id, Certificate.status == "valid")):
        revoke(cert, f"Bài thi bị hủy: {reason}", actor)
    return attempt


def progress(session: ExamSession, now: datetime) -> list[dict]:
    """Who is sitting now, with how many items they have answered."""
    answered = (select(AttemptItem.attempt_id, func.count(AttemptItem.answer).label("n"),
                       func.count().label("total"))
                .group_by(AttemptItem.attempt_id).subquery())
    rows = db.session.execute(
        select(Attempt, User, answered.c.n, answered.c.total)
        .join(User, User.id == Attempt.user_id)
        .join(answered, answered.c.attempt_id == Attempt.id)
        .where(Attempt.session_id == session.id, Attempt.status == "in_progress")
        .order_by(User.full_name)
    ).all()
    return [{
        "attempt_id": a.id, "username": u.username, "full_name": u.full_name,
        "started_at": a.started_at, "deadline": a.deadline, "answered": n, "item_count": total,
        "overdue": expired(a, now),
    } for a, u, n, total in rows]
