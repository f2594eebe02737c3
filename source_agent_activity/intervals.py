"""agent_status_intervals: how long each agent spent in each state, derived from its status changes.

An interval starts at every status change (statusType 1: the default state right after login, or a change) and ends
at the same agent's next event of any kind: another status change, a logout, or a login that began a new session
without a logout. One agent's events are ordered by time; at the same millisecond a logout comes before a login, and
a login before the status changes of its session, which follow their sequenceNumber.

How it is read. The manifest's `agent_status_intervals` stream reads status changes in windows, as status_changes does
(same requests, auth, retries and paging), but from this stream's own resume point and without a lookback. Each
window's events are read in parallel with the others'; then the windows are derived one after the other, in order
(`Relay`), each taking from the one before it the intervals still open at its end. An interval that spans a window
edge, or a sync boundary, is therefore one interval. Closed intervals are emitted when their ending event is read;
those still open when the sync's range ends are emitted open (endTime null), and again, closed, by a later sync.

The state, emitted after each window whose predecessors are all done, is small (an entry per agent with an open
interval at most, never per record):

    {"time": "<resume point>", "open": [<starting event of each interval open at that point>], "version": 1}

The next sync reads events from `time` (the inner cursor's state) and starts with the `open` intervals. `time` is the
end of the finished windows, and at most now - lookback_minutes: events LivePerson publishes late within that
lookback are read again, and an interval they split is emitted again, shortened, beside the new one. A sync killed at
any point restarts from the last state: nothing is lost, and what is emitted twice is the same interval again.
"""

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, Iterable, Mapping, NamedTuple, Optional, Union

from airbyte_cdk.models import AirbyteMessage
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record

from source_agent_activity import halts, hosts
from source_agent_activity.components import format_time
from source_agent_activity.windowed import NothingToRead, Window, state_message, windowed_stream

logger = logging.getLogger("airbyte")

