"""A gate for the status-changes windows: requests whose ``from`` is at or after a chosen instant wait until the gate
moves past them (or opens), so a test can decide how far a sync may read before it acts (a SIGKILL that must land
before the connector could finish, for example) instead of racing it.
"""

import threading

from .times import parse_rfc3339


class WindowGate:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._closed_from_ms: int | None = None
        self._closed_until_ms: int | None = None
        self._waiting = 0

    def close_from(self, instant_ms: int | None, until_ms: int | None = None) -> None:
        """Hold the requests of windows starting at or after ``instant_ms`` (and before ``until_ms``, if given); None
        lets every request through."""
        with self._changed:
            self._closed_from_ms = instant_ms
            self._closed_until_ms = until_ms
            self._changed.notify_all()

    def pass_through(self, window_from: str | None) -> None:
        """Return once a request for the window starting at ``window_from`` may be answered.

        Every status-changes request passes here, so an open gate costs one attribute read: no parsing, no lock. Read
        without the lock, a gate closing at that very moment lets the request through, as if it came just before.
        """
        if self._closed_from_ms is None:
            return
        try:
            from_ms = parse_rfc3339(window_from) if window_from else None
        except ValueError:
            from_ms = None  # the API answers it with its 400
        if from_ms is None:
            return

        def may_pass() -> bool:
            if self._closed_from_ms is None or from_ms < self._closed_from_ms:
                return True
            return self._closed_until_ms is not None and from_ms >= self._closed_until_ms

        with self._changed:
            if may_pass():
                return
            self._waiting += 1
            self._changed.notify_all()  # wakes wait_until_holding
            try:
                self._changed.wait_for(may_pass)
            finally:
                self._waiting -= 1

    def wait_until_holding(self, count: int, timeout: float) -> bool:
        """True once ``count`` requests are held at the same time; False if the gate opens first or on timeout."""
        with self._changed:
            self._changed.wait_for(lambda: self._waiting >= count or self._closed_from_ms is None, timeout)
            return self._waiting >= count

    @property
    def waiting(self) -> int:
        """Requests held right now."""
        with self._changed:
            return self._waiting
