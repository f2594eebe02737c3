"""`make bench`: the connector's real `read` against the floor client, side by side, on the bundled simulator.

For each scale a simulator runs as its own process (its CPU is not charged to the clients) on loopback. Every
repetition runs both clients as subprocesses, one after the other, on the same date range: the connector's CLI
(full refresh of status_changes, output to a file) and `benchmarks/floor_client.py` (the least work any client must
do); at the largest scale also the connector with agent_status_intervals alone and with both streams. Wall time, CPU
time and peak RSS come from `os.wait4`, HTTP requests from the simulator's counters. Both must write the same
records (count and primary keys) as the simulator's ground truth, else the run fails. Then a large account (10,000
agents, 14 days) read with each stream selection, and the latency case: a sparse account with 200 ms per request,
the connector at several num_workers, with status_changes alone and with both streams. With --baseline, another
checkout of the connector (its own .venv) runs right after this one in every connector run, for before/after rows.

    .venv/bin/python -m benchmarks.run                     # what `make bench` runs; writes docs/performance.md
    .venv/bin/python -m benchmarks.run --quick             # smoke test: 20k records, 1,000 agents, 1 repetition
    .venv/bin/python -m benchmarks.run --scales 100000 --repeat 5 --large-agents 0 --latency-workers ""
    .venv/bin/python -m benchmarks.run --scales 1000000 --latency-workers 1,4 --baseline ../previous-release
"""

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import orjson
import requests

from benchmarks.floor_client import DAY_MS, format_ms, parse_ms, windows
from liveperson_simulator.config import SimulatorConfig
from liveperson_simulator.roster import expected_records_per_agent_day

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "benchmarks" / "results"
PRIMARY_KEY = ("agentId", "time", "statusType", "sequenceNumber")
CONNECTOR_MAX_HISTORY = timedelta(days=180)  # history_days default: older start dates move forward to now - 180 days
DISCOVERY_AND_TOKEN = 2  # one Domain API lookup (every service of the account) and one token
PLACEHOLDER = "(filled in by the profiling notes)"
WHERE_THE_TIME_GOES = "## Where the time goes"
CLIENTS = ("floor", "connector")
# The streams each client reads: the floor and the connector status_changes; at the largest scale the connector also
# runs with agent_status_intervals alone, and with both streams.
STREAMS_OF = {
    "floor": ("status_changes",),
    "connector": ("status_changes",),
    "intervals": ("agent_status_intervals",),
    "both": ("status_changes", "agent_status_intervals"),
}
INTERVAL_CLIENTS = tuple(client for client, streams in STREAMS_OF.items() if "agent_status_intervals" in streams)
LARGE = "large"  # the label of the large account: many agents, a short history
LATENCY_CLIENTS = ("connector", "both")


# Running things


@dataclass
class Measurement:
    """One client run: what it wrote, what it cost, what it asked."""

    client: str
    label: str
    repetition: int
    records: int
    states: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    requests: int
    requests_by_endpoint: dict[str, int]
    server_cpu_s: float
    num_workers: Optional[int] = None
    code: str = ""  # fingerprint of source_agent_activity/ when the connector ran
    digest: int = field(default=0, repr=False)
    intervals: int = 0  # agent_status_intervals records written
    checkout: str = ""  # the connector checkout that ran (empty for the floor)


class BenchmarkError(RuntimeError):
    pass


