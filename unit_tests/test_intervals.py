"""agent_status_intervals: how intervals are derived from one agent's events, window after window and sync after sync.

The derivation is exercised directly (intervals.derive), then through a real read with mocked LivePerson pages.
"""

import json
from typing import Optional

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from source_agent_activity.intervals import Event, derive, open_from_state, state_of
from source_agent_activity.times import to_ms
from unit_tests.support.config import ConfigBuilder, catalog, state
from unit_tests.support.day_windows import STARTS, answer_by_day, four_days, requested_starts
from unit_tests.support.entrypoint import NOW, read_catalog, states
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse, a_record

INTERVALS = "agent_status_intervals"

AGENT = 2800001001
OTHER = 2800001002
OBSERVED = "2026-06-05T00:00:00.000Z"
LOGIN, CHANGE, LOGOUT = 3, 1, 4
ONLINE, AWAY, OCCUPIED = 2, 4, 3


def event(
    time: str,
    status_type: int,
    sequence: int,
    sub_type: int = 0,
    session: int = 77,
    agent: int = AGENT,
    reason_id: int = -1,
    reason_text: Optional[str] = None,
) -> dict:
    """A status change as LivePerson writes it (v2), for one agent: the documented example with these fields."""
    return (
        a_record(time)
        .with_agent_id(agent)
        .with_sequence_number(sequence)
        .with_field("sessionId", session)
        .with_field("statusType", status_type)
        .with_field("statusSubType", sub_type)
        .with_field("statusReasonId", reason_id)
        .with_field("statusReasonText", reason_text)
        .build()
    )


def login(time: str, agent: int = AGENT) -> list[dict]:
    """A login and the default state right after it: the same millisecond, no session id yet."""
    return [event(time, LOGIN, -1, 0, -1, agent), event(time, CHANGE, 1, ONLINE, -1, agent)]


def derived(*records: dict, open_before=None, resume_ms=None, last=True):
    return derive(open_before or {}, [Event.of(record) for record in records], OBSERVED, resume_ms, last)


def intervals_of(result) -> list[dict]:
    return list(result.records())


def spans(result) -> list[tuple]:
    return [(i["startTime"], i["endTime"], i["status"], i["endedBy"]) for i in intervals_of(result)]


