"""The JSON API under /api/v1: one flask-smorest blueprint per resource."""

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from ..extensions import csrf
    from . import (
        audit,
        auth,
        certificates,
        exams,
        framework,
        health,
        items,
        reports,
        standard_settings,
        units,
        users,
        verify,
    )

    for module in (health, auth, framework, items, exams, certificates, verify, units, users, reports, audit,
                   standard_settings):
        csrf.exempt(module.blp)  # bearer tokens are not sent by browsers on their own: no CSRF to fear
        api.register_blueprint(module.blp, url_prefix="/api/v1")
