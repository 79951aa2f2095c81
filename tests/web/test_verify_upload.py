"""A verifier (no account) uploads a certificate's PDF on the public verification pages and reads the answer of
POST /api/v1/verify/pdf in the QR page's design; a missing file, a file that is not a PDF and one beyond the
upload limit are said in Vietnamese beside the field; the uploads share the verification rate limit."""

import io
import re

from service import issuing
from service.extensions import db
from tests.web.pages import csrf_of


def pdf_of(cert) -> bytes:
    data = issuing.render(cert)
    db.session.commit()
    return data


def upload(client, data: bytes, name="chung-nhan.pdf", token=None):
    token = token or csrf_of(client.get("/xac-minh").get_data(as_text=True))
    return client.post("/xac-minh", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def api_answer(client, data: bytes) -> dict:
    return client.post("/api/v1/verify/pdf", data={"file": (io.BytesIO(data), "chung-nhan.pdf")},
                       content_type="multipart/form-data").get_json()


def verdict(page: str) -> str:
    return re.search(r'<h1 data-status="(\w+)">', page)[1]


def test_a_genuine_pdf_gets_the_apis_answer_in_the_qr_pages_design(client, make_user, make_certificate):
    cert = make_certificate(make_user("candidate", full_name="Đặng Thị Ngọc Hân"))
    data = pdf_of(cert)
    form = client.get("/xac-minh").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'accept="application/pdf,.pdf"' in form and "5 MB" in form
    response = upload(client, data)
    page = response.get_data(as_text=True)
    answer = api_answer(client, data)
    assert response.status_code == 200 and answer["status"] == verdict(page) == "valid"
    assert answer["status_text"] in page
    for text in ("Đặng Thị Ngọc Hân", answer["certificate"]["serial"], "Hãy đối chiếu họ tên và năm sinh"):
        assert text in page
    for check in answer["checks"]:
        assert f"{check['label']}: {'đạt' if check['ok'] else 'không đạt'}" in page
    qr_page = client.get(f"/v/{cert.token}").get_data(as_text=True)
    assert 'class="verdict verdict-valid"' in page and 'class="verdict verdict-valid"' in qr_page
    assert 'action="/xac-minh"' in qr_page  # the QR page offers the upload too


def test_revoked_and_tampered_files_get_the_same_answers_as_from_the_api(client, make_user, make_certificate):
    cert = make_certificate()
    data = pdf_of(cert)
    issuing.revoke(cert, "Thi hộ", make_user("admin"))
    db.session.commit()
    revoked = upload(client, data).get_data(as_text=True)
    assert verdict(revoked) == api_answer(client, data)["status"] == "revoked" and "Thi hộ" in revoked
    changed = bytearray(data)
    changed[len(changed) // 3] ^= 0x01
    tampered = upload(client, bytes(changed))
    assert tampered.status_code == 200
    assert verdict(tampered.get_data(as_text=True)) == api_answer(client, bytes(changed))["status"] == "invalid"
    broken = upload(client, b"%PDF-1.7 not really").get_data(as_text=True)
    assert verdict(broken) == "invalid" and "KHÔNG HỢP LỆ" in broken


def test_no_file_and_a_file_that_is_not_a_pdf_are_said_beside_the_field(client):
    token = csrf_of(client.get("/xac-minh").get_data(as_text=True))
    missing = client.post("/xac-minh", data={"csrf_token": token}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert 'id="file-error"><li>Hãy chọn tệp PDF của giấy chứng nhận.</li>' in missing.get_data(as_text=True)
    photo = upload(client, b"\xff\xd8\xff\xe0 a photo of the certificate", name="<b>anh-chup</b>.jpg")
    page = photo.get_data(as_text=True)
    assert photo.status_code == 422 and 'aria-describedby="file-error"' in page
    assert "không phải tệp PDF" in page and "&lt;b&gt;anh-chup&lt;/b&gt;.jpg" in page and "<b>anh" not in page
    assert "data-status" not in page  # no verdict for what is not a certificate at all


def test_a_file_beyond_the_upload_limit_is_said_beside_the_field(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(client, b"%PDF-1.7\n" + b"0" * 100_000)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert 'id="file-error"><li>Tệp quá lớn: chỉ nhận tệp tối đa 64 KB.' in page
    assert 'data-max-bytes="65536"' in page
    other = client.post("/dang-nhap", data={"username": "x" * 100_000})
    assert other.status_code == 413 and "Dữ liệu gửi lên quá lớn." in other.get_data(as_text=True)


def test_uploads_share_the_verification_rate_limit_and_need_the_csrf_token(app, client, make_certificate):
    cert = make_certificate()
    data = pdf_of(cert)
    app.config["VERIFY_RATE_LIMIT"] = "3/minute"
    token = csrf_of(client.get("/xac-minh").get_data(as_text=True))
    assert client.post("/xac-minh", data={"file": (io.BytesIO(data), "a.pdf")},
                       content_type="multipart/form-data").status_code == 400  # no CSRF token
    assert client.get(f"/v/{cert.token}").status_code == 200
    assert upload(client, data, token=token).status_code == 200
    assert client.get("/api/v1/verify/khong-co").status_code == 200
    refused = upload(client, data, token=token)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    assert client.get("/xac-minh").status_code == 200  # the empty form is not a verification
