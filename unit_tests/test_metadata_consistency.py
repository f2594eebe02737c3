"""Packaging metadata agrees with itself: metadata.yaml, setup.py, the Dockerfile, docker/ scripts and the spec.

Airbyte reads the image name and version from metadata.yaml, pip from setup.py, and the platform from the
image's labels; a release where they disagree publishes an image under the wrong tag. Nothing here builds an
image (`make docker-test` does that).
"""

import ast
import logging
import re
import shlex
import uuid
from pathlib import Path

import pytest
import yaml

from source_agent_activity import SourceAgentActivity

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def metadata() -> dict:
    document = yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))
    assert document["metadataSpecVersion"] == "1.0"
    return document["data"]


@pytest.fixture(scope="module")
def setup_py() -> dict:
    """VERSION and the keyword arguments of setup(), read without running setup.py."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    found: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "VERSION" for t in node.targets):
            found["VERSION"] = ast.literal_eval(node.value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup":
            for keyword in node.keywords:
                try:
                    found[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    pass  # e.g. version=VERSION, packages=find_packages(...)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> dict:
    """ARG defaults, LABELs, ENVs and the ENTRYPOINT of the Dockerfile (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    parsed: dict = {"args": {}, "labels": {}, "env": {}, "entrypoint": None, "users": []}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and "=" in rest:
            name, value = rest.split("=", 1)
            parsed["args"][name.strip()] = shlex.split(value)[0]
        elif instruction in ("LABEL", "ENV"):
            target = parsed["labels" if instruction == "LABEL" else "env"]
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                target[name] = value
        elif instruction == "ENTRYPOINT":
            parsed["entrypoint"] = ast.literal_eval(rest)
        elif instruction == "USER":
            parsed["users"].append(rest.strip())
    return parsed


def image_name(reference: str) -> str:
    """`docker.io/airbyte/x:1.2@sha256:...` -> `airbyte/x:1.2`: the same image, however it is written."""
    reference = reference.split("@", 1)[0]
    return reference.removeprefix("docker.io/").removeprefix("library/")


def test_versions_agree(metadata: dict, setup_py: dict, dockerfile: dict) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(metadata["dockerImageTag"])), metadata["dockerImageTag"]
    assert str(metadata["dockerImageTag"]) == setup_py["VERSION"]
    assert dockerfile["labels"]["io.airbyte.version"] == setup_py["VERSION"]


def test_image_name_agrees(metadata: dict, dockerfile: dict) -> None:
    assert metadata["dockerRepository"] == "airbyte/source-agent-activity"
    assert dockerfile["labels"]["io.airbyte.name"] == metadata["dockerRepository"]
    assert metadata["githubIssueLabel"] == metadata["dockerRepository"].split("/", 1)[1]


def test_base_image_agrees(metadata: dict, dockerfile: dict) -> None:
    base = image_name(metadata["connectorBuildOptions"]["baseImage"])
    assert base.startswith("airbyte/python-connector-base:"), base
    assert image_name(dockerfile["args"]["BASE_IMAGE"]) == base
    # docker/build-base-image.sh looks for (and stands in for) the same image.
    common = (ROOT / "docker" / "common.sh").read_text(encoding="utf-8")
    match = re.search(r'AIRBYTE_BASE_IMAGE="\$\{AIRBYTE_BASE_IMAGE:-([^}]+)\}"', common)
    assert match and image_name(match.group(1)) == base


def test_entrypoint_is_the_console_script(setup_py: dict, dockerfile: dict) -> None:
    scripts = {entry.split("=", 1)[0].strip() for entry in setup_py["entry_points"]["console_scripts"]}
    assert "source-agent-activity" in scripts
    assert dockerfile["env"]["AIRBYTE_ENTRYPOINT"] == "source-agent-activity"
    assert dockerfile["entrypoint"] == ["source-agent-activity"]
    assert dockerfile["users"] and dockerfile["users"][-1] not in ("root", "0"), "the image must not run as root"


def test_registry_fields(metadata: dict) -> None:
    assert uuid.UUID(metadata["definitionId"]).version == 4
    assert metadata["connectorType"] == "source"
    assert metadata["connectorSubtype"] == "api"
    assert {"language:python", "cdk:low-code"} <= set(metadata["tags"])
    assert metadata["license"] == "MIT"
    assert metadata["documentationUrl"].startswith("https://")
    assert "api.liveperson.net" in metadata["allowedHosts"]["hosts"]
    assert metadata["registryOverrides"]["cloud"]["enabled"] is True
    assert metadata["registryOverrides"]["oss"]["enabled"] is True
    icon = ROOT / metadata["icon"]
    assert icon.is_file() and icon.stat().st_size < 2048
    assert icon.read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_spec_agrees_with_metadata(metadata: dict) -> None:
    spec = SourceAgentActivity().spec(logging.getLogger("test"))
    assert spec.connectionSpecification["title"] == metadata["name"]
    assert "account_id" in spec.connectionSpecification["properties"]
    assert spec.documentationUrl == metadata["documentationUrl"]
