"""Bad configs and bad API answers: the user reads one clear message naming what is wrong and how to fix it.

Config rules are checked before any request: `check` answers exactly one CONNECTION_STATUS FAILED (exit 0) and no
error trace; `read` ends with exactly one error trace, a config_error naming the field, with no stack trace (non-zero
exit); the simulator sees no request at all. Before the connector's own check, the CDK checks the config against the
spec's JSON schema, as it does for every connector: for what the schema says (required fields, ranges, lengths,
choices), `check` answers with the CDK's message, which the Airbyte UI and API show inline before a check runs.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from integration_tests.support import SMALL_ACCOUNT, Connector, Output, fixed_range, rfc3339
from liveperson_simulator import Simulator, SimulatorConfig

OAUTH1_FIELDS = ("app_key", "app_secret", "access_token", "access_token_secret")
HOST_FIELDS = ("domain", "sentinel_domain", "account_config_domain", "domain_api_host")
BAD_HOSTS = ("https://x", "x/y", "x:99999", "a b", "user@x")
NOW = datetime.now(UTC)


def without(field: str):
    return lambda config: config.pop(field)


def setting(**values):
    return lambda config: config.update(values)


def credential(field: str, value=None):
    def change(config: dict) -> None:
        if value is None:
            config["credentials"].pop(field)
        else:
            config["credentials"][field] = value

    return change


# (id, OAuth 1.0a config instead of OAuth 2.0, change to a valid config, fragments the message must contain).
# SCHEMA_CHECK: the ones the spec's JSON schema refuses before the connector's check, with the CDK's message.
BAD_CONFIGS = [
    ("missing_account_id", False, without("account_id"), ["account_id is missing", "account number"]),
    ("empty_account_id", False, setting(account_id=""), ["account_id is missing"]),
    ("missing_credentials", False, without("credentials"), ["credentials are missing", "client id"]),
    ("unknown_auth_type", False, credential("auth_type", "api_key"), ["credentials.auth_type 'api_key'"]),
    ("empty_client_secret", False, credential("client_secret", ""), ["credentials.client_secret is missing or empty"]),
    ("blank_client_id", False, credential("client_id", "   "), ["credentials.client_id is missing or empty"]),
    *[
        (f"missing_oauth1_{field}", True, credential(field), [f"credentials.{field} is missing or empty"])
        for field in OAUTH1_FIELDS
    ],
    *[
        (f"{field}={host!r}", False, setting(**{field: host}), [f"{field} {host!r} is not a host name", "bare host"])
        for field in HOST_FIELDS
        for host in BAD_HOSTS
    ],
    ("two_filters", False, setting(agent_id=1, employee_id="E1"), ["agent_id and employee_id", "at most one filter"]),
    ("window_0", False, setting(window_size_days=0), ["window_size_days", "from 1 to 28", "got 0"]),
    ("window_29", False, setting(window_size_days=29), ["window_size_days", "from 1 to 28", "got 29"]),
    ("page_size_0", False, setting(page_size=0), ["page_size", "from 1 to 5000", "got 0"]),
    ("page_size_5001", False, setting(page_size=5001), ["page_size", "from 1 to 5000", "got 5001"]),
    ("lookback_-1", False, setting(lookback_minutes=-1), ["lookback_minutes", "from 0 to 1440", "got -1"]),
    ("lookback_1441", False, setting(lookback_minutes=1441), ["lookback_minutes", "from 0 to 1440", "got 1441"]),
    ("num_workers_0", False, setting(num_workers=0), ["num_workers", "from 1 to 10", "got 0"]),
    ("num_workers_11", False, setting(num_workers=11), ["num_workers", "from 1 to 10", "got 11"]),
    ("empty_source", False, setting(source=""), ["source must be 1 to 20 characters"]),
    ("source_21_chars", False, setting(source="s" * 21), ["source must be 1 to 20 characters", "s" * 21]),
    ("malformed_start_date", False, setting(start_date="2026-13-45"), ["start_date '2026-13-45'", "RFC 3339"]),
    ("start_date_not_a_date", False, setting(start_date="yesterday"), ["start_date", "'yesterday'"]),
    (
        "future_start_date",
        False,
        setting(start_date=rfc3339(NOW + timedelta(days=2))),
        ["start_date", "is in the future"],
    ),
    ("future_end_date", False, setting(end_date=rfc3339(NOW + timedelta(days=2))), ["end_date", "is in the future"]),
    (
        "end_before_start",
        False,
        # Relative to now: both dates must stay inside LivePerson's history, whatever day the test runs.
        setting(start_date=rfc3339(NOW - timedelta(days=10)), end_date=rfc3339(NOW - timedelta(days=20))),
        [
            f"end_date {rfc3339(NOW - timedelta(days=20))!r} must be after "
            f"start_date {rfc3339(NOW - timedelta(days=10))!r}"
        ],
    ),
    ("api_version_3", False, setting(api_version="3"), ["api_version", "'3'", '"2"']),
]


SCHEMA_CHECK = {
    "missing_account_id": "'account_id' is a required property",
    "empty_account_id": "'' does not match '^[A-Za-z0-9]+$'",
    "missing_credentials": "'credentials' is a required property",
    "unknown_auth_type": "is not valid under any of the given schemas",
    **{f"missing_oauth1_{field}": "'oauth2_client_credentials' was expected" for field in OAUTH1_FIELDS},
    "window_0": "0 is less than the minimum of 1",
    "window_29": "29 is greater than the maximum of 28",
    "page_size_0": "0 is less than the minimum of 1",
    "page_size_5001": "5001 is greater than the maximum of 5000",
    "lookback_-1": "-1 is less than the minimum of 0",
    "lookback_1441": "1441 is greater than the maximum of 1440",
    "num_workers_0": "0 is less than the minimum of 1",
    "num_workers_11": "11 is greater than the maximum of 10",
    "empty_source": "'' should be non-empty",
    "source_21_chars": "is too long",
    "start_date_not_a_date": "'yesterday' does not match",
    "api_version_3": "'3' is not one of ['2', '1']",
}


def check_and_read(simulator, tmp_path, config: dict) -> tuple[Output, Output]:
    """`check` and `read` of one config, side by side (each in its own folder)."""
    (tmp_path / "check").mkdir()
    (tmp_path / "read").mkdir()
    with ThreadPoolExecutor(2) as pool:
        check = pool.submit(Connector(tmp_path / "check", simulator.ca_path).run, "check", config)
        read = pool.submit(Connector(tmp_path / "read", simulator.ca_path).read, config)
    return check.result(), read.result()


def config_secrets(config: dict) -> list[str]:
    credentials = config.get("credentials") or {}
    return [value for name, value in credentials.items() if name != "auth_type" and len(str(value).strip()) > 3]


@pytest.mark.parametrize("case, oauth1, change, fragments", [pytest.param(*case, id=case[0]) for case in BAD_CONFIGS])
def test_given_bad_config_when_check_and_read_then_one_clear_config_error_naming_the_field_and_no_request(
    case, oauth1, change, fragments, simulator, tmp_path
):
    config = simulator.connector_config_oauth1() if oauth1 else simulator.connector_config()
    change(config)

    check, read = check_and_read(simulator, tmp_path, config)

    assert check.exit_code == 0
    assert check.of_type("TRACE") == [] and len(check.of_type("CONNECTION_STATUS")) == 1, check.stdout
    assert check.connection_status["status"] == "FAILED"
    assert read.exit_code != 0
    [error] = read.errors
    assert error["failure_type"] == "config_error" and not error.get("stack_trace"), error
    assert all(fragment in error["message"] for fragment in fragments), error["message"]
    if case in SCHEMA_CHECK:
        assert check.connection_status["message"].startswith("Config validation error: ")
        assert SCHEMA_CHECK[case] in check.connection_status["message"]
    else:
        assert check.connection_status["message"] == error["message"]
    assert not read.records() and not read.states
    for output in (check, read):
        assert all(line.startswith("{") for line in output.stdout.splitlines()), "text outside Airbyte messages"
        assert "Traceback (most recent call last)" not in output.stderr
        assert not any(secret in output.stdout + output.stderr for secret in config_secrets(config))
    assert "Traceback (most recent call last)" not in check.stdout
    assert simulator.request_count() == 0, "a request was made before the config was validated"


# Bad API answers ---------------------------------------------------------------------------------------------------


def one_window(sim) -> dict:
    start, end = fixed_range(sim, 2)
    return sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), window_size_days=7, num_workers=1)


# (fault, how many, status-changes requests expected, token requests expected, fragments of the message)
API_ANSWERS = {
    "400_with_causes": (
        "400",
        1,
        1,
        1,
        ["HTTP 400", "simulated bad request", "account 12345678", "Check the filters"],
    ),
    "401_after_token_refresh": (
        "401",
        2,
        2,
        2,
        ["HTTP 401, even with a fresh token", "check the credentials", "Data → Workforce Management → Agent Status"],
    ),
    "403": (
        "403",
        1,
        1,
        1,
        ["Account 12345678", "HTTP 403", 'grant the permission "Data → Workforce Management → Agent Status Changes"'],
    ),
    "404": ("404", 1, 1, 1, ["HTTP 404", "account 12345678", "check the account id"]),
}


@pytest.mark.parametrize("case", list(API_ANSWERS))
def test_given_refusing_api_answer_when_reading_then_config_error_naming_status_and_fix_without_retries(
    case, simulator, tmp_path
):
    kind, count, pages_expected, tokens_expected, fragments = API_ANSWERS[case]
    simulator.add_fault(kind, count=count)

    output = Connector(tmp_path, simulator.ca_path).read(one_window(simulator))

    assert output.exit_code != 0
    error = output.errors[0]
    assert error["failure_type"] == "config_error"
    assert all(fragment in error["message"] for fragment in fragments), error["message"]
    assert simulator.request_count("status_changes") == pages_expected
    assert simulator.request_count("token") == tokens_expected
    assert output.records() == []
    assert simulator.client_secret not in output.stdout + output.stderr


@pytest.mark.slow
def test_given_html_gateway_error_that_persists_when_reading_then_fails_after_retries_naming_status_and_what_to_do(
    simulator, tmp_path
):
    simulator.add_fault("html_error", count=100)
    config = one_window(simulator)

    output = Connector(tmp_path, simulator.ca_path).read(config)

    assert output.exit_code != 0
    [error] = output.errors[:1]
    assert error["failure_type"] == "transient_error"
    assert "HTTP 502" in error["message"] and "retry the sync later" in error["message"], error["message"]
    assert "<html>" not in error["message"]
    assert simulator.request_count("status_changes") == 6, "one request and 5 retries"
    assert [line for line in output.logs if line.startswith("HTTP 502 for /api/v2/")] == [
        f"HTTP 502 for /api/v2/account/12345678/status-changes: attempt {n} of 6 failed, retrying." for n in range(1, 6)
    ]
    assert cdk_waits(output) == [1, 2, 4, 8, 16]
    assert all(state["stream"]["stream_state"]["time"] <= config["start_date"] for state in output.states)


def announced_waits(output: Output, reason: str) -> list[int]:
    """The waits the sync log announces before retries, in seconds ("...: waiting 4 s before retry 2.")."""
    lines = [line for line in output.logs if line.startswith(reason) and " s before retry " in line]
    return [int(line.split(": waiting ")[1].split(" s")[0]) for line in lines]


def cdk_waits(output: Output) -> list[int]:
    """The CDK's own pauses after a 5xx, a broken answer or a network error ("... Waiting 4 seconds then retrying")."""
    lines = [line for line in output.logs if line.startswith("Caught retryable error ")]
    return [int(line.split(" Waiting ")[1].split(" seconds")[0]) for line in lines]


