"""Every behaviour of airbyte-cdk 7.39.1 the connector relies on beyond the CDK's documented extension points.

The CDK documents its extension points (the manifest's components, custom ones included, and the interfaces a
component, `Partition`, `PartitionGenerator`, `Cursor` or `AirbyteTracedException` implements), not what it does with
what they hand it: a CDK upgrade may change that silently. So each such behaviour is one entry below: what we rely on,
where the CDK does it (paths under `airbyte_cdk/`), which of our modules relies on it, and the tests of
`unit_tests/test_cdk_reliance.py` that pin it (they fail if the CDK changes it). Each statement was checked against
the CDK's code; where the code says other or more than the obvious reading, the statement says so ("Correction").

- READY_MESSAGES_PASS_THROUGH: a partition's ready `AirbyteMessage`s reach the output unchanged and in order.
- RECORD_COUNTS_IN_STATE: the entrypoint counts each stream's RECORD messages into its next STATE.
- SCHEDULING: how many threads and partition generators run, and in which order their work starts.
- READ_BUILDS_CATALOG_STREAMS: `read` reads the catalog's streams, as `streams()` builds them from the constructor's
  config.
- NO_RESPONSE_IS_AN_EMPTY_LAST_PAGE: a requester that answers None ends its partition without records or error.
- TRACED_EXCEPTIONS_PROPAGATE: our errors raised in an error handler or a backoff strategy end the stream as they are.
- EXTRA_SECOND_ON_BACKOFF: the CDK waits one second more than a backoff strategy answers (`CDK_EXTRA_SECONDS`).
- STREAM_END_STATE_HOOK: `Cursor.ensure_at_least_one_state_emitted()` is called once per stream, when it is done.
- PARTITION_STATES_AS_IS: a STATE a partition yields is emitted as it is, never deduplicated or replaced.
- ERRORS_SHOWN_AS_THEY_SAY: a partition's `AirbyteTracedException` is shown as its own `as_airbyte_message()`.
- ESTIMATES_BEFORE_STREAM_STATUS: a partition's ESTIMATE trace reaches the output as it is, before its stream's
  COMPLETE.
- ENTRYPOINT_CHECKS_CONFIG_FIRST: `check` asks the entrypoint's `validate_connection` before the source, and answers
  its config error as a FAILED status.
- BOUNDED_QUEUE: workers hand every item to the main thread through one queue of at most 10,000 items (speed only).
"""

from dataclasses import dataclass

# What the CDK adds to every wait a backoff strategy answers (EXTRA_SECOND_ON_BACKOFF): components.RetryAfterOn429
# shares its wait plus this second with the host's other requests (pauses.py), and logs the sum.
CDK_EXTRA_SECONDS = 1


@dataclass(frozen=True)
class Reliance:
    """One CDK behaviour we rely on: what it is, where the CDK does it, who relies on it, and the test that pins it."""

    what: str
    where: str
    relied_on_by: str
    tests: tuple[str, ...]


READY_MESSAGES_PASS_THROUGH = Reliance(
    what=(
        "A partition's read() may yield ready AirbyteMessages (RECORD, STATE, TRACE stream status) among its Records. "
        "The concurrent main loop yields them unchanged (the same objects), in the order the partition yielded them "
        "relative to its Records; they do not go through on_record(), so none of them makes the stream RUNNING and "
        "none is added to the stream's record counter (the 'Read N records' log line). Correction: the worker "
        "hands each of them to the stream cursor's observe() too, as it does Records: such a stream's cursor must "
        "ignore them."
    ),
    where=(
        "sources/concurrent_source/concurrent_source.py ConcurrentSource._handle_item (the AirbyteMessage branch); "
        "sources/concurrent_source/concurrent_read_processor.py ConcurrentReadProcessor.on_record; "
        "sources/streams/concurrent/partition_reader.py PartitionReader.process_partition"
    ),
    relied_on_by=(
        "windows.py (ActivityWindow: status_changes' Records and STATE; when both streams are read together, "
        "agent_status_intervals' RECORD, STATE and stream-status messages, in the order the stream's protocol wants "
        "them), windowed.py (Messages, StateInWindows.observe)"
    ),
    tests=(
        "test_given_partition_yields_ready_messages_when_read_then_emitted_unchanged_in_order_without_running_or_count",
    ),
)

