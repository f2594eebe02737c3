"""One window's status changes, held for agent_status_intervals in memory that does not grow with the account.

An agent's events can be anywhere in a window's pages (LivePerson does not sort them), so a window's intervals can
only be derived once all its pages are read. Held as dicts, or even as small tuples, a 7-day window of a 10,000-agent
account (about 560,000 status changes) took hundreds of MB, and a sync holds up to `num_workers` windows at once.
Here each event is packed into a fixed 108-byte row, by agent into one of `BUCKETS` buckets; once a window's rows
pass `SPILL_BYTES` they go to temporary files. The intervals are then derived one bucket at a time (an agent's events
are all in one bucket), so at most one bucket's events are ever unpacked. Memory per window: `SPILL_BYTES` of rows,
one bucket at derivation time, and the names and reason texts, each kept once.
"""

import struct
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import IO, Any, Optional

from source_agent_activity.times import is_liveperson_form, to_ms

BUCKETS = 16
SPILL_BYTES = 4 * 1024 * 1024
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
    group_id, sub_type, reason_id, reason_text)` builds what the derivation works on (intervals.Event).
    """

    def __init__(self, make_event: Any, floor_ms: Optional[int] = None, spill_bytes: int = SPILL_BYTES) -> None:
        self._make_event = make_event
        self._floor_ms = floor_ms
        self._spill_bytes = spill_bytes
        self.spilled_bytes = 0
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

    def add(self, record: Mapping[str, Any]) -> None:
        """Hold one status change (one earlier than the floor is not this stream's: it was read for the other)."""
        time = record["time"]
        ms = to_ms(time)
        if self._floor_ms is not None and ms < self._floor_ms:
            return
        self.count += 1
        status_type = record.get("statusType")
        if status_type == 1:
            self.starts += 1
        sequence = record.get("sequenceNumber")
        sequence = sequence if isinstance(sequence, int) else 0
        agent = record["agentId"]
        try:
            texts = [self._text(record.get(name)) for name in _TEXT_FIELDS]
            if is_liveperson_form(time) and time.isascii():
                time_bytes, time_index = time.encode(), -1
            else:
                time_bytes, time_index = b"", self._text(time)
            row = _ROW.pack(
                ms,
                agent,
                sequence,
                _int(status_type),
                _int(record.get("sessionId")),
                _int(record.get("agentGroupId")),
                _int(record.get("statusSubType")),
                _int(record.get("statusReasonId")),
                time_bytes,
                time_index,
                *texts,
            )
        except (struct.error, TypeError):
            self._odd.append(self._make_event(*_fields(record, ms, sequence)))
            return
        bucket = agent % BUCKETS
        self._rows[bucket] += row
        self._held += len(row)
        if self._held > self._spill_bytes:
            self._spill()

    def by_agent(self) -> Iterator[dict[Any, list[Any]]]:
        """Each bucket's events grouped by agent, one bucket at a time; the files are closed once read."""
        make, texts = self._make_event, self._texts
        odd: dict[Any, list[Any]] = defaultdict(list)
        for event in self._odd:
            odd[event.agent_id].append(event)
        for bucket in range(BUCKETS):
            rows = self._read_bucket(bucket)
            agents: dict[Any, list[Any]] = defaultdict(list)
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


def _fields(record: Mapping[str, Any], ms: int, sequence: int) -> tuple[Any, ...]:
    status_type = record.get("statusType")
    return (
        ms,
        RANK.get(status_type, 3),
        sequence,
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
