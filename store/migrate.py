"""The database schema's versions, kept by alembic (store/migrations/versions/).

`migrate` brings a database to the newest version and is what `init_db` runs: a new
database gets the tables in one go and is stamped at the newest version; one made before
migrations existed (the tables, no version) is taken to be at the first version, the
schema it was made with, and upgraded from there; any other is upgraded. Two processes
starting at once (the API and the worker) take turns: a lock (PostgreSQL's advisory lock,
a lock file beside a SQLite database) is held while the version is read and moved.

A change to store/models.py comes with a migration:
    .venv/bin/python -m store.migrate revision "what changed"
writes one (alembic's autogenerate, against a scratch database at the newest version), to
be read and corrected by hand; tests/store/test_migrations.py fails until it matches."""

from __future__ import annotations

import fcntl
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlmodel import SQLModel

from store import models  # noqa: F401  (registers the tables)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST = "0001"  # the schema as it was when migrations began
_PG_LOCK = 0x6C6F616E  # "loan": the advisory lock's key


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def current(connection: Connection) -> str | None:
    rev: str | None = MigrationContext.configure(connection).get_current_revision()
    return rev


def migrate(engine: Engine) -> str:
    """Bring the database to the newest schema version; returns it."""
    with _turn(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        at = current(conn)
        if at == head():
            return at
        cfg = config(conn)
        if at is None:
            ours = set(SQLModel.metadata.tables)
            if not ours & set(inspect(conn).get_table_names()):
                SQLModel.metadata.create_all(conn)  # new: the newest schema at once
                command.stamp(cfg, "head")
                return head()
            command.stamp(cfg, FIRST)
        command.upgrade(cfg, "head")
    return head()


@contextmanager
def _turn(engine: Engine) -> Iterator[None]:
    """SQLite has no advisory lock: a lock file next to the database stands in."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def revision(message: str) -> None:
    """Write a migration for what store/models.py has and the newest version has not."""
    with tempfile.TemporaryDirectory() as tmp:
        eng = create_engine(f"sqlite:///{tmp}/scratch.db")
        with eng.begin() as conn:
            command.upgrade(config(conn), "head")
        with eng.begin() as conn:
            if not compare_metadata(MigrationContext.configure(conn), SQLModel.metadata):
                eng.dispose()
                raise SystemExit("store/models.py matches the newest version: nothing to write")
            number = f"{int(head()) + 1:04d}"
            command.revision(config(conn), message=message, autogenerate=True, rev_id=number)
        eng.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        raise SystemExit('usage: python -m store.migrate revision "what changed"')
    revision(sys.argv[2])
