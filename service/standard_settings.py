"""Standard setting studies (modified Angoff): sample a blueprint's items, collect the panel's ratings round by
round, and derive the cut, which becomes the pass mark of a new version of the blueprint.

The arithmetic is question_bank/standard_setting.py's (``angoff_cut`` weighted by ``blueprint_weights``, so the
cut is the expected percent on a form drawn at random). These operations flush, never commit.

Who sees what: the admin sees everything, each rater's ratings included. A panel member sees their own ratings
and, from round 2 on, the panel's mean per item of the rounds before (the figure the panel discusses between
rounds), never another member's ratings.

The pass mark is a whole percent, as every shipped blueprint writes it (``pass_percent: 60``): the derived cut,
exact, is rounded half up to a whole number (57.50 → 58). The cut to 2 decimals stays in the study. The band
just above the failing band (``Đạt``) starts at the pass mark when it did before; the new version is checked
by ``validate_blueprint`` and refused (409) when the cut would break the bands' order.
"""

import copy
import math
import random
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from flask import current_app
from sqlalchemy import func, select

from question_bank.scoring import round2, validate_blueprint
from question_bank.standard_setting import AngoffResult, Rating, angoff_cut, blueprint_weights

from . import audit
from .bank import drawable
from .calibration import GATE_FORMS, check_blueprint, verdicts
from .errors import ApiError, not_found
from .extensions import db
from .models import (
    Audience,
    Blueprint,
    Competence,
    Item,
    ItemVersion,
    StandardSetting,
    StandardSettingItem,
    StandardSettingPanelist,
    StandardSettingRating,
    User,
)
from .models.standard import PANEL_ROLES

PER_CELL = 3
STATUS_TEXT = {"open": "Đang đánh giá", "derived": "Đã xác định điểm chuẩn", "cancelled": "Đã hủy"}


# -- finding studies ----------------------------------------------------------------------------------------


def study_or_404(study_id: int) -> StandardSetting:
    study = db.session.get(StandardSetting, study_id)
    if study is None:
        raise not_found("Không tìm thấy đợt xác định điểm chuẩn.")
    return study


def on_panel(study: StandardSetting, user: User) -> bool:
    return any(member.user_id == user.id for member in study.panel)


def readable(study_id: int, user: User) -> StandardSetting:
    """The study, for the admin or a member of its panel.

    :raise ApiError 404: no such study. 403: the user is neither.
    """
    study = study_or_404(study_id)
    if user.role != "admin" and not on_panel(study, user):
        raise ApiError(403, "forbidden", "Bạn không thuộc hội đồng của đợt xác định điểm chuẩn này.")
    return study


def listing(user: User):
    """Every study for the admin, newest first; a panel member's own studies for anyone else."""
    query = select(StandardSetting).order_by(StandardSetting.id.desc())
    if user.role != "admin":
        query = query.where(StandardSetting.id.in_(
            select(StandardSettingPanelist.study_id).where(StandardSettingPanelist.user_id == user.id)))
    return query


def open_for(user: User) -> list[StandardSetting]:
    """The open studies `user` rates in (for their home page)."""
    return db.session.scalars(listing(user).where(StandardSetting.status == "open")
                              .where(StandardSetting.id.in_(select(StandardSettingPanelist.study_id)
                                                            .where(StandardSettingPanelist.user_id == user.id)))
                              ).all()


# -- creating a study ---------------------------------------------------------------------------------------


def _counts(blueprint: Blueprint) -> dict[tuple[str, str], int]:
    return {(area, level): count for area, level, count in blueprint.cells}


def _pool(blueprint: Blueprint) -> dict[int, tuple[str, str]]:
    """The active item versions of the blueprint's audience in one of its cells: id → (area, level)."""
    counts = _counts(blueprint)
    rows = db.session.execute(
        drawable(blueprint.audience_code, ItemVersion.id, Competence.area_code, ItemVersion.level_code)
        .order_by(ItemVersion.id))
    return {version_id: (area, level) for version_id, area, level in rows if (area, level) in counts}


