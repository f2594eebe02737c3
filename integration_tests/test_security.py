"""Security of the connector: secrets never leave it, credentials only go to known hosts over https, and config
values cannot reach into a URL.
"""

import re
import socketserver
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Optional

import pytest
import trustme

from integration_tests.support import Connector, Output, catalog, fixed_range, key_of, rfc3339, run_with_args
from liveperson_simulator import Simulator

WRONG_SECRET = "wrong-secret-for-leak-test-71c0e4d2a9b8f356"
ALL_STREAMS = catalog("status_changes", "agents", "agent_groups", "status_reasons")
TEST_WRITTEN = re.compile(r"^\d{3}-(config|catalog|state)\.json$")


# No secret leaks -------------------------------------------------------------------------------------------------


def secrets_of(sim: Simulator, config: dict) -> dict[str, str]:
    """Every secret a run could reveal: the credentials in the config and every bearer token the simulator issued."""
    found = {f"credentials.{name}": value for name, value in config["credentials"].items() if name != "auth_type"}
    found.update({f"bearer token #{n}": token for n, token in enumerate(sim.issued_tokens(), 1)})
    return found


def leaks(sim: Simulator, config: dict, output: Output, workdir: Path) -> list[str]:
    """Where a secret shows up: stdout, stderr, or a file the connector wrote in its working directory."""
    places = {"stdout": output.stdout, "stderr": output.stderr}
    for path in workdir.rglob("*"):
        if path.is_file() and not TEST_WRITTEN.match(path.name):
            places[str(path.relative_to(workdir))] = path.read_text(errors="replace")
    return [
        f"{name} in {place}"
        for name, secret in secrets_of(sim, config).items()
        for place, text in places.items()
        if secret in text
    ]


def small_sync(sim: Simulator, config: dict) -> dict:
    start, end = fixed_range(sim, 3)
    return {**config, "start_date": rfc3339(start), "end_date": rfc3339(end), "page_size": 40, "window_size_days": 1}


def with_faults(sim: Simulator, auth: str) -> None:
    """A retry of each kind: Domain API connection dropped, token 503, then rate limit, token revoked and 500.

    The status-changes faults go to the first three windows (read side by side), so each waits one short backoff.
    """
    sim.add_fault("drop", endpoint="domain")
    if auth == "oauth2":
        sim.add_fault("503", endpoint="token")
    for kind in ("429", "expire_token", "500"):
        sim.add_fault(kind)


# (name, auth, command, what to do to the simulator and config, CLI arguments)
LEAK_SCENARIOS = [
    ("check_succeeds", "oauth2", "check", None, ()),
    ("read_all_streams", "oauth2", "read", None, ()),
    ("read_with_retries", "oauth2", "read", "faults", ()),
    ("check_wrong_secret", "oauth2", "check", "wrong_secret", ()),
    ("check_missing_permission", "oauth2", "check", "no_permission", ()),
    ("read_token_always_rejected", "oauth2", "read", "401_always", ()),
    ("read_debug", "oauth2", "read", None, ("--debug",)),
    ("read_debug_with_retries", "oauth2", "read", "faults", ("--debug",)),
    ("check_debug_missing_permission", "oauth2", "check", "no_permission", ("--debug",)),
    ("check_succeeds", "oauth1", "check", None, ()),
    ("read_all_streams", "oauth1", "read", None, ()),
    ("read_with_retries", "oauth1", "read", "faults", ()),
    ("check_wrong_secret", "oauth1", "check", "wrong_secret", ()),
    ("read_debug_with_retries", "oauth1", "read", "faults", ("--debug",)),
]


def leak_params() -> Iterator:
    for name, auth, command, setup, args in LEAK_SCENARIOS:
        yield pytest.param(auth, command, setup, args, id=f"{auth}-{name}")


