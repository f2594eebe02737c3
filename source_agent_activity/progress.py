"""The sync log as a progress bar: one line per finished request window."""

import logging
import threading
import time
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

import requests

logger = logging.getLogger("airbyte")


class WindowProgress:
    """Counts records and pages per stream and request window, and logs one line when a window is finished.

    The Airbyte sync log is the user's progress bar: that line says the window, its records, pages and seconds,
    and how many windows remain. Windows run on several threads at once, hence the lock.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str, str], list[float]] = {}
        self._finished: dict[str, int] = {}
        self._expected: dict[str, Optional[int]] = {}

    def reset(self, stream: str = "status_changes", expected: Optional[int] = None) -> None:
        """Start counting a new sync of `stream` in `expected` windows (None: unknown)."""
        with self._lock:
            self._open = {key: entry for key, entry in self._open.items() if key[0] != stream}
            self._finished[stream] = 0
            self._expected[stream] = expected

    def page(self, stream: str, response: requests.Response, records: int) -> None:
        key = (stream, *_window_of(response))
        with self._lock:
            entry = self._open.setdefault(key, [0, 0, self._clock()])
            entry[0] += records
            entry[1] += 1

    def finish(self, stream: str, response: requests.Response) -> None:
        key = (stream, *_window_of(response))
        with self._lock:
            records, pages, started = self._open.pop(key, [0, 0, self._clock()])
            done = self._finished.get(stream, 0) + 1
            self._finished[stream] = done
            expected = self._expected.get(stream)
        remaining = f", {max(expected - done, 0)} to go" if expected else ""
        logger.info(
            f"{stream} window {key[1]} to {key[2]} done: {int(records)} records in {int(pages)} "
            f"page(s), {self._clock() - started:.1f} s; {done} window(s) finished{remaining}."
        )


def _window_of(response: requests.Response) -> tuple[str, str]:
    query = parse_qs(urlsplit(response.request.url or "").query)
    return (query.get("from") or ["?"])[0], (query.get("to") or ["?"])[0]


PROGRESS = WindowProgress()
