"""The windows of a sync, each read once for status_changes and agent_status_intervals together.

Both streams are LivePerson's status changes, read in the manifest's windows (its `DatetimeBasedCursor`: from each
stream's saved state, the lookback, the start date and `history_days`) through the manifest's retriever (requests,
auth, retries, paging). Airbyte selects every stream by default, so a sync usually wants both: then every page is
requested once. The source hands the CDK status_changes alone (source.py) and status_changes' windows also emit what
agent_status_intervals takes from them: its records, its states and the stream statuses the CDK would have emitted
for it (STARTED, RUNNING, COMPLETE or INCOMPLETE), as ready messages (cdk_reliance.py says why that holds).

Why not two CDK streams meeting at each window: with num_workers ≤ 3 the CDK runs one stream's partition generator at
a time and its thread pool is first in, first out, so every window of the first stream runs before the second
stream has started. The second would need the first's pages kept for it, for the whole sync.

The two streams' ranges differ in an incremental sync (status_changes resumes at its state minus lookback_minutes,
agent_status_intervals at its own resume point). Both end at the same instant, with the same window length, so the
windows of the stream that starts earlier cover both: they are read, and each stream takes from a window only the
records from its own start on.

A window owns its story: it reads its pages once, passes status_changes' records on as they come and its state when
the window is done, holds the events of agent_status_intervals compactly (window_events.py) and, in window order,
emits their intervals and that stream's state.
"""

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Optional, Union

from airbyte_cdk.models import (
    AirbyteMessage,
)
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record

from source_agent_activity import hosts, intervals, status_changes
from source_agent_activity.estimates import IntervalsEstimate, StatusChangesEstimate
from source_agent_activity.halts import StoppedEarly
from source_agent_activity.progress import WindowProgress, WindowsProgress
from source_agent_activity.sync import Sync
from source_agent_activity.times import EPOCH, MILLISECOND, to_ms
from source_agent_activity.windowed import Messages, StreamStatuses, state_message, windowed_stream


class ActivityWindow(Partition):
    """One window, read once: what each stream it serves emits from it (see the module's docstring)."""

    def __init__(
        self,
        stream: str,
        window: Partition,
        index: int,
        for_status_changes: Optional[status_changes.StatusChangesOfWindow],
        for_intervals: Optional[intervals.IntervalsOfWindow],
        sync: Sync,
        progress: WindowProgress,
        halted: Callable[[], Optional[Exception]],
    ) -> None:
        self._stream = stream
        self._window = window
        self._index = index
        self._status_changes = for_status_changes
        self._intervals = for_intervals
        self._sync = sync
        self._progress = progress
        self._halted = halted

    def read(self) -> Iterable[Union[Record, AirbyteMessage]]:
        try:
            with self._sync.pages.reading(self._progress):
                yield from self._read()
        except StoppedEarly as stopped:
            # Its host was halted, or an earlier window failed: the error that did it is out already, and fails the
            # sync. This window only says, in the log, what it did not read (no second error, no stack trace).
            if self._intervals is not None:
                yield from self._intervals.failed()
            yield stopped.as_airbyte_message()
        except Exception:
            if self._intervals is not None:
                yield from self._intervals.failed()
            raise
        except BaseException:
            if self._intervals is not None:
                self._intervals.abandon()
            raise

    def _read(self) -> Iterable[Union[Record, AirbyteMessage]]:
        records: Iterable[Record] = self._window.read()
        if self._intervals is not None:
            records = self._intervals.collect(records)
        if self._status_changes is not None:
            yield from self._status_changes.emit(records)
        else:
            deque(records, maxlen=0)
        if self._intervals is not None:
            yield from self._intervals.emit(self._halted())

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return self._window.to_slice()

    def stream_name(self) -> str:
        return self._stream

    def __hash__(self) -> int:
        return hash((self._stream, self._index))


