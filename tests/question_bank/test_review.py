"""What a reader may see of an attempt, by its status and the session's review setting."""

import pytest

from question_bank.review import REVIEW_LABELS, REVIEW_MODES, SITTING, VIEWS, attempt_view


@pytest.mark.parametrize("mode", REVIEW_MODES)
@pytest.mark.parametrize("status", ["in_progress", "voided"])
@pytest.mark.parametrize("staff", [False, True])
def test_nothing_of_the_keys_or_result_before_submission(mode, status, staff):
    assert attempt_view(mode, status, staff=staff) == SITTING


@pytest.mark.parametrize("mode", REVIEW_MODES)
def test_after_submission_the_candidate_sees_what_the_setting_allows(mode):
    assert attempt_view(mode, "submitted", staff=False) == mode


@pytest.mark.parametrize("mode", REVIEW_MODES)
def test_staff_see_everything_once_submitted(mode):
    assert attempt_view(mode, "submitted", staff=True) == "full"


def test_every_mode_is_a_view_with_a_label():
    assert set(VIEWS) == {SITTING, *REVIEW_MODES} and set(REVIEW_LABELS) == set(REVIEW_MODES)
    with pytest.raises(ValueError):
        attempt_view("everything", "submitted", staff=False)