@pytest.mark.parametrize("auth, command, setup, args", leak_params())
def test_given_scenario_when_connector_runs_then_no_secret_in_output_or_files(
    auth, command, setup, args, make_simulator, tmp_path
):
    sim = make_simulator(agents=3, **({"permissions": {"users"}} if setup == "no_permission" else {}))
    config = small_sync(sim, sim.connector_config() if auth == "oauth2" else sim.connector_config_oauth1())
    if setup == "wrong_secret":
        config["credentials"]["client_secret" if auth == "oauth2" else "app_secret"] = WRONG_SECRET
    if setup == "faults":
        with_faults(sim, auth)
    if setup == "401_always":
        sim.add_fault("401", count=100)
    connector = Connector(tmp_path, sim.ca_path)

    output = run_with_args(
        connector, command, config, ALL_STREAMS if command == "read" else None, extra_args=args, cwd=tmp_path
    )

    expected_outcome = {
        None: "SUCCEEDED" if command == "check" else 0,
        "faults": 0,
        "wrong_secret": "FAILED",
        "no_permission": "FAILED",
        "401_always": 1,
    }[setup]
    outcome = output.connection_status["status"] if command == "check" else output.exit_code
    assert outcome == expected_outcome, output.stdout[-3000:]
    if setup == "faults":
        assert sim.pending_faults() == [], "every injected fault was met and retried"
        if auth == "oauth2":
            assert len(sim.issued_tokens()) >= 2, "the revoked token was replaced"
    if "--debug" in args:
        assert output.of_type("DEBUG"), "--debug printed no debug messages: nothing was checked"
    assert secrets_of(sim, config), "nothing to look for"
    assert leaks(sim, config, output, tmp_path) == []


# Credentials only to known hosts over https -------------------------------------------------------------------------


class Listener:
    """A server on 127.0.0.1 that records every connection (and the first bytes sent on it): plain or TLS."""

    def __init__(self, tls: Optional[ssl.SSLContext] = None):
        self.received: list[bytes] = []
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                received = b""
                try:
                    connection = self.request
                    connection.settimeout(5)
                    if tls is not None:
                        connection = tls.wrap_socket(connection, server_side=True)
                    received = connection.recv(65536)
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                    )
                except OSError:
                    pass
                finally:
                    listener.received.append(received)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def other_ca() -> trustme.CA:
    return trustme.CA(organization_name="Another host the connector must not talk to")


@pytest.fixture
def make_listener(other_ca) -> Iterator:
    started: list[Listener] = []

    def make(scheme: str) -> Listener:
        context = None
        if scheme == "https":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            other_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        started.append(Listener(context))
        return started[-1]

    yield make
    for listener in started:
        listener.stop()


def trusting_both(sim: Simulator, other_ca: trustme.CA, tmp_path: Path) -> Connector:
    """A connector that would accept the other host's certificate too: only its own rules keep it away."""
    bundle = tmp_path / "trusted-cas.pem"
    bundle.write_bytes(Path(sim.ca_path).read_bytes() + other_ca.cert_pem.bytes())
    return Connector(tmp_path, str(bundle))


def test_listener_records_a_request_it_receives(make_listener, other_ca, tmp_path):
    """The listener of the tests below does notice a client: otherwise "zero requests" would prove nothing."""
    import requests

    bundle = tmp_path / "other-ca.pem"
    bundle.write_bytes(other_ca.cert_pem.bytes())
    plain, secure = make_listener("http"), make_listener("https")

    requests.get(f"http://{plain.address}/x", timeout=5)
    requests.get(f"https://{secure.address}/y", timeout=5, verify=str(bundle))

    assert plain.received[0].startswith(b"GET /x ") and secure.received[0].startswith(b"GET /y ")


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_given_next_links_naming_another_host_when_syncing_then_complete_and_that_host_never_contacted(
    scheme, make_listener, make_simulator, other_ca, tmp_path
):
    listener = make_listener(scheme)
    sim = make_simulator(next_link_host=listener.address)
    start, end = fixed_range(sim, 10)
    config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end), page_size=100)

    output = trusting_both(sim, other_ca, tmp_path).read(config)

    assert output.exit_code == 0, output.errors
    pages = [entry for entry in sim.requests if entry.endpoint == "status_changes"]
    assert sum(int(entry.query.get("offset", 0)) > 0 for entry in pages) >= 3, "next links were followed"
    assert {key_of(record) for record in output.records()} == {
        key_of(record) for record in sim.ground_truth(start, end)
    }
    assert listener.received == []


NOT_PLAIN_HOSTS = {
    "scheme": "https://{address}",
    "scheme_and_path": "https://{address}/x",
    "path": "{address}/x",
    "user_info": "user:pass@{address}",
    "space": "{address} x",
    "query": "{address}?x=1",
}


