"""Web pages for question authors: list, write, edit, submit for review, import and export items.

The forms build the same `data` dict that the API's `ItemWriteSchema` produces and call the operations the API
calls (`bank.create_item`, `bank.edit_item`, `bank.transition`, `transfer.import_file`), so a question is
validated in one place; the field errors those operations raise are shown next to the form's fields."""

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from question_bank.formats import FORMATS, format_of_file
from question_bank.formats.text import clean_text, one_line
from question_bank.item_types import ITEM_TYPES

from . import bank, transfer
from .downloads import item_export, item_template
from .errors import ApiError
from .extensions import db
from .models import Area, Audience, AuditEntry, Item, ItemVersion, Level, User
from .models.bank import ITEM_STATUSES
from .pages import act, field_errors, staff_page
from .schemas.base import page_of
from .schemas.items import ItemFilterArgs, ItemWriteSchema
from .unit_of_work import refused

author = Blueprint("author", __name__, url_prefix="/quan-ly/cau-hoi")
author_page = staff_page("author")

PER_PAGE = 50
OPTION_SLOTS = 6  # empty option inputs shown on a new form; an item with more options shows them all
STATUS_LABELS = {"draft": "nháp", "in_review": "chờ duyệt", "active": "đang dùng", "retired": "ngừng dùng"}
FIELD_LABELS = {
    "code": "Mã câu hỏi", "type": "Loại câu hỏi", "stem": "Nội dung câu hỏi", "options": "Phương án",
    "key": "Đáp án", "explanation": "Giải thích", "competence": "Năng lực", "level": "Mức độ",
    "audiences": "Đối tượng", "source": "Nguồn", "enemy_group": "Nhóm loại trừ", "file": "Tệp",
    "format": "Định dạng",
}
# For a choice left empty the operations' messages quote the empty value; the form says what to do instead.
LEFT_EMPTY = {"type": "Hãy chọn loại câu hỏi.", "competence": "Hãy chọn năng lực.", "level": "Hãy chọn mức độ."}
REVIEW_ACTIONS = {"item.approve": "Duyệt", "item.reject": "Trả lại", "item.retire": "Ngừng dùng"}


@author.context_processor
def labels():
    return {"status_labels": STATUS_LABELS, "type_labels": {code: kind.name for code, kind in ITEM_TYPES.items()},
            "field_labels": FIELD_LABELS}


# -- the form ---------------------------------------------------------------------------------------------


@dataclass
class ItemForm:
    """What the author typed, kept as typed so that a refused form comes back unchanged.

    Options are the inputs in order (interior blanks kept, so that "Phương án 3" in an error is the third
    input); `correct` holds the ticked inputs; `truth` is the Đúng/Sai choice of a true/false item."""

    type: str = "single_choice"
    stem: str = ""
    options: list[str] = field(default_factory=list)
    correct: set[int] = field(default_factory=set)
    truth: str = ""
    explanation: str = ""
    competence: str = ""
    level: str = ""
    audiences: list[str] = field(default_factory=list)
    source: str = ""
    enemy_group: str = ""

    @classmethod
    def from_request(cls, form) -> "ItemForm":
        return cls(type=form.get("type", ""), stem=form.get("stem", ""), options=form.getlist("option"),
                   correct={int(v) for v in form.getlist("correct") if v.isdecimal()}, truth=form.get("truth", ""),
                   explanation=form.get("explanation", ""), competence=form.get("competence", ""),
                   level=form.get("level", ""), audiences=form.getlist("audiences"), source=form.get("source", ""),
                   enemy_group=form.get("enemy_group", ""))

    @classmethod
    def from_version(cls, version: ItemVersion) -> "ItemForm":
        """The form prefilled with a stored version, through the same interchange shape the export writes."""
        item = transfer.interchange_of(version)
        correct, truth = ITEM_TYPES[item["type"]].form_of_key(item["key"])
        return cls(type=item["type"], stem=item["stem"], options=item["options"], correct=correct, truth=truth,
                   explanation=item["explanation"] or "", competence=item["competence"], level=item["level"],
                   audiences=item["audiences"], source=item["source"] or "", enemy_group=item["enemy_group"] or "")

    @property
    def slots(self) -> list[str]:
        return self.options + [""] * (OPTION_SLOTS - len(self.options))

    def data(self) -> dict:
        """The dict `ItemWriteSchema` loads for the API: texts in NFC as the importers give them, trailing
        empty options dropped, and the key in the type's interchange shape (item_types.py)."""
        options = [clean_text(text) for text in self.options]
        while options and not options[-1]:
            options.pop()
        return {"type": self.type, "stem": clean_text(self.stem), "options": options, "key": self.key(),
                "explanation": clean_text(self.explanation), "competence": self.competence, "level": self.level,
                "audiences": self.audiences, "source": clean_text(self.source) or None,
                "enemy_group": one_line(self.enemy_group) or None}

    def key(self):
        """Ticks become the key as the type says; with no type chosen they are passed on for refusal."""
        ticked = sorted(self.correct)
        kind = ITEM_TYPES.get(self.type)
        return kind.key_from_form(ticked, self.truth) if kind else ticked or None


