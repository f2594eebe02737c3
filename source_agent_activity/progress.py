"""The sync log as a progress bar: one line per finished window, told by the window itself.

A window is read on one worker thread, through the manifest's retriever: the extractor sees each page and the
paginator sees the last one. `Pages` tells them which window the thread is reading, so that the window can count
its own pages and records; nothing is keyed by URLs read back from the requests.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Optional

logger = logging.getLogger("airbyte")


class WindowsProgress:
    """How many of one sync's windows are finished, out of how many."""

    def __init__(self, stream: str, expected: Optional[int]) -> None:
        self.stream = stream
        self.expected = expected
        self._finished = 0
        self._records = 0
        self._lock = threading.Lock()

    def finished(self, records: int) -> tuple[int, int]:
        """A window's last page is read: how many windows are finished, and how many records they held."""
        with self._lock:
            self._finished += 1
            self._records += records
            return self._finished, self._records


class WindowProgress:
    """One window's pages and records as they are read, and the line the log gets when its last page is read."""

    def __init__(self, windows: WindowsProgress, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows = windows
        self._name = name
        self._clock = clock
        self._started = clock()
        self.pages = 0
        self.records = 0
        self._done = False

    def page(self, records: int) -> None:
        self.pages += 1
        self.records += records

    def last_page(self) -> None:
        if self._done:
            return
        self._done = True
        windows = self._windows
        done, records = windows.finished(self.records)
        remaining = f", {max(windows.expected - done, 0)} to go" if windows.expected else ""
        logger.info(
            f"{windows.stream} window {self._name} done: {self.records} records in {self.pages} page(s), "
            f"{self._clock() - self._started:.1f} s; {done} window(s) finished{remaining}."
        )
        if done == windows.expected:
            # The CDK's own "Read N records" line counts only the records it converts itself: ours leave the
            # windows as ready messages (windowed.StreamStatuses), so it says 0.
            logger.info(f"{windows.stream}: all {done} window(s) read, {records} status changes.")


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

    def page(self, records: int) -> None:
        window = self.current()
        if window is not None:
            window.page(records)

    def last_page(self) -> None:
        window = self.current()
        if window is not None:
            window.last_page()
