"""The standard-setting pages: who may open them, the rater's form (percent in, refused whole when one value is
wrong), what a rater sees of the others, and the derivation that waits for its confirmation."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from service import standard_settings as studies
from service.extensions import db
from service.models import ROLES, Blueprint, StandardSetting, StandardSettingRating
from tests.web.pages import csrf_of, sign_in


@pytest.fixture
def study(bank, make_user):
    """A study of BP-CCVC, one item per cell, with two raters."""
    admin = make_user("admin", username="quantri")
    raters = [make_user("author", full_name="Trần Thị Thẩm Định"), make_user("unit_manager")]
    made = studies.create_study({"blueprint": "BP-CCVC", "title": "Điểm chuẩn thử", "items_per_cell": 1,
                                 "panel": [rater.username for rater in raters]}, admin)
    db.session.commit()
    return made, admin, raters


def ratings_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StandardSettingRating))


def inputs(html: str) -> list[str]:
    return re.findall(r'name="(p-\d+)"', html)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_who_opens_the_pages(client, study, make_user, role):
    made, admin, raters = study
    admin_paths = ["/quan-ly/diem-chuan", f"/quan-ly/diem-chuan/{made.id}"]
    forms = [f"/quan-ly/diem-chuan/{made.id}/vong-moi", f"/quan-ly/diem-chuan/{made.id}/xac-dinh",
             f"/quan-ly/diem-chuan/{made.id}/huy", "/quan-ly/diem-chuan"]
    if role is None:
        token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    else:
        token = sign_in(client, make_user(role))
    for path in [*admin_paths, f"/diem-chuan/{made.id}"]:
        response = client.get(path)
        if role is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next="), path
        else:  # the rater page is for its panel only: the admin runs the study but is not on this panel
            expected = 200 if role == "admin" and path in admin_paths else 403
            assert response.status_code == expected, (path, role)
    for path in forms if role != "admin" else ():
        response = client.post(path, data={"csrf_token": token, "confirmed": "1", "title": "x", "panel": "x",
                                           "blueprint": "BP-CCVC"})
        assert response.status_code == (302 if role is None else 403), (path, role)
    if role not in (None, "admin", "candidate"):  # a staff member who is not on the panel rates nothing
        posted = client.post(f"/diem-chuan/{made.id}",
                             data={"csrf_token": token, f"p-{made.items[0].item_version_id}": "50"})
        assert posted.status_code == 403
    assert ratings_count() == 0 and db.session.get(StandardSetting, made.id).status == "open"


def test_a_rater_rates_in_percent_and_a_wrong_value_saves_nothing(client, study):
    made, admin, raters = study
    token = sign_in(client, raters[0])
    home = client.get("/quan-ly/").get_data(as_text=True)
    assert "Điểm chuẩn thử" in home and f"/diem-chuan/{made.id}" in home
    page = client.get(f"/diem-chuan/{made.id}").get_data(as_text=True)
    names = inputs(page)
    assert len(names) == len(made.items) == 12
    assert "(đáp án)" in page or "Đáp án:" in page  # the key is shown to raters
    for wrong in ("150", "abc", "-1", "12.345", "NaN"):
        refused = client.post(f"/diem-chuan/{made.id}", data={"csrf_token": token, names[0]: "40", names[1]: wrong})
        assert refused.status_code == 422, wrong
        html = refused.get_data(as_text=True)
        assert "chưa lưu đánh giá nào" in html and 'aria-invalid="true"' in html and f'value="{wrong}"' in html
    assert ratings_count() == 0
    saved = client.post(f"/diem-chuan/{made.id}", data={"csrf_token": token, names[0]: "62,5", names[1]: "100",
                                                        names[2]: ""})
    assert saved.status_code == 302
    stored = dict(db.session.execute(select(StandardSettingRating.item_version_id,
                                            StandardSettingRating.probability)).all())
    assert stored == {int(names[0][2:]): "0.625", int(names[1][2:]): "1"}
    again = client.get(f"/diem-chuan/{made.id}").get_data(as_text=True)
    assert "Đã lưu 2 đánh giá ở vòng 1." in again and 'value="62,5"' in again and "đã lưu ở vòng này" in again
    assert client.post(f"/diem-chuan/{made.id}", data={names[0]: "50"}).status_code == 400  # no CSRF token


def test_round_two_shows_the_panels_mean_and_no_ones_rating(client, study):
    made, admin, raters = study
    for rater, value in zip(raters, ("40", "80"), strict=True):
        studies.rate(made, rater, [{"item_version_id": entry.item_version_id, "probability": Decimal(value) / 100}
                                   for entry in made.items], made.created_at)
    studies.open_round(made, admin)
    db.session.commit()
    sign_in(client, raters[0])
    page = client.get(f"/diem-chuan/{made.id}").get_data(as_text=True)
    assert page.count("Trung bình của hội đồng ở vòng trước: <strong>60 %</strong>") == 12
    assert "vòng 2" in page and 'value="40"' in page and 'value="80"' not in page
    assert raters[1].username not in page


def test_the_admin_derives_only_after_confirming(client, study):
    made, admin, raters = study
    token = sign_in(client, admin)
    refused = client.post(f"/quan-ly/diem-chuan/{made.id}/xac-dinh", data={"csrf_token": token})
    assert refused.status_code == 409 and raters[0].username in refused.get_data(as_text=True)
    for rater, value in zip(raters, ("55", "60"), strict=True):
        studies.rate(made, rater, [{"item_version_id": entry.item_version_id, "probability": Decimal(value) / 100}
                                   for entry in made.items], made.created_at)
    db.session.commit()
    detail = client.get(f"/quan-ly/diem-chuan/{made.id}").get_data(as_text=True)
    assert "57,50 %" in detail and "58 %" in detail and "Mọi thành viên đã đánh giá mọi câu." in detail
    asked = client.post(f"/quan-ly/diem-chuan/{made.id}/xac-dinh", data={"csrf_token": token})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Xác nhận điểm chuẩn" in text and "ngưỡng đạt 58%" in text
    assert "giữ phiên bản cũ" in text
    db.session.expire_all()
    assert db.session.get(StandardSetting, made.id).status == "open"
    assert db.session.scalar(select(func.count()).select_from(Blueprint).where(Blueprint.code == "BP-CCVC")) == 1
    done = client.post(f"/quan-ly/diem-chuan/{made.id}/xac-dinh", data={"csrf_token": token, "confirmed": "1"})
    assert done.status_code == 302
    page = client.get(f"/quan-ly/diem-chuan/{made.id}").get_data(as_text=True)
    assert "Đã xác định điểm chuẩn: cấu trúc đề BP-CCVC phiên bản 3, ngưỡng đạt 58%." in page
    listing = client.get("/quan-ly/diem-chuan").get_data(as_text=True)
    assert re.search(r'data-blueprint="BP-CCVC"><td>BP-CCVC</td><td>3</td><td>58 %</td>', listing)
    twice = client.post(f"/quan-ly/diem-chuan/{made.id}/xac-dinh", data={"csrf_token": token, "confirmed": "1"})
    assert twice.status_code == 409


def test_the_create_form_keeps_the_input_and_names_the_problem(client, bank, make_user):
    candidate = make_user("candidate")
    token = sign_in(client, make_user("admin"))
    response = client.post("/quan-ly/diem-chuan", data={"csrf_token": token, "title": "Đợt mới", "blueprint": "BP-CCVC",
                                                       "panel": f"{candidate.username}", "items_per_cell": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f"“{candidate.username}” là thí sinh" in html and 'value="Đợt mới"' in html
    assert db.session.scalar(select(func.count()).select_from(StandardSetting)) == 0