def schema_errors(data: dict) -> dict[str, list[str]]:
    """The API's boundary checks (lengths, allowed types) on the same dict, with its messages."""
    return field_errors(ItemWriteSchema().validate(data), entry="Phương án")


def save(operation, data: dict):
    """Run `operation(data)`, returning (result, {}); or undo it and return (None, errors by field).

    When the API's schema would refuse the dict the operation is not run, but `check_item_data` still is, so
    the form shows every problem at once; the operation's message wins where both name a field."""
    boundary = schema_errors(data)
    errors: dict[str, list[str]] = {}
    try:
        if not boundary:
            return operation(data), {}
        bank.check_item_data(data)
    except ApiError as exc:
        refused(exc)
        errors = dict(exc.errors or {"": [exc.message]})
    return None, reworded({**boundary, **errors}, data)


def reworded(errors: dict, data: dict) -> dict:
    """Errors of the operations, reworded where the author left a choice empty (they are refused all the same)."""
    for name, message in LEFT_EMPTY.items():
        if name in errors and not data.get(name):
            errors[name] = [message]
    kind = ITEM_TYPES.get(data.get("type"))
    if "key" in errors and data.get("key") is None and kind and kind.missing_key_hint:
        errors["key"] = [kind.missing_key_hint]
    return errors


def framework():
    """What the selects offer: competences by area, levels by rank, audiences."""
    return {
        "areas": db.session.scalars(select(Area).options(selectinload(Area.competences))
                                    .order_by(Area.position)).all(),
        "levels": db.session.scalars(select(Level).order_by(Level.rank)).all(),
        "audiences": db.session.scalars(select(Audience).order_by(Audience.position)).all(),
    }


def show_form(form: ItemForm, errors: dict, *, title: str, item: Item | None = None):
    general = [m for name, messages in errors.items() if name not in bank.CONTENT_FIELDS for m in messages]
    page = render_template("author/form.html", form=form, errors=errors, general=general, title=title, item=item,
                           **framework())
    return page, 422 if errors else 200


# -- listing ----------------------------------------------------------------------------------------------


def list_args(user: User) -> dict:
    """The list's filters, checked by the API's own filter schema. :raise 400: on a value it refuses."""
    given = {name: value for name, value in request.args.items() if value and name != "per_page"}
    try:
        args = ItemFilterArgs().load(given)
    except ValidationError:
        abort(400)
    args["per_page"] = PER_PAGE
    args["mine"] = request.args.get("mine", "1" if user.role == "author" else "0") == "1"
    return args


def versions_query(user: User, args: dict):
    """The latest version of each item matching the filters, newest item first."""
    query = bank.filtered_versions(transfer.latest_versions_query(), args)
    if args["mine"]:
        query = query.where(ItemVersion.item_id.in_(select(ItemVersion.item_id)
                                                    .where(ItemVersion.author_id == user.id)))
    return query.order_by(None).order_by(ItemVersion.item_id.desc())


@author.get("")
@author_page
def items(user):
    args = list_args(user)
    query = versions_query(user, args).options(selectinload(ItemVersion.item))
    found = page_of(query, args, db.session)
    filters = {name: args[name] for name in ("status", "competence", "level", "audience", "q") if name in args}
    filters["mine"] = "1" if args["mine"] else "0"
    choices = framework()
    return render_template("author/items.html", found=found, filters=filters, statuses=ITEM_STATUSES,
                           pages=max(1, -(-found["total"] // PER_PAGE)), formats=FORMATS, areas=choices["areas"],
                           levels_by_code={level.code: level.name for level in choices["levels"]})


@author.get("/xuat")
@author_page
def export(user):
    """The list's current filters exported in a chosen format, as the API's export does."""
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        abort(400)
    return item_export(versions_query(user, list_args(user)), fmt)


@author.get("/mau-nhap-cau-hoi.xlsx")
@author_page
def template(user):
    return item_template()


# -- one item -----------------------------------------------------------------------------------------------


@author.route("/moi", methods=["GET", "POST"])
@author_page
def create(user):
    if request.method == "GET":
        return show_form(ItemForm(), {}, title="Soạn câu hỏi mới")
    form = ItemForm.from_request(request.form)
    item, errors = save(lambda data: bank.create_item(data, user), form.data())
    if errors:
        return show_form(form, errors, title="Soạn câu hỏi mới")
    flash(f"Đã tạo câu hỏi {item.code} (bản nháp). Gửi duyệt khi đã soạn xong.")
    return redirect(url_for("author.item_page", item_id=item.id))


@author.get("/<int:item_id>")
@author_page
def item_page(user, item_id):
    item = db.get_or_404(Item, item_id)
    reviews = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == "item", AuditEntry.target_id == str(item.id),
        AuditEntry.action.in_(REVIEW_ACTIONS)).order_by(AuditEntry.at, AuditEntry.id)).all()
    ids = {v.author_id for v in item.versions} | {e.actor_id for e in reviews} | {item.created_by_id}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids - {None})))}
    choices = framework()
    return render_template("author/item.html", item=item, version=item.latest, reviews=reviews, people=people,
                           review_actions=REVIEW_ACTIONS, levels={lv.code: lv.name for lv in choices["levels"]},
                           audiences={a.code: a.name for a in choices["audiences"]})


