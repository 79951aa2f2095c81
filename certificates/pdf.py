"""The certificate of meeting the digital-skills standard, as a one-page A4 PDF.

``CertificatePDF(data).render()`` returns the unsigned PDF bytes; signing is
:mod:`certificates.signing`'s job and needs the empty rectangle
:data:`SIGNATURE_BOX` this page reserves for the visible signature.

Everything is black on white (no meaning carried by colour), fonts are the
embedded DejaVu subsets from ``certificates/fonts`` and every string is
normalized to NFC before it is drawn, so extracted text compares equal to what
the database holds. Rendering is deterministic: the same data gives the same
bytes (the PDF dates are the issue date).
"""

import threading
import unicodedata
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from io import BytesIO
from urllib.parse import urlsplit

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import QrCode, make_qr

__all__ = ["FONT_BOLD", "FONT_REGULAR", "PAGE_SIZE", "SIGNATURE_BOX", "CertificateData", "CertificatePDF"]

PAGE_SIZE = A4  # (595.28, 841.89) points
FONT_REGULAR = "SatHach-DejaVuSans"
FONT_BOLD = "SatHach-DejaVuSans-Bold"

# The rectangle (x1, y1, x2, y2), in PDF points from the lower-left corner of
# page 1, that the page leaves empty for the visible signature block.
SIGNATURE_BOX = (318.0, 150.0, 548.0, 236.0)

QR_SIZE = 4.6 * cm  # printed side of the QR code, quiet zone included
_QR_ORIGIN = (50.0, 128.0)
_LEFT, _RIGHT = 50.0, PAGE_SIZE[0] - 50.0

