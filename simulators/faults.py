"""Latency, rate limits and injected faults, shared by every simulated service.

A fault is chosen per request, first match wins:
1. the rate limit (token bucket) answers 429 with Retry-After;
2. the ``X-Sim-Fault`` request header names a fault;
3. a per-subject rule (national ID number -> fault) in the configuration;
4. a transient error drawn at ``error_rate`` from ``error_mix``.

Transient faults (429, 500, 503, timeout) are answered by the shared gate; data faults
(no_hit, frozen, multiple_match, missing_obligations, identity_mismatch, not_found,
fraud_alert) are handed to the service, which shapes its answer accordingly.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import JSONResponse

TRANSIENT = frozenset({"429", "500", "503", "timeout"})
DATA_FAULTS = frozenset({
    "no_hit", "frozen", "multiple_match", "missing_obligations", "identity_mismatch",
    "not_found", "fraud_alert",
})
FAULT_HEADER = "X-Sim-Fault"


@dataclass
class LatencyModel:
    """Log-normal service time: ``median_s`` and a tail set by ``sigma``.

    The bureau's median 0.8 s with sigma 0.87 puts the 99th percentile near 6 s.
    """

    median_s: float
    sigma: float
    cap_s: float = 30.0

    def sample(self, rng: random.Random, scale: float) -> float:
        return min(rng.lognormvariate(math.log(self.median_s), self.sigma), self.cap_s) * scale

    def quantile(self, q: float) -> float:
        """The q-quantile (0<q<1) of the unscaled distribution, for reports and tests."""
        from statistics import NormalDist

        return min(math.exp(math.log(self.median_s) + self.sigma * NormalDist().inv_cdf(q)),
                   self.cap_s)


@dataclass
class FaultConfig:
    error_rate: float = 0.0
    error_mix: dict[str, float] = field(
        default_factory=lambda: {"429": 0.35, "503": 0.35, "500": 0.1, "timeout": 0.2}
    )
    retry_after_s: int = 1
    hang_s: float = 30.0  # how long a "timeout" fault stalls, before latency_scale
    subjects: dict[str, str] = field(default_factory=dict)


@dataclass
class ServiceSettings:
    latency: LatencyModel
    latency_scale: float = 1.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    rate_limit_rps: float | None = None
    rate_limit_burst: int = 20


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0.0 if a token was taken, else the seconds until one is available."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return 0.0
            return (1.0 - self.tokens) / self.rate


class Gate:
    """Per-service admission: counts, rate limit, faults, latency."""

    def __init__(self, name: str, settings: ServiceSettings, seed: int = 0) -> None:
        self.name = name
        self.settings = settings
        self.stats: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._bucket: TokenBucket | None = None
        self._lock = threading.Lock()

    def _bucket_for(self) -> TokenBucket | None:
        rps = self.settings.rate_limit_rps
        if rps is None:
            return None
        bucket = self._bucket
        if bucket is None or bucket.rate != rps:
            bucket = self._bucket = TokenBucket(rps, self.settings.rate_limit_burst)
        return bucket

    def _draw(self) -> str | None:
        faults = self.settings.faults
        with self._lock:
            if faults.error_rate <= 0 or self._rng.random() >= faults.error_rate:
                return None
            kinds = list(faults.error_mix)
            return self._rng.choices(kinds, weights=[faults.error_mix[k] for k in kinds])[0]

    def choose_fault(self, request: Request, subject: str | None) -> str | None:
        bucket = self._bucket_for()
        if bucket is not None and bucket.take() > 0:
            return "rate_limited"
        header = request.headers.get(FAULT_HEADER)
        if header:
            return header.strip().lower()
        if subject is not None and subject in self.settings.faults.subjects:
            return self.settings.faults.subjects[subject]
        return self._draw()

    async def admit(
        self, request: Request, subject: str | None
    ) -> tuple[JSONResponse | None, str | None]:
        """(an error response to send, or None) and the data fault to apply, if any."""
        self.stats["requests"] += 1
        fault = self.choose_fault(request, subject)
        scale = self.settings.latency_scale
        if fault in ("429", "rate_limited"):
            self.stats["429"] += 1
            retry_after = str(self.settings.faults.retry_after_s)
            return JSONResponse({"error": "rate_limited"}, status_code=429,
                                headers={"Retry-After": retry_after}), None
        if fault == "timeout":
            self.stats["timeout"] += 1
            await asyncio.sleep(self.settings.faults.hang_s * scale)
            return JSONResponse({"error": "gateway_timeout"}, status_code=504), None
        with self._lock:
            delay = self.settings.latency.sample(self._rng, scale)
        await asyncio.sleep(delay)
        if fault in ("500", "503"):
            self.stats[fault] += 1
            return JSONResponse({"error": "unavailable"}, status_code=int(fault)), None
        if fault is not None and fault not in DATA_FAULTS:
            self.stats["unknown_fault"] += 1
            return JSONResponse({"error": "unknown_fault"}, status_code=400), None
        self.stats["ok"] += 1
        if fault is not None:
            self.stats[fault] += 1
        return None, fault
