"""The JSON API under /api/v1: one flask-smorest blueprint per resource."""

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from . import auth, exams, framework, health, items

    for module in (health, auth, framework, items, exams):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
