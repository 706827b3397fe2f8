"""``python -m simulators --port-base 8700``: identity, employment, bureau and sanctions
simulators on 127.0.0.1:8700..8703."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from simulators.apps import SERVICES
from simulators.runner import serve


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--port-base", type=int, default=8700)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (loopback unless in a container)")
    parser.add_argument("--latency-scale", type=float, default=1.0,
                        help="multiply every simulated latency (0.01 for tests)")
    parser.add_argument("--seed", default="loanflow", help="population seed")
    parser.add_argument("--error-rate", type=float, default=0.0,
                        help="share of calls failing transiently, every service")
    parser.add_argument("--bureau-error-rate", type=float, default=None,
                        help="share of bureau calls failing transiently")
    parser.add_argument("--rate-limit-rps", type=float, default=None)
    args = parser.parse_args(argv)
    rates = {name: args.error_rate for name in SERVICES}
    if args.bureau_error_rate is not None:
        rates["bureau"] = args.bureau_error_rate
    serve(args.port_base, latency_scale=args.latency_scale, seed=args.seed,
          error_rate=rates, rate_limit_rps=args.rate_limit_rps, host=args.host)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
