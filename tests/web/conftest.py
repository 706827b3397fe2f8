"""Pages in a real browser: the app over real HTTP with a worker (as tests/api does), on
SQLite, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from activities.bundle import process_activities
from api.main import create_app
from core.temporal import converter_for
from runtime.worker import build_worker
from store.db import session_factory
from tests.conftest import make_settings
from tests.support import LiveServer
from tests.workflows.fakes import FAKE_OUTSIDE

CHROMIUM = os.environ.get("LOANFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


@dataclass
class Site:
    url: str
    settings: Any


@pytest.fixture
async def site(tmp_path, sqlite_url, temporal_address, running_worker) -> AsyncIterator[Site]:
    settings = make_settings(tmp_path, sqlite_url, temporal_address)
    app = create_app(settings)
    with LiveServer(app) as server:
        client = await Client.connect(temporal_address, data_converter=converter_for(settings))
        acts = [*process_activities(session_factory(settings.db_url)), *FAKE_OUTSIDE]
        await running_worker(build_worker(client, settings, acts))
        yield Site(server.url, settings)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM} (make system-deps installs Debian's)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
