"""Handing a task to someone else from its page: a supervisor (or the admin) reassigns it,
its holder delegates it, each with a reason. The rule is the service's
(api/tasks/actions.py); a refusal is shown next to the field it is about."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import SessionDep
from api.errors import DomainError, Invalid
from api.tasks import actions as task_actions
from api.tasks.actions import HandOver
from api.tasks.service import TaskPublic
from bpmn.registry import APPROVER_ROLES
from store.models import User
from web.render import PageRoute, needs
from web.taskview import after

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Handler = Annotated[User, Depends(needs(*sorted(APPROVER_ROLES), "admin"))]
Action = Callable[[Session, User, str, HandOver], TaskPublic]
_FIELD_WORDS = {"to": "Choose whom to hand the task to.",
                "reason": "Give a reason (at least 3 characters)."}


def _errors(err: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in err.errors(include_url=False):
        field = str(e["loc"][0]) if e.get("loc") else "form"
        out.setdefault(field, _FIELD_WORDS.get(field, str(e.get("msg", "invalid"))))
    return out


async def _hand_over(request: Request, s: Session, user: User, task_id: str,
                     form_name: str, action: Action) -> Response:
    form = await request.form()
    values = {"to": str(form.get("to", "")).strip(), "reason": str(form.get("reason", ""))}
    hand = {"form": form_name, "values": values, "errors": {}}
    try:
        action(s, user, task_id, HandOver.model_validate(values))
    except ValidationError as err:
        hand["errors"] = _errors(err)
    except Invalid as err:  # "to: ursula may not take this task: authority ..."
        field, _, message = err.message.partition(": ")
        hand["errors"] = {field: message} if field in values and message else \
            {"form": err.message}
    except DomainError as err:
        hand["errors"] = {"form": err.message}
    else:
        hand = {"form": form_name, "values": {}, "errors": {}, "done": values["to"]}
    return await after(request, s, user, task_id, hand=hand)


@router.post("/tasks/{task_id:path}/reassign")
async def reassign(request: Request, task_id: str, user: Handler, s: SessionDep) -> Response:
    return await _hand_over(request, s, user, task_id, "reassign", task_actions.reassign)


@router.post("/tasks/{task_id:path}/delegate")
async def delegate(request: Request, task_id: str, user: Handler, s: SessionDep) -> Response:
    return await _hand_over(request, s, user, task_id, "delegate", task_actions.delegate)
