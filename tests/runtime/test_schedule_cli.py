"""`loanflow schedule retraining` creates the schedule, then finds it there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cli.main import main
from core import settings as core_settings
from core.temporal import connect
from runtime.schedules import retraining_schedule_id
from tests.conftest import TEST_KEY


def test_cli_creates_the_schedule_once(tmp_path: Path, temporal_address: str,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LOANFLOW_TEMPORAL_ADDRESS", temporal_address)
    monkeypatch.setenv("LOANFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOANFLOW_TASK_QUEUE", f"cli-{tmp_path.name}"[:60])
    monkeypatch.setenv("LOANFLOW_PAYLOAD_KEYS", TEST_KEY)
    core_settings.reset()
    try:
        assert main(["schedule", "retraining"]) == 0
        assert main(["schedule", "retraining"]) == 0
        out = capsys.readouterr().out.splitlines()
        settings = core_settings.get_settings()
        name = retraining_schedule_id(settings)
        assert out == [f"schedule {name}: created", f"schedule {name}: already exists"]

        async def delete() -> None:
            await (await connect(settings)).get_schedule_handle(name).delete()

        asyncio.run(delete())
    finally:
        core_settings.reset()
