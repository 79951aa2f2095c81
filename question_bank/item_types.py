"""Item types: how each kind of question is defined, stored, shown, answered and graded.

A registry in the manner of CTFd's ``CHALLENGE_CLASSES``: ``ITEM_TYPES`` maps the type code
used in files and in the API to a class, and ``get_item_type(code)`` refuses unknown codes.
The class is the one home of a type's rules: the definition rules every importer and the
authoring form apply, the blueprint setting that gives it partial credit, how its options are
shown to a candidate, and how its key maps to and from the author's form. (The pages draw
each type with the template macro of the same name, ``service/templates/item_types.html``.)

An item has two representations:

interchange (import/export files, authoring forms)
    ``options: list[str]`` and ``key``:

    ==================  ==========================================  =====================
    type                options                                     key
    ==================  ==========================================  =====================
    single_choice       2–8 texts                                   0-based ``int``
    multiple_response   3–8 texts                                   sorted ``list[int]``
    true_false          ``[]``                                      ``bool``
    ordering            2–8 texts, **in the correct order**         ``None``
    ==================  ==========================================  =====================

stored (database, staff API)
    ``options: list[{"id": str, "text": str}]`` and ``key`` in the shape of an answer:
    single_choice an option id, multiple_response a list of option ids (in option order),
    true_false a bool, ordering the list of all option ids in the correct order. Ordering
    options are stored in the correct order too, so the key always equals their ids in
    stored order; ``candidate_options`` relies on that.

Every type is a class with class methods only; nothing is instantiated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from itertools import pairwise
from typing import Any, ClassVar

Problems = list[tuple[str, str]]
StoredOption = dict[str, str]

_ZERO = Fraction(0)
_ONE = Fraction(1)


class UnknownItemType(ValueError):
    """The type code is not one of ``ITEM_TYPES``."""


class AnswerShapeError(ValueError):
    """A candidate's answer does not have the shape the item type expects (HTTP 422).

    ``str(error)`` is a Vietnamese message fit to show the candidate.
    """


class InvalidDefinition(ValueError):
    """An interchange item failed ``validate_definition``; ``problems`` holds (field, message)."""

    def __init__(self, problems: Problems):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


def _is_int(value: Any) -> bool:
    # bool is an int subclass; True must never pass for option 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A short rendering of a candidate-supplied value for an error message."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _normalise_text(text: str) -> str:
    """How option texts are compared for duplicates: case- and spacing-insensitive."""
    return " ".join(text.split()).casefold()


class ItemType:
    """Behaviour shared by the item types; subclasses set the class attributes and rules."""

    code: ClassVar[str]
    name: ClassVar[str]
    short_name: ClassVar[str]  # in spreadsheets, where a cell names the type
    min_options: ClassVar[int]
    max_options: ClassVar[int]
    # The blueprint setting ("partial" or "all_or_nothing", the default) that decides whether items of the
    # type earn partial credit; None when the type is always right or wrong as a whole.
    partial_setting: ClassVar[str | None] = None
    # What the authoring form says when the author gave no key; None when an empty key is an answer too.
    missing_key_hint: ClassVar[str | None] = None

    # -- definition -------------------------------------------------------------------------

    @classmethod
    def validate_definition(cls, options: Any, key: Any) -> Problems:
        """Problems with an interchange item, as (field, Vietnamese message); [] when valid."""
        problems = cls._validate_options(options)
        if problems:
            # The key can only be checked against a sound list of options.
            return problems
        return cls._validate_key(options, key)

    @classmethod
    def _validate_options(cls, options: Any) -> Problems:
        if not isinstance(options, list):
            return [("options", "Danh sách phương án phải là một mảng các chuỗi văn bản.")]
        count = len(options)
        if not cls.min_options <= count <= cls.max_options:
            return [("options", f"{cls.name} cần từ {cls.min_options} đến {cls.max_options} phương án, "
                                f"hiện có {count}.")]
        problems: Problems = []
        first_seen: dict[str, int] = {}
        for number, text in enumerate(options, start=1):
            if not isinstance(text, str):
                problems.append(("options", f"Phương án {number} phải là văn bản."))
            elif not text.strip():
                problems.append(("options", f"Phương án {number} đang để trống."))
            else:
                normalised = _normalise_text(text)
                if normalised in first_seen:
                    problems.append(("options", f"Phương án {number} trùng với phương án "
                                                f"{first_seen[normalised]}."))
                else:
                    first_seen[normalised] = number
        return problems

    @classmethod
    def _validate_key(cls, options: list[str], key: Any) -> Problems:
        raise NotImplementedError

    @classmethod
    def to_stored(cls, options: list[str], key: Any,
                  new_id: Callable[[], str]) -> tuple[list[StoredOption], Any]:
        """Give each option a stable id and express the key in answer shape.

        :raise InvalidDefinition: when ``validate_definition`` finds problems.
        """
        problems = cls.validate_definition(options, key)
        if problems:
            raise InvalidDefinition(problems)
        ids = [new_id() for _ in options]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
            raise ValueError("new_id must return distinct non-empty strings")
        stored = [{"id": option_id, "text": text} for option_id, text in zip(ids, options, strict=True)]
        return stored, cls._key_to_stored(ids, key)

    @classmethod
    def _key_to_stored(cls, ids: list[str], key: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def to_interchange(cls, stored_options: Sequence[StoredOption], stored_key: Any) -> tuple[list[str], Any]:
        """The inverse of ``to_stored``: ``to_interchange(*to_stored(o, k, f)) == (o, k)``.

        :raise ValueError: when the stored key does not fit the stored options.
        """
        raise NotImplementedError

    # -- answering --------------------------------------------------------------------------

    @classmethod
    def validate_answer(cls, stored_options: Sequence[StoredOption], answer: Any) -> None:
        """Check the shape of a candidate's answer; ``None`` (no answer) is always valid.

        :raise AnswerShapeError: with a Vietnamese message.
        """
        if answer is not None:
            cls._validate_given_answer(stored_options, answer)

    @classmethod
    def _validate_given_answer(cls, stored_options: Sequence[StoredOption], answer: Any) -> None:
        raise NotImplementedError

    @classmethod
    def credit(cls, stored_key: Any, answer: Any, *, partial: bool, option_count: int | None = None) -> Fraction:
        """The exact credit in [0, 1] for ``answer``; ``None`` or a malformed answer earns 0.

        This is where each type's grading rule lives; scoring sums these exactly. ``option_count``
        (the number of stored options) is needed only by multiple-response partial credit.
        """
        raise NotImplementedError

    @classmethod
    def grade(cls, stored_key: Any, answer: Any, *, partial: bool, option_count: int | None = None) -> float:
        """``credit`` as a float, for callers that do not need exact arithmetic."""
        return float(cls.credit(stored_key, answer, partial=partial, option_count=option_count))

    @classmethod
    def candidate_options(cls, stored_options: Sequence[StoredOption],
                          rng: random.Random) -> list[StoredOption]:
        """The options as one candidate sees them: fresh ``{"id", "text"}`` dicts, shuffled."""
        shown = [{"id": option["id"], "text": option["text"]} for option in stored_options]
        rng.shuffle(shown)
        return shown

    @classmethod
    def shown_options(cls, stored_options: Sequence[StoredOption],
                      option_order: Sequence[str]) -> list[StoredOption]:
        """The options of a drawn item in the order its attempt recorded (``candidate_options``'s ids)."""
        text = {option["id"]: option["text"] for option in stored_options}
        return [{"id": option_id, "text": text[option_id]} for option_id in option_order]

    # -- the authoring form -----------------------------------------------------------------

    @classmethod
    def key_from_form(cls, ticked: list[int], truth: str) -> Any:
        """The interchange key from the author's form: the ticked option inputs (0-based, ascending) and
        the Đúng/Sai choice ("true", "false" or ""). A shape the type does not accept is passed on, for
        ``validate_definition`` to refuse with its message."""
        raise NotImplementedError

    @classmethod
    def form_of_key(cls, key: Any) -> tuple[set[int], str]:
        """The inverse of ``key_from_form`` for a sound interchange key: (ticked inputs, Đúng/Sai choice)."""
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _option_ids(stored_options: Sequence[StoredOption]) -> list[str]:
        return [option["id"] for option in stored_options]

    @staticmethod
    def _check_id_list(stored_options: Sequence[StoredOption], answer: Any, shape_message: str) -> list[str]:
        """Common checks for list answers: a list of known, distinct option ids."""
        if not isinstance(answer, list):
            raise AnswerShapeError(shape_message)
        known = {option["id"] for option in stored_options}
        seen: set[str] = set()
        for option_id in answer:
            if not isinstance(option_id, str):
                raise AnswerShapeError(shape_message)
            if option_id not in known:
                raise AnswerShapeError(f"Không có phương án mã “{_show(option_id)}”.")
            if option_id in seen:
                raise AnswerShapeError(f"Phương án “{_show(option_id)}” xuất hiện nhiều lần.")
            seen.add(option_id)
        return answer


class SingleChoice(ItemType):
    """One correct option among 2–8. Answer: the chosen option id."""

    code = "single_choice"
    name = "Câu hỏi một lựa chọn"
    short_name = "Một lựa chọn"
    min_options = 2
    max_options = 8
    missing_key_hint = "Hãy đánh dấu phương án đúng."

    @classmethod
    def _validate_key(cls, options, key):
        if not _is_int(key):
            return [("key", "Đáp án phải là chỉ số (tính từ 0) của phương án đúng.")]
        if not 0 <= key < len(options):
            return [("key", f"Đáp án {key} không phải chỉ số của phương án nào "
                            f"(từ 0 đến {len(options) - 1}).")]
        return []

    @classmethod
    def _key_to_stored(cls, ids, key):
        return ids[key]

    @classmethod
    def key_from_form(cls, ticked, truth):
        return ticked[0] if len(ticked) == 1 else ticked or None

    @classmethod
    def form_of_key(cls, key):
        return {key}, ""

    @classmethod
    def to_interchange(cls, stored_options, stored_key):
        ids = cls._option_ids(stored_options)
        if stored_key not in ids:
            raise ValueError(f"stored key {stored_key!r} is not an option id")
        return [option["text"] for option in stored_options], ids.index(stored_key)

    @classmethod
    def _validate_given_answer(cls, stored_options, answer):
        if not isinstance(answer, str):
            raise AnswerShapeError("Câu trả lời phải là mã của một phương án.")
        if answer not in cls._option_ids(stored_options):
            raise AnswerShapeError(f"Không có phương án mã “{_show(answer)}”.")

    @classmethod
    def credit(cls, stored_key, answer, *, partial, option_count=None):
        """1 for the keyed option, else 0; ``partial`` does not apply."""
        return _ONE if isinstance(answer, str) and answer == stored_key else _ZERO


class MultipleResponse(ItemType):
    """Several correct options among 3–8; the candidate ticks any number of them.

    Definition rule: at least 2 correct options (one correct option is a single_choice item)
    and at least 1 wrong one (when every option is correct, "tick everything" is always right
    and the item measures nothing). Answer: a list of distinct option ids in any order; the
    empty list means "ticked none" and earns 0.
    """

    code = "multiple_response"
    name = "Câu hỏi nhiều lựa chọn"
    short_name = "Nhiều lựa chọn"
    min_options = 3
    max_options = 8
    partial_setting = "multiple_response_scoring"

    @classmethod
    def _validate_key(cls, options, key):
        shape = [("key", "Đáp án phải là danh sách chỉ số (tính từ 0) của các phương án đúng.")]
        if not isinstance(key, list) or not all(_is_int(index) for index in key):
            return shape
        problems: Problems = []
        if any(not 0 <= index < len(options) for index in key):
            problems.append(("key", f"Đáp án có chỉ số không ứng với phương án nào "
                                    f"(từ 0 đến {len(options) - 1})."))
        if len(set(key)) != len(key):
            problems.append(("key", "Đáp án có chỉ số bị lặp lại."))
        elif key != sorted(key):
            problems.append(("key", "Các chỉ số trong đáp án phải được sắp xếp tăng dần."))
        if len(set(key)) < 2:
            problems.append(("key", "Câu hỏi nhiều lựa chọn cần ít nhất 2 phương án đúng; "
                                    "nếu chỉ có 1 phương án đúng, hãy dùng loại một lựa chọn."))
        elif len(set(key)) >= len(options):
            problems.append(("key", "Câu hỏi nhiều lựa chọn cần ít nhất 1 phương án sai."))
        return problems

    @classmethod
    def _key_to_stored(cls, ids, key):
        return [ids[index] for index in key]

    @classmethod
    def key_from_form(cls, ticked, truth):
        return ticked

    @classmethod
    def form_of_key(cls, key):
        return set(key), ""

    @classmethod
    def to_interchange(cls, stored_options, stored_key):
        ids = cls._option_ids(stored_options)
        if not isinstance(stored_key, list) or any(option_id not in ids for option_id in stored_key):
            raise ValueError(f"stored key {stored_key!r} is not a list of option ids")
        return [option["text"] for option in stored_options], sorted(ids.index(i) for i in stored_key)

    @classmethod
    def _validate_given_answer(cls, stored_options, answer):
        message = "Câu trả lời phải là danh sách mã các phương án được chọn."
        cls._check_id_list(stored_options, answer, message)

    @classmethod
    def credit(cls, stored_key, answer, *, partial, option_count=None):
        """All-or-nothing, or partial credit that ticking everything cannot earn.

        ``partial=False``: 1 only when the set of selected ids equals the set of correct ids.

        ``partial=True``: with ``n`` correct options among ``option_count``, so ``w = option_count
        - n`` wrong ones, each correct option selected earns ``+1/n`` and each wrong option
        selected costs ``-1/w``; the sum is floored at 0. Ticking every option earns ``1 - 1 =
        0``, an answer made only of wrong options 0 (never negative), the key alone 1. The earlier
        rule charged ``-1/n`` per wrong option, so ticking all four options of an item keyed 3
        of 4 earned 2/3; results scored by it are stored and never rescored.

        :raise ValueError: partial credit without ``option_count``, or with no wrong option.
        """
        if not isinstance(answer, list | tuple):
            return _ZERO
        correct = set(stored_key)
        selected = {option_id for option_id in answer if isinstance(option_id, str)}
        if not partial:
            return _ONE if selected == correct else _ZERO
        if option_count is None or option_count <= len(correct):
            raise ValueError(f"multiple-response partial credit needs the option count (got {option_count!r} "
                             f"for {len(correct)} correct options)")
        hits = len(selected & correct)
        misses = len(selected - correct)
        return max(_ZERO, Fraction(hits, len(correct)) - Fraction(misses, option_count - len(correct)))


class TrueFalse(ItemType):
    """A statement the candidate marks true or false; no options. Answer: a JSON boolean."""

    code = "true_false"
    name = "Câu hỏi đúng/sai"
    short_name = "Đúng/Sai"
    min_options = 0
    max_options = 0
    missing_key_hint = "Hãy chọn Đúng hoặc Sai."

    SHOWN_OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (("true", "Đúng"), ("false", "Sai"))

    @classmethod
    def _validate_options(cls, options):
        if options != []:
            return [("options", "Câu hỏi đúng/sai không có phương án; để trống danh sách phương án.")]
        return []

    @classmethod
    def _validate_key(cls, options, key):
        if not isinstance(key, bool):
            return [("key", "Đáp án câu hỏi đúng/sai phải là true hoặc false (không dùng 0/1).")]
        return []

    @classmethod
    def _key_to_stored(cls, ids, key):
        return key

    @classmethod
    def key_from_form(cls, ticked, truth):
        return {"true": True, "false": False}.get(truth)

    @classmethod
    def form_of_key(cls, key):
        return set(), "true" if key else "false"

    @classmethod
    def to_interchange(cls, stored_options, stored_key):
        if list(stored_options) or not isinstance(stored_key, bool):
            raise ValueError("a true_false item has no options and a boolean key")
        return [], stored_key

    @classmethod
    def _validate_given_answer(cls, stored_options, answer):
        if not isinstance(answer, bool):
            raise AnswerShapeError("Câu trả lời phải là true (Đúng) hoặc false (Sai).")

    @classmethod
    def credit(cls, stored_key, answer, *, partial, option_count=None):
        """1 when the boolean matches the key, else 0 (1 and 0 are not booleans)."""
        return _ONE if isinstance(answer, bool) and answer is stored_key else _ZERO

    @classmethod
    def candidate_options(cls, stored_options, rng):
        """Always Đúng then Sai, unshuffled; the answer is sent as a boolean, not as these ids."""
        return [{"id": option_id, "text": text} for option_id, text in cls.SHOWN_OPTIONS]

    @classmethod
    def shown_options(cls, stored_options, option_order):
        return cls.candidate_options(stored_options, None)


class Ordering(ItemType):
    """2–8 options the candidate puts in order. Answer: every option id, each once, in order."""

    code = "ordering"
    name = "Câu hỏi sắp xếp thứ tự"
    short_name = "Sắp xếp"
    min_options = 2
    max_options = 8
    partial_setting = "ordering_scoring"

    @classmethod
    def _validate_key(cls, options, key):
        if key is not None:
            return [("key", "Câu hỏi sắp xếp không dùng trường đáp án: thứ tự đúng là thứ tự "
                            "các phương án; để trống đáp án.")]
        return []

    @classmethod
    def _key_to_stored(cls, ids, key):
        return list(ids)

    @classmethod
    def key_from_form(cls, ticked, truth):
        return ticked or None  # the options are written in the correct order: nothing to tick

    @classmethod
    def form_of_key(cls, key):
        return set(), ""

    @classmethod
    def to_interchange(cls, stored_options, stored_key):
        text_by_id = {option["id"]: option["text"] for option in stored_options}
        if not isinstance(stored_key, list) or sorted(stored_key) != sorted(text_by_id) \
                or len(stored_key) != len(stored_options):
            raise ValueError(f"stored key {stored_key!r} is not a permutation of the option ids")
        return [text_by_id[option_id] for option_id in stored_key], None

    @classmethod
    def _validate_given_answer(cls, stored_options, answer):
        message = "Câu trả lời phải là danh sách mã của tất cả phương án, theo thứ tự đã sắp xếp."
        cls._check_id_list(stored_options, answer, message)
        missing = [option_id for option_id in cls._option_ids(stored_options) if option_id not in answer]
        if missing:
            raise AnswerShapeError(f"Câu trả lời còn thiếu phương án: {', '.join(map(_show, missing))}.")

    @classmethod
    def credit(cls, stored_key, answer, *, partial, option_count=None):
        """All-or-nothing, or the share of neighbouring pairs in the right relative order.

        ``partial=False``: 1 only for exactly the keyed order.

        ``partial=True``: for an answer of ``n`` ids, each of its ``n - 1`` neighbouring pairs
        ``(answer[i], answer[i + 1])`` earns ``1/(n - 1)`` when the key ranks ``answer[i]``
        before ``answer[i + 1]`` (not necessarily immediately). The keyed order earns 1, the
        reversed order 0; one swap of neighbours among 4 earns 2/3.
        """
        if not isinstance(answer, list | tuple) or not all(isinstance(i, str) for i in answer) \
                or sorted(answer) != sorted(stored_key):
            return _ZERO
        if list(answer) == list(stored_key):
            return _ONE
        if not partial or len(stored_key) < 2:
            return _ZERO
        rank = {option_id: position for position, option_id in enumerate(stored_key)}
        in_order = sum(1 for first, second in pairwise(answer) if rank[first] < rank[second])
        return Fraction(in_order, len(answer) - 1)

    @classmethod
    def candidate_options(cls, stored_options, rng):
        """Shuffled, and never already in the correct (stored) order when there are 2 or more.

        Reshuffles until the order differs (rejection sampling keeps every wrong order
        equally likely); with n options one reshuffle is needed with probability 1/n!.
        """
        shown = [{"id": option["id"], "text": option["text"]} for option in stored_options]
        correct = cls._option_ids(stored_options)
        rng.shuffle(shown)
        while len(shown) >= 2 and cls._option_ids(shown) == correct:
            rng.shuffle(shown)
        return shown


ITEM_TYPES: dict[str, type[ItemType]] = {
    "single_choice": SingleChoice,
    "multiple_response": MultipleResponse,
    "true_false": TrueFalse,
    "ordering": Ordering,
}


def get_item_type(code: str) -> type[ItemType]:
    """The class for a type code.

    :raise UnknownItemType: for a code not in ``ITEM_TYPES``.
    """
    try:
        return ITEM_TYPES[code]
    except (KeyError, TypeError):
        raise UnknownItemType(f"Loại câu hỏi không được hỗ trợ: “{_show(code)}”.") from None
