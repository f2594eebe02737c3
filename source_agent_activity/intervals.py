"""agent_status_intervals: how long each agent spent in each state, derived from its status changes.

An interval starts at every status change (statusType 1: the default state right after login, or a change) and ends
at the same agent's next event of any kind: another status change, a logout, or a login that began a new session
without a logout. One agent's events are ordered by time; at the same millisecond a logout comes before a login, and
a login before the status changes of its session, which follow their sequenceNumber.

How it is read. The status changes come from the windows of windows.py: the same pages status_changes reads, read once
when both streams are selected, from this stream's own resume point (no lookback). Each window's events are held
compactly while its pages are read (window_events.py); then the windows are derived one after the other, in order
(`Relay`), each taking from the one before it the intervals still open at its end. A window read before the one before
it is done is parked (up to num_workers of them, and about 17 MB of events) and derived by that one: its worker goes
on to the next window. An interval that spans a window edge, or a sync boundary, is therefore one interval. Closed
intervals are emitted when their ending event is read; those still open when the sync's range ends are emitted open
(endTime null), and again, closed, by a later sync.

The state, emitted after each window whose predecessors are all done, is small (an entry per agent with an open
interval at most, never per record):

    {"time": "<resume point>", "open": [<starting event of each interval open at that point>], "version": 1}

The next sync reads events from `time` and starts with the `open` intervals. `time` is the end of the finished
windows, and at most now - lookback_minutes: events LivePerson publishes late within that lookback are read again,
and an interval they split is emitted again, shortened, beside the new one. A sync killed at any point restarts from
the last state: nothing is lost, and what is emitted twice is the same interval again.
"""

import logging
import threading
import time
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple, Optional, Union

from airbyte_cdk.models import AirbyteMessage
from airbyte_cdk.sources.types import Record

from source_agent_activity import halts
from source_agent_activity.estimates import IntervalsEstimate
from source_agent_activity.times import format_ms, to_ms
from source_agent_activity.window_events import EVENT_BYTES, MEMORY_EVENTS, WindowEvents, event_fields
from source_agent_activity.windowed import LET_MAIN_THREAD_DRAIN_EVERY, StreamStatuses, state_message

logger = logging.getLogger("airbyte")

# What the windows parked at one time may hold (Relay): as much as one window of events held as they are.
PARKED_BYTES_AT_MOST = MEMORY_EVENTS * EVENT_BYTES

NAME = "agent_status_intervals"
PRIMARY_KEY = ["agentId", "startTime", "sequenceNumber"]
CURSOR_FIELD = "observedUntil"
STATE_VERSION = 1
STATUS_NAMES = {1: "offline", 2: "online", 3: "occupied", 4: "away"}
ENDED_BY = {1: "status_change", 3: "login", 4: "logout"}


class Event(NamedTuple):
    """What an interval needs of one status change."""

    ms: int
    rank: int
    sequence: int
    time: str
    status_type: Optional[int]
    session_id: Optional[int]
    agent_id: int
    employee_id: Optional[str]
    login_name: Optional[str]
    user_name: Optional[str]
    group_id: Optional[int]
    sub_type: Optional[int]
    reason_id: Optional[int]
    reason_text: Optional[str]

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> "Event":
        """The event of a status change (or of an open interval's start saved in a state)."""
        return cls(*event_fields(record, to_ms(record["time"])))

    def as_state(self) -> dict[str, Any]:
        """The starting event of an open interval, saved in the state in status_changes' own field names."""
        return {
            "agentId": self.agent_id,
            "time": self.time,
            "sequenceNumber": self.sequence,
            "statusType": self.status_type,
            "sessionId": self.session_id,
            "employeeId": self.employee_id,
            "agentLoginName": self.login_name,
            "agentUserName": self.user_name,
            "agentGroupId": self.group_id,
            "statusSubType": self.sub_type,
            "statusReasonId": self.reason_id,
            "statusReasonText": self.reason_text,
        }


_ORDER = attrgetter("ms", "rank", "sequence")
Span = tuple[Event, Optional[Event]]


def _known_session(session_id: Optional[int]) -> Optional[int]:
    # LivePerson leaves the session id out of (or writes -1 into) the first two events of a session.
    return session_id if isinstance(session_id, int) and session_id != -1 else None


def interval(start: Event, end: Optional[Event], observed_until: str) -> dict[str, Any]:
    """The interval that `start` began and `end` (None: not yet) ended."""
    return {
        "agentId": start.agent_id,
        "employeeId": start.employee_id,
        "agentLoginName": start.login_name,
        "agentUserName": start.user_name,
        "agentGroupId": start.group_id,
        "sessionId": _known_session(start.session_id) or (_known_session(end.session_id) if end else None),
        "sequenceNumber": start.sequence,
        "statusSubType": start.sub_type,
        "status": STATUS_NAMES.get(start.sub_type),
        "statusReasonId": start.reason_id,
        "statusReasonText": start.reason_text,
        "startTime": start.time,
        "endTime": end.time if end else None,
        "durationSeconds": (end.ms - start.ms) / 1000 if end else None,
        "endedBy": ENDED_BY.get(end.status_type) if end else None,
        "observedUntil": observed_until,
    }