RECORD_COUNTS_IN_STATE = Reliance(
    what=(
        "AirbyteEntrypoint.read counts the RECORD messages of each stream (keyed by name and namespace), whether they "
        "came from Records or passed through as ready messages, sets that count as the next STATE message of the "
        "same stream's sourceStats.recordCount (0.0 when there were none) and resets it to zero after each STATE. "
        "It sets sourceStats on the STATE message object itself: the only change a STATE message undergoes."
    ),
    where="entrypoint.py AirbyteEntrypoint.read, AirbyteEntrypoint.handle_record_counts",
    relied_on_by=(
        "status_changes.py and intervals.py: each STATE a window yields follows the records it covers on the same "
        "queue, so the platform's record count per state is right without our code counting; windows.py: "
        "agent_status_intervals' ready RECORD messages, when it is read with status_changes, are counted the same"
    ),
    tests=(
        "test_given_records_and_states_of_two_streams_when_read_through_entrypoint_then_each_state_counts_its_stream",
    ),
)

SCHEDULING = Reliance(
    what=(
        "ConcurrentDeclarativeSource builds a ThreadPoolExecutor of min(default_concurrency, max_concurrency) worker "
        "threads (the manifest's concurrency_level: min(num_workers, 10)) and lets at most max(workers // 2, 1) "
        "partition generators run at once. Generators start in the order of the streams handed to the concurrent "
        "source (the configured catalog's order; none of our streams sets block_simultaneous_read, which could "
        "defer one), each next one when a running one completes. Each Partition is submitted when the main thread "
        "takes it off the queue, so before that generator's completion, which is what starts the next generator; "
        "the pool runs submitted work first in, first out. Hence with num_workers <= 3 "
        "(one generator) every partition of a stream is submitted, and starts, before the next stream's generator."
    ),
    where=(
        "sources/declarative/concurrent_declarative_source.py ConcurrentDeclarativeSource.__init__; "
        "sources/declarative/concurrency_level/concurrency_level.py ConcurrencyLevel.get_concurrency_level; "
        "sources/concurrent_source/concurrent_source.py ConcurrentSource.create, read; "
        "sources/concurrent_source/concurrent_read_processor.py start_next_partition_generator, on_partition, "
        "on_partition_generation_completed"
    ),
    relied_on_by=(
        "manifest.yaml (concurrency_level); intervals.py (Relay: window i waits for window i - 1, which must not be "
        "queued behind it); halts.py and LivePersonRequester (windows start in order, so a halted host stops the "
        "windows after the one that halted it); windows.py and source.py (why the two status-changes streams are read "
        "by one stream's windows: with 3 workers or fewer the second stream's windows would start after all of the "
        "first's)"
    ),
    tests=(
        "test_given_num_workers_when_source_built_then_min_of_it_and_10_threads_and_half_as_many_generators",
        "test_given_two_generators_when_three_streams_read_then_started_in_catalog_order_two_at_a_time",
        "test_given_three_workers_when_two_streams_read_then_every_partition_of_the_first_starts_before_next_generator",
    ),
)

READ_BUILDS_CATALOG_STREAMS = Reliance(
    what=(
        "ConcurrentDeclarativeSource.read(logger, config, catalog, state) reads exactly the streams the configured "
        "catalog names, in its order, taken from self.streams(...) (so an override of streams() is what is read). "
        "Correction: streams() is called with the config the source was constructed with (after its config "
        "transformations), not with the config argument of read(). A catalog stream it cannot find gets an "
        "INCOMPLETE stream status (through the message repository) and no error."
    ),
    where="sources/declarative/concurrent_declarative_source.py ConcurrentDeclarativeSource.read, _select_streams",
    relied_on_by=(
        "source.py (SourceAgentActivity.streams wraps the two windowed streams; their windows read __start and __end, "
        "which only the transformed config of the constructor holds; read() hands the CDK a catalog without "
        "agent_status_intervals when status_changes' windows read it too)"
    ),
    tests=(
        "test_given_catalog_of_one_known_and_one_unknown_stream_when_read_then_only_known_read_and_unknown_incomplete",
    ),
)

NO_RESPONSE_IS_AN_EMPTY_LAST_PAGE = Reliance(
    what=(
        "When a requester's send_request returns None, SimpleRetriever takes that page as empty and ends the "
        "partition: no record, no exception, and the paginator is not asked for a next page."
    ),
    where=(
        "sources/declarative/retrievers/simple_retriever.py SimpleRetriever._read_pages (`if not response: break`), "
        "_parse_response"
    ),
    relied_on_by="components.py (LivePersonRequester.send_request: the first page of a window on a halted host)",
    tests=("test_given_requester_answers_none_when_read_then_partition_ends_without_records_or_error",),
)

