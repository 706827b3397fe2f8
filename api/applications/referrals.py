"""An approver's question to the applicant, and the applicant's answer.

The answer goes to the workflow as the `answer_referral` Update (validated there: only
the applicant, only while a question waits); the task returns to the approver who asked,
with the time spent waiting added to its due time."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.errors import Conflict, Forbidden, Invalid, Unavailable
from api.tasks.actions import referral_for
from store.models import Application, Document, TaskEvent, User
from workflows.types import AnswerReferralInput, CompleteTaskResult


class AnswerBody(BaseModel):
    message: Annotated[str, Field(min_length=1, max_length=4000)]
    document_ids: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=10)


class Question(BaseModel):
    task_id: str
    question: str
    asked_by: str
    asked_at: str
    answered: bool
    answer: str | None = None


def questions(s: Session, app: Application) -> list[Question]:
    """Every question asked on this application, answered or not, in order."""
    rows = s.exec(select(TaskEvent).where(
        TaskEvent.application_id == app.id, col(TaskEvent.kind).in_(["referred", "answered"]),
    ).order_by(col(TaskEvent.at), col(TaskEvent.id))).all()
    out: list[Question] = []
    for ev in rows:
        at = ev.at if ev.at.tzinfo else ev.at.replace(tzinfo=dt.UTC)
        if ev.kind == "referred":
            out.append(Question(task_id=ev.task_id, question=ev.reason, asked_by=ev.actor,
                                asked_at=at.isoformat(), answered=False))
            continue
        waiting = [q for q in out if q.task_id == ev.task_id and not q.answered]
        if waiting:
            waiting[0].answered, waiting[0].answer = True, ev.reason
    return out


async def answer(s: Session, client: Client, user: User, app: Application,
                 body: AnswerBody) -> CompleteTaskResult:
    if user.username not in (app.applicant_user, app.submitted_by):
        raise Forbidden("only the applicant can answer")
    task = referral_for(s, app.id)
    for doc_id in body.document_ids:
        doc = s.get(Document, doc_id)
        if doc is None or doc.owner != user.username:
            raise Invalid(f"document_ids: no document {doc_id} of yours")
    try:
        result: CompleteTaskResult = await client.get_workflow_handle(app.workflow_id) \
            .execute_update("answer_referral", AnswerReferralInput(task.id, user.username),
                            result_type=CompleteTaskResult)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(err)
        raise Conflict(message) from None
    except RPCError as err:
        raise Unavailable(f"workflow engine unavailable: {err.message}") from None
    # The answer's text stays in the database (never in the workflow's history).
    s.add(TaskEvent(task_id=task.id, application_id=app.id, kind="answered",
                    actor=user.username, to_user=task.assignee, reason=body.message,
                    detail=json.dumps({"document_ids": body.document_ids})))
    s.commit()
    return result
