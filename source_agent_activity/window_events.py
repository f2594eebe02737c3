"""One window's status changes, held for agent_status_intervals in memory that does not grow with the account.

An agent's events can be anywhere in a window's pages (LivePerson does not sort them), so a window's intervals can
only be derived once all its pages are read. Held as dicts, or even as small tuples, a 7-day window of a 10,000-agent
account (about 560,000 status changes) took hundreds of MB, and a sync holds up to `num_workers` windows at once.
A window of up to `MEMORY_EVENTS` events (most accounts' windows) is held as the events themselves: about 17 MB at
most. Past that, each event is packed into a fixed 108-byte row, by agent into one of `BUCKETS` buckets, and once a
window's rows pass `SPILL_BYTES` they go to temporary files. The intervals are then derived one bucket at a time (an
agent's events are all in one bucket), so at most one bucket's events are ever unpacked. Memory per window: at most
`MEMORY_EVENTS` events, or `SPILL_BYTES` of rows and one bucket at derivation time, and the names and reason texts,
each kept once. Packing and unpacking cost about 5 µs per event (measured with `make bench`): the bound is set where
memory is worth it, not for every window.
"""

import struct
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import IO, Any, Optional

from source_agent_activity.times import is_liveperson_form, to_ms

BUCKETS = 16
SPILL_BYTES = 4 * 1024 * 1024
# Events held as they are before a window's are packed: about 17 MB (EVENT_BYTES each).
MEMORY_EVENTS = 50_000
EVENT_BYTES = 350
# Who an event is (agent, time, order), what it says (status, reason, session, group) and its names. Integers that
# are absent are stored as _NONE; strings as an index into the window's table (-1: absent). The time is kept as the
# 24 characters LivePerson writes, or (any other shape) as an index into the table.
_ROW = struct.Struct("<qqqqqqqq24siiiii")
_NONE = -(2**63)
_TEXT_FIELDS = ("employeeId", "agentLoginName", "agentUserName", "statusReasonText")
# One agent's events at the same millisecond: a logout, then a login, then the status changes of its session.
RANK = {4: 0, 3: 1, 1: 2}


