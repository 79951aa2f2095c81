from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from question_bank.scoring import (
    Band,
    ScoredResponse,
    ScoringRule,
    missed_competences,
    round2,
    score,
    validate_blueprint,
)

BLUEPRINTS = Path(__file__).parents[2] / "question_bank" / "content" / "blueprints.yaml"

BANDS = [("gioi", "Giỏi", 85), ("kha", "Khá", 70), ("dat", "Đạt", 60), ("chua_dat", "Chưa đạt", 0)]


def make_rule(**overrides):
    settings = dict(pass_percent=60, area_min_percent=40, bands=BANDS)
    settings.update(overrides)
    return ScoringRule(**settings)


def right(area="GT", points=None):
    return ScoredResponse(area, "single_choice", "a", "a", points)


def wrong(area="GT", points=None):
    return ScoredResponse(area, "single_choice", "a", "b", points)


# -- the rule from a blueprint ----------------------------------------------------------------

def test_rule_from_each_shipped_blueprint():
    blueprints = {bp["code"]: bp for bp in yaml.safe_load(BLUEPRINTS.read_text("utf-8"))["blueprints"]}
    rules = {code: ScoringRule.from_blueprint(bp) for code, bp in blueprints.items()}
    ccvc = rules["BP-CCVC"]
    assert ccvc.pass_percent == 60 and ccvc.area_min_percent == 25 and ccvc.area_min_items == 7
    assert ccvc.partial_types == {"multiple_response"}
    assert ccvc.points_per_item == 1
    assert ccvc.bands[0] == Band("gioi", "Giỏi", Fraction(85))
    assert ccvc.failing_band == ("chua_dat", "Chưa đạt", 0)
    assert rules["BP-LDQL"].partial_types == frozenset()
    assert rules["BP-CTCDS"].pass_percent == 70


def test_rule_reads_fractional_thresholds_exactly():
    rule = make_rule(pass_percent=62.5, bands=[("dat", "Đạt", "62.5"), ("chua_dat", "Chưa đạt", 0)])
    assert rule.pass_percent == Fraction(125, 2)
    assert rule.bands[0].min_percent == Fraction(125, 2)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"bands": [("dat", "Đạt", 60), ("kha", "Khá", 70), ("chua_dat", "Chưa đạt", 0)]}, "giảm dần"),
    ({"bands": [("dat", "Đạt", 60), ("chua_dat", "Chưa đạt", 10)]}, "ngưỡng 0"),
    ({"bands": [("chua_dat", "Chưa đạt", 0)]}, "hai mức"),
    ({"bands": [("dat", "Đạt", 70), ("chua_dat", "Chưa đạt", 0)]}, "người đạt có thể bị xếp loại chưa đạt"),
    ({"pass_percent": 120}, "0–100"),
    ({"area_min_percent": -1}, "0–100"),
    ({"pass_percent": True}, "không phải true/false"),
    ({"pass_percent": "sáu mươi"}, "phải là một số"),
    ({"points_per_item": 0}, "lớn hơn 0"),
])
def test_inconsistent_rules_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_rule(**overrides)


def test_from_blueprint_refuses_unknown_scoring_mode_and_missing_fields():
    blueprint = {"pass_percent": 60, "area_min_percent": 40, "multiple_response_scoring": "half",
                 "bands": [{"code": "dat", "name": "Đạt", "min_percent": 60},
                           {"code": "chua_dat", "name": "Chưa đạt", "min_percent": 0}]}
    with pytest.raises(ValueError, match="partial"):
        ScoringRule.from_blueprint(blueprint)
    del blueprint["multiple_response_scoring"], blueprint["pass_percent"]
    with pytest.raises(ValueError, match="thiếu trường 'pass_percent'"):
        ScoringRule.from_blueprint(blueprint)


# -- the result -------------------------------------------------------------------------------

