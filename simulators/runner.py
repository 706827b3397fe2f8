"""Running the simulators: all four on loopback, in one event loop.

``start_simulators()`` runs them in a background thread on free ports (for tests and the
bench) and returns a handle with their URLs; ``serve()`` runs them in the foreground on
``port_base`` .. ``port_base + 3`` (for ``make up`` / ``python -m simulators``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI

from simulators.apps import FACTORIES, SERVICES
from simulators.faults import FaultConfig, Gate, LatencyModel, ServiceSettings
from simulators.population import Population

HOST = "127.0.0.1"  # loopback only: these are stand-ins, never to be exposed

LATENCY: dict[str, LatencyModel] = {
    "identity": LatencyModel(0.15, 0.5),
    "employment": LatencyModel(0.3, 0.6),
    "bureau": LatencyModel(0.8, 0.87),  # p50 0.8 s, p99 about 6 s
    "sanctions": LatencyModel(0.1, 0.4),
}


def default_settings(
    latency_scale: float = 1.0,
    error_rate: dict[str, float] | None = None,
    rate_limit_rps: float | None = None,
) -> dict[str, ServiceSettings]:
    rates = error_rate or {}
    return {
        name: ServiceSettings(
            latency=LATENCY[name], latency_scale=latency_scale,
            faults=FaultConfig(error_rate=rates.get(name, 0.0)),
            rate_limit_rps=rate_limit_rps,
        )
        for name in SERVICES
    }


@dataclass
class RunningSimulators:
    urls: dict[str, str]
    apps: dict[str, FastAPI]
    population: Population
    _servers: list[uvicorn.Server] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def gate(self, service: str) -> Gate:
        gate: Gate = self.apps[service].state.gate
        return gate

    def set_faults(self, service: str, **config: Any) -> None:
        """Replace a service's fault configuration (thread-safe enough: one assignment)."""
        self.gate(service).settings.faults = FaultConfig(**config)

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def _bind(port: int = 0, host: str = HOST) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _build(
    population: Population, settings: dict[str, ServiceSettings], ports: dict[str, int],
    host: str = HOST,
) -> tuple[dict[str, FastAPI], list[uvicorn.Server], list[socket.socket], dict[str, str]]:
    apps = {name: FACTORIES[name](population, settings[name]) for name in SERVICES}
    servers, sockets, urls = [], [], {}
    for name in SERVICES:
        sock = _bind(ports.get(name, 0), host)
        port = sock.getsockname()[1]
        config = uvicorn.Config(apps[name], host=host, port=port, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=1,
                                lifespan="off")
        servers.append(uvicorn.Server(config))
        sockets.append(sock)
        urls[name] = f"http://{host}:{port}"
    return apps, servers, sockets, urls


async def _serve_all(servers: list[uvicorn.Server], sockets: list[socket.socket]) -> None:
    await asyncio.gather(*(s.serve(sockets=[k]) for s, k in zip(servers, sockets, strict=True)))


def start_simulators(
    *,
    latency_scale: float = 0.01,
    seed: str = "loanflow",
    settings: dict[str, ServiceSettings] | None = None,
    ports: dict[str, int] | None = None,
) -> RunningSimulators:
    """Start all simulators in a background thread; returns once they accept requests."""
    population = Population(seed)
    settings = settings or default_settings(latency_scale)
    apps, servers, sockets, urls = _build(population, settings, ports or {})
    thread = threading.Thread(target=asyncio.run, args=(_serve_all(servers, sockets),),
                              name="simulators", daemon=True)
    thread.start()
    running = RunningSimulators(urls, apps, population, servers, thread)
    for _ in range(500):
        if all(s.started for s in servers):
            return running
        if not thread.is_alive():
            break
        threading.Event().wait(0.01)
    running.stop()
    raise RuntimeError("simulators did not start")


@contextmanager
def simulators(**kwargs: Any) -> Iterator[RunningSimulators]:
    running = start_simulators(**kwargs)
    try:
        yield running
    finally:
        running.stop()


def serve(port_base: int, *, latency_scale: float = 1.0, seed: str = "loanflow",
          error_rate: dict[str, float] | None = None,
          rate_limit_rps: float | None = None, host: str = HOST) -> None:
    """Run in the foreground until interrupted."""
    population = Population(seed)
    settings = default_settings(latency_scale, error_rate, rate_limit_rps)
    ports = {name: port_base + i for i, name in enumerate(SERVICES)}
    _, servers, sockets, urls = _build(population, settings, ports, host)
    for name, url in urls.items():
        print(f"{name:10s} {url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_all(servers, sockets))
