"""Files sent to the service: the one check that a multipart upload is there."""

from flask import request
from werkzeug.datastructures import FileStorage

from .errors import ApiError
from .schemas.base import REQUIRED


def uploaded_file(message: str = "Cần gửi tệp trong trường `file`.") -> FileStorage:
    """The multipart field `file`. :raise ApiError 422: none was sent."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(422, "validation_error", message, {"file": [REQUIRED]})
    return upload