class ActivityWindows(PartitionGenerator):
    """The windows of one sync of the selected streams among status_changes and agent_status_intervals.

    `status_changes` and `intervals` are the manifest's streams of those names (None: not read by these windows);
    `stream` is the stream the CDK reads them as.
    """

    def __init__(
        self,
        stream: str,
        config: Mapping[str, Any],
        saved: Mapping[str, Optional[Mapping[str, Any]]],
        sync: Sync,
        log: logging.Logger,
        status_changes_stream: Optional[AbstractStream] = None,
        intervals_stream: Optional[AbstractStream] = None,
    ) -> None:
        self._stream = stream
        self._config = config
        self._saved = saved
        self._sync = sync
        self._log = log
        self._status_changes = status_changes_stream
        self._intervals = intervals_stream

    def generate(self) -> Iterable[Partition]:
        config = self._config
        change_windows = list(self._status_changes.generate_partitions()) if self._status_changes else []
        interval_windows = list(self._intervals.generate_partitions()) if self._intervals else []
        reading = _earlier(change_windows, interval_windows)
        reading_slices = [w.to_slice() for w in reading]
        bounds = [(to_ms(s["start_time"]), to_ms(s["end_time"])) for s in reading_slices]
        names = [f"{s['start_time']} to {s['end_time']}" for s in reading_slices]
        progress = WindowsProgress(self._stream, bounds, names, checking=self._sync.checking)

        for_changes: Callable[[int], Optional[status_changes.StatusChangesOfWindow]] = _not_served
        if self._status_changes is not None:
            saved = self._saved.get(status_changes.NAME)
            slices = [w.to_slice() for w in change_windows]
            if self._sync.checking:
                status_changes.log_check(self._log, config, slices)
            else:
                status_changes.log_plan(self._log, config, slices, saved)
            initial = status_changes.initial_state_time(config, saved)
            if not change_windows:
                state = {status_changes.CURSOR_FIELD: initial}
                yield Messages(self._stream, [state_message(status_changes.NAME, state)], "changes done")
            else:
                statuses = StreamStatuses(status_changes.NAME, hosted=False)
                # Paced when these windows also emit the intervals (windowed.LET_MAIN_THREAD_DRAIN_EVERY).
                paced = self._intervals is not None
                for_changes = _status_changes_part(
                    bounds, to_ms(slices[0]["start_time"]), slices[0], initial, statuses, progress, paced
                )

        for_intervals: Callable[[int, Partition], Optional[intervals.IntervalsOfWindow]] = _not_served
        if self._intervals is not None:
            hosted = self._stream != intervals.NAME
            statuses = StreamStatuses(intervals.NAME, hosted)
            saved = self._saved.get(intervals.NAME)
            if not interval_windows:
                done = dict(saved) if saved else intervals.state_of(to_ms(config["__end"]), {})
                messages = statuses.started() + [state_message(intervals.NAME, done)] + statuses.done(True)
                yield Messages(self._stream, messages, "intervals done")
            else:
                start_ms = to_ms(interval_windows[0].to_slice()["start_time"])
                for_intervals = _intervals_part(bounds, start_ms, config, saved, statuses, self._log, progress)

        sync = self._sync
        halted = _halted_check(sync, config)
        for index, window in enumerate(reading):
            yield ActivityWindow(
                self._stream,
                window,
                index,
                for_changes(index),
                for_intervals(index, window),
                sync,
                progress.window(index),
                halted,
            )


def _not_served(*window: Any) -> None:
    """A stream not read by these windows takes nothing from them."""
    return None


def _earlier(first: list[Partition], second: list[Partition]) -> list[Partition]:
    """The windows that start earlier: they cover the other's too (both end at the same instant, same length)."""
    if not first or not second:
        return first or second
    return first if first[0].to_slice()["start_time"] <= second[0].to_slice()["start_time"] else second


def _shares(bounds: list[tuple[int, int]], start_ms: int) -> dict[int, float]:
    """The windows serving a stream that starts at `start_ms`, each with the share of its time from there on."""
    return {
        index: (last - max(first, start_ms) + 1) / (last - first + 1)
        for index, (first, last) in enumerate(bounds)
        if last >= start_ms
    }


