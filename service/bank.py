"""Operations on the criteria and the question bank. They flush, never commit: the caller commits once."""

import hashlib
import json
import re
import secrets
from typing import NamedTuple

from sqlalchemy import Select, func, select

from question_bank.formats.text import clean_text, one_line
from question_bank.item_types import ITEM_TYPES, InvalidDefinition, get_item_type

from . import audit
from .errors import ApiError
from .extensions import db
from .models import (
    Area,
    Audience,
    Blueprint,
    Competence,
    FrameworkVersion,
    Item,
    ItemVersion,
    Level,
    User,
)
from .models.bank import item_version_audiences


def drawable(audience: str, *columns) -> Select:
    """SELECT ``columns`` over the item versions an audience's forms draw from (active, tagged for the audience),
    joined to their competence for its area (``Competence.area_code``); callers add their own joins and order."""
    return (select(*columns).select_from(ItemVersion)
            .join(Competence, Competence.code == ItemVersion.competence_code)
            .join(item_version_audiences, item_version_audiences.c.item_version_id == ItemVersion.id)
            .where(ItemVersion.status == "active", item_version_audiences.c.audience_code == audience))


ENEMY_GROUP = re.compile(r"(?=.{1,80}$)[a-z0-9]+(-[a-z0-9]+)*")
CONTENT_FIELDS = ("type", "stem", "options", "key", "explanation", "competence", "level", "audiences", "source")


# -- criteria --------------------------------------------------------------------------------------


def load_framework(data: dict) -> tuple[FrameworkVersion, bool]:
    """Upsert audiences, levels, areas and competences; record the framework version once."""
    for position, a in enumerate(data["audiences"]):
        _upsert(Audience, a["code"], name=a["name"], source=a.get("source"), position=position)
    for lv in data["levels"]:
        _upsert(Level, lv["code"], name=lv["name"], rank=lv["rank"])
    competence_position = 0
    for position, area in enumerate(data["areas"]):
        _upsert(Area, area["code"], name=area["name"], position=position)
        for c in area["competences"]:
            competence_position += 1
            _upsert(Competence, c["code"], area_code=area["code"], name=c["name"], position=competence_position,
                    plan_refs=c.get("plan", []), digcomp=c.get("digcomp", []), iu=c.get("iu", []),
                    qd757=c.get("qd757"), tt02=c.get("tt02"))
    version = db.session.scalar(select(FrameworkVersion).where(FrameworkVersion.version == data["version"]))
    if version is not None:
        return version, False
    version = FrameworkVersion(version=data["version"], name=data["name"], content_sha256=data["sha256"])
    db.session.add(version)
    db.session.flush()
    return version, True


def _upsert(model, key, **values):
    row = db.session.get(model, key)
    if row is None:
        db.session.add(model(code=key, **values))
        return
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def load_blueprints(blueprints: list[dict], framework_version: str) -> list[Blueprint]:
    """Add blueprint versions not yet stored; the newest version of each code becomes current. Returns those added.

    :raise ValueError: a stored version's content differs from the file (the file must bump `version`).
    """
    added = []
    for bp in blueprints:
        spec = {k: bp[k] for k in bp if k not in ("code", "version", "name", "audience", "duration_minutes")}
        existing = db.session.scalar(
            select(Blueprint).where(Blueprint.code == bp["code"], Blueprint.version == bp["version"])
        )
        if existing is not None:
            if existing.spec != spec or existing.duration_minutes != bp["duration_minutes"]:
                raise ValueError(f"Cấu trúc đề {bp['code']} v{bp['version']} đã thay đổi: hãy tăng version.")
            continue
        for older in db.session.scalars(select(Blueprint).where(Blueprint.code == bp["code"])):
            older.current = False
        row = Blueprint(
            code=bp["code"], version=bp["version"], name=bp["name"], audience_code=bp["audience"],
            duration_minutes=bp["duration_minutes"], framework_version=framework_version, spec=spec,
            current=True,
        )
        db.session.add(row)
        added.append(row)
    db.session.flush()
    return added


# -- items -----------------------------------------------------------------------------------------


def content_hash(data: dict) -> str:
    canonical = {name: data.get(name) for name in CONTENT_FIELDS}
    canonical["audiences"] = sorted(canonical["audiences"] or [])
    if data.get("enemy_group"):  # hashed only when set, so items without one keep the hash they had
        canonical["enemy_group"] = data["enemy_group"]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def stored_texts(data: dict) -> dict:
    """An interchange item with its texts as the bank stores them, whichever way it came (the API, the authoring
    page, an import, `bank load`): texts through `clean_text`, codes on one line (NFC; zero-width and
    bidirectional-control characters removed: question_bank/formats/text.py says why). Every operation below
    that reads an item from outside starts here. Values of the wrong kind are left for validation to report."""
    data = dict(data)
    for name in ("stem", "explanation", "source"):
        if isinstance(data.get(name), str):
            data[name] = clean_text(data[name])
    for name in ("code", "type", "competence", "level", "enemy_group"):
        if isinstance(data.get(name), str):
            data[name] = one_line(data[name])
    for name, clean in (("options", clean_text), ("audiences", one_line)):
        if isinstance(data.get(name), list):
            data[name] = [clean(value) if isinstance(value, str) else value for value in data[name]]
    for name in ("code", "source", "enemy_group"):  # optional: empty is none
        if name in data and not data[name]:
            data[name] = None
    return data


