"""Files the service hands out, built once for the API and the pages: one way to send bytes for the browser to
save under a name, and the files themselves (a certificate's PDF, the bank's export, the import template)."""

from flask import Response

from question_bank.formats import FORMATS
from question_bank.formats.template import TEMPLATE_PATH

from . import transfer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"type": "string", "format": "binary"}  # how the OpenAPI document describes a file's body
JSON_OR_XLSX = "JSON, hoặc tệp XLSX với format=xlsx"


def attachment(data: bytes, filename: str, mimetype: str = XLSX) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def certificate_pdf(pdf: bytes, serial: str) -> Response:
    response = attachment(pdf, f"chung-nhan-{serial}.pdf", "application/pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def item_export(query, fmt: str) -> Response:
    """The latest versions `query` selects, in format `fmt`, as a file that re-imports."""
    spec = FORMATS[fmt]
    return attachment(transfer.export_versions(query, fmt), f"ngan-hang-cau-hoi{spec.extension}", spec.media_type)


def item_template() -> Response:
    """The XLSX template with Vietnamese headers, an example row and a guide sheet."""
    return attachment(TEMPLATE_PATH.read_bytes(), "mau-nhap-cau-hoi.xlsx", XLSX)
