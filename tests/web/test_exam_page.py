"""The exam page in Chromium: it submits when the time is up (on a controlled clock), extra time granted by a
proctor reaches it without a reload, a save that fails while the network is cut is shown as not saved and goes
through once the network is back, answers not yet acknowledged survive a reload and the end of the session, the
confirmation names the unanswered questions, ordering works from the keyboard without losing the focus, and the
page fits 360 px under the content security policy."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from service.auth import end_every_session, issue_token
from service.extensions import db
from service.models import Attempt, AttemptItem, ItemVersion
from tests.web.pages import signed_in_page

START = datetime(2026, 12, 3, 1, 0)  # 08:00 in Viet Nam; BP-CCVC gives 60 minutes
RED = "rgb(179, 38, 30)"
GREEN = "rgb(30, 123, 52)"


@pytest.fixture
def sitting(served, browser, bank, make_user, make_session, clock_at):
    """start(**context) -> (page, attempt id): a candidate at the exam page of a session open now, the server's
    clock at START, the browser's clock under the test's control (Playwright's clock)."""
    clock_at(START)

    def start(**context):
        person = make_user("candidate", full_name="Đặng Thị Thu Hà")
        session = make_session([person])
        page = signed_in_page(browser, served, person, "/thi-sinh", **context)
        page.clock.install()
        with page.expect_navigation():
            page.click(f"form[action='/ky-thi/{session.id}/bat-dau'] button")
        page.wait_for_selector("#timer:has-text('Còn lại')")
        return page, int(page.url.rsplit("/", 1)[1])

    return start


def item(page, position):
    return page.locator(f"#cau-{position}")


def answer(page, position):
    """Give some answer to the question at `position`, whatever its type; returns what the page will send."""
    fieldset = item(page, position)
    kind = fieldset.get_attribute("data-type")
    if kind == "ordering":
        fieldset.locator("button.down").first.click()
        return fieldset.locator("ol.ordering > li").evaluate_all("items => items.map(li => li.dataset.id)")
    choice = fieldset.locator("input").first
    choice.check()
    value = choice.get_attribute("value")
    return {"multiple_response": [value], "true_false": value == "true"}.get(kind, value)


def stored_answers(attempt_id) -> dict[int, object]:
    db.session.rollback()  # read what the server committed since
    return dict(db.session.execute(select(AttemptItem.position, AttemptItem.answer).where(
        AttemptItem.attempt_id == attempt_id)).all())


def attempt_of(attempt_id) -> Attempt:
    db.session.rollback()
    return db.session.get(Attempt, attempt_id)


def saved(page, position):
    item(page, position).locator(".save-state.saved", has_text="Đã lưu").wait_for()


def pending_in_browser(page, attempt_id) -> dict:
    stored = page.evaluate(f"localStorage.getItem('sathach.bai-thi.{attempt_id}')")
    return json.loads(stored)["pending"] if stored else {}


def test_the_page_submits_when_the_time_is_up(sitting, clock_at):
    page, attempt_id = sitting()
    given = answer(page, 1)
    saved(page, 1)
    clock_at(START + timedelta(minutes=60))  # the server's deadline
    page.clock.fast_forward("01:00:00")      # and the page's
    page.wait_for_url("**/ket-qua", timeout=15000)
    attempt = attempt_of(attempt_id)
    assert attempt.status == "submitted" and attempt.result is not None
    assert stored_answers(attempt_id)[1] == given
    assert page.evaluate(f"localStorage.getItem('sathach.bai-thi.{attempt_id}')") is None


def test_extra_time_reaches_the_open_page(sitting, client, make_user, clock_at):
    page, attempt_id = sitting()
    assert page.inner_text("#deadline") == "09:00"
    proctor = {"Authorization": f"Bearer {issue_token(make_user('proctor'))}"}
    granted = client.post(f"/api/v1/attempts/{attempt_id}/extra-time", headers=proctor,
                          json={"minutes": 15, "reason": "Mất điện phòng thi 15 phút"})
    assert granted.status_code == 200
    page.clock.fast_forward(31_000)  # the page asks the server every half minute
    page.wait_for_selector("#deadline:has-text('09:15')")
    page.wait_for_selector("#announce:has-text('cộng thêm thời gian')")
    # At the old deadline the page keeps going: the server allows 15 more minutes.
    clock_at(START + timedelta(minutes=60))
    page.clock.fast_forward("01:00:00")
    page.wait_for_selector("#timer:has-text('Còn lại 1')")  # 14:xx or 15:00
    assert "/bai-thi/" in page.url and not page.url.endswith("/ket-qua")
    assert attempt_of(attempt_id).status == "in_progress"
    assert page.inner_text("#timer") in ("Còn lại 15:00", "Còn lại 14:59")


def test_a_save_while_the_network_is_cut_is_kept_and_sent_when_it_is_back(sitting):
    page, attempt_id = sitting()
    page.context.set_offline(True)
    given = answer(page, 1)
    state = item(page, 1).locator(".save-state")
    page.wait_for_selector("#cau-1 .save-state.failed")
    assert "Chưa lưu" in state.inner_text() and "Đã lưu" not in state.inner_text()
    assert state.evaluate("e => getComputedStyle(e).color") == RED
    assert "chưa lưu" in page.inner_text("#save-summary")
    assert "unsaved" in page.get_attribute("#danh-sach-cau a[data-position='1']", "class")
    assert pending_in_browser(page, attempt_id) == {"1": given}
    assert stored_answers(attempt_id)[1] is None

    page.context.set_offline(False)
    saved(page, 1)
    assert state.evaluate("e => getComputedStyle(e).color") == GREEN
    assert stored_answers(attempt_id)[1] == given
    assert pending_in_browser(page, attempt_id) == {}
    assert page.inner_text("#save-summary") == "Mọi câu trả lời đã được lưu."


def test_answers_not_yet_saved_survive_a_reload(sitting):
    page, attempt_id = sitting()
    page.route("**/cau/*", lambda route: route.fulfill(status=503, content_type="application/json",
                                                      body='{"code": "service_unavailable", "status": 503}'))
    given = {position: answer(page, position) for position in (1, 2, 3)}
    for position in given:
        page.wait_for_selector(f"#cau-{position} .save-state.failed")
    page.reload()
    page.wait_for_selector("#timer:has-text('Còn lại')")
    for position, value in given.items():  # back on the page, from the browser's copy, not yet saved
        fieldset = item(page, position)
        if fieldset.get_attribute("data-type") == "ordering":
            shown = fieldset.locator("ol.ordering > li").evaluate_all("items => items.map(li => li.dataset.id)")
            assert shown == value
        else:
            assert fieldset.locator("input:checked").count() == 1
        assert "Đã lưu" not in fieldset.locator(".save-state").inner_text()
    assert all(stored_answers(attempt_id)[position] is None for position in given)

    page.unroute("**/cau/*")
    for position in given:
        saved(page, position)
    assert {position: stored_answers(attempt_id)[position] for position in given} == given
    page.reload()
    for position in given:
        saved(page, position)
    assert pending_in_browser(page, attempt_id) == {}


def test_flags_the_list_of_questions_and_a_confirmation_naming_the_unanswered(sitting):
    page, attempt_id = sitting()
    for position in (1, 2, 4):
        answer(page, position)
        saved(page, position)
    item(page, 3).locator("button.flag").click()
    assert item(page, 3).locator("button.flag").get_attribute("aria-pressed") == "true"
    links = page.locator("#danh-sach-cau a")
    assert links.nth(0).get_attribute("aria-label") == "Câu 1: đã trả lời"
    assert links.nth(2).get_attribute("aria-label") == "Câu 3: chưa trả lời, đánh dấu xem lại"
    assert "Đã trả lời 3/50 câu" in page.inner_text("#answered-count")

    page.click("#submit-exam")
    dialog = page.locator("#confirm-submit")
    assert dialog.is_visible() and "còn 47 câu chưa trả lời" in dialog.inner_text()
    unanswered = page.locator("#confirm-unanswered li").all_inner_texts()
    assert unanswered == [f"Câu {n}" for n in [3, *range(5, 51)]]
    assert page.locator("#confirm-flagged li").all_inner_texts() == ["Câu 3"]
    page.click("#confirm-no")
    assert not dialog.is_visible() and page.evaluate("document.activeElement.id") == "submit-exam"
    assert attempt_of(attempt_id).status == "in_progress"

    page.click("#submit-exam")
    page.locator("#confirm-unanswered a[href='#cau-3']").click()  # back to a question from the list
    assert not dialog.is_visible() and page.evaluate("document.activeElement.id") == "cau-3"
    page.click("#submit-exam")
    page.click("#confirm-yes")
    page.wait_for_url("**/ket-qua")
    assert attempt_of(attempt_id).status == "submitted"


def test_ordering_by_keyboard_keeps_the_focus(sitting):
    page, attempt_id = sitting()
    # Make the first question an ordering one, whatever the draw gave.
    db.session.rollback()
    version = db.session.scalar(select(ItemVersion).where(ItemVersion.type == "ordering",
                                                          ItemVersion.status == "active").limit(1))
    row = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                      AttemptItem.position == 1))
    row.item_version_id, row.option_order = version.id, [o["id"] for o in version.options]
    db.session.commit()
    page.reload()
    order = item(page, 1).locator("ol.ordering > li")
    first = order.nth(0).get_attribute("data-id")
    down = order.nth(0).locator("button.down")
    down.focus()
    page.keyboard.press("Enter")
    assert order.nth(1).get_attribute("data-id") == first
    page.keyboard.press("Space")
    assert order.nth(2).get_attribute("data-id") == first
    focused = page.evaluate("[document.activeElement.className, document.activeElement.closest('li').dataset.id]")
    assert focused == ["down", first]  # the same button, moved with its entry
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # its "up" button
    assert order.nth(1).get_attribute("data-id") == first
    assert page.evaluate("document.activeElement.closest('li').dataset.id") == first
    page.wait_for_selector("#announce:has-text('vị trí 2 trên')")
    saved(page, 1)
    shown = order.evaluate_all("items => items.map(li => li.dataset.id)")
    assert stored_answers(attempt_id)[1] == shown


