"""Passwords, bearer tokens, the web pages' sessions, login throttling and the role check every endpoint goes
through."""

import copy
import dataclasses
import functools
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select

from . import clock
from .errors import ApiError
from .extensions import db
from .models import LoginThrottle, User, WebSession

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
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    """One serializer per secret (building one costs more than checking a token with it)."""
    return URLSafeTimedSerializer(secret_key, salt="sathach-api-token")


def issue_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "v": user.token_version, "r": user.role})


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who a request says it comes from (a bearer token or a web session), as signed: whether the account
    still accepts it (active, same token version) is a database question, answered by ``accepts``."""

    user_id: int
    version: int
    role: str


def identity_from_token(token: str) -> Identity | None:
    """The token's signed identity if the signature holds and the token has not expired (no database read)."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("v"), int) \
            or not isinstance(data.get("r"), str):
        return None
    return Identity(data["u"], data["v"], data["r"])


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
    # A failed login must be remembered although the request answers with an error.
    raise ApiError(401, "invalid_credentials", "Tên đăng nhập hoặc mật khẩu không đúng.", keep=True)


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
    db.session.flush()


# -- the web pages' sessions ---------------------------------------------------------------------------


def _key_sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open_web_session(user: User) -> str:
    """A new server-side session for `user`, valid as long as an API token; returns the key its cookie carries.
    The account's expired sessions are cleared on the way."""
    now = clock.now()
    db.session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now))
    key = secrets.token_urlsafe(32)
    db.session.add(WebSession(key_sha256=_key_sha256(key), user_id=user.id, created_at=now,
                              expires_at=now + timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"])))
    db.session.flush()
    return key


def web_session_user(key: object) -> User | None:
    """The active account whose unexpired session has this key, or None."""
    if not isinstance(key, str) or not key:
        return None
    return db.session.scalar(select(User).join(WebSession, WebSession.user_id == User.id).where(
        WebSession.key_sha256 == _key_sha256(key), WebSession.expires_at > clock.now(), User.active))


def end_web_session(key: object) -> None:
    """Sign one browser out: its session record is deleted, whoever holds a copy of the cookie."""
    if isinstance(key, str) and key:
        db.session.execute(delete(WebSession).where(WebSession.key_sha256 == _key_sha256(key)))


def end_every_session(user: User) -> None:
    """Sign the account out everywhere: every web session is deleted and every bearer token stops working."""
    user.token_version += 1
    db.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    db.session.flush()


def bearer_identity() -> Identity | None:
    if "identity" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.identity = identity_from_token(token.strip()) if scheme.lower() == "bearer" and token else None
    return g.identity


def accepts(user: User | None, identity: Identity) -> bool:
    """Whether the account still accepts what the token says (exists, active, same token version)."""
    return user is not None and user.active and user.token_version == identity.version


def current_user() -> User | None:
    if "user" not in g:
        identity = bearer_identity()
        user = db.session.get(User, identity.user_id) if identity else None
        g.user = user if identity and accepts(user, identity) else None
    return g.user


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "Cần đăng nhập.", headers={"WWW-Authenticate": "Bearer"})


def _forbidden() -> ApiError:
    return ApiError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")


def _check_access(allowed: frozenset[str]) -> User:
    user = current_user()
    if user is None:
        raise unauthorized()
    if user.role not in allowed:
        raise _forbidden()
    return user


def requires(*roles: str, account_in_query: bool = False):
    """Allow the listed roles (admin is always allowed); 401 without a valid token, 403 for other roles.
    The roles are kept on the view as ``allowed_roles`` so the access matrix can be checked against them.

    With ``account_in_query`` only the token is checked here (signature, expiry, the role it was issued
    for): the view's own query must match the account itself (id, token version, active, role) and answer
    401 when the account no longer accepts the token. The answer save uses this to need no user lookup."""
    allowed = frozenset(roles) | {"admin"}

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if account_in_query:
                identity = bearer_identity()
                if identity is None:
                    raise unauthorized()
                if identity.role not in allowed:
                    raise _forbidden()
            else:
                _check_access(allowed)
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
