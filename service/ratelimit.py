"""Per-client rate limits for the public verification views, counted by the `limits` engine: in Redis when
REDIS_URL is set, so every worker and machine shares one budget; in process memory otherwise (the demo).

Only the decorated views pay for a limit; no other request touches the counters."""

import functools
import math
import time

from flask import Flask, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.extensions["rate_limiter"] = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))


def limited(scope: str, config_key: str):
    """Allow each client address the number of calls per window that ``app.config[config_key]`` names
    (e.g. "60/minute"), across every view sharing ``scope``; beyond it, 429 with Retry-After."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            limiter: FixedWindowRateLimiter = current_app.extensions["rate_limiter"]
            limit = _parse(current_app.config[config_key])
            client = request.remote_addr or "unknown"
            if not limiter.hit(limit, scope, client):
                reset_at = limiter.get_window_stats(limit, scope, client).reset_time
                raise TooManyRequests(retry_after=max(1, math.ceil(reset_at - time.time())))
            return view(*args, **kwargs)

        return wrapper

    return decorator


@functools.lru_cache(maxsize=16)
def _parse(text: str):
    return parse(text)
