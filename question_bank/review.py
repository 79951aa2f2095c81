"""What a reader may see of an attempt (SPEC §4): never a key, correctness or explanation while it is open;
once it is submitted, what the session's review setting allows the candidate; everything for staff.

The answer is the name of a view; the service's output schema (service/schemas/exams.py) lists its fields:

``sitting``  an open or voided attempt: the items as shown, the answers given; no result
``score``    submitted, review setting "score": the score and classification only
``areas``    submitted, review setting "areas": the result by area and what to study, no keys
``full``     submitted, review setting "full", or any staff reader: keys, credit and explanations as well
"""

REVIEW_MODES = ("score", "areas", "full")
REVIEW_LABELS = {
    "score": "Chỉ xem điểm và xếp loại",
    "areas": "Xem điểm từng lĩnh vực, không xem đáp án",
    "full": "Xem lại toàn bộ: đáp án đúng và giải thích",
}
SITTING = "sitting"
VIEWS = (SITTING, *REVIEW_MODES)

# The part of a result the "score" setting shows.
RESULT_SUMMARY = ("percent", "score_10", "passed", "classification", "classification_name")


def attempt_view(review_mode: str, attempt_status: str, *, staff: bool) -> str:
    """The view of an attempt its reader may have.

    :param review_mode: the session's review setting, one of ``REVIEW_MODES``.
    :param attempt_status: in_progress, submitted or voided.
    :param staff: the reader is staff (a proctor, a unit manager, an admin), not the candidate who sat it.
    :raise ValueError: for an unknown review setting.
    """
    if review_mode not in REVIEW_MODES:
        raise ValueError(f"unknown review mode {review_mode!r}")
    if attempt_status != "submitted":
        return SITTING
    return "full" if staff else review_mode