TRACED_EXCEPTIONS_PROPAGATE = Reliance(
    what=(
        "An AirbyteTracedException raised from an error handler's interpret_response or from a backoff strategy's "
        "backoff_time is not caught or wrapped by HttpClient, the retry decorators, the requester or the retriever: "
        "it propagates out of the partition's read() as that exception (same class, message, failure_type) and "
        "becomes the stream's error trace, the stream INCOMPLETE."
    ),
    where=(
        "sources/streams/http/http_client.py HttpClient._send, _handle_error_resolution, _send_with_retry (catches "
        "only BaseBackoffException); sources/streams/http/rate_limiting.py (the retry decorators catch only their "
        "backoff exceptions); sources/concurrent_source/concurrent_read_processor.py on_exception"
    ),
    relied_on_by=(
        "components.py (HaltOnRefusal.interpret_response raises StoppedEarly; RetryAfterOn429 and FailFastOnOutage "
        "raise the message that ends the sync from backoff_time)"
    ),
    tests=("test_given_traced_exception_in_error_handler_or_backoff_when_read_then_it_ends_the_stream_as_raised",),
)

EXTRA_SECOND_ON_BACKOFF = Reliance(
    what=(
        f"When a backoff strategy answers a wait, the CDK sleeps that wait plus {CDK_EXTRA_SECONDS} s "
        "(CDK_EXTRA_SECONDS) before the retry."
    ),
    where="sources/streams/http/rate_limiting.py user_defined_backoff_handler.sleep_on_ratelimit",
    relied_on_by=(
        "components.py (RetryAfterOn429: the pause it shares with the host's other requests, and the wait it logs)"
    ),
    tests=("test_given_backoff_strategy_answers_a_wait_when_retried_then_cdk_sleeps_it_plus_cdk_extra_seconds",),
)

STREAM_END_STATE_HOOK = Reliance(
    what=(
        "Cursor.ensure_at_least_one_state_emitted() is called exactly once per stream, when its last partition is done "
        "(whether the stream finished or failed), before its COMPLETE or INCOMPLETE status; a message the cursor "
        "emits there comes out before that status. A cursor that emits nothing there (nor in observe() or "
        "close_partition()) leaves the stream with only the states its partitions yield."
    ),
    where="sources/concurrent_source/concurrent_read_processor.py ConcurrentReadProcessor._on_stream_is_done",
    relied_on_by="windowed.py (StateInWindows: the windows emit the state, the cursor none)",
    tests=("test_given_a_finished_and_a_failed_stream_when_read_then_each_cursor_asked_once_for_its_state_at_the_end",),
)

PARTITION_STATES_AS_IS = Reliance(
    what=(
        "A STATE message a partition yields for its own stream is emitted by the concurrent read as that same object: "
        "not rewritten, not deduplicated (two equal states are both emitted), and the read adds no state of its own "
        "for a stream whose cursor emits none. Correction: not quite 'as is' in the output, since the entrypoint "
        "then sets its sourceStats (RECORD_COUNTS_IN_STATE); the state itself is untouched."
    ),
    where=(
        "sources/concurrent_source/concurrent_source.py ConcurrentSource._handle_item; "
        "sources/streams/concurrent/partition_reader.py PartitionReader.process_partition"
    ),
    relied_on_by="status_changes.py, intervals.py, windowed.py (Messages emits the saved state again)",
    tests=("test_given_partition_yields_equal_states_when_read_then_both_emitted_as_the_same_objects_and_no_other",),
)

ERRORS_SHOWN_AS_THEY_SAY = Reliance(
    what=(
        "When a partition raises an AirbyteTracedException, the concurrent read emits what that exception's own "
        "as_airbyte_message(stream_descriptor=...) returns, so a subclass decides what the user sees; the stream is "
        "still INCOMPLETE and the read still ends with the CDK's summary error."
    ),
    where="sources/concurrent_source/concurrent_read_processor.py ConcurrentReadProcessor.on_exception, is_done",
    relied_on_by=(
        "errors.py (ConfigError: its trace carries no stack trace), halts.py (StoppedEarly: a WARN log, not a second "
        "error)"
    ),
    tests=("test_given_partition_raises_exception_with_own_message_when_read_then_that_message_is_emitted",),
)

