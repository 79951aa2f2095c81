import statistics
from collections import Counter
from types import SimpleNamespace

import pytest

from question_bank.assembly import BankShortage, Drawn, PoolItem, Shortage, check_coverage, draw_form


def make_pool(*item_ids):
    """Active versions of the given items; version id = 100 × item id."""
    return [PoolItem(item_id, 100 * item_id) for item_id in item_ids]


CELLS = [("GT", "co_ban", 2), ("AT", "co_ban", 3), ("GT", "trung_cap", 1)]
POOLS = {
    ("GT", "co_ban"): make_pool(*range(1, 11)),
    ("AT", "co_ban"): make_pool(*range(11, 21)),
    ("GT", "trung_cap"): make_pool(*range(21, 31)),
}


def draw(cells=CELLS, pools=POOLS, *, seed=1, seen=frozenset(), exposure=None):
    return draw_form(cells, pools, seed=seed, candidate_seen=set(seen), exposure=exposure or {})


def ids(form):
    return [d.item_id for d in form]


def test_each_cell_draws_its_count_in_blueprint_order():
    form = draw()
    assert [(d.area, d.level) for d in form] == [("GT", "co_ban")] * 2 + [("AT", "co_ban")] * 3 + [
        ("GT", "trung_cap")]
    for d in form:
        assert d.item_id in {c.item_id for c in POOLS[(d.area, d.level)]}
        assert d.version_id == 100 * d.item_id
    assert isinstance(form[0], Drawn)


def test_no_item_twice_in_a_form():
    assert len(set(ids(draw()))) == 6


def test_an_item_in_two_pools_is_drawn_once():
    pools = {("A", "x"): make_pool(1, 2, 3), ("B", "x"): make_pool(3, 4, 5)}
    for seed in range(50):
        form = draw([("A", "x", 3), ("B", "x", 2)], pools, seed=seed)
        assert sorted(ids(form)) == [1, 2, 3, 4, 5]


def test_an_item_listed_twice_in_one_pool_is_drawn_once():
    pools = {("A", "x"): make_pool(1, 1, 1, 2)}
    assert sorted(ids(draw([("A", "x", 2)], pools))) == [1, 2]


def test_a_pool_short_of_distinct_items_is_reported():
    pools = {("A", "x"): make_pool(1, 2), ("B", "x"): make_pool(2, 3)}
    with pytest.raises(BankShortage) as error:
        draw([("A", "x", 2), ("B", "x", 2)], pools)
    assert error.value.missing == [Shortage("B", "x", 2, 1)]


def test_prefers_items_the_candidate_has_not_seen():
    pools = {("A", "x"): make_pool(1, 2, 3, 4, 5)}
    for seed in range(30):
        assert sorted(ids(draw([("A", "x", 2)], pools, seed=seed, seen={1, 2, 3}))) == [4, 5]


def test_unseen_beats_low_exposure():
    pools = {("A", "x"): make_pool(1, 2, 3)}
    exposure = {1: 0, 2: 50, 3: 90}
    assert sorted(ids(draw([("A", "x", 2)], pools, seen={1}, exposure=exposure))) == [2, 3]


def test_seen_items_fill_up_by_least_exposure_when_unseen_run_out():
    pools = {("A", "x"): make_pool(1, 2, 3, 4, 5)}
    exposure = {1: 7, 2: 3, 3: 9, 4: 100, 5: 100}
    for seed in range(30):
        form = draw([("A", "x", 4)], pools, seed=seed, seen={1, 2, 3}, exposure=exposure)
        assert sorted(ids(form)) == [1, 2, 4, 5]


def test_prefers_least_exposed_items():
    pools = {("A", "x"): make_pool(1, 2, 3, 4, 5, 6)}
    exposure = {1: 5, 2: 0, 3: 1, 5: 3, 6: 1}  # 4 is absent: never drawn, exposure 0
    for seed in range(30):
        assert sorted(ids(draw([("A", "x", 2)], pools, seed=seed, exposure=exposure))) == [2, 4]


