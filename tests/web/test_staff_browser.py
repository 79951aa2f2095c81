"""The staff pages in a real browser (Chromium): the main path of each new page, and every staff page on a
360 px phone, where no table may be wider than the screen unless it scrolls in its own box, and the page's main
actions stay reachable."""

import io
import zipfile
from datetime import timedelta

from sqlalchemy import select

from service import clock, exams
from service.extensions import db
from service.models import Audience, AuditEntry, Certificate, Enrolment, Item, TokenKey
from tests.web.pages import signed_in_page

PHONE = {"width": 360, "height": 740}


def stored_pdf(page, served, headers, cert: Certificate) -> bytes:
    """The certificate's signed PDF, fetched from the running service (it signs with pyHanko's event loop, which
    cannot run in this thread while Playwright's does)."""
    response = page.request.get(f"{served}/api/v1/certificates/{cert.public_id}/pdf", headers=headers)
    assert response.ok
    return response.body()


def test_admin_finds_and_revokes_a_certificate(served, browser, make_user, make_certificate):
    cert = make_certificate(make_user("candidate", full_name="Huỳnh Thị Kim Chi"))
    page = signed_in_page(browser, served, make_user("admin"), "/quan-ly/")
    page.click("text=Giấy chứng nhận: tra cứu, thu hồi, cấp lại")
    page.fill("input[name=q]", "Kim Chi")
    with page.expect_navigation():
        page.click("button:has-text('Tìm')")
    page.click(f"text={cert.serial}")
    page.wait_for_url(f"**/quan-ly/chung-nhan/{cert.public_id}")
    assert "Còn hiệu lực" in page.inner_text("main")
    page.fill("#revoke-reason", "Kết quả bị hủy do thi hộ")
    with page.expect_navigation():
        page.click("button:has-text('Thu hồi…')")
    text = page.inner_text("main")
    assert "Thu hồi giấy chứng nhận số" in text and "ĐÃ THU HỒI" in text
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "valid"  # not before the confirmation
    with page.expect_navigation():
        page.click("button:has-text('Xác nhận thu hồi')")
    assert "Đã thu hồi giấy chứng nhận số" in page.inner_text("main")
    assert page.locator("[data-status=revoked]").count() == 1
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).revoke_reason == "Kết quả bị hủy do thi hộ"
    page.goto(cert.verify_url.replace("https://sathach.example.vn", served))
    assert page.inner_text("h1") == "ĐÃ THU HỒI" and "Kết quả bị hủy do thi hộ" in page.inner_text("main")


def test_admin_reads_the_accounts_replaces_the_key_and_reads_it_in_the_audit_log(served, browser, make_user,
                                                                                 make_certificate):
    cert = make_certificate(make_user("candidate", full_name="Mai Thị Thu Trang"))
    make_user("proctor", full_name="Giám Thị Lâm Văn Phúc")
    page = signed_in_page(browser, served, make_user("admin", username="quantri"), "/quan-ly/")
    page.click("text=Tài khoản")
    page.select_option("select[name=role]", "proctor")
    with page.expect_navigation():
        page.click("button:has-text('Lọc')")
    accounts = page.inner_text("table")
    assert "Giám Thị Lâm Văn Phúc" in accounts and "Mai Thị Thu Trang" not in accounts
    page.goto(f"{served}/quan-ly/")
    page.click("text=Khóa ký mã QR")
    assert cert.token_kid in page.inner_text("table")
    page.fill("#rotate-reason", "Thay khóa định kỳ năm 2026")
    with page.expect_navigation():
        page.click("button:has-text('Thay khóa…')")
    assert "vẫn xác minh được như cũ" in page.inner_text("main")
    with page.expect_navigation():
        page.click("button:has-text('Xác nhận thay khóa')")
    assert "Đã thay khóa" in page.inner_text("main")
    active = db.session.scalar(select(TokenKey).where(TokenKey.status == "active"))
    assert active.kid != cert.token_kid
    page.goto(f"{served}/quan-ly/nhat-ky")
    page.select_option("select[name=action]", "key.rotate")
    page.fill("input[name=actor]", "quantri")
    today = (clock.now() + timedelta(hours=7)).date().isoformat()
    page.fill("input[name=from]", today)
    page.fill("input[name=to]", today)
    with page.expect_navigation():
        page.click("button:has-text('Lọc')")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "Thay khóa định kỳ năm 2026" in rows.first.inner_text()
    assert active.kid in rows.first.inner_text()


