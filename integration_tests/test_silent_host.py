"""A LivePerson host that accepts the connection and never answers is an outage; a page that takes a minute is not.

The production timeouts, unscaled (manifest: read timeout 75 s, two silences in a row of one request halt the host):
the silent-host sync takes about 151 s of real time, so the slow-page sync (60 s) runs beside it, and the module
takes about as long as the silent one alone. Nothing waits on the clock to synchronize: the simulator's window gate
holds the third window's request until the test has made the host silent.
"""

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest

from integration_tests.support import (
    SMALL_ACCOUNT,
    Connector,
    Output,
    fixed_range,
    key_of,
    parse,
    rfc3339,
    state_time,
    window_starts,
)
from liveperson_simulator import Simulator, SimulatorConfig

READ_TIMEOUT_SECONDS = 75  # the manifest's read_timeout_seconds
SILENT_ATTEMPTS = 2  # the manifest's silent_attempts
OUTAGE_BOUND_SECONDS = 5 * 60


@dataclass
class Sync:
    output: Output
    seconds: float  # from the first unanswered request (silent host) or from the start (slow page) to the end
    expected: set  # the keys of the records the sync must deliver
    host: str = ""
    saved_before: str = ""  # the start of the first window that was not finished


def silent_host_sync(workdir) -> Sync:
    """Four one-day windows read in turn; the host falls silent for the third, after two finished windows."""
    with Simulator(SimulatorConfig(**SMALL_ACCOUNT)) as sim:
        start, end = fixed_range(sim, 4)
        config = sim.connector_config(
            start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=1, num_workers=1
        )
        third = window_starts(start, end, 1)[2]
        sim.hold_windows_from(third)
        fell_silent = []

        def silence_once_the_third_window_is_asked_for() -> None:
            try:
                if sim.wait_until_holding(1):
                    sim.add_fault("silent", count=100)
                    fell_silent.append(time.monotonic())
            finally:
                sim.hold_windows_from(None)

        silencer = threading.Thread(target=silence_once_the_third_window_is_asked_for, daemon=True)
        silencer.start()
        output = Connector(workdir, sim.ca_path).read(config)
        ended = time.monotonic()
        sim.hold_windows_from(None)
        silencer.join()
        assert fell_silent, "the sync ended before its third window was asked for"
        expected = {key_of(record) for record in sim.ground_truth(start, third - timedelta(milliseconds=1))}
        return Sync(output, ended - fell_silent[0], expected, sim.address, rfc3339(third))


def slow_page_sync(workdir) -> Sync:
    """One window whose one page LivePerson answers after 60 s."""
    with Simulator(SimulatorConfig(**SMALL_ACCOUNT, slow_answer_seconds=60)) as sim:
        start, end = fixed_range(sim, 2)
        config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7)
        sim.add_fault("slow", count=1)
        began = time.monotonic()
        output = Connector(workdir, sim.ca_path).read(config)
        expected = {key_of(record) for record in sim.ground_truth(start, end)}
        return Sync(output, time.monotonic() - began, expected)


@pytest.fixture(scope="module")
def syncs(tmp_path_factory) -> Iterator[tuple[Sync, Sync]]:
    with ThreadPoolExecutor(2) as pool:
        silent = pool.submit(silent_host_sync, tmp_path_factory.mktemp("silent"))
        slow = pool.submit(slow_page_sync, tmp_path_factory.mktemp("slow"))
        yield silent.result(), slow.result()


def stream_errors(output: Output) -> list[dict]:
    """The errors of the stream itself (the CDK's closing summary of the failed streams follows them)."""
    return [error for error in output.errors if error.get("stream_descriptor")]


def test_given_host_that_accepts_and_never_answers_when_reading_then_one_transient_error_naming_host_within_5_min(
    syncs,
):
    silent, _ = syncs

    assert silent.output.exit_code != 0
    [error] = stream_errors(silent.output)
    assert error["failure_type"] == "transient_error"
    assert error["message"].startswith(
        f"LivePerson's Agent Activity API host {silent.host} accepted the connection but sent nothing back for "
        f"{READ_TIMEOUT_SECONDS} s, {SILENT_ATTEMPTS} times in a row "
    ), error["message"]
    assert "retry the sync later" in error["message"]
    waited = int(re.search(r"status-changes of account 12345678, (\d+) s in all\)", error["message"]).group(1))
    assert SILENT_ATTEMPTS * READ_TIMEOUT_SECONDS <= waited < OUTAGE_BOUND_SECONDS, error["message"]
    assert SILENT_ATTEMPTS * READ_TIMEOUT_SECONDS <= silent.seconds < OUTAGE_BOUND_SECONDS, silent.seconds
    retries = [line for line in silent.output.logs if line.startswith("ReadTimeout for /api/v2/")]
    assert retries == ["ReadTimeout for /api/v2/account/12345678/status-changes: attempt 1 of 6 failed, retrying."]


def test_given_host_that_falls_silent_after_two_windows_when_reading_then_their_records_and_state_are_kept(syncs):
    silent, _ = syncs

    assert {key_of(record) for record in silent.output.records()} == silent.expected
    saved = max(parse(time_) for time_ in map(state_time, silent.output.of_type("STATE")) if time_)
    assert saved < parse(silent.saved_before), "the state never passes the window that was not finished"
    assert all(parse(record["time"]) <= saved for record in silent.output.records())


def test_given_page_answered_after_60_s_when_reading_then_it_succeeds_with_every_record(syncs):
    _, slow = syncs

    assert slow.output.exit_code == 0, slow.output.errors
    assert slow.seconds >= 60
    assert {key_of(record) for record in slow.output.records()} == slow.expected
    assert not [line for line in slow.output.logs if "ReadTimeout" in line]
