"""Passwords, bearer tokens, login throttling and the role check every endpoint goes through."""

import copy
import functools
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from . import clock
from .errors import ApiError
from .extensions import db
from .models import LoginThrottle, User

_HASHERS = {
    "default": PasswordHasher(),  # argon2id with the library's memory-hard defaults (RFC 9106 low-memory)
    "test": PasswordHasher.from_parameters(profiles.CHEAPEST),  # only for the test suite's speed
}


def _hasher() -> PasswordHasher:
    return _HASHERS[current_app.config.get("PASSWORD_HASHER", "default")]


def _dummy_hash() -> str:
    """A hash to spend the same time on unknown usernames as on known ones."""
    name = current_app.config.get("PASSWORD_HASHER", "default")
    if name not in _DUMMY:
        _DUMMY[name] = _HASHERS[name].hash("not-a-real-password")
    return _DUMMY[name]


_DUMMY: dict[str, str] = {}

ACCOUNT_FREE_FAILURES = 5      # failures before an account is slowed down
ACCOUNT_LOCK_BASE = timedelta(seconds=30)
ACCOUNT_LOCK_MAX = timedelta(minutes=15)
CLIENT_WINDOW = timedelta(minutes=15)
CLIENT_MAX_FAILURES = 30       # failures from one address in a window before it is refused


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sathach-api-token")


def issue_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "v": user.token_version})


def user_from_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or user.token_version != data.get("v"):
        return None
    return user


def _too_many(seconds: int) -> ApiError:
    return ApiError(429, "too_many_requests", "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau.",
                    headers={"Retry-After": str(max(1, seconds))})


def authenticate(username: str, password: str, client: str) -> User:
    """Check a login. Repeated failures slow down an account (growing lock) and refuse a client address.

    :raise ApiError 429: the account is locked or the client has failed too often.
    :raise ApiError 401: wrong username or password.
    """
    now = clock.now()
    throttle = db.session.scalar(select(LoginThrottle).where(LoginThrottle.client == client))
    if throttle and throttle.window_start + CLIENT_WINDOW > now and throttle.failures >= CLIENT_MAX_FAILURES:
        raise _too_many(int((throttle.window_start + CLIENT_WINDOW - now).total_seconds()))
    user = db.session.scalar(select(User).where(User.username == username))
    if user and user.locked_until and user.locked_until > now:
        raise _too_many(int((user.locked_until - now).total_seconds()))
    if _password_ok(user, password):
        user.failed_logins = 0
        user.locked_until = None
        return user
    _record_failure(user, throttle, client, now)
    raise ApiError(401, "invalid_credentials", "Tên đăng nhập hoặc mật khẩu không đúng.")


def password_matches(user: User, password: str) -> bool:
    return _password_ok(user, password)


def _password_ok(user: User | None, password: str) -> bool:
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(user and user.active)


def _record_failure(user, throttle, client, now) -> None:
    if user is not None:
        user.failed_logins += 1
        extra = user.failed_logins - ACCOUNT_FREE_FAILURES
        if extra >= 0:
            user.locked_until = now + min(ACCOUNT_LOCK_BASE * 2**extra, ACCOUNT_LOCK_MAX)
    if throttle is None:
        db.session.add(LoginThrottle(client=client, window_start=now, failures=1))
    elif throttle.window_start + CLIENT_WINDOW <= now:
        throttle.window_start, throttle.failures = now, 1
    else:
        throttle.failures += 1
    # A failed login must be remembered even though the request answers with an error.
    db.session.commit()


def current_user() -> User | None:
    if "user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.user = user_from_token(token.strip()) if scheme.lower() == "bearer" and token else None
    return g.user


def requires(*roles: str):
    """Allow the listed roles (admin is always allowed); 401 without a valid token, 403 for other roles.
    The roles are kept on the view as ``allowed_roles`` so the access matrix can be checked against them."""
    allowed = frozenset(roles) | {"admin"}

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                raise ApiError(401, "unauthorized", "Cần đăng nhập.", headers={"WWW-Authenticate": "Bearer"})
            if user.role not in allowed:
                raise ApiError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        # Document it in OpenAPI: a bearer token, and which roles may call (the x-roles extension).
        wrapper._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual["security"] = [{"bearer": []}]
        manual["x-roles"] = sorted(allowed)
        return wrapper

    return decorator


STAFF = ("author", "reviewer", "proctor", "unit_manager")
EVERYONE = ("candidate", *STAFF)
