"""`loanflow up`: the whole system on embedded defaults, in the foreground.

Temporal dev server (file-backed under var/, UI on :8233), the outside-system simulators,
a worker, and the API with its pages on :8000. Ctrl-C stops everything; a second
`make up` finds its data again."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.settings import get_settings
from runtime.devserver import start_dev_server, wait_for_port

DEMO = "alice (applicant), uma, ursula (underwriters), sam (senior approver), olga (process " \
       "owner), carl (compliance), root (admin); password: demo"


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
    return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for name, proc in reversed(procs):
        if proc.poll() is None:
            print(f"  stopping {name}")
            os.killpg(proc.pid, signal.SIGTERM)
    for _, proc in reversed(procs):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def run_up(args: argparse.Namespace) -> int:
    settings = get_settings()
    data = settings.data_dir
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        port = int(settings.temporal_address.rsplit(":", 1)[1])
        print(f"loanflow: data in {data}, logs in {logs}")
        print("  starting Temporal dev server ...", flush=True)
        procs.append(("temporal", start_dev_server(
            data / "temporal.db", port, None if args.no_ui else 8233, logs / "temporal.log")))
        print("  starting simulators of the outside systems ...", flush=True)
        sim_base = int(settings.identity_url.rsplit(":", 1)[1])
        procs.append(("simulators", _spawn([py, "-m", "simulators", "--port-base",
                                             str(sim_base)], logs / "simulators.log")))
        wait_for_port(sim_base, proc=procs[-1][1])
        print("  preparing credit models (trained from data/ on first start) ...", flush=True)
        prepared = subprocess.run([py, "-m", "cli.prepare"], check=False)
        if prepared.returncode != 0:
            print("preparing models failed; see the output above", file=sys.stderr)
            return 1
        print("  starting worker and API ...", flush=True)
        procs.append(("worker", _spawn([py, "-m", "cli.main", "worker"], logs / "worker.log")))
        procs.append(("api", _spawn([py, "-m", "cli.main", "api"], logs / "api.log")))
        wait_for_port(settings.api_port, timeout=120, proc=procs[-1][1])
        print(f"""
loanflow is up.
  pages and API   http://{settings.api_host}:{settings.api_port}/  (API docs: /docs)
  Temporal UI     http://127.0.0.1:8233/  (server {settings.temporal_address})
  demo accounts   {DEMO}
Ctrl-C stops everything.""", flush=True)
        while not stopping:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {logs}/{name}.log",
                          file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print("loanflow: stopping ...")
        _stop(procs)
        print("loanflow: stopped")
