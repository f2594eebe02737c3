"""agent_status_intervals through the real CLI against the simulator: equal to intervals computed independently from
the simulator's ground truth, after a full refresh, after incremental syncs with late data, and after kills."""

import json
from datetime import timedelta

import pytest

from integration_tests.support import (
    Connector,
    as_emitted,
    catalog,
    expected_intervals,
    fixed_range,
    interval_key_of,
    read_and_kill_holding_last_windows,
    rfc3339,
    state_time,
)
from liveperson_simulator import Simulator, SimulatorConfig

STREAM = "agent_status_intervals"
END_BEFORE_NOW = timedelta(minutes=10)  # where this module's ranges end, unless a test says otherwise


def test_given_account_when_full_refresh_then_intervals_equal_those_of_the_ground_truth_each_once(tmp_path):
    with Simulator(SimulatorConfig(agents=8, groups=2, history_days=40)) as sim:
        # Window edges in the middle of the working day.
        start, end = fixed_range(sim, 30, hour=13, before_now=END_BEFORE_NOW)
        config = sim.connector_config(
            start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, page_size=300, num_workers=3
        )

        output = Connector(tmp_path, sim.ca_path).read(config, catalog(STREAM, incremental=False))

        assert output.exit_code == 0, output.errors
        emitted = output.records(STREAM)
        keys = [interval_key_of(i) for i in emitted]
        assert len(keys) == len(set(keys)), "each interval once"
        expected = expected_intervals(sim.ground_truth(start, end))
        assert len(expected) > 500
        assert as_emitted(emitted) == expected
        assert {i["observedUntil"] for i in emitted} == {rfc3339(end)}
        # Intervals across a window edge are one interval: some start before an edge and end after it.
        edge = rfc3339(start + timedelta(days=7))
        assert any(i["startTime"] < edge and (i["endTime"] or "~") > edge for i in emitted)


def test_given_late_data_when_incremental_syncs_then_deduped_intervals_converge_to_the_ground_truth(tmp_path):
    with Simulator(SimulatorConfig(agents=8, groups=2, history_days=20, late_share=0.2, late_delay_seconds=300)) as sim:
        start, end = fixed_range(sim, 10, before_now=timedelta(minutes=30))
        config = sim.connector_config(
            start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=3, lookback_minutes=120
        )
        connector = Connector(tmp_path, sim.ca_path)
        emitted, state, late_seen = [], None, False
        for _ in range(3):
            output = connector.read(config, catalog(STREAM), state=state)
            assert output.exit_code == 0, output.errors
            emitted += output.records(STREAM)
            latest = output.last_state(STREAM)
            state = [latest] if latest else []
            # Late records published meanwhile, all within the lookback of the fixed end.
            late_seen = late_seen or len(sim.ground_truth(start, end)) > len(emitted)
            sim.advance(301)

        assert late_seen, "the simulator published records late between the syncs"
        assert as_emitted(emitted) == expected_intervals(sim.ground_truth(start, end))
        saved = state[0]["stream"]["stream_state"]
        assert len(json.dumps(saved)) < 300 * 8, "the state holds an entry per agent at most"


@pytest.mark.parametrize("kill_after", ["first_state", "records_100"])
def test_given_sync_killed_when_restarted_from_its_last_state_until_done_then_nothing_lost_nothing_wrong(
    tmp_path, kill_after
):
    with Simulator(SimulatorConfig(agents=8, groups=2, history_days=30)) as sim:
        start, end = fixed_range(sim, 24, before_now=END_BEFORE_NOW)
        config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=4)
        connector = Connector(tmp_path, sim.ca_path)
        emitted, state, kills = [], None, 0
        while kills < 3:

            def until(message: dict, seen={"states": 0, "records": 0}) -> bool:  # noqa: B006 - one count per run
                seen["records"] += message.get("type") == "RECORD"
                seen["states"] += state_time(message, STREAM) is not None
                return (kill_after == "first_state" and seen["states"] == 1) or (
                    kill_after == "records_100" and seen["records"] == 100
                )

            if state is None:
                # Until a state is saved, a run cannot finish before its kill: its last windows (one per worker, 3 by
                # default) are held.
                output = read_and_kill_holding_last_windows(
                    connector, sim, config, until, (start, end), window_days=4, workers=3, catalog_=catalog(STREAM)
                )
            else:
                output = connector.read_and_kill(config, until, catalog(STREAM), state)
            emitted += output.records(STREAM)
            latest = output.last_state(STREAM)
            state = [latest] if latest else state
            if output.exit_code == 0:
                break
            kills += 1
        else:
            last = connector.read(config, catalog(STREAM), state)
            assert last.exit_code == 0, last.errors
            emitted += last.records(STREAM)

        assert kills >= 1, "the first run is killed"
        assert as_emitted(emitted) == expected_intervals(sim.ground_truth(start, end))


def test_given_both_streams_selected_when_read_then_both_complete_and_agree(tmp_path):
    with Simulator(SimulatorConfig(agents=6, groups=2, history_days=20)) as sim:
        start, end = fixed_range(sim, 14, before_now=END_BEFORE_NOW)
        config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7)

        output = Connector(tmp_path, sim.ca_path).read(config, catalog("status_changes", STREAM))

        assert output.exit_code == 0, output.errors
        assert as_emitted(output.records(STREAM)) == expected_intervals(output.records("status_changes"))
        # One read feeds both streams: every window is asked for once.
        windows = [
            (entry.query["from"], entry.query["to"]) for entry in sim.requests if entry.endpoint == "status_changes"
        ]
        assert len(windows) == 3 and len(set(windows)) == 3
