"""Airbyte's own acceptance tooling, run offline against this repository (`make qa`).

What runs, from the PyPI packages pinned in qa/requirements.txt (installed into `.venv-qa/` by `make qa`):
  1. `ConnectorMetadataDefinitionV0` (airbyte-connector-models): the schema Airbyte validates metadata.yaml against;
  2. every validator in `airbyte_ops_mcp.metadata_validator.PRE_UPLOAD_VALIDATORS`, one at a time;
  3. every check in `airbyte_ops_mcp.connector_qa.checks.ENABLED_CHECKS` (Airbyte's connector QA: metadata,
     packaging, assets, security, version, and the documentation template checks);
  4. `airbyte_ops_mcp.airbyte_repo.bump_version.parse_changelog`, the changelog parser of Airbyte's version
     tooling, on the docs page; its table must say what CHANGELOG.md says.

The checks read Airbyte's monorepo layout, relative to the working directory. This script copies the repository
(the files git tracks or would track) into a temporary git repository laid out that way:
    airbyte-integrations/connectors/source-agent-activity/   this repository
    docs/integrations/sources/agent-activity.md              docs/agent-activity.md

Only what needs the network is replaced, each by the answer it would give for a connector that was never published:
  - the registry catalogs (`download_catalog`): list no connector, so this one is "not released";
  - master's metadata.yaml (`CheckVersionIncrement._get_master_metadata`): none, "a new connector";
  - Docker Hub (`is_image_on_docker_hub`, `get_latest_version_on_dockerhub`): knows the base image Airbyte publishes
    (PUBLISHED_IMAGES) and no tag of airbyte/source-agent-activity.
Any other request the checks make goes out as it is; on a machine without internet access it fails, and the result
line says which requests did not get an answer (the links check counts an unreachable link as valid).

Prints one line per check: pass, fail, skip (the check does not apply, for the reason given) or expected-fail (see
EXPECTED_FAILURES); exits 1 if any check fails unexpectedly, an expected failure passes, or a check is skipped that
was expected to run.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

# airbyte-internal-ops imports PyAirbyte, whose telemetry would report this run (and write ~/.airbyte/): off.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")

import requests
import yaml
from airbyte_connector_models.metadata.v0.connector_metadata_definition_v0 import ConnectorMetadataDefinitionV0
from airbyte_ops_mcp import metadata_validator
from airbyte_ops_mcp.airbyte_repo import bump_version
from airbyte_ops_mcp.connector_ops import utils as connector_ops_utils
from airbyte_ops_mcp.connector_qa.checks import ENABLED_CHECKS
from airbyte_ops_mcp.connector_qa.checks.version import CheckVersionIncrement
from airbyte_ops_mcp.connector_qa.models import CheckStatus
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parent.parent
CONNECTOR = "source-agent-activity"
DOCS_PAGE = Path("docs/agent-activity.md")  # in this repository
CHANGELOG = Path("CHANGELOG.md")
CONNECTOR_DIR = Path("airbyte-integrations/connectors") / CONNECTOR  # in the monorepo layout
MONOREPO_DOCS_PAGE = Path("docs/integrations/sources/agent-activity.md")

# Checks that contradict what this project keeps, and why. README.md ("Airbyte's own checks") says the same.
EXPECTED_FAILURES = {
    "CheckConnectorUsesPoetry": (
        "the project is packaged with setup.py and pip (`pip install -e .[dev]`, the image's `pip install .`), "
        "not Poetry: there is no poetry.lock, and setup.py is what the build and the tests read"
    ),
    "CheckConnectorLicenseMatchInPyproject": (
        "it reads `tool.poetry.license` from pyproject.toml; the license is declared in setup.py (MIT, the same as "
        "metadata.yaml); pyproject.toml only configures ruff and pytest"
    ),
    "CheckConnectorVersionMatchInPyproject": (
        "it reads `tool.poetry.version` from pyproject.toml; the version is setup.py's VERSION, and "
        "unit_tests/test_metadata_consistency.py checks that it equals dockerImageTag and the Dockerfile label"
    ),
    "CheckConnectorUsesPythonBaseImage": (
        "it fails whenever a Dockerfile exists; ours builds FROM the base image that metadata.yaml declares, pinned "
        "by the same digest (unit_tests/test_metadata_schema.py checks they are the same reference), so that "
        "`docker build .` works without Airbyte's build tooling"
    ),
}

# Checks that do not apply to this connector, and why. Any other skip is a failure: it would hide a check.
EXPECTED_SKIPS = {
    "CheckConnectorMaxSecondsBetweenMessagesValue": (
        "it applies to certified connectors only; supportLevel is community, because Airbyte has not certified this "
        "connector (maxSecondsBetweenMessages is set anyway)"
    ),
    "CheckManifestOnlyConnectorBaseImage": (
        "it applies to manifest-only connectors; this one is a Python package (low-code manifest plus components)"
    ),
}

# What Docker Hub holds, as far as these checks need to know: image -> tag -> digest. The digest is the one Airbyte's
# own connectors pin for this tag, e.g. airbytehq/airbyte
# airbyte-integrations/connectors/source-google-drive/metadata.yaml (connectorBuildOptions.baseImage).
PUBLISHED_IMAGES = {
    "airbyte/python-connector-base": {
        "4.0.2": "sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73",
    },
}


@dataclass
class Result:
    name: str
    status: str  # pass, fail, skip, expected-fail
    message: str
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "skip", "expected-fail")

    def line(self) -> str:
        """`status name: message`, then the message's further lines and the notes, each indented on its own line."""
        first, *rest = [text.strip() for text in self.message.strip().splitlines() if text.strip()] or [""]
        lines = [f"{self.status:<13} {self.name}: {first}"]
        lines += [f"{'':14}{text}" for text in rest]
        lines += [f"{'':14}note: {note}" for note in self.notes]
        return "\n".join(lines)


