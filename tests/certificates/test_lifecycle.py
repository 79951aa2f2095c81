"""A certificate's life: validity, status on a day, and the token its QR code carries."""

import base64
import json
from datetime import date, datetime

import pytest

from certificates.lifecycle import (
    STANDING_NAMES,
    add_months,
    expiry_date,
    issue_date,
    standing_on,
    status_on,
    token_for_qr,
)
from certificates.qr import fits
from certificates.token import read_token

PREFIX = "https://sathach.vinhlong.gov.vn/v/"


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 15), 36, date(2029, 3, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2027, 12, 31), 2, date(2028, 2, 29)),
    (date(2026, 11, 30), 14, date(2028, 1, 30)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_a_blueprint_without_validity_gives_a_certificate_that_never_expires():
    assert expiry_date(date(2026, 3, 15), None) is None
    assert expiry_date(date(2026, 3, 15), 24) == date(2028, 3, 15)


@pytest.mark.parametrize(("closed_at", "expected"), [
    (datetime(2026, 12, 31, 16, 59, 59), date(2026, 12, 31)),  # 23:59:59 in Viet Nam
    (datetime(2026, 12, 31, 17, 0), date(2027, 1, 1)),         # midnight in Viet Nam
    (datetime(2026, 12, 31, 23, 30), date(2027, 1, 1)),        # still 31 December in UTC
])
def test_the_issue_date_is_the_day_in_viet_nam_when_the_attempt_closed(closed_at, expected):
    assert issue_date(closed_at) == expected


@pytest.mark.parametrize(("stored", "expires_on", "today", "compromised", "standing", "verdict"), [
    ("valid", date(2028, 3, 15), date(2028, 3, 15), False, "valid", "valid"),  # the last day still counts
    ("valid", date(2028, 3, 15), date(2028, 3, 16), False, "expired", "expired"),
    ("valid", None, date(2099, 1, 1), False, "valid", "valid"),
    ("revoked", date(2028, 3, 15), date(2026, 4, 1), False, "revoked", "revoked"),
    ("superseded", None, date(2026, 4, 1), False, "superseded", "revoked"),
    ("revoked", date(2020, 1, 1), date(2026, 4, 1), False, "revoked", "revoked"),  # revoked outranks expired
    # A compromised key makes everything it signed invalid, whatever else is true of it.
    ("valid", None, date(2026, 4, 1), True, "invalid", "invalid"),
    ("valid", date(2020, 1, 1), date(2026, 4, 1), True, "invalid", "invalid"),
    ("revoked", None, date(2026, 4, 1), True, "invalid", "invalid"),
    ("superseded", None, date(2026, 4, 1), True, "invalid", "invalid"),
])
def test_status_on_a_day(stored, expires_on, today, compromised, standing, verdict):
    assert standing_on(stored, expires_on, today, key_compromised=compromised) == standing
    assert status_on(stored, expires_on, today, key_compromised=compromised) == verdict
    assert standing in STANDING_NAMES


def test_the_token_fits_the_qr_code_by_cutting_the_name_only(make_claims, token_key):
    short = make_claims()
    assert read_token(token_for_qr(short, token_key, PREFIX), {token_key.kid: token_key.public_key}) \
        .holder_name == short.holder_name
    name = "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo Huỳnh Hoàng Bảo Ngọc Trâm Anh Hương Giang Lê Phạm"
    token = token_for_qr(make_claims(holder_name=name), token_key, PREFIX)
    assert fits(PREFIX + token)
    claimed = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["n"]
    assert claimed.endswith("…") and name.startswith(claimed[:-1]) and len(claimed) < len(name)
