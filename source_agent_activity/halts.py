"""A LivePerson host that cannot serve this sync any more ends it promptly, with one error that says why.

Without this, every request window spends its own retries on a host that is down: a 26-window sync with every
request answered 503 took ten minutes and printed 26 identical errors before it ended. A host is halted for the rest
of the process when one request
- has spent its retries on a 5xx, a broken answer, a timeout or a dropped connection (components.FailFastOnOutage), or
- was refused in a way no retry changes: a 400, 403 or 404, or a 401 even with a fresh token
  (components.HaltOnRefusal); every other window would be refused the same way.
That request fails with the error the user reads. After it, nothing more is read from the host: requests still
waiting for an answer stop when it comes (`StoppedEarly`, a log line, not a second error), and windows that have not
started do not start. The state only moves over the unbroken run of finished windows, so it stays before the first
window that was not finished. LivePerson's Retry-After pauses (HTTP 429) are not a halt (see pauses.py).
"""

import threading
from typing import Optional

from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, Level, StreamDescriptor, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


class StoppedEarly(AirbyteTracedException):
    """A request given up because its host is already halted: a log line, since the error is already out."""

    def as_airbyte_message(self, stream_descriptor: Optional[StreamDescriptor] = None) -> AirbyteMessage:
        return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.WARN, message=self.message or ""))


class HaltRegistry:
    """The hosts halted in this process, each with the error that halted it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._halted: dict[str, AirbyteTracedException] = {}

    def halt(self, host: str, error: AirbyteTracedException) -> None:
        with self._lock:
            self._halted.setdefault(host, error)

    def reason(self, host: str) -> Optional[AirbyteTracedException]:
        """The error that halted `host`, or None while it may be read."""
        with self._lock:
            return self._halted.get(host)
