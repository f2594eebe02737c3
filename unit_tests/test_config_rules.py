"""Every rule a config must follow: each broken rule is a config error whose message names the field."""

from datetime import UTC, datetime

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.config_rules import SPEC, effective_start, validate_config
from source_agent_activity.spec_rules import spec_problem
from unit_tests.support.config import SECRETS, ConfigBuilder

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _error_for(config: dict) -> AirbyteTracedException:
    with pytest.raises(AirbyteTracedException) as raised:
        validate_config(config, NOW)
    return raised.value


class TestValidConfigs:
    @pytest.mark.parametrize(
        "config",
        [
            pytest.param(ConfigBuilder().build(), id="oauth2"),
            pytest.param(ConfigBuilder().with_oauth1().build(), id="oauth1"),
            pytest.param(ConfigBuilder().without_start_date().without_end_date().build(), id="no dates"),
            pytest.param(ConfigBuilder().with_start_date("2026-06-01").with_end_date("2026-06-02").build(), id="dates"),
            pytest.param(ConfigBuilder().with_start_date("2026-06-01T02:00:00+02:00").build(), id="offset"),
            pytest.param(ConfigBuilder().with_domain("localhost:8443").build(), id="host and port"),
            pytest.param(ConfigBuilder().with_domain("").build(), id="empty override"),
            pytest.param(ConfigBuilder().with_agent_id(3811562610).build(), id="one filter"),
            pytest.param(
                ConfigBuilder()
                .with_lookback_minutes(0)
                .with_window_size_days(28)
                .with_page_size(5000)
                .with_num_workers(10)
                .with_source("x" * 20)
                .build(),
                id="edges of ranges",
            ),
        ],
    )
    def test_given_valid_config_when_validate_then_no_error(self, config: dict) -> None:
        validate_config(config, NOW)


class TestAccountAndCredentials:
    def test_given_no_account_id_when_validate_then_error_names_account_id(self) -> None:
        error = _error_for(ConfigBuilder().without_field("account_id").build())

        assert error.failure_type == FailureType.config_error
        assert error.message.startswith("account_id is missing")

    def test_given_account_id_with_punctuation_when_validate_then_error_names_account_id_and_value(self) -> None:
        error = _error_for(ConfigBuilder().with_account_id("le-12345678").build())

        assert (
            error.message == "account_id 'le-12345678' is not valid: use letters and digits only, for example 12345678."
        )

    def test_given_no_credentials_when_validate_then_error_names_credentials(self) -> None:
        error = _error_for(ConfigBuilder().without_field("credentials").build())

        assert error.message.startswith("credentials is missing: choose OAuth 2.0 client credentials or OAuth 1.0a")

    def test_given_unknown_auth_type_when_validate_then_error_names_auth_type(self) -> None:
        error = _error_for(ConfigBuilder().with_credential("auth_type", "basic").build())

        assert error.message.startswith("credentials.auth_type 'basic' is not supported")

    @pytest.mark.parametrize("field", ["client_id", "client_secret"])
    def test_given_empty_oauth2_field_when_validate_then_error_names_it(self, field: str) -> None:
        error = _error_for(ConfigBuilder().with_credential(field, "  ").build())

        assert error.message.startswith(f"credentials.{field} is missing or empty")

    @pytest.mark.parametrize("field", ["app_key", "app_secret", "access_token", "access_token_secret"])
    def test_given_missing_oauth1_field_when_validate_then_error_names_it(self, field: str) -> None:
        credentials = ConfigBuilder().with_oauth1().build()["credentials"]
        del credentials[field]

        error = _error_for(ConfigBuilder().with_credentials(credentials).build())

        assert error.message.startswith(f"credentials.{field} is missing: the OAuth 1.0a app key (legacy")

    def test_given_missing_client_secret_when_validate_then_message_shows_no_other_secret(self) -> None:
        error = _error_for(ConfigBuilder().with_credential("client_secret", "").build())

        assert not [secret for secret in SECRETS if secret in error.message]


class TestNumbers:
    @pytest.mark.parametrize(
        "field, low, high",
        [
            ("lookback_minutes", 0, 1440),
            ("window_size_days", 1, 28),
            ("page_size", 1, 5000),
            ("num_workers", 1, 10),
            ("history_days", 1, 395),
        ],
    )
    @pytest.mark.parametrize("bad", ["below", "above", "text", "bool", "float"])
    def test_given_value_outside_range_when_validate_then_error_names_field_and_range(
        self, field: str, low: int, high: int, bad: str
    ) -> None:
        value = {"below": low - 1, "above": high + 1, "text": "7", "bool": True, "float": 2.5}[bad]

        error = _error_for(ConfigBuilder().with_field(field, value).build())

        assert error.message == f"{field} must be a whole number from {low} to {high}, got {value!r}."


