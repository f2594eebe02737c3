"""The CDK behaviours source_agent_activity/cdk_reliance.py lists, each pinned on the smallest real CDK objects.

Each test's docstring names the entry it pins, and each entry names its tests. A failure here means the CDK no longer
does what the connector relies on: read the entry, then the CDK's code it points to, before changing either.
"""

import concurrent.futures
import inspect
import json
import logging
import queue
import threading
from collections import Counter

import airbyte_cdk.entrypoint
import pytest
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import AirbyteStreamStatus, EstimateType, FailureType, Level, SyncMode, Type
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.declarative import concurrent_declarative_source
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.models.outcome import ExpectedOutcome
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity import SourceAgentActivity, cdk_reliance
from source_agent_activity.cdk_reliance import CDK_EXTRA_SECONDS, Reliance
from source_agent_activity.errors import config_error
from source_agent_activity.estimates import estimate_message
from source_agent_activity.halts import StoppedEarly
from source_agent_activity.windowed import LET_MAIN_THREAD_DRAIN_EVERY, state_message
from unit_tests.support.cdk_probes import (
    PROBE_LOGGER,
    PROBE_URL,
    ProbeError,
    ProbePartition,
    ProbeSource,
    RecordingCursor,
    StartLog,
    component,
    concurrent_read,
    concurrent_read_until_failure,
    http_requester,
    probe_manifest,
    probe_stream,
    record,
    record_message,
    simple_retriever,
    status_message,
    statuses,
)
from unit_tests.support.config import ConfigBuilder

# Long enough for any machine; a barrier that waits this long means the CDK no longer runs these together.
BARRIER_TIMEOUT_SECONDS = 10


def _catalog(*streams: str):
    builder = CatalogBuilder()
    for stream in streams:
        builder.with_stream(stream, SyncMode.full_refresh)
    return builder.build()


def test_given_partition_yields_ready_messages_when_read_then_emitted_unchanged_in_order_without_running_or_count(
    caplog,
) -> None:
    """Pins cdk_reliance.READY_MESSAGES_PASS_THROUGH."""
    caplog.set_level(logging.INFO, logger=PROBE_LOGGER)
    ready_record = record_message("a", 1)
    ready_state = state_message("a", {"time": "2026-06-01T00:00:00.000Z"})
    ready_status = status_message("a", AirbyteStreamStatus.RUNNING)
    last_ready_record = record_message("a", 3)
    a_record = record("a", 2)
    cursor = RecordingCursor("a", [])
    items = [ready_record, ready_state, ready_status, a_record, last_ready_record]
    stream = probe_stream("a", [ProbePartition("a", 0, items)], cursor)

    [started, first, second, third, running, record_of_a, last, complete] = concurrent_read([stream])

    ready = [ready_record, ready_state, ready_status, last_ready_record]
    assert all(emitted is sent for emitted, sent in zip((first, second, third, last), ready, strict=True))
    # Only the Record made the stream RUNNING, and only it was counted.
    assert statuses([started, running, complete]) == [("a", "STARTED"), ("a", "RUNNING"), ("a", "COMPLETE")]
    assert record_of_a.type == Type.RECORD and record_of_a.record.data == {"n": 2}
    assert "Read 1 records from a stream" in caplog.messages
    assert all(observed is item for observed, item in zip(cursor.observed, items, strict=True))


def test_given_records_and_states_of_two_streams_when_read_through_entrypoint_then_each_state_counts_its_stream() -> (
    None
):
    """Pins cdk_reliance.RECORD_COUNTS_IN_STATE."""
    a_items = [
        record("a", 1),
        record_message("a", 2),
        state_message("a", {"after": 2}),
        record_message("a", 3),
        state_message("a", {"after": 3}),
        record_message("a", 4),
    ]
    b_items = [record_message("b", 1), state_message("b", {"after": 1}), state_message("b", {"again": 1})]
    source = ProbeSource(
        streams=[
            probe_stream("a", [ProbePartition("a", 0, a_items)]),
            probe_stream("b", [ProbePartition("b", 0, b_items)]),
        ]
    )

    output = read(source, {}, _catalog("a", "b"))

    counts = [
        (message.state.stream.stream_descriptor.name, message.state.sourceStats.recordCount)
        for message in output.state_messages
    ]
    # a's record after its last state is counted into no state of b's.
    assert counts == [("a", 2.0), ("a", 1.0), ("b", 1.0), ("b", 0.0)]
    assert len(output.records) == 5