def test_a_verifier_uploads_the_pdf_on_a_phone(served, browser, make_user, make_certificate, auth_headers, tmp_path):
    cert = make_certificate(make_user("candidate", full_name="Cao Thị Mỹ Duyên"))
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{served}/xac-minh")
    not_pdf = tmp_path / "anh-chup.jpg"
    not_pdf.write_bytes(b"\xff\xd8\xff\xe0 not a pdf")
    page.set_input_files("#file", str(not_pdf))
    assert "không phải tệp PDF" in page.inner_text("#file-check")
    assert page.evaluate("document.querySelector('form.verify-upload').checkValidity()") is False
    big = tmp_path / "qua-lon.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (6 * 2**20))
    page.set_input_files("#file", str(big))
    assert "Tệp quá lớn" in page.inner_text("#file-check") and "5 MB" in page.inner_text("#file-check")
    genuine = tmp_path / "chung-nhan.pdf"
    genuine.write_bytes(stored_pdf(page, served, auth_headers(make_user("admin")), cert))
    page.set_input_files("#file", str(genuine))
    assert page.locator("#file-check").is_hidden()
    with page.expect_navigation():
        page.click("button:has-text('Kiểm tra tệp')")
    assert page.inner_text("h1") == "HỢP LỆ"
    text = page.inner_text("main")
    assert "Cao Thị Mỹ Duyên" in text and cert.serial in text and "Chữ ký số trên tệp PDF: đạt" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_server_says_a_file_is_too_large_when_the_browser_could_not(served, browser, app, tmp_path):
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    page = browser.new_page()
    page.route("**/verify.js", lambda route: route.abort())  # a browser that runs no script
    page.goto(f"{served}/xac-minh")
    big = tmp_path / "qua-lon.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (3 * 2**20))
    page.set_input_files("#file", str(big))
    with page.expect_navigation():
        page.click("button:has-text('Kiểm tra tệp')")
    assert "Tệp quá lớn: chỉ nhận tệp tối đa 256 KB." in page.inner_text("#file-error")


def test_unit_manager_enrols_staff_and_downloads_the_zip(served, browser, units, make_user, make_session,
                                                         make_certificate):
    colleague = make_user("candidate", unit_code="BTR-BATRI", full_name="Dương Văn Khánh")
    cert = make_certificate(make_user("candidate", unit_code="BTR-BATRI"))
    session = make_session([], title="Sát hạch đợt 2 năm 2026")
    manager = make_user("unit_manager", unit_code="BTR-BATRI")
    page = signed_in_page(browser, served, manager, "/quan-ly/", viewport=PHONE)
    page.click("text=Ghi danh nhân sự của đơn vị vào kỳ sát hạch")
    page.click("text=Sát hạch đợt 2 năm 2026")
    page.check(f"input[value='{colleague.username}']")
    with page.expect_navigation():
        page.click("button:has-text('Ghi danh')")
    assert "Đã ghi danh thêm 1 người" in page.inner_text("main")
    db.session.expire_all()
    assert set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.session_id == session.id))) == {
        colleague.id}
    page.goto(f"{served}/quan-ly/")
    page.click("text=Giấy chứng nhận của đơn vị")
    with page.expect_download() as download:
        page.click("text=Tải tất cả giấy còn hiệu lực (ZIP)")
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        assert archive.namelist() == [f"{cert.serial}.pdf"]
        assert archive.read(f"{cert.serial}.pdf").startswith(b"%PDF-")
    assert db.session.scalar(select(AuditEntry.target_id).where(AuditEntry.action == "certificates.download_zip")) \
        == "BTR-BATRI"