def test_ties_at_the_boundary_are_broken_at_random():
    pools = {("A", "x"): make_pool(1, 2, 3, 4, 5, 6)}
    exposure = {1: 0, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2}
    picks = Counter()
    for seed in range(200):
        form = ids(draw([("A", "x", 2)], pools, seed=seed, exposure=exposure))
        assert 1 in form and 6 not in form
        picks.update(set(form) - {1})
    assert set(picks) == {2, 3, 4, 5}
    assert min(picks.values()) > 20  # ~50 each


def test_same_seed_same_form():
    starts = (0, 1000, 2000)
    big = {cell: make_pool(*range(start, start + 200)) for cell, start in zip(POOLS, starts, strict=True)}
    exposure = {i: i % 3 for i in range(3000)}
    assert draw(pools=big, seed=42, exposure=exposure) == draw(pools=big, seed=42, exposure=exposure)
    assert draw(pools=big, seed="attempt-7") == draw(pools=big, seed="attempt-7")


def test_different_seeds_usually_give_different_forms():
    forms = {tuple(ids(draw(seed=seed))) for seed in range(30)}
    assert len(forms) >= 25


def test_items_are_shuffled_within_a_cell():
    pools = {("A", "x"): make_pool(1, 2, 3)}
    orders = {tuple(ids(draw([("A", "x", 3)], pools, seed=seed))) for seed in range(40)}
    assert len(orders) == 6  # every order of the three occurs


def test_pools_may_hold_any_object_with_item_and_version_ids():
    pools = {("A", "x"): [SimpleNamespace(item_id="q-1", version_id="v-9")]}
    assert draw([("A", "x", 1)], pools) == [Drawn("A", "x", "q-1", "v-9")]


def test_a_cell_with_count_zero_draws_nothing():
    assert draw([("A", "x", 0)], {}) == []


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        draw([("A", "x", -1)], {("A", "x"): make_pool(1)})


def test_bank_shortage_lists_every_short_cell():
    pools = {("GT", "co_ban"): make_pool(1), ("AT", "co_ban"): make_pool(*range(11, 21))}
    with pytest.raises(BankShortage) as error:
        draw(pools=pools)
    assert error.value.missing == [("GT", "co_ban", 2, 1), ("GT", "trung_cap", 1, 0)]
    message = str(error.value)
    assert message.startswith("Ngân hàng câu hỏi không đủ câu để tạo đề")
    assert "lĩnh vực GT, mức độ co_ban: cần 2 câu, chỉ có 1" in message
    assert "lĩnh vực GT, mức độ trung_cap: cần 1 câu, chỉ có 0" in message


def test_check_coverage():
    sizes = {("GT", "co_ban"): 2, ("AT", "co_ban"): 1}
    assert check_coverage(CELLS, sizes) == [("AT", "co_ban", 3, 1), ("GT", "trung_cap", 1, 0)]
    assert check_coverage(CELLS, {("GT", "co_ban"): 2, ("AT", "co_ban"): 3, ("GT", "trung_cap"): 9}) == []


def test_check_coverage_adds_up_a_cell_listed_twice():
    assert check_coverage([("A", "x", 2), ("A", "x", 2)], {("A", "x"): 3}) == [("A", "x", 4, 3)]


# -- competences, enemies and difficulty -------------------------------------------------------

def rich_pool(start, size, competences=3, difficulty=None, group=None):
    """Items start.. with competences C1..Cn in turn and the given difficulty and enemy group rules."""
    return [PoolItem(i, 100 * i, f"C{(i - start) % competences + 1}", group(i) if group else None,
                     difficulty(i) if difficulty else None) for i in range(start, start + size)]


