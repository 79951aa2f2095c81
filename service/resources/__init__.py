"""The JSON API under /api/v1: one flask-smorest blueprint per resource."""

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from . import auth, certificates, exams, framework, health, items, verify

    for module in (health, auth, framework, items, exams, certificates, verify):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