def longest_unbroken(version: ItemVersion) -> int:
    """The longest run of text without a space in the version's stem and options (a file name, a URL)."""
    texts = [version.stem, *(option["text"] for option in version.options or [])]
    return max(len(word) for text in texts for word in text.split())


def test_the_page_fits_a_small_phone_and_runs_under_the_content_security_policy(sitting, tmp_path):
    page, attempt_id = sitting(viewport={"width": 360, "height": 740})
    # Whatever the draw, the form shows the five items with the bank's longest unbroken texts (file names, a
    # URL, formulas: 31 to 53 characters today), at positions 2 to 6.
    drawn = set(db.session.scalars(select(AttemptItem.item_version_id).where(AttemptItem.attempt_id == attempt_id)))
    widest = sorted(db.session.scalars(select(ItemVersion).where(ItemVersion.status == "active",
                                                                 ItemVersion.audiences.any(code="cong_chuc"))),
                    key=longest_unbroken, reverse=True)[:5]
    for position, version in enumerate(widest, start=2):
        if version.id not in drawn:
            entry = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                                AttemptItem.position == position))
            entry.item_version_id, entry.option_order = version.id, [o["id"] for o in version.options or []]
    db.session.commit()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.reload()
    page.wait_for_selector("#timer:has-text('Còn lại')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    answer(page, 1)
    saved(page, 1)
    page.click("#submit-exam")
    box = page.locator("#confirm-submit").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.screenshot(path=str(tmp_path / "exam-360.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations == []


def test_an_answer_given_after_the_session_ended_is_saved_once_signed_in_again(sitting):
    page, attempt_id = sitting()
    person = attempt_of(attempt_id).user
    end_every_session(person)  # as a password change on another device does
    db.session.commit()
    given = answer(page, 1)
    page.wait_for_selector("#session-ended:visible")
    assert "hết hiệu lực" in page.inner_text("#save-summary")
    assert pending_in_browser(page, attempt_id) == {"1": given} and stored_answers(attempt_id)[1] is None

    page.click("#session-ended a")  # open the page again: sign in, come back, and the answer goes out
    page.wait_for_url("**/dang-nhap?next=**")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", "mat-khau-dung-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/bai-thi/{attempt_id}")
    saved(page, 1)
    assert stored_answers(attempt_id)[1] == given