def test_two_of_three_is_66_67_percent():
    result = score(make_rule(), [right(), right(), wrong()], ["GT"])
    assert result.percent == Decimal("66.67")
    assert result.score_10 == Decimal("6.67")
    assert result.points == 2 and result.max_points == 3
    assert result.to_dict()["percent"] == 66.67


def test_rounding_is_half_up_from_the_exact_value():
    # 1 point of 32 = 3.125 % exactly: half up gives 3.13 (half-even would give 3.12).
    result = score(make_rule(), [right(points=1), wrong(points=31)], ["GT"])
    assert result.percent == Decimal("3.13")
    assert result.score_10 == Decimal("0.31")  # 0.3125, from the exact value, not from 3.13
    assert round2(Fraction(2, 3) * 100) == Decimal("66.67")
    assert round2(Fraction(100)) == Decimal("100.00")


@pytest.mark.parametrize(("correct", "percent", "passed", "band"), [
    (20, "100.00", True, "gioi"),
    (17, "85.00", True, "gioi"),
    (16, "80.00", True, "kha"),
    (14, "70.00", True, "kha"),
    (13, "65.00", True, "dat"),
    (12, "60.00", True, "dat"),  # exactly the threshold passes
    (11, "55.00", False, "chua_dat"),
    (0, "0.00", False, "chua_dat"),
])
def test_overall_threshold_and_bands(correct, percent, passed, band):
    responses = [right("GT" if i % 2 else "AT") if i < correct else wrong("GT" if i % 2 else "AT")
                 for i in range(20)]
    rule = make_rule(area_min_percent=0)
    result = score(rule, responses, ["GT", "AT"])
    assert (result.percent, result.passed, result.classification.code) == (Decimal(percent), passed, band)


def test_ninety_percent_overall_failing_one_area_does_not_pass():
    # 9 areas with 2 right each and one area with 0 of 2: 18/20 = 90 %.
    areas = [f"A{i}" for i in range(10)]
    responses = [right(a) for a in areas[:9] for _ in range(2)] + [wrong("A9"), wrong("A9")]
    result = score(make_rule(), responses, areas)
    assert result.percent == Decimal("90.00")
    assert result.passed is False
    assert result.classification == ("chua_dat", "Chưa đạt", 0)
    assert [a.code for a in result.areas if not a.passed] == ["A9"]
    assert result.to_dict()["classification"] == "chua_dat"


def test_an_area_exactly_at_its_minimum_passes():
    # GT: 2 of 5 = 40 %, AT: 5 of 5; overall 7/10 = 70 %.
    responses = [right("GT")] * 2 + [wrong("GT")] * 3 + [right("AT")] * 5
    result = score(make_rule(), responses, ["GT", "AT"])
    assert [(a.code, a.percent, a.passed) for a in result.areas] == [
        ("GT", Decimal("40.00"), True), ("AT", Decimal("100.00"), True)]
    assert result.passed and result.classification.code == "kha"


# -- the area rule: a floor only where the form has enough items of the area ---------------------

def test_area_minimum_applies_only_to_areas_with_enough_items():
    # GT: 8 items, 2 right (25 %); AT: 3 items, 0 right; ND: 9 of 9. Overall 11/20 = 55 %.
    responses = [right("GT")] * 2 + [wrong("GT")] * 6 + [wrong("AT")] * 3 + [right("ND")] * 9
    rule = make_rule(pass_percent=55, area_min_percent=30, area_min_items=8,
                     bands=[("dat", "Đạt", 55), ("chua_dat", "Chưa đạt", 0)])
    result = score(rule, responses, ["GT", "AT", "ND"])
    by_code = {a.code: a for a in result.areas}
    assert (by_code["GT"].items, by_code["GT"].minimum_applies, by_code["GT"].passed) == (8, True, False)
    assert (by_code["AT"].items, by_code["AT"].minimum_applies, by_code["AT"].passed) == (3, False, True)
    assert result.passed is False  # GT has 8 items: 25 % is under its 30 % floor
    responses[2] = right("GT")  # GT 3 of 8 = 37.5 %; AT still 0 of 3 but not checked
    result = score(rule, responses, ["GT", "AT", "ND"])
    assert result.passed is True and result.percent == Decimal("60.00")
    assert result.to_dict()["areas"][1] == {"code": "AT", "percent": 0.0, "passed": True, "minimum_applies": False,
                                           "points": 0.0, "max_points": 3.0}


