"""The source: the declarative manifest, a `check` that names the setting to fix, and the two streams whose windows
keep their state (status_changes.py, intervals.py)."""

import ast
import logging
from datetime import UTC, datetime
from typing import Any, Iterator, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    Status,
)
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity import intervals, status_changes
from source_agent_activity.config_rules import check_against_spec, validate_config, validate_credentials
from source_agent_activity.sync import SYNC_KEY, Sync
from source_agent_activity.windowed import saved_state
from source_agent_activity.windows import activity_streams


class SourceAgentActivity(YamlDeclarativeSource):
    """Built like every declarative source: from manifest.yaml, with no request and nothing that can fail.

    The config is checked by config_rules.py, whose messages name the field and the fix, when `check`, `discover` or
    `read` starts: before any stream is built or any request is made. A read with a broken rule ends with that rule's
    message as its one error (a config_error without a stack trace) and emits no record and no state. The CDK's own
    check of read and discover configs against the spec's JSON schema, whose messages name no field, is turned off
    for that reason; the one it runs before `check` is the console entry point's (run.py), in the same words.
    """

    check_config_against_spec = False

    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[list[AirbyteStateMessage]] = None,
        sync: Optional[Sync] = None,
        **kwargs: Any,
    ) -> None:
        # What this run's components share (sync.py), handed to them in the config they are built with.
        self.sync = sync or Sync()
        if config is not None:
            config = {**config, SYNC_KEY: self.sync.id}
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state, **kwargs)
        self._windowed_states = {name: saved_state(name, state) for name in self.WINDOWED}

    # The manifest's streams read in windows that keep their state (windows.py).
    WINDOWED = (status_changes.NAME, intervals.NAME)

    def streams(self, config: Mapping[str, Any]) -> list[AbstractStream]:
        """The manifest's streams; status_changes and agent_status_intervals are read in the windows of windows.py,
        which emit their state."""
        streams = super().streams(config)
        windowed = activity_streams(
            {stream.name: stream for stream in streams if stream.name in self.WINDOWED},
            config,
            self._windowed_states,
            self.sync,
            self.logger,
        )
        return [windowed.get(stream.name, stream) for stream in streams]

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """FAILED with the broken rule's own message, else the manifest's check: one record of status_changes.

        The CDK answers a failed check stream with the repr() of its reason; the user gets the text itself.
        """
        try:
            validate_config(config, datetime.now(UTC))
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        self.sync.checking = True
        try:
            status = super().check(logger, config)
        finally:
            self.sync.checking = False
        if status.status == Status.FAILED and status.message and status.message[:1] in "'\"":
            try:
                status.message = str(ast.literal_eval(status.message))
            except (ValueError, SyntaxError):
                pass
        return status

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        """The catalog, built without a request. A config the spec's JSON schema refuses, or blank credentials, stops
        it with the rule's message as a config_error (the streams' authenticators need a whole credentials block);
        the rules the schema cannot say (filters, hosts, dates) are left to `check` and `read`."""
        check_against_spec(config)
        validate_credentials(config["credentials"])
        return super().discover(logger, config)

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[list[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        validate_config(config, datetime.now(UTC))
        selected = {configured.stream.name for configured in catalog.streams}
        self.sync.read_together = set(self.WINDOWED) <= selected
        if self.sync.read_together:
            # One read of LivePerson for both: status_changes' windows emit agent_status_intervals too (windows.py).
            catalog = ConfiguredAirbyteCatalog(
                streams=[configured for configured in catalog.streams if configured.stream.name != intervals.NAME]
            )
        yield from super().read(logger, config, catalog, state)
