"""Standard setting in a real browser (Chromium): the admin opens a study, two raters rate every item on their
page (one of them on a 360 px phone), the admin derives the cut after confirming, and the blueprint's new
version shows the derived pass mark."""

from sqlalchemy import select

from service.extensions import db
from service.models import Blueprint, StandardSetting
from tests.web.pages import signed_in_page

PHONE = {"width": 360, "height": 740}


def rate_every_item(page, served, study_id: int, percent: str) -> None:
    page.goto(f"{served}/quan-ly/")
    page.click(f"a[href='/diem-chuan/{study_id}']")
    page.wait_for_url(f"**/diem-chuan/{study_id}")
    fields = page.locator("input[name^=p-]")
    assert fields.count() == 12
    for index in range(fields.count()):
        fields.nth(index).fill(percent)
    with page.expect_navigation():
        page.click("button:has-text('Lưu đánh giá vòng 1')")
    assert "Đã lưu 12 đánh giá ở vòng 1." in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_panel_sets_the_pass_mark_in_the_browser(served, browser, bank, make_user):
    admin = make_user("admin", full_name="Quản Trị Viên Tỉnh")
    first = make_user("reviewer", username="thamdinh1", full_name="Lê Văn Thẩm")
    second = make_user("proctor", username="thamdinh2", full_name="Phạm Thị Định")
    page = signed_in_page(browser, served, admin, "/quan-ly/", viewport=PHONE)
    page.click("text=Xác định điểm chuẩn (Angoff cải tiến)")
    page.wait_for_url("**/quan-ly/diem-chuan")
    assert "BP-CCVC" in page.inner_text("#cau-truc-de") and "60 %" in page.inner_text("#cau-truc-de")
    page.fill("#study-title", "Điểm chuẩn công chức 2026")
    page.select_option("#study-blueprint", "BP-CCVC")
    page.fill("#study-panel", "thamdinh1\nthamdinh2")
    page.fill("#study-per-cell", "1")
    with page.expect_navigation():
        page.click("button:has-text('Mở đợt')")
    assert "Đã mở đợt xác định điểm chuẩn với 12 câu và 2 thành viên hội đồng." in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    study_id = db.session.scalar(select(StandardSetting.id))

    rate_every_item(signed_in_page(browser, served, first, "/quan-ly/"), served, study_id, "70")
    rate_every_item(signed_in_page(browser, served, second, "/quan-ly/", viewport=PHONE), served, study_id, "52,5")

    page.reload()
    assert page.inner_text("#diem-chuan") == "61,25 %"  # (70 + 52.5) / 2: every item rated alike by each
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        page.click("button:has-text('Xác định điểm chuẩn…')")
    assert "ngưỡng đạt 61%" in page.inner_text("main")
    db.session.expire_all()
    assert db.session.scalar(select(Blueprint.version).where(Blueprint.code == "BP-CCVC", Blueprint.current)) == 2
    with page.expect_navigation():
        page.click("button:has-text('Xác nhận điểm chuẩn')")
    assert "phiên bản 3, ngưỡng đạt 61%" in page.inner_text("main")
    assert page.inner_text("#nguong-moi").startswith("61 % — BP-CCVC phiên bản 3")
    assert "trên tham số ước định" in page.inner_text("#do-nhat-quan")  # the new version's simulated decision quality
    page.goto(f"{served}/quan-ly/diem-chuan")
    assert page.inner_text("tr[data-blueprint=BP-CCVC]").split() == ["BP-CCVC", "3", "61", "%"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    db.session.expire_all()
    current = db.session.scalar(select(Blueprint).where(Blueprint.code == "BP-CCVC", Blueprint.current))
    assert current.version == 3 and current.spec["pass_percent"] == 61
