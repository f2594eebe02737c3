"""The smallest real CDK objects that show a behaviour source_agent_activity/cdk_reliance.py lists.

Streams of partitions that yield what a test gives them (`probe_stream`), read by the CDK's own `ConcurrentSource`
(`concurrent_read`) or, through the entrypoint, by a `ConcurrentDeclarativeSource` on a one-stream manifest
(`ProbeSource`); and the custom components that manifest can name.
"""

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import InitVar, dataclass
from typing import Any, Optional, Union

import requests
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStreamStatus,
    FailureType,
    StreamDescriptor,
    Type,
)
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution
from airbyte_cdk.sources.types import Config, Record
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.windowed import StateInWindows

PROBE_LOGGER = "cdk_reliance_probe"
PROBE_URL = "https://probe.test/items"

# What a partition yields: a Record, a ready AirbyteMessage, or an exception to raise there.
Item = Union[Record, AirbyteMessage, Exception]


class ProbePartition(Partition):
    """Partition `index` of `stream`: calls `on_start` (if any), then yields `items`, raising any exception in them."""

    def __init__(
        self, stream: str, index: int, items: Iterable[Item] = (), on_start: Optional[Callable[[], None]] = None
    ) -> None:
        self._stream = stream
        self._index = index
        self._items = list(items)
        self._on_start = on_start

    def read(self) -> Iterable[Union[Record, AirbyteMessage]]:
        if self._on_start is not None:
            self._on_start()
        for item in self._items:
            if isinstance(item, Exception):
                raise item
            yield item

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return {"index": self._index}

    def stream_name(self) -> str:
        return self._stream

    def __hash__(self) -> int:
        return hash((self._stream, self._index))


class ProbeGenerator(PartitionGenerator):
    """Calls `on_start` (if any), then yields the partitions."""

    def __init__(self, partitions: Iterable[Partition], on_start: Optional[Callable[[], None]] = None) -> None:
        self._partitions = list(partitions)
        self._on_start = on_start

    def generate(self) -> Iterable[Partition]:
        if self._on_start is not None:
            self._on_start()
        yield from self._partitions


def probe_stream(
    name: str,
    partitions: Iterable[Partition] = (),
    cursor: Optional[Cursor] = None,
    on_generate: Optional[Callable[[], None]] = None,
) -> DefaultStream:
    """A stream of the given partitions; its cursor keeps no state, as the connector's windowed streams' does."""
    return DefaultStream(
        partition_generator=ProbeGenerator(partitions, on_generate),
        name=name,
        json_schema={"type": "object", "properties": {}},
        primary_key=[],
        cursor_field=None,
        logger=logging.getLogger(PROBE_LOGGER),
        cursor=cursor if cursor is not None else StateInWindows(None),
    )


def concurrent_read(
    streams: list[AbstractStream],
    num_workers: int = 1,
    generators: int = 1,
    on_message: Optional[Callable[[AirbyteMessage], None]] = None,
) -> list[AirbyteMessage]:
    """What the CDK's ConcurrentSource emits reading `streams` with that many threads and partition generators.

    `on_message` sees each message as the read emits it, between the CDK's own steps.
    """
    messages, failure = _read(streams, num_workers, generators, on_message)
    if failure is not None:
        raise failure
    return messages


def concurrent_read_until_failure(
    streams: list[AbstractStream], on_message: Optional[Callable[[AirbyteMessage], None]] = None
) -> tuple[list[AirbyteMessage], Exception]:
    """What `concurrent_read` (one thread) emits before the read raises, and what it raises."""
    messages, failure = _read(streams, 1, 1, on_message)
    assert failure is not None, "the read did not fail"
    return messages, failure


def _read(
    streams: list[AbstractStream],
    num_workers: int,
    generators: int,
    on_message: Optional[Callable[[AirbyteMessage], None]],
) -> tuple[list[AirbyteMessage], Optional[Exception]]:
    source = ConcurrentSource.create(
        num_workers=num_workers,
        initial_number_of_partitions_to_generate=generators,
        logger=logging.getLogger(PROBE_LOGGER),
        slice_logger=DebugSliceLogger(),
        message_repository=InMemoryMessageRepository(),
    )
    messages: list[AirbyteMessage] = []
    try:
        for message in source.read(streams):
            messages.append(message)
            if on_message is not None:
                on_message(message)
    except Exception as failure:  # noqa: BLE001 - the caller decides whether a failure was expected
        return messages, failure
    return messages, None


def record(stream: str, number: int) -> Record:
    return Record(data={"n": number}, stream_name=stream, associated_slice=None)


def record_message(stream: str, number: int) -> AirbyteMessage:
    """A RECORD message ready to print, as a partition may yield it instead of a Record."""
    return AirbyteMessage(
        type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data={"n": number}, emitted_at=0)
    )


def status_message(stream: str, status: AirbyteStreamStatus) -> AirbyteMessage:
    return stream_status_message(StreamDescriptor(name=stream), status)


