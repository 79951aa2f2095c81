"""Drawing an exam form to a blueprint (SPEC section 4, "Assembly").

A blueprint is a list of cells ``(area, level, count)``. For each cell the caller supplies the
pool of active item versions tagged with that area and level; ``draw_form`` picks ``count`` of
them for one attempt. The rule, in order of precedence:

1. never the same ``item_id`` twice in one form (even if the data puts an item in two pools),
   and never two items of one ``enemy_group`` (items testing the same fact);
2. items the candidate has not seen before come first (a retake must not reward memory);
3. when pool entries carry competences, the cell's draws are spread over them: each pick goes to
   a competence drawn least so far in the cell (content balance is part of what the blueprint
   measures, so it comes before exposure);
4. then the items drawn least often overall (exposure control);
5. among the items these rules leave equal, when entries carry a ``difficulty``, the form's sum of
   difficulties is kept at the sum of its cells' pool means, so that two forms are equally hard
   for a borderline candidate: within a cell items go in pairs, one at random and one that brings
   the sum back to the target, and what a cell cannot make up (a small pool, a pick forced by
   exposure) is carried over to the next cells (see ``_Cell``);
6. remaining ties are broken at random with ``random.Random(seed)``, so the same inputs (pools
   in the same order) always give the same form and the draw can be replayed from its seed.

A pool entry without ``competence``, ``enemy_group`` or ``difficulty`` (or with None) is drawn
as before those rules existed: a pool of such entries gives, seed for seed, the same forms.

Speed: a pool is read in a few C-level passes (ids, exposures, ``min``, the difficulties'
sum) and never sorted; the least-exposed bucket is sampled from, a further bucket only when the
first is too small. The figures are in ``draw_form``'s docstring.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby, repeat
from operator import attrgetter
from typing import Any, NamedTuple, Protocol


class Candidate(Protocol):
    """What a pool holds: any object with these attributes (a row, a named tuple, ...)."""

    item_id: Hashable
    version_id: Hashable


class PoolItem(NamedTuple):
    """A ready-made ``Candidate``: the item's stable id and the id of its active version, and
    optionally what balances a form: the item's competence code, its enemy group (items of one
    group never share a form) and its difficulty (the service passes the probability that a
    borderline candidate answers it right, ``irt.probability`` at the blueprint's cut; any
    number works whose mean over a form should match the pool's)."""

    item_id: int
    version_id: int
    competence: Hashable | None = None
    enemy_group: Hashable | None = None
    difficulty: float | None = None


@dataclass(frozen=True, slots=True)
class Drawn:
    """One item of a drawn form; the form's position of an item is its index in the list."""

    area: str
    level: str
    item_id: Any
    version_id: Any


class Shortage(NamedTuple):
    """A blueprint cell the bank cannot fill."""

    area: str
    level: str
    needed: int
    available: int


class BankShortage(Exception):
    """The bank cannot fill every cell of the blueprint; ``missing`` lists every short cell."""

    def __init__(self, missing: Iterable[tuple[str, str, int, int]]):
        self.missing = [Shortage(*cell) for cell in missing]
        super().__init__(self.missing)

    def __str__(self) -> str:
        cells = "; ".join(
            f"lĩnh vực {s.area}, mức độ {s.level}: cần {s.needed} câu, chỉ có {s.available}"
            for s in self.missing
        )
        return f"Ngân hàng câu hỏi không đủ câu để tạo đề ({cells})."


_item_id = attrgetter("item_id")
_difficulty = attrgetter("difficulty")

# A balanced competence chooses by difficulty among a random sample of this many of its least exposed
# entries per item it may draw.
_CANDIDATES_PER_PICK = 4
# A pool's target difficulty is the mean over about this many of its entries.
_TARGET_SAMPLE = 256

# Sort keys are plain ints so that min() and == run in C: exposure, plus _SEEN for an item the
# candidate has seen, or _TAKEN once an item is drawn or rejected.
_SEEN = 1 << 62
_TAKEN = 1 << 126


def _cell_counts(cells: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Items needed per (area, level), in blueprint order; a cell listed twice adds up."""
    needed: dict[tuple[str, str], int] = {}
    for area, level, count in cells:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"cell ({area}, {level}) has an invalid count: {count!r}")
        needed[(area, level)] = needed.get((area, level), 0) + count
    return needed


def check_coverage(cells: Iterable[tuple[str, str, int]],
                   pool_sizes: Mapping[tuple[str, str], int]) -> list[Shortage]:
    """The cells a bank with ``pool_sizes`` active items per (area, level) cannot fill.

    For use when an exam session is created, from a ``COUNT(*) ... GROUP BY area, level``.
    Empty when the blueprint can be drawn. A missing pool counts as size 0.
    """
    return [
        Shortage(area, level, needed, pool_sizes.get((area, level), 0))
        for (area, level), needed in _cell_counts(cells).items()
        if pool_sizes.get((area, level), 0) < needed
    ]


def _pool_target(pool: Sequence[Candidate]) -> float | None:
    """The difficulty a cell's mean is kept at, or None when no entry has one (nothing balanced).

    The mean over every k-th entry of the pool (k = len // 256, at least 1): a fixed value for
    a given pool, read in one short C-level pass, within about 0.01 of the full mean for a pool
    in no particular order of difficulty. Being the same for every form is what matters.
    """
    if not pool or getattr(pool[0], "difficulty", None) is getattr(pool[-1], "difficulty", None) is None:
        return None  # a plain pool (one with difficulties at neither end counts as one)
    sample = pool[::max(1, len(pool) // _TARGET_SAMPLE)]
    try:
        return sum(map(_difficulty, sample)) / len(sample)
    except (AttributeError, TypeError):  # entries without a difficulty: the mean of the others, if any
        known = [d for d in (getattr(c, "difficulty", None) for c in sample) if d is not None]
        return sum(known) / len(known) if known else None


class _Cell:
    """The difficulty of the cell drawn so far, and how to extend it: picks go in pairs, the first
    of a pair at random, the second the one that brings the form's difficulty closest to its target
    (this cell's pool mean times its picks so far, minus ``carry``, what the earlier cells ended
    above their targets); so does the cell's last pick. Random firsts keep hard, easy, sharp and
    blunt items all in use: choosing every item near the target would favour items of low
    discrimination, whose probability at the cut sits in the middle. Carrying over matters because
    the form's expected score at the cut is the sum over all its items: a cell of a few items, or
    one whose least exposed items are all hard, is made up by the cells after it."""

    def __init__(self, target: float | None, carry: float = 0.0):
        self.target = target
        self.carry = carry  # what the form's earlier cells left above (+) or below (−) their targets
        self.difficulty_sum = 0.0
        self.size = 0

    def left_over(self) -> float:
        """What the form so far, this cell included, is above (+) or below (−) its targets."""
        if self.target is None:
            return self.carry
        return self.carry + self.difficulty_sum - self.target * self.size

    def difficulty(self, candidate: Candidate) -> float:
        difficulty = getattr(candidate, "difficulty", None)
        return self.target if difficulty is None else difficulty

    def best(self, candidates: list[Candidate], last: bool) -> int:
        """The position in ``candidates`` (in random order) of the next pick."""
        if self.target is None or len(candidates) == 1 or (self.size % 2 == 0 and not last):
            return 0
        aim = self.target * (self.size + 1) - self.difficulty_sum - self.carry
        gaps = [abs(self.difficulty(candidate) - aim) for candidate in candidates]
        return gaps.index(min(gaps))

    def add(self, candidate: Candidate) -> None:
        if self.target is not None:
            self.difficulty_sum += self.difficulty(candidate)
        self.size += 1


def _bucket(keys: list[int], lowest: int) -> list[int]:
    """The indices whose key is ``lowest``, in order: found by ``list.index`` (C) when they are
    few, by one comprehension when they are many."""
    size = keys.count(lowest)
    if size > 128:
        return [index for index, key in enumerate(keys) if key == lowest]
    found, index, find = [], -1, keys.index
    for _ in range(size):
        index = find(lowest, index + 1)
        found.append(index)
    return found


def _draw_cell(pool: Sequence[Candidate] | Mapping[Hashable, Sequence[Candidate]], count: int, seen: set,
               exposure: Mapping, used: set, groups: set, rng: random.Random,
               carry: float = 0.0) -> tuple[list[Candidate], float]:
    """Up to ``count`` candidates from one pool, and what the form is then above (+) or below (−)
    its difficulty targets, given ``carry`` from the earlier cells (``_Cell``); updates ``used``
    and ``groups`` (enemy groups).

    A plain pool (no competence, no difficulty) is drawn by ``_draw_plain``. A balanced pool (a
    sequence of entries with competences, or a mapping competence -> entries) is drawn
    round-robin over its competences, in an order shuffled once per cell, so that each pick goes
    to a competence drawn least so far; each competence gives its next item by ``_SubPool.pick``
    (least exposed first, then the difficulty rule of ``_Cell``). A first round takes only items
    the candidate has not seen; a competence with none left drops out of it, and a second round
    fills what remains from the seen ones.
    """
    if isinstance(pool, Mapping):
        subpools = [_SubPool(entries, exposure) for entries in pool.values() if entries]
    else:
        if not pool or (getattr(pool[0], "competence", None) is None and _pool_target(pool) is None):
            keys = list(map(exposure.get, map(_item_id, pool), repeat(0, len(pool))))
            return _draw_plain(pool, keys, count, seen, used, groups, rng), carry
        subpools = [_SubPool(entries, exposure) for entries in _split_by_competence(pool)]
    sizes = [len(subpool.entries) for subpool in subpools]
    targets = [_pool_target(subpool.entries) for subpool in subpools]
    known = [(target, size) for target, size in zip(targets, sizes, strict=True) if target is not None]
    cell = _Cell(sum(t * n for t, n in known) / sum(n for _, n in known) if known else None, carry)
    rng.shuffle(subpools)
    share = -(-count // len(subpools)) if subpools else 0  # what one competence draws at most
    chosen: list[Candidate] = []
    for unseen_only in (True, False):  # items new to the candidate first, across competences
        open_ = list(subpools)
        while len(chosen) < count and open_:
            for subpool in list(open_):
                if len(chosen) == count:
                    break
                candidate = subpool.pick(cell, count - len(chosen) == 1, share, seen, used, groups, rng,
                                         unseen_only=unseen_only)
                if candidate is None:
                    open_.remove(subpool)  # nothing admissible (and unseen, in the first round) left here
                    continue
                used.add(candidate.item_id)
                group = getattr(candidate, "enemy_group", None)
                if group is not None:
                    groups.add(group)
                chosen.append(candidate)
    return chosen, cell.left_over()


_competence = attrgetter("competence")


def _split_by_competence(pool: Sequence[Candidate]) -> list[Sequence[Candidate]]:
    """The pool's entries by competence. Entries sorted by competence are cut into slices, in C;
    any other order is gathered by one pass."""
    try:
        competences = list(map(_competence, pool))
    except AttributeError:
        competences = [getattr(candidate, "competence", None) for candidate in pool]
    runs = [(competence, len(list(run))) for competence, run in groupby(competences)]
    if len(runs) != len(set(competence for competence, _ in runs)):  # not sorted
        gathered: dict[Hashable, list[Candidate]] = {}
        for competence, candidate in zip(competences, pool, strict=True):
            gathered.setdefault(competence, []).append(candidate)
        return list(gathered.values())
    slices, start = [], 0
    for _, length in runs:
        slices.append(pool[start:start + length])
        start += length
    return slices


class _SubPool:
    """The entries of one competence in a cell, their sort keys (exposure, plus ``_SEEN`` or
    ``_TAKEN`` as in ``_draw_plain``), and the positions sampled from the least exposed bucket and
    not yet used."""

    __slots__ = ("entries", "keys", "sampled")

    def __init__(self, entries: Sequence[Candidate], exposure: Mapping):
        self.entries = entries
        self.keys = list(map(exposure.get, map(_item_id, entries), repeat(0, len(entries))))
        self.sampled: list[int] = []

    def pick(self, cell: _Cell, last: bool, share: int, seen: set, used: set, groups: set,
             rng: random.Random, *, unseen_only: bool = False) -> Candidate | None:
        """This competence's next item, or None when none is admissible (or, with ``unseen_only``,
        none the candidate has not seen).

        The least exposed bucket is sampled (``_CANDIDATES_PER_PICK`` entries per item the
        competence may draw) and the sample kept for the next picks; a seen entry is demoted below
        every unseen one, an entry already in the form or of an enemy group already in it is taken
        out; among the admissible ones ``_Cell.best`` chooses by difficulty."""
        keys, entries = self.keys, self.entries
        while True:
            admissible = [p for p in self.sampled if keys[p] < _TAKEN and _fits(entries[p], used, groups)]
            if admissible:
                candidates = [entries[position] for position in admissible]
                chosen = cell.best(candidates, last)
                keys[admissible[chosen]] = _TAKEN
                del admissible[chosen]
                self.sampled = admissible
                cell.add(candidates[chosen])
                return candidates[chosen]
            lowest = min(keys, default=_TAKEN)
            if lowest >= _TAKEN or (unseen_only and lowest >= _SEEN):
                return None
            bucket = _bucket(keys, lowest)
            size = share * _CANDIDATES_PER_PICK
            self.sampled = []
            for position in bucket if len(bucket) <= size else rng.sample(bucket, size):
                candidate = entries[position]
                if lowest < _SEEN and candidate.item_id in seen:
                    keys[position] += _SEEN
                elif not _fits(candidate, used, groups):
                    keys[position] = _TAKEN
                else:
                    self.sampled.append(position)


def _fits(candidate: Candidate, used: set, groups: set) -> bool:
    """Neither the item nor an enemy of it is in the form yet."""
    return candidate.item_id not in used and getattr(candidate, "enemy_group", None) not in groups


def _pool_size(pool: Sequence[Candidate] | Mapping[Hashable, Sequence[Candidate]]) -> int:
    return sum(map(len, pool.values())) if isinstance(pool, Mapping) else len(pool)


def _draw_plain(pool: Sequence[Candidate], keys: list[int], count: int, seen: set, used: set, groups: set,
                rng: random.Random) -> list[Candidate]:
    """A pool without competences or difficulties, drawn as before those existed (seed for seed).

    Lazy buckets: ``keys[i]`` starts as the item's exposure. The lowest bucket is found with
    ``min``; when it holds no more items than still needed they are all taken, else ``need`` are
    sampled. Only a sampled item is checked against ``seen``, and a seen one is demoted by adding
    ``_SEEN`` (it then ranks after every unseen item) and the loop samples again. Drawn or rejected
    items (already in the form, or of an enemy group already in it) get ``_TAKEN``. Usually one
    pass fills the cell, so the pool is read a few times in C and never sorted.
    """
    chosen: list[Candidate] = []
    while len(chosen) < count:
        lowest = min(keys, default=_TAKEN)
        if lowest >= _TAKEN:
            break  # pool exhausted
        bucket = _bucket(keys, lowest)
        need = count - len(chosen)
        for index in bucket if len(bucket) <= need else rng.sample(bucket, need):
            candidate = pool[index]
            if lowest < _SEEN and candidate.item_id in seen:
                keys[index] += _SEEN
                continue
            keys[index] = _TAKEN
            group = getattr(candidate, "enemy_group", None)
            if candidate.item_id in used or group in groups:
                continue  # already in the form, or an enemy is: the loop draws another
            used.add(candidate.item_id)
            if group is not None:
                groups.add(group)
            chosen.append(candidate)
    return chosen


def draw_form(cells: Sequence[tuple[str, str, int]],
              pools: Mapping[tuple[str, str], Sequence[Candidate] | Mapping[Hashable, Sequence[Candidate]]], *,
              seed: int | str | bytes,
              candidate_seen: set,
              exposure: Mapping[Any, int]) -> list[Drawn]:
    """Draw one attempt's items to the blueprint ``cells``.

    ``pools[(area, level)]``: the active versions of that cell's items (objects with
    ``item_id`` and ``version_id``, optionally ``competence``, ``enemy_group`` and
    ``difficulty``: see ``PoolItem``), or the same split by competence (competence -> entries),
    which spares the draw the split. ``candidate_seen``: item ids this candidate has had in
    earlier attempts. ``exposure``: item id -> times drawn so far (absent means 0).

    Returns the form in blueprint order, cell by cell; within a cell the items are shuffled
    (so neither seen/unseen nor exposure can be read from the positions). Options are not
    shuffled here: that is ``ItemType.candidate_options``, seeded per attempt by the caller.

    Cost: linear in the pools, no sort. 12 cells of 2,000 items each (from a 50,000-item
    bank), 50 items drawn (BP-CCVC's plan), entries with competence, enemy group and
    difficulty: median 3.1 ms, p95 4.7 ms (plain entries 3.5 / 4.4 ms) in a run whose floor,
    ``sum(range(10**6))``, took 12.9 ms on the 2-core reference VM (12 ms when idle): see
    ``python -m question_bank.assembly``. Fetching the pools and exposure counts is the
    caller's cost and not included.

    :raise BankShortage: listing every cell that cannot be filled, with what is available.
    """
    missing = check_coverage(cells, {(area, level): _pool_size(pools.get((area, level), ()))
                                     for area, level, _ in cells})
    if missing:
        raise BankShortage(missing)

    rng = random.Random(seed)
    carry = 0.0
    used: set = set()
    groups: set = set()
    form: list[Drawn] = []
    short: list[Shortage] = []
    for area, level, count in cells:
        chosen, carry = _draw_cell(pools.get((area, level), ()), count, candidate_seen, exposure, used, groups, rng,
                                   carry)
        if len(chosen) < count:
            short.append(Shortage(area, level, count, len(chosen)))
        rng.shuffle(chosen)
        form.extend(Drawn(area, level, c.item_id, c.version_id) for c in chosen)
    if short:
        raise BankShortage(short)
    return form


BENCHMARK_FLOOR_REFERENCE_MS = 12.0  # sum(range(10**6)) on the 2-core reference machine


def benchmark(repeat_count: int = 500) -> dict[str, float]:
    """Time ``draw_form`` on a 50,000-item bank; run ``python -m question_bank.assembly``.

    BP-CCVC's 50-item plan (12 cells: GT 5/5, AT 5/5, ND 5/3, DL 4/3, CN 4/3, CL 5/3) from
    25 pools of 2,000 items; exposure counts 40–59, 200 items seen. Timed three times: entries
    with competence, enemy group and difficulty split by competence (as the service passes them),
    the same in one list per cell, and plain entries. Prints each and returns the medians in ms
    (``service``, ``one_list``, ``plain``) with this run's ``floor`` (``sum(range(10**6))``).
    """
    import time

    make = random.Random(1)
    counts = [5, 5, 5, 5, 5, 3, 4, 3, 4, 3, 5, 3]
    cells = [(area, level, counts[2 * a + i]) for a, area in enumerate(("GT", "AT", "ND", "DL", "CN", "CL"))
             for i, level in enumerate(("co_ban", "trung_cap"))]
    balanced: dict[tuple[str, str], list[PoolItem]] = {}
    next_id = 0
    for cell_index in range(25):  # 25 pools of 2,000 = 50,000 items; the blueprint uses 12
        cell = cells[cell_index][:2] if cell_index < len(cells) else (f"X{cell_index}", "co_ban")
        balanced[cell] = [PoolItem(next_id + i, 10 * (next_id + i), f"{cell[0]}.{i % 4 + 1}",
                                   (next_id + i) // 3 if i % 10 == 0 else None, make.uniform(0.3, 0.98))
                          for i in range(2000)]
        next_id += 2000
    plain = {cell: [PoolItem(c.item_id, c.version_id) for c in pool] for cell, pool in balanced.items()}
    split = {cell: {competence: [c for c in pool if c.competence == competence]
                    for competence in sorted({c.competence for c in pool})} for cell, pool in balanced.items()}
    exposure = {item_id: make.randrange(40, 60) for item_id in range(next_id)}
    seen = set(make.sample(range(next_id), 200))
    assert sum(c for _, _, c in cells) == 50 and len(cells) == 12
    import timeit

    floor = min(timeit.repeat("sum(range(10**6))", number=10, repeat=5)) / 10
    print(f"floor in this run: sum(range(10**6)) {floor * 1000:.1f} ms "
          f"({BENCHMARK_FLOOR_REFERENCE_MS:.0f} ms on the reference 2-core VM)")
    medians = {"floor": floor * 1000}
    for key, name, pools in (
            ("service", "competence, enemy group and difficulty, split by competence as the service does", split),
            ("one_list", "the same in one list per cell", balanced), ("plain", "plain entries", plain)):
        timings = []
        for run in range(repeat_count):
            start = time.perf_counter()
            draw_form(cells, pools, seed=run, candidate_seen=seen, exposure=exposure)
            timings.append(time.perf_counter() - start)
        timings.sort()
        print(f"draw_form, 12 cells x 2,000 items, 50 drawn, {name}, {repeat_count} runs: "
              f"median {timings[len(timings) // 2] * 1000:.2f} ms, "
              f"p95 {timings[int(len(timings) * 0.95)] * 1000:.2f} ms, max {timings[-1] * 1000:.2f} ms")
        medians[key] = timings[len(timings) // 2] * 1000
    return medians


if __name__ == "__main__":
    benchmark()
