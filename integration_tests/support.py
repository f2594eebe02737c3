"""What the integration tests share: the real `source-agent-activity` command run as a subprocess the way Airbyte runs
it, its messages, catalogs, the small default account and date helpers.

Test modules import from here, never from each other.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

# Small enough to sync in a second, large enough for several pages, midnight edges and deleted ids.
SMALL_ACCOUNT = {"agents": 8, "groups": 2, "history_days": 45}
COMMAND = str(Path(sys.executable).parent / "source-agent-activity")
PRIMARY_KEY = ("agentId", "time", "statusType", "sequenceNumber")
# Simulator faults (liveperson_simulator/faults.py) a sync must ride out with every record delivered.
RECOVERABLE_FAULTS = (
    "429",
    "429_no_retry_after",
    "500",
    "503",
    "drop",
    "truncate",
    "expire_token",
    "no_state_changes",
    "bad_record_time",
    "html_error",
    "empty_body",
)


def key_of(record: dict) -> tuple:
    return tuple(record[name] for name in PRIMARY_KEY)


INTERVAL_KEY = ("agentId", "startTime", "sequenceNumber")


def interval_key_of(interval: dict) -> tuple:
    return tuple(interval[name] for name in INTERVAL_KEY)


_CURSORS = {
    "status_changes": ("time", [[name] for name in PRIMARY_KEY]),
    "agent_status_intervals": ("observedUntil", [[name] for name in INTERVAL_KEY]),
}


def catalog(*streams: str, incremental: bool = True) -> dict:
    entries = []
    for name in streams or ("status_changes",):
        stream = {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]}
        if name in _CURSORS and incremental:
            cursor, primary_key = _CURSORS[name]
            entries.append(
                {
                    "stream": {**stream, "source_defined_cursor": True, "default_cursor_field": [cursor]},
                    "sync_mode": "incremental",
                    "destination_sync_mode": "append_dedup",
                    "cursor_field": [cursor],
                    "primary_key": primary_key,
                }
            )
        else:
            entries.append({"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"})
    return {"streams": entries}


def expected_intervals(events: list[dict]) -> dict[tuple, dict]:
    """The intervals a range's status changes make, computed here on the whole range at once, keyed like the stream.

    Independent of the connector's window-by-window derivation: each agent's events sorted (at the same millisecond a
    logout, then a login, then status changes by sequenceNumber), every status change paired with the next event.
    """
    rank = {4: 0, 3: 1, 1: 2}
    by_agent: dict[int, list[dict]] = {}
    for event in events:
        by_agent.setdefault(event["agentId"], []).append(event)
    expected = {}
    for agent_events in by_agent.values():
        agent_events.sort(key=lambda e: (parse(e["time"]), rank.get(e["statusType"], 3), e["sequenceNumber"]))
        for start, end in zip(agent_events, [*agent_events[1:], None], strict=True):
            if start["statusType"] != 1:
                continue
            sessions = [e["sessionId"] for e in (start, end) if e and e.get("sessionId") not in (None, -1)]
            expected[(start["agentId"], start["time"], start["sequenceNumber"])] = {
                "endTime": end["time"] if end else None,
                "endedBy": {1: "status_change", 3: "login", 4: "logout"}[end["statusType"]] if end else None,
                "durationSeconds": round((parse(end["time"]) - parse(start["time"])).total_seconds(), 3)
                if end
                else None,
                "sessionId": sessions[0] if sessions else None,
                "status": {1: "offline", 2: "online", 3: "occupied", 4: "away"}.get(start["statusSubType"]),
                "statusReasonId": start["statusReasonId"],
            }
    return expected


def as_emitted(intervals: list[dict]) -> dict[tuple, dict]:
    """Intervals as a destination's append + dedupe keeps them: the last version of each key, in `expected_intervals`'
    shape. The CDK leaves null fields out of the records it prints; a destination reads them as null."""
    fields = ("endTime", "endedBy", "durationSeconds", "sessionId", "status", "statusReasonId")
    return {interval_key_of(i): {name: i.get(name) for name in fields} for i in intervals}


@dataclass
class Output:
    """What one connector process printed, split into Airbyte message kinds."""

    exit_code: int
    stdout: str
    stderr: str
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        for line in self.stdout.splitlines():
            if line.startswith("{"):
                self.messages.append(json.loads(line))

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == kind]

    def records(self, stream: str = "status_changes") -> list[dict]:
        return [m["record"]["data"] for m in self.of_type("RECORD") if m["record"]["stream"] == stream]

    @property
    def states(self) -> list[dict]:
        return [m["state"] for m in self.of_type("STATE")]

    def last_state(self, stream: str = "status_changes") -> Optional[dict]:
        for state in reversed(self.states):
            if state.get("stream", {}).get("stream_descriptor", {}).get("name") == stream:
                return state
        return None

    def state_for_next_sync(self) -> list[dict]:
        latest = {s["stream"]["stream_descriptor"]["name"]: s for s in self.states if "stream" in s}
        return list(latest.values())

    @property
    def errors(self) -> list[dict]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]

    @property
    def logs(self) -> list[str]:
        return [m["log"]["message"] for m in self.of_type("LOG")]

    @property
    def connection_status(self) -> Optional[dict]:
        statuses = self.of_type("CONNECTION_STATUS")
        return statuses[-1]["connectionStatus"] if statuses else None


class Connector:
    """The connector CLI bound to a working folder (config, catalog and state files) and a trusted test CA."""

    def __init__(
        self,
        workdir: Path,
        ca_path: str,
        extra_env: Optional[dict[str, str]] = None,
        cli: Sequence[str] = (COMMAND,),
        cwd: Optional[Path] = None,
    ):
        """`cli`: the command line that starts the connector (its arguments follow); `cwd`: where it runs."""
        self.workdir = workdir
        self.env = {**os.environ, "REQUESTS_CA_BUNDLE": str(ca_path), **(extra_env or {})}
        self.cli = list(cli)
        self.cwd = cwd
        self._count = 0

    def _write(self, name: str, content: Any) -> str:
        self._count += 1
        path = self.workdir / f"{self._count:03d}-{name}.json"
        path.write_text(json.dumps(content))
        return str(path)

    def args(self, command: str, config=None, catalog_=None, state=None) -> list[str]:
        args = [command]
        if config is not None:
            args += ["--config", self._write("config", config)]
        if catalog_ is not None:
            args += ["--catalog", self._write("catalog", catalog_)]
        if state is not None:
            args += ["--state", self._write("state", state)]
        return args

    def run(self, command: str, config=None, catalog_=None, state=None, timeout: float = 300) -> Output:
        result = subprocess.run(
            [*self.cli, *self.args(command, config, catalog_, state)],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Output(result.returncode, result.stdout, result.stderr)

    def read(self, config: dict, catalog_: Optional[dict] = None, state=None, timeout: float = 300) -> Output:
        return self.run("read", config, catalog_ or catalog(), state, timeout)

    def read_and_kill(
        self,
        config: dict,
        until: Callable[[dict], bool],
        catalog_=None,
        state=None,
        or_when: Optional[Callable[[], bool]] = None,
    ) -> Output:
        """Start a read and SIGKILL it as soon as it prints a message for which `until` is true, or (when given) as
        soon as `or_when`, a blocking call run beside the read, returns true.

        Reads stdout line by line, so the kill lands at a point the test chose, not after a sleep. Returns what the
        process printed before it died.
        """
        process = subprocess.Popen(
            [*self.cli, *self.args("read", config, catalog_ or catalog(), state)],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if or_when is not None:
            threading.Thread(target=lambda: or_when() and process.send_signal(signal.SIGKILL), daemon=True).start()
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("{") and until(json.loads(line)):
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=60)
        process.stdout.close()
        return Output(process.returncode, "".join(lines), "")


def read_and_kill_holding_last_windows(
    connector: Connector,
    sim,
    config: dict,
    until: Callable[[dict], bool],
    read_range: tuple[datetime, datetime],
    window_days: int,
    workers: int,
    catalog_=None,
) -> Output:
    """`Connector.read_and_kill` of a first read (no saved state) of `read_range` in windows of `window_days`, whose
    last `workers` windows the simulator holds until the kill.

    The read then cannot finish before its kill point (the connector reads faster than a test reads its output, and
    the CDK prints in batches). If every worker waits on a held window before `until` is met, that is the kill point.
    The hold is released however the read ends.
    """
    sim.hold_windows_from(window_starts(*read_range, window_days)[-workers])
    try:
        return connector.read_and_kill(config, until, catalog_, or_when=lambda: sim.wait_until_holding(workers))
    finally:
        sim.hold_windows_from(None)


def state_time(message: dict, stream: str = "status_changes") -> Optional[str]:
    """The `time` a STATE message saves for `stream` (both streams keep their resume point there), else None."""
    if message.get("type") != "STATE":
        return None
    saved = message["state"].get("stream", {})
    if saved.get("stream_descriptor", {}).get("name") != stream:
        return None
    return (saved.get("stream_state") or {}).get("time")


def run_with_args(
    connector: Connector,
    command: str,
    config=None,
    catalog_=None,
    state=None,
    extra_args: tuple[str, ...] = (),
    cwd: Optional[Path] = None,
    timeout: float = 300,
) -> Output:
    """`Connector.run` with extra CLI arguments (such as `--debug`) and a chosen working directory."""
    if command == "read" and catalog_ is None:
        catalog_ = catalog()
    result = subprocess.run(
        [*connector.cli, *connector.args(command, config, catalog_, state), *extra_args],
        env=connector.env,
        cwd=cwd or connector.cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Output(result.returncode, result.stdout, result.stderr)


def read_watching(
    connector: Connector,
    config: dict,
    on_message: Callable[[dict], None],
    catalog_=None,
    state=None,
    timeout: float = 300,
) -> Output:
    """A read that calls `on_message` with each message as soon as the connector prints it, and runs to the end.

    Lets a test act at a point of the sync it chose (for example: inject a fault once the first STATE is out).
    """
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [*connector.cli, *connector.args("read", config, catalog_ or catalog(), state)],
            env=connector.env,
            cwd=connector.cwd,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        lines = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if line.startswith("{"):
                    on_message(json.loads(line))
            process.wait()
        finally:
            watchdog.cancel()
            process.stdout.close()
        stderr.seek(0)
        return Output(process.returncode, "".join(lines), stderr.read())


DAY = timedelta(days=1)


def rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def window_starts(start: datetime, end: datetime, window_days: int) -> list[datetime]:
    """Where the connector's windows of `window_days` start, for a read from `start` (no saved state) to `end`."""
    starts = []
    while start < end:
        starts.append(start)
        start += window_days * DAY
    return starts


def fixed_range(
    sim, days: int, *, hour: int = 0, before_now: timedelta = timedelta(minutes=1)
) -> tuple[datetime, datetime]:
    """A range that starts at `hour` o'clock UTC `days` ago (window edges then fall at that hour; by default midnight)
    and ends `before_now` (by default a minute) before the simulator's now."""
    now = sim.now()
    start = (now - days * DAY).replace(hour=hour, minute=0, second=0, microsecond=0)
    return start, now - before_now


def page_requests(sim) -> Counter[tuple]:
    """How many times each status-changes page was requested since the simulator's last `reset_stats`: one entry per
    distinct query (from, to, offset, limit, filters, v, source)."""
    return Counter(tuple(sorted(entry.query.items())) for entry in sim.requests if entry.endpoint == "status_changes")


def stream_statuses(output: Output, stream: str) -> list[tuple[int, str]]:
    """The STREAM_STATUS traces of `stream` as (position among the output's messages, status), in order."""
    return [
        (position, message["trace"]["stream_status"]["status"])
        for position, message in enumerate(output.messages)
        if message.get("type") == "TRACE"
        and message["trace"].get("type") == "STREAM_STATUS"
        and message["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
    ]
