"""Per-client rate limits for the public verification views, in fixed windows: counted by the `limits` engine in
Redis when REDIS_URL is set, so every worker and machine shares one budget; in process memory otherwise (the demo),
by ``ProcessWindows``.

Only the decorated views pay for a limit; no other request touches the counters."""

import functools
import math
import threading
import time

from flask import Flask, current_app, request
from limits import RateLimitItem, WindowStats, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

MEMORY = "memory://"


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or MEMORY)
    uri = app.config["RATELIMIT_STORAGE_URI"]
    app.extensions["rate_limiter"] = ProcessWindows() if uri == MEMORY \
        else FixedWindowRateLimiter(storage_from_string(uri))


class ProcessWindows:
    """Fixed windows counted in this process's memory, safe under request threads (gunicorn gthread): one lock
    guards every count, and no thread is started. (The `limits` memory storage is not safe there: each count
    starts its expiry timer again from whichever request thread finds the last one finished, unsynchronised,
    so two threads can start the same timer and one of them fails with "threads can only be started once": a
    500 to a verification under load.)

    Same interface and meaning as ``FixedWindowRateLimiter``: a window opens at a client's first call and
    lasts the limit's period; a refused call is not counted."""

    SWEEP_SECONDS = 60  # how often the windows that ended are forgotten, so memory follows the clients of late

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, list] = {}  # key -> [end of the window (epoch seconds), calls counted]
        self._next_sweep = 0.0

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key, now = item.key_for(*identifiers), time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
                self._next_sweep = now + self.SWEEP_SECONDS
            window = self._windows.get(key)
            if window is None or window[0] <= now:
                window = self._windows[key] = [now + item.get_expiry(), 0]
            if window[1] + cost > item.amount:
                return False
            window[1] += cost
            return True

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        now = time.time()
        with self._lock:
            window = self._windows.get(item.key_for(*identifiers))
            if window is None or window[0] <= now:
                return WindowStats(now, item.amount)
            return WindowStats(window[0], max(0, item.amount - window[1]))


def limited(scope: str, config_key: str):
    """Allow each client address the number of calls per window that ``app.config[config_key]`` names
    (e.g. "60/minute"), across every view sharing ``scope``; beyond it, 429 with Retry-After."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            limiter: ProcessWindows | FixedWindowRateLimiter = current_app.extensions["rate_limiter"]
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