@pytest.fixture(scope="module")
def rate_limited_read(tmp_path_factory) -> Iterator[tuple[Simulator, Output]]:
    """One read whose every status-changes request is answered 429 (Retry-After 1 s): shared by the tests below."""
    with Simulator(SimulatorConfig(**SMALL_ACCOUNT)) as sim:
        sim.add_fault("429", count=100)
        output = Connector(tmp_path_factory.mktemp("rate_limited"), sim.ca_path).read(one_window(sim))
        yield sim, output


def test_given_rate_limit_that_persists_when_reading_then_transient_error_after_five_retries(rate_limited_read):
    sim, output = rate_limited_read

    assert output.exit_code != 0
    assert output.errors[0]["failure_type"] == "transient_error"
    assert "limiting the request rate (HTTP 429)" in output.errors[0]["message"]
    assert sim.request_count("status_changes") == 6, "one request and 5 retries"
    assert announced_waits(output, "LivePerson is limiting the request rate (HTTP 429)") == [2] * 5
    assert output.records() == []


def test_given_retries_exhausted_when_reading_then_log_announces_only_the_five_retries_made(rate_limited_read):
    sim, output = rate_limited_read

    assert sim.request_count("status_changes") == 6
    assert len(announced_waits(output, "LivePerson is limiting the request rate (HTTP 429)")) == 5


def test_given_rate_limit_that_persists_when_reading_then_message_names_429_and_what_to_do(rate_limited_read):
    _, output = rate_limited_read

    message = output.errors[0]["message"]
    assert "429" in message and "12345678" in message, message
    assert "retry the sync later" in message or "num_workers" in message, message


def test_given_retries_when_reading_then_announced_wait_is_the_real_pause(rate_limited_read):
    _, output = rate_limited_read

    announced = announced_waits(output, "LivePerson is limiting the request rate (HTTP 429)")[:5]
    paused = [
        float(line.split("Retrying in ")[1].split(" seconds")[0]) for line in output.logs if "Retrying in" in line
    ]
    assert len(paused) == 5
    assert announced == paused
