import os
import unicodedata
from io import BytesIO

import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pypdf import PdfReader
from pypdf.generic import ContentStream

from certificates.devca import init_dev_keys
from certificates.pdf import SIGNATURE_BOX
from certificates.signing import SignerConfig, sign_pdf
from certificates.token import read_token
from certificates.verify_pdf import check_signed_pdf

VERIFY_PREFIX = "https://sathach.vinhlong.gov.vn/v/"


def test_qr_on_the_signed_page_carries_a_verifiable_token(issued, render_page, token_key):
    image = render_page(issued.signed, scale=2)
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    [qr] = results
    assert qr.format == zxingcpp.BarcodeFormat.QRCode
    assert qr.text == issued.data.verify_url
    assert int(qr.extra["Version"]) <= 15 and qr.extra["Version"] == str(issued.qr_version)
    assert qr.ec_level in ("M", "Q", "H") and qr.ec_level == issued.qr_level

    assert qr.text.startswith(VERIFY_PREFIX)
    claims = read_token(qr.text.removeprefix(VERIFY_PREFIX), {token_key.kid: token_key.public_key})
    assert claims.holder_name == unicodedata.normalize("NFC", "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo")
    assert claims.unit_code == "VLG-SKHCN-PCNTT"
    assert claims.public_id == issued.claims.public_id


def test_signed_pdf_is_valid(issued, root_cert):
    check = check_signed_pdf(issued.signed, [root_cert])
    assert check.valid, check
    assert (
        check.signed,
        check.intact,
        check.trusted,
        check.covers_whole_file,
        check.certified_no_changes,
    ) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert check.problem is None
    assert len(check.sha256) == 64
    assert check.as_dict()["valid"] is True


def test_signature_is_pades_certification_with_chain(issued, dev_keys):
    reader = PdfFileReader(BytesIO(issued.signed))
    [sig] = reader.embedded_signatures
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert reader.root["/Perms"]["/DocMDP"]["/Contents"] == sig.sig_object["/Contents"]
    assert sig.docmdp_level == MDPPerm.NO_CHANGES
    embedded = {c.chosen.dump() for c in sig.signed_data["certificates"]}
    for pem in (dev_keys.root_cert, dev_keys.signer_cert):
        der = x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER)
        assert der in embedded


def test_visible_signature_block_in_vietnamese(issued, signer_config):
    reader = PdfReader(BytesIO(issued.signed))
    [annotation] = [a.get_object() for a in reader.pages[0]["/Annots"]]
    assert annotation["/FT"] == "/Sig" or annotation.get("/Parent", {}).get("/FT") == "/Sig"
    assert [round(float(v), 1) for v in annotation["/Rect"]] == [round(v, 1) for v in SIGNATURE_BOX]
    appearance = annotation["/AP"]["/N"].get_object()
    texts = []
    for operands, operator in ContentStream(appearance, reader).operations:
        if operator == b"BDC" and len(operands) > 1 and "/ActualText" in operands[1]:
            texts.append(str(operands[1]["/ActualText"]))
    text = " ".join(unicodedata.normalize("NFC", " ".join(texts)).split())  # lines are wrapped
    assert f"Ký số bởi: {signer_config.display_name}" in text
    assert "Thời gian ký:" in text and "(UTC+07:00)" in text
    assert "Lý do: Cấp giấy chứng nhận đạt chuẩn kỹ năng số" in text
    assert "Nơi ký: Bến Tre" in text


def test_one_changed_byte_breaks_it(issued, root_cert):
    data = bytearray(issued.signed)
    start = data.index(b"stream", data.index(b"/FlateDecode")) + 40  # inside a page stream
    data[start] ^= 0x01
    check = check_signed_pdf(bytes(data), [root_cert])
    assert not check.valid
    assert not check.intact

    data = bytearray(issued.signed)
    title = data.index(b"/Title")
    data[title + 10] ^= 0x01  # inside the document information dictionary
    assert not check_signed_pdf(bytes(data), [root_cert]).valid


def test_signature_value_changed(issued, root_cert):
    [sig] = PdfFileReader(BytesIO(issued.signed)).embedded_signatures
    value = sig.signer_info["signature"].native.hex().encode()
    data = bytearray(issued.signed)
    at = bytes(data).lower().index(value) + 10
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    check = check_signed_pdf(bytes(data), [root_cert])
    assert not check.valid and not check.intact


