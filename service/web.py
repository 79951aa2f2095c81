"""Server-rendered pages. The verification page needs no login and works on a phone."""

from flask import Blueprint, current_app, render_template

from . import clock, verification
from .extensions import limiter

web = Blueprint("web", __name__)


def verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@web.get("/v/<path:token>")
@limiter.limit(verify_limit)
def verify_page(token):
    answer = verification.verify_token(token, clock.now().date())
    return render_template("verify.html", answer=answer), 200


@web.get("/")
def home():
    return render_template("home.html")
