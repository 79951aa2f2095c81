"""A real browser (Debian's Chromium driven by Playwright) against the running service."""

import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


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
    assert items.count() == 20
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