def test_given_partitions_yield_estimates_when_read_through_entrypoint_then_each_emitted_as_is_before_complete() -> (
    None
):
    """Pins cdk_reliance.ESTIMATES_BEFORE_STREAM_STATUS."""
    first, final = estimate_message("a", 40), estimate_message("a", 2)
    # One worker: the second partition finishes last, and yields the stream's last estimate after its record.
    partitions = [
        ProbePartition("a", 0, [record("a", 1), first]),
        ProbePartition("a", 1, [record("a", 2), final]),
    ]
    source = ProbeSource(streams=[probe_stream("a", partitions)])

    output = read(source, {"num_workers": 1}, _catalog("a"))

    messages = [message for message in output.get_message_iterator() if message.type in (Type.RECORD, Type.TRACE)]
    story = [
        "RECORD"
        if message.type == Type.RECORD
        else f"ESTIMATE {message.trace.estimate.row_estimate}"
        if message.trace.estimate
        else f"STATUS {message.trace.stream_status.status.name}"
        for message in messages
    ]
    assert story == [
        "STATUS STARTED",
        "STATUS RUNNING",
        "RECORD",
        "ESTIMATE 40",
        "RECORD",
        "ESTIMATE 2",
        "STATUS COMPLETE",
    ]
    sent = [(message.trace.emitted_at, message.trace.estimate) for message in messages if message.type == Type.TRACE]
    assert [item for item in sent if item[1] is not None] == [
        (first.trace.emitted_at, first.trace.estimate),
        (final.trace.emitted_at, final.trace.estimate),
    ]
    assert final.trace.estimate.type == EstimateType.STREAM


