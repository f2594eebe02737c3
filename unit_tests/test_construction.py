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
        pytest.param({"start_date": "2026-06-10T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, id="end_before_start"),
        pytest.param({"domain": "https://x/y"}, id="host_is_a_url"),
        pytest.param({"agent_id": 1, "employee_id": "E1"}, id="two_filters"),
    ],
)
def test_given_config_breaking_a_rule_the_spec_cannot_say_when_built_and_discovered_then_catalog_and_no_connection(
    connections, change: dict
) -> None:
    config = {**_discovering_config(), **change}

    output = discover(SourceAgentActivity(config=config, catalog=None, state=None), config)

    assert output.errors == [] and len(output.catalog.catalog.streams) == len(STREAM_NAMES)
    assert connections == []


@pytest.mark.parametrize(
    "change, named",
    [
        pytest.param({"window_size_days": 0}, "window_size_days must be a whole number from 1 to 28", id="window_0"),
        pytest.param({"window_size_days": "seven"}, "window_size_days must be", id="window_not_a_number"),
        pytest.param({"lookback_minutes": -1}, "lookback_minutes must be", id="lookback_negative"),
        pytest.param({"num_workers": 0}, "num_workers must be", id="no_workers"),
        pytest.param({"start_date": "yesterday"}, "start_date 'yesterday' is not a date-time", id="not_a_date"),
        pytest.param({"account_id": None}, "account_id is missing", id="no_account_id"),
        pytest.param({"credentials": None}, "credentials is missing: choose", id="no_credentials"),
        pytest.param(
            {"credentials": {"auth_type": "basic", "client_id": "c"}}, "credentials.auth_type 'basic'", id="basic"
        ),
        pytest.param(
            {"credentials": {"auth_type": "oauth2_client_credentials", "client_id": "c", "client_secret": " "}},
            "credentials.client_secret is missing or empty",
            id="blank_secret",
        ),
    ],
)
def test_given_config_the_spec_refuses_when_built_and_discovered_then_config_error_naming_the_field_and_no_connection(
    connections, change: dict, named: str
) -> None:
    """The source is built whatever the config; discover answers with the rule's message, not a crash in the CDK."""
    config = {**_discovering_config(), **change}

    output = discover(
        SourceAgentActivity(config=config, catalog=None, state=None),
        config,
        expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION,
    )

    assert output.get_message_by_types([Type.CATALOG]) == []
    [error] = output.errors
    assert error.trace.error.failure_type == FailureType.config_error
    assert error.trace.error.message.startswith(named), error.trace.error.message
    assert error.trace.error.stack_trace is None
    assert connections == []
