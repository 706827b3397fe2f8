"""Shared fixtures: a real Temporal dev server, a real database per test (SQLite, and
PostgreSQL where the test asks for it), a worker on its own task queue."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from core.settings import Settings
from runtime.devserver import free_port, start_dev_server

PG_ADMIN = os.environ.get("LOANFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
TEST_KEY = "test:" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("temporal") / "server.log"
    proc = start_dev_server(None, port, log=log)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not _pg_available():
        if os.environ.get("LOANFLOW_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required and unreachable at {PG_ADMIN}")
        pytest.skip("no PostgreSQL here (CI sets LOANFLOW_REQUIRE_POSTGRES)")
    name = f"loanflow_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    url = f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    yield url
    from store.db import engine_for

    engine_for(url).dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'loanflow.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'loanflow.db'}"


def make_settings(tmp_path: Path, db: str, temporal: str, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=db, temporal_address=temporal,
        task_queue=f"test-{uuid.uuid4().hex[:8]}", payload_keys=TEST_KEY,
        jwt_secret="test-secret-" + "x" * 32, **extra,
    )


@pytest.fixture
async def running_worker() -> AsyncIterator[Callable[..., Any]]:
    """Start workers for a test; all stop when it ends."""
    tasks: list[asyncio.Task[None]] = []
    workers: list[Any] = []

    async def start(worker: Any) -> Any:
        workers.append(worker)
        tasks.append(asyncio.create_task(worker.run()))
        return worker

    yield start
    for w in workers:
        await w.shutdown()
    for t in tasks:
        try:
            await asyncio.wait_for(t, 10)
        except (asyncio.CancelledError, TimeoutError, Exception):
            pass