class Derivation:
    """The intervals of one window, agent by agent, given the intervals open before it (per agent, its start).

    `open` ends as the intervals open after the window; `open_at_resume` (when `resume_ms` is given) as those open
    just before that instant.
    """

    def __init__(self, open_before: Mapping[int, Event], resume_ms: Optional[int] = None) -> None:
        self.open = dict(open_before)
        self.open_at_resume = dict(open_before) if resume_ms is not None else None
        self._resume_ms = resume_ms

    def spans(self, by_agent: Mapping[Any, list[Event]]) -> Iterator[Span]:
        """The intervals the events close (each agent's events in any order), in no particular order of agents."""
        resume_ms = self._resume_ms
        for agent, events in by_agent.items():
            events.sort(key=_ORDER)
            current = self.open.pop(agent, None)
            crossed = resume_ms is None
            for event in events:
                if not crossed and event.ms >= resume_ms:
                    crossed = True
                    _put(self.open_at_resume, agent, current)
                if current is not None:
                    yield current, event
                current = event if event.status_type == 1 else None
            if not crossed:
                _put(self.open_at_resume, agent, current)
            _put(self.open, agent, current)

    def still_open(self) -> Iterator[Span]:
        """The intervals open at the end of the sync's range, emitted open."""
        return ((start, None) for start in self.open.values())


def _put(open_intervals: Optional[dict[int, Event]], agent: int, start: Optional[Event]) -> None:
    if open_intervals is None:
        return
    if start is None:
        open_intervals.pop(agent, None)
    else:
        open_intervals[agent] = start


@dataclass
class Derived:
    """One window's intervals (each its starting and ending event, None while open) and those open after it."""

    spans: list[Span]
    open: dict[int, Event]
    observed_until: str
    open_at_resume: Optional[dict[int, Event]] = None

    def records(self) -> Iterable[dict[str, Any]]:
        return (interval(start, end, self.observed_until) for start, end in self.spans)


def derive(
    open_before: Mapping[int, Event],
    events: Iterable[Event],
    observed_until: str,
    resume_ms: Optional[int] = None,
    last: bool = False,
) -> Derived:
    """The intervals that a window's events (in any order) close or start; when `last`, those still open too."""
    by_agent: dict[int, list[Event]] = {}
    for event in events:
        by_agent.setdefault(event.agent_id, []).append(event)
    derivation = Derivation(open_before, resume_ms)
    spans = list(derivation.spans(by_agent))
    if last:
        spans.extend(derivation.still_open())
    return Derived(spans, derivation.open, observed_until, derivation.open_at_resume)


def state_of(resume_ms: int, open_intervals: Mapping[int, Event]) -> dict[str, Any]:
    return {
        "time": format_ms(resume_ms),
        "open": [start.as_state() for start in sorted(open_intervals.values(), key=attrgetter("agent_id"))],
        "version": STATE_VERSION,
    }


def open_from_state(state: Optional[Mapping[str, Any]]) -> dict[int, Event]:
    """The open intervals a saved state carries (none for a first sync, or a state without them)."""
    starts = [Event.of(start) for start in (state or {}).get("open") or []]
    return {start.agent_id: start for start in starts}


# Deriving the windows in order


class WindowAbandoned(halts.StoppedEarly):
    """A window not derived because an earlier one failed: its intervals come from a later sync, nothing is lost."""


