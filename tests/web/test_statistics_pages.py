"""The item statistics pages: the figures of GET /api/v1/blueprints/<code>/statistics (one function computes
both), the items that need a review listed first with their reasons, and a blueprint nobody has sat yet."""

import re
from html import escape

from sqlalchemy import select

from certificates.pdf import vn_number
from service.extensions import db
from service.models import Blueprint
from service.statistics import blueprint_statistics
from tests.web.pages import sign_in

ATTEMPTS = 12  # as the full_forms fixture submits


def rows_of(page: str) -> list[str]:
    """The item codes of the table's rows, in order."""
    return re.findall(r'<tr data-item="([^"]+)"', page)


def row(page: str, code: str) -> str:
    return re.search(rf'<tr data-item="{re.escape(code)}".*?</tr>', page, re.S).group(0)


def test_the_list_shows_each_current_blueprint_with_its_submitted_attempts(client, make_user, full_forms):
    sign_in(client, make_user("reviewer"))
    page = client.get("/quan-ly/thong-ke").get_data(as_text=True)
    current = db.session.scalars(select(Blueprint).where(Blueprint.current).order_by(Blueprint.code)).all()
    assert re.findall(r'<tr data-blueprint="([^"]+)"', page) == [b.code for b in current]
    sat = re.search(r'<tr data-blueprint="BP-CCVC">.*?</tr>', page, re.S).group(0)
    assert 'href="/quan-ly/thong-ke/BP-CCVC"' in sat and f"<td>{ATTEMPTS}</td>" in sat
    other = next(b for b in current if b.code != "BP-CCVC")
    assert "<td>0</td>" in re.search(rf'<tr data-blueprint="{other.code}">.*?</tr>', page, re.S).group(0)
    assert other.name in page


def test_the_page_shows_the_figures_of_the_statistics_with_the_flagged_items_first(client, make_user, full_forms):
    always, reversed_item, *_ = full_forms
    found = blueprint_statistics("BP-CCVC")
    alpha = found["reliability"]["alpha"]
    assert alpha is not None and found["attempts"] == ATTEMPTS
    sign_in(client, make_user("reviewer"))
    response = client.get("/quan-ly/thong-ke/BP-CCVC")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<dd id="alpha">{vn_number(alpha, 3)}</dd>' in page and "," in vn_number(alpha, 3)
    assert f'<dd id="sem">{vn_number(found["reliability"]["sem"], 2)}</dd>' in page
    assert f'<dd id="so-bai">{ATTEMPTS}</dd>' in page

    by_code = {item["code"]: item for item in found["items"]}
    third = full_forms[2]
    facility = vn_number(by_code[third]["facility"], 2)
    assert "," in facility  # a decimal comma, as Vietnamese writes it
    assert f'<td data-figure="facility">{facility}</td>' in row(page, third)

    flagged = sorted(found["flagged"])
    assert {always, reversed_item} <= set(flagged)
    assert rows_of(page) == flagged + sorted(set(by_code) - set(flagged))
    assert "Quá dễ: chỉ số dễ trên 0,9." in row(page, always)
    assert 'data-flag="negative_discrimination"' in row(page, reversed_item)
    assert "Độ phân biệt âm" in row(page, reversed_item)
    assert "chưa hiệu chuẩn" in row(page, third)
    assert "Chưa có bài thi nào được nộp" not in page
    # A reviewer has no item page to go to; an admin opens the item's own page.
    assert "/quan-ly/cau-hoi/" not in page
    client.post("/dang-xuat", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)})
    sign_in(client, make_user("admin"))
    item_id = by_code[always]["item_id"]
    assert f'<a href="/quan-ly/cau-hoi/{item_id}">{always}</a>' in client.get("/quan-ly/thong-ke/BP-CCVC").get_data(
        as_text=True)


def test_a_calibrated_item_shows_its_parameters(app, client, make_user, full_forms):
    assert app.test_cli_runner().invoke(args=["bank", "calibrate"]).exit_code == 0
    found = {item["code"]: item for item in blueprint_statistics("BP-CCVC")["items"]}
    third = full_forms[2]
    calibration = found[third]["calibration"]
    sign_in(client, make_user("reviewer"))
    shown = row(client.get("/quan-ly/thong-ke/BP-CCVC").get_data(as_text=True), third)
    assert f"a = {vn_number(calibration['a'], 2)}; b = {vn_number(calibration['b'], 2)}; n = {ATTEMPTS}" in shown


def test_a_blueprint_without_submitted_attempts_says_so(client, bank, make_user):
    sign_in(client, make_user("admin"))
    page = client.get("/quan-ly/thong-ke/BP-CCVC").get_data(as_text=True)
    assert "Chưa có bài thi nào được nộp theo phiên bản này." in page
    assert "<table" not in page


def test_an_unknown_blueprint_is_the_sites_404_page(client, bank, make_user):
    sign_in(client, make_user("reviewer"))
    response = client.get("/quan-ly/thong-ke/KHONG-CO")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Mã lỗi: 404" in response.get_data(as_text=True)


def test_the_staff_home_links_the_statistics_for_those_who_may_read_them(client, make_user):
    for role, linked in (("reviewer", True), ("admin", True), ("author", False), ("proctor", False)):
        with client.session_transaction() as cookie:
            cookie.clear()
        sign_in(client, make_user(role))
        assert ('href="/quan-ly/thong-ke"' in client.get("/quan-ly/").get_data(as_text=True)) == linked, role


def test_the_page_shows_the_decision_quality_that_blueprints_check_prints(client, bank, make_user):
    """On the cautious priors (nothing calibrated yet): the simulated figures, and the warning with what 0.90 takes."""
    from service.calibration import CHECK_FORMS, check_blueprint, verdicts

    check = check_blueprint(db.session.scalar(select(Blueprint).where(Blueprint.code == "BP-CCVC", Blueprint.current)),
                            CHECK_FORMS)
    quality = check.quality
    sign_in(client, make_user("reviewer"))
    page = client.get("/quan-ly/thong-ke/BP-CCVC").get_data(as_text=True)
    assert f'<dd id="do-nhat-quan">{vn_number(quality.consistency, 3)}</dd>' in page
    assert f'<dd id="do-chinh-xac">{vn_number(quality.accuracy, 3)}</dd>' in page
    assert f'<dd id="do-tin-cay">{vn_number(quality.reliability, 3)}</dd>' in page
    assert f'<dd id="da-hieu-chuan">0/{check.pools.total}</dd>' in page
    notes = re.findall(r"<p class=\"(?:hint|error)\" data-note>(.*?)</p>", page, re.S)
    assert notes == [escape(note) for note in verdicts(check, 0.90)]
    assert notes[0].startswith(f"Cảnh báo: Cấu trúc đề BP-CCVC v2: độ nhất quán {vn_number(quality.consistency, 3)} "
                               "dưới mức tối thiểu 0,9")
    assert "cần độ tin cậy khoảng" in notes[1]


def test_sharp_measured_items_show_no_warning(client, bank, make_user):
    from tests.service.test_calibration import _fake_calibration

    _fake_calibration("cong_chuc", 3.0, -0.3)
    sign_in(client, make_user("admin"))
    page = client.get("/quan-ly/thong-ke/BP-CCVC").get_data(as_text=True)
    consistency = float(re.search(r'<dd id="do-nhat-quan">([\d,]+)</dd>', page)[1].replace(",", "."))
    measured, total = re.search(r'<dd id="da-hieu-chuan">(\d+)/(\d+)</dd>', page).groups()
    assert consistency >= 0.9 and measured == total
    assert "data-note" not in page
