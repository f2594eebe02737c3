"""`discover`: the catalog Airbyte shows, with status_changes readable incrementally on `time`."""

import pytest
from airbyte_cdk.models import AirbyteStream, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import discover

from source_agent_activity import SourceAgentActivity
from unit_tests.support.config import ConfigBuilder


@pytest.fixture(scope="module")
def status_changes() -> AirbyteStream:
    config = ConfigBuilder().without_start_date().without_end_date().build()
    output = discover(SourceAgentActivity(config=config), config)
    return next(stream for stream in output.catalog.catalog.streams if stream.name == "status_changes")


def test_given_config_when_discover_then_status_changes_supports_incremental(status_changes: AirbyteStream) -> None:
    assert set(status_changes.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}


def test_given_config_when_discover_then_status_changes_cursor_is_time(status_changes: AirbyteStream) -> None:
    assert status_changes.default_cursor_field == ["time"]


def test_given_config_when_discover_then_primary_key_identifies_one_state_change(
    status_changes: AirbyteStream,
) -> None:
    assert status_changes.source_defined_primary_key == [["agentId"], ["time"], ["statusType"], ["sequenceNumber"]]


def test_given_config_when_discover_then_agent_id_is_an_integer(status_changes: AirbyteStream) -> None:
    assert status_changes.json_schema["properties"]["agentId"]["type"] == "integer"
