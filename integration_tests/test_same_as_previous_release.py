"""What Airbyte sees is what it saw from the previous release: 100,000 status changes read by 0.2.0 and by this
version, every message compared per stream (records, states with their `sourceStats`, stream statuses), in order.

0.2.0 is taken from the project's own history (`git archive` of PREVIOUS_RELEASE into a temporary folder) and run
with this environment's Python and packages, as its own CLI against the same simulator, with the same config, catalog
and state. The range is fixed and ends before the simulator's now, and the account has no late data: both reads see
the same status changes whenever they run, and the lookback ends before the range does.

With one worker the CDK reads the windows one after the other, so each stream's messages come in one order, and the
two versions are compared message by message. With the default workers windows overlap and the order of records
between windows is the threads' (for either version): there the records of each stream are compared as multisets, and
the states by their last value and the sum of their record counts.

Left out of the comparison, on purpose: `emitted_at`; LOG messages (this version's progress lines are new); the
ESTIMATE traces this version adds for Airbyte's progress bar (0.2.0 sent none).
"""

import json
import subprocess
import sys
import tarfile
from collections import Counter
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Optional

import pytest

from integration_tests.support import Connector, Output, catalog, fixed_range, rfc3339
from liveperson_simulator import Simulator, SimulatorConfig

PREVIOUS_RELEASE = "043d640"  # 0.2.0
PROJECT = Path(__file__).resolve().parents[1]
CHANGES, INTERVALS = "status_changes", "agent_status_intervals"
ALL_STREAMS = (CHANGES, INTERVALS, "agents", "agent_groups", "status_reasons")
RECORDS = 100_000
TIMEOUT = 300
# The range ends this long before now and the lookback is shorter: the intervals' resume point is the range's end, not
# now - lookback_minutes (which moves with the clock between the two reads).
SETTLED = timedelta(hours=2)
LOOKBACK_MINUTES = 60


