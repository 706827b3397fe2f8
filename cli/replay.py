"""`loanflow replay`: replay recorded histories (files, or applications fetched from
Temporal) against today's workflow code. A history that no longer replays means the code
would decide differently on the same inputs: a compliance finding, and a deploy blocker."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import get_settings
from core.temporal import connect, converter_for
from runtime.worker import workflow_runner
from workflows.loan_process import LoanProcessWorkflow


def load_file(path: Path) -> WorkflowHistory:
    doc = json.loads(path.read_text())
    if "workflow_id" in doc and "history" in doc:
        return WorkflowHistory.from_json(doc["workflow_id"], doc["history"])
    return WorkflowHistory.from_json(path.stem, doc)  # a plain Temporal export


async def run_replay(args: argparse.Namespace) -> int:
    settings = get_settings()
    histories: list[tuple[str, WorkflowHistory]] = []
    client = None
    for target in args.target:
        path = Path(target)
        if path.exists():
            histories.append((target, load_file(path)))
            continue
        client = client or await connect(settings)
        wf_id = target if target.startswith("application-") else f"application-{target}"
        histories.append((target, await client.get_workflow_handle(wf_id).fetch_history()))
    replayer = Replayer(workflows=[LoanProcessWorkflow], data_converter=converter_for(settings),
                        workflow_runner=workflow_runner())
    failed = 0
    for name, history in histories:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is None:
            print(f"ok      {name}: {len(history.events)} events replay identically")
        else:
            failed += 1
            print(f"DIVERGE {name}: {result.replay_failure}")
    print(f"{len(histories) - failed} passed, {failed} failed")
    return 1 if failed else 0
