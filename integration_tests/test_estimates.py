"""The progress bar Airbyte shows during a sync: the ESTIMATE traces of status_changes and agent_status_intervals,
against the records the real CLI emits from the simulator (whose v2 pages carry LivePerson's `last` links)."""

from datetime import timedelta

import pytest

from integration_tests.support import Connector, Output, catalog, fixed_range, read_watching, rfc3339

CHANGES = "status_changes"
INTERVALS = "agent_status_intervals"


def progress(output: Output, stream: str) -> list[tuple[int, int]]:
    """Each ESTIMATE of `stream`: (records of the stream emitted before it, its row_estimate)."""
    emitted, estimates = 0, []
    for message in output.messages:
        if message["type"] == "RECORD" and message["record"]["stream"] == stream:
            emitted += 1
        elif message["type"] == "TRACE" and message["trace"]["type"] == "ESTIMATE":
            estimate = message["trace"]["estimate"]
            assert estimate["type"] == "STREAM" and set(estimate) <= {"name", "type", "row_estimate", "namespace"}
            if estimate["name"] == stream:
                estimates.append((emitted, estimate["row_estimate"]))
    return estimates


def kinds(output: Output, stream: str) -> list[str]:
    """The kinds of the stream's RECORD, ESTIMATE and status messages, in order."""
    found = []
    for message in output.messages:
        trace = message.get("trace") or {}
        if message["type"] == "RECORD" and message["record"]["stream"] == stream:
            found.append("RECORD")
        elif trace.get("type") == "ESTIMATE" and trace["estimate"]["name"] == stream:
            found.append("ESTIMATE")
        elif trace.get("type") == "STREAM_STATUS" and trace["stream_status"]["stream_descriptor"]["name"] == stream:
            found.append(trace["stream_status"]["status"])
    return found


def assert_ends_exact_before_complete(output: Output, stream: str) -> None:
    """The stream's last estimate is the records it emitted (sent again at the end unless it already was), and
    comes before its COMPLETE, which ends the stream."""
    story = kinds(output, stream)
    assert progress(output, stream)[-1][1] == story.count("RECORD")
    assert story[-1] == "COMPLETE" and "ESTIMATE" not in story[story.index("COMPLETE") :]


def assert_a_progress_bar(output: Output, stream: str, windows: int) -> None:
    """First estimate within the first 10 % of the records, a few per window at most, the last within 5 % (here:
    exactly what was emitted) just before the stream's COMPLETE."""
    emitted = len(output.records(stream))
    estimates = progress(output, stream)
    assert estimates, f"no ESTIMATE for {stream}"
    first_at, _ = estimates[0]
    assert first_at < 0.10 * emitted, estimates
    assert 1 <= len(estimates) <= windows, estimates
    _, last = estimates[-1]
    assert abs(last - emitted) <= 0.05 * emitted, (estimates, emitted)
    assert_ends_exact_before_complete(output, stream)


@pytest.fixture
def account(make_simulator):
    """40 agents over 45 days (about 14,000 status changes): 7 windows of 7 days, about 7 pages of 300 each."""
    return make_simulator(agents=40)


def test_given_full_refresh_of_several_windows_and_pages_when_read_then_status_changes_estimated_early_and_exactly(
    account, tmp_path
):
    start, end = fixed_range(account, 45)
    config = account.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, page_size=300
    )

    output = Connector(tmp_path, account.ca_path).read(config, catalog(CHANGES, incremental=False))

    assert output.exit_code == 0, output.errors
    assert len(output.records()) > 10_000
    assert_a_progress_bar(output, CHANGES, windows=7)


def test_given_both_streams_when_full_refresh_then_each_stream_estimated_early_and_exactly(account, tmp_path):
    start, end = fixed_range(account, 45)
    config = account.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, page_size=300
    )

    output = Connector(tmp_path, account.ca_path).read(config, catalog(CHANGES, INTERVALS, incremental=False))

    assert output.exit_code == 0, output.errors
    assert_a_progress_bar(output, CHANGES, windows=7)
    assert_a_progress_bar(output, INTERVALS, windows=7)
    # Both from the same pages: each window requested once.
    assert len({entry.query["from"] for entry in account.requests if entry.endpoint == "status_changes"}) == 7


def test_given_intervals_alone_when_full_refresh_then_estimated_from_the_status_changes_it_reads(account, tmp_path):
    start, end = fixed_range(account, 45)
    config = account.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, page_size=300
    )

    output = Connector(tmp_path, account.ca_path).read(config, catalog(INTERVALS, incremental=False))

    assert output.exit_code == 0, output.errors
    assert_a_progress_bar(output, INTERVALS, windows=7)


def test_given_late_records_published_while_windows_are_read_then_estimates_follow_and_end_exact(
    make_simulator, tmp_path
):
    # Every page takes 100 ms: the windows are still being read when the test sees the first estimate.
    sim = make_simulator(agents=40, latency_ms=100)
    start, end = fixed_range(sim, 15)
    config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, page_size=300)
    late = [
        {"agentId": 2_900_000_001, "agentGroupId": -1, "statusType": 1, "sequenceNumber": n, "time": rfc3339(moment)}
        for n, moment in enumerate(end - timedelta(minutes=5 * n + 1) for n in range(3000))
    ]

    def publish_late_records(message: dict) -> None:
        trace = message.get("trace") or {}
        if trace.get("type") == "ESTIMATE" and trace["estimate"]["name"] == CHANGES and late:
            # LivePerson publishes 3,000 late status changes into the last windows while they are read.
            sim.add_records(late.copy())
            late.clear()

    before = sim.ground_truth_count(start, end)

    output = read_watching(
        Connector(tmp_path, sim.ca_path), config, publish_late_records, catalog(CHANGES, INTERVALS, incremental=False)
    )

    assert output.exit_code == 0, output.errors
    assert not late, "the late records were never published"
    changes = progress(output, CHANGES)
    # The estimates followed the growth while the windows were read, before the last one: the records emitted.
    assert any(rows > 1.2 * before for _, rows in changes[:-1]), (before, changes)
    assert changes[-1][1] == len(output.records(CHANGES)) > before + 2000
    for stream in (CHANGES, INTERVALS):
        assert_ends_exact_before_complete(output, stream)


def test_given_v1_pages_when_read_then_estimated_from_agents_and_exact_at_the_end(account, tmp_path):
    start, end = fixed_range(account, 45)
    config = account.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, page_size=4, api_version="1"
    )

    output = Connector(tmp_path, account.ca_path).read(config, catalog(CHANGES, incremental=False))

    assert output.exit_code == 0, output.errors
    estimates = progress(output, CHANGES)
    assert estimates[0][0] < 0.10 * len(output.records())
    assert estimates[-1][1] == len(output.records())
