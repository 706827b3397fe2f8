"""The admin's pages for approvers: everyone's profile and load, and one person's profile
edited as a whole (the service's PUT semantics: api/approvers/service.update_approver)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from api.approvers import service as approver_service
from api.approvers.schemas import ApproverPublic, ApproverUpdate
from api.deps import SessionDep
from api.errors import Invalid
from bpmn.registry import ROLE_RANK
from store.approvers import approvers
from store.models import User
from web.inbox import alerts_for
from web.render import PageRoute, needs, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Admin = Annotated[User, Depends(needs("admin"))]
Username = Annotated[str, Path(min_length=1, max_length=64)]
ROLES = sorted(ROLE_RANK, key=ROLE_RANK.__getitem__)
LISTS = ("skills", "languages", "industries")
TEXTS = ("authority_limit", "capacity", "supervisor", "delegate", "away_from", "away_until")
_WORDS = {"missing": "This field is required.", "float_parsing": "Enter a number.",
          "float_type": "Enter a number.", "datetime_from_date_parsing": "Enter a date and time.",
          "datetime_parsing": "Enter a date and time.",
          "too_short": "Choose at least one approver role."}


@router.get("/admin/approvers")
def approver_list(request: Request, user: Admin, s: SessionDep, saved: str = "",
                  moved: int = 0) -> Response:
    return render(request, "admin_approvers.html", title="Approvers",
                  people=approver_service.list_approvers(s, user), saved=saved[:64],
                  moved=max(moved, 0), alerts=alerts_for(s, user))


def _local(value: str | None) -> str:
    """An ISO time as a datetime-local field shows it (UTC, to the minute)."""
    if not value:
        return ""
    at = dt.datetime.fromisoformat(value)
    return (at.astimezone(dt.UTC) if at.tzinfo else at).strftime("%Y-%m-%dT%H:%M")


def _shown(p: ApproverPublic) -> dict[str, Any]:
    return {"roles": p.roles, **{k: ", ".join(getattr(p, k)) for k in LISTS},
            "authority_limit": f"{p.authority_limit:g}", "capacity": f"{p.capacity:g}",
            "supervisor": p.supervisor or "", "delegate": p.delegate or "",
            "away_from": _local(p.away_from), "away_until": _local(p.away_until)}


def _edit(request: Request, s: Session, p: ApproverPublic, values: Mapping[str, Any],
          errors: Mapping[str, str], status_code: int = 200) -> Response:
    return render(request, "admin_approver.html", status_code=status_code,
                  title=f"Approver {p.username}", person=p, values=values, errors=errors,
                  roles=ROLES, people_names=[u.username for u in approvers(s)],
                  problem="Please correct the fields marked below." if errors else "")


@router.get("/admin/approvers/{username}")
def approver_form(request: Request, username: Username, user: Admin,
                  s: SessionDep) -> Response:
    p = approver_service.get_approver(s, user, username)
    return _edit(request, s, p, _shown(p), {})


def _moment(value: str) -> dt.datetime | str | None:
    """A datetime-local value is read as UTC; anything else goes on to be refused."""
    if not value.strip():
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _body(values: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"roles": values["roles"]}
    for key in LISTS:
        body[key] = [x.strip() for x in str(values[key]).split(",") if x.strip()]
    body["authority_limit"], body["capacity"] = values["authority_limit"], values["capacity"]
    body["supervisor"] = values["supervisor"] or None
    body["delegate"] = values["delegate"] or None
    body["away_from"], body["away_until"] = (_moment(values["away_from"]),
                                             _moment(values["away_until"]))
    return body


def _errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        loc = e.get("loc") or ("form",)
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        out.setdefault(str(loc[0]), _WORDS.get(str(e.get("type")), msg[:1].upper() + msg[1:]))
    return out


@router.post("/admin/approvers/{username}")
async def approver_save(request: Request, username: Username, user: Admin,
                        s: SessionDep) -> Response:
    current = approver_service.get_approver(s, user, username)  # 404 before reading
    form = await request.form()
    values: dict[str, Any] = {"roles": [str(r) for r in form.getlist("roles")]}
    values.update({k: str(form.get(k, "")).strip() for k in (*LISTS, *TEXTS)})
    try:
        body = ApproverUpdate.model_validate(_body(values))
        done = approver_service.update_approver(s, user, username, body)
    except ValidationError as err:
        return _edit(request, s, current, values, _errors(err.errors(include_url=False)), 422)
    except Invalid as err:  # supervisor, delegate: checked against the people there are
        errors = {str(d.get("field", "form")): str(d.get("reason", err.message))
                  for d in (err.detail or [{}])} if isinstance(err.detail, list) else {}
        return _edit(request, s, current, values, errors or {"form": err.message}, 422)
    return RedirectResponse(f"/admin/approvers?saved={done.approver.username}"
                            f"&moved={len(done.moved)}", status_code=303)
