"""Record the event history of every path of every shipped diagram, for replay in CI.

Run after changing a diagram or the workflow on purpose:
    .venv/bin/python -m tools.record_histories
It uses the real dev server: the time-skipping test server records Updates in a way the
SDK's replayer does not accept, so its histories are no use here."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from temporalio.client import Client

from activities.bundle import process_activities
from core.temporal import converter_for
from runtime.devserver import free_port, start_dev_server
from runtime.worker import build_worker
from store.db import session_factory
from tests.conftest import make_settings
from tests.support import prepare_db, start_application
from tests.workflows.fakes import FAKE_OUTSIDE
from tests.workflows.scenarios import SCENARIOS

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "histories"


async def record(only: set[str]) -> None:
    tmp = Path(tempfile.mkdtemp())
    port = free_port()
    server = start_dev_server(None, port)
    settings = make_settings(tmp, f"sqlite:///{tmp / 'db.sqlite'}", f"127.0.0.1:{port}")
    prepare_db(settings)
    try:
        client = await Client.connect(settings.temporal_address,
                                      data_converter=converter_for(settings))
        acts = [*process_activities(session_factory(settings.db_url)), *FAKE_OUTSIDE]
        async with build_worker(client, settings, acts):
            for name, (app, driver, expected) in SCENARIOS.items():
                if only and name not in only:
                    continue
                handle = await start_application(client, settings, app)
                try:
                    await driver(handle, asyncio.sleep)
                except Exception as err:
                    raise SystemExit(f"{name}: {err} {getattr(err, 'cause', None)!r}") from err
                result = await handle.result()
                if result.status != expected:
                    raise SystemExit(f"{name}: ended {result.status}, expected {expected}")
                history = await handle.fetch_history()
                # The workflow id is part of the record: task ids are built from it, and
                # the replayed Updates name those tasks.
                doc = {"workflow_id": handle.id, "history": json.loads(history.to_json())}
                (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1))
                print(f"recorded {name}: {len(history.events)} events, {result.status}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    asyncio.run(record(set(sys.argv[1:])))