@author.route("/<int:item_id>/sua", methods=["GET", "POST"])
@author_page
def edit(user, item_id):
    item = db.get_or_404(Item, item_id)
    title = f"Sửa câu hỏi {item.code}"
    if request.method == "GET":
        return show_form(ItemForm.from_version(item.latest), {}, title=title, item=item)
    form = ItemForm.from_request(request.form)
    version, errors = save(lambda data: bank.edit_item(item, data, user), form.data())
    if errors:
        return show_form(form, errors, title=title, item=item)
    flash(f"Đã lưu phiên bản {version.number} (bản nháp). Gửi duyệt khi đã soạn xong.")
    return redirect(url_for("author.item_page", item_id=item.id))


@author.post("/<int:item_id>/gui-duyet")
@author_page
def submit(user, item_id):
    """Submit the version the page showed (as the API's `version`), so a newer edit is never sent unseen."""
    item = db.get_or_404(Item, item_id)
    number = request.form.get("version", type=int)
    version = next((v for v in item.versions if v.number == number), None) if number else item.latest
    if version is None:
        abort(404)
    act(lambda: bank.transition(version, "submit", user), f"Đã gửi phiên bản {version.number} đi duyệt.")
    return redirect(url_for("author.item_page", item_id=item.id))


# -- importing ----------------------------------------------------------------------------------------------


def import_choices(form) -> tuple[dict, dict]:
    """(choices as the form keeps them, errors by field) before anything is read."""
    upload = request.files.get("file")
    choices = {"format": form.get("format", ""), "import_valid": "import_valid" in form,
               "competence": form.get("competence", ""), "level": form.get("level", ""),
               "audiences": form.getlist("audiences"), "upload": upload}
    if upload is None or not upload.filename:
        return choices, {"file": ["Hãy chọn tệp cần nhập."]}
    fmt = choices["format"] or format_of_file(upload.filename)
    if fmt not in FORMATS:
        return choices, {"format": ["Không nhận ra định dạng của tệp; hãy chọn định dạng."]}
    choices["fmt"] = fmt
    return choices, {}


def run_import(user: User, choices: dict) -> tuple[dict | None, dict]:
    """Import as the API does: nothing is written when the file has errors unless the valid part is asked for
    (the page then answers 422, and the request's unit of work rolls back)."""
    defaults = {name: choices[name] for name in ("competence", "level", "audiences") if choices[name]}
    try:
        report = transfer.import_file(choices["upload"].read(), choices["fmt"], user,
                                      import_valid=choices["import_valid"], defaults=defaults)
    except ApiError as exc:
        refused(exc)
        return None, {"": [exc.message]}
    return report, {}


@author.route("/nhap-tep", methods=["GET", "POST"])
@author_page
def import_page(user):
    report, errors = None, {}
    choices = {"format": "", "import_valid": False, "competence": "", "level": "", "audiences": []}
    if request.method == "POST":
        choices, errors = import_choices(request.form)
        if not errors:
            report, errors = run_import(user, choices)
    codes = [row["code"] for name in ("created", "updated") for row in (report or {}).get(name, [])]
    item_ids = dict(db.session.execute(select(Item.code, Item.id).where(Item.code.in_(codes))).all()) \
        if codes else {}
    failed = bool(errors) or (report is not None and not report["imported"])
    page = render_template("author/import.html", report=report, errors=errors, choices=choices, formats=FORMATS,
                           item_ids=item_ids, **framework())
    return page, 422 if failed else 200
