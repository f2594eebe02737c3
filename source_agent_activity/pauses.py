"""When LivePerson asks one request to wait (HTTP 429), every request to that host waits with it.

A 429 is not an outage: LivePerson is asking for a pause, and the request that got it waits as asked (Retry-After, at
least 1 s: components.RetryAfterOn429). Without sharing that pause, the other workers would keep sending requests
meanwhile and collect 429s of their own. So the pause is kept per host (`PauseBoard.ask`, one board per run, in its
Sync: sync.py), and every request to that host waits until it is over before it is sent: a new page or window
(components.LivePersonRequester) and a 429 retry.

The CDK's `api_budget` reads an absolute reset time from a header; LivePerson sends at most a Retry-After in seconds,
so it cannot express this.
"""

import logging
import threading
import time
from typing import Callable

logger = logging.getLogger("airbyte")


class PauseBoard:
    """Per host, the instant (monotonic clock) before which no request should be sent."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def ask(self, host: str, seconds: float) -> None:
        """LivePerson asked a request to `host` to wait `seconds`: every request to it waits at least that long."""
        with self._lock:
            self._until[host] = max(self._until.get(host, 0.0), self._clock() + seconds)

    def remaining(self, host: str) -> float:
        with self._lock:
            return max(self._until.get(host, 0.0) - self._clock(), 0.0)

    def wait(self, host: str, what: str) -> None:
        """Block until the pause of `host` is over (no wait when there is none)."""
        remaining = self.remaining(host)
        if remaining > 0:
            logger.info(f"Waiting {remaining:.1f} s before {what}: LivePerson asked for a pause (HTTP 429).")
            self._sleep(remaining)
