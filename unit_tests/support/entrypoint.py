"""Running the connector the way Airbyte does (through its entrypoint), and reading what it printed."""

import json
from pathlib import Path
from typing import Optional

from airbyte_cdk.models import AirbyteConnectionStatus, AirbyteErrorTraceMessage, ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, read
from airbyte_cdk.test.models.outcome import ExpectedOutcome

from source_agent_activity import SourceAgentActivity
from source_agent_activity.sync import Sync
from unit_tests.support.config import SECRETS, catalog

# The instant every read and check test runs at: 180 days before it is 2025-12-17T12:00:00Z.
NOW = "2026-06-15T12:00:00Z"
EARLIEST = "2025-12-17T12:00:00.000Z"


class _TestSync:
    """The Sync every source a test builds through these helpers shares: its parts run on the test's fake clocks
    (unit_tests/conftest.py sets it for each test), as one connector run's parts would."""

    current: Optional[Sync] = None


def use_sync(sync: Optional[Sync]) -> None:
    _TestSync.current = sync


def current_sync() -> Sync:
    """The Sync of the running test."""
    assert _TestSync.current is not None, "unit_tests/conftest.py gives every test its Sync"
    return _TestSync.current


def read_catalog(
    config: dict,
    configured_catalog: ConfiguredAirbyteCatalog,
    state: Optional[list] = None,
    expect_failure: bool = False,
) -> EntrypointOutput:
    """`read` of the catalog's streams, the source built with catalog, config and state as run.py builds it."""
    source = SourceAgentActivity(catalog=configured_catalog, config=config, state=state, sync=current_sync())
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, configured_catalog, state, expected_outcome=outcome)


def read_status_changes(
    config: dict,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: Optional[list] = None,
    expect_failure: bool = False,
) -> EntrypointOutput:
    """`read` of status_changes alone."""
    return read_catalog(config, catalog(sync_mode), state, expect_failure)


def check(config: dict, tmp_path: Path) -> EntrypointOutput:
    """`check`, with the config in a file as Airbyte passes it."""
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    return _run_command(
        SourceAgentActivity(config=config, sync=current_sync()), ["check", "--config", str(config_path)]
    )


def connection_status(output: EntrypointOutput) -> AirbyteConnectionStatus:
    """The one CONNECTION_STATUS a check must answer with."""
    [message] = output.connection_status_messages
    return message.connectionStatus


def stream_errors(output: EntrypointOutput) -> list[AirbyteErrorTraceMessage]:
    """The errors streams failed with, in order, without the summary error the CDK adds for the whole sync."""
    return [message.trace.error for message in output.errors if message.trace.error.stream_descriptor]


def stream_error(output: EntrypointOutput) -> AirbyteErrorTraceMessage:
    """The error the stream failed with (the first one, if several streams failed)."""
    return stream_errors(output)[0]


def record_times(output: EntrypointOutput) -> list[str]:
    return [message.record.data["time"] for message in output.records]


def state_time(output: EntrypointOutput) -> str:
    return output.most_recent_state.stream_state.time


def states(output: EntrypointOutput) -> list[dict]:
    """Every state the sync saved, in order."""
    return [message.state.stream.stream_state.__dict__ for message in output.state_messages]


def secrets_printed(output: EntrypointOutput) -> list[str]:
    """The fake secrets that appear anywhere in what the connector printed (logs, traces, statuses)."""
    printed = "\n".join(str(message) for message in output.get_message_iterator())
    return [secret for secret in SECRETS if secret in printed]
