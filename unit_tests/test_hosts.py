"""Host discovery through LivePerson's Domain API, and the per-service overrides that skip it."""

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

from source_agent_activity.hosts import SELECTED_STREAMS, resolve_hosts
from unit_tests.support.config import ConfigBuilder
from unit_tests.support.entrypoint import NOW, read_status_changes
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import (
    DomainResponse,
    ErrorResponse,
    StatusChangesResponse,
    TokenResponse,
    a_record,
)

DISCOVERED_AGENT_ACTIVITY = "lo.agentactivity.liveperson.net"
DISCOVERED_SENTINEL = "lo.sentinel.liveperson.net"
DISCOVERED_ACCOUNT_CONFIG = "lo.ac.liveperson.net"
DOMAIN_API_URL = "https://api.liveperson.net/api/account/12345678/service/agentActivityDomain/baseURI.json"


def _resolve(config: dict, sleeps) -> dict[str, str]:
    return resolve_hosts(config, sleep=sleeps)


def _given_discovery(http_mocker: HttpMocker, domain_api_host: str = "api.liveperson.net") -> None:
    for service, host in (("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY), ("sentinel", DISCOVERED_SENTINEL)):
        http_mocker.get(
            RequestBuilder.domain_api(service, host=domain_api_host).build(), DomainResponse(service, host).build()
        )


class TestDiscovery:
    def test_given_no_overrides_when_resolve_then_ask_domain_api_for_each_service(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        _given_discovery(http_mocker)

        hosts = _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert hosts == {"__agent_activity_host": DISCOVERED_AGENT_ACTIVITY, "__sentinel_host": DISCOVERED_SENTINEL}

    def test_given_domain_api_host_when_resolve_then_ask_that_host(self, http_mocker: HttpMocker, sleeps) -> None:
        _given_discovery(http_mocker, domain_api_host="api.example-region.liveperson.net")

        hosts = _resolve(
            ConfigBuilder().with_discovery().with_domain_api_host("api.example-region.liveperson.net").build(), sleeps
        )

        assert hosts["__agent_activity_host"] == DISCOVERED_AGENT_ACTIVITY

    def test_given_domain_override_when_resolve_then_use_it_without_asking(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("sentinel").build(), DomainResponse("sentinel", DISCOVERED_SENTINEL).build()
        )

        hosts = _resolve(ConfigBuilder().with_discovery().with_domain("aa.example.net:8443").build(), sleeps)

        assert hosts == {"__agent_activity_host": "aa.example.net:8443", "__sentinel_host": DISCOVERED_SENTINEL}

    def test_given_every_override_when_resolve_then_make_no_request(self, requests_mock, sleeps) -> None:
        hosts = _resolve(ConfigBuilder().build(), sleeps)

        assert hosts == {
            "__agent_activity_host": "va.agent-activity.liveperson.net",
            "__sentinel_host": "va.sentinel.liveperson.net",
        }
        assert requests_mock.request_history == []

    def test_given_oauth1_keys_when_resolve_then_do_not_look_up_sentinel(self, http_mocker: HttpMocker, sleeps) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain").build(),
            DomainResponse("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY).build(),
        )

        hosts = _resolve(ConfigBuilder().with_discovery().with_oauth1().build(), sleeps)

        assert hosts == {"__agent_activity_host": DISCOVERED_AGENT_ACTIVITY}

    def test_given_status_changes_only_when_resolve_then_do_not_look_up_account_config(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        _given_discovery(http_mocker)

        hosts = _resolve(
            ConfigBuilder().with_discovery().with_field(SELECTED_STREAMS, ["status_changes"]).build(), sleeps
        )

        assert "__account_config_host" not in hosts

    def test_given_agents_selected_when_resolve_then_look_up_account_config(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        _given_discovery(http_mocker)
        http_mocker.get(
            RequestBuilder.domain_api("accountConfigReadOnly").build(),
            DomainResponse("accountConfigReadOnly", DISCOVERED_ACCOUNT_CONFIG).build(),
        )

        hosts = _resolve(
            ConfigBuilder().with_discovery().with_field(SELECTED_STREAMS, ["status_changes", "agents"]).build(), sleeps
        )

        assert hosts["__account_config_host"] == DISCOVERED_ACCOUNT_CONFIG

    def test_given_account_config_lookup_fails_when_resolve_then_status_changes_hosts_still_resolve(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        _given_discovery(http_mocker)
        http_mocker.get(RequestBuilder.domain_api("accountConfigReadOnly").build(), ErrorResponse.of(404).build())

        hosts = _resolve(
            ConfigBuilder().with_discovery().with_field(SELECTED_STREAMS, ["status_changes", "agents"]).build(), sleeps
        )

        assert hosts["__agent_activity_host"] == DISCOVERED_AGENT_ACTIVITY


class TestDiscoveryFailures:
    @pytest.mark.parametrize("status_code", [400, 401, 403, 404])
    def test_given_domain_api_rejects_account_when_resolve_then_config_error_names_account_and_service(
        self, http_mocker: HttpMocker, sleeps, status_code: int
    ) -> None:
        http_mocker.get(RequestBuilder.domain_api("agentActivityDomain").build(), ErrorResponse.of(status_code).build())

        with pytest.raises(AirbyteTracedException) as raised:
            _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert raised.value.failure_type == FailureType.config_error
        assert raised.value.message.startswith("Account 12345678 has no agentActivityDomain service")

    def test_given_network_failure_when_resolve_then_transient_error_after_four_attempts(
        self, requests_mock, sleeps
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, exc=requests.exceptions.ConnectionError("connection refused"))

        with pytest.raises(AirbyteTracedException) as raised:
            _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert raised.value.failure_type == FailureType.transient_error
        assert "ConnectionError, 4 attempts" in raised.value.message
        assert len(requests_mock.request_history) == 4

    def test_given_network_failure_when_resolve_then_pause_longer_between_attempts(self, requests_mock, sleeps) -> None:
        requests_mock.get(DOMAIN_API_URL, exc=requests.exceptions.ConnectTimeout("timed out"))

        with pytest.raises(AirbyteTracedException):
            _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert sleeps.waits == [1.0, 2.0, 4.0]

    def test_given_network_failure_when_resolve_then_message_says_which_override_avoids_discovery(
        self, requests_mock, sleeps
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, exc=requests.exceptions.ConnectionError("connection refused"))

        with pytest.raises(AirbyteTracedException) as raised:
            _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert "set domain" in raised.value.message and "account 12345678" in raised.value.message

    def test_given_server_error_then_answer_when_resolve_then_retry(self, http_mocker: HttpMocker, sleeps) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain").build(),
            [ErrorResponse.of(503).build(), DomainResponse("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY).build()],
        )
        http_mocker.get(
            RequestBuilder.domain_api("sentinel").build(), DomainResponse("sentinel", DISCOVERED_SENTINEL).build()
        )

        hosts = _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert hosts["__agent_activity_host"] == DISCOVERED_AGENT_ACTIVITY

    @pytest.mark.parametrize(
        "base_uri",
        [
            "https://va.agent-activity.liveperson.net",
            "va.agent-activity.liveperson.net/api",
            "user@va.agent-activity.liveperson.net",
            "va.agent-activity.liveperson.net:99999",
            "",
            None,
            42,
        ],
    )
    def test_given_base_uri_not_a_plain_host_when_resolve_then_config_error(
        self, http_mocker: HttpMocker, sleeps, base_uri
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain").build(),
            DomainResponse("agentActivityDomain", base_uri).build(),
        )

        with pytest.raises(AirbyteTracedException) as raised:
            _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert raised.value.failure_type == FailureType.config_error
        assert "not a plain host name" in raised.value.message

    def test_given_answer_that_is_not_json_when_resolve_then_config_error(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        http_mocker.get(RequestBuilder.domain_api("agentActivityDomain").build(), HttpResponse("<html></html>", 200))

        with pytest.raises(AirbyteTracedException) as raised:
            _resolve(ConfigBuilder().with_discovery().build(), sleeps)

        assert "not a plain host name" in raised.value.message


@freeze_time(NOW)
class TestDiscoveredHostsInRead:
    def test_given_discovered_hosts_when_read_then_token_and_status_changes_use_them(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_discovery(http_mocker)
        http_mocker.post(RequestBuilder.token(host=DISCOVERED_SENTINEL).build(), TokenResponse().build())
        http_mocker.get(
            RequestBuilder.status_changes(host=DISCOVERED_AGENT_ACTIVITY).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
        )
        output = read_status_changes(ConfigBuilder().with_discovery().build())

        assert len(output.records) == 1
