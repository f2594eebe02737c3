"""The benchmark's floor client reads exactly what the connector must: the ground truth, in the connector's windows."""

import json

from benchmarks import floor_client
from benchmarks.floor_client import DAY_MS, format_ms, parse_ms, windows
from integration_tests.support import Connector, catalog, key_of

WINDOW_DAYS = 7
PAGE_SIZE = 300


def status_change_queries(sim) -> list[tuple[str, str, str, str]]:
    entries = [entry for entry in sim.requests if entry.endpoint == "status_changes"]
    return sorted((e.query["from"], e.query["to"], e.query.get("offset", "0"), e.query["limit"]) for e in entries)


def odd_range(sim) -> tuple[str, str]:
    """20 days and a bit, edges off midnight and with milliseconds, ending a minute ago: three windows."""
    end = sim.now_ms() - 60_000
    start = end - 20 * DAY_MS - 11_777_123
    return format_ms(start), format_ms(end)


def run_floor(sim, tmp_path, start: str, end: str) -> list[dict]:
    info = tmp_path / "info.json"
    info.write_text(json.dumps(sim.info()))
    output = tmp_path / "floor.jsonl"
    argv = ["--info", str(info), "--start", start, "--end", end, "--output", str(output)]
    argv += ["--window-days", str(WINDOW_DAYS), "--page-size", str(PAGE_SIZE)]
    assert floor_client.main(argv) == 0
    return [json.loads(line) for line in output.read_text().splitlines()]


def test_windows_are_the_connectors_step_minus_one_ms_and_end_inclusive():
    assert list(windows(0, 10 * DAY_MS, 7 * DAY_MS)) == [(0, 7 * DAY_MS - 1), (7 * DAY_MS, 10 * DAY_MS)]
    assert list(windows(0, 14 * DAY_MS, 7 * DAY_MS)) == [(0, 7 * DAY_MS - 1), (7 * DAY_MS, 14 * DAY_MS)]
    assert list(windows(5, 5, 7 * DAY_MS)) == [(5, 5)]
    assert parse_ms(format_ms(1_795_612_188_882)) == 1_795_612_188_882


def test_floor_client_writes_the_ground_truth_once_and_a_state_per_window(make_simulator, tmp_path):
    sim = make_simulator()
    start, end = odd_range(sim)

    messages = run_floor(sim, tmp_path, start, end)

    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    states = [m["state"] for m in messages if m["type"] == "STATE"]
    expected = [key_of(record) for record in sim.ground_truth(start, end)]
    keys = [key_of(record["data"]) for record in records]
    assert len(expected) > 3 * PAGE_SIZE
    assert len(keys) == len(set(keys)), "a record was written twice"
    assert set(keys) == set(expected)
    assert all(record["stream"] == "status_changes" and isinstance(record["emitted_at"], int) for record in records)
    assert len(states) == 3
    assert states[-1]["stream"]["stream_state"] == {"time": end}
    assert [s["stream"]["stream_descriptor"]["name"] for s in states] == ["status_changes"] * 3
    assert sim.request_count("domain") == 1 and sim.request_count("token") == 1
    assert any(int(query[2]) > 0 for query in status_change_queries(sim)), "no second page was read"


def test_floor_client_sends_the_same_status_change_requests_as_the_connector(make_simulator, tmp_path):
    sim = make_simulator()
    start, end = odd_range(sim)
    run_floor(sim, tmp_path, start, end)
    floor_queries = status_change_queries(sim)
    sim.reset_stats()

    config = sim.connector_config(
        start_date=start, end_date=end, page_size=PAGE_SIZE, window_size_days=WINDOW_DAYS, num_workers=2
    )
    output = Connector(tmp_path, sim.ca_path).read(config, catalog("status_changes", incremental=False))

    assert output.exit_code == 0, output.errors
    assert status_change_queries(sim) == floor_queries
    assert sim.stats()["total"] == len(floor_queries) + 2  # + one Domain API lookup and a token, like the floor
