"""The connection specification the Airbyte UI renders: field names, ranges, defaults and secrets."""

import logging
from typing import Any

import pytest
from airbyte_cdk.test.entrypoint_wrapper import _run_command

from source_agent_activity import SourceAgentActivity


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return SourceAgentActivity().spec(logging.getLogger("airbyte")).connectionSpecification


def _credential_options(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each credentials.oneOf option, keyed by its auth_type constant."""
    return {option["properties"]["auth_type"]["const"]: option for option in spec["properties"]["credentials"]["oneOf"]}


def test_given_spec_command_when_run_then_emit_one_spec_message() -> None:
    output = _run_command(SourceAgentActivity(), ["spec"])

    assert [message.spec.connectionSpecification["title"] for message in output.spec_messages] == [
        "LivePerson Agent Activity"
    ]


def test_given_spec_then_account_id_and_credentials_are_required(spec: dict[str, Any]) -> None:
    assert spec["required"] == ["account_id", "credentials"]


def test_given_spec_then_account_id_allows_letters_and_digits_only(spec: dict[str, Any]) -> None:
    assert spec["properties"]["account_id"]["pattern"] == "^[A-Za-z0-9]+$"


def test_given_spec_then_credentials_offer_oauth2_client_credentials_and_oauth1_app_key(spec: dict[str, Any]) -> None:
    options = _credential_options(spec)

    assert {auth_type: sorted(option["properties"]) for auth_type, option in options.items()} == {
        "oauth2_client_credentials": ["auth_type", "client_id", "client_secret"],
        "oauth1_app_key": ["access_token", "access_token_secret", "app_key", "app_secret", "auth_type"],
    }


@pytest.mark.parametrize("auth_type", ["oauth2_client_credentials", "oauth1_app_key"])
def test_given_spec_then_every_credential_field_is_required(spec: dict[str, Any], auth_type: str) -> None:
    option = _credential_options(spec)[auth_type]

    assert sorted(option["required"]) == sorted(option["properties"])


@pytest.mark.parametrize(
    "auth_type, field",
    [
        ("oauth2_client_credentials", "client_id"),
        ("oauth2_client_credentials", "client_secret"),
        ("oauth1_app_key", "app_key"),
        ("oauth1_app_key", "app_secret"),
        ("oauth1_app_key", "access_token"),
        ("oauth1_app_key", "access_token_secret"),
    ],
)
def test_given_spec_then_credential_field_is_an_airbyte_secret(
    spec: dict[str, Any], auth_type: str, field: str
) -> None:
    assert _credential_options(spec)[auth_type]["properties"][field].get("airbyte_secret") is True


def test_given_spec_then_no_field_outside_credentials_is_secret(spec: dict[str, Any]) -> None:
    assert [name for name, field in spec["properties"].items() if field.get("airbyte_secret")] == []


def test_given_spec_then_credentials_use_one_of_so_secrets_are_masked(spec: dict[str, Any]) -> None:
    """The CDK follows `properties` and `oneOf` (not anyOf/allOf) to find the values it masks in output."""
    credentials = spec["properties"]["credentials"]

    assert "oneOf" in credentials and "anyOf" not in credentials and "allOf" not in credentials


@pytest.mark.parametrize(
    "field, minimum, maximum, default",
    [
        ("lookback_minutes", 0, 1440, 120),
        ("window_size_days", 1, 28, 7),
        ("page_size", 1, 5000, 5000),
        ("num_workers", 1, 10, 3),
    ],
)
def test_given_spec_then_integer_field_has_its_range_and_default(
    spec: dict[str, Any], field: str, minimum: int, maximum: int, default: int
) -> None:
    prop = spec["properties"][field]

    assert (prop["type"], prop["minimum"], prop["maximum"], prop["default"]) == ("integer", minimum, maximum, default)


def test_given_spec_then_source_is_1_to_20_characters_defaulting_to_airbyte(spec: dict[str, Any]) -> None:
    prop = spec["properties"]["source"]

    assert (prop["type"], prop["minLength"], prop["maxLength"], prop["default"]) == ("string", 1, 20, "airbyte")


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_given_spec_then_date_field_is_a_date_time_string(spec: dict[str, Any], field: str) -> None:
    prop = spec["properties"][field]

    assert (prop["type"], prop["format"]) == ("string", "date-time")


@pytest.mark.parametrize(
    "field, json_type", [("agent_id", "integer"), ("employee_id", "string"), ("agent_group_id", "integer")]
)
def test_given_spec_then_filter_field_has_its_type(spec: dict[str, Any], field: str, json_type: str) -> None:
    assert spec["properties"][field]["type"] == json_type


@pytest.mark.parametrize("field", ["domain", "sentinel_domain", "domain_api_host"])
def test_given_spec_then_host_override_is_a_string(spec: dict[str, Any], field: str) -> None:
    assert spec["properties"][field]["type"] == "string"


def test_given_spec_then_domain_api_host_defaults_to_api_liveperson_net(spec: dict[str, Any]) -> None:
    assert spec["properties"]["domain_api_host"]["default"] == "api.liveperson.net"


def test_given_spec_then_every_field_has_a_distinct_order(spec: dict[str, Any]) -> None:
    orders = [field["order"] for field in spec["properties"].values()]

    assert len(orders) == len(set(orders))
