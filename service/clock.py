"""The service's clock. Tests replace ``app.config["CLOCK"]`` to move time without sleeping."""

from datetime import date

from flask import current_app

from certificates.vietnam_time import vietnam_date

from .models.types import utcnow


def now():
    """Naive UTC now, from the app's clock."""
    return current_app.config.get("CLOCK", utcnow)()


def today() -> date:
    """Today in Viet Nam: the day a certificate is issued on, and the day its validity is judged on."""
    return vietnam_date(now())
