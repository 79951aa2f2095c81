"""One JSON error shape for everything under /api/:
``{"code": "<machine code>", "status": <http status>, "message": "<Vietnamese text>", "errors": {field: [..]}}``."""

from flask import Flask, jsonify, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from . import unit_of_work

MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Cần đăng nhập."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    409: ("conflict", "Xung đột trạng thái."),
    413: ("payload_too_large", "Dữ liệu gửi lên quá lớn."),
    415: ("unsupported_media_type", "Kiểu dữ liệu không được hỗ trợ."),
    422: ("validation_error", "Dữ liệu không hợp lệ."),
    429: ("too_many_requests", "Quá nhiều yêu cầu, vui lòng thử lại sau."),
    500: ("internal_error", "Lỗi hệ thống."),
    503: ("service_unavailable", "Dịch vụ tạm thời không truy cập được cơ sở dữ liệu, vui lòng thử lại sau ít phút."),
}

RETRY_AFTER_SECONDS = "5"  # a database restart or fail-over takes seconds; clients retry then


class ApiError(Exception):
    """A domain or request error with its HTTP status and machine-readable code. With `keep` the work done before
    it is committed all the same: the refusal is itself a record (service/unit_of_work.py)."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None, headers=None, *,
                 keep: bool = False):
        super().__init__(message)
        self.status, self.code, self.message, self.errors, self.headers = status, code, message, errors, headers
        self.keep = keep


def not_found(what: str = "Không tìm thấy.") -> ApiError:
    return ApiError(404, "not_found", what)


def get_or_404(model, ident, what: str):
    """The row with this primary key. :raise ApiError 404: with `what` as the message."""
    from .extensions import db

    row = db.session.get(model, ident)
    if row is None:
        raise not_found(what)
    return row


def error_body(status: int, code: str | None = None, message: str | None = None, errors=None) -> dict:
    default_code, default_message = MESSAGES.get(status, ("error", "Lỗi."))
    body = {"code": code or default_code, "status": status, "message": message or default_message}
    if errors:
        body["errors"] = errors
    return body


def _validation_errors(exc: HTTPException):
    """webargs puts marshmallow's messages under exc.data["messages"][location]; flatten the location."""
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not isinstance(messages, dict):
        return None
    flat = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat or messages


def _kept_headers(exc: HTTPException) -> dict:
    """The headers of an HTTP error that its answer must keep, page or JSON: when to retry (429, 503) and which
    methods are allowed (405)."""
    return {name: value for name, value in exc.get_headers() if name.lower() in ("retry-after", "allow")}


def html_error(status: int, exc: HTTPException | None = None, headers: dict | None = None,
               message: str | None = None):
    """A Vietnamese error page for the web pages (the API always answers JSON); `message` says what went wrong
    when the status alone does not."""
    from flask import render_template

    body = render_template("error.html", status=status,
                           message=message or MESSAGES.get(status, ("error", "Lỗi."))[1])
    return body, status, {**(headers or {}), **(_kept_headers(exc) if exc is not None else {})}


def database_unreachable(exc: Exception) -> bool:
    """Whether a database error means the database cannot be reached (down, restarting, connection
    dropped), as opposed to a fault in the statement."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def register_error_handlers(app: Flask) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        if exc.keep:
            unit_of_work.keep()
        if not wants_json():  # an operation a page called refused: its message on the error page
            return html_error(exc.status, headers=exc.headers, message=exc.message)
        response = jsonify(error_body(exc.status, exc.code, exc.message, exc.errors))
        response.status_code = exc.status
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        if not wants_json():
            return html_error(status, exc)
        errors = _validation_errors(exc) if status in (400, 422) else None
        message = None
        if status == 429:
            message = MESSAGES[429][1]
        response = jsonify(error_body(status, message=message, errors=errors))
        response.status_code = status
        response.headers.update(_kept_headers(exc))
        for name, value in ((getattr(exc, "data", None) or {}).get("headers") or {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(DBAPIError)
    def handle_database_error(exc: DBAPIError):
        if not database_unreachable(exc):
            return handle_unexpected(exc)
        app.logger.warning("database unreachable: %s", exc.__class__.__name__)
        return database_unavailable()

    @app.errorhandler(PoolTimeout)
    def handle_pool_exhausted(exc: PoolTimeout):
        # Every connection of the process's pool stayed busy for the pool's whole timeout: the database is out
        # of reach for this request as surely as if it were down (and this error is no DBAPIError).
        app.logger.warning("database pool exhausted: %s", exc)
        return database_unavailable()

    def database_unavailable():
        from .extensions import db

        db.session.rollback()  # the connection is gone, or was never had; the next request checks out a fresh one
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        if not wants_json():
            # The page is rendered without touching the database (no signed-in user is looked up).
            return html_error(503, headers=headers)
        response = jsonify(error_body(503))
        response.status_code = 503
        response.headers.update(headers)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        if not wants_json():
            return html_error(500)
        response = jsonify(error_body(500))
        response.status_code = 500
        return response