class TestDerivation:
    def test_given_a_session_when_derived_then_one_interval_per_state_ended_by_the_next_event(self) -> None:
        result = derived(
            *login("2026-06-01T08:00:00.000Z"),
            event("2026-06-01T09:00:00.000Z", CHANGE, 2, AWAY, reason_id=5, reason_text="Lunch"),
            event("2026-06-01T10:00:00.000Z", LOGOUT, 3),
        )

        assert spans(result) == [
            ("2026-06-01T08:00:00.000Z", "2026-06-01T09:00:00.000Z", "online", "status_change"),
            ("2026-06-01T09:00:00.000Z", "2026-06-01T10:00:00.000Z", "away", "logout"),
        ]
        assert [(i["durationSeconds"], i["statusReasonText"]) for i in intervals_of(result)] == [
            (3600.0, None),
            (3600.0, "Lunch"),
        ]
        assert result.open == {}

    def test_given_events_out_of_order_when_derived_then_same_as_in_order(self) -> None:
        in_order = [
            *login("2026-06-01T08:00:00.000Z"),
            event("2026-06-01T08:30:00.000Z", CHANGE, 2, OCCUPIED),
            event("2026-06-01T09:00:00.000Z", CHANGE, 3, AWAY),
            event("2026-06-01T10:00:00.000Z", LOGOUT, 4),
        ]

        assert intervals_of(derived(*reversed(in_order))) == intervals_of(derived(*in_order))

    def test_given_login_and_default_state_in_the_same_millisecond_then_default_state_starts_the_first_interval(
        self,
    ) -> None:
        default_state_first = [
            *reversed(login("2026-06-01T08:00:00.000Z")),
            event("2026-06-01T08:00:05.000Z", LOGOUT, 2),
        ]

        assert spans(derived(*default_state_first)) == [
            ("2026-06-01T08:00:00.000Z", "2026-06-01T08:00:05.000Z", "online", "logout")
        ]

    def test_given_logout_and_login_in_the_same_millisecond_then_logout_ends_the_old_session_first(self) -> None:
        result = derived(
            *login("2026-06-01T08:00:00.000Z"),
            *login("2026-06-01T09:00:00.000Z"),
            event("2026-06-01T09:00:00.000Z", LOGOUT, 5),
            event("2026-06-01T10:00:00.000Z", LOGOUT, 2),
        )

        assert [i["endedBy"] for i in intervals_of(result)] == ["logout", "logout"]
        assert intervals_of(result)[0]["endTime"] == "2026-06-01T09:00:00.000Z"

    def test_given_first_two_events_without_session_id_then_interval_takes_the_ending_events_session(self) -> None:
        result = derived(*login("2026-06-01T08:00:00.000Z"), event("2026-06-01T09:00:00.000Z", CHANGE, 2, AWAY, 4242))

        assert intervals_of(result)[0]["sessionId"] == 4242

    def test_given_open_interval_without_session_id_then_session_is_null(self) -> None:
        result = derived(*login("2026-06-01T08:00:00.000Z"))

        assert [(i["sessionId"], i["endTime"], i["durationSeconds"], i["endedBy"]) for i in intervals_of(result)] == [
            (None, None, None, None)
        ]

    def test_given_missed_logout_then_interval_ends_at_the_next_login(self) -> None:
        result = derived(
            *login("2026-06-01T08:00:00.000Z"),
            event("2026-06-01T09:00:00.000Z", CHANGE, 2, AWAY),
            *login("2026-06-02T08:00:00.000Z"),
        )

        assert spans(result)[1] == ("2026-06-01T09:00:00.000Z", "2026-06-02T08:00:00.000Z", "away", "login")

    def test_given_open_intervals_at_the_tip_when_not_the_last_window_then_carried_not_emitted(self) -> None:
        result = derived(*login("2026-06-01T08:00:00.000Z"), last=False)

        assert intervals_of(result) == []
        assert [start.time for start in result.open.values()] == ["2026-06-01T08:00:00.000Z"]

    def test_given_open_intervals_at_the_tip_of_the_range_then_emitted_open(self) -> None:
        result = derived(*login("2026-06-01T08:00:00.000Z"), event("2026-06-01T09:00:00.000Z", CHANGE, 2, AWAY))

        assert [(i["startTime"], i["endTime"]) for i in intervals_of(result)] == [
            ("2026-06-01T08:00:00.000Z", "2026-06-01T09:00:00.000Z"),
            ("2026-06-01T09:00:00.000Z", None),
        ]

    def test_given_first_event_in_range_mid_session_then_intervals_start_at_the_first_status_change(self) -> None:
        result = derived(
            event("2026-06-01T08:00:00.000Z", LOGOUT, 9),  # ends an interval that began before the range
            *login("2026-06-01T09:00:00.000Z"),
            event("2026-06-01T10:00:00.000Z", LOGOUT, 2),
        )

        assert spans(result) == [("2026-06-01T09:00:00.000Z", "2026-06-01T10:00:00.000Z", "online", "logout")]

    def test_given_interval_across_a_window_edge_then_one_interval_from_the_later_window(self) -> None:
        first = derived(*login("2026-06-01T23:00:00.000Z"), last=False)
        second = derived(event("2026-06-02T01:00:00.000Z", LOGOUT, 2), open_before=first.open)

        assert (intervals_of(first), spans(second)) == (
            [],
            [("2026-06-01T23:00:00.000Z", "2026-06-02T01:00:00.000Z", "online", "logout")],
        )

    def test_given_two_agents_then_each_agents_events_end_only_its_own_intervals(self) -> None:
        result = derived(
            *login("2026-06-01T08:00:00.000Z"),
            *login("2026-06-01T08:30:00.000Z", agent=OTHER),
            event("2026-06-01T09:00:00.000Z", LOGOUT, 2),
        )

        assert {(i["agentId"], i["endTime"]) for i in intervals_of(result)} == {
            (AGENT, "2026-06-01T09:00:00.000Z"),
            (OTHER, None),
        }

    def test_given_resume_point_inside_the_window_then_open_intervals_there_are_kept_for_the_next_sync(self) -> None:
        result = derived(
            *login("2026-06-01T08:00:00.000Z"),
            event("2026-06-01T11:00:00.000Z", CHANGE, 2, AWAY),
            resume_ms=to_ms("2026-06-01T10:00:00.000Z"),
        )

        assert {agent: start.time for agent, start in result.open_at_resume.items()} == {
            AGENT: "2026-06-01T08:00:00.000Z"
        }
        assert {agent: start.time for agent, start in result.open.items()} == {AGENT: "2026-06-01T11:00:00.000Z"}


