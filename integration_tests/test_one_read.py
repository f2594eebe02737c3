"""One read of LivePerson per sync: with status_changes and agent_status_intervals both selected, every status-changes
page is requested once, and each stream emits what it emits when read alone (records, states, stream statuses).

The real CLI against the simulator over HTTPS. "Alone" is a read of that one stream with the same config and state,
made right after the read of both, at the same simulated instant.
"""

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Optional

import pytest

from integration_tests.support import (
    DAY,
    Connector,
    Output,
    as_emitted,
    catalog,
    expected_intervals,
    fixed_range,
    key_of,
    page_requests,
    parse,
    read_and_kill_holding_last_windows,
    rfc3339,
    state_time,
    stream_statuses,
    window_starts,
)
from liveperson_simulator import Simulator, SimulatorConfig

CHANGES = "status_changes"
INTERVALS = "agent_status_intervals"
BOTH = (CHANGES, INTERVALS)
OTHER = {CHANGES: INTERVALS, INTERVALS: CHANGES}
MS = timedelta(milliseconds=1)
LIVEPERSON_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
READ_TIMEOUT = 120  # seconds: a read of these small accounts takes a few; a deadlock fails the test instead of hanging


def as_sorted(records: list[dict]) -> list[str]:
    """Records as a sorted list of their JSON: equal lists mean the same records, the same number of times."""
    return sorted(json.dumps(record, sort_keys=True) for record in records)


def mixed_catalog(full_refresh: str, incremental: str) -> dict:
    return {"streams": catalog(full_refresh, incremental=False)["streams"] + catalog(incremental)["streams"]}


def only(state: Optional[list[dict]], stream: str) -> Optional[list[dict]]:
    """The saved state of `stream` among those of a sync (None for a first sync)."""
    if state is None:
        return None
    return [message for message in state if message["stream"]["stream_descriptor"]["name"] == stream]


def catalog_of(stream: str, reference: dict) -> dict:
    """The entry of `stream` in `reference`, alone: the stream read alone in the same sync mode."""
    return {"streams": [entry for entry in reference["streams"] if entry["stream"]["name"] == stream]}


def stream_state(output: Output, stream: str) -> dict:
    return output.last_state(stream)["stream"]["stream_state"]


def first_from(pages: Counter) -> str:
    return min(dict(query)["from"] for query in pages)


def read_both_then_each_alone(
    connector: Connector, sim: Simulator, config: dict, catalog_: dict, state: Optional[list[dict]] = None
) -> tuple[Output, Counter, dict[str, tuple[Output, Counter]]]:
    """A read of both streams, then of each stream alone (same config, same sync mode, same saved state), each with
    the status-changes pages it requested."""
    sim.reset_stats()
    both = connector.read(config, catalog_, state, timeout=READ_TIMEOUT)
    both_pages = page_requests(sim)
    alone = {}
    for stream in BOTH:
        sim.reset_stats()
        output = connector.read(config, catalog_of(stream, catalog_), only(state, stream), timeout=READ_TIMEOUT)
        alone[stream] = (output, page_requests(sim))
    return both, both_pages, alone


def read_both_while(sim: Simulator, workdir, config: dict, steer: Callable[[], None]) -> Output:
    """A read of both streams while `steer` runs beside it (it works the simulator's window gate); the gate is opened
    once the read ends, however it ends."""
    steering = threading.Thread(target=steer, daemon=True)
    steering.start()
    try:
        return Connector(workdir, sim.ca_path).read(config, catalog(*BOTH), timeout=READ_TIMEOUT)
    finally:
        sim.hold_windows_from(None)
        steering.join(timeout=10)


def assert_each_page_once(pages: Counter) -> None:
    assert pages, "no status-changes page was requested"
    repeated = {query: count for query, count in pages.items() if count != 1}
    assert not repeated, f"pages requested more than once: {repeated}"


def assert_same_as_alone(both: Output, both_pages: Counter, alone: dict[str, tuple[Output, Counter]]) -> None:
    """Both streams in one read: each page once, the pages of the stream that starts earlier (the union when both
    start together), and each stream's records as when read alone."""
    assert both.exit_code == 0, both.errors
    assert_each_page_once(both_pages)
    for stream, (output, pages) in alone.items():
        assert output.exit_code == 0, (stream, output.errors)
        assert_each_page_once(pages)
        assert as_sorted(both.records(stream)) == as_sorted(output.records(stream)), f"{stream} differs from alone"
    (_, changes_pages), (_, interval_pages) = alone[CHANGES], alone[INTERVALS]
    if first_from(changes_pages) == first_from(interval_pages):
        assert set(both_pages) == set(changes_pages) | set(interval_pages)
    else:
        earlier = min((changes_pages, interval_pages), key=first_from)
        assert set(both_pages) == set(earlier)