class WindowEvents:
    """The events of one window, added as its pages are read, handed back bucket by bucket, grouped by agent.

    `make_event(ms, rank, sequence, time, status_type, session_id, agent_id, employee_id, login_name, user_name,
    group_id, sub_type, reason_id, reason_text)` builds what the derivation works on (intervals.Event), and the events
    it builds are tuples in that order. Up to `memory_events` events are held as such (a window of most accounts:
    packing costs about 5 µs per event, which only a large window's memory is worth); past that they are packed.
    """

    def __init__(
        self,
        make_event: Any,
        floor_ms: Optional[int] = None,
        spill_bytes: int = SPILL_BYTES,
        memory_events: int = MEMORY_EVENTS,
    ) -> None:
        self._make_event = make_event
        self._floor_ms = floor_ms
        self._spill_bytes = spill_bytes
        self._memory_events = memory_events
        self.spilled_bytes = 0
        # The events as built, until there are more than memory_events; then None, and they are packed.
        self._plain: Optional[list[Any]] = []
        self._rows = [bytearray() for _ in range(BUCKETS)]
        self._files: list[Optional[IO[bytes]]] = [None] * BUCKETS
        self._held = 0
        self._texts: list[Any] = []
        self._text_index: dict[Any, int] = {}
        # Events whose values do not fit a row (not integers, or out of range): rare, kept as they are.
        self._odd: list[Any] = []
        self.count = 0
        # Status changes of type 1: each starts an interval (estimates.py counts on it).
        self.starts = 0

    @property
    def packed(self) -> bool:
        return self._plain is None

    @property
    def held_bytes(self) -> int:
        """About how much memory the window's events take now (rows in temporary files not counted)."""
        if self._plain is not None:
            return len(self._plain) * EVENT_BYTES
        return sum(len(rows) for rows in self._rows) + len(self._odd) * EVENT_BYTES

    def add(self, record: Mapping[str, Any]) -> None:
        """Hold one status change (one earlier than the floor is not this stream's: it was read for the other)."""
        time = record["time"]
        ms = to_ms(time)
        if self._floor_ms is not None and ms < self._floor_ms:
            return
        self.count += 1
        event = self._make_event(*event_fields(record, ms))
        if event[4] == 1:
            self.starts += 1
        plain = self._plain
        if plain is None:
            self._pack(event)
            return
        plain.append(event)
        if len(plain) > self._memory_events:
            self._plain = None
            for held in plain:
                self._pack(held)

    def by_agent(self) -> Iterator[dict[Any, list[Any]]]:
        """Each bucket's events grouped by agent, one bucket at a time; the files are closed once read."""
        if self._plain is not None:
            agents: dict[Any, list[Any]] = defaultdict(list)
            for event in self._plain:
                agents[event[6]].append(event)
            self._plain = []
            if agents:
                yield agents
            return
        make, texts = self._make_event, self._texts
        odd: dict[Any, list[Any]] = defaultdict(list)
        for event in self._odd:
            odd[event[6]].append(event)
        for bucket in range(BUCKETS):
            rows = self._read_bucket(bucket)
            agents = defaultdict(list)
            for (
                ms,
                agent,
                seq,
                status,
                session,
                group,
                sub,
                reason,
                time,
                time_index,
                emp,
                login,
                user,
                text,
            ) in _ROW.iter_unpack(rows):
                status = None if status == _NONE else status
                agents[agent].append(
                    make(
                        ms,
                        RANK.get(status, 3),
                        seq,
                        time.decode() if time_index < 0 else texts[time_index],
                        status,
                        None if session == _NONE else session,
                        agent,
                        None if emp < 0 else texts[emp],
                        None if login < 0 else texts[login],
                        None if user < 0 else texts[user],
                        None if group == _NONE else group,
                        None if sub == _NONE else sub,
                        None if reason == _NONE else reason,
                        None if text < 0 else texts[text],
                    )
                )
            for agent in [agent for agent in odd if _bucket_of(agent) == bucket]:
                agents[agent].extend(odd.pop(agent))
            if agents:
                yield agents
        if odd:
            yield dict(odd)

    def close(self) -> None:
        for handle in self._files:
            if handle is not None:
                handle.close()
        self._files = [None] * BUCKETS
        self._rows = [bytearray() for _ in range(BUCKETS)]
        self._plain = []

    def _pack(self, event: Any) -> None:
        ms, _, sequence, time, status, session, agent, employee, login, user, group, sub, reason, text = event
        try:
            texts = [self._text(value) for value in (employee, login, user, text)]
            if is_liveperson_form(time) and time.isascii():
                time_bytes, time_index = time.encode(), -1
            else:
                time_bytes, time_index = b"", self._text(time)
            row = _ROW.pack(
                ms,
                agent,
                sequence,
                _int(status),
                _int(session),
                _int(group),
                _int(sub),
                _int(reason),
                time_bytes,
                time_index,
                *texts,
            )
        except (struct.error, TypeError):
            self._odd.append(event)
            return
        bucket = agent % BUCKETS
        self._rows[bucket] += row
        self._held += len(row)
        if self._held > self._spill_bytes:
            self._spill()

    def _text(self, value: Any) -> int:
        if value is None:
            return -1
        index = self._text_index.get(value)
        if index is None:
            index = self._text_index[value] = len(self._texts)
            self._texts.append(value)
        return index

    def _spill(self) -> None:
        for bucket, rows in enumerate(self._rows):
            if rows:
                handle = self._files[bucket]
                if handle is None:
                    handle = self._files[bucket] = tempfile.TemporaryFile(prefix="agent-activity-")
                handle.write(rows)
                self.spilled_bytes += len(rows)
                self._rows[bucket] = bytearray()
        self._held = 0

    def _read_bucket(self, bucket: int) -> bytes:
        handle, rows = self._files[bucket], self._rows[bucket]
        self._rows[bucket] = bytearray()
        if handle is None:
            return bytes(rows)
        handle.seek(0)
        spilled = handle.read()
        handle.close()
        self._files[bucket] = None
        return spilled + rows


def _int(value: Any) -> int:
    if value is None:
        return _NONE
    if value.__class__ is not int:
        raise TypeError(value)
    return value


def _bucket_of(agent: Any) -> int:
    return agent % BUCKETS if isinstance(agent, int) else -1


def event_fields(record: Mapping[str, Any], ms: int) -> tuple[Any, ...]:
    """What make_event (intervals.Event) takes of a status change, in its order; `ms` is its time's."""
    status_type = record.get("statusType")
    sequence = record.get("sequenceNumber")
    return (
        ms,
        RANK.get(status_type, 3),
        sequence if isinstance(sequence, int) else 0,
        record["time"],
        status_type,
        record.get("sessionId"),
        record["agentId"],
        record.get("employeeId"),
        record.get("agentLoginName"),
        record.get("agentUserName"),
        record.get("agentGroupId"),
        record.get("statusSubType"),
        record.get("statusReasonId"),
        record.get("statusReasonText"),
    )
