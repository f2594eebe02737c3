"""What the simulator was asked: counters and a bounded log of requests, for assertions and benchmarks."""

import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import NamedTuple

LOG_SIZE = 10_000
DROPPED = "dropped"  # status key of requests answered by closing the connection


class RequestRecord(NamedTuple):
    endpoint: str  # one of faults.ENDPOINTS, or "unknown"
    method: str
    path: str
    query: dict[str, str]
    auth: str | None  # "Bearer" | "OAuth" | None
    status: int | None  # None when the connection was dropped
    received_at: float = 0.0  # time.monotonic() when the request arrived, before any latency
    answered_at: float = 0.0  # time.monotonic() when its answer was ready


class RequestLog:
    """Thread-safe counters per (endpoint, status) and the last ``LOG_SIZE`` requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._entries: deque[RequestRecord] = deque(maxlen=LOG_SIZE)
        self._by_endpoint_status: Counter[tuple[str, str]] = Counter()

    def record(self, entry: RequestRecord) -> None:
        status = DROPPED if entry.status is None else str(entry.status)
        with self._lock:
            self._entries.append(entry)
            self._by_endpoint_status[entry.endpoint, status] += 1
            self._recorded.notify_all()

    def wait_for(self, predicate: Callable[[RequestRecord], bool], timeout: float) -> bool:
        """True once a logged request satisfies ``predicate``; False after ``timeout`` seconds."""
        with self._recorded:
            return self._recorded.wait_for(lambda: any(predicate(entry) for entry in self._entries), timeout)

    def entries(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._entries)

    def count(self, endpoint: str | None = None, status: int | str | None = None) -> int:
        wanted_status = None if status is None else str(status)
        with self._lock:
            return sum(
                n
                for (ep, st), n in self._by_endpoint_status.items()
                if (endpoint is None or ep == endpoint) and (wanted_status is None or st == wanted_status)
            )

    def stats(self) -> dict:
        """``{"total", "by_endpoint", "by_status", "by_endpoint_status"}`` with status codes as strings."""
        with self._lock:
            counts = dict(self._by_endpoint_status)
        by_endpoint: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        by_endpoint_status: dict[str, dict[str, int]] = {}
        for (endpoint, status), n in counts.items():
            by_endpoint[endpoint] += n
            by_status[status] += n
            by_endpoint_status.setdefault(endpoint, {})[status] = n
        return {
            "total": sum(counts.values()),
            "by_endpoint": dict(by_endpoint),
            "by_status": dict(by_status),
            "by_endpoint_status": by_endpoint_status,
        }

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_endpoint_status.clear()
