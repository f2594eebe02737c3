"""The source: the declarative manifest, a `check` that names the setting to fix, a sync plan in the log, and the
agent_status_intervals stream built on the manifest's (intervals.py)."""

import ast
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Iterator, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    Status,
)
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity import intervals
from source_agent_activity.components import format_time
from source_agent_activity.config_rules import effective_start, history_days, validate_config
from source_agent_activity.progress import PROGRESS

STATUS_CHANGES = "status_changes"


class SourceAgentActivity(YamlDeclarativeSource):
    """Built like every declarative source: from manifest.yaml, with no request and nothing that can fail.

    The config is checked by config_rules.py, whose messages name the field and the fix, when `check` or `read`
    starts: before any stream is built or any request is made. A read with a broken rule ends with that rule's
    message as its one error (a config_error without a stack trace) and emits no record and no state. The CDK's own
    check of read and discover configs against the spec's JSON schema is turned off for that reason; before `check`
    the CDK still runs it, as it always does.
    """

    check_config_against_spec = False

    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[list[AirbyteStateMessage]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state, **kwargs)
        self._saved_intervals = intervals.saved_state(state)

    def streams(self, config: Mapping[str, Any]) -> list[AbstractStream]:
        """The manifest's streams; agent_status_intervals is its status changes turned into intervals (intervals.py)."""
        return [
            intervals.intervals_stream(stream, config, self._saved_intervals, self.logger)
            if stream.name == intervals.NAME
            else stream
            for stream in super().streams(config)
        ]

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """FAILED with the broken rule's own message, else the manifest's check: one record of status_changes.

        The CDK answers a failed check stream with the repr() of its reason; the user gets the text itself.
        """
        try:
            validate_config(config, datetime.now(UTC))
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        status = super().check(logger, config)
        if status.status == Status.FAILED and status.message and status.message[:1] in "'\"":
            try:
                status.message = str(ast.literal_eval(status.message))
            except (ValueError, SyntaxError):
                pass
        return status

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[list[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        now = datetime.now(UTC)
        validate_config(config, now)
        if any(configured.stream.name == STATUS_CHANGES for configured in catalog.streams):
            self._log_status_changes_plan(logger, config, state, now)
        yield from super().read(logger, config, catalog, state)

    def _log_status_changes_plan(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        state: Optional[list[AirbyteStateMessage]],
        now: datetime,
    ) -> None:
        """Say where status_changes starts and how many windows its cursor made (the progress lines count down)."""
        _, clamped_from = effective_start(config, now)
        if clamped_from is not None:
            logger.info(
                f"start_date {format_time(clamped_from)} is older than the {history_days(config)} days LivePerson "
                f"keeps (history_days): reading from {config['__start']} instead."
            )
        [stream] = [stream for stream in self.streams(config) if stream.name == STATUS_CHANGES]
        windows = list(stream.cursor.stream_slices())
        PROGRESS.reset(STATUS_CHANGES, expected=len(windows))
        if not windows:
            logger.info("status_changes has nothing to read: its saved state is at the end of the range.")
            return
        saved = _saved_time(state)
        if saved is not None:
            logger.info(
                f"status_changes resumes from its saved state {saved}, re-reading {config['lookback_minutes']} "
                f"minutes before it (lookback_minutes): from {windows[0]['start_time']}."
            )
        logger.info(
            f"status_changes will read {windows[0]['start_time']} to {windows[-1]['end_time']} in {len(windows)} "
            f"window(s) of up to {timedelta(days=config['window_size_days']).days} day(s), "
            f"{config['num_workers']} at a time."
        )


def _saved_time(state: Optional[list[AirbyteStateMessage]]) -> Optional[str]:
    for message in state or []:
        stream = getattr(message, "stream", None)
        if stream is None or stream.stream_descriptor.name != STATUS_CHANGES or stream.stream_state is None:
            continue
        value = getattr(stream.stream_state, "time", None)
        return value if isinstance(value, str) else None
    return None
