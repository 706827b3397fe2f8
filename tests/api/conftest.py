from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from activities.bundle import process_activities
from activities.documents import DocumentActivities
from api.main import create_app
from core.codec import secret_file
from core.temporal import converter_for
from runtime.worker import build_worker
from store.db import session_factory
from store.documents import SqlDocumentStore
from tests.conftest import make_settings
from tests.support import LiveServer
from tests.workflows.fakes import FAKE_OUTSIDE
from verification.documents import TesseractOcr


class Api:
    def __init__(self, http: httpx.AsyncClient, settings: Any) -> None:
        self.http = http
        self.settings = settings
        self.tokens: dict[str, str] = {}

    async def login(self, user: str, password: str = "demo") -> dict[str, str]:
        if user not in self.tokens:
            r = await self.http.post("/api/auth/token",
                                     data={"username": user, "password": password})
            assert r.status_code == 200, r.text
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def as_(self, user: str, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**kw.pop("headers", {}), **await self.login(user)}
        return await self.http.request(method, url, headers=headers, **kw)


@pytest.fixture
async def api(tmp_path, db_url, temporal_address, running_worker) -> AsyncIterator[Api]:
    """The API over real HTTP, a worker, a real database (SQLite and PostgreSQL)."""
    settings = make_settings(tmp_path, db_url, temporal_address)
    app = create_app(settings)
    with LiveServer(app) as server:
        client = await Client.connect(temporal_address, data_converter=converter_for(settings))
        acts = [*process_activities(session_factory(settings.db_url)),
                *[a for a in FAKE_OUTSIDE if a.__name__ != "read_documents"]]
        # The real document reader on the store the API writes to (the same key file).
        store = SqlDocumentStore(session_factory(settings.db_url),
                                 secret_file(settings.data_dir / "documents.key"))
        acts.append(DocumentActivities(store, TesseractOcr()).read_documents)
        await running_worker(build_worker(client, settings, acts))
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield Api(http, settings)
