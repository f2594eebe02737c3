"""status_changes: the manifest's windows, each followed by the state it allows once every window before it is done.

The state is what the CDK's concurrent cursor writes, and what every earlier version of this connector saved:
`{"time": <latest record time>}` over the unbroken run of finished windows from the start (a window still being read,
or that failed, holds it back even when later windows are done), never earlier than where the sync started. The
next sync's windows start there minus lookback_minutes, as the manifest's cursor says. Records carry LivePerson's
times (2026-11-25T08:15:30.123Z), which compare as text; any other shape is read as a time first.
"""

import logging
import threading
from datetime import UTC, datetime
from typing import Any, Iterable, Mapping, Optional, Union

from airbyte_cdk.models import AirbyteMessage
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record

from source_agent_activity.components import format_time
from source_agent_activity.config_rules import effective_start, history_days
from source_agent_activity.intervals import format_ms, to_ms
from source_agent_activity.progress import PROGRESS
from source_agent_activity.windowed import NothingToRead, Window, state_message, windowed_stream

NAME = "status_changes"
PRIMARY_KEY = ["agentId", "time", "statusType", "sequenceNumber"]
CURSOR_FIELD = "time"


def as_state_time(value: str) -> str:
    """A time in the state's (and LivePerson's) own form, in which later times sort later as text."""
    if len(value) == 24 and value[10] == "T" and value[19] == "." and value[23] == "Z":
        return value
    return format_ms(to_ms(value))


class LatestOfFinishedRun:
    """The latest record time over the unbroken run of finished windows from the first, starting from `initial`."""

    def __init__(self, initial: str) -> None:
        self._lock = threading.Lock()
        self._latest = initial
        self._finished: dict[int, Optional[str]] = {}
        self._next = 0

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


class StatusChangesWindow(Window):
    """One of the manifest's windows: its records as read, then the state, when its finishing moved it."""

    def __init__(self, window: Partition, index: int, run: LatestOfFinishedRun) -> None:
        super().__init__(NAME, window, index)
        self._run = run

    def read(self) -> Iterable[Union[Record, AirbyteMessage]]:
        latest = ""
        for record in self._window.read():
            time = record.data.get(CURSOR_FIELD)
            if time.__class__ is str:
                time = as_state_time(time)
                if time > latest:
                    latest = time
            yield record
        moved = self._run.finish(self._index, latest or None)
        if moved is not None:
            yield state_message(NAME, {CURSOR_FIELD: moved})


def status_changes_stream(
    inner: AbstractStream,
    config: Mapping[str, Any],
    saved: Optional[Mapping[str, Any]],
    logger: logging.Logger,
    checking: bool = False,
) -> DefaultStream:
    """status_changes, built on the manifest's stream of the same name; `checking` while `check` reads it."""
    saved_time = saved.get(CURSOR_FIELD) if saved else None

    def wrap(windows: list[Partition]) -> Iterable[Partition]:
        start = config["__start"]
        initial = max(as_state_time(saved_time), start) if isinstance(saved_time, str) else start
        if checking:
            _log_check(logger, config, windows)
        else:
            _log_plan(logger, config, windows, saved_time)
        if not windows:
            yield NothingToRead(NAME, {CURSOR_FIELD: initial})
            return
        run = LatestOfFinishedRun(initial)
        for index, window in enumerate(windows):
            yield StatusChangesWindow(window, index, run)

    return windowed_stream(inner, CURSOR_FIELD, PRIMARY_KEY, saved, wrap, logger)


def _log_plan(logger: logging.Logger, config: Mapping[str, Any], windows: list[Partition], saved_time: Any) -> None:
    """Where status_changes starts and how many windows it reads (the progress lines count them down)."""
    _, clamped_from = effective_start(config, datetime.now(UTC))
    if clamped_from is not None:
        logger.info(
            f"start_date {format_time(clamped_from)} is older than the {history_days(config)} days "
            f"LivePerson keeps (history_days): reading from {config['__start']} instead."
        )
    PROGRESS.reset(NAME, expected=len(windows))
    if not windows:
        logger.info("status_changes has nothing to read: its saved state is at the end of the range.")
        return
    first, last = windows[0].to_slice(), windows[-1].to_slice()
    if isinstance(saved_time, str):
        logger.info(
            f"status_changes resumes from its saved state {saved_time}, re-reading {config['lookback_minutes']} "
            f"minutes before it (lookback_minutes): from {first['start_time']}."
        )
    logger.info(
        f"status_changes will read {first['start_time']} to {last['end_time']} in {len(windows)} window(s) of up to "
        f"{config['window_size_days']} day(s), {config['num_workers']} at a time."
    )


def _log_check(logger: logging.Logger, config: Mapping[str, Any], windows: list[Partition]) -> None:
    """What `check` reads: the first page of the first window (the manifest's check makes both small)."""
    PROGRESS.reset(NAME)
    if not windows:
        return
    first = windows[0].to_slice()
    logger.info(
        f"check reads one page of at most {config['page_size']} status change(s) from the window "
        f"{first['start_time']} to {first['end_time']}, to prove the host, the credentials and the permission."
    )