def test_items_of_one_enemy_group_never_share_a_form():
    # A: groups of three, {0, 1, 2} is group 0, ...; B: items 12–17 in group 0 too, 18–23 alone.
    pools = {("A", "x"): rich_pool(0, 12, group=lambda i: i // 3),
             ("B", "x"): rich_pool(12, 12, group=lambda i: 0 if i < 18 else f"b{i}")}
    crossed = 0
    for seed in range(200):
        form = draw([("A", "x", 4), ("B", "x", 2)], pools, seed=seed)
        groups = [d.item_id // 3 if d.item_id < 12 else (0 if d.item_id < 18 else d.item_id) for d in form]
        assert len(set(groups)) == 6, form
        crossed += any(d.item_id < 3 for d in form)
    assert crossed  # group 0 did reach forms, from A or from B, never from both


def test_enemies_can_leave_a_cell_short():
    pools = {("A", "x"): rich_pool(0, 4, group=lambda i: "same")}
    with pytest.raises(BankShortage) as error:
        draw([("A", "x", 2)], pools)
    assert error.value.missing == [Shortage("A", "x", 2, 1)]


def test_draws_are_spread_over_the_competences():
    pools = {("A", "x"): rich_pool(0, 30, competences=3)}
    for seed in range(50):
        form = draw([("A", "x", 6)], pools, seed=seed)
        assert Counter(f"C{d.item_id % 3 + 1}" for d in form) == {"C1": 2, "C2": 2, "C3": 2}
    for seed in range(50):  # 7 over 3 competences: 3, 2, 2 in some order
        form = draw([("A", "x", 7)], pools, seed=seed)
        assert sorted(Counter(d.item_id % 3 for d in form).values()) == [2, 2, 3]


def test_competences_are_spread_before_exposure_is_considered():
    """Content balance is part of what a form measures: the least exposed items all being of one
    competence does not give that competence the whole cell."""
    pools = {("A", "x"): rich_pool(0, 12, competences=2)}  # C1: even ids, C2: odd ids
    exposure = {i: 0 if i % 2 == 0 else 10 for i in range(12)}
    for seed in range(30):
        form = draw([("A", "x", 4)], pools, seed=seed, exposure=exposure)
        assert Counter(d.item_id % 2 for d in form) == {0: 2, 1: 2}
        # within each competence, the least exposed still come first
        assert all(exposure[d.item_id] == min(exposure[i] for i in range(d.item_id % 2, 12, 2)) for d in form)


def test_items_not_seen_come_before_the_spread_over_competences():
    """A retake must not reward memory: an unseen item of a competence already drawn beats a seen one."""
    pools = {("A", "x"): rich_pool(0, 12, competences=2)}  # C1: even ids, C2: odd ids
    seen = {0, 2, 4, 6, 8, 10}  # every C1 item
    for seed in range(30):
        form = draw([("A", "x", 4)], pools, seed=seed, seen=seen)
        assert all(d.item_id % 2 == 1 for d in form)
    # once the unseen ones run out, the seen ones fill the cell
    assert len(draw([("A", "x", 8)], pools, seed=1, seen=seen)) == 8


def form_mean(form, difficulty):
    return sum(difficulty(d.item_id) for d in form) / len(form)


def test_difficulty_is_balanced_to_the_pools_mean():
    rng_values = __import__("random").Random(5)
    difficulty = {i: rng_values.uniform(0.3, 0.98) for i in range(300)}
    balanced = {("A", "x"): rich_pool(0, 300, competences=1, difficulty=difficulty.get)}
    plain = {("A", "x"): make_pool(*range(300))}
    target = sum(difficulty.values()) / 300
    spread = {}
    for name, pools in (("balanced", balanced), ("plain", plain)):
        means = [form_mean(draw([("A", "x", 10)], pools, seed=seed), difficulty.get) for seed in range(200)]
        spread[name] = max(abs(m - target) for m in means)
    assert spread["balanced"] < 0.02 < 0.08 < spread["plain"]


def test_what_one_cell_cannot_balance_the_next_cells_make_up():
    """The form's expected score at the cut is a sum over all its items. Cell A draws one item of two
    (0.2 or 0.9, target 0.55): it is always 0.35 off. Cell B, drawn after it, makes that up."""
    difficulty = {0: 0.2, 1: 0.9, **{i: 0.05 + 0.9 * (i - 2) / 99 for i in range(2, 102)}}
    pools = {("A", "x"): rich_pool(0, 2, competences=1, difficulty=difficulty.get),
             ("B", "x"): rich_pool(2, 100, competences=1, difficulty=difficulty.get)}
    targets = 0.55 + 4 * sum(difficulty[i] for i in range(2, 102)) / 100
    off = []
    for seed in range(200):
        form = draw([("A", "x", 1), ("B", "x", 4)], pools, seed=seed)
        off.append(abs(sum(difficulty[d.item_id] for d in form) - targets))
    # Without carrying over, B keeps to its own mean and nearly every form is about 0.35 off.
    assert statistics.median(off) < 0.05 and statistics.mean(off) < 0.08


def test_balancing_keeps_exposure_and_unseen_first():
    difficulty = {1: 0.9, 2: 0.3, 3: 0.5, 4: 0.95, 5: 0.4, 6: 0.6}
    pools = {("A", "x"): rich_pool(1, 6, competences=1, difficulty=difficulty.get)}
    exposure = {1: 5, 2: 0, 3: 1, 5: 3, 6: 1}  # 4 is absent: never drawn, exposure 0
    for seed in range(30):
        assert sorted(ids(draw([("A", "x", 2)], pools, seed=seed, exposure=exposure))) == [2, 4]
        assert sorted(ids(draw([("A", "x", 2)], pools, seed=seed, seen={2, 4, 3}, exposure=exposure))) == [5, 6]


def test_a_balanced_draw_replays_from_its_seed():
    difficulty = {i: (i * 37 % 100) / 100 for i in range(600)}
    pools = {cell: rich_pool(start, 200, difficulty=difficulty.get, group=lambda i: i // 7)
             for cell, start in zip(POOLS, (0, 200, 400), strict=True)}
    exposure = {i: i % 3 for i in range(600)}
    first = draw(pools=pools, seed=99, seen={5, 6, 7}, exposure=exposure)
    assert first == draw(pools=pools, seed=99, seen={5, 6, 7}, exposure=exposure)
    assert len({d.item_id for d in first}) == 6


def test_entries_without_the_new_fields_draw_as_before():
    plain = {cell: [SimpleNamespace(item_id=c.item_id, version_id=c.version_id) for c in pool]
             for cell, pool in POOLS.items()}
    with_nones = {cell: [PoolItem(c.item_id, c.version_id, None, None, None) for c in pool]
                  for cell, pool in POOLS.items()}
    for seed in range(20):
        assert draw(pools=plain, seed=seed) == draw(pools=with_nones, seed=seed) == draw(seed=seed)


def test_entries_with_and_without_a_difficulty_mix():
    pool = [PoolItem(i, i, None, None, 0.5 if i % 2 else None) for i in range(40)]
    pool.insert(0, SimpleNamespace(item_id=99, version_id=99))
    for seed in range(20):
        assert len(set(ids(draw([("A", "x", 8)], {("A", "x"): pool}, seed=seed)))) == 8


def test_a_pool_split_by_competence_draws_as_the_same_pool_in_one_list():
    difficulty = {i: (i * 37 % 100) / 100 for i in range(90)}
    flat = sorted(rich_pool(0, 90, competences=3, difficulty=difficulty.get, group=lambda i: i // 5),
                  key=lambda c: c.competence)
    split = {competence: [c for c in flat if c.competence == competence] for competence in ("C1", "C2", "C3")}
    exposure = {i: i % 4 for i in range(90)}
    for seed in range(20):
        one = draw([("A", "x", 7)], {("A", "x"): flat}, seed=seed, seen={3, 4}, exposure=exposure)
        two = draw([("A", "x", 7)], {("A", "x"): split}, seed=seed, seen={3, 4}, exposure=exposure)
        assert one == two and len(one) == 7
