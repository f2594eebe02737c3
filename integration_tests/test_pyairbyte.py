"""The connector read through PyAirbyte (`pip install airbyte`), as the README's "PyAirbyte" section shows.

PyAirbyte is large and pins its own dependencies, so it does not go into the connector's venv: the test installs it
once into `.venv-pyairbyte/` at the repository root (about a minute and 800 MB; gitignored, reused by later runs)
and runs READ_SCRIPT there. The script starts nothing: this test starts the simulator and hands the script its
config and CA bundle in a JSON file; PyAirbyte runs this venv's `source-agent-activity` console script, reads into
its default DuckDB cache (in a temporary directory) and the script writes back what the cache holds.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from integration_tests.support import COMMAND, expected_intervals, key_of, parse, rfc3339

ROOT = Path(__file__).resolve().parent.parent
PYAIRBYTE_VENV = ROOT / ".venv-pyairbyte"
PYAIRBYTE_REQUIREMENT = "airbyte==0.71.3"  # needs Python >=3.10,<3.13
INSTALL_TIMEOUT_SECONDS = 1500
READ_TIMEOUT_SECONDS = 300

# Runs in the PyAirbyte venv: `python read_script.py job.json`. PyAirbyte starts the connector with this process's
# environment, so REQUESTS_CA_BUNDLE set here reaches it.
READ_SCRIPT = """
import json
import os
import sys
from pathlib import Path

job = json.loads(Path(sys.argv[1]).read_text())
os.environ["REQUESTS_CA_BUNDLE"] = job["ca_path"]

import airbyte as ab
import sqlalchemy

source = ab.get_source("source-agent-activity", config=job["config"], local_executable=job["executable"])
source.select_streams(job["streams"])
result = source.read()  # into the default DuckDB cache

