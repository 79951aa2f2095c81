"""A certificate's life in plain rules: how long it is valid, its status on a given day, and the token its QR
code can carry. No database and no Flask: the service passes in what it stored."""

import calendar
import dataclasses
from datetime import date, datetime

from .qr import fits
from .token import TokenClaims, TokenKey, issue_token
from .vietnam_time import vietnam_date

STATUSES = ("valid", "revoked", "expired")  # what a verifier is told of a genuine certificate
INVALID = "invalid"  # what a verifier is told of what is not ours, or rests on a compromised key
STANDINGS = ("valid", "revoked", "superseded", "expired", INVALID)  # a certificate's status as its readers see it

STANDING_NAMES = {
    "valid": "Còn hiệu lực",
    "revoked": "Đã thu hồi",
    "superseded": "Đã được cấp lại",
    "expired": "Hết hiệu lực",
    INVALID: "Không hợp lệ (khóa ký đã bị lộ)",
}


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def issue_date(closed_at: datetime) -> date:
    """The date a certificate is issued on: the day in Viet Nam when its attempt closed (stored as naive UTC).
    The serial's year and the expiry follow from it."""
    return vietnam_date(closed_at)


def expiry_date(issued_on: date, validity_months: int | None) -> date | None:
    """The last day of validity of a certificate issued on `issued_on`; None when it never expires."""
    return add_months(issued_on, validity_months) if validity_months else None


def standing_on(stored_status: str, expires_on: date | None, today: date, *, key_compromised: bool) -> str:
    """A certificate's status on `today` (Viet Nam's date), the one definition every page, export and bundle uses:
    invalid when the key its QR code was signed with is compromised (that outranks everything: a compromised key
    makes everything it signed invalid), else revoked or superseded as stored, else expired once its last day has
    passed, else valid.

    `stored_status` is the record's own: valid, revoked or superseded.
    """
    if key_compromised:
        return INVALID
    if stored_status in ("revoked", "superseded"):
        return stored_status
    if expires_on is not None and expires_on < today:
        return "expired"
    return "valid"


def status_on(stored_status: str, expires_on: date | None, today: date, *, key_compromised: bool) -> str:
    """What a verifier is told on `today`: the standing, with a superseded certificate told as revoked."""
    standing = standing_on(stored_status, expires_on, today, key_compromised=key_compromised)
    return "revoked" if standing == "superseded" else standing


def token_for_qr(claims: TokenClaims, key: TokenKey, url_prefix: str) -> str:
    """The signed token of `claims` such that `url_prefix + token` fits the certificate's QR code: the holder's
    name is cut (ending in "…") only as far as needed; the record keeps the full name."""
    name = claims.holder_name
    while True:
        token = issue_token(dataclasses.replace(claims, holder_name=name), key)
        if fits(url_prefix + token) or len(name) <= 2:
            return token
        name = name.rstrip("…")[:-1].rstrip() + "…"
