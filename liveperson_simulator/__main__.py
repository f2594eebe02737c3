"""Run a simulator until SIGINT/SIGTERM: ``python -m liveperson_simulator --records 1000000``.

Prints one JSON line with the address, CA path and credentials (also written to ``--info-file``).
"""

import argparse
import gc
import json
import signal
import sys
import threading

from .config import SimulatorConfig
from .simulator import Simulator


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m liveperson_simulator", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--agents", type=int, help="number of agents (ignored with --records)")
    parser.add_argument("--history-days", type=int, help="days back from today that have data")
    parser.add_argument("--records", type=int, help="size the account to about this many records")
    parser.add_argument("--retention-days", type=int, help="how far back `from` may go (default: 6 months)")
    parser.add_argument("--late-share", type=float, default=0.0, help="share of records that arrive late")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every request")
    parser.add_argument("--info-file", help="also write the JSON line to this file")
    parser.add_argument(
        "--window-cache-records",
        type=int,
        default=SimulatorConfig.window_cache_records,
        help="records of recent query results kept in memory (make it exceed the data set to serve every page fast)",
    )
    return parser.parse_args(argv)


def _config(args: argparse.Namespace) -> SimulatorConfig:
    settings = {
        "seed": args.seed,
        "late_share": args.late_share,
        "latency_ms": args.latency_ms,
        "window_cache_records": args.window_cache_records,
        "retention_days": args.retention_days,
    }
    if args.records is not None:
        return SimulatorConfig.for_volume(args.records, days=args.history_days or 180, **settings)
    if args.agents is not None:
        settings["agents"] = args.agents
    if args.history_days is not None:
        settings["history_days"] = args.history_days
    return SimulatorConfig(**settings)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    # Large windows allocate hundreds of thousands of records at once; collect garbage less often.
    gc.set_threshold(100_000, 50, 100)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with Simulator(_config(args)) as sim:
        line = json.dumps(sim.info())
        if args.info_file:
            with open(args.info_file, "w", encoding="utf-8") as info_file:
                info_file.write(line + "\n")
        print(line, flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
