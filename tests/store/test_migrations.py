"""The schema's versions: the migrations build what store/models.py declares, a new
database starts at the newest version, one made before migrations existed is adopted
with its rows, and API and worker starting together do not trip over each other."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, Table, create_engine, insert, inspect, text
from sqlmodel import Session, SQLModel, select

from store.db import engine_for, init_db
from store.migrate import FIRST, config, current, head
from store.models import User


def _filler(column: Column[Any]) -> Any:
    """A value for a required column of the first version's schema, read off the table."""
    kind = column.type.python_type
    return {str: "-", int: 0, float: 0.0, bool: False,
            dt.datetime: dt.datetime(2026, 1, 5, tzinfo=dt.UTC)}[kind]


def test_the_migrations_build_the_schema_the_models_declare(db_url: str) -> None:
    eng = create_engine(db_url)
    with eng.begin() as conn:
        command.upgrade(config(conn), "head")  # migrations alone, no create_all
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata)
        assert current(conn) == head()
    eng.dispose()
    # A model changed without a migration shows here: write one with
    # `python -m store.migrate revision "..."`.
    assert diff == [], diff


def test_a_new_database_starts_at_the_newest_version(db_url: str) -> None:
    eng = init_db(db_url)
    with eng.connect() as conn:
        assert current(conn) == head()
        assert set(SQLModel.metadata.tables) <= set(inspect(conn).get_table_names())
    init_db(db_url)  # again: nothing to do
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_a_database_from_before_migrations_is_adopted_with_its_rows(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    # Until migrations, the tables were made by create_all from the models of the day:
    # the first version's schema, with no version table.
    with eng.begin() as conn:
        command.upgrade(config(conn), FIRST)
        conn.execute(text("DROP TABLE alembic_version"))
        users = Table("users", MetaData(), autoload_with=conn)
        conn.execute(insert(users).values(
            {**{c.name: _filler(c) for c in users.columns if not c.nullable
                and not c.primary_key}, "username": "alice"}))
    init_db(sqlite_url)
    with eng.connect() as conn:
        assert current(conn) == head()
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [v for (v,) in versions] == [head()]
    with Session(eng) as s:
        assert [u.username for u in s.exec(select(User))] == ["alice"]


def test_processes_starting_together_take_turns(db_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            init_db(db_url)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with engine_for(db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert current(conn) == head()
