"""Canvas-shaped error responses.

Canvas answers most failures with ``{"errors": [{"message": ...}]}``; validation failures on a
model carry ``{"errors": {field: [{"attribute", "type", "message"}]}}``. ``canvasapi`` maps the
status codes (400, 401 with or without ``WWW-Authenticate``, 404, 409, 422, 429) to exceptions,
and reads 401 bodies as JSON, so every error here is JSON.

Where 409 and 422 come from in real Canvas (canvas-lms ``ApplicationController#
rescue_action_in_api`` / ``api_error_json``): controllers mostly answer their own validation
failures with 400, and the two statuses only appear when an exception escapes to the
application-wide handler, which uses Rails' ``rescue_responses``:
``ActiveRecord::RecordInvalid`` (a ``save!`` that fails validation) → **422** with
``Api::Errors::Reporter.to_hash(record.errors)``, i.e. ``{"errors": {attr: [{attribute, type,
message}]}}``; ``ActiveRecord::StaleObjectError`` → **409** with ``{"errors": [{"message":
"An error occurred.", "error_code": "conflict"}]}``. :func:`record_invalid` renders the
first; none of the endpoints simulated here has a path to the second in Canvas (SIS imports and
content migrations queue behind a running one instead of refusing), so the simulator never
answers 409.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

NOT_FOUND_MESSAGE = "The specified resource does not exist."


class CanvasError(Exception):
    """An error answered with a Canvas-shaped JSON body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def message_error(status: int, message: str, **extra: Any) -> CanvasError:
    """The common ``{"errors": [{"message": ...}]}`` error."""
    return CanvasError(status, {"errors": [{"message": message}], **extra})


def not_found() -> CanvasError:
    """Canvas's 404 for an unknown object or route."""
    return message_error(404, NOT_FOUND_MESSAGE)


def bad_request(message: str) -> CanvasError:
    """A 400 for a parameter Canvas would reject."""
    return message_error(400, message)


def field_error(
    status: int, path: list[str], attribute: str, kind: str, message: str
) -> CanvasError:
    """A model validation error nested under ``errors`` as Canvas renders ActiveRecord errors."""
    body: dict[str, Any] = {attribute: [{"attribute": attribute, "type": kind, "message": message}]}
    for key in reversed(path):
        body = {key: body}
    return CanvasError(status, {"errors": body})


def record_invalid(attribute: str, kind: str, message: str) -> CanvasError:
    """422: a model's ``save!`` failed validation and nothing in the controller rescued it."""
    return field_error(422, [], attribute, kind, message)


def unauthenticated(invalid: bool) -> CanvasError:
    """A 401 with ``WWW-Authenticate``, which canvasapi turns into InvalidAccessToken."""
    message = "Invalid access token." if invalid else "user authorization required"
    return CanvasError(
        401,
        {"errors": [{"message": message}], "status": "unauthenticated"},
        {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
    )


def install(app: FastAPI) -> None:
    """Render simulator, routing and validation errors the way Canvas does."""

    async def canvas_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CanvasError)
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return JSONResponse(not_found().body, status_code=404)
        return JSONResponse({"errors": [{"message": str(exc.detail)}]}, status_code=exc.status_code)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        messages = [
            {"message": f"{'.'.join(map(str, e['loc']))}: {e['msg']}"} for e in exc.errors()
        ]
        return JSONResponse({"errors": messages}, status_code=400)

    app.add_exception_handler(CanvasError, canvas_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