class TestFilters:
    def test_given_two_filters_when_validate_then_error_names_both(self) -> None:
        error = _error_for(ConfigBuilder().with_agent_id(1).with_employee_id("EMP-1").build())

        assert error.message.startswith("agent_id and employee_id are both set")

    def test_given_three_filters_when_validate_then_error_names_all(self) -> None:
        error = _error_for(ConfigBuilder().with_agent_id(1).with_employee_id("E").with_agent_group_id(2).build())

        assert error.message.startswith("agent_id and employee_id and agent_group_id")

    @pytest.mark.parametrize("field", ["agent_id", "agent_group_id"])
    def test_given_id_filter_that_is_not_a_number_when_validate_then_error_names_it(self, field: str) -> None:
        error = _error_for(ConfigBuilder().with_field(field, "abc").build())

        assert error.message == f"{field} must be a whole number, got 'abc'."

    def test_given_employee_id_that_is_not_text_when_validate_then_error_names_it(self) -> None:
        error = _error_for(ConfigBuilder().with_employee_id(1042).build())

        assert error.message == "employee_id must be text, got 1042."


class TestSourceAndVersion:
    @pytest.mark.parametrize("source", ["", "x" * 21])
    def test_given_source_of_wrong_length_when_validate_then_error_names_source(self, source) -> None:
        error = _error_for(ConfigBuilder().with_source(source).build())

        assert error.message == f"source must be 1 to 20 characters, got {source!r}."

    def test_given_source_that_is_not_text_when_validate_then_error_names_source(self) -> None:
        assert _error_for(ConfigBuilder().with_source(5).build()).message == "source must be text, got 5."

    def test_given_unknown_api_version_when_validate_then_error_names_api_version(self) -> None:
        error = _error_for(ConfigBuilder().with_field("api_version", "3").build())

        assert error.message.startswith("api_version must be")


class TestHosts:
    @pytest.mark.parametrize("field", ["domain", "sentinel_domain", "domain_api_host", "account_config_domain"])
    @pytest.mark.parametrize(
        "value",
        [
            "https://va.agent-activity.liveperson.net",
            "va.agent-activity.liveperson.net/api",
            "user@va.agent-activity.liveperson.net",
            "va.agent-activity.liveperson.net:0",
            "va.agent-activity.liveperson.net:70000",
            "-bad-.liveperson.net",
        ],
    )
    def test_given_override_that_is_not_a_plain_host_when_validate_then_error_names_field(
        self, field: str, value: str
    ) -> None:
        error = _error_for(ConfigBuilder().with_field(field, value).build())

        assert error.message.startswith(f"{field} {value!r} is not a host name")


class TestDates:
    @pytest.mark.parametrize("field", ["start_date", "end_date"])
    def test_given_unparseable_date_when_validate_then_error_names_field_and_value(self, field: str) -> None:
        error = _error_for(ConfigBuilder().with_field(field, "yesterday").build())

        assert error.message.startswith(f"{field} 'yesterday' is not a date-time")

    @pytest.mark.parametrize("field", ["start_date", "end_date"])
    def test_given_date_in_the_future_when_validate_then_error_names_field(self, field: str) -> None:
        error = _error_for(ConfigBuilder().without_end_date().with_field(field, "2026-06-16T00:00:00Z").build())

        assert error.message.startswith(f"{field} '2026-06-16T00:00:00Z' is in the future")

    @pytest.mark.parametrize("end_date", ["2026-06-01T00:00:00Z", "2026-05-31T00:00:00Z"])
    def test_given_end_date_not_after_start_date_when_validate_then_error_names_both(self, end_date: str) -> None:
        error = _error_for(ConfigBuilder().with_start_date("2026-06-01T00:00:00Z").with_end_date(end_date).build())

        assert error.message == f"end_date {end_date!r} must be after start_date '2026-06-01T00:00:00Z'."


