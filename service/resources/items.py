from pathlib import Path

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from sqlalchemy import select

import question_bank.formats

from .. import bank, transfer
from ..auth import current_user, requires
from ..downloads import attachment
from ..errors import ApiError, get_or_404, not_found
from ..extensions import db
from ..models import Item, ItemVersion
from ..models.bank import ITEM_STATUSES, item_version_audiences
from .schemas import PageArgs, page_of

blp = Blueprint("items", __name__, description="Ngân hàng câu hỏi")

STAFF_READERS = ("author", "reviewer")
FORMATS = question_bank.formats.FORMATS
TEMPLATE_FILE = Path(question_bank.formats.__file__).parent / "template.xlsx"


class ItemWriteSchema(Schema):
    """An item as authors write it: options as texts; key as 0-based index, list of indices, bool, or
    null for ordering (options listed in the correct order)."""

    class Meta:
        unknown = RAISE

    code = fields.String(validate=validate.Length(min=1, max=40))
    type = fields.String(required=True, validate=validate.OneOf(
        ["single_choice", "multiple_response", "true_false", "ordering"]))
    stem = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    options = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), load_default=list)
    key = fields.Raw(allow_none=True, load_default=None)
    explanation = fields.String(load_default="", validate=validate.Length(max=5000))
    competence = fields.String(required=True)
    level = fields.String(required=True)
    audiences = fields.List(fields.String(), required=True)
    source = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))
    enemy_group = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=80),
                                metadata={"description": "Nhóm loại trừ: các câu cùng nhóm kiểm tra cùng một kiến "
                                                         "thức và không bao giờ cùng có trong một đề."})


class ItemFilterArgs(PageArgs):
    class Meta:
        unknown = EXCLUDE

    competence = fields.String()
    level = fields.String()
    audience = fields.String()
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES))
    q = fields.String(validate=validate.Length(max=200))


class TransitionSchema(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(list(bank.TRANSITIONS)))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1_000_000))


def version_json(v: ItemVersion) -> dict:
    """The staff view of an item version: key and explanation included."""
    return {
        "id": v.item_id,
        "code": v.item.code,
        "version": v.number,
        "status": v.status,
        "type": v.type,
        "stem": v.stem,
        "options": v.options,
        "key": v.key,
        "explanation": v.explanation,
        "source": v.source,
        "enemy_group": v.enemy_group,
        "competence": v.competence_code,
        "level": v.level_code,
        "audiences": v.audience_codes,
        "author_id": v.author_id,
        "reviewer_id": v.reviewer_id,
        "review_comment": v.review_comment,
        "used": v.used,
        "versions": [{"number": o.number, "status": o.status} for o in v.item.versions],
    }


def filtered_versions(query, args):
    if "competence" in args:
        query = query.where(ItemVersion.competence_code == args["competence"])
    if "level" in args:
        query = query.where(ItemVersion.level_code == args["level"])
    if "status" in args:
        query = query.where(ItemVersion.status == args["status"])
    if "audience" in args:
        query = query.where(ItemVersion.id.in_(
            select(item_version_audiences.c.item_version_id)
            .where(item_version_audiences.c.audience_code == args["audience"])))
    if args.get("q"):
        query = query.where(ItemVersion.stem.icontains(args["q"], autoescape=True))
    return query


def _get_item(item_id: int) -> Item:
    return get_or_404(Item, item_id, "Không tìm thấy câu hỏi.")


@blp.route("/items")
class Items(MethodView):
    @requires(*STAFF_READERS)
    @blp.arguments(ItemFilterArgs, location="query")
    def get(self, args):
        """Items (their latest version), filtered by competence, level, audience, status or text."""
        query = filtered_versions(transfer.latest_versions_query(), args)
        return page_of(query, args, db.session, version_json)

    @requires("author")
    @blp.arguments(ItemWriteSchema)
    @blp.response(201)
    def post(self, data):
        """Create an item as a draft."""
        item = bank.create_item(data, current_user())
        db.session.commit()
        return version_json(item.latest)


