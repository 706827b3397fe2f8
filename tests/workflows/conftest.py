"""A worker of the loan process on the session's Temporal dev server, over SQLite, with
the outside systems faked (tests/workflows/fakes.py)."""

from __future__ import annotations

import pytest
from temporalio.client import Client

from activities.bundle import process_activities
from core.temporal import converter_for
from runtime.worker import build_worker
from store.db import session_factory
from tests.conftest import make_settings
from tests.support import prepare_db
from tests.workflows.fakes import FAKE_OUTSIDE


@pytest.fixture
async def env(tmp_path, sqlite_url, temporal_address, running_worker):
    settings = make_settings(tmp_path, sqlite_url, temporal_address)
    prepare_db(settings)
    client = await Client.connect(temporal_address, data_converter=converter_for(settings))
    acts = [*process_activities(session_factory(settings.db_url)), *FAKE_OUTSIDE]
    await running_worker(build_worker(client, settings, acts))
    return settings, client
