import unicodedata
from datetime import date
from io import BytesIO

from pypdf import PdfReader
from pypdf.generic import ContentStream

from certificates.pdf import PAGE_SIZE, SIGNATURE_BOX, CertificatePDF, vn_long_date, vn_number


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_one_a4_page_with_embedded_fonts_only(issued):
    reader = PdfReader(BytesIO(issued.unsigned))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert [round(float(v), 1) for v in page.mediabox] == [
        0,
        0,
        round(PAGE_SIZE[0], 1),
        round(PAGE_SIZE[1], 1),
    ]
    fonts = page["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        assert "DejaVuSans" in font["/BaseFont"]
        descriptor = (
            font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        )
        assert "/FontFile2" in descriptor.get_object()  # embedded TrueType subset


def test_text_is_extractable_in_nfc(issued):
    text = nfc(PdfReader(BytesIO(issued.signed)).pages[0].extract_text())
    for expected in (
        issued.claims.holder_name,
        issued.data.serial,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY CHỨNG NHẬN ĐẠT CHUẨN KỸ NĂNG SỐ",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "Phòng Chuyển đổi số",
        "Công chức, viên chức, người lao động",
        "87,5%",
        "8,75/10",
        "Khá",
        "15/03/2026",
        "15/03/2028",
        "05/09/1985",
        "Bến Tre, ngày 15 tháng 3 năm 2026",
        "Quét mã QR",
        "căn cước",
    ):
        assert nfc(expected) in text, expected


def test_nfd_input_is_printed_as_nfc(make_certificate_data):
    nfd_name = unicodedata.normalize("NFD", "Lê Thị Ngọc Hưởng")
    data = make_certificate_data(holder_name=nfd_name)
    assert data.holder_name == nfc(nfd_name)
    text = PdfReader(BytesIO(CertificatePDF(data).render())).pages[0].extract_text()
    assert nfc("Lê Thị Ngọc Hưởng") in nfc(text)


def test_metadata(issued):
    meta = PdfReader(BytesIO(issued.signed)).metadata
    assert meta.author == "Sở Thông tin và Truyền thông tỉnh Bến Tre"
    assert issued.claims.holder_name in meta.title and issued.data.serial in meta.title


def test_rendering_is_deterministic(issued):
    assert CertificatePDF(issued.data).render() == issued.unsigned


def _colour_operands(stream, reader):
    """Every colour-setting operation in a content stream and the form XObjects it uses."""
    found = []
    for operands, operator in ContentStream(stream, reader).operations:
        if operator in (b"rg", b"RG", b"k", b"K", b"g", b"G", b"sc", b"SC", b"scn", b"SCN"):
            found.append((operator, [float(v) for v in operands]))
    for xobject in (stream.get("/Resources") or {}).get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            found += _colour_operands(xobject, reader)
    return found


def test_black_and_white_only(issued, render_page):
    """No colour anywhere, neither in the page nor in the signature appearance."""
    image = render_page(issued.unsigned, scale=1).convert("RGB")
    assert all(r == g == b for _, (r, g, b) in image.getcolors(maxcolors=1 << 16))

    reader = PdfReader(BytesIO(issued.signed))
    page = reader.pages[0]
    operations = _colour_operands(page.get_contents(), reader)
    for annotation in page["/Annots"]:
        operations += _colour_operands(annotation.get_object()["/AP"]["/N"].get_object(), reader)
    assert operations
    for operator, values in operations:
        if operator in (b"k", b"K"):
            assert values[:3] == [0, 0, 0], (operator, values)
        else:
            assert len(set(values)) == 1, (operator, values)  # grey: r = g = b


def test_signature_box_is_left_empty(issued, render_page):
    scale = 2
    image = render_page(issued.unsigned, scale=scale).convert("L")
    x1, y1, x2, y2 = SIGNATURE_BOX
    height = PAGE_SIZE[1]
    box = (int(x1 * scale), int((height - y2) * scale), int(x2 * scale), int((height - y1) * scale))
    assert image.crop(box).getextrema() == (255, 255)


def test_no_expiry_and_long_values(make_certificate_data):
    data = make_certificate_data(
        expiry_date=None,
        unit_name="Văn phòng Ủy ban nhân dân xã Tân Thành Bình, huyện Mỏ Cày Bắc, tỉnh Bến Tre (cũ), nay là "
        "Ủy ban nhân dân xã Thành Thới, tỉnh Vĩnh Long",
    )
    text = nfc(PdfReader(BytesIO(CertificatePDF(data).render())).pages[0].extract_text())
    assert "Không thời hạn" in text
    assert "xã Thành Thới" in text


def test_vietnamese_formats():
    assert vn_number(87.5, 1) == "87,5"
    assert vn_number(90.0, 1) == "90"
    assert vn_number(8.755, 2) == "8,76"
    assert vn_number(10, 2) == "10"
    assert vn_long_date("Bến Tre", date(2026, 2, 5)) == "Bến Tre, ngày 05 tháng 02 năm 2026"
    assert vn_long_date("Bến Tre", date(2026, 11, 20)) == "Bến Tre, ngày 20 tháng 11 năm 2026"
