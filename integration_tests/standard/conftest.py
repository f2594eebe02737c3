"""Fixtures of Airbyte's standard connector tests (test_standard_suite.py) against the bundled LivePerson simulator.

`acceptance-test-config.yml` names `secrets/simulator_config.json`, a config for a simulator whose port is only known
at run time. The fixture below starts a simulator, writes that file, trusts the simulator's CA
(`REQUESTS_CA_BUNDLE`) and undoes it all after the module. The suite reads config files when a test runs, not
at collection, so a fixture is early enough.
"""

import fcntl
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import pytest

from liveperson_simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parents[2]
ACCEPTANCE_TEST_CONFIG = ROOT / "acceptance-test-config.yml"
# Not `secrets/config.json`: the README tells developers to keep their own account's config there.
SIMULATOR_CONFIG = ROOT / "secrets" / "simulator_config.json"
LOCK_TIMEOUT_SECONDS = 300

# Enough data for every stream and several pages, small enough to read in a second or two.
ACCOUNT = SimulatorConfig(agents=8, groups=2, history_days=45)


def pytest_configure(config: pytest.Config) -> None:
    """Marks the CDK's suite uses. Registered here, before the suite is imported, so pytest does not warn."""
    config.addinivalue_line("markers", "image_tests: the standard suite's Docker image tests")
    config.addinivalue_line("markers", "requires_creds: a standard test scenario whose config is under secrets/")


def _rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lock_exclusively(lock_file: BinaryIO, timeout: float) -> None:
    """Wait for an exclusive lock: concurrent test runs in this checkout would overwrite each other's config file."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"another test run has held the lock on {lock_file.name} for {timeout:.0f} s"
                ) from None
            time.sleep(0.5)


@pytest.fixture(scope="module", autouse=True)
def simulator_config_file() -> Iterator[Simulator]:
    """A running simulator, its connector config at SIMULATOR_CONFIG and its CA in REQUESTS_CA_BUNDLE."""
    # The lock is on acceptance-test-config.yml, which every checkout has and no test changes.
    with open(ACCEPTANCE_TEST_CONFIG, "rb") as lock_file, pytest.MonkeyPatch.context() as patch:
        _lock_exclusively(lock_file, LOCK_TIMEOUT_SECONDS)
        created_dir = not SIMULATOR_CONFIG.parent.exists()
        with Simulator(ACCOUNT) as sim:
            now = sim.now()
            # A fixed range that ends a minute ago; 10 days hold records of every status type.
            config = sim.connector_config(
                start_date=_rfc3339(now - timedelta(days=10)),
                end_date=_rfc3339(now - timedelta(minutes=1)),
                page_size=500,
            )
            SIMULATOR_CONFIG.parent.mkdir(exist_ok=True)
            SIMULATOR_CONFIG.write_text(json.dumps(config, indent=2) + "\n")
            patch.setenv("REQUESTS_CA_BUNDLE", sim.ca_path)
            try:
                yield sim
            finally:
                SIMULATOR_CONFIG.unlink(missing_ok=True)
                if created_dir:
                    try:
                        SIMULATOR_CONFIG.parent.rmdir()
                    except OSError:
                        pass  # someone put a file there meanwhile: leave it
