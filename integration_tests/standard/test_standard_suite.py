"""Airbyte's standard connector tests (`airbyte_cdk.test.standard_tests`) against the bundled LivePerson simulator.

The scenarios are the configs of `acceptance-test-config.yml` at the repository root; `conftest.py` here starts the
simulator that `secrets/simulator_config.json` points at. The suite runs the connector in-process (the CDK's
`AirbyteEntrypoint`), and builds it the way the CDK's declarative suite builds every source: once per scenario, with
the scenario's config and no catalog or state.
"""

from typing import Optional

import pytest
from airbyte_cdk.test.standard_tests import ConnectorTestScenario, SourceTestSuiteBase

from source_agent_activity.source import SourceAgentActivity

# The suite's fixtures and its `pytest_generate_tests` (one test per acceptance-test-config scenario). A test module
# may name plugins; a conftest below the rootdir may not.
pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

_DOCKER_SKIP = (
    "Docker image tests build the image FROM airbyte/python-connector-base and compare the spec with the "
    "published one at connectors.airbyte.com; no container registry is reachable from here. `make docker-test` "
    "builds the image on a locally built base image and runs spec/check/discover/read in it against the simulator."
)


class TestSourceAgentActivity(SourceTestSuiteBase):
    """spec, check, discover and read as acceptance-test-config.yml declares them, against the simulator."""

    # The repository directory is not named after the connector: name it for the suite's messages.
    connector_name = "source-agent-activity"

    @classmethod
    def create_connector(cls, scenario: Optional[ConnectorTestScenario]) -> SourceAgentActivity:
        """The scenario's config at construction, no catalog, no state: as the CDK's declarative suite does."""
        config = (scenario or ConnectorTestScenario()).get_config_dict(
            empty_if_missing=True, connector_root=cls.get_connector_root_dir()
        )
        return SourceAgentActivity(config=config, catalog=None, state=None)

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
