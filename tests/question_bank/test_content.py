"""The shipped criteria and starter bank: coverage of every blueprint cell, no giveaway patterns, clean text."""

import re
import unicodedata
from collections import Counter

import pytest

from question_bank import criteria
from question_bank.item_types import get_item_type


@pytest.fixture(scope="module")
def framework():
    return criteria.read_framework()


@pytest.fixture(scope="module")
def blueprints(framework):
    return criteria.read_blueprints(framework)


@pytest.fixture(scope="module")
def items():
    """The active items (retired ones keep their entry and code, and are never drawn)."""
    return [item for item in criteria.read_item_files() if item["status"] == "active"]


@pytest.fixture(scope="module")
def area_of(framework):
    return {c["code"]: a["code"] for a in framework["areas"] for c in a["competences"]}


def test_every_blueprint_cell_has_three_times_the_items_it_draws(blueprints, items, area_of):
    short = []
    for bp in blueprints:
        for cell in bp["cells"]:
            available = sum(1 for i in items if bp["audience"] in i["audiences"]
                            and area_of.get(i["competence"]) == cell["area"] and i["level"] == cell["level"])
            if available < 3 * cell["count"]:
                short.append((bp["code"], cell["area"], cell["level"], cell["count"], available))
    assert not short, short


def test_every_competence_has_items(framework, items):
    used = Counter(i["competence"] for i in items)
    missing = [c["code"] for a in framework["areas"] for c in a["competences"] if used[c["code"]] == 0]
    assert not missing


def test_every_item_is_well_formed(items, area_of, framework):
    audiences = {a["code"] for a in framework["audiences"]}
    levels = {lv["code"] for lv in framework["levels"]}
    for item in items:
        where = item["code"]
        assert not get_item_type(item["type"]).validate_definition(item["options"], item["key"]), where
        assert item["competence"] in area_of, where
        assert item["level"] in levels, where
        assert item["audiences"] and set(item["audiences"]) <= audiences, where
        assert item["explanation"].strip(), f"{where}: no explanation"
        assert item["code"].startswith(area_of[item["competence"]] + "-"), where


def test_codes_and_stems_are_unique(items):
    codes = Counter(i["code"] for i in items)
    assert [c for c, n in codes.items() if n > 1] == []
    stems = Counter(re.sub(r"\W+", " ", i["stem"].lower()).strip() for i in items)
    assert [s for s, n in stems.items() if n > 1] == []


def test_all_text_is_nfc(items):
    for item in items:
        for text in [item["stem"], item["explanation"], item.get("source") or "", *item["options"]]:
            assert unicodedata.is_normalized("NFC", text), item["code"]


def test_key_position_is_spread_over_the_options(items):
    single = [i for i in items if i["type"] == "single_choice"]
    positions = Counter(i["key"] for i in single)
    assert max(positions.values()) <= 0.4 * len(single), positions


def test_key_is_rarely_the_longest_option(items):
    single = [i for i in items if i["type"] == "single_choice"]
    longest = sum(1 for i in single if len(i["options"][i["key"]]) == max(len(o) for o in i["options"]))
    assert longest <= 0.4 * len(single), f"{longest} of {len(single)}"


def test_all_of_the_above_is_not_a_pattern(items):
    pattern = re.compile(r"^(tất cả (các )?(đáp án|phương án|ý|câu)|cả [abcd] ?(,|và)|cả ba|cả bốn)",
                         re.IGNORECASE)
    flagged = [i["code"] for i in items for o in i["options"] if pattern.search(o)]
    assert len(flagged) <= 0.03 * len(items), flagged


LEGAL = re.compile(r"\b(Luật [A-ZĐ]|(Nghị định|Quyết định|Thông tư|Nghị quyết) (số )?\d)")


def test_items_that_state_law_cite_their_source(items):
    unsourced = [i["code"] for i in items
                 if LEGAL.search(i["stem"] + " " + " ".join(i["options"])) and not i.get("source")]
    assert unsourced == []


# Instruments no longer in force on the day of the exam: an active item, or the example authors copy from the
# import template, must not state them as the law (retired items keep them, with the reason).
SUPERSEDED = {
    "13/2023/NĐ-CP": "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 (hiệu lực 01/01/2026)",
}


def test_no_active_item_nor_the_template_cites_a_superseded_instrument(items):
    from question_bank.formats.template import EXAMPLE_ITEM

    texts = [(i["code"], " ".join([i["stem"], *i["options"], i.get("explanation") or "", i.get("source") or ""]))
             for i in [*items, dict(EXAMPLE_ITEM, code="mẫu nhập")]]
    cited = [(code, old) for code, text in texts for old in SUPERSEDED if old in text]
    assert cited == []


def test_mapping_document_lists_every_competence_as_the_framework_does(framework):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "criteria-mapping.md").read_text(encoding="utf-8")
    for area in framework["areas"]:
        for c in area["competences"]:
            qd757 = "chưa đối chiếu" if c["qd757"] is None else (", ".join(c["qd757"]) or "—")
            row = (f"| {c['code']} | {c['name']} | {', '.join(c['plan'])} | {', '.join(c['digcomp']) or '—'} "
                   f"| {', '.join(c['iu']) or '—'} | {qd757} | {', '.join(c['tt02']) or '—'} |")
            assert row in doc, c["code"]


def _pools(items, framework):
    """The whole bank, and each audience's pool (what its blueprints draw from)."""
    yield "bank", items
    for audience in framework["audiences"]:
        yield audience["code"], [i for i in items if audience["code"] in i["audiences"]]


def test_absolute_words_do_not_mark_the_wrong_options(items, framework):
    from question_bank import cues

    for name, pool in _pools(items, framework):
        figures = cues.report(pool)
        assert figures["absolute_cued_share"] <= 0.05, (name, figures["absolute_cued"])


def test_the_key_is_not_given_away_by_its_length(items, framework):
    from question_bank import cues

    for name, pool in _pools(items, framework):
        ranks = cues.report(pool)["key_length_ranks"]
        total = sum(ranks.values())
        assert ranks[1] <= 0.30 * total, (name, ranks)
        assert max(ranks.values()) <= 0.35 * total, (name, ranks)


def test_multiple_response_items_vary_their_number_of_keys(items, framework):
    from question_bank import cues

    for name, pool in _pools(items, framework):
        counts = cues.report(pool)["mr_key_counts"]
        assert len(counts) >= 3 and max(counts.values()) <= 0.5 * sum(counts.values()), (name, counts)


def test_true_false_statements_are_keyed_true_about_as_often_as_false(items, framework):
    for name, pool in _pools(items, framework):
        keys = Counter(i["key"] for i in pool if i["type"] == "true_false")
        assert 0.35 <= keys[True] / sum(keys.values()) <= 0.65, (name, keys)


def test_enemy_groups_hold_at_least_two_items_or_name_a_fact_kept_once(items):
    groups = Counter(i["enemy_group"] for i in items if i["enemy_group"])
    assert groups and all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in groups), groups