ESTIMATES_BEFORE_STREAM_STATUS = Reliance(
    what=(
        "A TRACE message of type ESTIMATE that a partition yields passes through like the other ready messages "
        "(READY_MESSAGES_PASS_THROUGH) and through the entrypoint as it is (AirbyteEntrypoint.read only counts RECORDs "
        "and sets the sourceStats of STATEs); the CDK sends no estimate of its own. Everything any partition of a "
        "stream yields is emitted before that stream's COMPLETE status: the worker queues a partition's "
        "PartitionCompleteSentinel after its last item, on the same first-in first-out queue, and the main thread "
        "emits COMPLETE only once the generator is done and every partition's sentinel was taken. So the estimate the "
        "last partition to finish yields after its records is the stream's last message before COMPLETE."
    ),
    where=(
        "sources/streams/concurrent/partition_reader.py PartitionReader.process_partition; "
        "sources/concurrent_source/concurrent_read_processor.py on_partition_complete_sentinel, _is_stream_done, "
        "_on_stream_is_done; sources/concurrent_source/concurrent_source.py ConcurrentSource._handle_item; "
        "entrypoint.py AirbyteEntrypoint.read, handle_record_counts"
    ),
    relied_on_by=(
        "estimates.py (the estimates of status_changes and of agent_status_intervals read alone, sent by the windows; "
        "the final one by the window that finishes the stream), windows.py, status_changes.py, intervals.py"
    ),
    tests=(
        "test_given_partitions_yield_estimates_when_read_through_entrypoint_then_each_emitted_as_is_before_complete",
    ),
)

ENTRYPOINT_CHECKS_CONFIG_FIRST = Reliance(
    what=(
        "AirbyteEntrypoint.check calls self.validate_connection(spec, config) (a public static method) before it asks "
        "the source, and answers an AirbyteTracedException of failure type config_error raised there as one FAILED "
        "CONNECTION_STATUS carrying the exception's message, exit code 0; launch() is the entrypoint's run() printed "
        "through the CDK's PRINT_BUFFER, so a subclass of AirbyteEntrypoint run the same way behaves as the stock one "
        "except for what it overrides."
    ),
    where="entrypoint.py AirbyteEntrypoint.check, AirbyteEntrypoint.validate_connection, launch",
    relied_on_by=(
        "run.py (AgentActivityEntrypoint.validate_connection answers the spec's schema check in config_rules' words; "
        "run.launch runs that entrypoint as the CDK's launch runs its own)"
    ),
    tests=("test_given_entrypoint_subclass_refuses_config_when_check_then_one_failed_status_with_its_message",),
)

BOUNDED_QUEUE = Reliance(
    what=(
        "Workers hand every item (Record, ready message, partition sentinel) to the main thread through one "
        "queue.Queue of at most 10,000 items, built with the source; a worker's put on a full queue waits. Speed "
        "only: a window emitting intervals (and status_changes' records, when read with them) lets the GIL go every "
        "LET_MAIN_THREAD_DRAIN_EVERY messages so the queue seldom fills; another bound changes no record or state, "
        "only what that pace saves (re-measure with make bench)."
    ),
    where=(
        "sources/declarative/concurrent_declarative_source.py ConcurrentDeclarativeSource.__init__ (Queue(maxsize="
        "10_000), handed to ConcurrentSource.create; ConcurrentSource.__init__ makes the same when given none)"
    ),
    relied_on_by="windowed.py (LET_MAIN_THREAD_DRAIN_EVERY), intervals.py, status_changes.py, windows.py",
    tests=("test_given_the_source_built_then_workers_hand_items_through_one_queue_of_10000_more_than_a_drain_pace",),
)

RELIANCES = (
    READY_MESSAGES_PASS_THROUGH,
    RECORD_COUNTS_IN_STATE,
    SCHEDULING,
    READ_BUILDS_CATALOG_STREAMS,
    NO_RESPONSE_IS_AN_EMPTY_LAST_PAGE,
    TRACED_EXCEPTIONS_PROPAGATE,
    EXTRA_SECOND_ON_BACKOFF,
    STREAM_END_STATE_HOOK,
    PARTITION_STATES_AS_IS,
    ERRORS_SHOWN_AS_THEY_SAY,
    ESTIMATES_BEFORE_STREAM_STATUS,
    ENTRYPOINT_CHECKS_CONFIG_FIRST,
    BOUNDED_QUEUE,
)
