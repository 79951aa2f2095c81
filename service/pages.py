"""What the server-rendered pages share: who is signed in, the guard every page goes through, running a form's
operation, and showing a schema's or an operation's errors beside a form's fields.

The pages call the operations the API calls and load their forms with the API's schemas (service/schemas/), so
a rule and its Vietnamese message are written once; they never import the API's resources."""

import unicodedata
from functools import wraps

from flask import abort, flash, g, redirect, request, session, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from .auth import web_session_user
from .errors import ApiError
from .extensions import db
from .models import Audience, User
from .schemas.base import PageArgs
from .unit_of_work import refused

FORM_INVALID = "Thông tin chưa hợp lệ, xem các ô được đánh dấu."
SESSION_KEY = "sid"  # the cookie's entry that names the server-side session
ROLE_LABELS = {"candidate": "Thí sinh", "author": "Tác giả câu hỏi", "reviewer": "Người kiểm duyệt",
               "proctor": "Giám thị", "unit_manager": "Quản lý đơn vị", "admin": "Quản trị"}


# -- signing in and the guard -------------------------------------------------------------------------------


def signed_in_user() -> User | None:
    """The account of this browser's server-side session (service/auth.py), if it is still open."""
    if "web_user" not in g:
        g.web_user = web_session_user(session.get(SESSION_KEY))
    return g.web_user


def page_for(roles: set[str]):
    """A page for signed-in users with one of `roles`: others are sent to sign in (none) or refused (403).
    The view receives the user as its first argument."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = signed_in_user()
            if user is None:
                return redirect(url_for("web.sign_in", next=request.path))
            if user.role not in roles:
                abort(403)
            return view(user, *args, **kwargs)

        wrapper.allowed_roles = roles
        return wrapper

    return decorator


candidate_page = page_for({"candidate"})


def staff_page(*roles: str):
    """A staff page for `roles`; admins may open every one."""
    return page_for(set(roles) | {"admin"})


def home_of(user: User) -> str:
    return url_for("web.candidate_home" if user.role == "candidate" else "staff.home")


# -- forms --------------------------------------------------------------------------------------------------


def act(operation, success: str) -> None:
    """Run an operation from a form and flash `success`, or undo it and flash its error. (The request's unit of
    work commits.)"""
    try:
        operation()
    except ApiError as exc:
        refused(exc)
        flash(exc.message)
    else:
        flash(success)


def page_number() -> int:
    """The `page` argument of a list, bounded as the API's lists bound it. :raise 400: not a page number."""
    try:
        return PageArgs().load({"page": request.args.get("page", "1")})["page"]
    except ValidationError:
        abort(400)


def typed(name: str) -> str:
    """A text field of the posted form as typed, trimmed and in NFC."""
    return unicodedata.normalize("NFC", request.form.get(name, "").strip())


def confirmed() -> bool:
    """Whether the form was posted from its confirmation page (the page that says what the action will do)."""
    return request.form.get("confirmed") == "1"


def form_errors(exc: ApiError) -> dict[str, list[str]]:
    """An operation's errors by form field, its message under "_form"."""
    return {**field_errors(exc.errors or {}), "_form": [exc.message]}


def field_errors(messages: dict, entry: str | None = None) -> dict[str, list[str]]:
    """Errors by field, each a flat list without repeats. A list field's errors come by position; with `entry`
    ("Phương án") each says which entry it is about ("Phương án 2: …")."""
    errors = {}
    for name, found in messages.items():
        if isinstance(found, dict):
            texts = [f"{entry} {int(position) + 1}: {text}" if entry else text
                     for position, inner in found.items() for text in _flat(inner)]
        else:
            texts = _flat(found)
        errors[name] = list(dict.fromkeys(texts))
    return errors


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [text for inner in messages.values() for text in _flat(inner)]
    return list(messages) if isinstance(messages, list) else [messages]


def load_form(schema: Schema, data: dict, worded: dict[str, str] | None = None) -> dict:
    """`data` loaded through the API's `schema`. Where the form asks for a field its own way (a local time for
    an ISO one), `worded` says what to show for the field's own messages (missing, not valid); the messages of
    the schema's rules across fields are kept.

    :raise ApiError 422: the schema's errors by field.
    """
    try:
        return schema.load(data)
    except ValidationError as exc:
        errors = field_errors(exc.messages)
        for name, text in (worded or {}).items():
            own = set(schema.fields[name].error_messages.values())
            if name in errors:
                errors[name] = list(dict.fromkeys(text if message in own else message for message in errors[name]))
        raise ApiError(422, "validation_error", FORM_INVALID, errors) from exc


def audience_names() -> dict[str, str]:
    """Each audience's name by its code, to show people's audiences."""
    return dict(db.session.execute(select(Audience.code, Audience.name)).all())

