"""The simulator's notion of now: the wall clock plus an offset that tests can move forward.

LivePerson only serves what has happened; moving the clock makes later records exist and makes
OAuth 2 tokens expire, without waiting.
"""

import threading
import time
from datetime import datetime

from .times import to_datetime, to_ms


class SimulatorClock:
    """Wall-clock time shifted by an offset; ``start_at`` pins where the simulator's time begins."""

    def __init__(self, start_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset_ms = 0 if start_at is None else to_ms(start_at) - self._wall_ms()

    @staticmethod
    def _wall_ms() -> int:
        return time.time_ns() // 1_000_000

    def now_ms(self) -> int:
        return self._wall_ms() + self._offset_ms

    def now(self) -> datetime:
        return to_datetime(self.now_ms())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the simulator clock only moves forward")
        with self._lock:
            self._offset_ms += round(seconds * 1000)
