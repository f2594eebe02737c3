"""What a sync knows of its windows while it reads them: each window's pages, records and size, and the sync log's
line per finished window.

A window is read on one worker thread, through the manifest's retriever: the extractor sees each page (its records and
its `_metadata.references`) and the paginator sees the last one. `Pages` tells them which window the thread is
reading, so that the window can count its own pages and records; nothing is keyed by URLs read back from the requests.

LivePerson tells the size of a window on its first page: the `last` reference's offset (v2: records; v1: agents) is
where its last page starts, so the window holds that many units plus the last page's, between 1 and `limit`
(`size_of_window`). A page without a `next` reference is the window's last: its size is then what was read. Windows
that have not told their size yet (not started, a `last` link that is missing or malformed) are extrapolated from
those that have, by the time they cover (`WindowsProgress.sizes`): a window is one request's worth of time, and the
share of a sync's status changes in it follows its length (the first and the last window are usually shorter).
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


def size_of_window(last: LastPage, page_units: int, units_read: int, records_read: int) -> tuple[float, float]:
    """The status changes a window holds, by its `last` reference, after `units_read` units holding `records_read`;
    and how far off that may be.

    The last page holds 1 to `limit` units: half a page is the guess, off by at most half a page. In v2 a unit is a
    record; in v1 an agent, counted as the records per agent read so far. A window has more than was read: its last
    page is still to come (it grows when LivePerson publishes late records into it while it is read).
    """
    limit = last.limit or page_units or 1
    records_per_unit = records_read / units_read if units_read else 1.0
    size = max((last.offset + (limit + 1) / 2) * records_per_unit, records_read + 1)
    return size, limit / 2 * records_per_unit


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
        # The status changes the window is thought to hold: None until a page says, exact once its last is read.
        self.size: Optional[float] = None
        # How far off `size` may be (0 once the last page is read).
        self.error = 0.0
        self.done = False
        self.news = False

    def page(self, records: int, units: int, references: Sequence[Any]) -> None:
        """A page of the window was read: `records` status changes, `units` of them as LivePerson pages count."""
        self.pages += 1
        self.records += records
        self._units += units
        size: Optional[float] = float(self.records)
        error = 0.0
        if has_next(references):
            last = last_page_of(references)
            size, error = (None, 0.0) if last is None else size_of_window(last, units, self._units, self.records)
        if size != self.size:
            self.size, self.error = size, error
            self.news = True

    def last_page(self) -> None:
        if self.done:
            return
        self.done = True
        self.size, self.error = float(self.records), 0.0
        windows = self._windows
        done = windows.finished()
        read, total = windows.records_and_total()
        logger.info(
            f"{windows.stream} window {self.index + 1} of {len(windows)} ({self.name}) done: {self.records:,} records "
            f"in {self.pages} page(s), {self._clock() - self._started:.1f} s; {done} window(s) finished, "
            f"{len(windows) - done} to go; {read:,} of about {round(total):,} records read."
        )


class WindowsProgress:
    """One sync's windows (`bounds`: the first and last millisecond of each): how many are finished, what they hold."""

    def __init__(
        self,
        stream: str,
        bounds: Sequence[tuple[int, int]],
        names: Sequence[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
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

        A window that has not told its size holds the sync's records per millisecond of the windows that told it
        within BASIS_PRECISION, and at least what was read of it.
        """
        windows = self._windows
        basis = [
            (window.size, window.duration_ms)
            for window in windows
            if window.size is not None and window.error <= BASIS_PRECISION * window.size
        ]
        if not basis:
            return None
        rate = sum(size for size, _ in basis) / sum(duration for _, duration in basis)
        return [
            window.size if window.size is not None else max(rate * window.duration_ms, float(window.records))
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