# 1. Full refresh, then incremental syncs with late data ----------------------------------------------------------

LATE_DELAY = timedelta(minutes=60)
# Both streams re-read a day: every late record lies within agent_status_intervals' lookback, whose resume point is at
# most now - lookback_minutes (the connector's own clock), wherever the simulator's clock stands in that day.
LOOKBACK = timedelta(hours=24)
# Where the simulator's clock stands at each sync, after the first: late records of the synced range appear between
# the syncs (the range ends a minute before the first sync; LATE_DELAY later every record of it is published).
SYNC_AT = (timedelta(0), timedelta(minutes=30), timedelta(minutes=60))
# No record of the range is published from a sync's instant to QUIET after it: the read of both and the reads of each
# stream alone see the same data. A sync's three reads take seconds; the test asserts they fit.
QUIET = timedelta(minutes=3)
PROBE_LEAD = timedelta(seconds=1)


def late_account(start_at: datetime) -> SimulatorConfig:
    return SimulatorConfig(
        agents=20,
        groups=2,
        history_days=20,
        late_share=0.5,
        late_delay_seconds=LATE_DELAY.total_seconds(),
        start_at=start_at,
    )


def late_range(first_sync_at: datetime) -> tuple[datetime, datetime]:
    """Ten and a half days of windows starting at midnight, ending a minute before the first sync."""
    start = (first_sync_at - 10 * DAY).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, first_sync_at - timedelta(minutes=1)