# -- 360 px -------------------------------------------------------------------------------------------------

WIDE_TABLES = """() => {
  // A table reaching past the screen's right edge must sit in a box of its own that scrolls and ends on screen.
  const width = document.documentElement.clientWidth;
  const inside = (rect) => rect.left >= -0.5 && rect.right <= width + 0.5;
  const loose = [];
  let scrolling = 0;
  for (const table of document.querySelectorAll("table")) {
    if (inside(table.getBoundingClientRect())) continue;
    scrolling += 1;
    let box = table.parentElement, held = false;
    for (; box && box !== document.body; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && inside(box.getBoundingClientRect())) {
        held = true;
        break;
      }
    }
    if (!held) loose.push(table.outerHTML.slice(0, 120));
  }
  return {loose, scrolling, pageWidth: document.documentElement.scrollWidth, width};
}"""


def test_every_staff_page_fits_a_360_px_phone(served, browser, units, make_user, make_session, make_certificate):
    admin = make_user("admin", unit_code="BTR-BATRI", full_name="Quản Trị Viên Tỉnh")
    sitting = make_user("candidate", unit_code="BTR-BATRI", full_name="Nguyễn Thị Phương Thảo Tôn Nữ")
    session = make_session([sitting], title="Sát hạch kỹ năng số dành cho công chức cấp xã đợt 1/2026")
    exams.start_or_resume(session, sitting, clock.now())
    cert = make_certificate(make_user("candidate", unit_code="BTR-BATRI", full_name="Võ Thị Thu Hà"))
    item = db.session.scalar(select(Item).order_by(Item.id))
    pages = {  # path: what must stay reachable there
        "/quan-ly/": "text=Nhật ký quản trị",
        "/quan-ly/ky-thi": "text=Tạo kỳ sát hạch mới",
        "/quan-ly/ky-thi/moi": "button:has-text('Tạo kỳ sát hạch')",
        f"/quan-ly/ky-thi/{session.id}": "button:has-text('Cộng giờ')",
        "/quan-ly/duyet": "h1",
        "/quan-ly/don-vi": "text=Tải bảng kết quả (XLSX)",
        "/quan-ly/don-vi/BTR-BATRI/ghi-danh": f"text={session.title}",
        f"/quan-ly/don-vi/BTR-BATRI/ky-thi/{session.id}": "button:has-text('Ghi danh')",
        "/quan-ly/don-vi/BTR-BATRI/chung-nhan": "text=PDF",
        "/quan-ly/bao-cao": "button:has-text('Xem')",
        "/quan-ly/cau-hoi": "text=Soạn câu hỏi mới",
        "/quan-ly/cau-hoi/moi": "button[type=submit].primary",
        f"/quan-ly/cau-hoi/{item.id}": "h1",
        "/quan-ly/cau-hoi/nhap-tep": "button[type=submit]",
        "/quan-ly/chung-nhan": f"text={cert.serial}",
        f"/quan-ly/chung-nhan/{cert.public_id}": "button:has-text('Thu hồi…')",
        "/quan-ly/tai-khoan": "button:has-text('Lọc')",
        "/quan-ly/khoa": "button:has-text('Đánh dấu lộ…')",
        "/quan-ly/nhat-ky": "button:has-text('Lọc')",
        "/quan-ly/thong-ke": "text=BP-CCVC",
    }
    page = signed_in_page(browser, served, admin, "/quan-ly/", viewport=PHONE)
    measured = {}
    for path, action in pages.items():
        response = page.goto(f"{served}{path}")
        assert response.status == 200, path
        found = page.evaluate(WIDE_TABLES)
        measured[path] = found
        assert found["loose"] == [], (path, found)
        assert found["pageWidth"] <= PHONE["width"], (path, found)
        target = page.locator(action).first
        target.scroll_into_view_if_needed()
        target.click(trial=True)  # visible, enabled, not covered: a tap would reach it
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (path, action, box)
    # Tables wider than the phone exist (the live attempts with their forms, the audit log…): they scroll in their
    # own box, and the page itself does not.
    wide = {path for path, found in measured.items() if found["scrolling"]}
    assert {"/quan-ly/nhat-ky", "/quan-ly/tai-khoan", "/quan-ly/don-vi", "/quan-ly/chung-nhan"} <= wide, measured