def _status_changes_part(
    bounds: list[tuple[int, int]],
    start_ms: int,
    first_slice: Mapping[str, Any],
    initial: str,
    statuses: StreamStatuses,
    progress: WindowsProgress,
    paced: bool,
) -> Callable[[int], Optional[status_changes.StatusChangesOfWindow]]:
    """status_changes' part of each window: from its first window on, records from its own start."""
    shares = _shares(bounds, start_ms)
    run = status_changes.LatestOfFinishedRun(initial, first=min(shares))
    estimate = StatusChangesEstimate(status_changes.NAME, progress, shares)

    def part(index: int) -> Optional[status_changes.StatusChangesOfWindow]:
        if bounds[index][1] < start_ms:
            return None
        floor = first_slice["start_time"] if bounds[index][0] < start_ms else None
        return status_changes.StatusChangesOfWindow(
            run, index, statuses, floor, estimate, progress.window(index), paced
        )

    return part


def _intervals_part(
    bounds: list[tuple[int, int]],
    start_ms: int,
    config: Mapping[str, Any],
    saved: Optional[Mapping[str, Any]],
    statuses: StreamStatuses,
    log: logging.Logger,
    progress: WindowsProgress,
) -> Callable[[int, Partition], Optional[intervals.IntervalsOfWindow]]:
    """agent_status_intervals' part of each window: from its first window on, events from its own start."""
    shares = _shares(bounds, start_ms)
    first = min(shares)
    own_bounds = [(max(bounds[index][0], start_ms), bounds[index][1]) for index in shares]
    # Events older than the lookback are taken as final (LivePerson's data SLA is 1 hour).
    settled_ms = (datetime.now(UTC) - EPOCH) // MILLISECOND - config["lookback_minutes"] * 60_000
    # A window read before the one before it ended waits without holding its worker; as many as there are workers.
    plan = intervals.plan(own_bounds, saved, settled_ms, log, parked_at_most=config["num_workers"])
    estimate = IntervalsEstimate(intervals.NAME, progress, shares, len(intervals.open_from_state(saved)))

    def part(index: int, window: Partition) -> Optional[intervals.IntervalsOfWindow]:
        if index < first:
            return None
        floor_ms = start_ms if bounds[index][0] < start_ms else None
        return intervals.IntervalsOfWindow(plan, index - first, statuses, floor_ms, estimate, index)

    return part


def _halted_check(sync: Sync, config: Mapping[str, Any]) -> Callable[[], Optional[Exception]]:
    def halted() -> Optional[Exception]:
        return sync.halts.reason(sync.hosts.host(hosts.AGENT_ACTIVITY, config))

    return halted


def activity_streams(
    manifest_streams: Mapping[str, AbstractStream],
    config: Mapping[str, Any],
    saved: Mapping[str, Optional[Mapping[str, Any]]],
    sync: Sync,
    log: logging.Logger,
) -> dict[str, DefaultStream]:
    """status_changes and agent_status_intervals on the manifest's streams of those names. When the run's Sync says
    `read_together`, status_changes' windows read agent_status_intervals too, and the CDK is not asked to read it."""
    hosted = sync.read_together
    changes, spans = manifest_streams[status_changes.NAME], manifest_streams[intervals.NAME]
    return {
        status_changes.NAME: windowed_stream(
            changes,
            status_changes.CURSOR_FIELD,
            status_changes.PRIMARY_KEY,
            saved.get(status_changes.NAME),
            ActivityWindows(status_changes.NAME, config, saved, sync, log, changes, spans if hosted else None),
            log,
        ),
        intervals.NAME: windowed_stream(
            spans,
            intervals.CURSOR_FIELD,
            intervals.PRIMARY_KEY,
            saved.get(intervals.NAME),
            ActivityWindows(intervals.NAME, config, saved, sync, log, intervals_stream=spans),
            log,
        ),
    }
