"""`make demo`: the connector's main job, end to end, against the bundled LivePerson simulator.

Starts the simulator, runs the installed `source-agent-activity` command through spec, check, discover, a full
read of every stream discover returned (configured with the cursors and primary keys it declares) and an incremental
read from the state the first one saved, and prints what a workforce analyst would look at first: agents, state
changes, the saved state, and the time each agent spent in each status, summed from the agent_status_intervals stream.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liveperson_simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parent
OUTPUT = ROOT / "demo-output"
COMMAND = str(Path(sys.executable).parent / "source-agent-activity")
SHOWN = ("online", "away", "occupied", "offline")
HISTORY_DAYS = 30


def configured_catalog(discovered: list[dict]) -> dict:
    """Every stream discover returned, as a user would configure it: incremental with append + dedupe on the stream's
    own cursor and primary key where it supports that, else full refresh overwriting the last copy."""

    def entry(stream: dict) -> dict:
        if "incremental" in stream["supported_sync_modes"] and stream.get("default_cursor_field"):
            return {
                "stream": stream,
                "sync_mode": "incremental",
                "destination_sync_mode": "append_dedup",
                "cursor_field": stream["default_cursor_field"],
                "primary_key": stream["source_defined_primary_key"],
            }
        return {"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}

    return {"streams": [entry(stream) for stream in discovered]}


def run_connector(step: str, args: list[str], env: dict) -> list[dict]:
    """Run one connector command, keep its raw Airbyte messages in demo-output/, and return them."""
    started = time.monotonic()
    result = subprocess.run([COMMAND, *args], env=env, capture_output=True, text=True, check=False)
    (OUTPUT / f"{step}.jsonl").write_text(result.stdout)
    messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    errors = [m["trace"]["error"]["message"] for m in messages if m.get("type") == "TRACE" and "error" in m["trace"]]
    if result.returncode != 0 or errors:
        sys.exit(f"{step} failed (exit {result.returncode}): {errors or result.stderr[-2000:]}")
    print(f"  {step:<18} ok in {time.monotonic() - started:4.1f} s, {len(messages)} messages")
    return messages


def records_of(messages: list[dict], stream: str) -> list[dict]:
    return [m["record"]["data"] for m in messages if m.get("type") == "RECORD" and m["record"]["stream"] == stream]


def last_state(messages: list[dict]) -> list[dict]:
    """The newest state message of each stream: what Airbyte would hand to the next sync."""
    latest = {
        m["state"]["stream"]["stream_descriptor"]["name"]: m["state"] for m in messages if m.get("type") == "STATE"
    }
    return list(latest.values())


def status_changes_state(states: list[dict]) -> str:
    for state in states:
        if state["stream"]["stream_descriptor"]["name"] == "status_changes":
            return json.dumps(state["stream"]["stream_state"])
    return "none"


def late_state_changes(earlier: list[dict], state: list[dict], count: int = 3) -> list[dict]:
    """State changes of a few known agents, timed 5, 10, 15 minutes before the saved state, published only now."""
    saved = datetime.fromisoformat(json.loads(status_changes_state(state))["time"].replace("Z", "+00:00"))
    agents = {record["agentId"]: record for record in earlier}
    late = []
    for number, agent in enumerate(list(agents.values())[:count], start=1):
        at = saved - timedelta(minutes=5 * number)
        late.append(
            {
                **{name: agent[name] for name in ("agentId", "employeeId", "agentLoginName", "agentUserName")},
                "agentGroupId": agent["agentGroupId"],
                "time": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
                "sessionId": 900_000 + number,
                "sequenceNumber": 900 + number,
                "statusType": 1,
                "statusSubType": 2,
                "statusReasonId": -1,
                "statusReasonText": None,
                "prevStatusChangeTime": None,
            }
        )
    return late


def time_in_status(intervals: list[dict]) -> dict[int, dict[str, float]]:
    """Seconds each agent spent in each status: the closed intervals' durations, summed (open ones have none yet)."""
    totals: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for interval in intervals:
        if interval.get("durationSeconds") is not None:
            totals[interval["agentId"]][interval.get("status") or "other"] += interval["durationSeconds"]
    return {agent: dict(spent) for agent, spent in totals.items()}


def key_of(record: dict, primary_key: list[list[str]]) -> tuple:
    """A record's primary key, given as discover declares it (a list of field paths)."""
    return tuple(record[path[0]] for path in primary_key)


def latest_versions(primary_key: list[list[str]], *reads: list[dict]) -> list[dict]:
    """What an append + deduped destination keeps: the last version of each record (here: of each interval)."""
    latest = {}
    for records in reads:
        for record in records:
            latest[key_of(record, primary_key)] = record
    return list(latest.values())