def _panel(usernames: Iterable[str]) -> list[User]:
    """:raise ApiError 422: an unknown or inactive account, or a candidate, named."""
    wanted = list(dict.fromkeys(usernames))
    found = {user.username: user for user in db.session.scalars(select(User).where(User.username.in_(wanted)))}
    problems = []
    for name in wanted:
        user = found.get(name)
        if user is None:
            problems.append(f"Không có tài khoản “{name}”.")
        elif not user.active:
            problems.append(f"Tài khoản “{name}” đang bị khóa.")
        elif user.role not in PANEL_ROLES:
            problems.append(f"“{name}” là thí sinh: hội đồng chỉ gồm cán bộ (tác giả, người kiểm duyệt, giám thị, "
                            f"quản lý đơn vị, quản trị).")
    if problems:
        raise ApiError(422, "validation_error", "Danh sách hội đồng chưa hợp lệ.", {"panel": problems})
    return [found[name] for name in wanted]


def create_study(data: dict, actor: User) -> StandardSetting:
    """A study of the current version of `data["blueprint"]`: the panel by username, and either the item
    versions listed (`item_version_ids`) or `items_per_cell` active items drawn at random from each cell (all
    of a cell when it holds fewer).

    :raise ApiError 422: unknown blueprint, a bad panel, an item that is not an active item of the blueprint's
        audience and cells, or a cell without any item to rate.
    """
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.code == data["blueprint"], Blueprint.current))
    if blueprint is None:
        raise ApiError(422, "validation_error", "Không có cấu trúc đề này.",
                       {"blueprint": [f"Không có cấu trúc đề {data['blueprint']}."]})
    panel = _panel(data["panel"])
    pool = _pool(blueprint)
    if data.get("item_version_ids"):
        chosen = list(dict.fromkeys(data["item_version_ids"]))
        outside = [str(version_id) for version_id in chosen if version_id not in pool]
        if outside:
            raise ApiError(422, "validation_error", "Có câu hỏi không dùng được cho cấu trúc đề này.", {
                "item_version_ids": [f"Các phiên bản câu hỏi {', '.join(outside)} không phải câu đang dùng của "
                                     f"đối tượng {blueprint.audience_code} trong các ô của {blueprint.code}."]})
    else:
        by_cell: dict[tuple[str, str], list[int]] = {}
        for version_id, cell in pool.items():
            by_cell.setdefault(cell, []).append(version_id)
        draw = random.SystemRandom()
        chosen = [version_id for cell in _counts(blueprint)
                  for version_id in sorted(draw.sample(by_cell.get(cell, []),
                                                       min(data["items_per_cell"], len(by_cell.get(cell, [])))))]
    try:
        blueprint_weights(_counts(blueprint), {version_id: pool[version_id] for version_id in chosen})
    except ValueError as error:
        raise ApiError(422, "validation_error", f"Không lấy đủ câu để đánh giá: {error}",
                       {"item_version_ids": [str(error)]}) from None
    order = {cell: position for position, cell in enumerate(_counts(blueprint))}
    chosen.sort(key=lambda version_id: (order[pool[version_id]], version_id))
    study = StandardSetting(blueprint=blueprint, blueprint_code=blueprint.code, blueprint_version=blueprint.version,
                            title=data["title"], status="open", round=1, created_by_id=actor.id)
    db.session.add(study)
    db.session.flush()
    for position, version_id in enumerate(chosen, start=1):
        area, level = pool[version_id]
        db.session.add(StandardSettingItem(study_id=study.id, item_version_id=version_id, position=position,
                                           area=area, level=level))
    for user in panel:
        db.session.add(StandardSettingPanelist(study_id=study.id, user_id=user.id))
    db.session.flush()
    db.session.refresh(study)
    audit.record(actor, "standard_setting.create", "standard_setting", study.id, blueprint=blueprint.code,
                 version=blueprint.version, panel=[user.username for user in panel], items=len(chosen))
    return study


# -- rating -------------------------------------------------------------------------------------------------


def refuse_unless_open(study: StandardSetting) -> None:
    if study.status == "derived":
        raise ApiError(409, "already_derived", f"Đợt này đã xác định điểm chuẩn (ngưỡng đạt {study.pass_percent}%, "
                                               f"cấu trúc đề {study.blueprint_code} phiên bản "
                                               f"{study.result_blueprint.version}); không thay đổi được nữa.")
    if study.status == "cancelled":
        raise ApiError(409, "cancelled", "Đợt này đã bị hủy; không thay đổi được nữa.")


def exact_text(value: Decimal) -> str:
    """A probability as the decimal text it is stored as: 0.65, 1, 0."""
    return format(value.normalize(), "f")


