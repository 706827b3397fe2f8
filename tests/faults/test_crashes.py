"""Kill -9 the worker, or stop the Temporal server, with applications in flight: every
application finishes, none is paid twice, no decision is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from temporalio.client import Client

from core.temporal import converter_for
from runtime.devserver import free_port, start_dev_server
from store.db import engine_for
from store.models import DecisionRecord, Disbursement
from tests.conftest import TEST_KEY, make_settings
from tests.support import prepare_db, sample_application, start_application

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent.parent
N = 8


def spawn_worker(settings, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOANFLOW_DATABASE_URL": settings.database_url,
           "LOANFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
           "LOANFLOW_TASK_QUEUE": settings.task_queue, "LOANFLOW_PAYLOAD_KEYS": TEST_KEY,
           "LOANFLOW_DATA_DIR": str(settings.data_dir), "SLOW_SCORE_SECONDS": "4"}
    return subprocess.Popen([sys.executable, "-m", "tests.faults.worker_main"], cwd=ROOT, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


def paid_count(settings) -> int:
    with Session(engine_for(settings.db_url)) as s:
        return len(s.exec(select(Disbursement.application_id)).all())


def assert_each_paid_once(settings, app_ids: list[str]) -> None:
    with Session(engine_for(settings.db_url)) as s:
        paid = s.exec(select(Disbursement.application_id)).all()
        assert sorted(paid) == sorted(app_ids)  # each approved application paid exactly once
        per_app = dict(s.exec(select(DecisionRecord.application_id, func.count())
                              .where(DecisionRecord.kind == "process")
                              .group_by(DecisionRecord.application_id)).all())
        assert per_app == {a: 1 for a in app_ids}  # one final decision each, none lost


async def _start_all(client, settings) -> list:
    return [await start_application(client, settings, sample_application(amount=8_000 + i))
            for i in range(N)]


async def test_worker_killed_mid_flight(tmp_path, temporal_address):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", temporal_address)
    prepare_db(settings)
    client = await Client.connect(temporal_address, data_converter=converter_for(settings))
    worker = spawn_worker(settings, tmp_path / "worker1.log")
    handles = await _start_all(client, settings)
    await asyncio.sleep(2.5)  # they are being scored (4 s each) when the worker dies
    kill(worker)
    assert paid_count(settings) < N, "nothing was in flight when the worker died"
    worker = spawn_worker(settings, tmp_path / "worker2.log")
    try:
        results = [await asyncio.wait_for(h.result(), 120) for h in handles]
    finally:
        kill(worker, signal.SIGTERM)
    assert [r.status for r in results] == ["approved"] * N
    assert_each_paid_once(settings, [r.application_id for r in results])


async def test_temporal_server_restarted_mid_flight(tmp_path):
    port = free_port()
    db = tmp_path / "temporal.db"
    server = start_dev_server(db, port, log=tmp_path / "server.log")
    address = f"127.0.0.1:{port}"
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", address)
    prepare_db(settings)
    worker = spawn_worker(settings, tmp_path / "worker.log")
    try:
        client = await Client.connect(address, data_converter=converter_for(settings))
        handles = await _start_all(client, settings)
        await asyncio.sleep(3)
        kill(server, signal.SIGTERM)
        assert paid_count(settings) < N, "nothing was in flight when the server stopped"
        await asyncio.sleep(2)  # the server is gone; the worker keeps retrying
        server = start_dev_server(db, port, log=tmp_path / "server.log")
        client = await Client.connect(address, data_converter=converter_for(settings))
        results = [await asyncio.wait_for(client.get_workflow_handle(h.id).result(), 180)
                   for h in handles]
    finally:
        kill(worker, signal.SIGTERM)
        kill(server, signal.SIGTERM)
    assert [r["status"] if isinstance(r, dict) else r.status for r in results] == ["approved"] * N
    assert_each_paid_once(settings, [h.id.removeprefix("application-") for h in handles])
