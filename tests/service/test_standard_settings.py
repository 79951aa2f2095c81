"""Standard setting through the API: a panel rates sampled items in rounds, the admin derives the cut, and it
becomes the pass mark of a new version of the blueprint. The cut is checked against one worked out here by hand,
in exact fractions, from the ratings and the blueprint's cell counts."""

import json
import math
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from service import clock, exams
from service.extensions import db
from service.models import (
    AuditEntry,
    Blueprint,
    Competence,
    ItemVersion,
    StandardSetting,
    StandardSettingItem,
    StandardSettingRating,
)

API = "/api/v1/standard-settings"


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="quantri")


@pytest.fixture
def panel(make_user):
    return [make_user("author"), make_user("reviewer"), make_user("proctor")]


@pytest.fixture
def open_study(client, bank, admin, panel, auth_headers):
    """open_study(**overrides) -> the created study's body (BP-CCVC, the three panel members)."""

    def make(**overrides):
        body = {"blueprint": "BP-CCVC", "title": "Điểm chuẩn BP-CCVC 2026",
                "panel": [member.username for member in panel], **overrides}
        response = client.post(API, json=body, headers=auth_headers(admin))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def probability(rater: int, item: int, round_: int = 1) -> Decimal:
    """A spread of ratings, 0.05 apart, different per rater, item and round."""
    return Decimal((item * 7 + rater * 3 + round_ * 5) % 19 + 2) * Decimal("0.05")


def rate_all(client, auth_headers, study, rater, number, round_=1, only=None):
    ratings = [{"item_version_id": item["item_version_id"], "probability": float(probability(number, index, round_))}
               for index, item in enumerate(study["items"]) if only is None or index in only]
    response = client.put(f"{API}/{study['id']}/ratings", json={"ratings": ratings}, headers=auth_headers(rater))
    assert response.status_code == 200, response.get_json()
    return {rating["item_version_id"]: Fraction(str(rating["probability"])) for rating in ratings}


def cell_of(version_id: int) -> tuple[str, str]:
    return db.session.execute(select(Competence.area_code, ItemVersion.level_code).join(
        Competence, Competence.code == ItemVersion.competence_code).where(ItemVersion.id == version_id)).one()


def hand_cut(given: list[dict[int, Fraction]], counts: dict[tuple[str, str], int]) -> Fraction:
    """The panel's cut: each rater's expected percent on a random form (a cell's rated items stand for its
    count), then the mean of the raters."""
    by_cell = defaultdict(list)
    for version_id in given[0]:
        by_cell[cell_of(version_id)].append(version_id)
    total = sum(counts.values())
    cuts = []
    for ratings in given:
        expected = sum(Fraction(counts[cell], len(ids)) * sum(ratings[i] for i in ids) for cell, ids in by_cell.items())
        cuts.append(100 * expected / total)
    return sum(cuts) / len(cuts)


def two_decimals(value: Fraction) -> float:
    return math.floor(value * 100 + Fraction(1, 2)) / 100


def counts_of(code="BP-CCVC") -> dict[tuple[str, str], int]:
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.code == code, Blueprint.current))
    return {(cell["area"], cell["level"]): cell["count"] for cell in blueprint.spec["cells"]}


def blueprint_versions(code="BP-CCVC"):
    return db.session.execute(select(Blueprint.version, Blueprint.current).where(Blueprint.code == code)
                              .order_by(Blueprint.version)).all()


# -- the main path ------------------------------------------------------------------------------------------