def validate_item_data(data: dict) -> list[tuple[str, str]]:
    """Problems with an interchange item as (field, Vietnamese message); empty when it can be stored."""
    data = stored_texts(data)
    problems = []
    if data.get("type") not in ITEM_TYPES:
        return [("type", f"Loại câu hỏi không hợp lệ: {data.get('type')!r}")]
    if not isinstance(data.get("stem"), str) or not data["stem"].strip():
        problems.append(("stem", "Thiếu nội dung câu hỏi."))
    if not data.get("competence") or db.session.get(Competence, data["competence"]) is None:
        problems.append(("competence", f"Mã năng lực không tồn tại: {data.get('competence')!r}"))
    if not data.get("level") or db.session.get(Level, data["level"]) is None:
        problems.append(("level", f"Mức độ không tồn tại: {data.get('level')!r}"))
    audiences = data.get("audiences") or []
    if not audiences:
        problems.append(("audiences", "Cần ít nhất một đối tượng."))
    for code in audiences:
        if db.session.get(Audience, code) is None:
            problems.append(("audiences", f"Đối tượng không tồn tại: {code!r}"))
    group = data.get("enemy_group")
    if group is not None and not (isinstance(group, str) and ENEMY_GROUP.fullmatch(group)):
        problems.append(("enemy_group", "Nhóm loại trừ chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang "
                                        "(tối đa 80 ký tự), ví dụ «xac-thuc-hai-lop»."))
    problems.extend(get_item_type(data["type"]).validate_definition(data.get("options") or [], data.get("key")))
    return problems


def _new_version(item: Item, data: dict, *, author: User | None, status: str,
                 previous: ItemVersion | None) -> ItemVersion:
    """A new version of `item` from interchange data; options keep their ids where the text is unchanged."""
    kind = get_item_type(data["type"])
    reuse = {o["text"]: o["id"] for o in (previous.options if previous else [])}
    ids = iter([reuse.get(text) or secrets.token_hex(4) for text in data["options"]])
    try:
        options, key = kind.to_stored(list(data["options"]), data["key"], lambda: next(ids))
    except InvalidDefinition as exc:
        raise ApiError(422, "invalid_item", "Câu hỏi không hợp lệ.", _field_errors(exc.problems)) from exc
    version = ItemVersion(
        item=item,
        number=(previous.number + 1) if previous else 1,
        status=status,
        type=data["type"],
        stem=data["stem"],
        options=options,
        key=key,
        explanation=data.get("explanation") or "",
        source=data.get("source"),
        enemy_group=data.get("enemy_group") or None,
        competence_code=data["competence"],
        level_code=data["level"],
        content_sha256=content_hash(data),
        author_id=author.id if author else None,
        audiences=[db.session.get(Audience, code) for code in sorted(set(data["audiences"]))],
    )
    db.session.add(version)
    return version


def _field_errors(problems) -> dict:
    errors: dict[str, list[str]] = {}
    for field, message in problems:
        errors.setdefault(field, []).append(message)
    return errors


def check_item_data(data: dict) -> None:
    """:raise ApiError 422: with per-field errors."""
    problems = validate_item_data(data)
    if problems:
        raise ApiError(422, "invalid_item", "Câu hỏi không hợp lệ.", _field_errors(problems))


def next_item_code() -> str:
    """A code for an item created without one."""
    count = db.session.scalar(select(func.count()).select_from(Item)) or 0
    while True:
        count += 1
        code = f"Q-{count:06d}"
        if db.session.scalar(select(Item.id).where(Item.code == code)) is None:
            return code


def create_item(data: dict, author: User | None, *, status: str = "draft") -> Item:
    data = stored_texts(data)
    check_item_data(data)
    code = data.get("code") or next_item_code()
    if db.session.scalar(select(Item.id).where(Item.code == code)) is not None:
        raise ApiError(409, "duplicate_code", f"Mã câu hỏi đã tồn tại: {code}")
    item = Item(code=code, created_by_id=author.id if author else None)
    db.session.add(item)
    version = _new_version(item, data, author=author, status=status, previous=None)
    db.session.flush()
    audit.record(author, "item.create", "item", item.id, code=code, version=version.number, status=status)
    return item