# --- The monorepo layout -------------------------------------------------------------------------------------------


def repository_files(root: Path) -> list[Path]:
    """The files git tracks or would track (untracked but not ignored), relative to root: no venvs, no caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({Path(name) for name in listed.split("\0") if name and (root / name).is_file()})


def build_monorepo(root: Path, target: Path) -> None:
    """Lay the repository out in `target` as Airbyte's monorepo holds a connector, and commit it in a new git repo."""
    connector_dir = target / CONNECTOR_DIR
    for relative in repository_files(root):
        destination = connector_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, destination)
    docs_page = target / MONOREPO_DOCS_PAGE
    docs_page.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / DOCS_PAGE, docs_page)
    identity = ["-c", "user.name=make qa", "-c", "user.email=qa@localhost", "-c", "commit.gpgsign=false"]
    for args in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "--message", "connector"]):
        subprocess.run(["git", *identity, *args], cwd=target, check=True, capture_output=True)


# --- Network: stubs for what needs it, a record of everything else -------------------------------------------------


def no_registry_lists_it(catalog_url: str) -> dict:
    """The registry catalog as it is for a connector that was never published: it lists neither this nor any other."""
    return {"sources": [], "destinations": []}


def master_has_no_metadata(self: CheckVersionIncrement, connector: object) -> None:
    """master's metadata.yaml for a new connector: there is none (what the check gets as a 404)."""
    return None


def docker_hub_has_image(image_name: str, version: str, digest: str | None = None, **_: object) -> bool:
    """Docker Hub's tag lookup, answered from PUBLISHED_IMAGES; `digest` is the hex part, without `sha256:`."""
    published = PUBLISHED_IMAGES.get(image_name.removeprefix("docker.io/"), {}).get(version)
    return published is not None and (digest is None or published == f"sha256:{digest}")


def docker_hub_latest_version(image_name: str) -> None:
    """The latest released tag on Docker Hub: none, as for a connector never published (Docker Hub answers 404)."""
    return None


@contextmanager
def offline_stubs() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(connector_ops_utils, "download_catalog", no_registry_lists_it))
        stack.enter_context(mock.patch.object(CheckVersionIncrement, "_get_master_metadata", master_has_no_metadata))
        stack.enter_context(mock.patch.object(metadata_validator, "is_image_on_docker_hub", docker_hub_has_image))
        stack.enter_context(
            mock.patch.object(metadata_validator, "get_latest_version_on_dockerhub", docker_hub_latest_version)
        )
        yield