def statuses(messages: Iterable[AirbyteMessage]) -> list[tuple[str, str]]:
    """The stream statuses among `messages`, in order: (stream, STARTED | RUNNING | COMPLETE | INCOMPLETE)."""
    return [
        (message.trace.stream_status.stream_descriptor.name, message.trace.stream_status.status.name)
        for message in messages
        if message.type == Type.TRACE and message.trace.stream_status is not None
    ]


class RecordingCursor(StateInWindows):
    """The connector's cursor, remembering what the CDK handed it and when it was asked for a final state."""

    def __init__(self, stream: str, calls: list[str]) -> None:
        super().__init__(None)
        self._stream = stream
        self.calls = calls
        self.observed: list[Any] = []

    def observe(self, record: Record) -> None:
        self.observed.append(record)
        super().observe(record)

    def ensure_at_least_one_state_emitted(self) -> None:
        self.calls.append(f"{self._stream}: ensure_at_least_one_state_emitted")
        super().ensure_at_least_one_state_emitted()


class StartLog:
    """What has started, in order, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started: list[str] = []

    def start(self, what: str) -> list[str]:
        """Note that `what` started; answer what had started before it."""
        with self._lock:
            before = list(self.started)
            self.started.append(what)
            return before


# A one-stream declarative source, read through the entrypoint


def probe_manifest(retriever: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """A manifest of one stream, `probe`, reading PROBE_URL (a JSON list of records) with `retriever` if given.

    Its concurrency_level is config['num_workers'] (default 1), at most 10, as the connector's manifest says.
    """
    return {
        "version": "7.39.1",
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["probe"]},
        "concurrency_level": {
            "type": "ConcurrencyLevel",
            "default_concurrency": "{{ config.get('num_workers', 1) }}",
            "max_concurrency": 10,
        },
        "streams": [
            {
                "type": "DeclarativeStream",
                "name": "probe",
                "primary_key": [],
                "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object", "properties": {}}},
                "retriever": retriever or simple_retriever(),
            }
        ],
        "spec": {
            "type": "Spec",
            "connection_specification": {"type": "object", "properties": {}},
        },
    }


def simple_retriever(
    requester: Optional[Mapping[str, Any]] = None, paginator: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    retriever: dict[str, Any] = {
        "type": "SimpleRetriever",
        "requester": requester or http_requester(),
        "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": []}},
    }
    if paginator is not None:
        retriever["paginator"] = paginator
    return retriever


def http_requester(error_handler: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    requester: dict[str, Any] = {"type": "HttpRequester", "url": PROBE_URL, "http_method": "GET"}
    if error_handler is not None:
        requester["error_handler"] = error_handler
    return requester


def component(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    """A custom component of this module, as a manifest names it."""
    return {"type": kind, "class_name": f"{__name__}.{name}", **fields}


class ProbeSource(ConcurrentDeclarativeSource):
    """A declarative source on `manifest`; `streams` given, its streams() answers them instead of the manifest's
    (as SourceAgentActivity wraps its own), and remembers the configs it was called with."""

    def __init__(
        self,
        manifest: Optional[Mapping[str, Any]] = None,
        streams: Optional[list[AbstractStream]] = None,
        config: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self._probe_streams = streams
        self.streams_built_with: list[Mapping[str, Any]] = []
        super().__init__(config=config or {}, source_config=dict(manifest or probe_manifest()))

    def streams(self, config: Mapping[str, Any]) -> list[AbstractStream]:  # type: ignore[override]
        self.streams_built_with.append(dict(config))
        return list(self._probe_streams) if self._probe_streams is not None else super().streams(config)


# Custom components the probe manifest names


class ProbeError(AirbyteTracedException):
    """What the probe components raise: its class, message and failure type are what a test looks for."""


def probe_error(where: str) -> ProbeError:
    return ProbeError(message=f"raised by the probe's {where}", failure_type=FailureType.config_error)


@dataclass
class NoPageRequester(HttpRequester):
    """Answers None for every page, as LivePersonRequester does for the first page of a window on a halted host."""

    def send_request(self, *args: Any, **kwargs: Any) -> Optional[requests.Response]:
        return None


@dataclass
class NeverAskedPagination(PaginationStrategy):
    """Fails the read if the retriever ever asks for a next page."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(self, *args: Any, **kwargs: Any) -> Optional[Any]:
        raise AssertionError("the retriever asked for a next page after a page it got no response for")

    def get_page_size(self) -> Optional[int]:
        return None


@dataclass
class RaisingErrorHandler(DefaultErrorHandler):
    """Raises probe_error from interpret_response, as HaltOnRefusal raises StoppedEarly."""

    def interpret_response(self, response_or_exception: Any) -> ErrorResolution:
        raise probe_error("interpret_response")


@dataclass
class RaisingBackoff(BackoffStrategy):
    """Raises probe_error from backoff_time, as RetryAfterOn429 and FailFastOnOutage do when retries are spent."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> Optional[float]:
        raise probe_error("backoff_time")


@dataclass
class FixedBackoff(BackoffStrategy):
    """Answers `seconds` to every retry."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    seconds: float = 2.5

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> Optional[float]:
        return self.seconds