NAME = "agent_status_intervals"
PRIMARY_KEY = ["agentId", "startTime", "sequenceNumber"]
CURSOR_FIELD = "observedUntil"
STATE_VERSION = 1
STATUS_NAMES = {1: "offline", 2: "online", 3: "occupied", 4: "away"}
ENDED_BY = {1: "status_change", 3: "login", 4: "logout"}
# One agent's events at the same millisecond: a logout, then a login, then the status changes of its session.
_RANK = {4: 0, 3: 1, 1: 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def to_ms(value: str) -> int:
    """An RFC 3339 time (LivePerson writes 2026-11-25T08:15:30.123Z) as milliseconds since the epoch."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // _MILLISECOND


def format_ms(ms: int) -> str:
    """Milliseconds since the epoch in LivePerson's own time format (2026-11-25T08:15:30.123Z)."""
    return format_time(_EPOCH + ms * _MILLISECOND)


# The text fields of a status change that repeat across an agent's events: held once per window.
_TEXT_FIELDS = ("employeeId", "agentLoginName", "agentUserName", "statusReasonText")


class Event(NamedTuple):
    """What an interval needs of one status change: far less than the record, so that a window is cheap to hold."""

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
    def of(cls, record: Mapping[str, Any], shared: Optional[dict[Any, Any]] = None) -> "Event":
        """The event of a status change; `shared` keeps one copy of each name and reason text of a window."""
        shared = {} if shared is None else shared
        text = {name: shared.setdefault(record.get(name), record.get(name)) for name in _TEXT_FIELDS}
        status_type = record.get("statusType")
        sequence = record.get("sequenceNumber")
        return cls(
            to_ms(record["time"]),
            _RANK.get(status_type, 3),
            sequence if isinstance(sequence, int) else 0,
            record["time"],
            status_type,
            record.get("sessionId"),
            record["agentId"],
            text["employeeId"],
            text["agentLoginName"],
            text["agentUserName"],
            record.get("agentGroupId"),
            record.get("statusSubType"),
            record.get("statusReasonId"),
            text["statusReasonText"],
        )

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


@dataclass
class Derived:
    """One window's intervals (each its starting and ending event, None while open), and the intervals still open
    after it (per agent, its starting event)."""

    spans: list[tuple[Event, Optional[Event]]]
    open: dict[int, Event]
    observed_until: str
    # The intervals open just before `resume_ms`, when that instant falls in this window.
    open_at_resume: Optional[dict[int, Event]] = None

    def records(self) -> Iterable[dict[str, Any]]:
        """The intervals as records, built one at a time as they are emitted."""
        return (interval(start, end, self.observed_until) for start, end in self.spans)


def derive(
    open_before: Mapping[int, Event],
    events: Iterable[Event],
    observed_until: str,
    resume_ms: Optional[int] = None,
    last: bool = False,
) -> Derived:
    """The intervals that one window's events close or start, given the intervals open before it.

    Events may come in any order. When `last`, the intervals still open at the end are emitted too, open.
    """
    by_agent: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_agent[event.agent_id].append(event)
    still_open = dict(open_before)
    at_resume = dict(open_before) if resume_ms is not None else None
    spans: list[tuple[Event, Optional[Event]]] = []
    for agent, agent_events in by_agent.items():
        agent_events.sort(key=_ORDER)
        current = still_open.pop(agent, None)
        crossed = resume_ms is None
        for event in agent_events:
            if not crossed and event.ms >= resume_ms:
                crossed = True
                _put(at_resume, agent, current)
            if current is not None:
                spans.append((current, event))
            current = event if event.status_type == 1 else None
        if not crossed:
            _put(at_resume, agent, current)
        _put(still_open, agent, current)
    if last:
        spans.extend((start, None) for start in still_open.values())
    return Derived(spans, still_open, observed_until, at_resume)


def _put(open_intervals: Optional[dict[int, Event]], agent: int, start: Optional[Event]) -> None:
    if open_intervals is None:
        return
    if start is None:
        open_intervals.pop(agent, None)
    else:
        open_intervals[agent] = start


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


# Reading windows in parallel, deriving them in order


class WindowAbandoned(halts.StoppedEarly):
    """A window not derived because an earlier one failed: its intervals come from a later sync, nothing is lost."""


class Relay:
    """Hands each window the intervals open at the end of the window before it, in window order."""

    def __init__(self, open_before_first: dict[int, Event]) -> None:
        self._condition = threading.Condition()
        self._handed: dict[int, dict[int, Event]] = {-1: open_before_first}
        self._failed_at: Optional[int] = None

    def take(self, index: int, window: str) -> dict[int, Event]:
        with self._condition:
            self._condition.wait_for(lambda: index - 1 in self._handed or self._failed_at is not None)
            if index - 1 in self._handed:
                return self._handed.pop(index - 1)
            raise WindowAbandoned(
                message=f"{NAME} window {window} not derived: an earlier window failed (see the error above); a "
                "later sync derives it from the saved state."
            )

    def hand(self, index: int, open_after: dict[int, Event]) -> None:
        with self._condition:
            self._handed[index] = open_after
            self._condition.notify_all()

    def fail(self, index: int) -> None:
        with self._condition:
            if self._failed_at is None or index < self._failed_at:
                self._failed_at = index
            self._condition.notify_all()


@dataclass
class Plan:
    """One sync of the stream: its windows, where the next sync resumes, and what each window hands on."""

    config: Mapping[str, Any]
    windows: list[tuple[int, int]]  # first and last millisecond of each window
    resume_ms: int
    observed_until: str
    relay: Relay
    # The state at the resume point, once the window holding it is derived.
    final_state: Optional[dict[str, Any]] = None

    def state_after(self, index: int, derived: Derived) -> dict[str, Any]:
        """Where a sync killed after window `index` resumes, with what is open there."""
        first, last = self.windows[index]
        if self.resume_ms > last:
            return state_of(last + 1, derived.open)
        if self.resume_ms >= first:
            self.final_state = state_of(self.resume_ms, derived.open_at_resume or {})
        assert self.final_state is not None, "the resume point lies in an earlier window"
        return self.final_state


class IntervalsWindow(Window):
    """One window: its status changes read (in parallel with other windows), then its intervals derived in order."""

    def __init__(self, events: Partition, index: int, plan: Plan) -> None:
        super().__init__(NAME, events, index)
        self._plan = plan
        first, last = plan.windows[index]
        self._name = f"{format_ms(first)} to {format_ms(last)}"

    def read(self) -> Iterable[Union[Record, AirbyteMessage]]:
        """The window's intervals, then the state after it: on the same queue, so the state never runs ahead.

        The next window is handed its open intervals only after these are emitted, so that a state emitted by a
        later window implies every earlier window's intervals were emitted before it.
        """
        plan, index = self._plan, self._index
        try:
            shared: dict[Any, Any] = {}
            events = [Event.of(record.data, shared) for record in self._window.read()]
            halted = halts.HALTS.reason(hosts.HOSTS.host(hosts.AGENT_ACTIVITY, plan.config))
            if halted is not None:
                # Windows not started once the host was halted come back empty: they were not read.
                raise WindowAbandoned(message=f"{NAME} window {self._name} not derived: {halted}")
            open_before = plan.relay.take(index, self._name)
            derived = derive(
                open_before, events, plan.observed_until, plan.resume_ms, last=index == len(plan.windows) - 1
            )
            state = plan.state_after(index, derived)
            window = self.to_slice()
            for data in derived.records():
                yield Record(data=data, stream_name=NAME, associated_slice=window)
            yield state_message(NAME, state)
            logger.info(
                f"{NAME} window {self._name} done: {len(events)} status changes, {len(derived.spans)} "
                f"intervals, {len(derived.open)} open after it."
            )
        except BaseException:
            plan.relay.fail(index)
            raise
        plan.relay.hand(index, derived.open)


def intervals_stream(
    inner: AbstractStream, config: Mapping[str, Any], saved: Optional[Mapping[str, Any]], logger_: logging.Logger
) -> DefaultStream:
    """agent_status_intervals, built on the manifest's stream of the same name, which reads its status changes."""

    def wrap(event_windows: list[Partition]) -> Iterable[Partition]:
        open_before = open_from_state(saved)
        if not event_windows:
            yield NothingToRead(NAME, dict(saved) if saved else state_of(to_ms(config["__end"]), {}))
            return
        windows = [(to_ms(w.to_slice()["start_time"]), to_ms(w.to_slice()["end_time"])) for w in event_windows]
        range_end = windows[-1][1]
        # Events older than the lookback are taken as final (LivePerson's data SLA is 1 hour).
        settled = (datetime.now(UTC) - _EPOCH) // _MILLISECOND - config["lookback_minutes"] * 60_000
        # Never before the first window: the open intervals of the saved state hold there, and nowhere earlier.
        resume_ms = max(windows[0][0], min(range_end + 1, settled))
        plan = Plan(config, windows, resume_ms, format_ms(range_end), Relay(open_before))
        logger.info(
            f"{NAME} will read {format_ms(windows[0][0])} to {format_ms(range_end)} in {len(windows)} window(s), "
            f"starting with {len(open_before)} open interval(s); the next sync resumes at {format_ms(resume_ms)}."
        )
        for index, events in enumerate(event_windows):
            yield IntervalsWindow(events, index, plan)

    return windowed_stream(inner, CURSOR_FIELD, PRIMARY_KEY, saved, wrap, logger_)