class RequestLog:
    """Every request made through `requests` while a check runs, with what came back (a status or an error)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []
        self._send = requests.Session.request

    def __enter__(self) -> RequestLog:
        log = self

        def request(session: requests.Session, method: str, url: str, *args: object, **kwargs: object):
            try:
                response = log._send(session, method, url, *args, **kwargs)
            except requests.RequestException as error:
                log.entries.append((url, type(error).__name__))
                raise
            log.entries.append((url, f"HTTP {response.status_code}"))
            return response

        self._patch = mock.patch.object(requests.Session, "request", request)
        self._patch.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._patch.stop()

    def take(self) -> list[tuple[str, str]]:
        entries, self.entries = self.entries, []
        return entries


def describe_requests(entries: list[tuple[str, str]]) -> list[str]:
    if not entries:
        return []
    unanswered = [url for url, outcome in entries if not outcome.startswith("HTTP ")]
    answered = [f"{url} ({outcome})" for url, outcome in entries if outcome.startswith("HTTP ")]
    notes = []
    if unanswered:
        notes.append(f"{len(unanswered)} of {len(entries)} request(s) got no answer (offline), so were not verified")
    if answered:
        notes.append("answered: " + ", ".join(answered))
    return notes


# --- The steps -----------------------------------------------------------------------------------------------------


def check_metadata_schema(metadata_path: Path) -> tuple[Result, ConnectorMetadataDefinitionV0 | None]:
    name = "ConnectorMetadataDefinitionV0"
    try:
        model = ConnectorMetadataDefinitionV0.model_validate(yaml.safe_load(metadata_path.read_text()))
    except ValidationError as error:
        return Result(name, "fail", f"metadata.yaml is invalid: {error}"), None
    return Result(name, "pass", "metadata.yaml validates against Airbyte's metadata schema"), model


DOCKER_HUB_VALIDATORS = {
    "validate_metadata_base_images_in_dockerhub": "Docker Hub answered from PUBLISHED_IMAGES (offline stub)",
    "validate_docker_image_tag_is_not_decremented": "Docker Hub answered: no released tag (offline stub)",
}


def run_pre_upload_validators(model: ConnectorMetadataDefinitionV0, docs_page: Path) -> list[Result]:
    options = metadata_validator.ValidatorOptions(docs_path=str(docs_page))
    results = []
    for validator in metadata_validator.PRE_UPLOAD_VALIDATORS:
        valid, error = validator(model, options)
        notes = [DOCKER_HUB_VALIDATORS[validator.__name__]] if validator.__name__ in DOCKER_HUB_VALIDATORS else []
        results.append(Result(validator.__name__, "pass" if valid else "fail", str(error or "valid"), notes))
    return results


def run_check(check: object, connector: connector_ops_utils.Connector, log: RequestLog) -> Result:
    name = type(check).__name__
    outcome = check.run(connector)
    notes = describe_requests(log.take())
    if name in EXPECTED_FAILURES:
        if outcome.status is CheckStatus.FAILED:
            return Result(name, "expected-fail", EXPECTED_FAILURES[name], [f"the check says: {outcome.message}"])
        return Result(name, "fail", f"expected to fail ({EXPECTED_FAILURES[name]}), but: {outcome.message}", notes)
    if outcome.status is CheckStatus.SKIPPED:
        if name in EXPECTED_SKIPS:
            return Result(name, "skip", EXPECTED_SKIPS[name], [f"the check says: {outcome.message}"])
        return Result(name, "fail", f"skipped, but it should apply: {outcome.message}", notes)
    status = "pass" if outcome.status is CheckStatus.PASSED else "fail"
    return Result(name, status, outcome.message, notes)


VERSION_HEADING = re.compile(r"^## (?P<version>\d+\.\d+\.\d+(?:-rc\.\d+)?) \((?P<date>\d{4}-\d{2}-\d{2})\)$")
TABLE_ROW = re.compile(
    r"^\| *(?P<version>[^|]+?) *\| *(?P<date>[^|]+?) *\| *(?P<pull_request>[^|]*?) *\| *(?P<subject>.+?) *\| *$"
)


def changelog_file_entries(text: str) -> list[tuple[str, str, str]]:
    """(version, date, subject) from CHANGELOG.md: `## 0.1.0 (2026-11-25)`, then the subject, a paragraph."""
    entries = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        heading = VERSION_HEADING.match(line)
        if not heading:
            continue
        paragraph: list[str] = []
        for following in lines[index + 1 :]:
            if following.startswith(("#", "-", "*")) or (not following.strip() and paragraph):
                break
            if following.strip():
                paragraph.append(following.strip())
        entries.append((heading["version"], heading["date"], " ".join(paragraph)))
    return entries


def check_changelog(docs_lines: list[str], changelog_text: str) -> Result:
    name = "parse_changelog"
    try:
        start, parsed = bump_version.parse_changelog(docs_lines)
    except bump_version.ChangelogParsingError as error:
        return Result(name, "fail", f"Airbyte's changelog parser rejects the docs page: {error}")
    rows = []
    for line in docs_lines[start:]:
        row = TABLE_ROW.match(line)
        if not row:
            break
        rows.append(row)
    page = [(row["version"], row["date"], row["subject"]) for row in rows]
    linked = [row for row in rows if "](" in row["pull_request"]]
    parsed_versions = {str(entry.version) for entry in parsed}
    problems = []
    unparsed = [row["version"] for row in linked if row["version"] not in parsed_versions]
    if unparsed:
        problems.append(f"rows whose pull request link Airbyte's parser cannot read: {', '.join(unparsed)}")
    changelog = changelog_file_entries(changelog_text)
    if not changelog:
        problems.append("CHANGELOG.md has no `## <version> (<date>)` entry")
    if page != changelog:
        problems.append(f"the docs page's changelog {page} differs from CHANGELOG.md's {changelog}")
    if problems:
        return Result(name, "fail", "; ".join(problems))
    notes = []
    awaiting = [row["version"] for row in rows if row not in linked]
    if awaiting:
        notes.append(
            f"{len(awaiting)} row(s) ({', '.join(awaiting)}) name no airbytehq/airbyte pull request yet, so Airbyte's"
            " parser returns them as no entry; its version bump adds new rows above them"
        )
    return Result(
        name,
        "pass",
        f"found the changelog table at line {start - 1} of the docs page; its {len(page)} row(s) "
        f"({', '.join(version for version, _, _ in page)}) say what CHANGELOG.md says",
        notes,
    )


def run_all(root: Path, workdir: Path, tool_output: io.StringIO) -> list[Result]:
    build_monorepo(root, workdir)
    os.chdir(workdir)  # the checks resolve every path relative to the working directory
    connector = connector_ops_utils.Connector(CONNECTOR)
    results = []
    schema_result, model = check_metadata_schema(connector.metadata_file_path)
    results.append(schema_result)
    # The validators print what they run; that goes to tool_output (shown with --verbose).
    with offline_stubs(), RequestLog() as log, redirect_stdout(tool_output):
        if model is not None:
            results.extend(run_pre_upload_validators(model, MONOREPO_DOCS_PAGE))
        results.extend(run_check(check, connector, log) for check in ENABLED_CHECKS)
    results.append(check_changelog(MONOREPO_DOCS_PAGE.read_text().splitlines(), (root / CHANGELOG).read_text()))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary monorepo layout and print its path")
    parser.add_argument("--verbose", action="store_true", help="also print what Airbyte's tools print themselves")
    args = parser.parse_args(argv)
    for variable in ("GITHUB_BASE_REF", "SENTRY_ENVIRONMENT"):  # would point the checks at a base branch / Sentry
        os.environ.pop(variable, None)
    workdir = Path(tempfile.mkdtemp(prefix="airbyte-qa-"))
    tool_output = io.StringIO()
    try:
        results = run_all(ROOT, workdir, tool_output)
    finally:
        os.chdir(ROOT)
        if args.verbose:
            print(tool_output.getvalue())
        if args.keep:
            print(f"monorepo layout kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for result in results:
        print(result.line())
    failed = [result for result in results if not result.ok]
    counts = {status: sum(result.status == status for result in results) for status in ("pass", "skip")}
    print(
        f"\n{len(results)} results: {counts['pass']} passed, {len(failed)} failed, {counts['skip']} skipped, "
        f"{sum(result.status == 'expected-fail' for result in results)} expected failures"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
