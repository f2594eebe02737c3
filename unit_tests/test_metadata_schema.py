"""metadata.yaml as Airbyte reads it: valid against Airbyte's own metadata model, the base image pinned as Airbyte's
validators require, and the Dockerfile and docker/ scripts building FROM exactly that reference.

The model is airbyte-connector-models' ConnectorMetadataDefinitionV0, which Airbyte validates every metadata.yaml
with (it is in the dev extras). `make qa` runs the rest of Airbyte's tooling: the pre-upload validators, the
connector QA checks and the changelog parser.
"""

import copy
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 13), reason="airbyte-connector-models 0.1.12 supports Python 3.10 to 3.12 only"
)

# Airbyte's validators split `<image>:<tag>@sha256:<digest>` on ':' (validate_metadata_base_images_in_dockerhub).
PINNED_BASE_IMAGE = re.compile(r"docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}")


@pytest.fixture(scope="module")
def metadata_document() -> dict:
    return yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def metadata_model():
    from airbyte_connector_models.metadata.v0.connector_metadata_definition_v0 import (
        ConnectorMetadataDefinitionV0,
    )

    return ConnectorMetadataDefinitionV0


def test_given_metadata_yaml_when_validated_with_airbytes_model_then_it_is_valid(metadata_document, metadata_model):
    model = metadata_model.model_validate(metadata_document)

    assert model.data.docker_repository == "airbyte/source-agent-activity"
    assert model.data.remote_registries.pypi.package_name == "airbyte-source-agent-activity"


def test_given_pypi_entry_without_package_name_when_validated_then_rejected(metadata_document, metadata_model):
    from pydantic import ValidationError

    document = copy.deepcopy(metadata_document)
    del document["data"]["remoteRegistries"]["pypi"]["packageName"]

    with pytest.raises(ValidationError, match="packageName"):
        metadata_model.model_validate(document)


def test_given_base_image_when_read_then_pinned_by_digest(metadata_document):
    base_image = metadata_document["data"]["connectorBuildOptions"]["baseImage"]

    assert PINNED_BASE_IMAGE.fullmatch(base_image), base_image


def test_given_dockerfile_and_docker_scripts_when_read_then_they_name_the_same_pinned_base_image(metadata_document):
    base_image = metadata_document["data"]["connectorBuildOptions"]["baseImage"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    common = (ROOT / "docker" / "common.sh").read_text(encoding="utf-8")

    dockerfile_default = re.search(r"^ARG BASE_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    script_default = re.search(r'^AIRBYTE_BASE_IMAGE="\$\{AIRBYTE_BASE_IMAGE:-([^}]+)\}"$', common, re.MULTILINE)

    assert dockerfile_default and dockerfile_default.group(1) == base_image
    assert script_default and script_default.group(1) == base_image


def test_given_declared_test_suites_when_listed_then_each_has_its_test_folder(metadata_document):
    folders = {"unitTests": "unit_tests", "integrationTests": "integration_tests"}

    suites = [options["suite"] for options in metadata_document["data"]["connectorTestSuitesOptions"]]

    assert suites and set(suites) <= set(folders), suites
    for suite in suites:
        assert any((ROOT / folders[suite]).glob("test_*.py")), f"{suite} declared, but {folders[suite]}/ has no tests"
