"""What status_changes and agent_status_intervals share as streams: a `DefaultStream` on the manifest's stream of the
same name, read in windows (windows.py) that emit the stream's state themselves, each after the records it covers on
the same queue, so that a state never runs ahead of its records. The stream's cursor keeps nothing: the CDK's
concurrent cursor parses every record's time with strptime and hashes its window once per record, half the CPU of a
sync (docs/performance.md), to learn what the windows already know.
"""

import json
import logging
import threading
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any, Iterable, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    AirbyteStreamStatus,
    StreamDescriptor,
    Type,
)
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message

# Every this many messages a window emits, its worker lets the GIL go (`time.sleep(0)`), so that the main thread,
# which writes every message out, drains the CDK's queue before it fills (cdk_reliance.BOUNDED_QUEUE). A worker that
# finds the queue full waits on it for every further message, the GIL changing hands each time.
# agent_status_intervals emits a window's intervals in one burst, faster than the main thread writes them: always
# paced. status_changes' records come a page at a time between requests: paced only when the same windows also emit
# the intervals (the main thread is then the bottleneck); alone, the pause cost more wall time (the worker waits up to
# the switch interval for the GIL back, its next request not yet sent) than the CPU it saved. Measured at 1,000,000
# records: agent_status_intervals alone, one worker, 11 % less CPU; both streams, 3 workers, 9 % and then 6 % less
# (docs/performance.md).
LET_MAIN_THREAD_DRAIN_EVERY = 200


def state_message(stream: str, state: Mapping[str, Any]) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=stream), stream_state=AirbyteStateBlob(dict(state))
            ),
        ),
    )


def saved_state(stream: str, state: Optional[list[AirbyteStateMessage]]) -> Optional[dict[str, Any]]:
    """The state of `stream` among those a read was given, as a plain dict."""
    for message in state or []:
        descriptor = getattr(message, "stream", None)
        if descriptor is not None and descriptor.stream_descriptor.name == stream and descriptor.stream_state:
            blob = descriptor.stream_state
            return dict(blob.__dict__) if isinstance(blob, AirbyteStateBlob) else dict(blob)
    return None


def schema(stream: str) -> dict[str, Any]:
    return json.loads(resources.files("source_agent_activity").joinpath(f"schemas/{stream}.json").read_text())


class StreamStatuses:
    """The statuses of a stream that this connector says itself, each once, and its RECORD messages.

    The windows emit records as ready messages, which the CDK passes on without making the stream RUNNING
    (cdk_reliance.READY_MESSAGES_PASS_THROUGH), so RUNNING is said here, before the stream's first record: the window
    that says it lets the others emit only once it is out. A stream that another stream's windows read (`hosted`) is
    not known to the CDK at all: STARTED, and COMPLETE or INCOMPLETE, are said here too.
    """

    def __init__(self, stream: str, hosted: bool) -> None:
        self.stream = stream
        self._descriptor = StreamDescriptor(name=stream)
        self._hosted = hosted
        self._lock = threading.Lock()
        self._said: set[AirbyteStreamStatus] = set()
        self._running_out = threading.Event()

    def started(self) -> list[AirbyteMessage]:
        return self._say(AirbyteStreamStatus.STARTED) if self._hosted else []

    def running(self) -> Iterator[AirbyteMessage]:
        """RUNNING, from the first window to ask; the others wait until it is out, so no record goes before it."""
        said = self._say(AirbyteStreamStatus.RUNNING)
        if not said:
            self._running_out.wait()
            return
        try:
            yield from said
        finally:
            self._running_out.set()

    def done(self, complete: bool) -> list[AirbyteMessage]:
        if not self._hosted:
            return []
        return self._say(AirbyteStreamStatus.COMPLETE if complete else AirbyteStreamStatus.INCOMPLETE)

    def record(self, data: Mapping[str, Any]) -> AirbyteMessage:
        return AirbyteMessage(
            type=Type.RECORD,
            record=AirbyteRecordMessage(stream=self.stream, data=data, emitted_at=time.time_ns() // 1_000_000),
        )

    def _say(self, status: AirbyteStreamStatus) -> list[AirbyteMessage]:
        with self._lock:
            if status in self._said:
                return []
            self._said.add(status)
        return [stream_status_message(self._descriptor, status)]


class Messages(Partition):
    """A partition with no window to read that emits ready messages: the state again when the saved state is at the
    end of the range (which the platform expects), with the stream statuses when the stream is read by another's
    windows."""

    def __init__(self, stream: str, messages: list[AirbyteMessage], key: str) -> None:
        self._stream = stream
        self._messages = messages
        self._key = key

    def read(self) -> Iterable[AirbyteMessage]:
        yield from self._messages

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return None

    def stream_name(self) -> str:
        return self._stream

    def __hash__(self) -> int:
        return hash((self._stream, self._key))


class StateInWindows(Cursor):
    """The cursor of a stream whose windows emit its state: it keeps none itself."""

    def __init__(self, saved: Optional[Mapping[str, Any]]) -> None:
        self._saved = dict(saved or {})

    @property
    def state(self) -> dict[str, Any]:
        return self._saved

    def observe(self, record: Record) -> None:
        return None

    def close_partition(self, partition: Partition) -> None:
        return None

    def ensure_at_least_one_state_emitted(self) -> None:
        # A read that finishes ends with a state from its windows (or `Messages`); one that fails keeps the last.
        return None

    def should_be_synced(self, record: Record) -> bool:
        return True


def windowed_stream(
    inner: AbstractStream,
    cursor_field: str,
    primary_key: list[str],
    saved: Optional[Mapping[str, Any]],
    windows: PartitionGenerator,
    logger: logging.Logger,
) -> DefaultStream:
    """`inner` (the manifest's stream of the same name) read in `windows`, which emit its state."""
    return DefaultStream(
        partition_generator=windows,
        name=inner.name,
        json_schema=lambda: schema(inner.name),
        primary_key=primary_key,
        cursor_field=CursorField(cursor_field),
        logger=logger,
        cursor=StateInWindows(saved),
    )