@pytest.mark.parametrize("service", ["agentActivityDomain", "sentinel"])
@pytest.mark.parametrize("shape", list(NOT_PLAIN_HOSTS))
def test_given_domain_api_answer_not_a_plain_host_when_check_then_failed_naming_service_and_nothing_sent(
    service, shape, make_listener, make_simulator, other_ca, tmp_path
):
    listener = make_listener("https")
    answer = NOT_PLAIN_HOSTS[shape].format(address=listener.address)
    sim = make_simulator(domain_overrides={service: answer})

    output = trusting_both(sim, other_ca, tmp_path).run("check", sim.connector_config())

    assert output.exit_code == 0
    assert output.connection_status["status"] == "FAILED"
    message = output.connection_status["message"]
    assert service in message and "not a plain host" in message, message
    assert listener.received == []
    assert sim.request_count("token") == 0 and sim.request_count("status_changes") == 0
    assert sim.client_secret not in output.stdout + output.stderr


def test_given_account_config_host_not_plain_when_reading_agents_then_fails_naming_service_and_nothing_sent(
    make_listener, make_simulator, other_ca, tmp_path
):
    listener = make_listener("https")
    sim = make_simulator(domain_overrides={"accountConfigReadOnly": f"https://{listener.address}/x"})

    output = trusting_both(sim, other_ca, tmp_path).read(small_sync(sim, sim.connector_config()), catalog("agents"))

    assert output.exit_code != 0
    assert output.errors[0]["failure_type"] == "config_error"
    assert "accountConfigReadOnly" in output.errors[0]["message"]
    assert listener.received == []
    assert sim.request_count("users") == 0


def test_given_every_sync_when_reading_then_each_api_request_is_https_to_the_discovered_host(make_simulator, tmp_path):
    """The simulator only speaks TLS; every request it logged reached it, with credentials, on its own host."""
    sim = make_simulator(agents=3)

    output = Connector(tmp_path, sim.ca_path).read(small_sync(sim, sim.connector_config()), ALL_STREAMS)

    assert output.exit_code == 0, output.errors
    api_calls = [entry for entry in sim.requests if entry.endpoint not in ("domain", "token")]
    assert {entry.endpoint for entry in api_calls} == {"status_changes", "users", "agent_groups", "status_reasons"}
    assert all(entry.auth == "Bearer" for entry in api_calls)
    assert all(entry.auth is None for entry in sim.requests if entry.endpoint in ("domain", "token"))


# Config values cannot change the URL -------------------------------------------------------------------------------


@pytest.mark.parametrize("account_id", ["1/../../x", "123?x=1", "12 34", "%2e%2e", "12345678/", "12345678#x"])
def test_given_account_id_that_would_change_the_url_when_check_or_read_then_config_error_and_no_request(
    account_id, simulator, tmp_path
):
    config = simulator.connector_config(account_id=account_id)
    check_dir, read_dir = tmp_path / "check", tmp_path / "read"
    check_dir.mkdir(), read_dir.mkdir()

    with ThreadPoolExecutor(2) as pool:
        check = pool.submit(Connector(check_dir, simulator.ca_path).run, "check", config)
        read = pool.submit(Connector(read_dir, simulator.ca_path).read, config)
    check, read = check.result(), read.result()

    message = f"account_id {account_id!r} is not valid: use letters and digits only, for example 12345678."
    assert check.exit_code == 0 and check.connection_status["status"] == "FAILED"
    assert check.connection_status["message"] == message
    assert read.exit_code != 0
    assert [(error["failure_type"], error["message"]) for error in read.errors] == [("config_error", message)]
    assert simulator.request_count() == 0


def test_given_source_and_employee_filter_with_url_syntax_when_reading_then_sent_verbatim_as_values(
    simulator, tmp_path
):
    source, employee = "a&v=1#x/../y?", "E1&groupId=2"
    start = simulator.now() - timedelta(days=2)
    config = simulator.connector_config(start_date=rfc3339(start), source=source, employee_id=employee)

    output = Connector(tmp_path, simulator.ca_path).read(config)

    assert output.exit_code == 0, output.errors
    pages = [entry for entry in simulator.requests if entry.endpoint == "status_changes"]
    assert pages and all(entry.path == f"/api/v2/account/{simulator.account_id}/status-changes" for entry in pages)
    assert all(
        entry.query["v"] == "2" and entry.query["source"] == source and entry.query["empId"] == employee
        for entry in pages
    )
    assert all("groupId" not in entry.query for entry in pages)
