"""Alembic's environment for loanflow's schema: always run from store/migrate.py, which
hands it an open connection (there is no alembic.ini)."""

from alembic import context
from sqlmodel import SQLModel

from store import models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
# Batch mode: SQLite alters a table by copying it, which alembic does when asked to.
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