def test_three_raters_derive_the_cut_worked_out_by_hand(client, admin, panel, auth_headers, open_study):
    counts = counts_of()
    study = open_study()  # three items per cell by default
    per_cell = defaultdict(int)
    for item in study["items"]:
        per_cell[(item["area"], item["level"])] += 1
        assert cell_of(item["item_version_id"]) == (item["area"], item["level"])
        version = db.session.get(ItemVersion, item["item_version_id"])
        assert version.status == "active" and "cong_chuc" in version.audience_codes
        assert item["key"] is not None  # raters judge the item with its key
    assert set(per_cell) == set(counts) and all(n == 3 for n in per_cell.values()), per_cell
    assert study["blueprint"] == {"code": "BP-CCVC", "version": 2} and study["round"] == 1

    given = [rate_all(client, auth_headers, study, rater, number) for number, rater in enumerate(panel)]
    expected = hand_cut(given, counts)
    result = client.get(f"{API}/{study['id']}/result", headers=auth_headers(admin)).get_json()
    assert result["complete"] and result["missing"] == [] and result["raters"] == 3
    assert result["cut_percent"] == two_decimals(expected)
    assert result["pass_percent"] == math.floor(expected + Fraction(1, 2))
    assert result["rounds"] == {"1": two_decimals(expected)}
    assert result["spread"] > 0 and result["standard_error"] == pytest.approx(result["spread"] / 3 ** 0.5, abs=0.01)
    assert set(result["rater_cuts"]) == {member.username for member in panel}
    assert {item["weight"] for item in result["items"]} == {f"{counts[cell]}/3" if counts[cell] % 3 else
                                                            str(counts[cell] // 3) for cell in counts}

    derived = client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin))
    assert derived.status_code == 200, derived.get_json()
    body = derived.get_json()
    pass_mark = math.floor(expected + Fraction(1, 2))
    assert body["status"] == "derived" and body["pass_percent"] == pass_mark
    assert body["cut_percent"] == two_decimals(expected)
    assert body["result_blueprint"] == {"code": "BP-CCVC", "version": 3}
    assert body["derived_by"] == "quantri" and body["derived_at"]
    assert body["figures"]["rounds"] == {"1": two_decimals(expected)} and body["figures"]["raters"] == 3

    assert blueprint_versions() == [(2, False), (3, True)]
    old, new = (db.session.scalar(select(Blueprint).where(Blueprint.code == "BP-CCVC", Blueprint.version == v))
                for v in (2, 3))
    assert new.spec["pass_percent"] == pass_mark
    assert new.spec["bands"][-2]["min_percent"] == pass_mark  # the «Đạt» band starts at the pass mark, as before
    assert {k: v for k, v in new.spec.items() if k not in ("pass_percent", "bands")} == \
        {k: v for k, v in old.spec.items() if k not in ("pass_percent", "bands")}
    assert new.spec["bands"][:-2] == old.spec["bands"][:-2] and new.duration_minutes == old.duration_minutes
    listed = client.get("/api/v1/blueprints", headers=auth_headers(admin)).get_json()["items"]
    assert [(b["version"], b["pass_rule"]["pass_percent"]) for b in listed if b["code"] == "BP-CCVC"] == \
        [(3, pass_mark)]

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "standard_setting")
                                 .order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries] == ["standard_setting.create"] + ["standard_setting.rate"] * 3 + [
        "standard_setting.derive"]
    derive_entry = entries[-1]
    assert derive_entry.actor_id == admin.id and derive_entry.target_id == str(study["id"])
    assert derive_entry.details["pass_percent"] == pass_mark and derive_entry.details["version"] == 3
    assert derive_entry.details["previous_pass_percent"] == 60 and derive_entry.details["raters"] == 3
    assert derive_entry.details["cut_percent"] == two_decimals(expected)

    again = client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin))
    assert again.status_code == 409 and again.get_json()["code"] == "already_derived"
    assert "phiên bản 3" in again.get_json()["message"]
    assert blueprint_versions() == [(2, False), (3, True)]
    late = client.put(f"{API}/{study['id']}/ratings", headers=auth_headers(panel[0]), json={
        "ratings": [{"item_version_id": study["items"][0]["item_version_id"], "probability": 0.5}]})
    assert late.status_code == 409


def test_new_sessions_use_the_new_version_and_earlier_sessions_keep_theirs(
        client, admin, panel, auth_headers, open_study, make_user, make_session):
    early_candidates = [make_user("candidate"), make_user("candidate")]
    early = make_session(early_candidates)
    before, _ = exams.start_or_resume(early, early_candidates[0], clock.now())
    db.session.commit()
    study = open_study(items_per_cell=1)
    for number, rater in enumerate(panel):
        rate_all(client, auth_headers, study, rater, number)
    assert client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin)).status_code == 200
    new = db.session.scalar(select(Blueprint).where(Blueprint.code == "BP-CCVC", Blueprint.current))
    assert new.version == 3

    after_in_early, _ = exams.start_or_resume(early, early_candidates[1], clock.now())
    late_candidate = make_user("candidate")
    late = make_session([late_candidate])
    in_late, _ = exams.start_or_resume(late, late_candidate, clock.now())
    db.session.commit()
    assert before.blueprint.version == 2 and after_in_early.blueprint.version == 2  # the session's version
    assert late.blueprint.version == 3 and in_late.blueprint.version == 3


