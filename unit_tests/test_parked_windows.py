"""Parked windows (intervals.Relay): a window whose pages are read before the window before it has ended does not
wait holding its worker; the window before it derives and emits it, in order, in its own partition.

Driven directly, one window at a time on the test's thread, so that which window finishes first is the test's choice:
four one-day windows of one agent, each with a login, a change and (but the last) a logout.
"""

import logging
import threading

import pytest
from airbyte_cdk.models import Type
from airbyte_cdk.sources.types import Record

from source_agent_activity import intervals
from source_agent_activity.halts import StoppedEarly
from source_agent_activity.times import to_ms
from source_agent_activity.windowed import StreamStatuses
from unit_tests.support.day_windows import DAYS, SESSION_PAGES

NAME = intervals.NAME
WINDOWS = [(to_ms(f"{day}T00:00:00.000Z"), to_ms(f"{day}T23:59:59.999Z")) for day in DAYS]
SETTLED = to_ms("2026-06-10T00:00:00.000Z")


def day_events(day: str) -> list[Record]:
    return [Record(data=record, stream_name="status_changes") for record in SESSION_PAGES[day]]


class Windows:
    """The four windows of one sync, each read (its events collected) when the test says."""

    def __init__(self, parked_at_most: int) -> None:
        self.plan = intervals.plan(WINDOWS, None, SETTLED, logging.getLogger("test"), parked_at_most)
        self.statuses = StreamStatuses(NAME, hosted=True)
        self.windows = [intervals.IntervalsOfWindow(self.plan, index, self.statuses) for index in range(len(DAYS))]

    def read(self, index: int) -> intervals.IntervalsOfWindow:
        window = self.windows[index]
        list(window.collect(day_events(DAYS[index])))
        return window


class BrokenWindow(intervals.IntervalsOfWindow):
    """A window whose derivation fails."""

    def _derive(self, open_before):
        raise RuntimeError(f"window {self._index} cannot be derived")
        yield  # a generator, as the real one


def story(messages) -> list[str]:
    """Each message as RECORD <interval start>, STATE <resume time> or the status it says."""
    told = []
    for message in messages:
        if message.type == Type.RECORD:
            told.append(f"RECORD {message.record.data['startTime']}")
        elif message.type == Type.STATE:
            told.append(f"STATE {message.state.stream.stream_state.time}")
        elif message.type == Type.TRACE and message.trace.stream_status is not None:
            told.append(message.trace.stream_status.status.name)
    return told


def emitted_by(window: intervals.IntervalsOfWindow) -> list[str]:
    return story(window.emit(None))


def in_order(count: int = len(DAYS)) -> list[str]:
    """What the first `count` windows emit one after the other, none parked."""
    windows = Windows(parked_at_most=0)
    told = []
    for index in range(count):
        told += emitted_by(windows.read(index))
    return told


def test_given_later_windows_read_first_when_the_first_ends_then_it_emits_theirs_after_its_own_in_window_order() -> (
    None
):
    windows = Windows(parked_at_most=3)
    later = [emitted_by(windows.read(index)) for index in (3, 1, 2)]

    first = emitted_by(windows.read(0))

    assert later == [[], [], []], "parked windows emit nothing themselves"
    assert first == in_order()
    assert first[-1] == "COMPLETE"


def test_given_a_gap_in_the_parked_windows_when_the_first_ends_then_it_stops_at_the_gap_and_the_next_goes_on() -> None:
    windows = Windows(parked_at_most=3)
    assert emitted_by(windows.read(2)) == []
    assert emitted_by(windows.read(3)) == []

    first = emitted_by(windows.read(0))
    second = emitted_by(windows.read(1))

    expected = in_order()
    assert first + second == expected
    assert "COMPLETE" not in first and first[-1].startswith("STATE ")


def test_given_the_parking_full_when_a_window_is_read_then_it_waits_for_the_one_before_it_as_before() -> None:
    windows = Windows(parked_at_most=1)
    assert emitted_by(windows.read(2)) == []  # parked: the only place
    third = windows.read(1)
    told: list[str] = []
    waiting = threading.Thread(target=lambda: told.extend(emitted_by(third)))
    waiting.start()

    first = emitted_by(windows.read(0))
    waiting.join(timeout=30)

    assert not waiting.is_alive()
    # Window 1 waited (it could not park), took window 0's open intervals, and derived window 2 after itself.
    assert first + told == in_order(3)


def test_given_parked_windows_when_the_window_before_them_fails_then_they_are_not_derived_and_incomplete() -> None:
    windows = Windows(parked_at_most=3)
    parked = [windows.read(index) for index in (1, 2)]
    for window in parked:
        assert emitted_by(window) == []
    failing = windows.read(0)

    told = story(failing.failed())
    after = windows.read(3)

    assert told == ["STARTED", "INCOMPLETE"]
    with pytest.raises(StoppedEarly, match="an earlier window failed"):
        list(after.emit(None))
    assert story(after.failed()) == [], "only the first failed window closes the stream"


def test_given_a_parked_window_that_fails_when_derived_by_the_one_before_then_its_failure_is_its_own() -> None:
    windows = Windows(parked_at_most=3)
    broken = windows.windows[1] = BrokenWindow(windows.plan, 1, windows.statuses)
    assert emitted_by(broken) == []
    first = windows.read(0)

    messages = []
    with pytest.raises(RuntimeError, match="window 1 cannot be derived"):
        for message in first.emit(None):
            messages.append(message)

    told = story(messages)
    assert told[0] == "STARTED" and told[-1] == "INCOMPLETE"
    assert [entry for entry in told if entry.startswith("STATE")] == ["STATE 2026-06-02T00:00:00.000Z"]
    assert story(first.failed()) == [], "the window that derived it ended before: it did not fail"
    with pytest.raises(StoppedEarly):
        list(windows.read(2).emit(None))
    assert windows.statuses.done(False) == [], "INCOMPLETE was said once"


def test_given_parked_windows_holding_their_share_of_memory_when_another_is_read_then_it_waits_as_before(
    monkeypatch,
) -> None:
    windows = Windows(parked_at_most=3)
    first_parked = windows.read(1)
    monkeypatch.setattr(intervals, "PARKED_BYTES_AT_MOST", first_parked.held_bytes)  # room for one such window
    assert first_parked.held_bytes > 0
    assert emitted_by(first_parked) == []
    third = windows.read(2)
    told: list[str] = []
    waiting = threading.Thread(target=lambda: told.extend(emitted_by(third)))
    waiting.start()

    # Window 2 does not fit beside window 1: it waits (a parked window would have returned at once). The wait only
    # ends once window 0 has emitted; this check can only fail if it did not wait.
    waiting.join(timeout=1)
    assert waiting.is_alive() and told == []

    first = emitted_by(windows.read(0))
    waiting.join(timeout=30)

    assert not waiting.is_alive()
    # Once window 0 took window 1 out of the parking, window 2 either parked or took window 1's open intervals: which,
    # depends on the threads; either way every window's messages come once, in window order.
    assert first + told == in_order(3)
