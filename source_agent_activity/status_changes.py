"""status_changes: each window's records as read, then the state it allows once every window before it is done.

The state is what the CDK's concurrent cursor writes, and what every earlier version of this connector saved:
`{"time": <latest record time>}` over the unbroken run of finished windows from the start (a window still being read,
or that failed, holds it back even when later windows are done), never earlier than where the sync started. The
next sync's windows start there minus lookback_minutes, as the manifest's cursor says. Records carry LivePerson's
times (2026-11-25T08:15:30.123Z), which compare as text; any other shape is read as a time first.
"""

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from time import sleep
from typing import Any, Optional

from airbyte_cdk.models import AirbyteMessage
from airbyte_cdk.sources.types import Record

from source_agent_activity.config_rules import effective_start, history_days
from source_agent_activity.estimates import StatusChangesEstimate
from source_agent_activity.progress import WindowProgress
from source_agent_activity.times import as_state_time, format_time
from source_agent_activity.windowed import LET_MAIN_THREAD_DRAIN_EVERY, StreamStatuses, state_message

NAME = "status_changes"
PRIMARY_KEY = ["agentId", "time", "statusType", "sequenceNumber"]
CURSOR_FIELD = "time"


class LatestOfFinishedRun:
    """The latest record time over the unbroken run of finished windows from window `first`, starting from
    `initial`."""

    def __init__(self, initial: str, first: int = 0) -> None:
        self._lock = threading.Lock()
        self._latest = initial
        self._finished: dict[int, Optional[str]] = {}
        self._next = first

    def finish(self, index: int, latest: Optional[str]) -> Optional[str]:
        """Window `index` is done, its records all emitted: the state's new time, when the run grew."""
        with self._lock:
            self._finished[index] = latest
            grew = False
            while self._next in self._finished:
                window_latest = self._finished.pop(self._next)
                if window_latest is not None and window_latest > self._latest:
                    self._latest = window_latest
                self._next += 1
                grew = True
            return self._latest if grew else None


def initial_state_time(config: Mapping[str, Any], saved: Optional[Mapping[str, Any]]) -> str:
    """Where the state stands before a record is read: the saved time, never earlier than the sync's start."""
    saved_time = saved.get(CURSOR_FIELD) if saved else None
    start = config["__start"]
    return max(as_state_time(saved_time), start) if isinstance(saved_time, str) else start


class StatusChangesOfWindow:
    """What one window means for status_changes: its records (those from `floor` on, when the window was read from
    earlier for the other stream), the stream's estimate when a page made one worth sending (estimates.py), then the
    state, when its finishing moved it."""

    def __init__(
        self,
        run: LatestOfFinishedRun,
        index: int,
        statuses: StreamStatuses,
        floor: Optional[str] = None,
        estimate: Optional[StatusChangesEstimate] = None,
        progress: Optional[WindowProgress] = None,
        paced: bool = False,
    ) -> None:
        """`paced`: the worker lets the GIL go every LET_MAIN_THREAD_DRAIN_EVERY records (windowed.py)."""
        self._run = run
        self._index = index
        self._statuses = statuses
        self._floor = floor
        self._estimate = estimate
        self._progress = progress
        self._drain_every = LET_MAIN_THREAD_DRAIN_EVERY if paced else 0

    def emit(self, records: Iterable[Record]) -> Iterator[AirbyteMessage]:
        """Each record as a ready RECORD message (the CDK's own conversion would copy it again), then the state."""
        latest = ""
        floor = self._floor
        message = self._statuses.record
        estimate, progress = self._estimate, self._progress
        drain_every = self._drain_every
        emitted = 0
        for record in records:
            data = record.data
            time = as_state_time(data[CURSOR_FIELD])
            if floor is not None and time < floor:
                continue
            if not latest:
                yield from self._statuses.running()
            if time > latest:
                latest = time
            # Set by the page this record came on, when it told the window's size (progress.py).
            if progress is not None and progress.news:
                progress.news = False
                if estimate is not None:
                    yield from estimate.due()
            emitted += 1
            if drain_every and emitted % drain_every == 0:
                sleep(0)  # lets the GIL go
            yield message(data)
        if estimate is not None:
            yield from estimate.finished(self._index, emitted)
        moved = self._run.finish(self._index, latest or None)
        if moved is not None:
            yield state_message(NAME, {CURSOR_FIELD: moved})


def log_plan(
    log: logging.Logger, config: Mapping[str, Any], windows: list[Mapping[str, Any]], saved: Optional[Mapping[str, Any]]
) -> None:
    """Where status_changes starts and how many windows it reads (`windows`: their slices)."""
    _, clamped_from = effective_start(config, datetime.now(UTC))
    if clamped_from is not None:
        log.info(
            f"start_date {format_time(clamped_from)} is older than the {history_days(config)} days "
            f"LivePerson keeps (history_days): reading from {config['__start']} instead."
        )
    if not windows:
        log.info("status_changes has nothing to read: its saved state is at the end of the range.")
        return
    saved_time = saved.get(CURSOR_FIELD) if saved else None
    first, last = windows[0], windows[-1]
    if isinstance(saved_time, str):
        log.info(
            f"status_changes resumes from its saved state {saved_time}, re-reading {config['lookback_minutes']} "
            f"minutes before it (lookback_minutes): from {first['start_time']}."
        )
    log.info(
        f"status_changes will read {first['start_time']} to {last['end_time']} in {len(windows)} window(s) of up to "
        f"{config['window_size_days']} day(s), {config['num_workers']} at a time."
    )


def log_check(log: logging.Logger, config: Mapping[str, Any], windows: list[Mapping[str, Any]]) -> None:
    """What `check` reads: the first page of the first window (the manifest's check makes both small)."""
    if not windows:
        return
    first = windows[0]
    log.info(
        f"check reads one page of at most {config['page_size']} status change(s) from the window "
        f"{first['start_time']} to {first['end_time']}, to prove the host, the credentials and the permission."
    )
