"""Deadlines on a business calendar: working hours and weekends (and listed holidays) are
honoured, so "two working days" set on Friday afternoon lands on Tuesday afternoon."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflows.types import ServiceTaskInput, ServiceTaskResult

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class BusinessCalendar:
    def __init__(self, tz: str = "Asia/Shanghai", start_hour: int = 9, end_hour: int = 18,
                 holidays: Iterable[dt.date] = ()) -> None:
        self.tz = ZoneInfo(tz)
        self.start, self.end = dt.time(start_hour), dt.time(end_hour)
        self.holidays = set(holidays)
        self.day_minutes = (end_hour - start_hour) * 60

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add(self, moment: dt.datetime, working_minutes: int) -> dt.datetime:
        """`moment` plus this much working time, as an aware UTC datetime."""
        local = moment.astimezone(self.tz)
        left = working_minutes
        while True:
            day_start = local.replace(hour=self.start.hour, minute=0, second=0, microsecond=0)
            day_end = local.replace(hour=self.end.hour, minute=0, second=0, microsecond=0)
            if not self.is_working_day(local.date()) or local >= day_end:
                local = (day_start + dt.timedelta(days=1))
                continue
            local = max(local, day_start)
            room = int((day_end - local).total_seconds() // 60)
            if left <= room:
                return (local + dt.timedelta(minutes=left)).astimezone(dt.UTC)
            left -= room
            local = day_start + dt.timedelta(days=1)


def working_minutes(duration: str, calendar: BusinessCalendar) -> int:
    """'P2D' = two working days, 'PT4H' = four working hours."""
    m = _DURATION.match(duration.strip())
    if not m or not any(m.groups()):
        raise ValueError(f"'{duration}' is not a duration like P2D or PT4H")
    days, hours, minutes = (int(x or 0) for x in m.groups())
    return days * calendar.day_minutes + hours * 60 + minutes


class DeadlineActivities:
    def __init__(self, calendar: BusinessCalendar | None = None) -> None:
        self.calendar = calendar or BusinessCalendar()

    @activity.defn(name="plan_deadlines")
    def plan_deadlines(self, inp: ServiceTaskInput) -> ServiceTaskResult:
        """Due times for the review steps named in the diagram
        (loanflow:durations="uw_review=P2D,senior_review=P3D")."""
        spec = inp.params.get("durations", "")
        try:
            remind_at = float(inp.params.get("remindAt") or 0.75)
        except ValueError:
            remind_at = 0.75
        remind_at = min(max(remind_at, 0.0), 1.0)
        now = dt.datetime.now(dt.UTC)
        out: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            element, _, duration = part.partition("=")
            try:
                minutes = working_minutes(duration, self.calendar)
            except ValueError as err:
                raise ApplicationError(f"{inp.element_id}: {err}", type="BadDiagram",
                                       non_retryable=True) from None
            out[element.strip()] = self.calendar.add(now, minutes).isoformat()
            # A reminder once most of the working time is gone (loanflow:remindAt).
            out[f"{element.strip()}_remind"] = \
                self.calendar.add(now, int(minutes * remind_at)).isoformat()
        return ServiceTaskResult({"deadlines": out})
