import base64
import random

import pytest

from certificates.serial import (
    check_digit,
    format_serial,
    is_valid_public_id,
    is_valid_serial,
    new_public_id,
    parse_serial,
)


def test_format_and_parse():
    serial = format_serial("BTR", 2026, 123)
    assert serial.startswith("BTR-2026-000123-")
    assert serial == f"BTR-2026-000123-{check_digit('2026000123')}"
    assert is_valid_serial(serial)
    assert parse_serial(serial) == ("BTR", 2026, 123)


@pytest.mark.parametrize(
    ("prefix", "year", "seq"),
    [
        ("btr", 2026, 1),
        ("B", 2026, 1),
        ("BTR-X", 2026, 1),
        ("BTR", 99, 1),
        ("BTR", 2026, 0),
        ("BTR", 2026, 1_000_000),
        ("BTR", 2026, True),
        ("BTR", "2026", 1),
    ],
)
def test_format_rejects_bad_parts(prefix, year, seq):
    with pytest.raises(ValueError):
        format_serial(prefix, year, seq)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "BTR-2026-000123",
        "BTR-2026-00123-4",
        "btr-2026-000123-4",
        "BTR-2026-000123-44",
        " BTR-2026-000123-4",
        "BTR-2026-000000-0",
        None,
        12345,
    ],
)
def test_malformed_serials_are_invalid(text):
    assert not is_valid_serial(text)


def _serial_digits(serial: str) -> tuple[str, str, str]:
    prefix, year, seq, check = serial.split("-")
    return prefix, year + seq + check, check


def test_check_digit_catches_every_single_digit_error_and_adjacent_transposition():
    rng = random.Random(20260315)
    samples = [format_serial("BTR", rng.randint(2020, 2099), rng.randint(1, 999_999)) for _ in range(300)]
    samples += [format_serial("VLG", 2026, seq) for seq in (1, 9, 10, 90, 99, 909, 999_999)]
    for serial in samples:
        prefix, digits, _ = _serial_digits(serial)  # 11 digits: year, sequence, check digit
        variants = []
        for i, original in enumerate(digits):
            for d in "0123456789":
                if d != original:
                    variants.append(digits[:i] + d + digits[i + 1 :])
        for i in range(len(digits) - 1):
            if digits[i] != digits[i + 1]:
                variants.append(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
        for variant in variants:
            altered = f"{prefix}-{variant[:4]}-{variant[4:10]}-{variant[10]}"
            assert not is_valid_serial(altered), (serial, altered)


def test_public_ids_are_128_random_bits():
    ids = {new_public_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        assert len(value) == 22 and "=" not in value
        assert len(base64.urlsafe_b64decode(value + "==")) == 16
        assert is_valid_public_id(value)


@pytest.mark.parametrize("value", ["", "abc", "A" * 21 + "B", "A" * 23, "A" * 21 + "+", None, "A" * 21 + "="])
def test_invalid_public_ids(value):
    assert not is_valid_public_id(value)
