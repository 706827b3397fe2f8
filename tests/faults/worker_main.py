"""A worker in its own process, for the fault tests (they kill it with SIGKILL).
Outside activities are the test doubles, slowed down so applications are in flight."""

from __future__ import annotations

import asyncio
import os
import time

from temporalio import activity

from activities.bundle import process_activities
from core.settings import Settings
from core.temporal import connect
from runtime.worker import build_worker
from store.db import session_factory
from tests.workflows import fakes
from workflows.types import ServiceTaskInput, ServiceTaskResult


@activity.defn(name="score_application")
def slow_score(inp: ServiceTaskInput) -> ServiceTaskResult:
    time.sleep(float(os.environ.get("SLOW_SCORE_SECONDS", "1")))
    return fakes.score_application(inp)


async def main() -> None:
    settings = Settings()
    client = await connect(settings)
    outside = [a for a in fakes.FAKE_OUTSIDE if a is not fakes.score_application]
    acts = [*process_activities(session_factory(settings.db_url)), *outside, slow_score]
    async with build_worker(client, settings, acts):
        print("worker ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
