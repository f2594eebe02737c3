"""The progress bar Airbyte shows during a sync: each stream's ESTIMATE of the records it will emit.

Airbyte's UI (platform 0.63 and later) shows, per stream, the records read against the latest `TRACE` message of
type `ESTIMATE` the source sent for it. The estimates come from the windows' sizes (progress.py: LivePerson tells a
window's size on its first page; windows not started yet are extrapolated by the time they cover), and are sent by
the windows themselves, as ready messages among their records (cdk_reliance.ESTIMATES_BEFORE_STREAM_STATUS):

- the first as soon as a window has told its size (before that window's first record);
- again only when the estimate moved by `REFINE_SHARE` or more from the last one sent (not per page or record);
- the last, the records the stream emitted, by the window that finishes the stream, before the stream's COMPLETE.

status_changes: the status changes of its windows (the part of its first window from where it starts, when that
window is read from earlier for agent_status_intervals), the finished windows' as emitted.

agent_status_intervals: every status change of type 1 starts one interval, emitted once (closed when the agent's next
event is read, or open at the end of the sync's range), and so does every interval open in the saved state. So the
stream emits exactly those open intervals plus the type-1 changes of its range: counted in the windows already read
to the end, and, in the others, their status changes times the share of type 1 among the changes read so far.
"""

import threading
import time
from collections.abc import Mapping
from typing import Optional

from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    EstimateType,
    TraceType,
    Type,
)

from source_agent_activity.progress import WindowsProgress

# An estimate is sent again once it moved by this share of the last one sent.
REFINE_SHARE = 0.05


def estimate_message(stream: str, rows: int) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ESTIMATE,
            emitted_at=time.time() * 1000,
            estimate=AirbyteEstimateTraceMessage(name=stream, type=EstimateType.STREAM, row_estimate=rows),
        ),
    )


class RowEstimate:
    """When one stream's estimate is worth sending: the first, a move of REFINE_SHARE or more, and the final one."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self._lock = threading.RLock()
        self._sent: Optional[int] = None
        self._closed = False

    def rows(self) -> Optional[float]:
        """The records the stream is thought to emit; None while nothing is known."""
        raise NotImplementedError

    def due(self) -> list[AirbyteMessage]:
        """The estimate, when it is worth sending now (else nothing)."""
        with self._lock:
            rows = self.rows()
            if self._closed or rows is None:
                return []
            rows = round(rows)
            sent = self._sent
            # An estimate of no records is no progress bar: wait for a window that holds some.
            if rows == 0 or (sent is not None and abs(rows - sent) < REFINE_SHARE * sent):
                return []
            self._sent = rows
        return [estimate_message(self.stream, rows)]

    def final(self, emitted: int) -> list[AirbyteMessage]:
        """The stream emitted `emitted` records and has nothing left to emit: the estimate, unless already sent."""
        with self._lock:
            self._closed = True
            if self._sent == emitted:
                return []
            self._sent = emitted
        return [estimate_message(self.stream, emitted)]


class StatusChangesEstimate(RowEstimate):
    """status_changes: the windows' status changes, each weighted by its `shares` (window index: the share of its time
    from where the stream starts), the finished windows' as emitted."""

    def __init__(self, stream: str, windows: WindowsProgress, shares: Mapping[int, float]) -> None:
        super().__init__(stream)
        self._windows = windows
        self._shares = dict(shares)
        self._emitted: dict[int, int] = {}

    def rows(self) -> Optional[float]:
        sizes = self._windows.sizes()
        emitted = self._emitted
        if sizes is None:
            return None
        return sum(
            emitted[index] if index in emitted else share * sizes[index] for index, share in self._shares.items()
        )

    def finished(self, index: int, emitted: int) -> list[AirbyteMessage]:
        """Window `index` emitted its `emitted` records: the final estimate if it was the last, else one if due."""
        with self._lock:
            self._emitted[index] = emitted
            if len(self._emitted) == len(self._shares):
                return self.final(sum(self._emitted.values()))
        return self.due()


class IntervalsEstimate(RowEstimate):
    """agent_status_intervals: the intervals open in the saved state plus the status changes of type 1 of its windows
    (see the module's docstring), counted in the windows read to the end, estimated in the others."""

    def __init__(self, stream: str, windows: WindowsProgress, shares: Mapping[int, float], open_before: int) -> None:
        super().__init__(stream)
        self._windows = windows
        self._shares = dict(shares)
        self._open_before = open_before
        # Per window read to the end: its status changes and those of type 1.
        self._read: dict[int, tuple[int, int]] = {}
        self._emitted = 0

    def read(self, index: int, changes: int, starts: int) -> None:
        """Window `index` was read to the end: `changes` status changes of this stream, `starts` of them of type 1."""
        with self._lock:
            self._read[index] = (changes, starts)

    def rows(self) -> Optional[float]:
        read = self._read
        changes = sum(count for count, _ in read.values())
        sizes = self._windows.sizes()
        if sizes is None or not changes:
            return None
        share_of_starts = sum(starts for _, starts in read.values()) / changes
        return self._open_before + sum(
            read[index][1] if index in read else share_of_starts * share * sizes[index]
            for index, share in self._shares.items()
        )

    def written(self) -> str:
        """For the sync log: the intervals emitted so far, of how many."""
        with self._lock:
            emitted, rows = self._emitted, self.rows()
        return f"{emitted:,} of about {max(round(rows or 0), emitted):,} intervals written"

    def emitted(self, intervals: int, last: bool) -> list[AirbyteMessage]:
        """A window emitted `intervals` (windows emit in order): when it was the last, the final estimate."""
        with self._lock:
            self._emitted += intervals
            return self.final(self._emitted) if last else []