def test_a_second_round_replaces_the_first_in_the_cut(client, admin, panel, auth_headers, open_study):
    counts = counts_of()
    study = open_study(items_per_cell=1)
    first = [rate_all(client, auth_headers, study, rater, number) for number, rater in enumerate(panel)]
    # Re-rating in the same round replaces: still one row per rater and item.
    rate_all(client, auth_headers, study, panel[0], 0)
    assert db.session.scalar(select(func.count()).select_from(StandardSettingRating)) == 3 * len(study["items"])

    opened = client.post(f"{API}/{study['id']}/rounds", headers=auth_headers(admin))
    assert opened.status_code == 200 and opened.get_json()["round"] == 2

    # The panel sees its mean per item from round 1, and nobody else's ratings.
    seen = client.get(f"{API}/{study['id']}", headers=auth_headers(panel[1]))
    body = seen.get_json()
    assert body["round"] == 2 and "figures" not in body and "panel" not in body
    for item in body["items"]:
        mean = sum(given[item["item_version_id"]] for given in first) / 3
        assert item["panel_mean_percent"] == two_decimals(100 * mean)
        assert item["my_probability"] is None and Fraction(item["my_previous"]) == first[1][item["item_version_id"]]
    text = seen.get_data(as_text=True)
    assert panel[0].username not in text and panel[2].username not in text

    changed = rate_all(client, auth_headers, study, panel[2], 2, round_=2, only={0, 1, 2})
    second = [first[0], first[1], {**first[2], **changed}]
    result = client.get(f"{API}/{study['id']}/result", headers=auth_headers(admin)).get_json()
    assert result["round"] == 2
    assert result["rounds"] == {"1": two_decimals(hand_cut(first, counts)), "2": two_decimals(hand_cut(second, counts))}
    assert result["cut_percent"] == two_decimals(hand_cut(second, counts)) != two_decimals(hand_cut(first, counts))
    derived = client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin)).get_json()
    assert derived["figures"]["rounds"] == result["rounds"] and derived["figures"]["last_round"] == 2
    assert derived["pass_percent"] == math.floor(hand_cut(second, counts) + Fraction(1, 2))
    assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "standard_setting.round")) == \
        {"round": 2}


# -- refused ------------------------------------------------------------------------------------------------


def nothing_rated():
    return db.session.scalar(select(func.count()).select_from(StandardSettingRating)) == 0


def test_only_the_panel_rates_and_only_numbers_from_0_to_1(client, admin, panel, auth_headers, open_study, make_user):
    study = open_study(items_per_cell=1)
    item = study["items"][0]["item_version_id"]
    outsider = make_user("author")
    for who in (outsider, admin):  # the admin runs the study but is not on its panel
        response = client.put(f"{API}/{study['id']}/ratings", headers=auth_headers(who),
                              json={"ratings": [{"item_version_id": item, "probability": 0.5}]})
        assert response.status_code == 403 and "hội đồng" in response.get_json()["message"]
    assert client.get(f"{API}/{study['id']}", headers=auth_headers(outsider)).status_code == 403
    assert client.get(API, headers=auth_headers(outsider)).get_json()["items"] == []
    assert [s["id"] for s in client.get(API, headers=auth_headers(panel[0])).get_json()["items"]] == [study["id"]]
    assert client.get(f"{API}/{study['id']}/result", headers=auth_headers(panel[0])).status_code == 403

    headers = {**auth_headers(panel[0]), "Content-Type": "application/json"}
    for value in ("1.5", '"abc"', "NaN", "Infinity", "-0.1", "true", "null", "0.12345", '""', "[0.5]"):
        raw = f'{{"ratings": [{{"item_version_id": {item}, "probability": {value}}}]}}'
        response = client.put(f"{API}/{study['id']}/ratings", data=raw, headers=headers)
        assert response.status_code == 422, (value, response.get_json())
        error = response.get_json()
        assert error["code"] == "validation_error" and "probability" in json.dumps(error["errors"]), value
    for body in ({"ratings": [{"item_version_id": 999999, "probability": 0.5}]},
                 {"ratings": [{"item_version_id": item, "probability": 0.5}, {"item_version_id": 999999,
                                                                              "probability": 0.5}]},
                 {"ratings": [{"item_version_id": item, "probability": 0.5}] * 2},
                 {"ratings": []}, {}, {"ratings": [{"item_version_id": "abc", "probability": 0.5}]}):
        response = client.put(f"{API}/{study['id']}/ratings", json=body, headers=auth_headers(panel[0]))
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["message"]
    assert nothing_rated()
    # The bounds themselves and 4 decimals are fine; a number may come as text.
    ok = client.put(f"{API}/{study['id']}/ratings", headers=auth_headers(panel[0]), json={"ratings": [
        {"item_version_id": item, "probability": "0.6525"}]})
    assert ok.status_code == 200
    assert db.session.scalar(select(StandardSettingRating.probability)) == "0.6525"


