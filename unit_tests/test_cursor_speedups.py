"""The two per-record savings on the CDK's cursor must change speed only, never a value."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser
from airbyte_cdk.sources.types import StreamSlice

from source_agent_activity import SourceAgentActivity
from source_agent_activity.cursor_speedups import HashOnceStreamSlice, LivePersonTimeParser, speed_up_cursor

FAST_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
OFFLINE_CONFIG = {
    "account_id": "12345678",
    "credentials": {
        "auth_type": "oauth2_client_credentials",
        "client_id": "unit-client-id-speedups-5c1e",
        "client_secret": "unit-client-secret-speedups-9a7f3e21",
    },
    "domain": "aa.example.test",
    "sentinel_domain": "sentinel.example.test",
    "start_date": "2026-10-01T00:00:00Z",
    "end_date": "2026-10-20T00:00:00Z",
}


def liveperson_times() -> list[str]:
    start = datetime(2024, 2, 28, 23, 59, 59, 999000, tzinfo=UTC)
    steps = [timedelta(milliseconds=1), timedelta(hours=7, milliseconds=123), timedelta(days=1, seconds=1)]
    values, current = [], start
    for number in range(300):
        current += steps[number % 3]
        values.append(current.strftime("%Y-%m-%dT%H:%M:%S.") + f"{current.microsecond // 1000:03d}Z")
    return values + ["2026-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z", "2024-02-29T12:00:00.500Z"]


@pytest.mark.parametrize("value", liveperson_times())
def test_given_liveperson_time_when_parsed_fast_then_same_datetime_as_cdk_parser(value):
    expected = DatetimeParser().parse(value, FAST_FORMAT)

    parsed = LivePersonTimeParser().parse(value, FAST_FORMAT)

    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value, format",
    [
        ("2026-11-25T08:15:30Z", FAST_FORMAT),  # no fraction: strptime refuses, and so must the fast path
        ("2026-11-25T08:15:30.123+00:00", FAST_FORMAT),
        ("2026-11-25 08:15:30.123Z", FAST_FORMAT),
        ("2026-13-25T08:15:30.123Z", FAST_FORMAT),
        ("2026-11-25T08:15:30Z", "%Y-%m-%dT%H:%M:%SZ"),
        ("1764058530", "%s"),
    ],
)
def test_given_other_shape_or_format_when_parsed_then_cdk_parser_decides(value, format):
    try:
        expected = DatetimeParser().parse(value, format)
    except ValueError:
        with pytest.raises(ValueError):
            LivePersonTimeParser().parse(value, format)
    else:
        assert LivePersonTimeParser().parse(value, format) == expected


def test_given_window_when_hashed_many_times_then_equal_to_cdk_slice_and_hashed_once(monkeypatch):
    window = StreamSlice(partition={}, cursor_slice={"start_time": "2026-10-01T00:00:00.000Z", "end_time": "x"})
    calls = []
    original = StreamSlice.__hash__
    monkeypatch.setattr(StreamSlice, "__hash__", lambda self: calls.append(1) or original(self))

    kept = HashOnceStreamSlice(window)
    hashes = {hash(kept) for _ in range(1000)}

    assert kept == window and dict(kept) == dict(window)
    assert hashes == {original(window)}
    assert len(calls) == 1


def test_given_source_when_streams_built_then_only_status_changes_cursor_is_sped_up():
    source = SourceAgentActivity(config=OFFLINE_CONFIG)

    streams = {stream.name: stream for stream in source.streams(source._config)}

    status_cursor = streams["status_changes"].cursor
    assert isinstance(status_cursor._connector_state_converter._parser, LivePersonTimeParser)
    windows = list(status_cursor.stream_slices())
    assert len(windows) == 3 and all(isinstance(window, HashOnceStreamSlice) for window in windows)
    assert [dict(w) for w in windows][0] == {
        "start_time": "2026-10-01T00:00:00.000Z",
        "end_time": "2026-10-07T23:59:59.999Z",
    }
    assert speed_up_cursor(streams["agents"]) is False


def test_given_sped_up_cursor_when_records_observed_then_state_equals_latest_record_time():
    source = SourceAgentActivity(config=OFFLINE_CONFIG)
    stream = next(s for s in source.streams(source._config) if s.name == "status_changes")
    cursor = stream.cursor
    window = next(iter(cursor.stream_slices()))
    partition = next(p for p in stream.generate_partitions() if dict(p.to_slice()) == dict(window))
    from airbyte_cdk.sources.types import Record

    for time in ("2026-10-03T10:00:00.000Z", "2026-10-05T08:00:00.250Z", "2026-10-02T00:00:00.000Z"):
        cursor.observe(Record(data={"time": time}, stream_name="status_changes", associated_slice=partition.to_slice()))
    cursor.close_partition(partition)

    assert cursor.state == {"time": "2026-10-05T08:00:00.250Z"}
    logging.getLogger().debug("state %s", cursor.state)
