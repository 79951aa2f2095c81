"""Test-wiseness cues in a set of items: what lets a candidate find the key without the knowledge.

Pure functions over interchange items (``options``: texts, ``key``: 0-based index, sorted list of
indices, or a bool), used by the bank's tests and by ``flask bank check``. Each returns figures, not a
verdict; the thresholds live with the tests, so a cue that comes back fails the suite.

- *Absolute words* ("luôn", "không bao giờ", "mọi", "toàn bộ", ...) mark a wrong option when they
  appear in distractors and never in the key: a candidate who distrusts them is right for free. An
  item is *cued* when some distractor has one and no keyed option has. A true/false statement with
  one is cued when it is keyed false.
- *Key length rank*: in single-choice items, the rank of the key's length among the options
  (1 = longest). Authors write the key more carefully, so it drifts to the longest or second longest.
- *Number of keys* in multiple-response items: when every item has exactly three, the candidate who
  ticks three of the most plausible options gains.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

ABSOLUTE_WORDS = (
    "luôn", "luôn luôn", "không bao giờ", "mọi", "toàn bộ", "tất cả", "hoàn toàn", "bất kỳ", "bất cứ",
    "duy nhất", "chỉ cần", "tuyệt đối", "không cần", "không có gì", "vĩnh viễn",
)
_ABSOLUTE = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, ABSOLUTE_WORDS), key=len, reverse=True))
                       + r")(?!\w)", re.IGNORECASE)


def absolute_words(text: str) -> list[str]:
    """The absolute words in ``text``, lower-cased, in order of appearance."""
    return [match.group(1).lower() for match in _ABSOLUTE.finditer(text)]


def _keyed(item: Mapping[str, Any]) -> set[int]:
    key = item["key"]
    return set(key) if isinstance(key, list) else {key}


def absolute_word_cued(item: Mapping[str, Any]) -> bool:
    """Whether absolute words point away from the key (see the module docstring)."""
    if item["type"] == "true_false":
        return item["key"] is False and bool(absolute_words(item["stem"]))
    if item["type"] not in ("single_choice", "multiple_response"):
        return False
    keyed = _keyed(item)
    marked = {index for index, text in enumerate(item["options"]) if absolute_words(text)}
    return bool(marked - keyed) and not marked & keyed


def key_length_rank(item: Mapping[str, Any]) -> int:
    """1 when the single-choice key is the longest option, 2 when second longest, ...; ties rank
    the key first (a key as long as the longest counts as longest)."""
    lengths = [len(text) for text in item["options"]]
    return 1 + sum(1 for length in lengths if length > lengths[item["key"]])


def report(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The cue figures of a set of items.

    ``absolute_cued``: codes of cued items; ``absolute_cued_share``: their share of the items that
    can carry the cue (choice and true/false items); ``key_length_ranks``: Counter of ranks over
    single-choice items with four or more options; ``mr_key_counts``: Counter of the number of keys
    over multiple-response items.
    """
    items = list(items)
    choice = [i for i in items if i["type"] in ("single_choice", "multiple_response", "true_false")]
    cued = [i["code"] for i in choice if absolute_word_cued(i)]
    return {
        "absolute_cued": cued,
        "absolute_cued_share": len(cued) / len(choice) if choice else 0.0,
        "key_length_ranks": Counter(key_length_rank(i) for i in items
                                    if i["type"] == "single_choice" and len(i["options"]) >= 4),
        "mr_key_counts": Counter(len(i["key"]) for i in items if i["type"] == "multiple_response"),
    }