class TestAcrossSyncs:
    def test_given_state_with_open_interval_when_next_sync_reads_its_end_then_emitted_again_closed(self) -> None:
        first = derived(*login("2026-06-01T08:00:00.000Z"), resume_ms=to_ms("2026-06-01T09:00:00.000Z"))
        saved = json.loads(json.dumps(state_of(to_ms("2026-06-01T09:00:00.000Z"), first.open_at_resume)))

        second = derived(event("2026-06-01T12:00:00.000Z", LOGOUT, 2), open_before=open_from_state(saved))

        assert spans(first) == [("2026-06-01T08:00:00.000Z", None, "online", None)]
        assert spans(second) == [("2026-06-01T08:00:00.000Z", "2026-06-01T12:00:00.000Z", "online", "logout")]
        assert intervals_of(second)[0]["agentLoginName"] == "ada.agent"

    def test_given_late_event_splitting_an_interval_when_next_sync_rereads_then_shortened_and_new_one(self) -> None:
        resume = to_ms("2026-06-01T09:00:00.000Z")
        session = [*login("2026-06-01T08:00:00.000Z"), event("2026-06-01T12:00:00.000Z", LOGOUT, 3)]
        first = derived(*session, resume_ms=resume)
        late = event("2026-06-01T10:00:00.000Z", CHANGE, 2, AWAY)

        second = derived(session[2], late, open_before=open_from_state(state_of(resume, first.open_at_resume)))

        assert spans(first) == [("2026-06-01T08:00:00.000Z", "2026-06-01T12:00:00.000Z", "online", "logout")]
        assert spans(second) == [
            ("2026-06-01T08:00:00.000Z", "2026-06-01T10:00:00.000Z", "online", "status_change"),
            ("2026-06-01T10:00:00.000Z", "2026-06-01T12:00:00.000Z", "away", "logout"),
        ]

    def test_given_saved_state_when_read_back_then_every_field_of_the_open_interval_survives(self) -> None:
        start = Event.of(event("2026-06-01T08:00:00.000Z", CHANGE, 4, AWAY, 31, reason_id=7, reason_text="Meeting"))

        assert open_from_state(json.loads(json.dumps(state_of(0, {AGENT: start})))) == {AGENT: start}