@blp.route("/items/<int:item_id>")
class ItemResource(MethodView):
    @requires(*STAFF_READERS)
    def get(self, item_id):
        """The latest version of an item, with its key. :raise 404:"""
        return version_json(_get_item(item_id).latest)

    @requires("author")
    @blp.arguments(ItemWriteSchema)
    def put(self, data, item_id):
        """Edit: always a new draft version; versions used in attempts never change."""
        item = _get_item(item_id)
        data.pop("code", None)
        version = bank.edit_item(item, data, current_user())
        db.session.commit()
        return version_json(version)


@blp.route("/items/<int:item_id>/transitions")
class ItemTransition(MethodView):
    @requires("author", "reviewer")
    @blp.arguments(TransitionSchema)
    def post(self, body, item_id):
        """submit (author), approve / reject with comment / retire (reviewer). Nobody approves their own item."""
        item = _get_item(item_id)
        version = item.latest
        if body.get("version") is not None:
            version = next((v for v in item.versions if v.number == body["version"]), None)
            if version is None:
                raise not_found("Không có phiên bản này.")
        bank.transition(version, body["action"], current_user(), body.get("comment"))
        db.session.commit()
        return version_json(version)


class ImportForm(Schema):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(validate=validate.OneOf(list(FORMATS)))
    import_valid = fields.Boolean(load_default=False)
    # Defaults for files from other systems (Moodle) that carry no competence, level or audience.
    competence = fields.String()
    level = fields.String()
    audiences = fields.String(metadata={"description": "mã đối tượng, cách nhau bởi dấu phẩy"})


class ExportArgs(ItemFilterArgs):
    format = fields.String(required=True, validate=validate.OneOf(list(FORMATS)))


def guess_format(filename: str) -> str | None:
    name = filename.lower()
    for fmt in FORMATS.values():
        if name.endswith(fmt.extension) or (fmt.name == "gift" and name.endswith(".gift")):
            return fmt.name
    return None


@blp.route("/items/import")
class Import(MethodView):
    @requires("author")
    @blp.arguments(ImportForm, location="form")
    def post(self, form):
        """Import questions from a file (multipart field `file`; `format` or the file extension says which).

        The report lists created, updated, skipped (with reason) and errors (with row or line and field).
        A file with any error imports nothing unless `import_valid=true`. Imported questions are drafts.
        """
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ApiError(422, "validation_error", "Cần gửi tệp trong trường `file`.", {"file": ["Bắt buộc."]})
        fmt = form.get("format") or guess_format(upload.filename)
        if fmt is None:
            raise ApiError(422, "validation_error", "Không nhận ra định dạng tệp; hãy chọn `format`.",
                           {"format": [f"Một trong: {', '.join(FORMATS)}"]})
        defaults = {k: form[k] for k in ("competence", "level") if form.get(k)}
        if form.get("audiences"):
            defaults["audiences"] = [code.strip() for code in form["audiences"].split(",") if code.strip()]
        report = transfer.import_file(upload.read(), fmt, current_user(), import_valid=form["import_valid"],
                                      defaults=defaults)
        db.session.commit()
        return report, 200 if report["imported"] else 422


def export_download(query, fmt):
    """The latest versions `query` selects, in `fmt`, as a file that re-imports (the API's and the pages')."""
    return attachment(transfer.export_versions(query, fmt.name), f"ngan-hang-cau-hoi{fmt.extension}", fmt.media_type)


def template_download():
    return attachment(TEMPLATE_FILE.read_bytes(), "mau-nhap-cau-hoi.xlsx", FORMATS["xlsx"].media_type)


@blp.route("/items/export")
class Export(MethodView):
    @requires(*STAFF_READERS)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, args):
        """Export the latest version of every item matching the filters, in a format that re-imports."""
        return export_download(filtered_versions(transfer.latest_versions_query(), args), FORMATS[args["format"]])


@blp.route("/items/template.xlsx")
class Template(MethodView):
    @requires(*STAFF_READERS)
    @blp.response(200, content_type=FORMATS["xlsx"].media_type)
    def get(self):
        """The XLSX template with Vietnamese headers, an example row and a guide sheet."""
        return template_download()