def previous_release(into: Path) -> Path:
    """The connector package of PREVIOUS_RELEASE, extracted from git into `into`."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT), "archive", "--format=tar", PREVIOUS_RELEASE, "source_agent_activity"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        if not (PROJECT / ".git").exists():
            pytest.skip("not a git checkout: the previous release cannot be taken from history")
        raise AssertionError(f"git archive {PREVIOUS_RELEASE} failed: {archive.stderr.decode()}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def previous_connector(workdir: Path, ca_path: str, code: Path) -> Connector:
    """The CLI of the release extracted in `code`: its package comes first on the path."""
    launcher = (
        f"import sys; sys.path.insert(0, {str(code)!r}); import source_agent_activity.run as run; "
        f"assert run.__file__.startswith({str(code)!r}), run.__file__; run.run()"
    )
    return Connector(workdir, ca_path, cli=[sys.executable, "-c", launcher], cwd=code)


def compared(message: dict) -> Optional[dict]:
    """The message as compared: None for what is left out, without `emitted_at`."""
    kind = message["type"]
    if kind == "RECORD":
        return {"type": kind, "stream": message["record"]["stream"], "data": message["record"]["data"]}
    if kind == "STATE":
        return message
    if kind == "TRACE" and message["trace"]["type"] in ("STREAM_STATUS", "ERROR"):
        trace = {key: value for key, value in message["trace"].items() if key != "emitted_at"}
        return {"type": kind, "trace": trace}
    return None


def stream_of(message: dict) -> str:
    if message["type"] == "RECORD":
        return message["stream"]
    if message["type"] == "STATE":
        return message["state"]["stream"]["stream_descriptor"]["name"]
    if "stream_status" in message["trace"]:
        return message["trace"]["stream_status"]["stream_descriptor"]["name"]
    return "(errors)"


def per_stream(output: Output) -> dict[str, list[dict]]:
    streams: dict[str, list[dict]] = {}
    for message in output.messages:
        kept = compared(message)
        if kept is not None:
            streams.setdefault(stream_of(kept), []).append(kept)
    return streams


def first_difference(old: list[dict], new: list[dict]) -> str:
    for position, (before, after) in enumerate(zip(old, new, strict=False)):
        if before != after:
            return f"message {position}: 0.2.0 sent {json.dumps(before)[:600]}, now {json.dumps(after)[:600]}"
    return f"0.2.0 sent {len(old)} messages, now {len(new)}"


def as_multiset(messages: list[dict]) -> Counter:
    return Counter(json.dumps(m, sort_keys=True) for m in messages if m["type"] == "RECORD")


def states_summary(messages: list[dict]) -> tuple[Optional[dict], float]:
    """The stream's last state (without its counts) and the sum of its states' record counts."""
    states = [m["state"] for m in messages if m["type"] == "STATE"]
    if not states:
        return None, 0.0
    last = {key: value for key, value in states[-1].items() if key != "sourceStats"}
    return last, sum(state["sourceStats"]["recordCount"] for state in states)


@pytest.fixture(scope="module")
def account():
    with Simulator(SimulatorConfig.for_volume(RECORDS, days=60, groups=3)) as sim:
        yield sim


@pytest.fixture(scope="module")
def connectors(account, tmp_path_factory):
    code = previous_release(tmp_path_factory.mktemp("previous-release"))
    return (
        previous_connector(tmp_path_factory.mktemp("old"), account.ca_path, code),
        Connector(tmp_path_factory.mktemp("new"), account.ca_path),
    )


def config_for(sim: Simulator, **overrides) -> dict:
    start, end = fixed_range(sim, 60, before_now=SETTLED)
    return sim.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), lookback_minutes=LOOKBACK_MINUTES, **overrides
    )


def read_both(connectors, config: dict, catalog_: dict, state=None) -> tuple[Output, Output]:
    old, new = (connector.read(config, catalog_, state, timeout=TIMEOUT) for connector in connectors)
    assert old.exit_code == 0, ("0.2.0", old.errors, old.stderr[-2000:])
    assert new.exit_code == 0, ("now", new.errors, new.stderr[-2000:])
    return old, new


def assert_same_in_order(old: Output, new: Output) -> None:
    before, after = per_stream(old), per_stream(new)
    assert sorted(after) == sorted(before)
    for stream in before:
        assert after[stream] == before[stream], f"{stream}: {first_difference(before[stream], after[stream])}"


def test_given_one_worker_and_every_stream_when_read_by_the_previous_release_and_by_this_one_then_every_message_per_stream_is_the_same(  # noqa: E501
    account, connectors
):
    config = config_for(account, num_workers=1)
    old, new = read_both(connectors, config, catalog(*ALL_STREAMS, incremental=True))

    assert len(old.records(CHANGES)) >= RECORDS * 0.9, "the account is smaller than the test means"
    assert old.records(INTERVALS)
    assert_same_in_order(old, new)

    # The next sync, from the state 0.2.0 saved: this version resumes it as 0.2.0 does.
    state = old.state_for_next_sync()
    account.advance(60)
    old_next, new_next = read_both(connectors, config, catalog(*ALL_STREAMS, incremental=True), state)
    assert_same_in_order(old_next, new_next)


def test_given_default_workers_and_the_two_activity_streams_when_read_by_both_releases_then_the_same_records_and_states(  # noqa: E501
    account, connectors
):
    config = config_for(account)
    old, new = read_both(connectors, config, catalog(CHANGES, INTERVALS, incremental=True))

    before, after = per_stream(old), per_stream(new)
    for stream in (CHANGES, INTERVALS):
        assert as_multiset(after[stream]) == as_multiset(before[stream]), f"{stream}: different records"
        assert states_summary(after[stream]) == states_summary(before[stream])
        old_statuses = [m["trace"]["stream_status"]["status"] for m in before[stream] if m["type"] == "TRACE"]
        new_statuses = [m["trace"]["stream_status"]["status"] for m in after[stream] if m["type"] == "TRACE"]
        assert new_statuses == old_statuses
