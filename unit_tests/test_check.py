"""`check`: one cheap request (limit=1, a one-day window) that proves host, credentials and permission."""

from pathlib import Path

from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from freezegun import freeze_time

from unit_tests.support.config import PERMISSION, ConfigBuilder
from unit_tests.support.entrypoint import NOW, check, connection_status, secrets_printed
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse, TokenResponse, a_record


def _check_request() -> RequestBuilder:
    """The first one-day window of the default config, one record per page."""
    return (
        RequestBuilder.status_changes()
        .with_limit(1)
        .with_window("2026-06-01T00:00:00.000Z", "2026-06-01T23:59:59.999Z")
    )


@freeze_time(NOW)
class TestCheck:
    def test_given_valid_credentials_when_check_then_succeeded(self, http_mocker: HttpMocker, tmp_path: Path) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(
            _check_request().build(),
            StatusChangesResponse().with_record(a_record("2026-06-01T09:00:00.000Z")).with_next_offset(1).build(),
        )

        output = check(ConfigBuilder().build(), tmp_path)

        assert connection_status(output).status == Status.SUCCEEDED

    def test_given_valid_credentials_when_check_then_send_exactly_one_request_with_limit_1(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        check_request = _check_request().build()
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(
            check_request,
            StatusChangesResponse().with_record(a_record("2026-06-01T09:00:00.000Z")).with_next_offset(1).build(),
        )

        check(ConfigBuilder().build(), tmp_path)

        http_mocker.assert_number_of_calls(check_request, 1)

    def test_given_no_status_changes_in_first_window_when_check_then_succeeded(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(_check_request().build(), StatusChangesResponse().build())

        output = check(ConfigBuilder().build(), tmp_path)

        assert connection_status(output).status == Status.SUCCEEDED

    def test_given_403_when_check_then_failed_with_permission_name(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(_check_request().build(), ErrorResponse.of(403).build())

        status = connection_status(check(ConfigBuilder().build(), tmp_path))

        assert status.status == Status.FAILED
        assert PERMISSION in status.message and "Account 12345678" in status.message

    def test_given_403_when_check_then_message_is_plain_text_not_a_repr(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(_check_request().build(), ErrorResponse.of(403).build())

        status = connection_status(check(ConfigBuilder().build(), tmp_path))

        assert status.message == (
            "Stream status_changes is not available: Account 12345678 does not let these credentials read agent "
            f'status changes (HTTP 403): grant the permission "{PERMISSION}" to the API key or app, and ask LivePerson '
            "to enable the Agent Activity API on the account if it is not."
        )

    def test_given_401_even_with_a_fresh_token_when_check_then_failed_with_permission_name(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), [TokenResponse().build()] * 2)
        http_mocker.get(_check_request().build(), [ErrorResponse.of(401).build()] * 2)

        status = connection_status(check(ConfigBuilder().build(), tmp_path))

        assert status.status == Status.FAILED
        assert PERMISSION in status.message

    def test_given_wrong_client_secret_when_check_then_failed_naming_the_field(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), HttpResponse('{"error": "invalid_client"}', 401))

        status = connection_status(check(ConfigBuilder().build(), tmp_path))

        assert status.status == Status.FAILED
        assert status.message.startswith(
            "Stream status_changes is not available: LivePerson's login service (va.sentinel.liveperson.net) rejected"
        )
        assert "credentials.client_secret" in status.message

    def test_given_wrong_client_secret_when_check_then_no_secret_is_printed(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), HttpResponse('{"error": "invalid_client"}', 401))

        output = check(ConfigBuilder().build(), tmp_path)

        assert secrets_printed(output) == []

    def test_given_400_when_check_then_failed_with_causes(self, http_mocker: HttpMocker, tmp_path: Path) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(_check_request().build(), ErrorResponse.of(400).build())

        status = connection_status(check(ConfigBuilder().build(), tmp_path))

        assert status.status == Status.FAILED
        assert "limit: must be less than or equal to 5000" in status.message

    def test_given_500_on_every_attempt_when_check_then_failed_quoting_internal_code(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(_check_request().build(), [ErrorResponse.of(500).build()] * 6)

        status = connection_status(check(ConfigBuilder().build(), tmp_path))

        assert status.status == Status.FAILED
        assert "AA-5007" in status.message

    def test_given_oauth1_keys_when_check_then_succeeded_without_token_request(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.get(_check_request().build(), StatusChangesResponse().build())

        output = check(ConfigBuilder().with_oauth1().build(), tmp_path)

        assert connection_status(output).status == Status.SUCCEEDED

    def test_given_check_when_log_read_then_it_says_what_check_reads_not_a_full_reads_plan(
        self, http_mocker: HttpMocker, tmp_path: Path
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(_check_request().build(), StatusChangesResponse().build())

        output = check(ConfigBuilder().build(), tmp_path)

        logs = [message.log.message for message in output.logs]
        assert (
            "check reads one page of at most 1 status change(s) from the window 2026-06-01T00:00:00.000Z to "
            "2026-06-01T23:59:59.999Z, to prove the host, the credentials and the permission."
        ) in logs
        assert not [line for line in logs if " will read " in line or " to go" in line], logs