class Relay:
    """Hands each window the intervals open at the end of the window before it, in window order.

    A window `ends` when it handed its open intervals on, or failed; windows end in order, so that whatever a window
    emits comes after everything the windows before it emitted.

    A window whose pages are read before the window before it has ended need not wait, holding its worker: it is
    `parked`, and the window that ends before it derives and emits it next, in its own partition. Its worker is free
    at once for the next window's pages. Parked windows keep their events: at most `parked_at_most` windows, holding
    at most PARKED_BYTES_AT_MOST together (about one window of a 1,000,000-record, 6-month account), park at a time;
    a window that does not fit waits for the one before it, holding its worker, as every window did before.
    """

    def __init__(self, open_before_first: dict[int, Event], parked_at_most: int = 0) -> None:
        self._condition = threading.Condition()
        self._handed: dict[int, dict[int, Event]] = {-1: open_before_first}
        self._ended: set[int] = {-1}
        self._failed_at: Optional[int] = None
        self._parked: dict[int, IntervalsOfWindow] = {}
        self._parked_at_most = parked_at_most
        self._parked_bytes = 0

    def take(self, index: int, window: "IntervalsOfWindow") -> Optional[dict[int, Event]]:
        """The intervals open before window `index`, once the window before it ended; or None: the window is parked,
        and the window before it emits it."""
        with self._condition:
            self._condition.wait_for(
                lambda: index - 1 in self._handed or self._failed_before(index) or self._fits(window)
            )
            if index - 1 in self._handed:
                return self._handed.pop(index - 1)
            if self._failed_before(index):
                raise WindowAbandoned(
                    message=f"{NAME} window {window.name} not derived: an earlier window failed (see the error above); "
                    "a later sync derives it from the saved state."
                )
            self._parked[index] = window
            self._parked_bytes += window.held_bytes
            return None

    def hand(self, index: int, open_after: dict[int, Event]) -> Optional["IntervalsOfWindow"]:
        """Window `index` ended with `open_after`: the next window, to derive now with them, if it is parked."""
        with self._condition:
            self._ended.add(index)
            following = self._parked.pop(index + 1, None)
            if following is None:
                self._handed[index] = open_after
            else:
                self._parked_bytes -= following.held_bytes
            self._condition.notify_all()
            return following

    def fail(self, index: int) -> bool:
        """Window `index` failed. Once every window before it has ended: True if it is the first that failed."""
        with self._condition:
            if index in self._ended:
                return False  # it ended before: what failed was a parked window it derived, which says so itself
            if self._failed_at is None or index < self._failed_at:
                self._failed_at = index
            self._drop_parked_after_failure()
            self._condition.notify_all()
            self._condition.wait_for(lambda: index - 1 in self._ended)
            first = self._failed_at == index
            self._ended.add(index)
            self._condition.notify_all()
            return first

    def abandon(self, index: int) -> None:
        """Window `index` stopped without its windows before it ending (the process is stopping): fail it now."""
        with self._condition:
            if self._failed_at is None or index < self._failed_at:
                self._failed_at = index
            self._ended.add(index)
            self._drop_parked_after_failure()
            self._condition.notify_all()

    def _drop_parked_after_failure(self) -> None:
        """Parked windows after a failed one are not derived (a later sync derives them): they end here, so that the
        windows after them need not wait for them."""
        for index in [index for index in self._parked if self._failed_before(index)]:
            dropped = self._parked.pop(index)
            self._parked_bytes -= dropped.held_bytes
            dropped.drop()
            self._ended.add(index)

    def _fits(self, window: "IntervalsOfWindow") -> bool:
        return (
            len(self._parked) < self._parked_at_most and self._parked_bytes + window.held_bytes <= PARKED_BYTES_AT_MOST
        )

    def _failed_before(self, index: int) -> bool:
        return self._failed_at is not None and self._failed_at < index


@dataclass
class Plan:
    """One sync of the stream: its windows, where the next sync resumes, and what each window hands on."""

    windows: list[tuple[int, int]]  # first and last millisecond of each window
    resume_ms: int
    observed_until: str
    relay: Relay
    # The state at the resume point, once the window holding it is derived.
    final_state: Optional[dict[str, Any]] = None

    def state_after(self, index: int, derivation: Derivation) -> dict[str, Any]:
        """Where a sync killed after window `index` resumes, with what is open there."""
        first, last = self.windows[index]
        if self.resume_ms > last:
            return state_of(last + 1, derivation.open)
        if self.resume_ms >= first:
            self.final_state = state_of(self.resume_ms, derivation.open_at_resume or {})
        assert self.final_state is not None, "the resume point lies in an earlier window"
        return self.final_state


def plan(
    windows: list[tuple[int, int]],
    saved: Optional[Mapping[str, Any]],
    settled_ms: int,
    log: logging.Logger,
    parked_at_most: int = 0,
) -> Plan:
    """The plan of a sync over `windows`; events before `settled_ms` (now - lookback_minutes) are taken as final; at
    most `parked_at_most` windows wait for the one before them without holding a worker (Relay)."""
    open_before = open_from_state(saved)
    range_end = windows[-1][1]
    # Never before the first window: the open intervals of the saved state hold there, and nowhere earlier.
    resume_ms = max(windows[0][0], min(range_end + 1, settled_ms))
    log.info(
        f"{NAME} will read {format_ms(windows[0][0])} to {format_ms(range_end)} in {len(windows)} window(s), "
        f"starting with {len(open_before)} open interval(s); the next sync resumes at {format_ms(resume_ms)}."
    )
    return Plan(windows, resume_ms, format_ms(range_end), Relay(open_before, parked_at_most))


