"""status_changes and agent_status_intervals selected together: each page requested once, each stream's records,
states and statuses as if it had been read alone (windows.py). Four one-day windows, pages mocked per day."""

from typing import Optional

from airbyte_cdk.models import AirbyteStreamStatus, SyncMode, Type
from airbyte_cdk.sources.types import Record
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from source_agent_activity import status_changes
from source_agent_activity.windowed import LET_MAIN_THREAD_DRAIN_EVERY, StreamStatuses
from unit_tests.support.config import catalog
from unit_tests.support.day_windows import (
    SESSION_PAGES,
    STARTS,
    answer_by_day,
    event,
    four_days,
    requested_starts,
)
from unit_tests.support.entrypoint import NOW, read_catalog
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse

CHANGES = "status_changes"
INTERVALS = "agent_status_intervals"
BOTH = [CHANGES, INTERVALS]


def _read(requests_mock, streams: list[str], saved: Optional[list] = None, pages=None, workers: int = 1):
    """A read of `streams`; one window at a time unless said otherwise, so that which states are emitted is fixed."""
    answer_by_day(
        requests_mock,
        {
            day: answer if not isinstance(answer, list) else StatusChangesResponse().with_records(*answer).build()
            for day, answer in (pages or SESSION_PAGES).items()
        },
    )
    config = four_days().with_num_workers(workers).build()
    return read_catalog(config, catalog(SyncMode.incremental, streams), saved, expect_failure=False)


def _records(output, stream: str) -> list[dict]:
    return sorted(
        (message.record.data for message in output.records if message.record.stream == stream), key=lambda r: repr(r)
    )


def _states(output, stream: str) -> list[dict]:
    return [
        message.state.stream.stream_state.__dict__
        for message in output.state_messages
        if message.state.stream.stream_descriptor.name == stream
    ]


def _story(output, stream: str) -> list[str]:
    """What the stream's messages were, in order: its statuses, RECORD and STATE."""
    story = []
    for message in output.get_message_iterator():
        if message.type == Type.RECORD and message.record.stream == stream:
            story.append("RECORD")
        elif message.type == Type.STATE and message.state.stream.stream_descriptor.name == stream:
            story.append("STATE")
        elif (
            message.type == Type.TRACE
            and message.trace.stream_status is not None
            and message.trace.stream_status.stream_descriptor.name == stream
        ):
            story.append(message.trace.stream_status.status.name)
    return story


def read_catalog_failing(requests_mock, pages):
    answer_by_day(
        requests_mock,
        {
            day: answer if not isinstance(answer, list) else StatusChangesResponse().with_records(*answer).build()
            for day, answer in pages.items()
        },
    )
    config = four_days().with_num_workers(1).build()
    return read_catalog(config, catalog(SyncMode.incremental, BOTH), expect_failure=True)