def test_bytes_outside_the_signed_range_change_the_hash(issued, root_cert):
    """The /Contents bag of certificates is not signed (CMS by design), so the
    service's last check is the SHA-256 against the stored certificate."""
    data = bytearray(issued.signed)
    at = data.index(b"/Contents <") + len(b"/Contents <") + 200
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    check = check_signed_pdf(bytes(data), [root_cert])
    assert check.sha256 != check_signed_pdf(issued.signed, [root_cert]).sha256


def _incremental(signed: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _change_metadata(writer):
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()


def _add_annotation(writer):
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    annotation = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (60, 400, 300, 430)]
            ),
            generic.NameObject("/Contents"): generic.pdf_string("Xếp loại: Giỏi"),
            generic.NameObject("/DA"): generic.pdf_string("/Helv 12 Tf 0 g"),
        }
    )
    annots = page["/Annots"]
    annots.append(writer.add_object(annotation))
    writer.update_container(annots)
    writer.update_container(page)


@pytest.mark.parametrize("change", [_change_metadata, _add_annotation], ids=["metadata", "annotation"])
def test_incremental_update_breaks_it(issued, root_cert, change):
    updated = _incremental(issued.signed, change)
    assert updated.startswith(issued.signed) and len(updated) > len(issued.signed)
    check = check_signed_pdf(updated, [root_cert])
    assert not check.valid
    assert check.intact and check.trusted  # the signed revision itself is untouched...
    assert not check.covers_whole_file  # ...but the file is no longer what was signed
    assert check.problem in ("not_whole_file", "not_certified")


def test_signed_by_another_ca_is_not_trusted(tmp_path, issued, root_cert):
    other = SignerConfig.from_dev_ca(init_dev_keys(tmp_path / "other-ca").directory)
    forged = sign_pdf(issued.unsigned, other, location="Bến Tre")
    check = check_signed_pdf(forged, [root_cert])
    assert check.intact and not check.trusted and not check.valid
    assert check.problem == "not_trusted"
    assert "cơ quan cấp" in check.message
    # and it is fine under its own root
    other_root = x509.load_pem_x509_certificate((tmp_path / "other-ca" / "root-ca.pem").read_bytes())
    assert check_signed_pdf(forged, [other_root]).valid


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"%PDF-1.7\n",
        b"\x00" * 100,
        os.urandom(4096),
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
    ],
    ids=["empty", "header", "zeros", "random", "broken"],
)
def test_garbage_never_raises(garbage, root_cert):
    check = check_signed_pdf(garbage, [root_cert])
    assert not check.valid and check.problem and check.message


def test_truncated_and_unsigned(issued, root_cert):
    assert not check_signed_pdf(issued.signed[: len(issued.signed) // 2], [root_cert]).valid
    unsigned = check_signed_pdf(issued.unsigned, [root_cert])
    assert not unsigned.valid and not unsigned.signed and unsigned.problem == "not_signed"
    assert not check_signed_pdf("not bytes", [root_cert]).valid


def test_signed_twice_is_not_valid(issued, signer_config, root_cert):
    # A second signature cannot even be applied: the certification forbids it.
    # Whatever pyHanko does here, the result must not pass as a certificate.
    try:
        twice = sign_pdf(issued.signed, signer_config, field_box=(60, 400, 200, 450))
    except Exception:  # noqa: BLE001 - refusing is an acceptable outcome
        return
    assert not check_signed_pdf(twice, [root_cert]).valid


def test_pkcs12_signer(tmp_path, dev_keys, issued, root_cert):
    key = serialization.load_pem_private_key(dev_keys.signer_key.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(dev_keys.signer_cert.read_bytes())
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, [root_cert], serialization.BestAvailableEncryption(b"mat-khau")
        )
    )
    config = SignerConfig.from_pkcs12(
        p12, "mat-khau", display_name="Sở Thông tin và Truyền thông tỉnh Bến Tre"
    )
    signed = sign_pdf(issued.unsigned, config, location="Bến Tre")
    assert check_signed_pdf(signed, [root_cert]).valid
    with pytest.raises(ValueError):
        SignerConfig.from_pkcs12(p12, "sai-mat-khau")


def test_pkcs11_is_a_documented_hook():
    with pytest.raises(NotImplementedError):
        SignerConfig.from_pkcs11(
            module_path="/usr/lib/softhsm/libsofthsm2.so", token_label="t", key_label="k"
        )


def test_dev_ca_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError):
        SignerConfig.from_dev_ca(tmp_path)
