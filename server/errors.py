"""One JSON error shape for every failure: ``{"ok": false, "error": str, "status": int}``."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

__all__ = ["ApiError", "error_body", "init_app"]


class ApiError(Exception):
    """An error the client can act on; carries its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str) -> dict:
    return {"ok": False, "error": message, "status": status}


def _response(status: int, message: str):
    response = jsonify(error_body(status, message))
    response.status_code = status
    return response


def init_app(app) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return _response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        messages = {
            404: "not found",
            405: "method not allowed",
            413: f"request body larger than the limit of {app.config['MAX_CONTENT_LENGTH']} bytes",
            429: f"rate limit exceeded ({error.description}); wait and retry",
        }
        response = _response(error.code or 500, messages.get(error.code, error.description or error.name))
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        # Never leak a traceback or stored text to the client; the log has it.
        app.logger.exception("unhandled error")
        return _response(500, "internal server error")
