"""Domain errors, raised by services, and the one place they become HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Unauthenticated(DomainError):
    status = 401


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


class Unavailable(DomainError):
    status = 503


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, err: DomainError) -> JSONResponse:
        body: dict[str, Any] = {"detail": err.message}
        if err.detail is not None:
            body["errors"] = err.detail
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        return JSONResponse(body, status_code=err.status, headers=headers)