CHART_LABELS = """() => {
  // Each bar's label: its lines, the tooltip's full name, and whether it stays left of its bar and on screen.
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("svg.chart g.bar")].map((bar) => {
    const label = bar.querySelector("text.bar-label").getBoundingClientRect();
    const rect = bar.querySelector("rect").getBoundingClientRect();
    const lines = [...bar.querySelectorAll("text.bar-label tspan")].map((t) => t.textContent);
    return {lines: lines.length ? lines : [bar.querySelector("text.bar-label").textContent],
            title: bar.querySelector("title").textContent,
            fits: label.left >= -0.5 && label.right <= rect.left + 0.5 && label.right <= width + 0.5};
  });
}"""


def test_report_chart_labels_break_between_words_and_fit_a_360_px_phone(served, browser, units, make_user,
                                                                         make_certificate):
    make_certificate(make_user("candidate", unit_code="BTR-BATRI"))  # a closed attempt: every area is charted
    long_name = "Người lao động trong doanh nghiệp nhà nước và các đơn vị sự nghiệp công lập của tỉnh"
    db.session.add(Audience(code="doanh_nghiep", name=long_name, position=9))  # audiences are data: room for more
    db.session.commit()
    page = signed_in_page(browser, served, make_user("admin"), "/quan-ly/", viewport=PHONE)
    page.goto(f"{served}/quan-ly/bao-cao")
    labels = page.evaluate(CHART_LABELS)
    titles = [label["title"].rsplit(": ", 1)[0] for label in labels]
    assert "Công chức, viên chức, người lao động" in titles and len(labels) >= 3 + 6, titles
    for label, name in zip(labels, titles, strict=True):
        assert label["fits"], label
        shown = " ".join(label["lines"])
        if shown.endswith("…"):  # shortened after a whole word, the full name in the tooltip
            assert name.startswith(shown[:-1]) and name[len(shown) - 1] == " ", (shown, name)
        else:
            assert shown == name, (shown, name)
    assert any(len(label["lines"]) == 2 for label in labels)  # long names wrap rather than being cut
    assert next(label for label in labels if label["title"].startswith(long_name))["lines"] == [
        "Người lao động trong doanh", "nghiệp nhà nước và các đơn…"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_item_statistics_fit_a_360_px_phone(served, browser, make_user, full_forms):
    always = full_forms[0]
    page = signed_in_page(browser, served, make_user("reviewer"), "/quan-ly/", viewport=PHONE)
    page.click("text=Thống kê câu hỏi")
    page.wait_for_url("**/quan-ly/thong-ke")
    with page.expect_navigation():
        page.click("a:has-text('BP-CCVC')")
    assert page.url.endswith("/quan-ly/thong-ke/BP-CCVC")
    assert page.locator("tbody tr").first.get_attribute("data-item") == always
    assert "Quá dễ" in page.locator("tbody tr").first.inner_text()
    found = page.evaluate(WIDE_TABLES)
    assert found["scrolling"] == 1, found  # the items' table is wider than the phone: it scrolls in its own box
    assert found["loose"] == [], found
    assert found["pageWidth"] <= PHONE["width"], found
    last = page.locator("tbody tr").last.locator("td").last
    last.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
