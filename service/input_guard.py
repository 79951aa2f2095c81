"""Input the database must never see, refused at the door with a clear error.

- Path ids: Flask's ``int`` converter accepts any number of digits, and an id beyond a 32-bit integer made
  PostgreSQL fail the query. ``BoundedInt`` matches only 1..2³¹−1, so a larger id finds no route (404),
  and the OpenAPI document says so.
- Control characters: PostgreSQL refuses text with NUL; other C0 controls in a name or a stem are never
  meant. Any in the path, the query, a form field or a JSON string (keys included) answers 422 (API) or
  400 (pages) before a view runs. Tab, line feed and carriage return are text. Uploaded files are data,
  not text, and are parsed by their own readers."""

import re

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from .errors import ApiError

INT_MAX = 2**31 - 1  # PostgreSQL's integer
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BoundedInt(IntegerConverter):
    """``<int:…>`` limited to what an integer column holds."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def bounded_int_schema(converter):
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


def _strings(value, where: str):
    """(place, text) for every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, element in enumerate(value):
            yield from _strings(element, f"{where}[{index}]" if where else str(index))
    elif isinstance(value, dict):
        for key, element in value.items():
            place = f"{where}.{key}" if where else str(key)
            yield place, str(key)
            yield from _strings(element, place)


def _offending_field() -> str | None:
    if _CONTROL.search(request.path):
        return "path"
    for source in (request.args, request.form):
        for name, text in source.items(multi=True):
            if name is None:  # a multipart part whose name werkzeug could not read: it held a line break
                return "form"
            if _CONTROL.search(name) or _CONTROL.search(text):
                return name
    if request.is_json:
        for place, text in _strings(request.get_json(silent=True), ""):
            if _CONTROL.search(text):
                return place or "body"
    return None


def init_app(app: Flask, api) -> None:
    app.url_map.converters["int"] = BoundedInt
    api.register_converter(BoundedInt, bounded_int_schema)

    @app.before_request
    def refuse_control_characters():
        field = _offending_field()
        if field is None:
            return None
        if request.path.startswith("/api/"):
            raise ApiError(422, "validation_error", "Dữ liệu không hợp lệ.",
                           {field: ["Không được chứa ký tự điều khiển (ví dụ ký tự NUL)."]})
        abort(400)
