"""Explicit migration of running applications to another deployed version.

Each instance decides for itself whether the move is safe where it stands (the workflow's
`migrate` Update re-drives the new version with what the instance was told and refuses
with the element and the reason otherwise); this service asks each one and reports."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.errors import Conflict, Unavailable
from store import definitions
from store.models import Application, User
from workflows.types import DefinitionRef, MigrateInput, MigrateResult

FINAL = ("approved", "declined", "failed", "completed", "cancelled")


class MigrateBody(BaseModel):
    """Move running applications of this process to `version`: all of them, or those on
    `from_version`, or the ones listed."""

    from_version: Annotated[int | None, Field(ge=1)] = None
    application_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=1000)
    limit: Annotated[int, Field(ge=1, le=1000)] = 200


class MigrationOutcome(BaseModel):
    application_id: str
    from_version: int
    migrated: bool
    reason: str


class MigrationReport(BaseModel):
    process_id: str
    to_version: int
    migrated: int
    refused: int
    results: list[MigrationOutcome]


async def migrate_one(s: Session, client: Client, user: User, app: Application,
                      target: DefinitionRef) -> MigrationOutcome:
    before = app.process_version
    try:
        result: MigrateResult = await client.get_workflow_handle(app.workflow_id).execute_update(
            "migrate", MigrateInput(target, user.username), result_type=MigrateResult)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(err)
        return MigrationOutcome(application_id=app.id, from_version=before, migrated=False,
                                reason=reason)
    except RPCError as err:
        if "not found" in err.message.lower() or "completed" in err.message.lower():
            return MigrationOutcome(application_id=app.id, from_version=before,
                                    migrated=False, reason="the instance is not running")
        raise Unavailable(f"workflow engine unavailable: {err.message}") from None
    app.process_version, app.sha256 = target.version, target.sha256
    s.add(app)
    s.commit()
    return MigrationOutcome(application_id=app.id, from_version=result.from_version,
                            migrated=True, reason=f"moved to version {target.version}")


async def migrate(s: Session, client: Client, user: User, process_id: str, version: int,
                  body: MigrateBody) -> MigrationReport:
    row = definitions.get_version(s, process_id, version)
    target = DefinitionRef(row.process_id, row.version, row.sha256)
    stmt = select(Application).where(Application.process_id == process_id,
                                     Application.process_version != version,
                                     col(Application.status).not_in(FINAL))
    if body.from_version is not None:
        stmt = stmt.where(Application.process_version == body.from_version)
    if body.application_ids is not None:
        stmt = stmt.where(col(Application.id).in_(body.application_ids))
    apps = s.exec(stmt.order_by(col(Application.created_at)).limit(body.limit)).all()
    if body.application_ids and not apps:
        raise Conflict("none of these applications runs another version of this process")
    results = [await migrate_one(s, client, user, app, target) for app in apps]
    moved = sum(r.migrated for r in results)
    return MigrationReport(process_id=process_id, to_version=version, migrated=moved,
                           refused=len(results) - moved, results=results)
