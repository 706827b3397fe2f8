"""Database engine and sessions (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from store import models  # noqa: F401  (registers the tables)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_db(url: str) -> Engine:
    """The database at `url`, its schema brought to the newest version (store/migrate.py)."""
    from store.migrate import migrate

    eng = engine_for(url)
    migrate(eng)
    return eng


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    with Session(engine_for(url)) as session:
        yield session


def session_factory(url: str) -> Callable[[], Session]:
    eng = engine_for(url)
    return lambda: Session(eng)
