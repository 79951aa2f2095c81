"""Checking an uploaded certificate PDF against the service's own trust roots.

A genuine certificate PDF is exactly what :func:`certificates.signing.sign_pdf`
produced: one certification signature (DocMDP "no changes"), intact, chaining
to one of *our* roots (never the system's), covering every byte of the file.
:func:`check_signed_pdf` reports each of those facts and never raises on bad
input; matching :attr:`PdfCheck.sha256` against the stored certificates is the
caller's final step.
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

__all__ = ["MAX_PDF_SIZE", "PROBLEM_MESSAGES", "PdfCheck", "check_signed_pdf", "looks_like_pdf"]

MAX_PDF_SIZE = 10 * 1024 * 1024

# What a person is told for each problem code (the first problem found wins).
PROBLEM_MESSAGES = {
    "too_large": "Tệp quá lớn để kiểm tra.",
    "unreadable": "Tệp không phải là tệp PDF hợp lệ hoặc đã bị hỏng.",
    "not_signed": "Tệp PDF không có chữ ký số.",
    "several_signatures": "Tệp PDF có nhiều chữ ký; giấy chứng nhận gốc chỉ có một chữ ký số.",
    "not_intact": "Nội dung tệp đã bị thay đổi sau khi ký hoặc chữ ký số không đúng.",
    "not_trusted": "Chữ ký số không phải của cơ quan cấp giấy chứng nhận trên hệ thống này.",
    "not_whole_file": "Tệp đã bị bổ sung nội dung sau khi ký.",
    "not_certified": "Tệp không được chứng thực ở mức không cho phép thay đổi.",
}


@dataclass(frozen=True)
class PdfCheck:
    """The result of :func:`check_signed_pdf`; ``valid`` only if every check passed."""

    sha256: str
    signed: bool = False
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    certified_no_changes: bool = False
    problem: str | None = "unreadable"  # a key of PROBLEM_MESSAGES, None when valid
    signer: str | None = None  # the signing certificate's subject, for display
    signed_at: datetime | None = None  # as the signer reported it (no timestamp authority)

    @property
    def valid(self) -> bool:
        return (
            self.signed
            and self.intact
            and self.trusted
            and self.covers_whole_file
            and self.certified_no_changes
            and self.problem is None
        )

    @property
    def message(self) -> str:
        """Vietnamese summary for the person who uploaded the file."""
        if self.valid:
            return "Chữ ký số hợp lệ, tệp còn nguyên vẹn như khi cấp."
        return PROBLEM_MESSAGES.get(self.problem or "unreadable", PROBLEM_MESSAGES["unreadable"])

    def as_dict(self) -> dict:
        result = asdict(self)
        result["valid"] = self.valid
        result["signed_at"] = self.signed_at.isoformat() if self.signed_at else None
        return result


def looks_like_pdf(data: bytes) -> bool:
    """Whether `data` is meant to be a PDF at all: its header within the first 1024 bytes, where readers look for
    it. A damaged or forged PDF passes this and fails :func:`check_signed_pdf`; a photo or a Word file does not."""
    return b"%PDF-" in data[:1024]


def _asn1(cert) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    raise TypeError("trust roots must be x509 certificates")


def check_signed_pdf(
    pdf_bytes: bytes,
    trust_roots: list[x509.Certificate],
    *,
    moment: datetime | None = None,
) -> PdfCheck:
    """Check ``pdf_bytes`` as a certificate PDF signed under one of ``trust_roots``.

    ``moment`` is the time at which certificates are validated (default now);
    pass the certificate's issue time to keep accepting files whose signing
    certificate has expired since. Revocation is not fetched (no network):
    revocation of *certificates* is the service's database, not the CA's.
    """
    if not isinstance(pdf_bytes, bytes | bytearray | memoryview):
        return PdfCheck(sha256="", problem="unreadable")
    pdf_bytes = bytes(pdf_bytes)
    sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    if len(pdf_bytes) > MAX_PDF_SIZE:
        return PdfCheck(sha256=sha256, problem="too_large")
    roots = [_asn1(c) for c in trust_roots]  # a wrong type here is a programming error: raise
    try:
        return _check(pdf_bytes, sha256, roots, moment)
    except Exception:  # noqa: BLE001 - garbage in must give "invalid", never a 500
        return PdfCheck(sha256=sha256, problem="unreadable")


def _check(pdf_bytes: bytes, sha256: str, roots, moment) -> PdfCheck:
    reader = PdfFileReader(BytesIO(pdf_bytes))
    signatures = reader.embedded_signatures
    if not signatures:
        return PdfCheck(sha256=sha256, problem="not_signed")
    if len(signatures) != 1:
        return PdfCheck(sha256=sha256, signed=True, problem="several_signatures")
    embedded = signatures[0]

    context = ValidationContext(
        trust_roots=roots,
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )
    status = validate_pdf_signature(embedded, signer_validation_context=context)

    intact = bool(status.intact and status.valid)
    trusted = bool(status.trusted)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    certification = read_certification_data(reader)
    certified = (
        certification is not None
        and certification.permission == MDPPerm.NO_CHANGES
        and embedded.docmdp_level == MDPPerm.NO_CHANGES
        and certification.author_sig.get("/Contents") == embedded.sig_object.get("/Contents")
        and status.docmdp_ok is True
    )
    problem = None
    for ok, code in (
        (intact, "not_intact"),
        (trusted, "not_trusted"),
        (whole, "not_whole_file"),
        (certified, "not_certified"),
    ):
        if not ok:
            problem = code
            break
    return PdfCheck(
        sha256=sha256,
        signed=True,
        intact=intact,
        trusted=trusted,
        covers_whole_file=whole,
        certified_no_changes=certified,
        problem=problem,
        signer=status.signing_cert.subject.human_friendly,
        signed_at=status.signer_reported_dt,
    )