_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts() -> None:
    """Register the bundled DejaVu fonts with reportlab (once per process)."""
    global _fonts_ready
    with _fonts_lock:
        if not _fonts_ready:
            pdfmetrics.registerFont(TTFont(FONT_REGULAR, str(fonts.REGULAR)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts.BOLD)))
            _fonts_ready = True


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on a certificate, frozen at issue time.

    The issuer and unit are stored as printed, so a later reorganisation does
    not change an issued certificate.
    """

    holder_name: str
    birth_date: date
    unit_name: str
    audience_name: str
    percent: float  # overall result, 0-100
    score_10: float  # the same result on the 10-point scale
    classification_name: str  # e.g. "Khá"
    issue_date: date
    expiry_date: date | None  # None: no expiry
    serial: str
    issuer_name: str  # e.g. "Sở Thông tin và Truyền thông tỉnh Bến Tre"
    issuer_place: str  # e.g. "Bến Tre"
    verify_url: str  # what the QR code encodes
    framework_label: str  # blueprint / framework version the result was made with

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, _nfc(value))


def vn_number(value: float, decimals: int) -> str:
    """87.5 -> "87,5"; 9.0 -> "9" (Vietnamese decimal comma, no trailing zeros)."""
    quantum = Decimal(1).scaleb(-decimals)
    text = f"{Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def vn_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def vn_long_date(place: str, value: date) -> str:
    """ "Bến Tre, ngày 05 tháng 02 năm 2026": days below 10 and months below 3
    take a leading zero, as in Vietnamese administrative documents."""
    day = f"{value.day:02d}" if value.day < 10 else str(value.day)
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"{place}, ngày {day} tháng {month} năm {value.year}"


class CertificatePDF:
    """One A4 page; :meth:`render` returns the PDF bytes."""

    def __init__(self, data: CertificateData):
        self.data = data

    @cached_property
    def qr(self) -> QrCode:
        """The QR symbol (raises :class:`certificates.qr.QrTooLarge` if the URL is too long)."""
        return make_qr(self.data.verify_url)

    def render(self) -> bytes:
        register_fonts()
        d = self.data
        buffer = BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=PAGE_SIZE,
            invariant=True,
            lang="vi-VN",
            pageCompression=1,
            initialFontName=FONT_REGULAR,  # else reportlab references (unembedded) Helvetica
        )
        issued = d.issue_date
        canvas.setDateFormatter(lambda *_: f"D:{issued:%Y%m%d}000000+07'00'")
        canvas.setTitle(f"Giấy chứng nhận đạt chuẩn kỹ năng số – {d.holder_name} – {d.serial}")
        canvas.setAuthor(d.issuer_name)
        canvas.setSubject(f"Giấy chứng nhận đạt chuẩn kỹ năng số số {d.serial}")
        canvas.setKeywords(f"SatHach, chứng nhận kỹ năng số, {d.serial}")
        canvas.setCreator("SatHach – Hệ thống đánh giá, sát hạch kỹ năng số")
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setStrokeColorRGB(0, 0, 0)

        self._frame(canvas)
        self._header(canvas)
        y = self._title(canvas, 690)
        self._body(canvas, y - 40)
        self._signature_caption(canvas)
        self._qr_block(canvas)
        self._footer(canvas)

        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    # -- pieces of the page ------------------------------------------------------------------

    @staticmethod
    def _frame(canvas) -> None:
        width, height = PAGE_SIZE
        canvas.setLineWidth(2.2)
        canvas.rect(24, 24, width - 48, height - 48, stroke=1, fill=0)
        canvas.setLineWidth(0.6)
        canvas.rect(30, 30, width - 60, height - 60, stroke=1, fill=0)

    def _header(self, canvas) -> None:
        d = self.data
        # Left: the issuing body, upper case, as in an administrative document.
        left_center, col = (_LEFT + 292) / 2, 236
        y = 790.0
        for line in simpleSplit(d.issuer_name.upper(), FONT_BOLD, 10, col):
            canvas.setFont(FONT_BOLD, 10)
            canvas.drawCentredString(left_center, y, line)
            y -= 13
        canvas.setLineWidth(0.6)
        canvas.line(left_center - 40, y + 8, left_center + 40, y + 8)
        canvas.setFont(FONT_REGULAR, 10)
        canvas.drawCentredString(left_center, y - 8, f"Số: {d.serial}")

        # Right: the national motto.
        right_center = (300 + _RIGHT) / 2
        canvas.setFont(FONT_BOLD, 10)
        canvas.drawCentredString(right_center, 790, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        canvas.setFont(FONT_BOLD, 11)
        motto = "Độc lập - Tự do - Hạnh phúc"
        canvas.drawCentredString(right_center, 776, motto)
        half = pdfmetrics.stringWidth(motto, FONT_BOLD, 11) / 2
        canvas.line(right_center - half, 772, right_center + half, 772)

    @staticmethod
    def _title(canvas, y: float) -> float:
        title = "GIẤY CHỨNG NHẬN ĐẠT CHUẨN KỸ NĂNG SỐ"
        size = _fit_size(title, FONT_BOLD, 20, _RIGHT - _LEFT)
        canvas.setFont(FONT_BOLD, size)
        canvas.drawCentredString(PAGE_SIZE[0] / 2, y, title)
        return y

    def _body(self, canvas, y: float) -> None:
        d = self.data
        x_label, x_value = 78.0, 212.0
        value_width = _RIGHT - 20 - x_value
        canvas.setFont(FONT_REGULAR, 12)
        for line in simpleSplit(f"{d.issuer_name} chứng nhận:", FONT_REGULAR, 12, _RIGHT - 20 - x_label):
            canvas.drawString(x_label, y, line)
            y -= 16
        y -= 12

        name_size = _fit_size(d.holder_name, FONT_BOLD, 16, value_width, minimum=11)
        y = _field(canvas, x_label, x_value, y, "Ông/Bà:", d.holder_name, FONT_BOLD, name_size, value_width)
        y = _field(
            canvas, x_label, x_value, y, "Ngày sinh:", vn_date(d.birth_date), FONT_REGULAR, 12, value_width
        )
        y = _field(
            canvas, x_label, x_value, y, "Đơn vị công tác:", d.unit_name, FONT_REGULAR, 12, value_width
        )
        y = _field(canvas, x_label, x_value, y, "Đối tượng:", d.audience_name, FONT_REGULAR, 12, value_width)

        y -= 6
        canvas.setFont(FONT_REGULAR, 12)
        statement = (
            f"Đã hoàn thành bài sát hạch kỹ năng số theo {d.framework_label} "
            "và đạt chuẩn kỹ năng số với kết quả:"
        )
        for line in simpleSplit(statement, FONT_REGULAR, 12, _RIGHT - 20 - x_label):
            canvas.drawString(x_label, y, line)
            y -= 16
        y -= 10

        result = f"{vn_number(d.percent, 1)}% (điểm {vn_number(d.score_10, 2)}/10)"
        y = _field(canvas, x_label, x_value, y, "Kết quả:", result, FONT_REGULAR, 12, value_width)
        y = _field(
            canvas, x_label, x_value, y, "Xếp loại:", d.classification_name, FONT_BOLD, 13, value_width
        )
        y = _field(
            canvas, x_label, x_value, y, "Ngày cấp:", vn_date(d.issue_date), FONT_REGULAR, 12, value_width
        )
        validity = vn_date(d.expiry_date) if d.expiry_date else "Không thời hạn"
        y = _field(canvas, x_label, x_value, y, "Có giá trị đến:", validity, FONT_REGULAR, 12, value_width)
        _field(canvas, x_label, x_value, y, "Số hiệu:", d.serial, FONT_BOLD, 12, value_width)

    def _signature_caption(self, canvas) -> None:
        d = self.data
        x1, y1, x2, y2 = SIGNATURE_BOX
        center = (x1 + x2) / 2
        canvas.setFont(FONT_REGULAR, 11)
        canvas.drawCentredString(center, y2 + 52, vn_long_date(d.issuer_place, d.issue_date))
        canvas.setFont(FONT_BOLD, 11)
        canvas.drawCentredString(center, y2 + 34, "CƠ QUAN CẤP GIẤY CHỨNG NHẬN")
        canvas.setFont(FONT_REGULAR, 9)
        canvas.drawCentredString(center, y2 + 20, "(Chữ ký số của cơ quan cấp)")
        # The rectangle itself stays empty: the signature field's appearance goes there.

    def _qr_block(self, canvas) -> None:
        x, y = _QR_ORIGIN
        self.qr.draw_on(canvas, x, y, QR_SIZE)
        host = urlsplit(self.data.verify_url).netloc
        caption = [
            "Quét mã QR bằng điện thoại để kiểm tra giấy chứng nhận",
            f"trên trang tra cứu chính thức {host}.",
            "Đối chiếu họ tên, ngày sinh với căn cước của người được cấp.",
        ]
        canvas.setFont(FONT_REGULAR, 8)
        line_y = y - 8
        for text in caption:
            for line in simpleSplit(text, FONT_REGULAR, 8, 250):
                canvas.drawString(x + 4, line_y, line)
                line_y -= 10.5

    def _footer(self, canvas) -> None:
        canvas.setFont(FONT_REGULAR, 7.5)
        lines = [
            "Giấy chứng nhận được ký số; mọi thay đổi nội dung tệp sau khi ký đều làm chữ ký mất hiệu lực.",
            "Tình trạng hiệu lực (còn hiệu lực, đã thu hồi, hết hiệu lực) do hệ thống tra cứu xác nhận.",
        ]
        y = 52.0
        for line in lines:
            canvas.drawCentredString(PAGE_SIZE[0] / 2, y, line)
            y -= 10


def _fit_size(text: str, font: str, size: float, width: float, minimum: float = 8) -> float:
    """The largest size not above ``size`` at which ``text`` fits ``width``."""
    natural = pdfmetrics.stringWidth(text, font, size)
    if natural <= width:
        return size
    return max(minimum, size * width / natural)


def _field(canvas, x_label, x_value, y, label, value, font, size, width) -> float:
    """Draw "label  value" (value wrapped to ``width``) and return the next baseline."""
    canvas.setFont(FONT_REGULAR, 12)
    canvas.drawString(x_label, y, label)
    canvas.setFont(font, size)
    lines = simpleSplit(value, font, size, width) or [""]
    for line in lines:
        canvas.drawString(x_value, y, line)
        y -= size + 5
    return y - 7
