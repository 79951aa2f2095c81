"""Certificate serial numbers and public ids.

A serial is what people read and type: ``BTR-2026-000123-4`` is prefix, year,
a six-digit sequence that restarts every year, and one check digit. The check
digit is computed with the Damm algorithm over the ten digits of year and
sequence. Damm was chosen over the suggested Luhn or ISO 7064 MOD 11-10: it
also yields a single decimal digit, but it detects *every* single-digit error
and *every* adjacent transposition (Luhn misses 09<->90; MOD 11-10 misses about
2 % of adjacent transpositions), including a transposition with the check digit
itself.

The public id is what the QR token and URLs carry: 128 bits from ``secrets``,
so nothing about a certificate can be found by guessing or counting. The serial
is sequential on purpose and must never be enough to look a certificate up.
"""

import base64
import re
import secrets

__all__ = [
    "check_digit",
    "format_serial",
    "is_valid_public_id",
    "is_valid_serial",
    "new_public_id",
    "parse_serial",
]

# Damm's weakly totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

SEQ_DIGITS = 6
MAX_SEQ = 10**SEQ_DIGITS - 1
_PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,9}")
_SERIAL = re.compile(r"([A-Z][A-Z0-9]{1,9})-(\d{4})-(\d{6})-(\d)")
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def check_digit(digits: str) -> str:
    """Damm check digit of a string of decimal digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][ord(ch) - 48]
    return str(interim)


def format_serial(prefix: str, year: int, seq: int) -> str:
    """``format_serial("BTR", 2026, 123) -> "BTR-2026-000123-4"``.

    :raise ValueError: prefix not 2-10 upper-case letters/digits starting with a
        letter, year outside 1000-9999, or seq outside 1-999999.
    """
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"invalid serial prefix: {prefix!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"invalid serial year: {year!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"invalid serial sequence number: {seq!r}")
    digits = f"{year:04d}{seq:0{SEQ_DIGITS}d}"
    return f"{prefix}-{year:04d}-{seq:0{SEQ_DIGITS}d}-{check_digit(digits)}"


def parse_serial(serial: str) -> tuple[str, int, int]:
    """Split a serial into ``(prefix, year, seq)``.

    :raise ValueError: the serial is malformed or its check digit is wrong.
    """
    match = _SERIAL.fullmatch(serial) if isinstance(serial, str) else None
    if not match:
        raise ValueError("malformed serial")
    prefix, year, seq, check = match.groups()
    if check_digit(year + seq) != check or int(seq) == 0:
        raise ValueError("serial check digit mismatch")
    return prefix, int(year), int(seq)


def is_valid_serial(serial: str) -> bool:
    """True when ``serial`` is well formed and its check digit is right."""
    try:
        parse_serial(serial)
    except ValueError:
        return False
    return True


def new_public_id() -> str:
    """128 random bits, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


def is_valid_public_id(value: str) -> bool:
    """True for a string :func:`new_public_id` could have produced."""
    if not isinstance(value, str) or not _PUBLIC_ID.fullmatch(value):
        return False
    # 22 characters carry 132 bits; the last 4 must be zero in a canonical encoding.
    raw = base64.urlsafe_b64decode(value + "==")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == value
