"""The production compose file stays valid (no Docker engine runs here to start it)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def test_compose_file_is_valid():
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is missing: `make system-deps` installs it")
    env = {**os.environ, "LOANFLOW_DB_PASSWORD": "x", "LOANFLOW_PAYLOAD_KEYS": "k1:x",
           "LOANFLOW_JWT_SECRET": "x", "TEMPORAL_DB_PASSWORD": "x"}
    out = subprocess.run([exe, "-f", str(ROOT / "docker-compose.yml"), "config"], env=env,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    for service in ("temporal", "temporal-ui", "temporal-db", "loanflow-db", "api", "worker"):
        assert f"  {service}:" in out.stdout


def test_compose_refuses_to_run_without_secrets():
    exe = shutil.which("docker-compose") or "docker-compose"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOANFLOW_", "TEMPORAL_"))}
    out = subprocess.run([exe, "-f", str(ROOT / "docker-compose.yml"), "config"], env=env,
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "Missing mandatory value" in out.stderr
