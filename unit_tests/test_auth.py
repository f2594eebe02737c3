"""Authentication: OAuth 2.0 client-credential tokens (fetch, reuse, renewal, 401) and OAuth 1.0a signatures."""

import re
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

from source_agent_activity import auth
from unit_tests.support.config import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    ACCOUNT_ID,
    APP_KEY,
    APP_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    PERMISSION,
    SENTINEL_HOST,
    ConfigBuilder,
)
from unit_tests.support.entrypoint import (
    NOW,
    current_sync,
    read_status_changes,
    record_times,
    secrets_printed,
    stream_error,
)
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse, TokenResponse, a_record

TOKEN_A = "unit-bearer-token-a-61c2e0f4b8d94d37"
TOKEN_B = "unit-bearer-token-b-93d7a1c5e2f04b68"


def _get_token() -> str:
    return current_sync().tokens.get(SENTINEL_HOST, ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)


class TestTokenFetch:
    def test_given_client_credentials_when_get_token_then_post_form_to_sentinel_v2_endpoint(
        self, http_mocker: HttpMocker
    ) -> None:
        token_request = RequestBuilder.token().with_header("Content-Type", "application/x-www-form-urlencoded").build()
        http_mocker.post(token_request, TokenResponse().with_access_token(TOKEN_A).build())

        assert _get_token() == TOKEN_A

    def test_given_token_fetched_when_get_again_then_reuse_it(self, http_mocker: HttpMocker) -> None:
        token_request = RequestBuilder.token().build()
        http_mocker.post(token_request, TokenResponse().with_access_token(TOKEN_A).build())
        _get_token()

        assert _get_token() == TOKEN_A
        http_mocker.assert_number_of_calls(token_request, 1)

    def test_given_token_until_61_seconds_before_expiry_when_get_then_reuse_it(
        self, http_mocker: HttpMocker, token_clock
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [TokenResponse().with_access_token(TOKEN_A).with_expires_in(3600).build()],
        )
        _get_token()
        token_clock.advance(3600 - 61)

        assert _get_token() == TOKEN_A

    def test_given_token_60_seconds_before_expiry_when_get_then_fetch_a_new_one(
        self, http_mocker: HttpMocker, token_clock
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [
                TokenResponse().with_access_token(TOKEN_A).with_expires_in(3600).build(),
                TokenResponse().with_access_token(TOKEN_B).with_expires_in(3600).build(),
            ],
        )
        _get_token()
        token_clock.advance(3600 - 60)

        assert _get_token() == TOKEN_B

    def test_given_short_lived_token_when_get_then_renew_a_tenth_of_its_lifetime_early(
        self, http_mocker: HttpMocker, token_clock
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [
                TokenResponse().with_access_token(TOKEN_A).with_expires_in(100).build(),
                TokenResponse().with_access_token(TOKEN_B).build(),
            ],
        )
        _get_token()
        token_clock.advance(90)

        assert _get_token() == TOKEN_B

    def test_given_no_expires_in_when_get_then_token_is_reused_for_almost_an_hour(
        self, http_mocker: HttpMocker, token_clock
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(), TokenResponse().with_access_token(TOKEN_A).without_expires_in().build()
        )
        _get_token()
        token_clock.advance(3600 - 61)

        assert _get_token() == TOKEN_A

    def test_given_no_expires_in_when_an_hour_has_passed_then_fetch_a_new_one(
        self, http_mocker: HttpMocker, token_clock
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [
                TokenResponse().with_access_token(TOKEN_A).without_expires_in().build(),
                TokenResponse().with_access_token(TOKEN_B).build(),
            ],
        )
        _get_token()
        token_clock.advance(3600)

        assert _get_token() == TOKEN_B

    def test_given_rejected_token_discarded_when_get_then_fetch_a_new_one(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [TokenResponse().with_access_token(TOKEN_A).build(), TokenResponse().with_access_token(TOKEN_B).build()],
        )
        _get_token()

        current_sync().tokens.discard(SENTINEL_HOST, ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, rejected=TOKEN_A)

        assert _get_token() == TOKEN_B

    def test_given_an_older_token_discarded_when_get_then_keep_the_current_one(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().with_access_token(TOKEN_B).build())
        _get_token()

        current_sync().tokens.discard(SENTINEL_HOST, ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, rejected=TOKEN_A)

        assert _get_token() == TOKEN_B

    def test_given_token_for_one_secret_when_other_secret_asks_then_it_gets_its_own_answer(self, requests_mock) -> None:
        def answer(request, context):
            if f"client_secret={CLIENT_SECRET}" in request.text:
                return {"access_token": TOKEN_A, "expires_in": 3600}
            context.status_code = 401
            return {"error": "invalid_client"}

        requests_mock.post(f"https://{SENTINEL_HOST}/sentinel/api/v2/account/{ACCOUNT_ID}/app/token", json=answer)
        _get_token()

        with pytest.raises(AirbyteTracedException):
            current_sync().tokens.get(SENTINEL_HOST, ACCOUNT_ID, CLIENT_ID, "unit-other-secret-0b9e4d7a31")

    def test_given_wrong_client_secret_when_get_token_then_config_error_names_the_fields(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), HttpResponse('{"error": "invalid_client"}', 401))

        with pytest.raises(AirbyteTracedException) as raised:
            _get_token()

        assert raised.value.failure_type == FailureType.config_error
        assert "credentials.client_secret" in raised.value.message
        assert CLIENT_SECRET not in raised.value.message and CLIENT_ID not in raised.value.message

    def test_given_sentinel_fails_once_when_get_token_then_retry_after_a_pause(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [ErrorResponse.of(503).build(), TokenResponse().with_access_token(TOKEN_A).build()],
        )

        assert _get_token() == TOKEN_A
        assert sleeps.waits == [1.0]

    def test_given_sentinel_always_fails_when_get_token_then_transient_error_after_four_attempts(
        self, http_mocker: HttpMocker
    ) -> None:
        token_request = RequestBuilder.token().build()
        http_mocker.post(token_request, [ErrorResponse.of(503).build()] * 4)

        with pytest.raises(AirbyteTracedException) as raised:
            _get_token()

        assert raised.value.failure_type == FailureType.transient_error
        assert "4 attempts" in raised.value.message
        http_mocker.assert_number_of_calls(token_request, 4)

    def test_given_answer_without_access_token_when_get_token_then_system_error(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(RequestBuilder.token().build(), HttpResponse('{"token_type": "Bearer"}', 200))

        with pytest.raises(AirbyteTracedException) as raised:
            _get_token()

        assert raised.value.failure_type == FailureType.system_error


@freeze_time(NOW)
class TestTokenInRead:
    def test_given_two_windows_when_read_then_fetch_one_token_for_both(self, http_mocker: HttpMocker) -> None:
        token_request = RequestBuilder.token().build()
        http_mocker.post(token_request, TokenResponse().with_access_token(TOKEN_A).build())
        for start, end in (
            ("2026-05-27T00:00:00.000Z", "2026-06-02T23:59:59.999Z"),
            ("2026-06-03T00:00:00.000Z", "2026-06-05T00:00:00.000Z"),
        ):
            http_mocker.get(
                RequestBuilder.status_changes().with_window(start, end).with_bearer(TOKEN_A).build(),
                StatusChangesResponse().with_record(a_record(start)).build(),
            )

        output = read_status_changes(ConfigBuilder().with_start_date("2026-05-27T00:00:00Z").build())

        assert len(output.records) == 2
        http_mocker.assert_number_of_calls(token_request, 1)

    def test_given_401_when_read_then_fetch_a_new_token_and_retry_with_it(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [TokenResponse().with_access_token(TOKEN_A).build(), TokenResponse().with_access_token(TOKEN_B).build()],
        )
        http_mocker.get(RequestBuilder.status_changes().with_bearer(TOKEN_A).build(), ErrorResponse.of(401).build())
        http_mocker.get(
            RequestBuilder.status_changes().with_bearer(TOKEN_B).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]

    def test_given_401_even_with_a_fresh_token_when_read_then_config_error_names_the_permission(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.post(
            RequestBuilder.token().build(),
            [TokenResponse().with_access_token(TOKEN_A).build(), TokenResponse().with_access_token(TOKEN_B).build()],
        )
        http_mocker.get(RequestBuilder.status_changes().build(), [ErrorResponse.of(401).build()] * 2)

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        error = stream_error(output)
        assert error.failure_type == FailureType.config_error
        assert PERMISSION in error.message
        assert "account 12345678" in error.message

    def test_given_401_even_with_a_fresh_token_when_read_then_try_twice_only(self, http_mocker: HttpMocker) -> None:
        token_request = RequestBuilder.token().build()
        status_changes = RequestBuilder.status_changes().build()
        http_mocker.post(
            token_request,
            [TokenResponse().with_access_token(TOKEN_A).build(), TokenResponse().with_access_token(TOKEN_B).build()],
        )
        http_mocker.get(status_changes, [ErrorResponse.of(401).build()] * 2)

        read_status_changes(ConfigBuilder().build(), expect_failure=True)

        http_mocker.assert_number_of_calls(status_changes, 2)
        http_mocker.assert_number_of_calls(token_request, 2)

    def test_given_wrong_client_secret_when_read_then_config_error_without_secrets(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), HttpResponse('{"error": "invalid_client"}', 401))

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        error = stream_error(output)
        assert error.failure_type == FailureType.config_error
        assert "credentials.client_secret" in error.message
        assert secrets_printed(output) == []

    def test_given_token_when_read_then_bearer_token_never_printed(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().with_access_token(TOKEN_A).build())
        http_mocker.get(RequestBuilder.status_changes().build(), [ErrorResponse.of(403).build()])

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert TOKEN_A not in "\n".join(str(message) for message in output.get_message_iterator())


# OAuth Core 1.0, Appendix A.5: https://oauth.net/core/1.0/#sig_base_example
VECTOR = {
    "method": "GET",
    "url": "http://photos.example.net/photos?file=vacation.jpg&size=original",
    "consumer_key": "dpf43f3p2l4k3l03",
    "consumer_secret": "kd94hf93k423kf44",
    "token": "nnch734d00sl2jdk",
    "token_secret": "pfkkdhi9sl3r4s00",
    "nonce": "kllo9940pd9333jh",
    "timestamp": "1191242096",
}


def _oauth_params(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    return {name: unquote(value) for name, value in re.findall(r'(\w+)="([^"]*)"', header)}


class TestOAuth1Signature:
    def test_given_oauth_core_appendix_a_vector_when_sign_then_signature_matches(self) -> None:
        header = auth.oauth1_authorization(**VECTOR)

        assert _oauth_params(header)["oauth_signature"] == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="

    def test_given_oauth_core_appendix_a_vector_when_sign_then_header_carries_the_protocol_parameters(self) -> None:
        params = _oauth_params(auth.oauth1_authorization(**VECTOR))

        assert {name: value for name, value in params.items() if name != "oauth_signature"} == {
            "oauth_consumer_key": "dpf43f3p2l4k3l03",
            "oauth_nonce": "kllo9940pd9333jh",
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": "1191242096",
            "oauth_token": "nnch734d00sl2jdk",
            "oauth_version": "1.0",
        }

    def test_given_default_port_and_upper_case_host_when_sign_then_same_signature_as_plain_url(self) -> None:
        """RFC 5849 section 3.4.1.2: the base string URI has a lower-case host and no default port."""
        plain = _oauth_params(auth.oauth1_authorization(**VECTOR))
        spelled_out = _oauth_params(
            auth.oauth1_authorization(
                **{**VECTOR, "url": "http://Photos.Example.NET:80/photos?file=vacation.jpg&size=original"}
            )
        )

        assert spelled_out["oauth_signature"] == plain["oauth_signature"]

    def test_given_other_port_when_sign_then_port_is_part_of_the_signature(self) -> None:
        plain = _oauth_params(auth.oauth1_authorization(**VECTOR))
        other_port = _oauth_params(
            auth.oauth1_authorization(
                **{**VECTOR, "url": "http://photos.example.net:8080/photos?file=vacation.jpg&size=original"}
            )
        )

        assert other_port["oauth_signature"] != plain["oauth_signature"]

    def test_given_no_nonce_when_sign_twice_then_each_signature_has_a_fresh_nonce(self) -> None:
        vector = {key: value for key, value in VECTOR.items() if key not in ("nonce", "timestamp")}

        first = _oauth_params(auth.oauth1_authorization(**vector))
        second = _oauth_params(auth.oauth1_authorization(**vector))

        assert first["oauth_nonce"] != second["oauth_nonce"]


def _signature_is_valid(method: str, url: str, header: str) -> bool:
    """Recompute the signature of a sent request from its own nonce and timestamp."""
    params = _oauth_params(header)
    expected = auth.oauth1_authorization(
        method,
        url,
        APP_KEY,
        APP_SECRET,
        ACCESS_TOKEN,
        ACCESS_TOKEN_SECRET,
        nonce=params["oauth_nonce"],
        timestamp=params["oauth_timestamp"],
    )
    return _oauth_params(expected)["oauth_signature"] == params["oauth_signature"]


class _SentRequests:
    """Method, URL and Authorization header of each request as it was sent.

    requests_mock's own history keeps a reference to each request, whose headers the connector re-signs in place
    on a retry: only a copy taken at send time shows what each attempt carried.
    """

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def answer(self, status_code: int, body: str) -> dict:
        def record(request, context) -> str:
            self.sent.append((request.method, request.url, request.headers["Authorization"]))
            return body

        return {"status_code": status_code, "text": record}


@freeze_time(NOW)
class TestOAuth1InRead:
    def _given_500_then_a_page(self, requests_mock) -> _SentRequests:
        requests = _SentRequests()
        page = StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build().body
        requests_mock.get(
            "https://va.agent-activity.liveperson.net/api/v2/account/12345678/status-changes",
            [requests.answer(500, '{"internalCode": "AA-5007"}'), requests.answer(200, page)],
        )
        return requests

    def test_given_oauth1_when_read_then_sign_each_request_with_the_app_keys(self, requests_mock) -> None:
        requests = self._given_500_then_a_page(requests_mock)

        read_status_changes(ConfigBuilder().with_oauth1().build())

        assert [_signature_is_valid(*sent) for sent in requests.sent] == [True, True]
        assert {_oauth_params(header)["oauth_consumer_key"] for _, _, header in requests.sent} == {APP_KEY}

    def test_given_oauth1_when_a_request_is_retried_then_the_retry_has_a_fresh_nonce(self, requests_mock) -> None:
        requests = self._given_500_then_a_page(requests_mock)

        read_status_changes(ConfigBuilder().with_oauth1().build())

        first, retry = (_oauth_params(header)["oauth_nonce"] for _, _, header in requests.sent)
        assert first != retry

    def test_given_oauth1_when_read_then_the_query_is_signed_too(self, requests_mock) -> None:
        requests = self._given_500_then_a_page(requests_mock)

        read_status_changes(ConfigBuilder().with_oauth1().build())

        method, url, header = requests.sent[-1]
        assert dict(parse_qsl(urlsplit(url).query))["from"] == "2026-06-01T00:00:00.000Z"
        assert not _signature_is_valid(method, url.split("?")[0], header)

    def test_given_oauth1_when_read_then_no_token_is_requested(self, requests_mock) -> None:
        self._given_500_then_a_page(requests_mock)

        read_status_changes(ConfigBuilder().with_oauth1().build())

        assert {urlsplit(sent.url).path for sent in requests_mock.request_history} == {
            "/api/v2/account/12345678/status-changes"
        }

    def test_given_oauth1_when_read_then_warn_that_liveperson_retired_it(self, requests_mock) -> None:
        self._given_500_then_a_page(requests_mock)

        output = read_status_changes(ConfigBuilder().with_oauth1().build())

        assert output.is_in_logs("LivePerson retired OAuth 1.0 on 2026-05-31")

    def test_given_401_twice_when_read_with_oauth1_then_config_error_names_the_permission(self, requests_mock) -> None:
        requests = _SentRequests()
        requests_mock.get(
            RequestBuilder.status_changes().url,
            [requests.answer(401, '{"reason": "oauth_problem=signature_invalid"}')] * 2,
        )

        output = read_status_changes(ConfigBuilder().with_oauth1().build(), expect_failure=True)

        error = stream_error(output)
        assert error.failure_type == FailureType.config_error
        assert PERMISSION in error.message
        assert len(requests.sent) == 2
