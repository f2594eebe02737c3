"""What LivePerson really does: it goes down, it asks for pauses, and it keeps 6 or 13 months of history.

The real connector CLI against the simulator over HTTPS, with the default 3 workers.
"""

import threading
import time
from datetime import timedelta

from integration_tests.support import (
    DAY,
    Connector,
    Output,
    fixed_range,
    key_of,
    parse,
    read_watching,
    rfc3339,
    state_time,
    window_starts,
)
from liveperson_simulator import Simulator, SimulatorConfig

KEPT_FAILING = "LivePerson's Agent Activity API kept failing for account 12345678"


def stream_errors(output: Output) -> list[dict]:
    """The errors of the stream itself (the CDK's closing summary of the failed streams follows them)."""
    return [error for error in output.errors if error.get("stream_descriptor")]


# Outages ------------------------------------------------------------------------------------------------------------


def test_given_every_request_answered_503_when_180_day_sync_then_one_error_within_150_s_and_no_state_past_start(
    tmp_path,
):
    with Simulator(SimulatorConfig(agents=4, groups=1, history_days=200)) as sim:
        start = sim.now() - timedelta(days=179)
        config = sim.connector_config(start_date=rfc3339(start), window_size_days=7)  # 26 windows
        sim.add_fault("503", count=100_000)

        began = time.monotonic()
        output = Connector(tmp_path, sim.ca_path).read(config)
        elapsed = time.monotonic() - began

        assert output.exit_code != 0
        assert elapsed < 150, f"a full outage took {elapsed:.0f} s to end"
        [error] = stream_errors(output)
        assert error["failure_type"] == "transient_error"
        assert error["message"].startswith(f"{KEPT_FAILING}: HTTP 503 on 6 attempts over ")
        assert "retry the sync later" in error["message"]
        # The request that spent its retries, and at most one attempt more for each other worker's request.
        assert sim.request_count("status_changes") <= 6 + 2 * 6
        assert output.records() == []
        assert all(parse(state_time(m) or rfc3339(start)) <= start for m in output.of_type("STATE"))


def test_given_outage_beginning_mid_sync_when_reading_then_finished_windows_kept_and_nothing_after_a_gap(tmp_path):
    with Simulator(SimulatorConfig(agents=8, groups=2, history_days=70)) as sim:
        start, end = fixed_range(sim, 63)
        config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7)

        def fail_everything_once_a_window_is_saved(message: dict) -> None:
            if state_time(message) is not None and not sim.pending_faults():
                sim.add_fault("503", count=100_000)

        output = read_watching(Connector(tmp_path, sim.ca_path), config, fail_everything_once_a_window_is_saved)
        sim.clear_faults()

        assert output.exit_code != 0
        [error] = stream_errors(output)
        assert error["message"].startswith(f"{KEPT_FAILING}: HTTP 503")
        saved = max(parse(state_time(m)) for m in output.of_type("STATE"))
        assert saved > start, "the windows finished before the outage keep their state"
        delivered = {key_of(record) for record in output.records()}
        truth = {key_of(record) for record in sim.ground_truth(start, saved)}
        assert truth <= delivered, "the state never passes a record that was not delivered"


# Rate limits --------------------------------------------------------------------------------------------------------


def test_given_429_with_retry_after_when_workers_read_in_parallel_then_none_sends_during_the_pause_and_none_lost(
    tmp_path,
):
    retry_after, workers, window_days = 2, 3, 2
    account = SimulatorConfig(agents=6, groups=2, history_days=40, latency_ms=50, retry_after_seconds=retry_after)
    with Simulator(account) as sim:
        start, end = fixed_range(sim, 28)
        config = sim.connector_config(
            start_date=rfc3339(start),
            end_date=rfc3339(end),
            window_size_days=window_days,
            page_size=100,
            num_workers=workers,
        )
        # Pages flow until every worker waits on one of the last windows, held; then the next request is rate limited
        # and the held ones go on: the 429 lands while the other workers' requests are out, whatever the speeds.
        sim.hold_windows_from(window_starts(start, end, window_days)[-workers])

        def rate_limit_once_every_worker_waits() -> None:
            try:
                if sim.wait_until_holding(workers):
                    sim.add_fault("429", count=1)
            finally:
                sim.hold_windows_from(None)

        limiter = threading.Thread(target=rate_limit_once_every_worker_waits, daemon=True)
        limiter.start()
        output = Connector(tmp_path, sim.ca_path).read(config)
        sim.hold_windows_from(None)  # a read that failed before its workers were held ends the wait too
        limiter.join()

        assert output.exit_code == 0, output.errors
        pages = [entry for entry in sim.requests if entry.endpoint == "status_changes"]
        [limited] = [entry for entry in pages if entry.status == 429]
        # Requests already on their way when the 429 reached the connector may arrive just after it; none is sent
        # during the pause (Retry-After + the CDK's second), whichever worker it belongs to.
        quiet_from, quiet_to = limited.answered_at + 0.5, limited.answered_at + retry_after + 1 - 0.5
        assert [entry for entry in pages if quiet_from <= entry.received_at <= quiet_to] == []
        assert any(entry.received_at > quiet_to for entry in pages), "the sync went on after the pause"
        assert sorted(map(key_of, output.records())) == sorted(map(key_of, sim.ground_truth(start, end)))


# History depth ------------------------------------------------------------------------------------------------------


def test_given_history_days_395_on_an_account_that_keeps_13_months_when_full_sync_then_every_record_once(tmp_path):
    with Simulator(SimulatorConfig(agents=2, groups=1, history_days=400, retention_days=395)) as sim:
        start = sim.now() - timedelta(days=395) + timedelta(hours=1)
        end = sim.now() - timedelta(minutes=1)
        config = sim.connector_config(
            start_date=rfc3339(start), end_date=rfc3339(end), history_days=395, window_size_days=28
        )

        output = Connector(tmp_path, sim.ca_path).read(config)

        assert output.exit_code == 0, output.errors
        assert not any("is older than the" in line for line in output.logs), "the start date was not moved"
        records = output.records()
        assert len(records) == len({key_of(record) for record in records}), "no record twice"
        assert {key_of(record) for record in records} == {key_of(record) for record in sim.ground_truth(start, end)}
        assert min(parse(record["time"]) for record in records) < sim.now() - 200 * DAY


def test_given_history_days_395_on_an_account_that_keeps_183_days_when_syncing_then_config_error_naming_it(tmp_path):
    with Simulator(SimulatorConfig(agents=2, groups=1, history_days=200, retention_days=183)) as sim:
        config = sim.connector_config(history_days=395, window_size_days=28)

        began = time.monotonic()
        output = Connector(tmp_path, sim.ca_path).read(config)
        elapsed = time.monotonic() - began

        assert output.exit_code != 0
        errors = stream_errors(output)
        assert errors and all(error["failure_type"] == "config_error" for error in errors)
        message = errors[0]["message"]
        assert "from: must not be more than 183 days in the past" in message
        assert "Lower history_days" in message and "(395 days)" in message
        assert output.records() == []
        assert sim.request_count("status_changes") <= 3, "no window starts after the refusal"
        assert elapsed < 30
        earliest = sim.now() - timedelta(days=395)
        assert all(parse(state_time(m)) <= earliest + DAY for m in output.of_type("STATE"))