def test_without_area_min_items_every_area_is_checked():
    blueprint = {"pass_percent": 50, "area_min_percent": 40, "bands": [
        {"code": "dat", "name": "Đạt", "min_percent": 50}, {"code": "chua_dat", "name": "Chưa đạt", "min_percent": 0}]}
    rule = ScoringRule.from_blueprint(blueprint)
    assert rule.area_min_items == 1
    result = score(rule, [right("GT")] * 9 + [wrong("AT")], ["GT", "AT"])
    assert result.percent == Decimal("90.00") and result.passed is False
    assert ScoringRule.from_blueprint({**blueprint, "area_min_items": 2}).area_min_items == 2
    assert score(ScoringRule.from_blueprint({**blueprint, "area_min_items": 2}),
                 [right("GT")] * 9 + [wrong("AT")], ["GT", "AT"]).passed is True


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "8"])
def test_area_min_items_must_be_a_whole_number_from_one(value):
    with pytest.raises(ValueError, match="area_min_items"):
        make_rule(area_min_items=value)


def test_the_rule_applies_to_the_percent_as_shown():
    # 14999 of 25000 points = 59.996 %, shown as 60.00: it meets a 60 % threshold.
    result = score(make_rule(), [right(points=14999), wrong(points=10001)], ["GT"])
    assert result.percent == Decimal("60.00")
    assert result.passed is True


def test_areas_follow_blueprint_order_and_skip_areas_without_items():
    result = score(make_rule(), [right("GT"), right("AT")], ["CL", "AT", "ND", "GT"])
    assert [a.code for a in result.areas] == ["AT", "GT"]


def test_points_weigh_items():
    result = score(make_rule(points_per_item=2), [right(), wrong(points=6)], ["GT"])
    assert (result.points, result.max_points, result.percent) == (2, 8, Decimal("25.00"))


def test_multiple_response_follows_the_blueprint_setting():
    responses = [ScoredResponse("GT", "multiple_response", ["a", "b"], ["a"], option_count=4), right()]
    assert score(make_rule(partial_types={"multiple_response"}), responses, ["GT"]).percent == Decimal("75.00")
    assert score(make_rule(), responses, ["GT"]).percent == Decimal("50.00")


def test_ticking_every_option_earns_nothing():
    # Keyed 3 of 4: ticking all four earned 2/3 under the old rule; now +3/3 - 1/1 = 0.
    everything = ScoredResponse("GT", "multiple_response", ["a", "b", "c"], ["a", "b", "c", "d"], option_count=4)
    result = score(make_rule(partial_types={"multiple_response"}), [everything, right()], ["GT"])
    assert result.item_credits == (0, 1) and result.percent == Decimal("50.00")


def test_partial_multiple_response_without_the_option_count_is_refused():
    response = ScoredResponse("GT", "multiple_response", ["a", "b"], ["a"])
    with pytest.raises(ValueError, match="option count"):
        score(make_rule(partial_types={"multiple_response"}), [response], ["GT"])


def test_ordering_is_all_or_nothing_unless_the_blueprint_says_otherwise():
    responses = [ScoredResponse("GT", "ordering", ["a", "b", "c"], ["b", "a", "c"])]
    assert score(make_rule(partial_types={"multiple_response"}), responses, ["GT"]).percent == 0
    assert score(make_rule(partial_types={"ordering"}), responses, ["GT"]).percent == Decimal("50.00")