def rate(study: StandardSetting, user: User, given: list[dict], now: datetime) -> int:
    """Save `user`'s ratings ({item_version_id, probability (Decimal 0..1)}) in the study's current round; a
    rating of the same item in the same round is replaced. Returns how many were saved.

    :raise ApiError 403: not on the panel. 409: the study is closed. 422: an item not in the study, or one
        item twice.
    """
    if not on_panel(study, user):
        raise ApiError(403, "forbidden", "Bạn không thuộc hội đồng của đợt xác định điểm chuẩn này.")
    refuse_unless_open(study)
    in_study = {entry.item_version_id for entry in study.items}
    ids = [entry["item_version_id"] for entry in given]
    outside = [str(version_id) for version_id in dict.fromkeys(ids) if version_id not in in_study]
    if outside:
        raise ApiError(422, "validation_error", "Có câu không thuộc đợt đánh giá này.",
                       {"ratings": [f"Phiên bản câu hỏi {', '.join(outside)} không thuộc đợt đánh giá này."]})
    twice = sorted({str(version_id) for version_id in ids if ids.count(version_id) > 1})
    if twice:
        raise ApiError(422, "validation_error", "Mỗi câu chỉ được đánh giá một lần trong một lần gửi.",
                       {"ratings": [f"Phiên bản câu hỏi {', '.join(twice)} được gửi hai lần."]})
    existing = {rating.item_version_id: rating for rating in db.session.scalars(
        select(StandardSettingRating).where(StandardSettingRating.study_id == study.id,
                                            StandardSettingRating.user_id == user.id,
                                            StandardSettingRating.round == study.round))}
    for entry in given:
        text = exact_text(entry["probability"])
        rating = existing.get(entry["item_version_id"])
        if rating is None:
            db.session.add(StandardSettingRating(study_id=study.id, user_id=user.id,
                                                 item_version_id=entry["item_version_id"], round=study.round,
                                                 probability=text, rated_at=now))
        else:
            rating.probability, rating.rated_at = text, now
    db.session.flush()
    audit.record(user, "standard_setting.rate", "standard_setting", study.id, round=study.round, rated=len(given))
    return len(given)


def _ratings(study: StandardSetting) -> list[StandardSettingRating]:
    return db.session.scalars(select(StandardSettingRating).where(StandardSettingRating.study_id == study.id)
                              .order_by(StandardSettingRating.round, StandardSettingRating.id)).all()


def _latest(rows: Iterable[StandardSettingRating], before_round: int | None = None) -> dict[tuple[int, int], Fraction]:
    """(user id, item version id) → the probability of the latest round (before `before_round`)."""
    latest: dict[tuple[int, int], tuple[int, Fraction]] = {}
    for row in rows:
        if before_round is not None and row.round >= before_round:
            continue
        key = (row.user_id, row.item_version_id)
        if key not in latest or latest[key][0] <= row.round:
            latest[key] = (row.round, Fraction(row.probability))
    return {key: value for key, (_, value) in latest.items()}


def _percent(value: Fraction) -> float:
    """A probability as a percent to 2 decimals, as the pages and the API show it."""
    return float(round2(100 * value))


def rated_items(study: StandardSetting, user: User) -> list[dict]:
    """The study's items as a panel member rates them: text, options, key, their own rating in this round
    (None when not given yet), their latest rating of an earlier round, and, from round 2 on, the panel's
    mean of the earlier rounds (latest rating of each member)."""
    rows = _ratings(study)
    mine_now = {row.item_version_id: row.probability for row in rows
                if row.user_id == user.id and row.round == study.round}
    earlier = _latest(rows, before_round=study.round)
    versions = {version.id: version for version in item_versions(study)}
    items = []
    for entry in study.items:
        version = versions[entry.item_version_id]
        given = [value for (_, version_id), value in earlier.items() if version_id == entry.item_version_id]
        mine_before = earlier.get((user.id, entry.item_version_id))
        items.append({
            "item_version_id": version.id, "code": version.item.code, "type": version.type, "stem": version.stem,
            "options": version.options, "key": version.key, "area": entry.area, "level": entry.level,
            "competence": version.competence_code, "my_probability": mine_now.get(version.id),
            "my_previous": None if mine_before is None else exact_text(Decimal(mine_before.numerator)
                                                                      / Decimal(mine_before.denominator)),
            "panel_mean_percent": _percent(sum(given) / len(given)) if given else None})
    return items


# -- the panel's figures ------------------------------------------------------------------------------------


