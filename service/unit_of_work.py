"""One unit of work per request and per command (Indico's request handler): the session commits once, when the
request succeeded (a status below 400) or the command returned, and rolls back otherwise. Operations flush,
never commit.

Two ways out, each written where it applies:

- ``@own_commits`` marks a route that needs more than one transaction and commits in the middle: the attempt
  start commits the attempt at once, then counts its exposure in a second short transaction; the answer save
  writes in its own short transaction (exams.save_answer); a bulk render keeps each signed PDF as it goes.
  The unit of work still ends the request as any other (what is left is committed, or rolled back).
- ``ApiError(..., keep=True)`` for a refusal that is itself a record: a failed login counts against the
  account and the address; a save refused because the attempt ran out of time closes and scores it. The work
  done before such an error is committed although the answer is an error. A page that catches an operation's
  error calls ``refused(exc)``, which undoes the work unless the error keeps it.
"""

import functools

from flask import Flask, Response, g

from .extensions import db

_KEEP = "unit_of_work_keep"


def own_commits(view):
    """Mark a route that commits by hand in the middle of its request (see the module's docstring); the mark is
    where a reader, and the test that counts hand-written commits, look for it."""
    view.own_commits = True
    return view


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
        g.pop(_KEEP, None)  # the test suite reuses one app context (and so one `g`) across requests

    @app.after_request
    def end(response: Response) -> Response:
        if response.status_code < 400 or g.pop(_KEEP, False):
            db.session.commit()  # a failure here is the request's: it answers 500, and nothing was acknowledged
        else:
            db.session.rollback()
        return response