def quiet_first_sync_instant() -> datetime:
    """A whole minute in the past day at which the simulator's first sync can start: late records of `late_range` are
    published between the syncs of SYNC_AT, and none from each sync's instant to QUIET after it.

    The data are a function of the config and the simulator's clock, so a simulator that is never started, its clock
    moved forward from just before that minute, tells.
    """
    wall = datetime.now(UTC).replace(second=0, microsecond=0)
    latest_start = LOOKBACK - LATE_DELAY - SYNC_AT[-1]
    for minutes_before in range(2, int(latest_start.total_seconds() // 60), 7):
        first_sync_at = wall - timedelta(minutes=minutes_before)
        if (first_sync_at - PROBE_LEAD).date() != first_sync_at.date():
            continue  # the account's first day is counted from the simulator's start: the same for probe and test
        start, end = late_range(first_sync_at)
        probe = Simulator(late_account(start_at=first_sync_at - PROBE_LEAD))
        published = []  # (just before, QUIET after) each sync's instant
        for sync_at in SYNC_AT:
            probe.advance(max(0.0, (first_sync_at + sync_at - PROBE_LEAD - probe.now()).total_seconds()))
            before = probe.ground_truth_count(start, end)
            probe.advance((QUIET + PROBE_LEAD).total_seconds())
            published.append((before, probe.ground_truth_count(start, end)))
        quiet = all(before == after for before, after in published)
        late_each_time = all(published[k][1] < published[k + 1][0] for k in range(len(published) - 1))
        if quiet and late_each_time:
            return first_sync_at
    pytest.fail(f"no quiet instant with late data in the day before {wall}: change late_account")


def test_given_full_refresh_then_two_incremental_syncs_with_late_data_when_both_read_then_each_page_once_and_each_stream_as_alone(  # noqa: E501
    tmp_path,
):
    first_sync_at = quiet_first_sync_instant()
    start, end = late_range(first_sync_at)
    with Simulator(late_account(start_at=first_sync_at)) as sim:
        config = sim.connector_config(
            start_date=rfc3339(start),
            end_date=rfc3339(end),
            window_size_days=4,
            page_size=200,
            lookback_minutes=int(LOOKBACK.total_seconds() // 60),
        )
        connector = Connector(tmp_path, sim.ca_path)
        changes, spans, state, visible = [], [], None, []
        for sync, sync_at in enumerate(SYNC_AT):
            sim.advance(max(0.0, (first_sync_at + sync_at - sim.now()).total_seconds()))
            visible.append({key_of(record) for record in sim.ground_truth(start, end)})
            catalog_ = catalog(*BOTH, incremental=sync > 0)

            both, both_pages, alone = read_both_then_each_alone(connector, sim, config, catalog_, state)

            assert sim.now() < first_sync_at + sync_at + QUIET, "the reads outlasted the quiet span: raise QUIET"
            assert_same_as_alone(both, both_pages, alone)
            if sync > 0:
                # Late records, published since the sync before, arrive with this one.
                assert {key_of(record) for record in both.records()} & (visible[sync] - visible[sync - 1])
            assert stream_state(both, CHANGES) == stream_state(alone[CHANGES][0], CHANGES)
            changes += both.records(CHANGES)
            spans += both.records(INTERVALS)
            state = both.state_for_next_sync()
            assert {message["stream"]["stream_descriptor"]["name"] for message in state} == set(BOTH)

        truth = sim.ground_truth(start, end)
    assert len(visible[0]) < len(visible[1]) < len(visible[2]) == len(truth)
    assert {key_of(record) for record in changes} == {key_of(record) for record in truth}
    assert as_emitted(spans) == expected_intervals(truth)


# 2. Catalog order and workers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def static_account():
    """An account without late data, its range (five windows of five days, edges at 13:00) and a config for it."""
    with Simulator(SimulatorConfig(agents=10, groups=2, history_days=30)) as sim:
        start, end = fixed_range(sim, 24, hour=13, before_now=timedelta(minutes=10))
        config = sim.connector_config(
            start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=5, page_size=200
        )
        yield sim, (start, end), config


@pytest.fixture(scope="module")
def read_alone(static_account, tmp_path_factory):
    """Each stream of the static account read alone (first sync), with the pages it requested."""
    sim, _, config = static_account
    connector = Connector(tmp_path_factory.mktemp("alone"), sim.ca_path)
    reads = {}
    for stream in BOTH:
        sim.reset_stats()
        output = connector.read(config, catalog(stream), timeout=READ_TIMEOUT)
        reads[stream] = (output, page_requests(sim))
    return reads


@pytest.mark.parametrize("workers", [1, 3, 10])
@pytest.mark.parametrize("order", [BOTH, BOTH[::-1]], ids=["changes_first", "intervals_first"])
def test_given_catalog_order_and_workers_when_both_read_then_no_deadlock_each_page_once_and_each_stream_as_alone(
    order, workers, static_account, read_alone, tmp_path
):
    sim, _, config = static_account
    sim.reset_stats()

    both = Connector(tmp_path, sim.ca_path).read(
        {**config, "num_workers": workers}, catalog(*order), timeout=READ_TIMEOUT
    )

    assert_same_as_alone(both, page_requests(sim), read_alone)
    assert len(page_requests(sim)) > 5 * 2, "several pages per window"


# 3. Stream statuses and states, per stream -----------------------------------------------------------------------


def assert_stream_protocol(output: Output, stream: str) -> None:
    """One STARTED; RUNNING before the first record; every record and state after STARTED and before the one
    COMPLETE; each state counts the stream's records since its state before."""
    statuses = stream_statuses(output, stream)
    kinds = [status for _, status in statuses]
    assert kinds.count("STARTED") == 1 and kinds.count("COMPLETE") == 1 and "INCOMPLETE" not in kinds, kinds
    assert kinds[0] == "STARTED" and kinds[-1] == "COMPLETE", kinds
    started, complete = statuses[0][0], statuses[-1][0]
    records = [i for i, m in enumerate(output.messages) if m["type"] == "RECORD" and m["record"]["stream"] == stream]
    states = [i for i, m in enumerate(output.messages) if state_time(m, stream) is not None]
    assert states, f"no state of {stream}"
    assert all(started < position < complete for position in records + states), f"{stream} outside its statuses"
    if records:
        running = [position for position, status in statuses if status == "RUNNING"]
        assert len(running) == 1 and running[0] < records[0], statuses

    counted = 0
    for message in output.messages:
        if message["type"] == "RECORD" and message["record"]["stream"] == stream:
            counted += 1
        elif state_time(message, stream) is not None:
            assert message["state"]["sourceStats"]["recordCount"] == counted, message["state"]
            counted = 0


def assert_state_formats_of_0_2_0(output: Output) -> None:
    changes = stream_state(output, CHANGES)
    assert set(changes) == {"time"} and LIVEPERSON_TIME.match(changes["time"]), changes
    spans = stream_state(output, INTERVALS)
    assert set(spans) == {"time", "open", "version"} and spans["version"] == 1, spans
    assert LIVEPERSON_TIME.match(spans["time"]) and isinstance(spans["open"], list), spans
    assert all({"agentId", "time", "sequenceNumber", "statusType"} <= set(start) for start in spans["open"])


@pytest.mark.parametrize(
    "range_ends_before_now",
    [timedelta(minutes=10), timedelta(hours=3)],
    ids=["intervals_rereads_lookback", "intervals_has_nothing_to_read_next_time"],
)
def test_given_both_streams_when_first_and_next_sync_then_each_stream_has_its_own_statuses_and_counted_states(
    range_ends_before_now, make_simulator, tmp_path
):
    sim = make_simulator(agents=8, history_days=20)
    start, end = fixed_range(sim, 12, before_now=range_ends_before_now)
    config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=3, page_size=250)
    connector = Connector(tmp_path, sim.ca_path)

    first = connector.read(config, catalog(*BOTH), timeout=READ_TIMEOUT)
    sim.reset_stats()
    second = connector.read(config, catalog(*BOTH), first.state_for_next_sync(), timeout=READ_TIMEOUT)

    for output in (first, second):
        assert output.exit_code == 0, output.errors
        for stream in BOTH:
            assert_stream_protocol(output, stream)
        assert_state_formats_of_0_2_0(output)
    assert first.records(CHANGES) and first.records(INTERVALS)
    assert_each_page_once(page_requests(sim))
    if range_ends_before_now > timedelta(minutes=120):
        # The range ended before the lookback: the first sync's intervals state is at its end, nothing left to read.
        assert second.records(INTERVALS) == []
        assert stream_state(second, INTERVALS)["time"] == rfc3339(end + MS)


# 4. One stream in full refresh, the other incremental ------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_states(static_account, tmp_path_factory):
    """The states of both streams after a first sync of the static account."""
    sim, _, config = static_account
    first = Connector(tmp_path_factory.mktemp("first"), sim.ca_path).read(config, catalog(*BOTH), timeout=READ_TIMEOUT)
    assert first.exit_code == 0, first.errors
    return first.state_for_next_sync()


@pytest.mark.parametrize("states_of", ["both_streams", "incremental_stream_only"])
@pytest.mark.parametrize("full_refresh", BOTH)
def test_given_one_stream_full_refresh_and_the_other_incremental_with_saved_states_when_read_then_completes_each_page_once_and_each_as_alone(  # noqa: E501
    full_refresh, states_of, static_account, saved_states, tmp_path
):
    sim, (start, end), config = static_account
    incremental = OTHER[full_refresh]
    # Airbyte sends no state for a stream in full refresh; a state given for it anyway is used, as by any declarative
    # stream of the CDK (its sync mode does not change how its windows are made).
    state = saved_states if states_of == "both_streams" else only(saved_states, incremental)
    assert {message["stream"]["stream_descriptor"]["name"] for message in state} >= {incremental}

    both, both_pages, alone = read_both_then_each_alone(
        Connector(tmp_path, sim.ca_path), sim, config, mixed_catalog(full_refresh, incremental), state
    )

    assert_same_as_alone(both, both_pages, alone)
    for stream in BOTH:
        statuses = [status for _, status in stream_statuses(both, stream)]
        assert statuses[0] == "STARTED" and statuses[-1] == "COMPLETE", (stream, statuses)
    truth = sim.ground_truth(start, end)
    # The incremental stream resumes from its state: it reads the lookback, not the whole range.
    assert len(both.records(incremental)) < len(truth if incremental == CHANGES else expected_intervals(truth)) / 4
    if states_of == "incremental_stream_only":
        # The full refresh stream reads the whole range, from the same pages.
        if full_refresh == CHANGES:
            assert {key_of(record) for record in both.records(CHANGES)} == {key_of(record) for record in truth}
        else:
            assert as_emitted(both.records(INTERVALS)) == expected_intervals(truth)


# 5. Killed mid-sync, resumed from each stream's last state -------------------------------------------------------

KILL_WINDOW_DAYS = 3
KILL_WORKERS = 3


@pytest.mark.parametrize("kill_after", ["first_intervals_state", "first_status_changes_state", "records_300"])
def test_given_both_streams_killed_mid_sync_when_resumed_from_each_streams_last_state_until_done_then_nothing_lost(
    kill_after, make_simulator, tmp_path
):
    sim = make_simulator(agents=8, history_days=30)
    start, end = fixed_range(sim, 24, before_now=timedelta(minutes=10))
    config = sim.connector_config(
        start_date=rfc3339(start),
        end_date=rfc3339(end),
        window_size_days=KILL_WINDOW_DAYS,
        page_size=200,
        num_workers=KILL_WORKERS,
    )
    connector = Connector(tmp_path, sim.ca_path)
    seen = Counter()

    def until(message: dict) -> bool:
        seen["records"] += message.get("type") == "RECORD"
        seen[INTERVALS] += state_time(message, INTERVALS) is not None
        seen[CHANGES] += state_time(message, CHANGES) is not None
        return {
            "first_intervals_state": seen[INTERVALS] >= 1,
            "first_status_changes_state": seen[CHANGES] >= 1,
            "records_300": seen["records"] >= 300,
        }[kill_after]

    # The last windows (one per worker) are held until the kill: the read cannot finish first.
    killed = read_and_kill_holding_last_windows(
        connector, sim, config, until, (start, end), KILL_WINDOW_DAYS, KILL_WORKERS, catalog(*BOTH)
    )
    assert killed.exit_code == -9
    state = killed.state_for_next_sync()
    sim.reset_stats()
    resumed = connector.read(config, catalog(*BOTH), state, timeout=READ_TIMEOUT)

    assert resumed.exit_code == 0, resumed.errors
    assert_each_page_once(page_requests(sim))
    truth = sim.ground_truth(start, end)
    changes = killed.records(CHANGES) + resumed.records(CHANGES)
    assert {key_of(record) for record in changes} == {key_of(record) for record in truth}
    assert as_emitted(killed.records(INTERVALS) + resumed.records(INTERVALS)) == expected_intervals(truth)
    # Each stream resumes from its own last state: status_changes lookback_minutes (120 by default) before its time,
    # agent_status_intervals at its time (an interval it emits ends there or later, or is still open).
    saved = {message["stream"]["stream_descriptor"]["name"]: message["stream"]["stream_state"] for message in state}
    if CHANGES in saved:
        floor = rfc3339(parse(saved[CHANGES]["time"]) - timedelta(minutes=120))
        assert min(record["time"] for record in resumed.records(CHANGES)) >= floor
    if INTERVALS in saved:
        assert all((span.get("endTime") or "~") >= saved[INTERVALS]["time"] for span in resumed.records(INTERVALS))


# 6. A refused window ----------------------------------------------------------------------------------------------

REFUSED_WINDOW = 2  # of five windows of three days
CDK_SUMMARY = "During the sync, the following streams did not sync successfully"


@pytest.mark.parametrize("refusal", ["403", "400"])
def test_given_a_middle_window_refused_when_both_read_then_one_config_error_no_state_past_it_and_both_incomplete(
    refusal, make_simulator, tmp_path
):
    sim = make_simulator(agents=8, history_days=20)
    start, end = fixed_range(sim, 15, before_now=timedelta(minutes=10))
    config = sim.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=3, page_size=200, num_workers=1
    )
    refused_from = window_starts(start, end, 3)[REFUSED_WINDOW]

    def refuse_first_request_of_the_refused_window() -> None:
        if sim.wait_until_holding(1, timeout=READ_TIMEOUT):
            sim.add_fault(refusal)
        sim.hold_windows_from(None)

    sim.hold_windows_from(refused_from)
    output = read_both_while(sim, tmp_path, config, refuse_first_request_of_the_refused_window)

    refused = [entry for entry in sim.requests if entry.endpoint == CHANGES and entry.status == int(refusal)]
    assert [entry.query["from"] for entry in refused] == [rfc3339(refused_from)]
    assert output.exit_code != 0
    # One error: the refusal's config error. The CDK closes a failed sync with a summary of the failed streams.
    errors = [error for error in output.errors if not error["message"].startswith(CDK_SUMMARY)]
    assert len(errors) == 1 and errors[0]["failure_type"] == "config_error", output.errors
    assert f"HTTP {refusal}" in errors[0]["message"] and "12345678" in errors[0]["message"], errors[0]["message"]
    assert len(output.errors) <= 2 and all(error["failure_type"] == "config_error" for error in output.errors)
    # The windows before the refused one are done (one worker: in order), and no state goes past them: status_changes
    # saved its latest record before the refused window, agent_status_intervals resumes at that window's start.
    latest_before = sim.ground_truth(start, refused_from - MS)[-1]["time"]
    assert stream_state(output, CHANGES)["time"] == latest_before
    assert stream_state(output, INTERVALS)["time"] == rfc3339(refused_from)
    for stream in BOTH:
        statuses = [status for _, status in stream_statuses(output, stream)]
        assert statuses.count("STARTED") == 1 and statuses[-1] == "INCOMPLETE", (stream, statuses)
        assert "COMPLETE" not in statuses, (stream, statuses)


# 7. One stream selected ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", BOTH)
def test_given_one_stream_selected_when_read_then_its_own_pages_each_once_and_no_message_names_the_other(
    stream, static_account, tmp_path
):
    sim, (start, end), config = static_account
    sim.reset_stats()

    output = Connector(tmp_path, sim.ca_path).read(config, catalog(stream), timeout=READ_TIMEOUT)

    assert output.exit_code == 0, output.errors
    pages = page_requests(sim)
    assert_each_page_once(pages)
    starts = window_starts(start, end, config["window_size_days"])
    windows = [(rfc3339(s), rfc3339(min(s + config["window_size_days"] * DAY - MS, end))) for s in starts]
    by_window: dict[tuple[str, str], list[int]] = {}
    for query in pages:
        query = dict(query)
        by_window.setdefault((query["from"], query["to"]), []).append(int(query.get("offset", 0)))
    assert sorted(by_window) == windows
    limit = config["page_size"]
    for (window_from, window_to), offsets in by_window.items():
        in_window = sim.ground_truth_count(window_from, window_to)
        assert sorted(offsets) == [page * limit for page in range(max(1, math.ceil(in_window / limit)))]
    assert output.records(stream)
    assert OTHER[stream] not in output.stdout


# 8. A window read before the one before it is done: parked, its worker free ---------------------------------------

PARKING_WORKERS = 2  # as many windows park (intervals.Relay): windows 1 and 2; window 3 then waits holding its worker


def test_given_the_first_window_held_when_both_read_then_later_windows_are_read_meanwhile_as_far_as_parking_allows(
    static_account, read_alone, tmp_path
):
    sim, (start, end), config = static_account
    config = {**config, "num_workers": PARKING_WORKERS}
    starts = [rfc3339(s) for s in window_starts(start, end, config["window_size_days"])]
    assert len(starts) == 5

    def first_page_of(window: int):
        return lambda entry: entry.endpoint == CHANGES and entry.query.get("from") == starts[window]

    def release_the_first_window_once_the_fourth_is_read() -> None:
        try:
            sim.wait_for_request(first_page_of(3), timeout=READ_TIMEOUT / 2)  # not read: the assertions say so
        finally:
            sim.hold_windows_from(None)

    sim.reset_stats()
    sim.hold_windows_from(starts[0], until=starts[1])
    output = read_both_while(sim, tmp_path, config, release_the_first_window_once_the_fourth_is_read)

    assert output.exit_code == 0, output.errors
    first = {}
    for entry in sim.requests:
        if entry.endpoint == CHANGES and entry.query.get("offset", "0") == "0":
            first[starts.index(entry.query["from"])] = entry
    # Windows 1 and 2 were read and parked, window 3 was read, all while window 0 was held: their workers were free.
    assert all(first[window].answered_at < first[0].answered_at for window in (1, 2, 3))
    # Window 3 could not park (two are parked at most): it held its worker, so window 4 waited for window 0.
    assert first[4].received_at > first[0].answered_at
    # And what each stream emitted is what it emits read alone, the intervals' states in window order.
    for stream in BOTH:
        alone, _ = read_alone[stream]
        assert as_sorted(output.records(stream)) == as_sorted(alone.records(stream)), stream
    times = [state_time(message, INTERVALS) for message in output.of_type("STATE") if state_time(message, INTERVALS)]
    assert times == sorted(times) and len(times) == len(starts)
    statuses = [status for _, status in stream_statuses(output, INTERVALS)]
    assert statuses == ["STARTED", "RUNNING", "COMPLETE"]
