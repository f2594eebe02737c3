"""Building the source, `spec` and `discover` ask nothing of the network and never fail on a config rule; only
`discover` without usable credentials (which its streams' authenticators need) ends, with that rule's message.

That is how the CDK builds every source (its standard suite included): once, from the config alone, often without a
catalog. The config is only judged, and hosts only looked up, when `check` or `read` starts.
"""

import logging
import socket

import pytest
from airbyte_cdk.models import FailureType, SyncMode, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover
from airbyte_cdk.test.models.scenario import ExpectedOutcome

from source_agent_activity import SourceAgentActivity
from unit_tests.support.config import ConfigBuilder, catalog, state


class NoNetwork(Exception):
    pass


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every socket connection attempted; each one is refused."""
    attempted: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempted.append(address)
        raise NoNetwork(f"connection to {address} attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempted


def _discovering_config() -> dict:
    """Nothing overridden: every host would come from the Domain API."""
    return ConfigBuilder().with_discovery().build()


STREAM_NAMES = ["status_changes", "agent_status_intervals", "agents", "agent_groups", "status_reasons"]
ALL_STREAMS = CatalogBuilder()
for _name in STREAM_NAMES:
    ALL_STREAMS = ALL_STREAMS.with_stream(_name, SyncMode.full_refresh)


@pytest.mark.parametrize(
    "catalog_, state_",
    [
        pytest.param(None, None, id="config_only"),
        pytest.param(ALL_STREAMS.build(), None, id="with_catalog"),
        pytest.param(catalog(SyncMode.incremental), state("2026-06-02T00:00:00.000Z"), id="with_catalog_and_state"),
    ],
)
def test_given_config_when_source_built_then_no_connection_is_attempted(connections, catalog_, state_) -> None:
    source = SourceAgentActivity(config=_discovering_config(), catalog=catalog_, state=state_)

    assert [stream.name for stream in source.streams(_discovering_config())] == STREAM_NAMES
    assert connections == []


def test_given_config_when_discover_then_catalog_without_a_connection(connections) -> None:
    config = _discovering_config()

    output = discover(SourceAgentActivity(config=config, catalog=None, state=None), config)

    assert sorted(stream.name for stream in output.catalog.catalog.streams) == sorted(STREAM_NAMES)
    assert connections == []


def test_given_no_config_when_spec_then_spec_without_a_connection(connections) -> None:
    spec = SourceAgentActivity().spec(logging.getLogger("airbyte"))

    assert spec.connectionSpecification["title"] == "LivePerson Agent Activity"
    assert connections == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"window_size_days": 0}, id="window_0"),
        pytest.param({"window_size_days": "seven"}, id="window_not_a_number"),
        pytest.param({"lookback_minutes": -1}, id="lookback_negative"),
        pytest.param({"num_workers": 0}, id="no_workers"),
        pytest.param({"start_date": "yesterday"}, id="start_date_not_a_date"),
        pytest.param({"start_date": "2026-06-10T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, id="end_before_start"),
        pytest.param({"domain": "https://x/y"}, id="host_is_a_url"),
        pytest.param({"account_id": None}, id="no_account_id"),
    ],
)
def test_given_config_breaking_a_rule_when_built_and_discovered_then_no_failure_and_no_connection(
    connections, change: dict
) -> None:
    """The rule's message comes from `check` and `read`; building and discovering never fail on it."""
    config = {**_discovering_config(), **change}

    output = discover(SourceAgentActivity(config=config, catalog=None, state=None), config)

    assert output.errors == [] and len(output.catalog.catalog.streams) == len(STREAM_NAMES)
    assert connections == []


@pytest.mark.parametrize(
    "credentials, named",
    [
        pytest.param(None, "credentials are missing", id="no_credentials"),
        pytest.param({"auth_type": "basic", "client_id": "c"}, "credentials.auth_type 'basic'", id="unknown_auth_type"),
    ],
)
def test_given_unusable_credentials_when_discover_then_config_error_naming_them_and_no_connection(
    connections, credentials, named: str
) -> None:
    """Without an auth type no stream can be built: the rule's message, not a crash inside the CDK."""
    config = {key: value for key, value in _discovering_config().items() if key != "credentials"}
    if credentials is not None:
        config["credentials"] = credentials

    output = discover(
        SourceAgentActivity(config=config, catalog=None, state=None),
        config,
        expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION,
    )

    assert output.get_message_by_types([Type.CATALOG]) == []
    [error] = output.errors
    assert error.trace.error.failure_type == FailureType.config_error
    assert error.trace.error.message.startswith(named)
    assert error.trace.error.stack_trace is None
    assert connections == []
