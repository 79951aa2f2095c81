"""A real browser (Debian's Chromium driven by Playwright) against the running service."""

from tests.web.pages import signed_in_page


def test_candidate_signs_in_sits_and_gets_a_result(served, browser, bank, make_user, make_session, tmp_path):
    person = make_user("candidate", full_name="Phạm Thị Thu Trang")
    session = make_session([person])
    page = browser.new_page(viewport={"width": 412, "height": 915})  # a phone
    page.goto(f"{served}/dang-nhap")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", "mat-khau-dung-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/thi-sinh")
    assert "Phạm Thị Thu Trang" in page.content()
    page.click(f"form[action='/ky-thi/{session.id}/bat-dau'] button")
    page.wait_for_url("**/bai-thi/*")
    assert "Còn lại" in page.inner_text("#timer")
    items = page.locator("fieldset.item")
    assert items.count() == session.blueprint.item_count == 50
    for index in range(items.count()):
        item = items.nth(index)
        if item.get_attribute("data-type") == "ordering":
            item.locator("button.down").first.click()
        else:
            item.locator("input").first.check()
        item.locator(".save-state", has_text="Đã lưu").wait_for()
    page.screenshot(path=str(tmp_path / "exam.png"), full_page=False)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit")
    page.wait_for_url("**/ket-qua")
    text = page.inner_text("main")
    assert "/10 điểm" in text and ("ĐẠT" in text or "CHƯA ĐẠT" in text)
    assert "Lĩnh vực" in text


def test_author_writes_an_item_and_sends_it_for_review(served, browser, bank, make_user):
    from sqlalchemy import select

    from service.extensions import db
    from service.models import Item, ItemVersion

    author = make_user("author", full_name="Lê Văn Tâm")
    page = signed_in_page(browser, served, author, "/quan-ly/")
    page.click("text=Ngân hàng câu hỏi")
    page.goto(f"{served}/quan-ly/cau-hoi/moi")
    page.check("input[name=type][value=single_choice]")
    stem = "Khi nhận thư điện tử lạ yêu cầu đăng nhập lại tài khoản công vụ, cán bộ nên làm gì trước tiên?"
    page.fill("#stem", stem)
    options = ["Bấm vào liên kết và đăng nhập ngay", "Kiểm tra địa chỉ người gửi và báo bộ phận CNTT",
               "Chuyển tiếp thư cho đồng nghiệp", "Trả lời thư kèm mật khẩu"]
    for index, text in enumerate(options):
        page.fill(f"#option-{index}", text)
    page.check("input[name=correct][value='1']")
    page.fill("#explanation", "Thư giả mạo thường dẫn tới trang đăng nhập giả; cần kiểm tra và báo cáo.")
    page.select_option("#competence", "AT.1")
    page.select_option("#level", "co_ban")
    page.check("input[name=audiences][value=cong_chuc]")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/quan-ly/cau-hoi/*")
    assert stem in page.inner_text("main") and "nháp" in page.inner_text("main")
    with page.expect_navigation():
        page.click("button:has-text('Gửi duyệt')")
    assert "chờ duyệt" in page.inner_text("main")
    version = db.session.scalar(select(ItemVersion).join(Item).where(ItemVersion.stem == stem))
    assert version.status == "in_review" and version.author_id == author.id
    assert [o["text"] for o in version.options] == options and version.key == version.options[1]["id"]


def test_proctor_creates_a_session_in_vietnam_time(served, browser, bank, make_user, clock_at):
    from datetime import datetime

    from sqlalchemy import select

    from service.extensions import db
    from service.models import ExamSession

    clock_at(datetime(2026, 11, 25, 1, 0))
    candidate = make_user("candidate", full_name="Trần Thị Mai")
    proctor = make_user("proctor")
    page = signed_in_page(browser, served, proctor, "/quan-ly/")
    page.goto(f"{served}/quan-ly/ky-thi")
    page.click("text=Tạo kỳ sát hạch mới")
    page.fill("input[name=title]", "Sát hạch kỹ năng số đợt 1/2027")
    page.select_option("select[name=blueprint]", "BP-CCVC")
    page.fill("input[name=opens_at]", "2026-11-26T07:30")
    page.fill("input[name=closes_at]", "2026-11-26T11:30")
    page.fill("textarea[name=candidates]", candidate.username)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "Sát hạch kỹ năng số đợt 1/2027" in page.inner_text("main")
    created = db.session.scalar(select(ExamSession).where(ExamSession.title == "Sát hạch kỹ năng số đợt 1/2027"))
    assert (created.opens_at, created.closes_at) == (datetime(2026, 11, 26, 0, 30), datetime(2026, 11, 26, 4, 30))