@freeze_time(NOW)
class TestRead:
    """A real read of agent_status_intervals: 1-day windows over 2026-06-01..04, pages mocked per window."""

    def _read(self, requests_mock, pages: dict[str, list[dict]], saved=None, config: Optional[ConfigBuilder] = None):
        """Each window day's page holds `pages[day]` (no record on other days)."""
        answer_by_day(
            requests_mock,
            {day: StatusChangesResponse().with_records(*records).build() for day, records in pages.items()},
        )
        return read_catalog((config or four_days()).build(), catalog(SyncMode.incremental, [INTERVALS]), saved)

    def test_given_session_across_windows_when_read_then_one_interval_and_states_after_each_window(
        self, requests_mock
    ) -> None:
        output = self._read(
            requests_mock,
            {
                "2026-06-01": login("2026-06-01T22:00:00.000Z"),
                "2026-06-03": [event("2026-06-03T02:00:00.000Z", LOGOUT, 2)],
            },
        )

        assert [(m.record.data["startTime"], m.record.data["endTime"]) for m in output.records] == [
            ("2026-06-01T22:00:00.000Z", "2026-06-03T02:00:00.000Z")
        ]
        saved = states(output)
        assert [state["time"] for state in saved] == [
            "2026-06-02T00:00:00.000Z",
            "2026-06-03T00:00:00.000Z",
            "2026-06-04T00:00:00.000Z",
            "2026-06-05T00:00:00.000Z",
        ]
        assert [len(state["open"]) for state in saved] == [1, 1, 0, 0]

    def test_given_saved_state_with_open_interval_when_read_then_windows_start_there_and_close_it(
        self, requests_mock
    ) -> None:
        opened = event("2026-05-31T20:00:00.000Z", CHANGE, 3, AWAY, 99)
        saved = (
            StateBuilder()
            .with_stream_state(INTERVALS, {"time": "2026-06-03T00:00:00.000Z", "open": [opened], "version": 1})
            .build()
        )

        output = self._read(requests_mock, {"2026-06-03": [event("2026-06-03T01:00:00.000Z", LOGOUT, 4)]}, saved)

        assert sorted(set(requested_starts(requests_mock))) == ["2026-06-03T00:00:00.000Z", "2026-06-04T00:00:00.000Z"]
        assert [
            (m.record.data["startTime"], m.record.data["endTime"], m.record.data["status"]) for m in output.records
        ] == [("2026-05-31T20:00:00.000Z", "2026-06-03T01:00:00.000Z", "away")]

    def test_given_state_of_the_previous_version_without_this_stream_when_read_then_read_from_start_date(
        self, requests_mock
    ) -> None:
        self._read(requests_mock, {}, state("2026-06-03T10:00:00.000Z"))

        assert min(requested_starts(requests_mock)) == "2026-06-01T00:00:00.000Z"

    @pytest.mark.parametrize("lookback_minutes", [0, 120])
    def test_given_range_ending_now_when_read_then_next_sync_resumes_lookback_before_the_end(
        self, requests_mock, lookback_minutes: int
    ) -> None:
        config = (
            four_days()
            .with_end_date(None)
            .with_start_date("2026-06-15T00:00:00Z")
            .with_lookback_minutes(lookback_minutes)
        )

        output = self._read(requests_mock, {}, config=config)

        assert to_ms(states(output)[-1]["time"]) == to_ms("2026-06-15T12:00:00.000Z") - lookback_minutes * 60_000


@freeze_time(NOW)
class TestReadWhenAWindowFails:
    def test_given_second_window_refused_when_read_then_no_later_window_derived_and_state_stops_before_it(
        self, requests_mock
    ) -> None:
        answer_by_day(
            requests_mock,
            {
                "2026-06-01": StatusChangesResponse().with_records(*login("2026-06-01T22:00:00.000Z")).build(),
                "2026-06-02": ErrorResponse(403, {}).build(),
                "2026-06-03": StatusChangesResponse().with_record(event("2026-06-03T02:00:00.000Z", LOGOUT, 2)).build(),
            },
        )

        output = read_catalog(
            four_days().with_num_workers(1).build(), catalog(SyncMode.incremental, [INTERVALS]), expect_failure=True
        )

        assert output.records == []
        assert [(s["time"], len(s["open"])) for s in states(output)] == [("2026-06-02T00:00:00.000Z", 1)]
        assert requested_starts(requests_mock) == [STARTS[0], STARTS[1]], "no window starts after the refusal"
