"""The Airbyte sync log is the user's progress bar: what it says, and what it never says."""

import re
from datetime import timedelta

from integration_tests.support import Connector, rfc3339


def test_given_old_start_date_when_full_sync_then_log_shows_hosts_clamp_plan_and_one_line_per_window(
    simulator, tmp_path
):
    config = simulator.connector_config(start_date="2020-01-01T00:00:00Z", window_size_days=28, page_size=2000)

    output = Connector(tmp_path, simulator.ca_path).read(config)

    logs = output.logs
    assert f"Discovered {simulator.address} for the Agent Activity API of account 12345678." in logs
    assert any(line.startswith("start_date 2020-01-01T00:00:00.000Z is older than the 180 days") for line in logs)
    plan = next(line for line in logs if line.startswith("status_changes will read"))
    windows = int(re.search(r"in (\d+) window\(s\) of up to 28 day\(s\), 3 at a time", plan).group(1))
    done = [
        line
        for line in logs
        if re.match(r"status_changes window \d of 7 \(\S+ to \S+\) done: [\d,]+ records in \d+ page\(s\)", line)
    ]
    assert windows == 7 and len(done) == windows
    assert sum(_number(re.search(r"done: ([\d,]+) records", line).group(1)) for line in done) == len(output.records())
    # The progress bar's numbers: read so far, of the estimate, which is exact once every window is read.
    assert any(
        line.endswith(
            f"7 window(s) finished, 0 to go; {len(output.records()):,} of about {len(output.records()):,} records read."
        )
        for line in done
    )
    assert len(output.of_type("LOG")) < 40, "the log must not grow with the number of records"


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_given_rate_limit_when_syncing_then_log_says_how_long_it_waits_and_why(simulator, tmp_path):
    config = simulator.connector_config(start_date=rfc3339(simulator.now() - timedelta(days=3)))
    simulator.add_fault("429", count=1)

    output = Connector(tmp_path, simulator.ca_path).read(config)

    assert output.exit_code == 0
    assert any(
        "LivePerson is limiting the request rate (HTTP 429), Retry-After 1 s" in line and "waiting 2 s" in line
        for line in output.logs
    )


def test_given_saved_state_when_incremental_sync_then_log_names_state_and_lookback(simulator, tmp_path):
    connector = Connector(tmp_path, simulator.ca_path)
    config = simulator.connector_config(start_date=rfc3339(simulator.now() - timedelta(days=5)), lookback_minutes=90)
    first = connector.read(config)
    saved = first.last_state()["stream"]["stream_state"]["time"]

    second = connector.read(config, state=first.state_for_next_sync())

    assert any(
        line.startswith(f"status_changes resumes from its saved state {saved}, re-reading 90 minutes before it")
        for line in second.logs
    )
    secrets = (simulator.client_secret, simulator.client_id)
    assert not any(secret in second.stdout + second.stderr for secret in secrets)
