from io import BytesIO

import pytest
import zxingcpp
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from certificates.qr import MAX_VERSION, QUIET_ZONE, QrTooLarge, make_qr


def test_short_url_gets_level_q():
    qr = make_qr("https://sathach.vinhlong.gov.vn/v/abc")
    assert qr.error_correction == "Q"
    assert qr.module_count == 17 + 4 * qr.version


def test_long_url_falls_back_to_level_m_within_version_15(issued):
    qr = make_qr(issued.data.verify_url)
    assert qr.error_correction in ("Q", "M")
    assert qr.version <= MAX_VERSION


def test_too_long_url_is_refused():
    with pytest.raises(QrTooLarge):
        make_qr("https://sathach.vinhlong.gov.vn/v/" + "x" * 420)


def test_too_small_print_size_is_refused():
    canvas = Canvas(BytesIO())
    with pytest.raises(ValueError):
        make_qr("https://example.test/").draw_on(canvas, 0, 0, 2.9 * cm)


def test_drawn_modules_match_the_matrix(render_page):
    """Vector drawing is upright and not mirrored: sample each module's centre."""
    qr = make_qr("https://sathach.vinhlong.gov.vn/v/orientation-check-ABCdef123")
    size = 6 * cm
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(size, size))
    qr.draw_on(canvas, 0, 0, size)
    canvas.showPage()
    canvas.save()
    image = render_page(buffer.getvalue(), scale=4).convert("L")
    unit = image.width / (qr.module_count + 2 * QUIET_ZONE)
    for r, row in enumerate(qr.modules):
        for c, dark in enumerate(row):
            x = int((QUIET_ZONE + c + 0.5) * unit)
            y = int((QUIET_ZONE + r + 0.5) * unit)
            assert (image.getpixel((x, y)) < 128) == dark, (r, c)
    [decoded] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert decoded.text == qr.data


def test_drawing_is_a_scannable_vector_graphic(render_page):
    from reportlab.graphics import renderPDF

    qr = make_qr("https://sathach.vinhlong.gov.vn/v/drawing-check")
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(4 * cm, 4 * cm))
    renderPDF.draw(qr.drawing(4 * cm), canvas, 0, 0)
    canvas.showPage()
    canvas.save()
    [decoded] = zxingcpp.read_barcodes(render_page(buffer.getvalue(), scale=4), formats=zxingcpp.BarcodeFormat.QRCode)
    assert decoded.text == qr.data and decoded.ec_level == "Q"
