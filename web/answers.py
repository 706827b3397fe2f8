"""The applicant's side of a referral: the lender's questions on their application page,
and the answer form (api/applications/referrals.answer sends it to the workflow, which
gives the task back to the approver who asked)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from api.applications import referrals
from api.applications import service as applications
from api.applications.referrals import AnswerBody
from api.deps import SessionDep, temporal_client
from api.errors import DomainError
from store.models import Application, User
from web.render import PageRoute, PageUser, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def questions_view(s: Session, user: User, app: Application) -> dict[str, Any]:
    """The questions asked on an application, and whether this person answers them."""
    asked = referrals.questions(s, app)
    applicant = user.username in (app.applicant_user, app.submitted_by)
    return {"questions": asked,
            "can_answer": applicant and any(not q.answered for q in asked)}


@router.post("/applications/{application_id}/answer")
async def answer(request: Request, application_id: str, user: PageUser,
                 s: SessionDep) -> Response:
    app = applications.get_visible(s, user, application_id)
    message = str((await request.form()).get("message", "")).strip()
    error = ""
    try:
        body = AnswerBody(message=message)
        await referrals.answer(s, await temporal_client(request), user, app, body)
    except ValidationError:
        error = "Write your answer first." if not message else \
            "The answer is too long (at most 4000 characters)."
    except DomainError as err:  # nothing waits for an answer, not the applicant, ...
        error = err.message[:1].upper() + err.message[1:] + "."
    if not error:
        return RedirectResponse(f"/applications/{application_id}?answered=1", status_code=303)
    return render(request, "answer.html", status_code=422, title="Answer the lender",
                  app=app, message=message, error=error, **questions_view(s, user, app))