class SimulatorProcess:
    """`python -m liveperson_simulator ...` in its own process, steered over its control endpoints."""

    def __init__(self, name: str, arguments: list[str], workdir: Path) -> None:
        self.name = name
        self.arguments = arguments
        self.workdir = workdir
        self.process: Optional[subprocess.Popen] = None
        self.info: dict[str, Any] = {}
        self.session = requests.Session()
        self.session.trust_env = False

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "liveperson_simulator", *self.arguments]

    def __enter__(self) -> "SimulatorProcess":
        info_file = self.workdir / f"simulator-{self.name}.json"
        info_file.unlink(missing_ok=True)
        log = open(self.workdir / f"simulator-{self.name}.log", "wb")
        self.process = subprocess.Popen(
            [*self.command, "--info-file", str(info_file)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 120
        while not self.info:
            if self.process.poll() is not None:
                raise BenchmarkError(f"the simulator exited with {self.process.returncode}: see {log.name}")
            if time.monotonic() > deadline:
                raise BenchmarkError(f"the simulator wrote no {info_file} within 120 s")
            try:
                self.info = json.loads(info_file.read_text())
            except (FileNotFoundError, ValueError):
                time.sleep(0.05)
        self.session.verify = self.info["ca_path"]
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.session.close()

    def control(self, method: str, path: str, **params: str) -> Any:
        response = self.session.request(method, self.info["control_url"] + path, params=params, timeout=600)
        if response.status_code != 200:
            raise BenchmarkError(f"{method} /_simulator/{path} answered {response.status_code}: {response.text}")
        return response.json()

    def cpu_seconds(self) -> float:
        """User + system CPU the simulator process has used so far (from /proc)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_measured(command: list[str], env: dict[str, str], stdout: Path, stderr: Path, timeout: float) -> tuple:
    """Run a command to completion; return (exit code, wall s, CPU s, peak RSS MB) of that process alone."""
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        watchdog = threading.Timer(timeout, _kill, (process.pid,))
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            _kill(process.pid)
            process.wait()
            raise
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return process.returncode, wall, cpu, usage.ru_maxrss / 1024  # Linux reports ru_maxrss in KiB


@dataclass(frozen=True)
class Checkout:
    """A checkout of the connector, run through the console script of its own .venv (installed with `pip -e`)."""

    root: Path
    baseline: bool = False

    @property
    def script(self) -> Path:
        return self.root / ".venv" / "bin" / "source-agent-activity"

    def fingerprint(self) -> str:
        """A short hash of the connector's files: tells whether its code changed while the benchmark ran."""
        digest = hashlib.sha256()
        package = self.root / "source_agent_activity"
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:12]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class OutputScan:
    records: int = 0
    states: int = 0
    digest: int = 0  # order-independent sum of the records' primary-key hashes
    errors: list[str] = field(default_factory=list)
    other_streams: int = 0
    intervals: int = 0


def scan_output(path: Path) -> OutputScan:
    """Count RECORD and STATE lines, fingerprint the records' primary keys, collect error traces."""
    scan = OutputScan()
    mask = (1 << 64) - 1
    with open(path, "rb") as lines:
        for line in lines:
            if not line.startswith(b"{"):
                continue
            message = orjson.loads(line)
            kind = message.get("type")
            if kind == "RECORD":
                record = message["record"]
                if record.get("stream") == "agent_status_intervals":
                    scan.intervals += 1
                    continue
                if record.get("stream") != "status_changes":
                    scan.other_streams += 1
                    continue
                data = record["data"]
                scan.records += 1
                scan.digest = (scan.digest + hash(tuple(data.get(name) for name in PRIMARY_KEY))) & mask
            elif kind == "STATE":
                scan.states += 1
            elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
                scan.errors.append(message["trace"]["error"].get("message", "?"))
    return scan


# The benchmark


@dataclass
class DateRange:
    start: str
    end: str

    @classmethod
    def recent(cls, span: timedelta) -> "DateRange":
        """Ends a minute ago and starts ``span`` before that (less than 180 days: inside the connector's clamp)."""
        end_ms = time.time_ns() // 1_000_000 - 60_000
        return cls(format_ms(end_ms - span // timedelta(milliseconds=1)), format_ms(end_ms))

    def still_unclamped(self) -> bool:
        """True while now - 180 days (the connector's clamp) is still at least a minute before ``start``."""
        earliest = datetime.now(UTC) - CONNECTOR_MAX_HISTORY
        return earliest + timedelta(minutes=1) < datetime.fromisoformat(self.start)


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.measurements: list[Measurement] = []  # the floor's and this checkout's runs
        self.baseline: list[Measurement] = []  # the --baseline checkout's runs
        self.checkouts = [Checkout(args.connector.resolve())]
        if args.baseline is not None:
            self.checkouts.append(Checkout(args.baseline.resolve(), baseline=True))
        self.expected: dict[str, dict[str, int]] = {}  # label -> {"records", "requests", "windows"}
        self.ranges: dict[str, DateRange] = {}
        self.simulators: dict[str, str] = {}  # label -> simulator command
        self.run_number = 0

    def log(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    # Expected results, from the simulator's ground truth

    def expect(self, sim: SimulatorProcess, label: str, dates: DateRange) -> None:
        """Records of the range and the requests a client needs: one per page of each window, + discovery + token."""
        start_ms, end_ms = parse_ms(dates.start), parse_ms(dates.end)
        page = self.args.page_size
        records = pages = count = 0
        for lower, upper in windows(start_ms, end_ms, self.args.window_days * DAY_MS):
            window = sim.control(
                "GET", "ground-truth", count_only="1", **{"from": format_ms(lower)}, to=format_ms(upper)
            )
            records += window["count"]
            pages += max(1, math.ceil(window["count"] / page))
            count += 1
        self.expected[label] = {"records": records, "requests": pages + DISCOVERY_AND_TOKEN, "windows": count}
        self.log(f"[{label}] {dates.start} .. {dates.end}: {records} records in {count} windows (ground truth)")

    # One run of one client

    def connector_config(self, sim: SimulatorProcess, dates: DateRange, num_workers: Optional[int]) -> dict:
        config = {
            **sim.info["connector_config"],
            "start_date": dates.start,
            "end_date": dates.end,
            "page_size": self.args.page_size,
            "window_size_days": self.args.window_days,
        }
        if num_workers is not None:
            config["num_workers"] = num_workers
        return config

    def command(
        self,
        client: str,
        sim: SimulatorProcess,
        dates: DateRange,
        output: Path,
        workers: Optional[int],
        checkout: Optional[Checkout],
    ):
        if client == "floor":
            info_file = self.workdir / f"simulator-{sim.name}.json"
            command = [sys.executable, "-m", "benchmarks.floor_client", "--info", str(info_file)]
            command += ["--start", dates.start, "--end", dates.end, "--output", str(output)]
            command += ["--window-days", str(self.args.window_days), "--page-size", str(self.args.page_size)]
            return command, dict(os.environ)
        config = self.workdir / f"config-{sim.name}-{workers or 'default'}.json"
        config.write_text(json.dumps(self.connector_config(sim, dates, workers), indent=2))
        catalog = self.workdir / f"catalog-{client}.json"
        if not catalog.exists():
            entries = [
                {
                    "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                    "sync_mode": "full_refresh",
                    "destination_sync_mode": "overwrite",
                }
                for name in STREAMS_OF[client]
            ]
            catalog.write_text(json.dumps({"streams": entries}, indent=2))
        command = [str(checkout.script), "read", "--config", str(config), "--catalog", str(catalog)]
        return command, {**os.environ, "REQUESTS_CA_BUNDLE": sim.info["ca_path"]}

    def run_client(
        self,
        client: str,
        sim: SimulatorProcess,
        label: str,
        repetition: int,
        num_workers: Optional[int] = None,
        record: bool = True,
        checkout: Optional[Checkout] = None,
    ) -> Measurement:
        dates = self.ranges[label]
        if client != "floor" and not dates.still_unclamped():
            raise BenchmarkError(
                f"the benchmark ran longer than --margin-hours: the connector would now move start_date "
                f"{dates.start} forward (its 180-day clamp) and read fewer records than the floor"
            )
        self.run_number += 1
        baseline = checkout is not None and checkout.baseline
        stem = f"{self.run_number:03d}-{label}-{client}" + (f"-w{num_workers}" if num_workers else "")
        stem += "-baseline" if baseline else ""
        output, stderr = self.workdir / f"{stem}.jsonl", self.workdir / f"{stem}.stderr"
        command, env = self.command(client, sim, dates, output, num_workers, checkout)
        # The connector writes its messages to stdout; the floor to --output, and a summary line to stdout.
        stdout = self.workdir / f"{stem}.stdout" if client == "floor" else output
        fingerprint = "" if checkout is None else checkout.fingerprint()
        sim.control("POST", "reset-stats")
        server_cpu_before = sim.cpu_seconds()
        code, wall, cpu, rss = run_measured(command, env, stdout, stderr, self.args.timeout)
        if checkout is not None and checkout.fingerprint() != fingerprint:
            fingerprint += "+changed"
        server_cpu = sim.cpu_seconds() - server_cpu_before
        stats = sim.control("GET", "stats")
        scan = scan_output(output)
        name = f"{client} (baseline)" if baseline else client
        what = f"{name} ({label}, repetition {repetition})"
        if code != 0 or scan.errors:
            tail = stderr.read_text(errors="replace")[-2000:]
            raise BenchmarkError(f"{what} failed with exit code {code}: {scan.errors[:3]} {tail}\nsee {output}")
        measurement = Measurement(
            client=client,
            label=label,
            repetition=repetition,
            records=scan.records,
            states=scan.states,
            wall_s=wall,
            cpu_s=cpu,
            peak_rss_mb=rss,
            requests=stats["total"],
            requests_by_endpoint=stats["by_endpoint"],
            server_cpu_s=server_cpu,
            num_workers=num_workers,
            code=fingerprint,
            digest=scan.digest,
            intervals=scan.intervals,
            checkout="" if checkout is None else str(checkout.root),
        )
        self.check(measurement, scan, what)
        if not self.args.keep_output:
            output.unlink()
        self.log(
            f"[{label}] {name}"
            f"{f' num_workers={num_workers}' if num_workers else ''}"
            f"{'' if record else ' (warm-up)'} #{repetition}: {scan.records} records, {scan.intervals} intervals, "
            f"{scan.states} states, "
            f"wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MB, {stats['total']} requests "
            f"{stats['by_endpoint']}, simulator CPU {server_cpu:.2f} s"
        )
        if record:
            (self.baseline if baseline else self.measurements).append(measurement)
        return measurement

    def run_each_checkout(self, client: str, sim: SimulatorProcess, label: str, repetition: int, **options) -> None:
        """The floor once; a connector client with this checkout, then right after with the baseline (if any)."""
        for checkout in [None] if client == "floor" else self.checkouts:
            self.run_client(client, sim, label, repetition, checkout=checkout, **options)

    def check(self, run: Measurement, scan: OutputScan, what: str) -> None:
        """Fail loudly unless the run wrote the ground truth: the same records as every other run of this range.

        A run of agent_status_intervals alone writes no status change; every run that derives intervals must write
        the same number of them.
        """
        expected = self.expected[run.label]
        problems = []
        reads_status_changes = "status_changes" in STREAMS_OF[run.client]
        if reads_status_changes and scan.records != expected["records"]:
            problems.append(f"{scan.records} records, the simulator's ground truth has {expected['records']}")
        if not reads_status_changes and scan.records:
            problems.append(f"{scan.records} status changes, but that stream was not selected")
        if run.client in INTERVAL_CLIENTS and not scan.intervals:
            problems.append("no interval")
        if scan.other_streams:
            problems.append(f"{scan.other_streams} records of other streams")
        for other in self.measurements:
            if other.label != run.label:
                continue
            if run.client in INTERVAL_CLIENTS and other.client in INTERVAL_CLIENTS and other.intervals != run.intervals:
                problems.append(f"{run.intervals} intervals, but {other.client} wrote {other.intervals}")
                break
            if not reads_status_changes or "status_changes" not in STREAMS_OF[other.client]:
                continue
            if other.records != run.records:
                problems.append(f"{run.records} records, but {other.client} wrote {other.records} of the same range")
                break
            if other.digest != run.digest:
                problems.append(f"the same number of records as {other.client}, but not the same primary keys")
                break
        if problems:
            raise BenchmarkError(f"{what}: " + "; ".join(problems))

    # The three parts

    def scale(self, records: int) -> None:
        label = f"{records:,}".replace(",", "_")
        # The simulator keeps every query result of the run in memory, so that it serves both clients' pages at the
        # same speed from the first measured run on: the floor then measures the client, not the data generator.
        arguments = ["--records", str(records), "--window-cache-records", str(records * 2)]
        clients = CLIENTS + INTERVAL_CLIENTS if records == max(self.args.scales) else CLIENTS
        self.account(label, arguments, self.six_months(), clients)

    def large_account(self, agents: int) -> None:
        """Many agents, a short history: each window holds many agents' events (what agent_status_intervals keeps)."""
        days = self.args.large_days
        # The simulator's own changes_per_session and sessions_per_day (its command line does not set them).
        config = SimulatorConfig(agents=agents, history_days=days)
        records = agents * days * expected_records_per_agent_day(config.sessions_per_day, config.changes_per_session)
        arguments = ["--agents", str(agents), "--history-days", str(days)]
        arguments += ["--window-cache-records", str(math.ceil(records) * 2)]  # every query result kept, as above
        self.account(LARGE, arguments, DateRange.recent(timedelta(days=days)), ("connector", *INTERVAL_CLIENTS))

    def account(self, label: str, arguments: list[str], dates: DateRange, clients: Iterable[str]) -> None:
        with self.simulator(label, arguments, dates) as sim:
            # Warm-up, not measured: the simulator's page caches (the OS file cache of the imports: simulator()).
            self.run_client("floor", sim, label, 0, record=False)
            for repetition in range(1, self.args.repeat + 1):
                for client in clients:  # interleaved, so that drift hits every client alike
                    self.run_each_checkout(client, sim, label, repetition, num_workers=self.args.workers)

    def latency(self, workers: list[int]) -> None:
        label = "latency"
        arguments = ["--agents", str(self.args.latency_agents), "--history-days", str(self.args.latency_days)]
        arguments += ["--latency-ms", str(self.args.latency_ms)]
        with self.simulator(label, arguments, self.six_months()) as sim:
            self.run_client("floor", sim, label, 1)  # once, for reference (and it warms the simulator's caches)
            for repetition in range(1, self.args.repeat + 1):
                for count in workers:
                    for client in LATENCY_CLIENTS:
                        self.run_each_checkout(client, sim, label, repetition, num_workers=count)

    def six_months(self) -> DateRange:
        """The connector's 180 days less --margin-hours, so that its clamp leaves the start alone while it runs."""
        return DateRange.recent(CONNECTOR_MAX_HISTORY - timedelta(hours=self.args.margin_hours))

    @contextmanager
    def simulator(self, label: str, arguments: list[str], dates: DateRange) -> Iterator[SimulatorProcess]:
        """The simulator of one part, its range's ground truth counted, every checkout's imports in the file cache."""
        with SimulatorProcess(label, arguments, self.workdir) as sim:
            self.simulators[label] = shlex.join(["python", "-m", "liveperson_simulator", *arguments])
            self.ranges[label] = dates
            self.expect(sim, label, dates)
            for checkout in self.checkouts:
                subprocess.run([str(checkout.script), "spec"], cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            yield sim


# Reporting


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: list[float], digits: int = 2) -> str:
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def group(runs: list[Measurement], **match: Any) -> list[Measurement]:
    return [run for run in runs if all(getattr(run, key) == value for key, value in match.items())]


def scale_table(bench: Bench, labels: list[str]) -> list[str]:
    lines = [
        "| scale | client | records | wall s | CPU s | records/s | peak RSS MB | HTTP requests (expected) "
        "| wall ratio | CPU ratio | details: min–max wall s / CPU s / RSS MB; simulator CPU s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label in labels:
        medians = {}
        for client in CLIENTS:
            runs = group(bench.measurements, label=label, client=client)
            medians[client] = (median(r.wall_s for r in runs), median(r.cpu_s for r in runs))
        for client in CLIENTS:
            runs = group(bench.measurements, label=label, client=client)
            wall, cpu = medians[client]
            rss = median(r.peak_rss_mb for r in runs)
            requests_ = median(r.requests for r in runs)
            ratios = ("", "")
            if client == "connector":
                ratios = (f"{wall / medians['floor'][0]:.1f}×", f"{cpu / medians['floor'][1]:.1f}×")
            details = (
                f"{spread([r.wall_s for r in runs])} / {spread([r.cpu_s for r in runs])} / "
                f"{spread([r.peak_rss_mb for r in runs], 0)}; {median(r.server_cpu_s for r in runs):.2f}"
            )
            lines.append(
                f"| {label.replace('_', ',')} | {client} | {runs[0].records:,} | {wall:.2f} | {cpu:.2f} | "
                f"{runs[0].records / wall:,.0f} | {rss:.0f} | {requests_:g} ({bench.expected[label]['requests']}) | "
                f"{ratios[0]} | {ratios[1]} | {details} |"
            )
    return lines


def intervals_table(bench: Bench, label: str) -> list[str]:
    lines = [
        "| streams selected | status changes read | intervals written | wall s | CPU s | CPU µs per status change "
        "| peak RSS MB | status-changes requests | details: min–max wall s / CPU s / RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    read = bench.expected[label]["records"]
    for client in ("connector", *INTERVAL_CLIENTS):
        runs = group(bench.measurements, label=label, client=client)
        if not runs:
            continue
        cpu = median(r.cpu_s for r in runs)
        pages = median(r.requests_by_endpoint.get("status_changes", 0) for r in runs)
        details = (
            f"{spread([r.wall_s for r in runs])} / {spread([r.cpu_s for r in runs])} / "
            f"{spread([r.peak_rss_mb for r in runs], 0)}"
        )
        lines.append(
            f"| {' + '.join(STREAMS_OF[client])} | {read:,} | {runs[0].intervals:,} | "
            f"{median(r.wall_s for r in runs):.2f} | {cpu:.2f} | {cpu / read * 1e6:.1f} | "
            f"{median(r.peak_rss_mb for r in runs):.0f} | {pages:g} | {details} |"
        )
    return lines


def latency_table(bench: Bench, workers: list[int]) -> list[str]:
    label = "latency"
    lines = [
        "| client | num_workers | records | wall s | min–max wall s | CPU s | peak RSS MB | HTTP requests (expected) "
        f"| speedup vs num_workers={workers[0]} | wall ÷ status_changes alone |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    expected = bench.expected[label]["requests"]
    floor = group(bench.measurements, label=label, client="floor")
    if floor:
        run = floor[0]
        lines.append(
            f"| floor (sequential, 1 run) | 1 | {run.records:,} | {run.wall_s:.2f} | – | {run.cpu_s:.2f} | "
            f"{run.peak_rss_mb:.0f} | {run.requests} ({expected}) | | |"
        )
    walls = {
        (client, count): median(
            r.wall_s for r in group(bench.measurements, label=label, client=client, num_workers=count)
        )
        for client in LATENCY_CLIENTS
        for count in workers
    }
    for client in LATENCY_CLIENTS:
        for count in workers:
            runs = group(bench.measurements, label=label, client=client, num_workers=count)
            wall, base, alone = walls[client, count], walls[client, workers[0]], walls["connector", count]
            lines.append(
                f"| connector: {' + '.join(STREAMS_OF[client])} | {count} | {runs[0].records:,} | {wall:.2f} | "
                f"{spread([r.wall_s for r in runs])} | {median(r.cpu_s for r in runs):.2f} | "
                f"{median(r.peak_rss_mb for r in runs):.0f} | {median(r.requests for r in runs):g} ({expected}) | "
                f"{base / wall:.2f}× | {'' if client == 'connector' else f'{wall / alone:.2f}×'} |"
            )
    return lines


def baseline_table(bench: Bench) -> list[str]:
    """Every setting the baseline ran: its medians before (the baseline) and after (this checkout)."""
    lines = [
        "| part | streams selected | num_workers | HTTP requests | wall s | CPU s | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    measures = (("requests", "g"), ("wall_s", ".2f"), ("cpu_s", ".2f"), ("peak_rss_mb", ".0f"))
    for label, client, workers in dict.fromkeys((r.label, r.client, r.num_workers) for r in bench.baseline):
        before = group(bench.baseline, label=label, client=client, num_workers=workers)
        after = group(bench.measurements, label=label, client=client, num_workers=workers)
        cells = [
            f"{median(getattr(r, name) for r in before):{form}} → {median(getattr(r, name) for r in after):{form}}"
            for name, form in measures
        ]
        lines.append(
            f"| {label.replace('_', ',')} | {' + '.join(STREAMS_OF[client])} | {workers or 'default'} | "
            f"{' | '.join(cells)} |"
        )
    return lines


def targets(bench: Bench, labels: list[str], workers: list[int]) -> list[str]:
    """The issue's targets, measured."""
    rows = []

    def median_of(label: str, attribute: str, client: str = "connector", **match: Any) -> float:
        return median(getattr(r, attribute) for r in group(bench.measurements, label=label, client=client, **match))

    if labels:
        largest = labels[-1]
        ratio = median_of(largest, "wall_s") / median_of(largest, "wall_s", client="floor")
        rows.append((f"wall at {largest.replace('_', ',')} records ≤ 6× floor", f"{ratio:.1f}×", ratio <= 6))
        for label in labels:
            requests_ = median_of(label, "requests")
            expected = bench.expected[label]["requests"]
            text = f"{requests_:g} (expected {expected})"
            rows.append(
                (f"requests at {label.replace('_', ',')} = pages + token + discovery", text, requests_ == expected)
            )
        rss = {label: median_of(label, "peak_rss_mb") for label in labels}
        worst = max(rss.values())
        rows.append(("peak RSS ≤ 200 MB", f"{worst:.0f} MB", worst <= 200))
        if len(labels) > 1:
            growth = rss[labels[-1]] / rss[labels[0]] - 1
            text = f"{growth:+.0%} ({rss[labels[0]]:.0f} → {rss[labels[-1]]:.0f} MB)"
            name = f"peak RSS at {labels[-1]} within 20% of {labels[0]}".replace("_", ",")
            rows.append((name, text, growth <= 0.2))
    if labels and group(bench.measurements, label=labels[-1], client="both"):
        largest = labels[-1]
        both_rss = median_of(largest, "peak_rss_mb", client="both")
        rows.append(
            (
                f"peak RSS with both streams at {largest.replace('_', ',')} ≤ 250 MB",
                f"{both_rss:.0f} MB",
                both_rss <= 250,
            )
        )
        ratio = median_of(largest, "cpu_s", client="intervals") / median_of(largest, "cpu_s")
        rows.append(("CPU per status change: agent_status_intervals ≤ 2× status_changes", f"{ratio:.2f}×", ratio <= 2))
        ratio = median_of(largest, "cpu_s", client="both") / median_of(largest, "cpu_s")
        name = f"CPU with both streams at {largest.replace('_', ',')} ≤ 1.8× status_changes alone"
        rows.append((name, f"{ratio:.2f}×", ratio <= 1.8))
    if LARGE in bench.expected:
        both_rss = median_of(LARGE, "peak_rss_mb", client="both")
        name = f"peak RSS with both streams, large account ({bench.args.large_agents:,} agents) ≤ 300 MB"
        rows.append((name, f"{both_rss:.0f} MB", both_rss <= 300))
    for label in [label for label in labels[-1:] + [LARGE] if group(bench.measurements, label=label, client="both")]:
        both, alone = median_of(label, "requests", client="both"), median_of(label, "requests")
        name = f"requests with both streams = status_changes alone ({label.replace('_', ',')})"
        rows.append((name, f"{both:g} (alone {alone:g})", both == alone))
    if 1 in workers and 4 in workers:
        speedup = median_of("latency", "wall_s", num_workers=1) / median_of("latency", "wall_s", num_workers=4)
        rows.append(("latency case: num_workers=4 ≥ 2.5× faster than 1", f"{speedup:.2f}×", speedup >= 2.5))
    if workers:
        ratios = {
            count: median_of("latency", "wall_s", client="both", num_workers=count)
            / median_of("latency", "wall_s", num_workers=count)
            for count in workers
        }
        text = ", ".join(f"{ratio:.2f}× (num_workers={count})" for count, ratio in ratios.items())
        rows.append(
            ("latency case: wall with both streams ≤ 1.1× status_changes alone", text, max(ratios.values()) <= 1.1)
        )
    lines = ["| target | measured | met |", "|---|---:|:---:|"]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in rows]
    return lines


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    memory = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- CPUs (`nproc`): {usable} — {model.group(1).strip() if model else platform.processor() or 'unknown'}",
        f"- RAM: {int(memory.group(1)) / 1024**2:.1f} GiB" if memory else "- RAM: unknown",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, airbyte-cdk {_version('airbyte-cdk')}, "
        f"requests {_version('requests')}, orjson {_version('orjson')}",
    ]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def kept_notes(path: Path) -> str:
    """The "Where the time goes" section of an earlier report, so that re-running the benchmark keeps it."""
    if not path.exists():
        return PLACEHOLDER
    text = path.read_text()
    start = text.find(WHERE_THE_TIME_GOES)
    if start < 0:
        return PLACEHOLDER
    body = text[start + len(WHERE_THE_TIME_GOES) :]
    following = re.search(r"^## ", body, re.MULTILINE)
    notes = (body[: following.start()] if following else body).strip()
    return notes or PLACEHOLDER


def report(bench: Bench, labels: list[str], workers: list[int], started: datetime, seconds: float) -> str:
    args = bench.args
    lines = [
        "# Performance",
        "",
        "The connector's full-refresh `read` of `status_changes` against a floor client doing the least work any "
        "connector must do, on the bundled LivePerson simulator over HTTPS on loopback. Generated by "
        "[`benchmarks/run.py`](../benchmarks/run.py); re-running it rewrites everything here except "
        '"Where the time goes".',
        "",
        f"- Command: `{command_line()}`",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M')} UTC; the whole benchmark took {seconds / 60:.1f} min",
        *machine(),
        *code_versions(bench),
        f"- Settings: page_size {args.page_size}, window_size_days {args.window_days}, connector num_workers "
        f"{args.workers if args.workers is not None else 'not set (the connector default, 3 when written)'}; "
        f"{args.repeat} repetition(s) per client and setting after an unmeasured warm-up, medians reported",
        "",
    ]
    if labels:
        lines += ["## Throughput at scale", ""]
        for label in labels:
            dates = bench.ranges[label]
            lines.append(
                f"- {label.replace('_', ',')}: simulator `{bench.simulators[label]}`, range {dates.start} .. "
                f"{dates.end} ({bench.expected[label]['windows']} windows)"
            )
        lines += ["", *scale_table(bench, labels), ""]
        largest = labels[-1]
        if group(bench.measurements, label=largest, client="both"):
            lines += [
                "## Time in status: agent_status_intervals",
                "",
                f"The same {largest.replace('_', ',')}-record account and range, full refresh, with "
                "agent_status_intervals selected alone and beside status_changes. *CPU µs per status change* divides "
                "the run's CPU by the status changes of the range, which every run reads. *status-changes requests* "
                "counts the pages each selection asked for: with both streams, the target is each page once.",
                "",
                *intervals_table(bench, largest),
                "",
            ]
    if LARGE in bench.expected:
        dates, expected = bench.ranges[LARGE], bench.expected[LARGE]
        config = SimulatorConfig()
        per_agent_day = expected["records"] / args.large_agents / args.large_days
        lines += [
            "## A large account",
            "",
            f"{args.large_agents:,} agents, {args.large_days} days of history: simulator `{bench.simulators[LARGE]}`, "
            f"range {dates.start} .. {dates.end} ({expected['windows']} windows), full refresh with each stream "
            f"selection. The simulator's defaults give each agent {config.sessions_per_day} session a working day "
            f"with {config.changes_per_session} status changes besides the login, its default state and the logout; "
            f"with days off, {per_agent_day:.1f} records per agent and day. Each window holds many agents' events: "
            "what agent_status_intervals keeps until the window before it is derived.",
            "",
            *intervals_table(bench, LARGE),
            "",
        ]
    if workers:
        dates = bench.ranges["latency"]
        lines += [
            "## Latency",
            "",
            f"A sparse account, {args.latency_ms} ms added by the simulator to every request: simulator "
            f"`{bench.simulators['latency']}`, range {dates.start} .. {dates.end} "
            f"({bench.expected['latency']['windows']} windows). The connector at each num_workers with "
            "status_changes alone and with both streams "
            f"({args.repeat} repetition(s), median); the floor once, for reference (it reads one window at a time).",
            "",
            *latency_table(bench, workers),
            "",
        ]
    if bench.baseline:
        lines += [
            "## Before and after",
            "",
            f"Each setting also run with the connector of `{args.baseline}` (fingerprint "
            f"{', '.join(dict.fromkeys(run.code for run in bench.baseline))}) right after this one, alternately; "
            "medians, before → after.",
            "",
            *baseline_table(bench),
            "",
        ]
    lines += ["## Targets", "", *targets(bench, labels, workers), ""]
    lines += [
        "## How to read this",
        "",
        "Each row is the median of the repetitions (min–max in the details column); a single run is never "
        "quoted. *wall s* is elapsed time from starting the client process to its exit, *CPU s* its user + "
        "system time, *peak RSS* its maximum resident set (all from `os.wait4`, so the simulator, a separate "
        "process, is not counted). *records/s* is records over wall time. *HTTP requests* is what the "
        "simulator counted during the run; *expected* is one request per page of each window (⌈records / "
        "page_size⌉, at least one) plus one Domain API lookup (every service at once) and one token, which "
        "both clients make. *wall ratio* and *CPU ratio* are connector ÷ floor: how much the connector costs "
        "beyond the unavoidable fetching, decoding and writing. Both clients must write exactly the "
        "simulator's ground truth (count and primary keys) for the run to count. The floor's wall time "
        "includes the simulator preparing each window (*simulator CPU s* in the details, shared by both "
        "clients), so it is a floor for this set-up, not a theoretical limit. In the latency case the time is "
        "dominated by waiting: it shows how well the connector overlaps windows, and the speedup is relative "
        "to "
        f"num_workers={workers[0] if workers else 1}.",
        "",
        WHERE_THE_TIME_GOES,
        "",
        kept_notes(args.output),
        "",
    ]
    return "\n".join(lines)


def code_versions(bench: Bench) -> list[str]:
    versions = list(dict.fromkeys(run.code for run in bench.measurements if run.checkout))
    if len(versions) <= 1:
        checkout = "" if bench.args.connector.resolve() == ROOT else f" of `{bench.args.connector}`"
        return [f"- Connector code: `source_agent_activity/`{checkout} fingerprint {versions[0] if versions else '–'}"]
    return [
        f"- **Warning: the connector's code changed while the benchmark ran** ({len(versions)} fingerprints of "
        f"`source_agent_activity/`: {', '.join(versions)}; see measurements.json): rows may mix versions."
    ]


def command_line() -> str:
    if not sys.argv[1:] and os.environ.get("MAKELEVEL"):
        return "make bench"
    python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    return shlex.join([python, "-m", "benchmarks.run", *sys.argv[1:]])


# Entry point


def _numbers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def arguments(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=_numbers, help="records per account, comma-separated (100000,1000000)")
    parser.add_argument("--repeat", type=int, help="measured runs per client and setting (3); the median is reported")
    parser.add_argument("--latency-workers", type=_numbers, help="connector num_workers of the latency case (1,2,4,8)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 20k records, 1,000 agents, 1 repetition, workers 1,4"
    )
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--latency-agents", type=int, default=20)
    parser.add_argument("--latency-days", type=int, default=180)
    parser.add_argument("--large-agents", type=int, help="agents of the large account (10000); 0 skips it")
    parser.add_argument("--large-days", type=int, default=14, help="days of the large account's history and range")
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--workers", type=int, help="connector num_workers of the scale runs (default: not set)")
    parser.add_argument(
        "--margin-hours", type=float, default=24, help="start = end - 180 days + this, inside the connector's clamp"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a client run is killed")
    parser.add_argument("--output", type=Path, help="the Markdown report (docs/performance.md; --quick: results/)")
    parser.add_argument("--keep-output", action="store_true", help="keep every run's Airbyte messages")
    parser.add_argument(
        "--connector", type=Path, default=ROOT, help="the connector checkout to measure, with its own .venv (this one)"
    )
    parser.add_argument(
        "--baseline", type=Path, help="another connector checkout (with its own .venv) to run beside it: before/after"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    if args.scales is None:
        args.scales = [20_000] if quick else [100_000, 1_000_000]
    if args.repeat is None:
        args.repeat = 1 if quick else 3
    if args.large_agents is None:
        args.large_agents = 1_000 if quick else 10_000
    if args.latency_workers is None:
        args.latency_workers = [1, 4] if quick else [1, 2, 4, 8]
    if args.output is None:
        args.output = RESULTS / "performance-quick.md" if quick else DEFAULT_OUTPUT
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = arguments(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    workdir = RESULTS / started.strftime("%Y%m%dT%H%M%SZ")
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, workdir)
    scales = sorted(args.scales)
    workers = args.latency_workers
    try:
        for records in scales:
            bench.scale(records)
        if args.large_agents:
            bench.large_account(args.large_agents)
        if workers:
            bench.latency(workers)
    except BenchmarkError as error:
        print(f"benchmark FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        runs = bench.measurements + bench.baseline
        raw = [{key: value for key, value in asdict(run).items() if key != "digest"} for run in runs]
        (workdir / "measurements.json").write_text(json.dumps(raw, indent=2))
    labels = [f"{records:,}".replace(",", "_") for records in scales]
    text = report(bench, labels, workers, started, time.perf_counter() - clock)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    print(f"\nWrote {args.output}; raw measurements and logs in {workdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