def test_derive_and_rounds_wait_for_every_rating_and_name_what_is_missing(client, admin, panel, auth_headers,
                                                                          open_study):
    study = open_study(items_per_cell=1)
    rate_all(client, auth_headers, study, panel[0], 0)
    rate_all(client, auth_headers, study, panel[1], 1, only={0, 1})
    codes = [db.session.get(ItemVersion, item["item_version_id"]).item.code for item in study["items"]]
    for path in ("derive", "rounds"):
        response = client.post(f"{API}/{study['id']}/{path}", headers=auth_headers(admin))
        assert response.status_code == 409, path
        error = response.get_json()
        assert error["code"] == "ratings_missing"
        assert panel[1].username in error["message"] and panel[2].username in error["message"]
        assert panel[0].username not in error["errors"]
        assert error["errors"][panel[1].username] == codes[2:] and error["errors"][panel[2].username] == codes
    result = client.get(f"{API}/{study['id']}/result", headers=auth_headers(admin)).get_json()
    assert not result["complete"] and result["raters"] == 1
    assert [m["username"] for m in result["missing"]] == [panel[1].username, panel[2].username]
    assert blueprint_versions() == [(2, True)]
    stored = db.session.get(StandardSetting, study["id"])
    assert stored.status == "open" and stored.round == 1 and stored.pass_percent is None


def test_a_cut_that_breaks_the_bands_is_refused_and_changes_nothing(client, admin, panel, auth_headers, open_study):
    study = open_study(items_per_cell=1)
    for rater in panel:
        client.put(f"{API}/{study['id']}/ratings", headers=auth_headers(rater), json={"ratings": [
            {"item_version_id": item["item_version_id"], "probability": 0.9} for item in study["items"]]})
    response = client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin))
    assert response.status_code == 409 and response.get_json()["code"] == "invalid_blueprint"
    assert "90" in response.get_json()["message"] and "xếp loại" in response.get_json()["message"]
    assert blueprint_versions() == [(2, True)]
    assert db.session.get(StandardSetting, study["id"]).status == "open"


def test_a_pass_mark_on_measured_items_of_too_little_consistency_is_refused(client, admin, panel, auth_headers,
                                                                           open_study):
    """The gate of `bank load` holds here too: items measured as nearly useless (a = 0.05 for every version of
    the audience) make any pass/fail decision a coin toss, and the derived version is not made."""
    from question_bank import irt
    from service.models import CalibrationRun, ItemCalibration

    study = open_study(items_per_cell=1)
    for number, rater in enumerate(panel):
        rate_all(client, auth_headers, study, rater, number)
    run = CalibrationRun(model="2pl", min_responses=1, persons=1000, responses=50_000, items=0, iterations=10,
                         converged=True, log_likelihood=-1.0)
    db.session.add(run)
    db.session.flush()
    for version in db.session.scalars(select(ItemVersion).where(ItemVersion.status == "active",
                                                                ItemVersion.audiences.any(code="cong_chuc"))):
        db.session.add(ItemCalibration(run_id=run.id, item_version_id=version.id, a=0.05, b=0.0, n=1000,
                                       c=irt.guessing_floor(version.type, len(version.options)), current=True))
    db.session.commit()
    response = client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin))
    assert response.status_code == 409 and response.get_json()["code"] == "decision_consistency"
    assert "độ nhất quán" in response.get_json()["message"]
    assert blueprint_versions() == [(2, True)]
    assert db.session.get(StandardSetting, study["id"]).status == "open"

    db.session.execute(ItemCalibration.__table__.delete())
    db.session.commit()  # on the priors: derived, with the figures of the new version kept
    derived = client.post(f"{API}/{study['id']}/derive", headers=auth_headers(admin)).get_json()
    quality = derived["figures"]["decision_quality"]
    assert quality["blueprint"] == "BP-CCVC" and quality["items"] == 50 and 0.5 < quality["consistency"] < 1
    assert derived["figures"]["calibrated_items"][0] == 0


