"""Running the connector the way Airbyte does (through its entrypoint), and reading what it printed."""

import json
from pathlib import Path
from typing import Optional

from airbyte_cdk.models import AirbyteConnectionStatus, AirbyteErrorTraceMessage, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, read
from airbyte_cdk.test.models.outcome import ExpectedOutcome

from source_agent_activity import SourceAgentActivity
from unit_tests.support.config import SECRETS, catalog

# The instant every read and check test runs at: 180 days before it is 2025-12-17T12:00:00Z.
NOW = "2026-06-15T12:00:00Z"
EARLIEST = "2025-12-17T12:00:00.000Z"


def read_status_changes(
    config: dict,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: Optional[list] = None,
    expect_failure: bool = False,
) -> EntrypointOutput:
    """`read` of status_changes, the source built with catalog, config and state as run.py builds it."""
    configured = catalog(sync_mode)
    source = SourceAgentActivity(catalog=configured, config=config, state=state)
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, configured, state, expected_outcome=outcome)


def check(config: dict, tmp_path: Path) -> EntrypointOutput:
    """`check`, with the config in a file as Airbyte passes it."""
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    return _run_command(SourceAgentActivity(config=config), ["check", "--config", str(config_path)])


def connection_status(output: EntrypointOutput) -> AirbyteConnectionStatus:
    """The one CONNECTION_STATUS a check must answer with."""
    [message] = output.connection_status_messages
    return message.connectionStatus


def stream_error(output: EntrypointOutput) -> AirbyteErrorTraceMessage:
    """The error the stream failed with (the CDK adds a summary error for the whole sync after it)."""
    return next(message.trace.error for message in output.errors if message.trace.error.stream_descriptor)


def record_times(output: EntrypointOutput) -> list[str]:
    return [message.record.data["time"] for message in output.records]


def state_time(output: EntrypointOutput) -> str:
    return output.most_recent_state.stream_state.time


def secrets_printed(output: EntrypointOutput) -> list[str]:
    """The fake secrets that appear anywhere in what the connector printed (logs, traces, statuses)."""
    printed = "\n".join(str(message) for message in output.get_message_iterator())
    return [secret for secret in SECRETS if secret in printed]
