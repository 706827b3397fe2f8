"""Stand-ins for the outside systems we cannot reach (identity registry, social-security
registry, credit bureau, sanctions list), each a small HTTP service on loopback with
deterministic data per subject, realistic latency and injectable faults."""

from simulators.runner import RunningSimulators, default_settings, simulators, start_simulators

__all__ = ["RunningSimulators", "default_settings", "simulators", "start_simulators"]