@freeze_time(NOW)
class TestReadTogether:
    def test_given_both_streams_when_read_then_each_window_requested_once(self, requests_mock) -> None:
        _read(requests_mock, BOTH, workers=3)

        assert sorted(requested_starts(requests_mock)) == list(STARTS)

    def test_given_both_streams_when_read_then_records_and_states_as_each_stream_read_alone(
        self, requests_mock
    ) -> None:
        together = _read(requests_mock, BOTH)
        changes_alone = _read(requests_mock, [CHANGES])
        intervals_alone = _read(requests_mock, [INTERVALS])

        assert (
            _records(together, CHANGES) == _records(changes_alone, CHANGES) and len(_records(together, CHANGES)) == 15
        )
        assert _records(together, INTERVALS) == _records(intervals_alone, INTERVALS)
        assert len(_records(together, INTERVALS)) == 8
        assert _states(together, CHANGES) == _states(changes_alone, CHANGES)
        assert _states(together, INTERVALS) == _states(intervals_alone, INTERVALS)

    def test_given_both_streams_when_read_then_each_streams_records_between_its_started_running_and_complete(
        self, requests_mock
    ) -> None:
        output = _read(requests_mock, BOTH)

        story = _story(output, INTERVALS)
        assert story[:2] == ["STARTED", "RUNNING"] and story[-1] == "COMPLETE"
        assert story.count("STARTED") == story.count("RUNNING") == story.count("COMPLETE") == 1
        assert story.count("RECORD") == 8 and story.count("STATE") == 4
        changes = _story(output, CHANGES)
        assert changes[:2] == ["STARTED", "RUNNING"] and changes[-1] == "COMPLETE"
        assert changes.count("STARTED") == changes.count("RUNNING") == changes.count("COMPLETE") == 1
        assert changes.count("RECORD") == 15

    def test_given_both_streams_when_read_then_each_state_counts_its_streams_records_since_the_last(
        self, requests_mock
    ) -> None:
        output = _read(requests_mock, BOTH, workers=1)

        for stream in BOTH:
            since_last = 0
            for message in output.get_message_iterator():
                if message.type == Type.RECORD and message.record.stream == stream:
                    since_last += 1
                elif message.type == Type.STATE and message.state.stream.stream_descriptor.name == stream:
                    assert message.state.sourceStats.recordCount == since_last
                    since_last = 0

    def test_given_different_saved_states_when_read_then_earlier_start_read_once_and_each_takes_its_own_range(
        self, requests_mock
    ) -> None:
        opened = event("2026-06-01T12:00:00.000Z", 1, 2, 4)
        saved = (
            StateBuilder()
            .with_stream_state(CHANGES, {"time": "2026-06-03T10:00:00.000Z"})
            .with_stream_state(INTERVALS, {"time": "2026-06-02T00:00:00.000Z", "open": [opened], "version": 1})
            .build()
        )

        together = _read(requests_mock, BOTH, saved)
        requested = requested_starts(requests_mock)
        changes_alone = _read(requests_mock, [CHANGES], saved)
        intervals_alone = _read(requests_mock, [INTERVALS], saved)

        # status_changes alone starts at its state minus the 120 minutes of lookback; the intervals at their state.
        assert sorted(requested) == ["2026-06-02T00:00:00.000Z", *STARTS[2:]]
        assert _records(together, CHANGES) == _records(changes_alone, CHANGES)
        assert min(r["time"] for r in _records(together, CHANGES)) == "2026-06-03T08:00:00.000Z"
        assert _records(together, INTERVALS) == _records(intervals_alone, INTERVALS)
        assert _states(together, CHANGES) == _states(changes_alone, CHANGES)
        assert _states(together, INTERVALS) == _states(intervals_alone, INTERVALS)

    def test_given_a_refused_window_when_read_then_both_states_stop_before_it_and_intervals_incomplete(
        self, requests_mock
    ) -> None:
        pages = {**SESSION_PAGES, "2026-06-02": ErrorResponse(403, {}).build()}

        output = read_catalog_failing(requests_mock, pages)

        assert requested_starts(requests_mock) == [STARTS[0], STARTS[1]]
        assert [state["time"] for state in _states(output, CHANGES)] == ["2026-06-01T17:00:00.000Z"]
        assert [state["time"] for state in _states(output, INTERVALS)] == ["2026-06-02T00:00:00.000Z"]
        story = _story(output, INTERVALS)
        assert story[0] == "STARTED" and story[-1] == "INCOMPLETE" and "COMPLETE" not in story
        assert output.get_stream_statuses(CHANGES)[-1] == AirbyteStreamStatus.INCOMPLETE

    def test_given_a_refused_window_when_read_then_the_windows_after_it_only_log_what_they_did_not_read(
        self, requests_mock
    ) -> None:
        pages = {**SESSION_PAGES, "2026-06-02": ErrorResponse(403, {}).build()}

        output = read_catalog_failing(requests_mock, pages)

        errors = [message.trace.error for message in output.errors]
        assert len([error for error in errors if error.stream_descriptor]) == 1
        assert not [error for error in errors if "WindowAbandoned" in (error.message or "")]
        assert any("not derived" in message.log.message for message in output.logs)


def _pauses_while_emitting(monkeypatch, paced: bool, count: int) -> tuple[int, int]:
    """(pauses, RECORD messages) of one status_changes window of `count` records."""
    pauses = []
    monkeypatch.setattr(status_changes, "sleep", lambda seconds: pauses.append(seconds))
    window = status_changes.StatusChangesOfWindow(
        status_changes.LatestOfFinishedRun("2026-06-01T00:00:00.000Z", first=0),
        0,
        StreamStatuses(CHANGES, hosted=False),
        paced=paced,
    )
    records = [Record(event(f"2026-06-01T08:00:{n // 1000:02d}.{n % 1000:03d}Z", 1, n), CHANGES) for n in range(count)]
    messages = list(window.emit(records))
    assert set(pauses) <= {0}
    return len(pauses), len([message for message in messages if message.type == Type.RECORD])


def test_given_status_changes_read_with_the_intervals_when_a_window_emits_then_it_lets_the_gil_go_every_200_records(
    monkeypatch,
) -> None:
    assert _pauses_while_emitting(monkeypatch, paced=True, count=1000) == (1000 // LET_MAIN_THREAD_DRAIN_EVERY, 1000)
    assert _pauses_while_emitting(monkeypatch, paced=False, count=1000) == (0, 1000)