def missing(study: StandardSetting,
            rows: list[StandardSettingRating] | None = None) -> dict[User, list[StandardSettingItem]]:
    """Per panel member, the items they have not rated in any round (members with nothing missing left out)."""
    rated = {(row.user_id, row.item_version_id) for row in (_ratings(study) if rows is None else rows)}
    found = {}
    for member in study.panel:
        lacking = [entry for entry in study.items if (member.user_id, entry.item_version_id) not in rated]
        if lacking:
            found[member.user] = lacking
    return found


def _missing_text(lacking: dict[User, list[StandardSettingItem]]) -> tuple[str, dict[str, list[str]]]:
    errors = {user.username: [entry.version.item.code for entry in entries] for user, entries in lacking.items()}
    names = "; ".join(f"{user.full_name} ({user.username}) thiếu {len(entries)} câu"
                      for user, entries in lacking.items())
    return names, errors


def figures(study: StandardSetting) -> dict:
    """The admin's view of the panel's work now: the cut from the raters who have rated every item (all of
    them once nobody is missing anything), its spread and standard error, the cut after each round, the
    pass mark it would set, who is missing what, and per item its weight, the panel's mean and each rating."""
    rows = _ratings(study)
    lacking = missing(study, rows)
    members = {member.user_id: member.user for member in study.panel}
    complete = {user_id for user_id in members if members[user_id] not in lacking}
    cells = {entry.item_version_id: (entry.area, entry.level) for entry in study.items}
    weights = blueprint_weights(_counts(study.blueprint), cells)
    result: AngoffResult | None = None
    counted = [Rating(members[row.user_id].username, row.item_version_id, Fraction(row.probability), row.round)
               for row in rows if row.user_id in complete]
    if counted:
        result = angoff_cut(counted, items=list(cells), weights=weights)
    latest = _latest(rows)
    items = []
    for entry in study.items:
        given = {members[user_id].username: value for (user_id, version_id), value in latest.items()
                 if version_id == entry.item_version_id and user_id in members}
        items.append({"item_version_id": entry.item_version_id, "code": entry.version.item.code,
                      "area": entry.area, "level": entry.level, "weight": str(weights[entry.item_version_id]),
                      "mean_percent": _percent(sum(given.values()) / len(given)) if given else None,
                      "ratings": {name: _percent(value) for name, value in sorted(given.items())}})
    return {
        "study_id": study.id, "status": study.status, "round": study.round,
        "complete": not lacking and result is not None,
        "cut": result.cut if result else None,
        "cut_percent": float(result.cut_percent) if result else None,
        "pass_percent": whole_percent(result.cut) if result else None,
        "spread": None if result is None or result.spread is None else round(result.spread, 2),
        "standard_error": None if result is None or result.standard_error is None else round(result.standard_error, 2),
        "raters": result.raters if result else 0,
        "panel_size": len(members),
        "rater_cuts": {name: float(round2(cut)) for name, cut in result.rater_cuts.items()} if result else {},
        "rounds": {str(number): float(cut) for number, cut in result.rounds.items()} if result else {},
        "missing": [{"username": user.username, "full_name": user.full_name,
                     "items": [entry.version.item.code for entry in entries]} for user, entries in lacking.items()],
        "items": items,
        "result": result,
    }


def whole_percent(cut: Fraction) -> int:
    """The pass mark a cut sets: a whole percent, rounded half up (57.5 → 58), as blueprints write it."""
    return math.floor(cut + Fraction(1, 2))


# -- rounds, the derivation, cancelling ---------------------------------------------------------------------


def refuse_if_missing(study: StandardSetting, doing: str) -> None:
    lacking = missing(study)
    if lacking:
        names, errors = _missing_text(lacking)
        raise ApiError(409, "ratings_missing", f"Chưa thể {doing}: còn thành viên hội đồng chưa đánh giá đủ các "
                                               f"câu: {names}.", errors)


def open_round(study: StandardSetting, actor: User) -> StandardSetting:
    """Open the next round: the panel has rated every item and discussed; they may now rate again.

    :raise ApiError 409: the study is closed, or someone has not rated every item yet.
    """
    refuse_unless_open(study)
    refuse_if_missing(study, f"mở vòng {study.round + 1}")
    study.round += 1
    db.session.flush()
    audit.record(actor, "standard_setting.round", "standard_setting", study.id, round=study.round)
    return study


