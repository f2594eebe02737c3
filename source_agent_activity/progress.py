"""The sync log as a progress bar: one line per finished request window."""

import logging
import threading
import time
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

import requests

logger = logging.getLogger("airbyte")


class WindowProgress:
    """Counts records and pages per request window, and logs one line when a window is finished.

    The Airbyte sync log is the user's progress bar: that line says the window, its records, pages and seconds,
    and how many windows remain. Windows run on several threads at once, hence the lock.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self, expected: Optional[int] = None) -> None:
        """Start counting a new sync of `expected` windows (None: unknown)."""
        self._open: dict[tuple[str, str], list[float]] = {}
        self.finished = 0
        self.expected = expected

    def page(self, response: requests.Response, records: int) -> None:
        window = _window_of(response)
        with self._lock:
            entry = self._open.setdefault(window, [0, 0, self._clock()])
            entry[0] += records
            entry[1] += 1

    def finish(self, response: requests.Response) -> None:
        window = _window_of(response)
        with self._lock:
            records, pages, started = self._open.pop(window, [0, 0, self._clock()])
            self.finished += 1
            done = self.finished
        remaining = f", {max(self.expected - done, 0)} to go" if self.expected else ""
        logger.info(
            f"status_changes window {window[0]} to {window[1]} done: {int(records)} records in {int(pages)} "
            f"page(s), {self._clock() - started:.1f} s; {done} window(s) finished{remaining}."
        )


def _window_of(response: requests.Response) -> tuple[str, str]:
    query = parse_qs(urlsplit(response.request.url or "").query)
    return (query.get("from") or ["?"])[0], (query.get("to") or ["?"])[0]


PROGRESS = WindowProgress()
