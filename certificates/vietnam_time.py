"""Viet Nam's time: what a person reads. The database stores naive UTC; a date or time shown to someone (a page,
a PDF, an export, the issue date on a certificate) is Viet Nam's (UTC+7, no daylight saving), so 23:30 UTC on
31 December is already 1 January."""

from datetime import UTC, date, datetime, timedelta, timezone

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


def in_vietnam(moment: datetime) -> datetime:
    """A stored naive-UTC time as Viet Nam's wall-clock time (aware)."""
    return moment.replace(tzinfo=UTC).astimezone(VIETNAM_TZ)


def vn_time(moment: datetime, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A stored naive-UTC time as people in Viet Nam read it (proctors also type times as UTC+7)."""
    return in_vietnam(moment).strftime(pattern)


def vietnam_date(moment: datetime) -> date:
    """The date in Viet Nam at a stored naive-UTC time."""
    return in_vietnam(moment).date()


def vietnam_midnight(day: date) -> datetime:
    """The stored (naive UTC) time at which `day` begins in Viet Nam."""
    return datetime(day.year, day.month, day.day, tzinfo=VIETNAM_TZ).astimezone(UTC).replace(tzinfo=None)