def print_table(totals: dict[int, dict[str, float]], names: dict[int, str], limit: int = 12) -> None:
    print(f"\n  {'agent':<24}" + "".join(f"{label:>11}" for label in SHOWN) + "   (hours)")
    ranked = sorted(totals.items(), key=lambda item: -sum(item[1].values()))
    for agent_id, spent in ranked[:limit]:
        name = names.get(agent_id, str(agent_id))[:23]
        print(f"  {name:<24}" + "".join(f"{spent.get(label, 0) / 3600:>11.1f}" for label in SHOWN))
    if len(ranked) > limit:
        print(f"  ... and {len(ranked) - limit} more agents")


def main() -> None:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir()
    print("Starting the bundled LivePerson simulator ...")
    config = SimulatorConfig(agents=12, groups=3, history_days=HISTORY_DAYS + 5, late_share=0.2, late_delay_seconds=120)
    with Simulator(config).start() as sim:
        print(f"  simulator at https://{sim.address}, account {sim.account_id}, test CA {sim.ca_path}")
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(sim.ca_path)}
        start = datetime.now(UTC) - timedelta(days=HISTORY_DAYS)
        connector_config = sim.connector_config(start_date=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        files = {
            "config": OUTPUT / "config.json",
            "catalog": OUTPUT / "configured_catalog.json",
            "state": OUTPUT / "state.json",
        }
        files["config"].write_text(json.dumps(connector_config, indent=2))

        print("\nRunning the connector (the same commands Airbyte runs):")
        spec = run_connector("1-spec", ["spec"], env)
        check = run_connector("2-check", ["check", "--config", str(files["config"])], env)
        discover = run_connector("3-discover", ["discover", "--config", str(files["config"])], env)
        discovered = [s for m in discover if m.get("type") == "CATALOG" for s in m["catalog"]["streams"]]
        files["catalog"].write_text(json.dumps(configured_catalog(discovered), indent=2))
        read_args = ["read", "--config", str(files["config"]), "--catalog", str(files["catalog"])]
        first = run_connector("4-read-full", read_args, env)
        state = last_state(first)
        files["state"].write_text(json.dumps(state, indent=2))
        # Late data: LivePerson may publish the last hour late. Publish a few state changes now whose times lie
        # before the saved state, and let the simulator's clock move on so its own late records appear too; the
        # incremental read re-reads lookback_minutes before the saved state and picks them up.
        sim.add_records(late_state_changes(records_of(first, "status_changes"), state))
        sim.advance(config.late_delay_seconds + 1)
        second = run_connector("5-read-incremental", [*read_args, "--state", str(files["state"])], env)

    changes = records_of(first, "status_changes")
    agents = records_of(first, "agents")
    names = {int(a["id"]): a.get("nickname") or a.get("loginName") or str(a["id"]) for a in agents}
    primary_keys = {stream["name"]: stream["source_defined_primary_key"] for stream in discovered}
    keys = {key_of(r, primary_keys["status_changes"]) for r in changes}
    new = [r for r in records_of(second, "status_changes") if key_of(r, primary_keys["status_changes"]) not in keys]
    status = next(m["connectionStatus"]["status"] for m in check if m.get("type") == "CONNECTION_STATUS")
    streams = [stream["name"] for stream in discovered]

    print("\nWhat came out:")
    print(
        f"  spec: {len(spec[-1]['spec']['connectionSpecification']['properties'])} settings; check: {status}; "
        f"streams: {', '.join(streams)}"
    )
    print(
        f"  full read: {len(changes)} state changes from {len({r['agentId'] for r in changes})} agents, "
        f"{len(agents)} agent records, {len(records_of(first, 'agent_groups'))} agent groups, "
        f"{len(records_of(first, 'status_reasons'))} status reasons"
    )
    print(f"  saved state of status_changes: {status_changes_state(state)}")
    print(
        f"  incremental read: {len(records_of(second, 'status_changes'))} state changes re-read or new, "
        f"{len(new)} of them new (late or recent); new state: {status_changes_state(last_state(second))}"
    )
    intervals = latest_versions(
        primary_keys["agent_status_intervals"],
        records_of(first, "agent_status_intervals"),
        records_of(second, "agent_status_intervals"),
    )
    still_open = sum(1 for interval in intervals if interval.get("endTime") is None)
    print(
        f"  agent_status_intervals: {len(intervals)} intervals after both reads (last version of each), "
        f"{still_open} still open"
    )
    print_table(time_in_status(intervals), names)
    print(f"\nRaw Airbyte messages of every step: {OUTPUT}/ (config, catalog and state files too).")


if __name__ == "__main__":
    main()