@pytest.mark.parametrize("num_workers, threads, generators", [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 4, 2), (12, 10, 5)])
def test_given_num_workers_when_source_built_then_min_of_it_and_10_threads_and_half_as_many_generators(
    monkeypatch, num_workers: int, threads: int, generators: int
) -> None:
    """Pins cdk_reliance.SCHEDULING (the pool and the generator cap the connector's source is built with)."""
    pools: list[int] = []
    caps: list[int] = []
    create = ConcurrentSource.create

    class RecordingPool(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, max_workers=None, *args, **kwargs) -> None:
            pools.append(max_workers)
            super().__init__(max_workers, *args, **kwargs)

    def recording_create(*args, **kwargs) -> ConcurrentSource:
        caps.append(kwargs["initial_number_of_partitions_to_generate"])
        return create(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", RecordingPool)
    monkeypatch.setattr(ConcurrentSource, "create", staticmethod(recording_create))

    SourceAgentActivity(config=ConfigBuilder().with_num_workers(num_workers).build())

    assert (pools, caps) == ([threads], [generators])


def test_given_the_source_built_then_workers_hand_items_through_one_queue_of_10000_more_than_a_drain_pace(
    monkeypatch,
) -> None:
    """Pins cdk_reliance.BOUNDED_QUEUE (the bound the windows' drain pace is measured against)."""
    sizes: list[int] = []

    class RecordingQueue(queue.Queue):
        def __init__(self, maxsize: int = 0) -> None:
            sizes.append(maxsize)
            super().__init__(maxsize)

    monkeypatch.setattr(concurrent_declarative_source, "Queue", RecordingQueue)

    SourceAgentActivity(config=ConfigBuilder().build())

    assert sizes == [10_000]
    assert LET_MAIN_THREAD_DRAIN_EVERY * 10 <= sizes[0]


def test_given_two_generators_when_three_streams_read_then_started_in_catalog_order_two_at_a_time() -> None:
    """Pins cdk_reliance.SCHEDULING (generators start in the order given, no more than the cap at once)."""
    both_generating = threading.Barrier(2, timeout=BARRIER_TIMEOUT_SECONDS)
    streams = [
        probe_stream("zeta", on_generate=both_generating.wait),
        probe_stream("alpha", on_generate=both_generating.wait),
        probe_stream("mid"),
    ]

    emitted = statuses(concurrent_read(streams, num_workers=4, generators=2))

    # zeta and alpha generate at the same time (the barrier); mid starts only once one of them is done.
    assert emitted[:2] == [("zeta", "STARTED"), ("alpha", "STARTED")]
    assert emitted[2] in {("zeta", "COMPLETE"), ("alpha", "COMPLETE")}
    assert emitted[3] == ("mid", "STARTED")
    assert Counter(emitted) == Counter(
        (stream, status) for stream in ("zeta", "alpha", "mid") for status in ("STARTED", "COMPLETE")
    )


def test_given_three_workers_when_two_streams_read_then_every_partition_of_the_first_starts_before_next_generator() -> (
    None
):
    """Pins cdk_reliance.SCHEDULING (one generator at a time, partitions submitted as generated, a FIFO pool)."""
    log = StartLog()
    # The first stream's three partitions run together: the generator's thread must be free, and the second
    # stream's generator, if it were queued before the third partition, would start while the other two wait.
    all_three = threading.Barrier(3, timeout=BARRIER_TIMEOUT_SECONDS)

    def first_partition(index: int) -> ProbePartition:
        return ProbePartition("first", index, on_start=lambda: (log.start(f"first[{index}]"), all_three.wait()))

    streams = [
        probe_stream("first", [first_partition(i) for i in range(3)], on_generate=lambda: log.start("first generator")),
        probe_stream(
            "second",
            [ProbePartition("second", 0, on_start=lambda: log.start("second[0]"))],
            on_generate=lambda: log.start("second generator"),
        ),
    ]

    emitted = statuses(concurrent_read(streams, num_workers=3, generators=1))

    assert log.started[0] == "first generator"
    assert set(log.started[1:4]) == {"first[0]", "first[1]", "first[2]"}
    assert log.started[4:] == ["second generator", "second[0]"]
    # Which stream completes last is up to the threads: the first's partitions may still run when the second's ends.
    assert ("first", "COMPLETE") in emitted and ("second", "COMPLETE") in emitted


def test_given_catalog_of_one_known_and_one_unknown_stream_when_read_then_only_known_read_and_unknown_incomplete() -> (
    None
):
    """Pins cdk_reliance.READ_BUILDS_CATALOG_STREAMS."""
    log = StartLog()
    streams = [
        probe_stream("a", [ProbePartition("a", 0, [record("a", 1)])], on_generate=lambda: log.start("a")),
        probe_stream("b", [ProbePartition("b", 0, [record("b", 1)])], on_generate=lambda: log.start("b")),
    ]
    source = ProbeSource(streams=streams, config={"built_with": "constructor"})

    output = read(source, {"built_with": "argument"}, _catalog("b", "missing"))

    assert log.started == ["b"]
    assert [message.record.stream for message in output.records] == ["b"]
    assert Counter(statuses(output.trace_messages)) == Counter(
        [("b", "STARTED"), ("b", "RUNNING"), ("b", "COMPLETE"), ("missing", "INCOMPLETE")]
    )
    assert output.errors == []
    assert {config["built_with"] for config in source.streams_built_with} == {"constructor"}


def test_given_requester_answers_none_when_read_then_partition_ends_without_records_or_error() -> None:
    """Pins cdk_reliance.NO_RESPONSE_IS_AN_EMPTY_LAST_PAGE."""
    manifest = probe_manifest(
        simple_retriever(
            requester=component("CustomRequester", "NoPageRequester", url=PROBE_URL, http_method="GET"),
            paginator={
                "type": "DefaultPaginator",
                "pagination_strategy": component("CustomPaginationStrategy", "NeverAskedPagination"),
            },
        )
    )
    [stream] = ProbeSource(manifest).streams({})
    [partition] = stream.generate_partitions()

    assert list(partition.read()) == []

    output = read(ProbeSource(manifest), {}, _catalog("probe"))

    assert output.records == [] and output.errors == []
    assert statuses(output.trace_messages) == [("probe", "STARTED"), ("probe", "COMPLETE")]


@pytest.mark.parametrize(
    "where, error_handler, status",
    [
        ("interpret_response", component("CustomErrorHandler", "RaisingErrorHandler"), 200),
        (
            "backoff_time",
            {
                "type": "DefaultErrorHandler",
                "backoff_strategies": [component("CustomBackoffStrategy", "RaisingBackoff")],
            },
            503,
        ),
    ],
)
def test_given_traced_exception_in_error_handler_or_backoff_when_read_then_it_ends_the_stream_as_raised(
    requests_mock, where: str, error_handler: dict, status: int
) -> None:
    """Pins cdk_reliance.TRACED_EXCEPTIONS_PROPAGATE."""
    requests_mock.get(PROBE_URL, status_code=status, json=[])
    manifest = probe_manifest(simple_retriever(requester=http_requester(error_handler)))
    [stream] = ProbeSource(manifest).streams({})
    [partition] = stream.generate_partitions()

    with pytest.raises(ProbeError) as raised:
        list(partition.read())

    assert (raised.value.message, raised.value.failure_type) == (
        f"raised by the probe's {where}",
        FailureType.config_error,
    )

    output = read(ProbeSource(manifest), {}, _catalog("probe"), expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION)

    [error] = [message.trace.error for message in output.errors if message.trace.error.stream_descriptor]
    assert (error.stream_descriptor.name, error.message, error.failure_type) == (
        "probe",
        f"raised by the probe's {where}",
        FailureType.config_error,
    )
    assert statuses(output.trace_messages)[-1] == ("probe", "INCOMPLETE")


def test_given_backoff_strategy_answers_a_wait_when_retried_then_cdk_sleeps_it_plus_cdk_extra_seconds(
    requests_mock, sleeps
) -> None:
    """Pins cdk_reliance.EXTRA_SECOND_ON_BACKOFF (`sleeps` records what the CDK's rate_limiting module sleeps)."""
    requests_mock.get(PROBE_URL, [{"status_code": 503, "json": {}}, {"status_code": 200, "json": [{"id": 1}]}])
    error_handler = {
        "type": "DefaultErrorHandler",
        "backoff_strategies": [component("CustomBackoffStrategy", "FixedBackoff", seconds=2.5)],
    }

    output = read(
        ProbeSource(probe_manifest(simple_retriever(requester=http_requester(error_handler)))), {}, _catalog("probe")
    )

    assert [message.record.data for message in output.records] == [{"id": 1}]
    assert sleeps.waits == [2.5 + CDK_EXTRA_SECONDS]
    assert CDK_EXTRA_SECONDS == 1


def test_given_a_finished_and_a_failed_stream_when_read_then_each_cursor_asked_once_for_its_state_at_the_end() -> None:
    """Pins cdk_reliance.STREAM_END_STATE_HOOK."""
    events: list[str] = []
    streams = [
        probe_stream(
            "done",
            [ProbePartition("done", 0, [record("done", 1)]), ProbePartition("done", 1, [record("done", 2)])],
            RecordingCursor("done", events),
        ),
        probe_stream(
            "failing", [ProbePartition("failing", 0, [ValueError("read failed")])], RecordingCursor("failing", events)
        ),
    ]

    def note(message) -> None:
        if message.type == Type.TRACE and message.trace.stream_status is not None:
            [(stream, status)] = statuses([message])
            events.append(f"{stream} {status}")
        elif message.type == Type.TRACE and message.trace.error is not None:
            events.append(f"{message.trace.error.stream_descriptor.name} error")
        elif message.type == Type.STATE:
            events.append("state")

    concurrent_read_until_failure(streams, on_message=note)

    assert events == [
        "done STARTED",
        "failing STARTED",
        "done RUNNING",
        "done: ensure_at_least_one_state_emitted",
        "done COMPLETE",
        "failing error",
        "failing: ensure_at_least_one_state_emitted",
        "failing INCOMPLETE",
    ]


def test_given_partition_yields_equal_states_when_read_then_both_emitted_as_the_same_objects_and_no_other() -> None:
    """Pins cdk_reliance.PARTITION_STATES_AS_IS."""
    first = state_message("a", {"time": "2026-06-01T00:00:00.000Z"})
    again = state_message("a", {"time": "2026-06-01T00:00:00.000Z"})
    later = state_message("a", {"time": "2026-06-02T00:00:00.000Z"})
    stream = probe_stream("a", [ProbePartition("a", 0, [first, again, record("a", 1), later])])

    emitted = [message for message in concurrent_read([stream]) if message.type == Type.STATE]

    assert first == again
    assert all(message is state for message, state in zip(emitted, (first, again, later), strict=True))


def test_given_partition_raises_exception_with_own_message_when_read_then_that_message_is_emitted() -> None:
    """Pins cdk_reliance.ERRORS_SHOWN_AS_THEY_SAY, with the connector's own StoppedEarly and ConfigError."""
    stopped = StoppedEarly(message="Stopped reading /items: the host is halted")
    refused = config_error("Account 12345678 refused the probe: grant the permission.")
    streams = [
        probe_stream("stopped", [ProbePartition("stopped", 0, [stopped])]),
        probe_stream("refused", [ProbePartition("refused", 0, [refused])]),
    ]

    messages, failure = concurrent_read_until_failure(streams)

    [log] = [message.log for message in messages if message.type == Type.LOG]
    assert (log.level, log.message) == (Level.WARN, "Stopped reading /items: the host is halted")
    [error] = [message.trace.error for message in messages if message.type == Type.TRACE and message.trace.error]
    assert (error.stream_descriptor.name, error.message, error.stack_trace) == (
        "refused",
        "Account 12345678 refused the probe: grant the permission.",
        None,
    )
    assert ("stopped", "INCOMPLETE") in statuses(messages) and ("refused", "INCOMPLETE") in statuses(messages)
    assert isinstance(failure, AirbyteTracedException)


def test_given_cdk_reliance_entries_when_listed_then_each_names_tests_here_that_name_it_back() -> None:
    """Keeps cdk_reliance.py and this module in step: every entry has a test here, every test here pins an entry."""
    entries = {name: value for name, value in vars(cdk_reliance).items() if isinstance(value, Reliance)}
    tests = {name: value for name, value in globals().items() if name.startswith("test_")}
    pinning = {name for name in tests if "Pins cdk_reliance." in (tests[name].__doc__ or "")}

    assert set(cdk_reliance.RELIANCES) == set(entries.values())
    for name, entry in entries.items():
        for test in entry.tests:
            assert f"Pins cdk_reliance.{name}" in (tests[test].__doc__ or ""), (name, test)
    assert pinning == {test for entry in entries.values() for test in entry.tests}


class RefusingEntrypoint(AirbyteEntrypoint):
    """An entrypoint whose config check refuses every config, as run.AgentActivityEntrypoint refuses a broken one."""

    @staticmethod
    def validate_connection(source_spec, config) -> None:
        raise config_error("probe: the config check of the entrypoint subclass said no")


class SourceNeverAsked(ProbeSource):
    def check(self, logger, config):  # type: ignore[override]
        raise AssertionError("the source was asked although the entrypoint refused the config")


def test_given_entrypoint_subclass_refuses_config_when_check_then_one_failed_status_with_its_message(tmp_path) -> None:
    """Pins cdk_reliance.ENTRYPOINT_CHECKS_CONFIG_FIRST (and that launch() is the entrypoint's run() through the
    print buffer, which run.launch repeats with its own entrypoint)."""
    config_path = tmp_path / "config.json"
    config_path.write_text("{}")
    entrypoint = RefusingEntrypoint(SourceNeverAsked())

    messages = [
        json.loads(line) for line in entrypoint.run(entrypoint.parse_args(["check", "--config", str(config_path)]))
    ]

    assert [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"] == [
        {"status": "FAILED", "message": "probe: the config check of the entrypoint subclass said no"}
    ]
    launch_source = inspect.getsource(airbyte_cdk.entrypoint.launch)
    for step in ("AirbyteEntrypoint(source)", ".parse_args(args)", "with PRINT_BUFFER", ".run(parsed_args)"):
        assert step in launch_source, step
