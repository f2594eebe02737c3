"""Airbyte's standard connector tests (`airbyte_cdk.test.standard_tests`) against the bundled LivePerson simulator.

The scenarios are the configs of `acceptance-test-config.yml` at the repository root; `conftest.py` here starts the
simulator that `secrets/simulator_config.json` points at. The suite runs the connector in-process (the CDK's
`AirbyteEntrypoint`), not the console script; `create_connector` gives it a source that is built for each command
the way `source_agent_activity/run.py` builds it.
"""

import logging
from collections.abc import Iterator
from typing import Any, Mapping, Optional

import pytest
from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    FailureType,
    Status,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.test.standard_tests import ConnectorTestScenario, SourceTestSuiteBase
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.source import SourceAgentActivity

# The suite's fixtures and its `pytest_generate_tests` (one test per acceptance-test-config scenario). A test module
# may name plugins; a conftest below the rootdir may not.
pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

_DOCKER_SKIP = (
    "Docker image tests build the image FROM airbyte/python-connector-base and compare the spec with the "
    "published one at connectors.airbyte.com; no container registry is reachable from here. `make docker-test` "
    "builds the image on a locally built base image and runs spec/check/discover/read in it against the simulator."
)


class _BuiltPerCommand(Source):
    """`SourceAgentActivity`, built for each command with that command's config, catalog and state, as `run.py` does.

    The CDK's declarative sources take their config, catalog and state in the constructor, and this one needs the
    catalog there: a read looks up the hosts of the streams it selected only. The suite, though, builds its
    connector before the command and hands config and catalog over as file arguments. This wrapper builds the source
    once the entrypoint has read them, and answers like `run.py` when building fails (the constructor validates the
    config and discovers the account's hosts): `check` reports a config error as a FAILED connection status; any
    other failure is raised, and the entrypoint reports it as an error.
    """

    def __init__(self) -> None:
        self._source: Optional[SourceAgentActivity] = None

    @property
    def message_repository(self) -> Optional[MessageRepository]:
        """What the entrypoint flushes after each command: the built source's queued messages."""
        return self._source.message_repository if self._source is not None else None

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return SourceAgentActivity().spec(logger)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        try:
            self._source = SourceAgentActivity(config=config)
        except AirbyteTracedException as error:
            if error.failure_type != FailureType.config_error:
                raise
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        return self._source.check(logger, config)

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        self._source = SourceAgentActivity(config=config)
        return self._source.discover(logger, config)

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[list[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        self._source = SourceAgentActivity(catalog=catalog, config=config, state=state)
        yield from self._source.read(logger, config, catalog, state)


class TestSourceAgentActivity(SourceTestSuiteBase):
    """spec, check, discover and read as acceptance-test-config.yml declares them, against the simulator."""

    # The repository directory is not named after the connector: name it for the suite's messages.
    connector_name = "source-agent-activity"

    @classmethod
    def create_connector(cls, scenario: Optional[ConnectorTestScenario]) -> Source:
        """The source as the console script runs it (see `_BuiltPerCommand`); the config comes as `--config`."""
        return _BuiltPerCommand()

    # The suite's Docker image tests, skipped with the reason (`make docker-test` covers the image).

    def test_docker_image_build_and_spec(self) -> None:
        pytest.skip(_DOCKER_SKIP)

    def test_docker_image_spec_backward_compatibility(self) -> None:
        pytest.skip(_DOCKER_SKIP)

    def test_docker_image_build_and_check(self) -> None:
        pytest.skip(_DOCKER_SKIP)

    def test_docker_image_build_and_config_matches_spec(self) -> None:
        pytest.skip(_DOCKER_SKIP)

    def test_docker_image_build_and_discover(self) -> None:
        pytest.skip(_DOCKER_SKIP)

    def test_docker_image_build_and_read(self) -> None:
        pytest.skip(_DOCKER_SKIP)


def test_every_docker_test_of_the_suite_is_overridden() -> None:
    """A CDK upgrade that adds a Docker test must not make `make test` try to reach a registry."""
    docker_tests = {name for name in dir(SourceTestSuiteBase) if name.startswith("test_docker")}
    assert docker_tests, "the suite's Docker tests were renamed: update the overrides above"
    assert docker_tests <= set(vars(TestSourceAgentActivity))
