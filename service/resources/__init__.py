"""The JSON API under /api/v1: one flask-smorest blueprint per resource."""

import flask_smorest
from flask_smorest import Api
from webargs.flaskparser import FlaskParser, abort
from werkzeug.datastructures import CombinedMultiDict

INVALID_JSON = "Nội dung gửi lên không phải JSON hợp lệ."


class Parser(FlaskParser):
    """webargs' parser with its own messages in Vietnamese (the schemas' are in service/schemas/base.py)."""

    DEFAULT_VALIDATION_MESSAGE = "Giá trị không hợp lệ."
    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        """A multipart form's files and fields as one location, so that one schema loads and documents both."""
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, exc=error, messages={"json": [INVALID_JSON]})


class Blueprint(flask_smorest.Blueprint):
    """A resource's blueprint: its arguments are parsed by `Parser` (flask-smorest's way to change the parser)."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}


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
