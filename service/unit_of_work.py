"""One unit of work per request and per command (Indico's request handler): the session commits once, when the
request succeeded (a status below 400) or the command returned, and rolls back otherwise. Operations flush,
never commit.

Two ways out, each written where it applies:

- ``@own_commits`` on a route that needs more than one transaction: the attempt start commits the attempt at
  once, then counts its exposure in a second short transaction; the answer save writes in its own short
  transaction (exams.save_answer); a bulk render keeps each signed PDF as it goes. On success such a route
  has committed what it must; on an error the unit of work still rolls back.
- ``ApiError(..., keep=True)`` for a refusal that is itself a record: a failed login counts against the
  account and the address; a save refused because the attempt ran out of time closes and scores it. The work
  done before such an error is committed although the answer is an error. A page that catches an operation's
  error calls ``refused(exc)``, which undoes the work unless the error keeps it.
"""

import functools

from flask import Flask, Response, g

from .extensions import db

_OWN = "unit_of_work_own_commits"
_KEEP = "unit_of_work_keep"


def own_commits(view):
    """Mark a route that commits for itself (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        setattr(g, _OWN, True)
        return view(*args, **kwargs)

    wrapper.own_commits = True
    return wrapper


def keep() -> None:
    """Commit this request's work even though it answers with an error."""
    setattr(g, _KEEP, True)


def refused(exc) -> None:
    """A page caught an operation's error (an ApiError) and answers for itself: undo the operation's work, unless
    the error is one whose work is kept."""
    if exc.keep:
        keep()
    else:
        db.session.rollback()


def command(function):
    """The unit of work of a CLI command: commit when it returns, roll back when it raises."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return wrapper


def init_app(app: Flask) -> None:
    @app.before_request
    def begin() -> None:
        # The test suite reuses one app context (and so one `g`) across requests.
        g.pop(_OWN, None)
        g.pop(_KEEP, None)

    @app.after_request
    def end(response: Response) -> Response:
        own, kept = g.pop(_OWN, False), g.pop(_KEEP, False)
        if response.status_code >= 400 and not kept:
            db.session.rollback()
        elif not own or response.status_code >= 400:
            db.session.commit()  # a failure here is the request's: it answers 500, and nothing was acknowledged
        return response
