"""A LivePerson host that keeps failing ends the sync promptly, with one error that says so.

Without this, every request window spends its own retries on a host that is down: a 26-window sync with every
request answered 503 took ten minutes and printed 26 identical errors before it ended. Once one request has spent its
retries on a 5xx, a broken answer, a timeout or a dropped connection, its host is marked down for the rest of the
process (`OUTAGES.report`): that request fails with the error the user reads, requests in the middle of their retries
stop at their next failure (`StoppedByOutage`, logged, not a second error), and windows that have not started do not
start. LivePerson's Retry-After pauses (HTTP 429) are not an outage and never mark a host down.
"""

import threading
from typing import Optional

from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, Level, StreamDescriptor, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


class StoppedByOutage(AirbyteTracedException):
    """A request given up because its host is already reported down: a log line, since the error is already out."""

    def as_airbyte_message(self, stream_descriptor: Optional[StreamDescriptor] = None) -> AirbyteMessage:
        return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.WARN, message=self.message or ""))


class OutageRegistry:
    """The hosts found down in this process, with the error that said so."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: dict[str, AirbyteTracedException] = {}

    def report(self, host: str, error: AirbyteTracedException) -> None:
        with self._lock:
            self._down.setdefault(host, error)

    def down(self, host: str) -> Optional[AirbyteTracedException]:
        """The error that reported `host` down, or None while it answers."""
        with self._lock:
            return self._down.get(host)


OUTAGES = OutageRegistry()