def test_unanswered_and_every_type():
    responses = [
        ScoredResponse("GT", "true_false", False, False),
        ScoredResponse("GT", "true_false", True, None),
        ScoredResponse("AT", "ordering", ["x", "y"], ["x", "y"]),
        ScoredResponse("AT", "single_choice", "a", None),
    ]
    result = score(make_rule(), responses, ["GT", "AT"])
    assert result.item_credits == (1, 0, 1, 0)
    assert result.percent == Decimal("50.00")


def test_to_dict_shape():
    result = score(make_rule(), [right("GT"), right("GT"), wrong("AT"), right("AT")], ["GT", "AT"])
    assert result.to_dict() == {
        "percent": 75.0,
        "score_10": 7.5,
        "passed": True,
        "classification": "kha",
        "classification_name": "Khá",
        "points": 3.0,
        "max_points": 4.0,
        "areas": [
            {"code": "GT", "percent": 100.0, "passed": True, "minimum_applies": True, "points": 2.0,
             "max_points": 2.0},
            {"code": "AT", "percent": 50.0, "passed": True, "minimum_applies": True, "points": 1.0,
             "max_points": 2.0},
        ],
    }


def test_scoring_refuses_nonsense():
    with pytest.raises(ValueError):
        score(make_rule(), [], ["GT"])
    with pytest.raises(ValueError, match="XX"):
        score(make_rule(), [right("XX")], ["GT"])


# -- what to study ----------------------------------------------------------------------------

def test_missed_competences():
    credits = [
        ("AT.1", Fraction(1)), ("AT.1", Fraction(0)),  # 50 %: not missed
        ("GT.2", Fraction(0)),
        ("DL.1", Fraction(1, 3)), ("DL.1", 0.5),  # mean 5/12
        ("CL.3", 1.0),
    ]
    assert missed_competences(credits) == ["DL.1", "GT.2"]
    assert missed_competences([]) == []
    assert missed_competences(credits, threshold=Fraction(2, 3)) == ["AT.1", "DL.1", "GT.2"]


# -- a whole blueprint, checked at load ------------------------------------------------------

def shipped_blueprints():
    from question_bank import criteria

    framework = criteria.read_framework()
    return framework, criteria.read_blueprints(framework)


def framework_codes(framework):
    return {"audiences": [a["code"] for a in framework["audiences"]],
            "areas": [a["code"] for a in framework["areas"]],
            "levels": [lv["code"] for lv in framework["levels"]]}


def test_every_shipped_blueprint_is_valid():
    framework, blueprints = shipped_blueprints()
    for blueprint in blueprints:
        rule = validate_blueprint(blueprint, **framework_codes(framework))
        assert rule == ScoringRule.from_blueprint(blueprint)