counts = {name: len(result[name].to_pandas()) for name in job["streams"]}
report = {"cache": str(result.cache.db_path), "counts": counts}
if "status_changes" in job["streams"]:
    # PyAirbyte lower-cases column names; `time` comes back as a UTC timestamp: sent as epoch milliseconds.
    report["status_changes_keys"] = [
        [int(row.agentid), row.time.value // 1_000_000, int(row.statustype), int(row.sequencenumber)]
        for row in result["status_changes"].to_pandas().itertuples()
    ]
if "agents" in job["streams"]:
    report["agent_ids"] = [str(value) for value in result["agents"].to_pandas()["id"]]
if job.get("sql"):
    with result.cache.get_sql_engine().connect() as connection:
        rows = connection.execute(sqlalchemy.text(job["sql"])).fetchall()
    report["sql_rows"] = [[str(value) if value is not None else None for value in row] for row in rows]
Path(job["report"]).write_text(json.dumps(report))
"""


def _pyairbyte_python() -> str:
    """A Python that PyAirbyte supports: this one, else python3.12/3.11/3.10 from PATH."""
    if sys.version_info < (3, 13):
        return sys.executable
    for name in ("python3.12", "python3.11", "python3.10"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"{PYAIRBYTE_REQUIREMENT} needs Python 3.10 to 3.12; none found (this is {sys.version.split()[0]})")


def _run(args: list[str], timeout: float) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")


def pyairbyte_venv() -> Path:
    """`.venv-pyairbyte/` with PYAIRBYTE_REQUIREMENT installed; created on first use, then reused.

    A lock keeps concurrent test runs from installing at once; the stamp file is written only after a complete
    install, so an interrupted one is finished by the next run.
    """
    python = PYAIRBYTE_VENV / "bin" / "python"
    stamp = PYAIRBYTE_VENV / ".installed"
    PYAIRBYTE_VENV.mkdir(exist_ok=True)
    with open(PYAIRBYTE_VENV / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == PYAIRBYTE_REQUIREMENT and python.exists():
            return PYAIRBYTE_VENV
        stamp.unlink(missing_ok=True)
        _run([_pyairbyte_python(), "-m", "venv", str(PYAIRBYTE_VENV)], timeout=300)
        _run([str(python), "-m", "pip", "install", "--quiet", PYAIRBYTE_REQUIREMENT], timeout=INSTALL_TIMEOUT_SECONDS)
        stamp.write_text(PYAIRBYTE_REQUIREMENT)
    return PYAIRBYTE_VENV


def epoch_ms(value: str) -> int:
    """A record's RFC 3339 `time` as the epoch milliseconds READ_SCRIPT reports."""
    return round(parse(value).timestamp() * 1000)


def read_with_pyairbyte(simulator, tmp_path: Path, streams: list[str], start: datetime, sql: str = "") -> dict:
    """Read `streams` from `start` to a minute ago through PyAirbyte into its DuckDB cache; what the cache holds."""
    venv = pyairbyte_venv()
    end = simulator.now() - timedelta(minutes=1)
    report_path = tmp_path / "report.json"
    job = {
        "config": simulator.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), page_size=200),
        "ca_path": simulator.ca_path,
        "executable": COMMAND,
        "streams": streams,
        "report": str(report_path),
        "sql": sql,
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    (tmp_path / "read_script.py").write_text(READ_SCRIPT)
    env = {name: value for name, value in os.environ.items() if name not in ("REQUESTS_CA_BUNDLE", "VIRTUAL_ENV")}
    env.update(
        # The connector is not in Airbyte's registry and no registry is reachable here: skip the lookup, and
        # PyAirbyte's telemetry with it.
        AIRBYTE_OFFLINE_MODE="1",
        DO_NOT_TRACK="1",
        # The default cache is `.cache/default_cache/` under this root; logs go beside it.
        AIRBYTE_CACHE_ROOT=str(tmp_path / "cache"),
        AIRBYTE_PROJECT_DIR=str(tmp_path),
        AIRBYTE_LOGGING_ROOT=str(tmp_path / "logs"),
        TZ="UTC",  # DuckDB casts a timestamp with time zone to a date in the session's zone
    )

    result = subprocess.run(
        [str(venv / "bin" / "python"), "read_script.py", "job.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=READ_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    report = json.loads(report_path.read_text())
    assert Path(report["cache"]).is_relative_to(tmp_path / "cache")
    return {**report, "end": end}


@pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + 2 * READ_TIMEOUT_SECONDS)
def test_given_pyairbyte_when_reading_status_changes_and_agents_then_cache_holds_every_record_once(simulator, tmp_path):
    start = simulator.now() - timedelta(days=10)

    report = read_with_pyairbyte(simulator, tmp_path, ["status_changes", "agents"], start)

    truth = {key_of(record) for record in simulator.ground_truth(start, report["end"])}
    expected_keys = {(agent, epoch_ms(time), status, sequence) for agent, time, status, sequence in truth}
    found_keys = [tuple(key) for key in report["status_changes_keys"]]
    assert len(expected_keys) > 500
    assert report["counts"]["status_changes"] == len(found_keys) == len(set(found_keys)), "a duplicate row"
    assert set(found_keys) == expected_keys
    expected_agents = {user["id"] for user in simulator.users(include_deleted=True)}
    assert report["counts"]["agents"] == len(report["agent_ids"]) == len(expected_agents)
    assert set(report["agent_ids"]) == expected_agents


def docs_daily_time_sql() -> str:
    """The docs page's "daily time per agent and status" query, as a user copies it."""
    page = (ROOT / "docs" / "agent-activity.md").read_text()
    after = page[page.index("Daily time per agent and status") :]
    return after[after.index("```sql") + len("```sql") : after.index("```", after.index("```sql") + 6)].strip()


@pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + 2 * READ_TIMEOUT_SECONDS)
def test_given_pyairbyte_when_reading_intervals_then_the_docs_daily_query_gives_hours_per_agent_day_status_reason(
    simulator, tmp_path
):
    start = simulator.now() - timedelta(days=5)
    # With status_changes too, as select_all_streams() would: the intervals then come from status_changes' windows.
    streams = ["status_changes", "agent_status_intervals", "agents", "status_reasons"]

    report = read_with_pyairbyte(simulator, tmp_path, streams, start, sql=docs_daily_time_sql())

    names = {str(user["id"]): user.get("nickname") for user in simulator.users(include_deleted=True)}
    reasons = {str(reason["id"]): reason["text"] for reason in simulator.status_reasons(include_deleted=True)}
    seconds: dict[tuple, float] = defaultdict(float)
    for (agent, start_time, _), interval in expected_intervals(simulator.ground_truth(start, report["end"])).items():
        if interval["endTime"] is not None:
            reason = reasons.get(str(interval["statusReasonId"]), "")
            key = (names.get(str(agent)) or str(agent), start_time[:10], interval["status"], reason)
            seconds[key] += interval["durationSeconds"]
    expected = {key: total / 3600 for key, total in seconds.items()}
    found = {tuple(row[:4]): float(row[4]) for row in report["sql_rows"]}
    assert len(expected) > 20 and len({key[2] for key in expected}) == 4, "every status on several days"
    assert len(found) == len(report["sql_rows"]), "one row per agent, day, status and reason"
    assert found.keys() == expected.keys()
    assert all(abs(found[key] - hours) <= 0.0051 for key, hours in expected.items()), [
        (key, found[key], round(hours, 4)) for key, hours in expected.items() if abs(found[key] - hours) > 0.0051
    ]
