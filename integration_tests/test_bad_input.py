"""Bad configs and bad API answers: the user reads one clear message naming what is wrong and how to fix it.

Config rules are checked before any request. Whatever refuses the config, the spec's JSON schema (a value out of
range, a pattern not matched, a wrong type, an unknown choice, a required field missing, a credentials block without
a field of its own type) or a rule the schema cannot say (blank credentials, filters, hosts, dates), the message
names the field as the user wrote it and what is allowed: `check` answers exactly one CONNECTION_STATUS FAILED
(exit 0) and no error trace; `read` ends with exactly one error trace, a config_error with no stack trace (non-zero
exit); `discover` refuses what the schema refuses (and blank credentials) the same way and builds the catalog
otherwise; the simulator sees no request at all.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from integration_tests.support import SMALL_ACCOUNT, Connector, Output, fixed_range, rfc3339
from liveperson_simulator import Simulator, SimulatorConfig

OAUTH1_FIELDS = {
    "app_key": "App key",
    "app_secret": "App secret",
    "access_token": "Access token",
    "access_token_secret": "Access token secret",
}
HOST_FIELDS = ("domain", "sentinel_domain", "account_config_domain", "domain_api_host")
BAD_HOSTS = ("https://x", "x/y", "x:99999", "a b", "user@x")
NOW = datetime.now(UTC)
OAUTH1_TITLE = "OAuth 1.0a app key (legacy, retired by LivePerson on 2026-05-31)"
AUTH_TYPES = f"'oauth2_client_credentials' for OAuth 2.0 client credentials, or 'oauth1_app_key' for {OAUTH1_TITLE}"


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


def whole_number(field: str, low: int, high: int, value) -> str:
    return f"{field} must be a whole number from {low} to {high}, got {value!r}."


# (id, OAuth 1.0a config instead of OAuth 2.0, change to a valid config, the message: exact, or fragments of it).
# The spec's JSON schema refuses these (discover refuses them too).
SPEC_REFUSED = [
    (
        "missing_account_id",
        False,
        without("account_id"),
        "account_id is missing: enter the Account ID, for example 12345678.",
    ),
    (
        "empty_account_id",
        False,
        setting(account_id=""),
        "account_id is missing: enter the Account ID, for example 12345678.",
    ),
    (
        "account_id_pattern",
        False,
        setting(account_id="12 34"),
        "account_id '12 34' is not valid: use letters and digits only, for example 12345678.",
    ),
    ("account_id_type", False, setting(account_id=12345678), "account_id must be text, got 12345678."),
    (
        "missing_credentials",
        False,
        without("credentials"),
        f"credentials is missing: choose OAuth 2.0 client credentials or {OAUTH1_TITLE}, and enter its fields.",
    ),
    (
        "credentials_type",
        False,
        setting(credentials="secret"),
        f"credentials must be an object: OAuth 2.0 client credentials or {OAUTH1_TITLE}, got 'secret'.",
    ),
    (
        "unknown_auth_type",
        False,
        credential("auth_type", "api_key"),
        f"credentials.auth_type 'api_key' is not supported: use {AUTH_TYPES}.",
    ),
    ("missing_auth_type", False, credential("auth_type"), f"credentials.auth_type is missing: use {AUTH_TYPES}."),
    *[
        (
            f"missing_oauth2_{field}",
            False,
            credential(field),
            f"credentials.{field} is missing: the OAuth 2.0 client credentials option needs its {title}.",
        )
        for field, title in (("client_id", "Client ID"), ("client_secret", "Client secret"))
    ],
    *[
        (
            f"missing_oauth1_{field}",
            True,
            credential(field),
            f"credentials.{field} is missing: the {OAUTH1_TITLE} option needs its {title}.",
        )
        for field, title in OAUTH1_FIELDS.items()
    ],
    (
        "client_secret_type",
        False,
        credential("client_secret", 918273645546372819),
        "credentials.client_secret must be text, got a number.",
    ),
    ("app_secret_type", True, credential("app_secret", ["a", "b"]), "credentials.app_secret must be text, got a list."),
    ("window_0", False, setting(window_size_days=0), whole_number("window_size_days", 1, 28, 0)),
    ("page_size_0", False, setting(page_size=0), whole_number("page_size", 1, 5000, 0)),
    ("page_size_6000", False, setting(page_size=6000), whole_number("page_size", 1, 5000, 6000)),
    ("page_size_text", False, setting(page_size="100"), whole_number("page_size", 1, 5000, "100")),
    ("page_size_fraction", False, setting(page_size=2.5), whole_number("page_size", 1, 5000, 2.5)),
    ("lookback_-1", False, setting(lookback_minutes=-1), whole_number("lookback_minutes", 0, 1440, -1)),
    ("num_workers_0", False, setting(num_workers=0), whole_number("num_workers", 1, 10, 0)),
    ("history_days_396", False, setting(history_days=396), whole_number("history_days", 1, 395, 396)),
    ("history_days_bool", False, setting(history_days=True), whole_number("history_days", 1, 395, True)),
    ("agent_id_text", False, setting(agent_id="abc"), "agent_id must be a whole number, got 'abc'."),
    ("agent_group_id_fraction", False, setting(agent_group_id=1.5), "agent_group_id must be a whole number, got 1.5."),
    ("employee_id_number", False, setting(employee_id=42), "employee_id must be text, got 42."),
    ("empty_source", False, setting(source=""), "source must be 1 to 20 characters, got ''."),
    ("source_21_chars", False, setting(source="s" * 21), f"source must be 1 to 20 characters, got {'s' * 21!r}."),
    ("source_number", False, setting(source=7), "source must be text, got 7."),
    (
        "start_date_not_a_date",
        False,
        setting(start_date="yesterday"),
        "start_date 'yesterday' is not a date-time: use RFC 3339, for example 2026-06-01T00:00:00Z.",
    ),
    (
        "end_date_number",
        False,
        setting(end_date=20260101),
        "end_date must be a date-time like 2026-07-01T00:00:00Z, got 20260101.",
    ),
    ("api_version_3", False, setting(api_version="3"), 'api_version must be "2" (the default) or "1", got \'3\'.'),
    ("api_version_number", False, setting(api_version=2), 'api_version must be "2" (the default) or "1", got 2.'),
    ("domain_number", False, setting(domain=8443), "domain must be text, got 8443."),
]

# The schema accepts these; the connector's rules refuse them at check and read (discover builds the catalog).
RULE_REFUSED = [
    (
        "empty_client_secret",
        False,
        credential("client_secret", ""),
        "credentials.client_secret is missing or empty: copy it from your LivePerson API key or app.",
    ),
    (
        "blank_client_id",
        False,
        credential("client_id", "   "),
        "credentials.client_id is missing or empty: copy it from your LivePerson API key or app.",
    ),
    (
        "empty_oauth1_access_token",
        True,
        credential("access_token", ""),
        "credentials.access_token is missing or empty: copy it from your LivePerson API key or app.",
    ),
    *[
        (
            f"{field}={host!r}",
            False,
            setting(**{field: host}),
            f"{field} {host!r} is not a host name: give a bare host or host:port such as "
            "va.agent-activity.liveperson.net, without https:// or a path.",
        )
        for field, host in zip(HOST_FIELDS + HOST_FIELDS[:1], BAD_HOSTS, strict=True)
    ],
    (
        "two_filters",
        False,
        setting(agent_id=1, employee_id="E1"),
        "agent_id and employee_id are both set, but LivePerson accepts at most one filter: keep one of them.",
    ),
    (
        "malformed_start_date",
        False,
        setting(start_date="2026-13-45"),
        "start_date '2026-13-45' is not a date-time: use RFC 3339, for example 2026-05-01T00:00:00Z.",
    ),
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
        f"end_date {rfc3339(NOW - timedelta(days=20))!r} must be after "
        f"start_date {rfc3339(NOW - timedelta(days=10))!r}.",
    ),
]
# Rule cases discover is run on too: blank credentials it refuses (no authenticator can be built from them), the
# others it builds the catalog for; one of each kind is enough.
DISCOVER_REFUSES_TOO = {"empty_client_secret", "empty_oauth1_access_token"}
DISCOVERED_RULE_CASES = DISCOVER_REFUSES_TOO | {"domain='https://x'", "two_filters", "end_before_start"}


def commands(simulator, tmp_path, config: dict, discover: bool) -> dict[str, Output]:
    """`check`, `read` and (when asked) `discover` of one config, side by side (each in its own folder)."""
    names = ["check", "read", "discover"] if discover else ["check", "read"]
    with ThreadPoolExecutor(len(names)) as pool:
        runs = {}
        for name in names:
            (tmp_path / name).mkdir()
            connector = Connector(tmp_path / name, simulator.ca_path)
            runs[name] = (
                pool.submit(connector.read, config) if name == "read" else pool.submit(connector.run, name, config)
            )
    return {name: run.result() for name, run in runs.items()}


def config_secrets(config: dict) -> list[str]:
    credentials = config.get("credentials") if isinstance(config.get("credentials"), dict) else {}
    return [str(value) for name, value in credentials.items() if name != "auth_type" and len(str(value).strip()) > 3]


def says(message: str, expected) -> bool:
    return message == expected if isinstance(expected, str) else all(fragment in message for fragment in expected)


@pytest.mark.parametrize(
    "case, oauth1, change, expected, spec_refused",
    [pytest.param(*case, True, id=case[0]) for case in SPEC_REFUSED]
    + [pytest.param(*case, False, id=case[0]) for case in RULE_REFUSED],
)
def test_given_bad_config_when_check_discover_and_read_then_one_clear_config_error_naming_the_field_and_no_request(
    case, oauth1, change, expected, spec_refused, simulator, tmp_path
):
    config = simulator.connector_config_oauth1() if oauth1 else simulator.connector_config()
    secrets = config_secrets(config)
    change(config)
    secrets += config_secrets(config)

    outputs = commands(simulator, tmp_path, config, discover=spec_refused or case in DISCOVERED_RULE_CASES)

    check, read = outputs["check"], outputs["read"]
    assert check.exit_code == 0
    assert check.of_type("TRACE") == [] and len(check.of_type("CONNECTION_STATUS")) == 1, check.stdout
    assert check.connection_status["status"] == "FAILED"
    assert says(check.connection_status["message"], expected), check.connection_status["message"]
    assert read.exit_code != 0
    [error] = read.errors
    assert error["failure_type"] == "config_error" and not error.get("stack_trace"), error
    assert error["message"] == check.connection_status["message"]
    assert not read.records() and not read.states
    discover = outputs.get("discover")
    if discover is not None and (spec_refused or case in DISCOVER_REFUSES_TOO):
        assert discover.exit_code != 0 and discover.of_type("CATALOG") == []
        [discover_error] = discover.errors
        assert discover_error["failure_type"] == "config_error" and not discover_error.get("stack_trace")
        assert discover_error["message"] == error["message"]
    elif discover is not None:
        assert discover.exit_code == 0 and len(discover.of_type("CATALOG")) == 1, discover.stdout
    for output in outputs.values():
        assert all(line.startswith("{") for line in output.stdout.splitlines()), "text outside Airbyte messages"
        assert "Traceback (most recent call last)" not in output.stdout + output.stderr
        assert not any(secret in output.stdout + output.stderr for secret in secrets)
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