class TestWhatTheSpecSays:
    """Messages are read from the manifest's spec: the field as the user wrote it, the value and what is allowed."""

    @pytest.mark.parametrize(
        "config, message",
        [
            pytest.param(
                ConfigBuilder().with_page_size(6000).build(),
                "page_size must be a whole number from 1 to 5000, got 6000.",
                id="maximum",
            ),
            pytest.param(
                ConfigBuilder().with_page_size(5.0).build(),
                "page_size must be a whole number from 1 to 5000, got 5.0.",
                id="a float JSON Schema calls an integer",
            ),
            pytest.param(
                ConfigBuilder().with_start_date("yesterday").build(),
                "start_date 'yesterday' is not a date-time: use RFC 3339, for example 2026-06-01T00:00:00Z.",
                id="pattern of a date-time",
            ),
            pytest.param(
                ConfigBuilder().with_field("end_date", 20260601).build(),
                "end_date must be a date-time like 2026-07-01T00:00:00Z, got 20260601.",
                id="type of a date-time",
            ),
            pytest.param(
                ConfigBuilder().with_field("api_version", "3").build(),
                'api_version must be "2" (the default) or "1", got \'3\'.',
                id="enum",
            ),
            pytest.param(
                ConfigBuilder().without_field("account_id").build(),
                "account_id is missing: enter the Account ID, for example 12345678.",
                id="required",
            ),
            pytest.param(
                ConfigBuilder().with_account_id("").build(),
                "account_id is missing: enter the Account ID, for example 12345678.",
                id="empty required text",
            ),
            pytest.param(
                ConfigBuilder().with_credentials({"auth_type": "oauth2_client_credentials", "client_id": "c"}).build(),
                "credentials.client_secret is missing: "
                "the OAuth 2.0 client credentials option needs its Client secret.",
                id="oauth2 without its secret, not the oauth1 branch",
            ),
            pytest.param(
                ConfigBuilder().with_credentials({"client_id": "c", "client_secret": "s"}).build(),
                "credentials.auth_type is missing: use 'oauth2_client_credentials' for OAuth 2.0 client credentials, "
                "or 'oauth1_app_key' for OAuth 1.0a app key (legacy, retired by LivePerson on 2026-05-31).",
                id="no auth_type",
            ),
            pytest.param(
                ConfigBuilder().with_domain(8443).build(),
                "domain must be text, got 8443.",
                id="type of a host",
            ),
        ],
    )
    def test_given_config_the_spec_refuses_when_validate_then_message_names_field_value_and_what_is_allowed(
        self, config: dict, message: str
    ) -> None:
        assert _error_for(config).message == message

    def test_given_secret_of_the_wrong_type_when_validate_then_message_shows_its_type_not_its_value(self) -> None:
        secret = 918273645546372819
        config = ConfigBuilder().with_credential("client_secret", secret).build()

        assert _error_for(config).message == "credentials.client_secret must be text, got a number."

    def test_given_two_refused_settings_when_validate_then_the_first_in_the_spec_order_is_named(self) -> None:
        config = ConfigBuilder().with_page_size(0).with_account_id("a b").build()

        assert _error_for(config).message.startswith("account_id 'a b' is not valid")

    def test_given_optional_setting_set_to_null_when_validate_then_it_counts_as_not_set(self) -> None:
        validate_config(ConfigBuilder().with_field("end_date", None).with_field("agent_id", None).build(), NOW)

    def test_given_a_spec_with_another_range_when_checked_then_the_message_follows_the_spec(self) -> None:
        spec = {
            **SPEC,
            "properties": {**SPEC["properties"], "page_size": {"type": "integer", "minimum": 1, "maximum": 9}},
        }

        assert spec_problem(ConfigBuilder().with_page_size(10).build(), spec) == (
            "page_size must be a whole number from 1 to 9, got 10."
        )


class TestEffectiveStart:
    def test_given_start_date_within_180_days_when_effective_start_then_keep_it(self) -> None:
        start, clamped_from = effective_start(ConfigBuilder().with_start_date("2026-06-01T00:00:00Z").build(), NOW)

        assert (start, clamped_from) == (datetime(2026, 6, 1, tzinfo=UTC), None)

    def test_given_start_date_older_than_180_days_when_effective_start_then_clamp_and_say_from_what(self) -> None:
        start, clamped_from = effective_start(ConfigBuilder().with_start_date("2025-01-01T00:00:00Z").build(), NOW)

        assert (start, clamped_from) == (datetime(2025, 12, 17, 12, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))

    def test_given_history_days_395_when_effective_start_then_keep_a_start_date_13_months_back(self) -> None:
        config = ConfigBuilder().with_start_date("2025-06-01T00:00:00Z").with_history_days(395).build()

        assert effective_start(config, NOW) == (datetime(2025, 6, 1, tzinfo=UTC), None)

    def test_given_history_days_30_when_effective_start_then_clamp_to_30_days_ago(self) -> None:
        config = ConfigBuilder().with_start_date("2026-05-01T00:00:00Z").with_history_days(30).build()

        assert effective_start(config, NOW) == (datetime(2026, 5, 16, 12, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))

    def test_given_end_date_older_than_history_days_when_validate_then_error_names_history_days(self) -> None:
        config = ConfigBuilder().with_history_days(10).build()

        assert "older than the 10 days LivePerson keeps (history_days)" in _error_for(config).message

    def test_given_no_start_date_when_effective_start_then_180_days_ago(self) -> None:
        start, clamped_from = effective_start(ConfigBuilder().without_start_date().build(), NOW)

        assert (start, clamped_from) == (datetime(2025, 12, 17, 12, tzinfo=UTC), None)