def good_blueprint(**overrides):
    blueprint = {
        "code": "BP-THU", "version": 2, "name": "Đề thử", "audience": "cong_chuc", "duration_minutes": 60,
        "validity_months": 36, "points_per_item": 1, "multiple_response_scoring": "partial",
        "pass_percent": 60, "area_min_percent": 30, "area_min_items": 6,
        "bands": [{"code": "dat", "name": "Đạt", "min_percent": 60},
                  {"code": "chua_dat", "name": "Chưa đạt", "min_percent": 0}],
        "cells": [{"area": "GT", "level": "co_ban", "count": 5}, {"area": "GT", "level": "trung_cap", "count": 3},
                  {"area": "AT", "level": "co_ban", "count": 4}],
        "areas": ["GT", "AT"],
    }
    blueprint.update(overrides)
    return {key: value for key, value in blueprint.items() if value is not None}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"area_min_item": 6}, "không được hỗ trợ: area_min_item"),
    ({"code": ""}, "thiếu trường code"),
    ({"audience": "sinh_vien"}, "đối tượng “sinh_vien”"),
    ({"version": 0}, "Phiên bản"),
    ({"duration_minutes": "60"}, "Thời gian làm bài"),
    ({"validity_months": 0}, "validity_months"),
    ({"cells": []}, "ít nhất một ô"),
    ({"cells": [{"area": "GT", "level": "co_ban"}]}, "ô thứ 1 phải có đúng ba trường"),
    ({"cells": [{"area": "XX", "level": "co_ban", "count": 1}], "areas": None}, "lĩnh vực “XX”"),
    ({"cells": [{"area": "GT", "level": "cao_cap", "count": 1}], "areas": None}, "mức độ “cao_cap”"),
    ({"cells": [{"area": "GT", "level": "co_ban", "count": 0}], "areas": None}, "số câu phải là số nguyên"),
    ({"cells": [{"area": "GT", "level": "co_ban", "count": 2}, {"area": "GT", "level": "co_ban", "count": 1}],
      "areas": None}, "xuất hiện hai lần"),
    ({"areas": ["GT"]}, "không khớp"),
    ({"bands": [{"code": "dat", "min_percent": 60}]}, "code, name và min_percent"),
    ({"bands": [{"code": "dat", "name": "Đạt", "min_percent": 60}, {"code": "dat", "name": "Chưa", "min_percent": 0}]},
     "khác nhau"),
    ({"bands": [{"code": "dat", "name": "Đạt", "min_percent": 70},
                {"code": "chua_dat", "name": "Chưa đạt", "min_percent": 0}]}, "người đạt có thể bị xếp loại chưa đạt"),
    ({"pass_percent": None}, "thiếu trường 'pass_percent'"),
    ({"ordering_scoring": "half"}, "ordering_scoring"),
    ({"area_min_items": 0}, "area_min_items"),
    ({"area_min_items": 9}, "không lĩnh vực nào có từ 9 câu"),
])
def test_a_bad_blueprint_is_refused_with_a_message_naming_it(overrides, message):
    framework, _ = shipped_blueprints()
    with pytest.raises(ValueError, match=message) as error:
        validate_blueprint(good_blueprint(**overrides), **framework_codes(framework))
    named = "(không có mã)" if overrides.get("code") == "" else "BP-THU"
    assert str(error.value).startswith(f"Cấu trúc đề {named}: ")


def test_an_area_floor_that_never_applies_is_accepted_when_it_is_zero():
    rule = validate_blueprint(good_blueprint(area_min_items=9, area_min_percent=0))
    assert rule.area_min_items == 9 and not rule.area_minimum_applies(8)
    assert validate_blueprint(good_blueprint(areas=None)).pass_percent == 60  # without the derived areas list


def test_reading_the_blueprints_file_validates_every_entry(tmp_path):
    from question_bank import criteria

    framework = criteria.read_framework()
    text = (criteria.CONTENT_DIR / "blueprints.yaml").read_text("utf-8")
    (tmp_path / "blueprints.yaml").write_text(text.replace("pass_percent: 65", "pass_percent: 60", 1), "utf-8")
    with pytest.raises(criteria.CriteriaError, match="blueprints.yaml: Cấu trúc đề BP-LDQL: Mức xếp loại “Đạt”"):
        criteria.read_blueprints(framework, tmp_path)


def test_only_a_type_that_can_earn_partial_credit_is_set_to():
    assert make_rule(partial_types=["ordering"]).partial_for("ordering")
    assert not make_rule(partial_types=["ordering"]).partial_for("multiple_response")
    with pytest.raises(ValueError, match="single_choice"):
        make_rule(partial_types={"single_choice"})
    with pytest.raises(ValueError):
        make_rule(partial_types={"essay"})  # no such type
    with pytest.raises(ValueError, match="ordering_scoring"):
        ScoringRule.from_blueprint({"pass_percent": 60, "area_min_percent": 40, "ordering_scoring": "mostly",
                                    "bands": [{"code": c, "name": n, "min_percent": m} for c, n, m in BANDS]})
