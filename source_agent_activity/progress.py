"""What a sync knows of its windows while it reads them: each window's pages, records and size, and the sync log's
line per finished window.

A window is read on one worker thread, through the manifest's retriever: the extractor sees each page (its records and
its `_metadata.references`) and the paginator sees the last one. `Pages` tells them which window the thread is
reading, so that the window can count its own pages and records; nothing is keyed by URLs read back from the requests.

LivePerson tells the size of a window on its first page: the `last` reference's offset (v2: records; v1: agents) is
where its last page starts, so the window holds that many units plus the last page's, between 1 and `limit`
(`bounds_of_window`). A page without a `next` reference is the window's last: its size is then what was read. Within
its bounds, a window is guessed to hold the middle of them until some window is read to the end, then as many records
per millisecond as those. Windows that have not told their size (not started, a `last` link that is missing or
malformed) are extrapolated by the time they cover from those whose size is known within 10 % (`WindowsProgress.sizes`):
a window is a fixed stretch of time, and its share of a sync's status changes follows its length (the first and the
last window are usually shorter).
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger("airbyte")


@dataclass(frozen=True)
class LastPage:
    """Where a window's last page starts (`offset`) and how many units a page holds (`limit`, when the link says)."""

    offset: int
    limit: Optional[int]


def references_of(body: Mapping[str, Any]) -> list[Any]:
    """A page's `_metadata.references` (none when they are not a list: only the paginator needs them to be)."""
    metadata = body.get("_metadata")
    references = metadata.get("references") if isinstance(metadata, dict) else None
    return references if isinstance(references, list) else []


def last_page_of(references: Sequence[Any]) -> Optional[LastPage]:
    """The `last` reference of a page's `_metadata.references`, or None when there is none or it is malformed."""
    for reference in references:
        if isinstance(reference, dict) and reference.get("rel") == "last":
            href = reference.get("href")
            query = parse_qs(urlsplit(href).query) if isinstance(href, str) else {}
            offsets, limits = query.get("offset") or [], query.get("limit") or []
            if len(offsets) != 1 or not offsets[0].isdigit():
                return None
            limit = int(limits[0]) if len(limits) == 1 and limits[0].isdigit() and int(limits[0]) > 0 else None
            return LastPage(int(offsets[0]), limit)
    return None


def has_next(references: Sequence[Any]) -> bool:
    return any(isinstance(reference, dict) and reference.get("rel") == "next" for reference in references)


def bounds_of_window(last: LastPage, page_units: int, units_read: int, records_read: int) -> tuple[float, float]:
    """The fewest and the most status changes a window holds, by its `last` reference, after `units_read` units that
    held `records_read`.

    The last page holds 1 to `limit` units. In v2 a unit is a record; in v1 an agent, counted as the records per agent
    read so far. A window holds more than was read: its last page is still to come (it grows when LivePerson publishes
    late records into it while it is read).
    """
    limit = last.limit or page_units or 1
    records_per_unit = records_read / units_read if units_read else 1.0
    fewest = max((last.offset + 1) * records_per_unit, records_read + 1)
    # Read past what `last` said (the window grew): up to a page more than was read.
    return fewest, max((last.offset + limit) * records_per_unit, records_read + limit * records_per_unit)


# A window's size is extrapolated from only when known this well: a window of two pages may be off by a quarter, and
# a short one (the last window of a sync often is) would make every window not started as far off.
BASIS_PRECISION = 0.1


