"""A window's status changes held for agent_status_intervals: packed by agent, spilled to disk past a bound, and given
back exactly as they came, agent by agent, so that the intervals derived from them are those of the events as read."""

import random

import pytest

from source_agent_activity.intervals import Derivation, Event, derive
from source_agent_activity.times import format_ms, to_ms
from source_agent_activity.window_events import WindowEvents

START_MS = to_ms("2026-06-01T00:00:00.000Z")


def status_change(agent: int, ms: int, sequence: int, status_type: int = 1, **fields) -> dict:
    """A v2 status change with every field an interval or a state carries."""
    return {
        "agentId": agent,
        "employeeId": f"emp-{agent}",
        "agentLoginName": f"login-{agent}",
        "agentUserName": f"Agent {agent}",
        "agentGroupId": 17,
        "time": format_ms(ms),
        "sessionId": 9_000_000_077,
        "sequenceNumber": sequence,
        "statusType": status_type,
        "statusSubType": 1 + sequence % 4,
        "statusReasonId": sequence % 3 - 1,
        "statusReasonText": "Lunch" if sequence % 3 == 2 else None,
        **fields,
    }


def an_account(agents: int, per_agent: int, seed: int = 7) -> list[dict]:
    """Each agent's day of events (a login, changes, a logout), shuffled as LivePerson's pages are."""
    rng = random.Random(seed)
    records = []
    for agent in range(2_800_000_001, 2_800_000_001 + agents):
        ms = START_MS + rng.randrange(3_600_000)
        records.append(status_change(agent, ms, -1, 3, sessionId=-1))
        for sequence in range(1, per_agent - 1):
            records.append(status_change(agent, ms, sequence))
            ms += rng.randrange(1, 900_000)
        records.append(status_change(agent, ms, per_agent, 4))
    rng.shuffle(records)
    return records


def held(records: list[dict], **options) -> WindowEvents:
    events = WindowEvents(Event, **options)
    for record in records:
        events.add(record)
    return events


def given_back(events: WindowEvents) -> list[Event]:
    return [event for by_agent in events.by_agent() for agent_events in by_agent.values() for event in agent_events]


def intervals_of(events: WindowEvents) -> list[dict]:
    derivation = Derivation({})
    spans = [span for by_agent in events.by_agent() for span in derivation.spans(by_agent)]
    spans.extend(derivation.still_open())
    return sorted((_as_interval(start, end) for start, end in spans), key=lambda i: (i[0], i[1]))


def _as_interval(start: Event, end) -> tuple:
    return (start.agent_id, start.time, start.sequence, end.time if end else None, start, end)


class TestWindowEvents:
    def test_given_a_window_of_few_events_when_held_then_kept_as_they_are_and_given_back_exactly(self) -> None:
        records = an_account(agents=40, per_agent=12)

        events = held(records)

        assert not events.packed and events.spilled_bytes == 0
        assert sorted(given_back(events)) == sorted(Event.of(record) for record in records)

    def test_given_more_events_than_held_as_they_are_when_held_then_packed_and_given_back_exactly(self) -> None:
        records = an_account(agents=40, per_agent=12)

        events = held(records, memory_events=100)

        assert events.packed and events.spilled_bytes == 0
        assert sorted(given_back(events)) == sorted(Event.of(record) for record in records)

    def test_given_more_events_than_the_bound_when_held_then_spilled_and_given_back_exactly(self) -> None:
        records = an_account(agents=300, per_agent=20)

        events = held(records, spill_bytes=64 * 1024, memory_events=0)

        assert events.spilled_bytes > 64 * 1024
        assert sorted(given_back(events)) == sorted(Event.of(record) for record in records)

    def test_given_spilled_events_when_derived_then_same_intervals_as_from_the_records_in_memory(self) -> None:
        records = an_account(agents=300, per_agent=20)

        from_spilled = intervals_of(held(records, spill_bytes=16 * 1024, memory_events=0))
        in_memory = derive({}, [Event.of(record) for record in records], "2026-06-02T00:00:00.000Z", last=True)

        expected = sorted((_as_interval(start, end) for start, end in in_memory.spans), key=lambda i: (i[0], i[1]))
        # Every status change starts an interval; logins and logouts start none.
        assert len(from_spilled) == len(records) - 2 * 300
        assert from_spilled == expected

    def test_given_many_agents_when_given_back_then_each_agents_events_come_in_one_group(self) -> None:
        records = an_account(agents=100, per_agent=6)

        groups = [set(by_agent) for by_agent in held(records, spill_bytes=4096, memory_events=0).by_agent()]

        agents = [agent for group in groups for agent in group]
        assert len(agents) == len(set(agents)) == 100

    @pytest.mark.parametrize("memory_events", [0, 100])
    def test_given_values_that_fit_no_row_when_given_back_then_kept_as_they_came(self, memory_events: int) -> None:
        agent = 2_800_000_001
        odd = [
            status_change(agent, START_MS, 1, sessionId="abc"),
            status_change(agent, START_MS + 1, 2, statusReasonId=2**70),
            status_change(agent, START_MS + 2, 3, time="2026-06-01T00:00:00.003+00:00"),
            status_change(agent, START_MS + 3, 4, statusSubType=None, agentGroupId=None, employeeId=None),
            status_change("agent-as-text", START_MS, 1),
        ]
        plain = [status_change(agent, START_MS + 10, 5)]

        events = held(odd + plain, memory_events=memory_events)

        groups = [by_agent for by_agent in events.by_agent()]
        back = [event for by_agent in groups for agent_events in by_agent.values() for event in agent_events]
        assert sorted(back, key=repr) == sorted((Event.of(record) for record in odd + plain), key=repr)
        # The agent's odd events and its packed one are derived together.
        assert sorted(event.sequence for group in groups for event in group.get(agent, [])) == [1, 2, 3, 4, 5]
        assert sum(agent in group for group in groups) == 1

    def test_given_a_floor_when_held_then_events_before_it_are_left_out(self) -> None:
        records = [status_change(1, START_MS - 1, 1), status_change(1, START_MS, 2), status_change(1, START_MS + 5, 3)]

        events = held(records, floor_ms=START_MS)

        assert [event.sequence for event in given_back(events)] == [2, 3]
        assert events.count == 2