class IntervalsOfWindow:
    """What one window means for agent_status_intervals: its events held while its pages are read, then (in window
    order) its intervals and the state after it."""

    def __init__(
        self,
        plan: Plan,
        index: int,
        statuses: StreamStatuses,
        floor_ms: Optional[int] = None,
        estimate: Optional[IntervalsEstimate] = None,
        window: int = 0,
    ) -> None:
        self._plan = plan
        self._index = index
        self._statuses = statuses
        self._events = WindowEvents(Event, floor_ms)
        # The stream's estimate, and this window's place among the windows read (estimates.py).
        self._estimate = estimate
        self._window = window
        first, last = plan.windows[index]
        self.name = f"{format_ms(first)} to {format_ms(last)}"

    def collect(self, records: Iterable[Record]) -> Iterator[Record]:
        """The window's records, passed on, each held as an event on the way."""
        add = self._events.add
        for record in records:
            add(record.data)
            yield record
        if self._estimate is not None:
            self._estimate.read(self._window, self._events.count, self._events.starts)

    def emit(self, halted: Optional[Exception]) -> Iterator[Union[Record, AirbyteMessage]]:
        """The intervals and the state after the window, once the window before it handed on its open intervals; then
        those of the windows after it that were parked meanwhile, in order (Relay).

        The next window is handed its open intervals only after these are emitted, so that a state emitted by a later
        window implies every earlier window's intervals were emitted before it.
        """
        if halted is not None:
            # A window not started once its host was halted comes back empty: it was not read.
            self._events.close()
            raise WindowAbandoned(message=f"{NAME} window {self.name} not derived: {halted}")
        open_before = self._plan.relay.take(self._index, self)
        if open_before is None:
            return  # parked: the window before it derives it
        window: Optional[IntervalsOfWindow] = self
        while window is not None:
            if window is self:
                open_after = yield from window._derive(open_before)
            else:
                open_after = yield from window._derive_parked(open_before)
                if open_after is None:
                    return
            window, open_before = self._plan.relay.hand(window._index, open_after), open_after

    def _derive_parked(
        self, open_before: dict[int, Event]
    ) -> Generator[Union[Record, AirbyteMessage], None, Optional[dict[int, Event]]]:
        """`_derive` of a parked window, in the partition of the window before it: a failure is this window's."""
        try:
            return (yield from self._derive(open_before))
        except halts.StoppedEarly as stopped:
            yield from self.failed()
            yield stopped.as_airbyte_message()
            return None
        except Exception:
            yield from self.failed()
            raise
        except BaseException:
            self.abandon()
            raise

    def _derive(
        self, open_before: dict[int, Event]
    ) -> Generator[Union[Record, AirbyteMessage], None, dict[int, Event]]:
        """The window's intervals and the state after it; what is open at its end."""
        plan, index, statuses = self._plan, self._index, self._statuses
        try:
            if index == 0:
                yield from statuses.started()
            estimate = self._estimate
            if estimate is not None:
                yield from estimate.due()
            derivation = Derivation(open_before, plan.resume_ms)
            emitted = 0
            observed_until = plan.observed_until
            for by_agent in self._events.by_agent():
                for start, end in derivation.spans(by_agent):
                    if emitted == 0:
                        yield from statuses.running()
                    emitted += 1
                    if emitted % LET_MAIN_THREAD_DRAIN_EVERY == 0:
                        time.sleep(0)  # lets the GIL go
                    yield statuses.record(interval(start, end, observed_until))
            last = index == len(plan.windows) - 1
            if last:
                for start, end in derivation.still_open():
                    if emitted == 0:
                        yield from statuses.running()
                    emitted += 1
                    yield statuses.record(interval(start, end, observed_until))
            if estimate is not None:
                yield from estimate.emitted(emitted, last)
            yield state_message(NAME, plan.state_after(index, derivation))
            if last:
                yield from statuses.done(True)
            written = f"; {estimate.written()}" if estimate is not None else ""
            logger.info(
                f"{NAME} window {index + 1} of {len(plan.windows)} ({self.name}) derived: {self._events.count:,} "
                f"status changes, {emitted:,} intervals, {len(derivation.open)} open after it{written}."
            )
        finally:
            self._events.close()
        return derivation.open

    def drop(self) -> None:
        """Not derived: a window before it failed (Relay)."""
        self._events.close()

    @property
    def held_bytes(self) -> int:
        return self._events.held_bytes

    def failed(self) -> Iterator[AirbyteMessage]:
        """The window failed (or an earlier one did): once the windows before it ended, the first failed window
        closes the stream's statuses."""
        self._events.close()
        if self._plan.relay.fail(self._index):
            if self._index == 0:
                yield from self._statuses.started()
            yield from self._statuses.done(False)

    def abandon(self) -> None:
        self._events.close()
        self._plan.relay.abandon(self._index)