class WindowProgress:
    """One window's pages, records and size as they are read, and the line the log gets when its last page is read.

    `news` is set when a page changed what the window's size is thought to be: the window's reader then asks whether
    an estimate is worth sending (estimates.py).
    """

    def __init__(
        self,
        windows: "WindowsProgress",
        index: int,
        name: str,
        duration_ms: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = windows
        self.index = index
        self.name = name
        self.duration_ms = max(duration_ms, 1)
        self._clock = clock
        self._started = clock()
        self.pages = 0
        self.records = 0
        self._units = 0
        # The fewest and the most status changes the window holds: None until a page says, equal once its last is read.
        self.bounds: Optional[tuple[float, float]] = None
        # The window's last page was read: it holds exactly what was read.
        self.exact = False
        self.done = False
        self.news = False

    def page(self, records: int, units: int, references: Sequence[Any]) -> None:
        """A page of the window was read: `records` status changes, `units` of them as LivePerson pages count."""
        self.pages += 1
        self.records += records
        self._units += units
        bounds: Optional[tuple[float, float]] = (float(self.records), float(self.records))
        self.exact = not has_next(references)
        if not self.exact:
            last = last_page_of(references)
            bounds = None if last is None else bounds_of_window(last, units, self._units, self.records)
        if bounds != self.bounds:
            self.bounds = bounds
            self.news = True

    def last_page(self) -> None:
        if self.done:
            return
        self.done = self.exact = True
        self.bounds = (float(self.records), float(self.records))
        windows = self._windows
        done = windows.finished()
        took = f"{self.records:,} records in {self.pages} page(s), {self._clock() - self._started:.1f} s"
        if windows.checking:
            # A check reads one page: how many windows a full read would take is not its business.
            logger.info(f"{windows.stream} window {self.name} done: {took}.")
            return
        read, total = windows.records_and_total()
        logger.info(
            f"{windows.stream} window {self.index + 1} of {len(windows)} ({self.name}) done: {took}; {done} window(s) "
            f"finished, {len(windows) - done} to go; {read:,} of about {round(total):,} records read."
        )
        if done == len(windows):
            # The CDK's own "Read N records" line counts only the records it converts itself: ours leave the
            # windows as ready messages (windowed.StreamStatuses), so it says 0.
            logger.info(f"{windows.stream}: all {done} window(s) read, {read:,} status changes.")


class WindowsProgress:
    """One sync's windows (`bounds`: the first and last millisecond of each): how many are finished, what they hold."""

    def __init__(
        self,
        stream: str,
        bounds: Sequence[tuple[int, int]],
        names: Sequence[str],
        checking: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.checking = checking
        self._windows = [
            WindowProgress(self, index, name, last - first + 1, clock)
            for index, ((first, last), name) in enumerate(zip(bounds, names, strict=True))
        ]
        self._finished = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._windows)

    def window(self, index: int) -> WindowProgress:
        return self._windows[index]

    def finished(self) -> int:
        with self._lock:
            self._finished += 1
            return self._finished

    def sizes(self) -> Optional[list[float]]:
        """The status changes each window is thought to hold; None while no window has told its size well enough.

        A window read to the end holds what was read. One that told its bounds holds, while no window is read to the
        end, the middle of them (off by half a page at most); then what the windows read to the end hold per
        millisecond, kept within its bounds. A window that told nothing holds what the windows whose size is known
        within BASIS_PRECISION hold per millisecond, and at least what was read of it.
        """
        windows = self._windows
        exact = [window for window in windows if window.exact]
        exact_ms = sum(window.duration_ms for window in exact)
        exact_rate = sum(window.records for window in exact) / exact_ms if exact else None
        told: dict[int, float] = {}
        basis_records, basis_ms = 0.0, 0
        for window in windows:
            if window.bounds is None:
                continue
            fewest, most = window.bounds
            if exact_rate is None:
                size = (fewest + most) / 2
            else:
                size = min(max(exact_rate * window.duration_ms, fewest), most)
            told[window.index] = size
            if (most - fewest) / 2 <= BASIS_PRECISION * size:
                basis_records += size
                basis_ms += window.duration_ms
        if not basis_ms:
            return None
        rate = basis_records / basis_ms
        return [
            told[window.index] if window.index in told else max(rate * window.duration_ms, float(window.records))
            for window in windows
        ]

    def records_and_total(self) -> tuple[int, float]:
        """The status changes read so far, and those the windows are thought to hold."""
        read = sum(window.records for window in self._windows)
        sizes = self.sizes()
        return read, max(sum(sizes), read) if sizes is not None else float(read)


class Pages:
    """The window each worker thread is reading: the extractor and paginator report what they see to it."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def reading(self, window: WindowProgress) -> Iterator[None]:
        """While a window's pages are read on this thread (a window is read on one thread, from first to last)."""
        self._local.window = window
        try:
            yield
        finally:
            self._local.window = None

    def current(self) -> Optional[WindowProgress]:
        return getattr(self._local, "window", None)

    def page(self, records: int, units: int, references: Sequence[Any]) -> None:
        window = self.current()
        if window is not None:
            window.page(records, units, references)

    def last_page(self) -> None:
        window = self.current()
        if window is not None:
            window.last_page()
