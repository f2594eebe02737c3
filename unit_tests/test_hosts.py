"""The account's hosts: found through LivePerson's Domain API at the first request that needs each, once per process."""

import pytest
import requests
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

from source_agent_activity.hosts import ACCOUNT_CONFIG, AGENT_ACTIVITY, SENTINEL, HostDirectory
from unit_tests.support.config import DOMAIN_API_HOST, ConfigBuilder, catalog
from unit_tests.support.entrypoint import NOW, read_catalog, read_status_changes, record_times, stream_errors
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import (
    AllServicesResponse,
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


def _discovering() -> ConfigBuilder:
    """No host overrides; the Domain API host the source's defaults give."""
    return ConfigBuilder().with_discovery().with_domain_api_host(DOMAIN_API_HOST)


def _given_discovery(http_mocker: HttpMocker) -> None:
    for service, host in (("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY), ("sentinel", DISCOVERED_SENTINEL)):
        http_mocker.get(RequestBuilder.domain_api(service).build(), DomainResponse(service, host).build())


class TestDiscovery:
    def test_given_no_override_when_host_then_ask_domain_api_for_that_service(
        self, http_mocker: HttpMocker, host_directory: HostDirectory
    ) -> None:
        _given_discovery(http_mocker)

        hosts = [host_directory.host(service, _discovering().build()) for service in (AGENT_ACTIVITY, SENTINEL)]

        assert hosts == [DISCOVERED_AGENT_ACTIVITY, DISCOVERED_SENTINEL]

    def test_given_domain_api_host_when_host_then_ask_that_host(
        self, http_mocker: HttpMocker, host_directory: HostDirectory
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain", host="api.example-region.liveperson.net").build(),
            DomainResponse("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY).build(),
        )
        config = _discovering().with_domain_api_host("api.example-region.liveperson.net").build()

        assert host_directory.host(AGENT_ACTIVITY, config) == DISCOVERED_AGENT_ACTIVITY

    def test_given_override_when_host_then_use_it_without_asking(
        self, requests_mock, host_directory: HostDirectory
    ) -> None:
        config = _discovering().with_domain("aa.example.net:8443").build()

        assert host_directory.host(AGENT_ACTIVITY, config) == "aa.example.net:8443"
        assert requests_mock.request_history == []

    def test_given_host_asked_again_when_host_then_domain_api_asked_once(
        self, requests_mock, host_directory: HostDirectory
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, json={"baseURI": DISCOVERED_AGENT_ACTIVITY})

        hosts = {host_directory.host(AGENT_ACTIVITY, _discovering().build()) for _ in range(3)}

        assert hosts == {DISCOVERED_AGENT_ACTIVITY}
        assert len(requests_mock.request_history) == 1

    def test_given_service_name_when_host_then_same_as_service(
        self, http_mocker: HttpMocker, host_directory: HostDirectory
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("accountConfigReadOnly").build(),
            DomainResponse("accountConfigReadOnly", DISCOVERED_ACCOUNT_CONFIG).build(),
        )

        assert host_directory.host("accountConfigReadOnly", _discovering().build()) == DISCOVERED_ACCOUNT_CONFIG


class TestDiscoveryFailures:
    @pytest.mark.parametrize("status_code", [400, 401, 403, 404])
    def test_given_domain_api_rejects_account_when_host_then_config_error_names_account_and_service(
        self, http_mocker: HttpMocker, host_directory: HostDirectory, status_code: int
    ) -> None:
        http_mocker.get(RequestBuilder.domain_api("agentActivityDomain").build(), ErrorResponse.of(status_code).build())

        with pytest.raises(AirbyteTracedException) as raised:
            host_directory.host(AGENT_ACTIVITY, _discovering().build())

        assert raised.value.failure_type == FailureType.config_error
        assert raised.value.message.startswith("Account 12345678 has no agentActivityDomain service")

    def test_given_failure_when_host_asked_again_then_same_error_without_asking_again(
        self, requests_mock, host_directory: HostDirectory
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, status_code=404, json={})

        messages = []
        for _ in range(2):
            with pytest.raises(AirbyteTracedException) as raised:
                host_directory.host(AGENT_ACTIVITY, _discovering().build())
            messages.append(raised.value.message)

        assert messages[0] == messages[1]
        assert len(requests_mock.request_history) == 1

    def test_given_account_config_lookup_fails_then_message_says_which_streams_need_it(
        self, http_mocker: HttpMocker, host_directory: HostDirectory
    ) -> None:
        http_mocker.get(RequestBuilder.domain_api("accountConfigReadOnly").build(), ErrorResponse.of(404).build())

        with pytest.raises(AirbyteTracedException) as raised:
            host_directory.host(ACCOUNT_CONFIG, _discovering().build())

        assert "Only agents, agent_groups and status_reasons need it" in raised.value.message

    def test_given_network_failure_when_host_then_transient_error_after_four_attempts(
        self, requests_mock, host_directory: HostDirectory
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, exc=requests.exceptions.ConnectionError("connection refused"))

        with pytest.raises(AirbyteTracedException) as raised:
            host_directory.host(AGENT_ACTIVITY, _discovering().build())

        assert raised.value.failure_type == FailureType.transient_error
        assert "ConnectionError, 4 attempts" in raised.value.message
        assert len(requests_mock.request_history) == 4

    def test_given_network_failure_when_host_then_pause_longer_between_attempts(
        self, requests_mock, sleeps, host_directory: HostDirectory
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, exc=requests.exceptions.ConnectTimeout("timed out"))

        with pytest.raises(AirbyteTracedException):
            host_directory.host(AGENT_ACTIVITY, _discovering().build())

        assert sleeps.waits == [1.0, 2.0, 4.0]

    def test_given_network_failure_when_host_then_message_says_which_override_avoids_discovery(
        self, requests_mock, host_directory: HostDirectory
    ) -> None:
        requests_mock.get(DOMAIN_API_URL, exc=requests.exceptions.ConnectionError("connection refused"))

        with pytest.raises(AirbyteTracedException) as raised:
            host_directory.host(AGENT_ACTIVITY, _discovering().build())

        assert "set domain" in raised.value.message and "account 12345678" in raised.value.message

    def test_given_server_error_then_answer_when_host_then_retry(
        self, http_mocker: HttpMocker, host_directory: HostDirectory
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain").build(),
            [ErrorResponse.of(503).build(), DomainResponse("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY).build()],
        )

        assert host_directory.host(AGENT_ACTIVITY, _discovering().build()) == DISCOVERED_AGENT_ACTIVITY

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
    def test_given_base_uri_not_a_plain_host_when_host_then_config_error(
        self, http_mocker: HttpMocker, host_directory: HostDirectory, base_uri
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain").build(),
            DomainResponse("agentActivityDomain", base_uri).build(),
        )

        with pytest.raises(AirbyteTracedException) as raised:
            host_directory.host(AGENT_ACTIVITY, _discovering().build())

        assert raised.value.failure_type == FailureType.config_error
        assert "not a plain host name" in raised.value.message

    def test_given_answer_that_is_not_json_when_host_then_config_error(
        self, http_mocker: HttpMocker, host_directory: HostDirectory
    ) -> None:
        http_mocker.get(RequestBuilder.domain_api("agentActivityDomain").build(), HttpResponse("<html></html>", 200))

        with pytest.raises(AirbyteTracedException) as raised:
            host_directory.host(AGENT_ACTIVITY, _discovering().build())

        assert "not a plain host name" in raised.value.message


@freeze_time(NOW)
class TestHostsInRead:
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

    def test_given_status_changes_only_when_read_then_account_config_host_never_asked(
        self, http_mocker: HttpMocker
    ) -> None:
        # HttpMocker fails the read on any request it has no mock for, the accountConfigReadOnly lookup included.
        _given_discovery(http_mocker)
        http_mocker.post(RequestBuilder.token(host=DISCOVERED_SENTINEL).build(), TokenResponse().build())
        http_mocker.get(
            RequestBuilder.status_changes(host=DISCOVERED_AGENT_ACTIVITY).build(), StatusChangesResponse().build()
        )

        output = read_status_changes(ConfigBuilder().with_discovery().build())

        assert output.errors == []

    def test_given_oauth1_keys_when_read_then_sentinel_never_looked_up(self, requests_mock) -> None:
        """OAuth 1.0a signs each request with the app keys: no token is asked for, so no Sentinel host either."""
        agent_activity = DomainResponse("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY).build()
        status_changes_url = RequestBuilder.status_changes(host=DISCOVERED_AGENT_ACTIVITY).url
        requests_mock.get(DOMAIN_API_URL, text=agent_activity.body)
        page = StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build()
        requests_mock.get(status_changes_url, text=page.body)

        output = read_status_changes(ConfigBuilder().with_discovery().with_oauth1().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]
        # requests_mock refuses a request it has no mock for (a Sentinel lookup would fail the read): none was sent.
        assert [sent.url.split("?")[0] for sent in requests_mock.request_history] == [
            DOMAIN_API_URL,
            status_changes_url,
        ]

    def test_given_account_config_host_not_found_when_reading_agents_too_then_only_agents_fail(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_discovery(http_mocker)
        http_mocker.get(RequestBuilder.domain_api("accountConfigReadOnly").build(), ErrorResponse.of(404).build())
        http_mocker.post(RequestBuilder.token(host=DISCOVERED_SENTINEL).build(), TokenResponse().build())
        http_mocker.get(
            RequestBuilder.status_changes(host=DISCOVERED_AGENT_ACTIVITY).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
        )
        both = catalog(SyncMode.full_refresh, ["status_changes", "agents"])

        output = read_catalog(ConfigBuilder().with_discovery().build(), both, expect_failure=True)

        assert [record.record.stream for record in output.records] == ["status_changes"]
        failed = {error.stream_descriptor.name: error for error in stream_errors(output)}
        assert list(failed) == ["agents"]
        assert failed["agents"].failure_type == FailureType.config_error
        assert failed["agents"].message.startswith("Account 12345678 has no accountConfigReadOnly service")


class TestEveryServiceInOneRequest:
    """In a real run the Domain API is first asked for every service of the account at once (the tests above ask one
    service at a time, as a run does for what that answer leaves out)."""

    @pytest.fixture
    def directory(self, sleeps) -> HostDirectory:
        return HostDirectory(sleep=sleeps)

    def test_given_all_services_listed_when_hosts_then_one_request_answers_them_all(
        self, http_mocker: HttpMocker, directory: HostDirectory
    ) -> None:
        all_services = RequestBuilder.domain_api_all().build()
        http_mocker.get(
            all_services,
            AllServicesResponse(
                {
                    "agentActivityDomain": DISCOVERED_AGENT_ACTIVITY,
                    "sentinel": DISCOVERED_SENTINEL,
                    "accountConfigReadOnly": DISCOVERED_ACCOUNT_CONFIG,
                    "leDataReporting": "lo.reporting.liveperson.net",
                }
            ).build(),
        )
        config = _discovering().build()

        hosts = [directory.host(service, config) for service in (AGENT_ACTIVITY, SENTINEL, ACCOUNT_CONFIG)]

        assert hosts == [DISCOVERED_AGENT_ACTIVITY, DISCOVERED_SENTINEL, DISCOVERED_ACCOUNT_CONFIG]
        http_mocker.assert_number_of_calls(all_services, 1)

    def test_given_a_service_left_out_when_its_host_then_asked_alone_with_its_own_message(
        self, http_mocker: HttpMocker, directory: HostDirectory
    ) -> None:
        http_mocker.get(
            RequestBuilder.domain_api_all().build(),
            AllServicesResponse(
                {"agentActivityDomain": DISCOVERED_AGENT_ACTIVITY, "sentinel": DISCOVERED_SENTINEL}
            ).build(),
        )
        alone = RequestBuilder.domain_api("accountConfigReadOnly").build()
        http_mocker.get(alone, ErrorResponse(404, {}).build())

        with pytest.raises(AirbyteTracedException) as raised:
            directory.host(ACCOUNT_CONFIG, _discovering().build())

        assert raised.value.failure_type == FailureType.config_error
        assert "Account 12345678 has no accountConfigReadOnly service" in raised.value.message
        http_mocker.assert_number_of_calls(alone, 1)

    @pytest.mark.parametrize(
        "answer",
        [
            pytest.param(ErrorResponse(500, {}).build(), id="server_error"),
            pytest.param(HttpResponse("<html>not json</html>", 200), id="not_json"),
            pytest.param(AllServicesResponse({"agentActivityDomain": "https://evil.example.com"}).build(), id="url"),
        ],
    )
    def test_given_all_services_answer_unusable_when_host_then_the_service_asked_alone(
        self, http_mocker: HttpMocker, directory: HostDirectory, answer: HttpResponse
    ) -> None:
        all_services = RequestBuilder.domain_api_all().build()
        http_mocker.get(all_services, answer)
        http_mocker.get(
            RequestBuilder.domain_api("agentActivityDomain").build(),
            DomainResponse("agentActivityDomain", DISCOVERED_AGENT_ACTIVITY).build(),
        )

        assert directory.host(AGENT_ACTIVITY, _discovering().build()) == DISCOVERED_AGENT_ACTIVITY
        http_mocker.assert_number_of_calls(all_services, 1)