def derive(study: StandardSetting, actor: User, now: datetime) -> StandardSetting:
    """Derive the cut from every rating (the latest round's per rater and item) and make its whole percent the
    pass mark of a new current version of the blueprint (everything else copied). Sessions created from then
    on use the new version; sessions created before keep the version they were created with.

    The new version passes the gate ``bank load`` applies (``calibration.check_blueprint``): on measured item
    parameters its decision consistency must reach DECISION_CONSISTENCY_MIN; its figures are kept in the study.

    :raise ApiError 409: already derived or cancelled, ratings missing (who and which items named), the
        blueprint has had a newer version since the study began, or the new version would be invalid or below
        the consistency minimum on measured parameters.
    """
    locked = db.session.scalar(select(StandardSetting).where(StandardSetting.id == study.id).with_for_update())
    db.session.refresh(locked)
    refuse_unless_open(locked)
    refuse_if_missing(locked, "xác định điểm chuẩn")
    base = locked.blueprint
    if not base.current:
        raise ApiError(409, "blueprint_changed", f"Cấu trúc đề {base.code} đã có phiên bản mới hơn phiên bản "
                                                 f"{base.version} mà đợt này đánh giá; hãy mở đợt mới cho phiên bản "
                                                 f"đang dùng.")
    found = figures(locked)
    result: AngoffResult = found["result"]
    pass_percent = whole_percent(result.cut)
    spec = copy.deepcopy(base.spec)
    old = spec["pass_percent"]
    spec["pass_percent"] = pass_percent
    entry_band = spec["bands"][-2]
    if Fraction(str(entry_band["min_percent"])) == Fraction(str(old)):
        entry_band["min_percent"] = pass_percent
    version = db.session.scalar(select(func.max(Blueprint.version)).where(Blueprint.code == base.code)) + 1
    try:
        validate_blueprint({**spec, "code": base.code, "version": version, "name": base.name,
                            "audience": base.audience_code, "duration_minutes": base.duration_minutes},
                           audiences=db.session.scalars(select(Audience.code)).all())
    except ValueError as error:
        raise ApiError(409, "invalid_blueprint", f"Điểm chuẩn {result.cut_percent}% không áp dụng được: {error}") \
            from None
    for older in db.session.scalars(select(Blueprint).where(Blueprint.code == base.code, Blueprint.current)):
        older.current = False
    db.session.flush()
    new = Blueprint(code=base.code, version=version, name=base.name, audience_code=base.audience_code,
                    duration_minutes=base.duration_minutes, framework_version=base.framework_version, spec=spec,
                    current=True)
    db.session.add(new)
    db.session.flush()
    check = check_blueprint(new, forms=GATE_FORMS)
    minimum = current_app.config["DECISION_CONSISTENCY_MIN"]
    if check.refused(minimum):
        raise ApiError(409, "decision_consistency", " ".join(verdicts(check, minimum)))
    record = {**result.to_dict(), "previous_pass_percent": old, "weights": {
        str(item["item_version_id"]): item["weight"] for item in found["items"]},
        "decision_quality": check.quality and check.quality.to_dict(),
        "calibrated_items": [check.pools.measured, check.pools.total]}
    locked.status, locked.cut_percent, locked.pass_percent = "derived", str(result.cut_percent), pass_percent
    locked.figures, locked.derived_by_id, locked.derived_at, locked.result_blueprint = record, actor.id, now, new
    db.session.flush()
    audit.record(actor, "standard_setting.derive", "standard_setting", locked.id, blueprint=base.code,
                 version=version, previous_version=base.version, previous_pass_percent=old,
                 pass_percent=pass_percent, cut_percent=float(result.cut_percent), raters=result.raters,
                 items=result.items, spread=record["spread"], standard_error=record["standard_error"],
                 rounds=record["rounds"], rater_cuts=record["rater_cuts"])
    return locked


def cancel(study: StandardSetting, actor: User) -> StandardSetting:
    """Close a study without a cut; its ratings stay for the record. :raise ApiError 409: already closed."""
    refuse_unless_open(study)
    study.status = "cancelled"
    db.session.flush()
    audit.record(actor, "standard_setting.cancel", "standard_setting", study.id)
    return study


def item_versions(study: StandardSetting) -> list[ItemVersion]:
    """The study's item versions in order, their items loaded."""
    ids = [entry.item_version_id for entry in study.items]
    found = {version.id: version for version in db.session.scalars(
        select(ItemVersion).join(Item).where(ItemVersion.id.in_(ids)))}
    return [found[version_id] for version_id in ids]