def edit_item(item: Item, data: dict, author: User) -> ItemVersion:
    """Editing always makes a new draft version; the active version stays in use until the new one is approved."""
    data = stored_texts(data)
    check_item_data(data)
    previous = item.latest
    if previous.status in ("draft", "in_review") and not previous.used:
        # An unreviewed draft is replaced by the new draft rather than piling up versions.
        previous.status = "retired"
    version = _new_version(item, data, author=author, status="draft", previous=previous)
    db.session.flush()
    audit.record(author, "item.edit", "item", item.id, version=version.number)
    return version


def filtered_versions(query, filters: dict):
    """`query` (of item versions) narrowed by the filters an item list takes: competence, level, status,
    audience, and text in the stem."""
    if "competence" in filters:
        query = query.where(ItemVersion.competence_code == filters["competence"])
    if "level" in filters:
        query = query.where(ItemVersion.level_code == filters["level"])
    if "status" in filters:
        query = query.where(ItemVersion.status == filters["status"])
    if "audience" in filters:
        query = query.where(ItemVersion.id.in_(
            select(item_version_audiences.c.item_version_id)
            .where(item_version_audiences.c.audience_code == filters["audience"])))
    if filters.get("q"):
        query = query.where(ItemVersion.stem.icontains(filters["q"], autoescape=True))
    return query


class Upserted(NamedTuple):
    result: str  # created, updated or skipped
    code: str


def upsert_loaded_item(data: dict, *, status: str = "active", actor: User | None = None) -> Upserted:
    """For `bank load` and imports: create, add a new version when the content changed, or skip.
    A new active version retires the previous active one; a new draft waits for review."""
    data = stored_texts(data)
    item = db.session.scalar(select(Item).where(Item.code == data["code"])) if data.get("code") else None
    if item is None:
        item = create_item(data, actor, status=status)
        return Upserted("created", item.code)
    current = item.latest
    if current.content_sha256 == content_hash(data):
        return Upserted("skipped", item.code)
    check_item_data(data)
    version = _new_version(item, data, author=actor, status=status, previous=current)
    if status == "active":
        for older in item.versions:
            if older is not version and older.status == "active":
                older.status = "retired"
    db.session.flush()
    audit.record(actor, "item.load", "item", item.id, version=version.number, status=status)
    return Upserted("updated", item.code)


def retire_loaded_item(data: dict, *, actor: User | None = None) -> Upserted:
    """For `bank load`: an item the files mark retired stops being drawn. Its code stays taken: an item
    never seen before is stored retired."""
    data = stored_texts(data)
    item = db.session.scalar(select(Item).where(Item.code == data["code"]))
    if item is None:
        item = create_item(data, actor, status="retired")
        return Upserted("retired", item.code)
    active = [version for version in item.versions if version.status == "active"]
    if not active:
        return Upserted("skipped", item.code)
    for version in active:
        version.status = "retired"
    db.session.flush()
    audit.record(actor, "item.retire", "item", item.id, versions=[v.number for v in active],
                 reason=data.get("retired_reason"))
    return Upserted("retired", item.code)


TRANSITIONS = {
    # action: (from statuses, to status, roles allowed besides admin)
    "submit": (("draft",), "in_review", ("author",)),
    "approve": (("in_review",), "active", ("reviewer",)),
    "reject": (("in_review",), "draft", ("reviewer",)),
    "retire": (("active",), "retired", ("reviewer",)),
}


def transition(version: ItemVersion, action: str, actor: User, comment: str | None = None) -> ItemVersion:
    """Move a version through draft → in_review → active → retired; rejection returns it to draft.

    :raise ApiError 403: the actor may not do this (nobody approves their own item).
    :raise ApiError 409: the version is not in a state that allows it.
    """
    sources, target, roles = TRANSITIONS[action]
    if actor.role not in roles and actor.role != "admin":
        raise ApiError(403, "forbidden", "Vai trò của bạn không được thực hiện thao tác này.")
    if version.status not in sources:
        raise ApiError(409, "invalid_transition",
                       f"Không thể {action} câu hỏi đang ở trạng thái {version.status}.")
    if action in ("approve", "reject") and version.author_id == actor.id:
        raise ApiError(403, "self_review", "Không được tự duyệt câu hỏi của chính mình.")
    if action == "reject" and not (comment or "").strip():
        raise ApiError(422, "comment_required", "Cần ghi lý do khi trả lại câu hỏi.",
                       {"comment": ["Bắt buộc khi trả lại."]})
    if action == "submit" and version.author_id not in (None, actor.id) and actor.role != "admin":
        raise ApiError(403, "forbidden", "Chỉ tác giả mới gửi duyệt câu hỏi của mình.")
    if action == "approve":
        for other in version.item.versions:
            if other is not version and other.status == "active":
                other.status = "retired"
    if action in ("approve", "reject"):
        version.reviewer_id = actor.id
        version.review_comment = comment
    version.status = target
    db.session.flush()
    audit.record(actor, f"item.{action}", "item", version.item_id, version=version.number, comment=comment)
    return version
