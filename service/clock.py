"""The service's clock. Tests replace ``app.config["CLOCK"]`` to move time without sleeping."""

from flask import current_app

from .models.types import utcnow


def now():
    """Naive UTC now, from the app's clock."""
    return current_app.config.get("CLOCK", utcnow)()
