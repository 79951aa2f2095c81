from flask.views import MethodView

from question_bank.formats import FORMATS, format_of_file

from .. import bank, transfer
from ..auth import current_user, requires
from ..downloads import FILE, XLSX, item_export, item_template
from ..errors import ApiError, get_or_404, not_found
from ..extensions import db
from ..models import Item
from ..schemas.base import page_of, page_schema
from ..schemas.items import (
    ExportArgs,
    ImportForm,
    ImportReportSchema,
    ItemFilterArgs,
    ItemVersionSchema,
    ItemWriteSchema,
    TransitionSchema,
)
from . import Blueprint

blp = Blueprint("items", __name__, description="Ngân hàng câu hỏi")

STAFF_READERS = ("author", "reviewer")
# An import refused answers 422 with its report, or with the error body when no file or format was given.
REPORT_OR_ERROR = {"oneOf": [{"$ref": "#/components/schemas/ImportReport"}, {"$ref": "#/components/schemas/Error"}]}
REFUSED_FILE = "Tệp có lỗi, không nhập câu hỏi nào (báo cáo); hoặc yêu cầu không hợp lệ (lỗi)"


def _get_item(item_id: int) -> Item:
    return get_or_404(Item, item_id, "Không tìm thấy câu hỏi.")


@blp.route("/items")
class Items(MethodView):
    @requires(*STAFF_READERS)
    @blp.arguments(ItemFilterArgs, location="query")
    @blp.response(200, page_schema(ItemVersionSchema))
    def get(self, args):
        """Items (their latest version), filtered by competence, level, audience, status or text."""
        return page_of(bank.filtered_versions(transfer.latest_versions_query(), args), args, db.session)

    @requires("author")
    @blp.arguments(ItemWriteSchema)
    @blp.response(201, ItemVersionSchema)
    def post(self, data):
        """Create an item as a draft."""
        return bank.create_item(data, current_user()).latest


@blp.route("/items/<int:item_id>")
class ItemResource(MethodView):
    @requires(*STAFF_READERS)
    @blp.response(200, ItemVersionSchema)
    def get(self, item_id):
        """The latest version of an item, with its key. :raise 404:"""
        return _get_item(item_id).latest

    @requires("author")
    @blp.arguments(ItemWriteSchema)
    @blp.response(200, ItemVersionSchema)
    def put(self, data, item_id):
        """Edit: always a new draft version; versions used in attempts never change."""
        item = _get_item(item_id)
        data.pop("code", None)
        return bank.edit_item(item, data, current_user())


@blp.route("/items/<int:item_id>/transitions")
class ItemTransition(MethodView):
    @requires("author", "reviewer")
    @blp.arguments(TransitionSchema)
    @blp.response(200, ItemVersionSchema)
    def post(self, body, item_id):
        """submit (author), approve / reject with comment / retire (reviewer). Nobody approves their own item."""
        item = _get_item(item_id)
        version = item.latest
        if body.get("version") is not None:
            version = next((v for v in item.versions if v.number == body["version"]), None)
            if version is None:
                raise not_found("Không có phiên bản này.")
        return bank.transition(version, body["action"], current_user(), body.get("comment"))


@blp.route("/items/import")
class Import(MethodView):
    @requires("author")
    @blp.arguments(ImportForm, location="multipart")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(422, schema=REPORT_OR_ERROR, description=REFUSED_FILE)
    def post(self, form):
        """Import questions from a file (field `file`; `format` or the file extension says which).

        The report lists created, updated, skipped (with reason) and errors (with row or line and field).
        A file with any error imports nothing unless `import_valid=true`. Imported questions are drafts.
        """
        upload = form["file"]
        fmt = form.get("format") or format_of_file(upload.filename)
        if fmt is None:
            raise ApiError(422, "validation_error", "Không nhận ra định dạng tệp; hãy chọn `format`.",
                           {"format": [f"Một trong: {', '.join(FORMATS)}"]})
        defaults = {k: form[k] for k in ("competence", "level") if form.get(k)}
        if form.get("audiences"):
            defaults["audiences"] = [code.strip() for code in form["audiences"].split(",") if code.strip()]
        report = transfer.import_file(upload.read(), fmt, current_user(), import_valid=form["import_valid"],
                                      defaults=defaults)
        return report, 200 if report["imported"] else 422


@blp.route("/items/export")
class Export(MethodView):
    @requires(*STAFF_READERS)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, FILE, content_type=FORMATS["xlsx"].media_type)
    @blp.doc(responses={"200": {"description": "Tệp xuất, theo định dạng đã chọn",
                                "content": {fmt.media_type: {"schema": FILE} for fmt in FORMATS.values()}}})
    def get(self, args):
        """Export the latest version of every item matching the filters, in a format that re-imports."""
        return item_export(bank.filtered_versions(transfer.latest_versions_query(), args), args["format"])


@blp.route("/items/template.xlsx")
class Template(MethodView):
    @requires(*STAFF_READERS)
    @blp.response(200, FILE, content_type=XLSX)
    def get(self):
        """The XLSX template with Vietnamese headers, an example row and a guide sheet."""
        return item_template()
