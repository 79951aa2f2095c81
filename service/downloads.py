"""Files the service hands out, built once for the API and the pages: one way to send bytes for the browser to
save under a name, and the files themselves (a certificate's PDF, the bank's export, the import template, the
reports)."""

import io
import zipfile
from collections.abc import Iterator

from flask import Response, stream_with_context
from sqlalchemy import select

from question_bank.formats import FORMATS
from question_bank.formats.template import TEMPLATE_PATH

from . import audit, issuing, reports, transfer
from .extensions import db
from .models import Certificate, User
from .unit_of_work import own_commits

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"type": "string", "format": "binary"}  # how the OpenAPI document describes a file's body
JSON_OR_XLSX = "JSON, hoặc tệp XLSX với format=xlsx"


def attachment(data: bytes, filename: str, media_type: str = XLSX) -> Response:
    """A download of `data` sent as `media_type` exactly as given (a text format names its charset itself)."""
    return Response(data, content_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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


def progress_report(year: int) -> Response:
    """The progress report of `year` as XLSX (reports.progress)."""
    return attachment(reports.progress_xlsx(reports.progress(year)), f"tien-do-{year}.xlsx")


def competence_report(year: int) -> Response:
    """The competence profile of `year` as XLSX (reports.competence_profile)."""
    return attachment(reports.competence_xlsx(reports.competence_profile(year)), f"nang-luc-{year}.xlsx")


@own_commits
def certificates_zip(query, filename: str, actor: User, target_type: str, target_id) -> Response:
    """The valid certificates `query` selects as one ZIP of their stored PDFs, each named by its serial; the
    download is audited against its target (a session, a unit).

    Pending PDFs are rendered first and each is committed as soon as it is made, so that a long download keeps
    its progress: only routes that may commit mid-request call this. The archive is then streamed, one PDF
    read from the database at a time, so a unit's thousands of certificates never sit in memory together."""
    for _ in issuing.render_pending(query, None):
        db.session.commit()
    certificates = issuing.listed(query)
    audit.record(actor, "certificates.download_zip", target_type, target_id,
                 serials=[serial for _, serial in certificates])
    return Response(stream_with_context(_zip_chunks(certificates)), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


class _Chunks(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (ZipFile writes it without seeking)."""

    def __init__(self):
        super().__init__()
        self.written: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.written = b"".join(self.written), []
        return data


def _zip_chunks(certificates: list[tuple[int, str]]) -> Iterator[bytes]:
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for cert_id, serial in certificates:
            pdf = db.session.scalar(select(Certificate.pdf).where(Certificate.id == cert_id))
            archive.writestr(f"{serial}.pdf", pdf)
            yield sink.take()
    yield sink.take()
