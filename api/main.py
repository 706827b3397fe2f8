"""The API (and the pages served with it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from temporalio.client import Client

from api import errors
from api.applications.router import router as applications_router
from api.approvers.router import router as approvers_router
from api.auth.router import router as auth_router
from api.documents.router import router as documents_router
from api.models.router import router as models_router
from api.processes.router import router as processes_router
from api.tasks.router import alerts_router
from api.tasks.router import router as tasks_router
from core.settings import Settings, get_settings
from core.temporal import connect
from store.accounts import seed_demo_users
from store.db import init_db
from store.definitions import deploy_shipped
from web.pages import STATIC_DIR
from web.pages import router as pages_router


def prepare_database(settings: Settings) -> None:
    """Tables, shipped diagrams and (dev mode) demo accounts: idempotent."""
    eng = init_db(settings.db_url)
    with Session(eng) as s:
        deploy_shipped(s)
        seed_demo_users(s, settings.mode)


def create_app(settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg = settings or get_settings()
        prepare_database(cfg)

        async def _connect() -> Client:
            return await connect(cfg)

        app.state.temporal_connect = _connect
        try:
            app.state.temporal = await _connect()
        except Exception:  # connect lazily on first use; pages still work meanwhile
            app.state.temporal = None
        yield

    app = FastAPI(title="loanflow", version="0.1.0", lifespan=lifespan)
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    errors.install(app)
    app.include_router(auth_router)
    app.include_router(applications_router)
    app.include_router(tasks_router)
    app.include_router(alerts_router)
    app.include_router(processes_router)
    app.include_router(documents_router)
    app.include_router(models_router)
    app.include_router(approvers_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