def test_a_study_is_made_only_of_staff_and_of_the_blueprints_items(client, admin, auth_headers, bank, make_user):
    author, candidate = make_user("author"), make_user("candidate")
    other_audience = db.session.scalar(select(ItemVersion.id).where(ItemVersion.status == "active", ~ItemVersion.id.in_(
        select(StandardSettingItem.item_version_id))).where(ItemVersion.audiences.any(code="lanh_dao")).where(
        ~ItemVersion.audiences.any(code="cong_chuc")))
    draft = db.session.scalar(select(ItemVersion.id).where(ItemVersion.status != "active"))
    cases = [
        ({"panel": [author.username, candidate.username]}, "panel", candidate.username),
        ({"panel": ["khong-co-ai"]}, "panel", "khong-co-ai"),
        ({"panel": []}, "panel", None),
        ({"blueprint": "BP-KHONG"}, "blueprint", "BP-KHONG"),
        ({"items_per_cell": 0}, "items_per_cell", None),
        ({"item_version_ids": [other_audience]}, "item_version_ids", str(other_audience)),
        ({"item_version_ids": [1]}, "item_version_ids", "ô"),  # one item cannot cover every cell
        ({"title": ""}, "title", None),
        ({"surprise": 1}, "surprise", None),
    ]
    if draft is not None:
        cases.append(({"item_version_ids": [draft]}, "item_version_ids", str(draft)))
    for change, field, named in cases:
        body = {"blueprint": "BP-CCVC", "title": "Đợt thử", "panel": [author.username], **change}
        response = client.post(API, json=body, headers=auth_headers(admin))
        assert response.status_code == 422, (change, response.get_json())
        error = response.get_json()
        assert field in error["errors"], (change, error)
        if named:
            assert named in json.dumps(error["errors"], ensure_ascii=False), (change, error)
    assert db.session.scalar(select(func.count()).select_from(StandardSetting)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.target_type == "standard_setting")) == 0


def test_candidates_and_strangers_reach_no_route(client, open_study, make_user, auth_headers):
    study = open_study(items_per_cell=1)
    candidate = make_user("candidate")
    routes = [("GET", API), ("POST", API), ("GET", f"{API}/{study['id']}"), ("PUT", f"{API}/{study['id']}/ratings"),
              ("POST", f"{API}/{study['id']}/rounds"), ("GET", f"{API}/{study['id']}/result"),
              ("POST", f"{API}/{study['id']}/derive"), ("POST", f"{API}/{study['id']}/cancel")]
    body = {"ratings": [{"item_version_id": study["items"][0]["item_version_id"], "probability": 0.5}]}
    for method, path in routes:
        assert client.open(path, method=method, json=body, headers=auth_headers(candidate)).status_code == 403
        assert client.open(path, method=method, json=body).status_code == 401
    assert nothing_rated() and db.session.get(StandardSetting, study["id"]).status == "open"


def test_a_cancelled_study_takes_nothing_more(client, admin, panel, auth_headers, open_study):
    study = open_study(items_per_cell=1)
    assert client.post(f"{API}/{study['id']}/cancel", headers=auth_headers(admin)).get_json()["status"] == "cancelled"
    for method, path, who in (("POST", "cancel", admin), ("POST", "rounds", admin), ("POST", "derive", admin),
                              ("PUT", "ratings", panel[0])):
        response = client.open(f"{API}/{study['id']}/{path}", method=method, headers=auth_headers(who), json={
            "ratings": [{"item_version_id": study["items"][0]["item_version_id"], "probability": 0.5}]})
        assert response.status_code == 409 and response.get_json()["code"] == "cancelled", path
    assert nothing_rated() and blueprint_versions() == [(2, True)]
    assert client.get(f"{API}/999999", headers=auth_headers(admin)).status_code == 404
