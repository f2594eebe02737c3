"""Builders for configs, the requests the connector should send, and LivePerson's answers.

Tests say what differs from a plain, valid setup and nothing else: `ConfigBuilder().with_page_size(2).build()`,
`StatusChangesRequest.for_window(...).with_offset(2).build()`, `StatusChangesResponse().with_next_offset(2).build()`.
Response bodies start from the JSON templates in `resource/http/response/`, copied from LivePerson's documentation.
"""

import copy
import json
from pathlib import Path
from typing import Any, Optional, Union

from airbyte_cdk.models import ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.state_builder import StateBuilder

STREAM = "status_changes"
ACCOUNT_ID = "12345678"

AGENT_ACTIVITY_HOST = "va.agent-activity.liveperson.net"
SENTINEL_HOST = "va.sentinel.liveperson.net"
ACCOUNT_CONFIG_HOST = "va.ac-provision.liveperson.net"
DOMAIN_API_HOST = "api.liveperson.net"

# Long, unique values: a test can search any output for them without false matches.
CLIENT_ID = "unit-client-id-5b7e1c93a2d84f06b1e9"
CLIENT_SECRET = "unit-client-secret-8d2f0c6a4e1b4b7f9c3d2a51"
APP_KEY = "unit-app-key-c41d7be2f05a4e2e8a77"
APP_SECRET = "unit-app-secret-9e6b2f1d3c8a4f70b5e1"
ACCESS_TOKEN = "unit-access-token-7a1f4c9e2b6d4e08a3c5"
ACCESS_TOKEN_SECRET = "unit-access-token-secret-2d8e5a0b7f1c4b93"
SECRETS = (CLIENT_ID, CLIENT_SECRET, APP_KEY, APP_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)

# The LivePerson permission every authorization failure must name.
PERMISSION = "Data → Workforce Management → Agent Status Changes"

_RESPONSES = Path(__file__).parent / "resource" / "http" / "response"


def template(name: str) -> Any:
    """A fresh copy of `resource/http/response/{name}.json`."""
    return json.loads((_RESPONSES / f"{name}.json").read_text())


class ConfigBuilder:
    """A valid OAuth 2.0 config with every host overridden, so that no Domain API call is made unless asked for.

    The default sync reads one window: 2026-06-01T00:00:00Z to 2026-06-05T00:00:00Z.
    """

    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "account_id": ACCOUNT_ID,
            "credentials": {
                "auth_type": "oauth2_client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            "start_date": "2026-06-01T00:00:00Z",
            "end_date": "2026-06-05T00:00:00Z",
            "domain": AGENT_ACTIVITY_HOST,
            "sentinel_domain": SENTINEL_HOST,
            "account_config_domain": ACCOUNT_CONFIG_HOST,
        }

    def with_account_id(self, account_id: Any) -> "ConfigBuilder":
        return self.with_field("account_id", account_id)

    def with_start_date(self, start_date: Any) -> "ConfigBuilder":
        return self.with_field("start_date", start_date)

    def with_end_date(self, end_date: Any) -> "ConfigBuilder":
        return self.with_field("end_date", end_date)

    def without_end_date(self) -> "ConfigBuilder":
        return self.without_field("end_date")

    def without_start_date(self) -> "ConfigBuilder":
        return self.without_field("start_date")

    def with_oauth1(self) -> "ConfigBuilder":
        return self.with_credentials(
            {
                "auth_type": "oauth1_app_key",
                "app_key": APP_KEY,
                "app_secret": APP_SECRET,
                "access_token": ACCESS_TOKEN,
                "access_token_secret": ACCESS_TOKEN_SECRET,
            }
        )

    def with_credentials(self, credentials: Any) -> "ConfigBuilder":
        return self.with_field("credentials", credentials)

    def with_credential(self, name: str, value: Any) -> "ConfigBuilder":
        self._config["credentials"] = {**self._config["credentials"], name: value}
        return self

    def with_page_size(self, page_size: Any) -> "ConfigBuilder":
        return self.with_field("page_size", page_size)

    def with_window_size_days(self, days: Any) -> "ConfigBuilder":
        return self.with_field("window_size_days", days)

    def with_lookback_minutes(self, minutes: Any) -> "ConfigBuilder":
        return self.with_field("lookback_minutes", minutes)

    def with_agent_id(self, agent_id: Any) -> "ConfigBuilder":
        return self.with_field("agent_id", agent_id)

    def with_employee_id(self, employee_id: Any) -> "ConfigBuilder":
        return self.with_field("employee_id", employee_id)

    def with_agent_group_id(self, agent_group_id: Any) -> "ConfigBuilder":
        return self.with_field("agent_group_id", agent_group_id)

    def with_source(self, source: Any) -> "ConfigBuilder":
        return self.with_field("source", source)

    def with_num_workers(self, num_workers: Any) -> "ConfigBuilder":
        return self.with_field("num_workers", num_workers)

    def with_domain(self, host: Any) -> "ConfigBuilder":
        return self.with_field("domain", host)

    def with_sentinel_domain(self, host: Any) -> "ConfigBuilder":
        return self.with_field("sentinel_domain", host)

    def with_domain_api_host(self, host: Any) -> "ConfigBuilder":
        return self.with_field("domain_api_host", host)

    def with_discovery(self) -> "ConfigBuilder":
        """No host overrides: every host comes from the Domain API."""
        for field in ("domain", "sentinel_domain", "account_config_domain"):
            self._config.pop(field, None)
        return self

    def with_field(self, name: str, value: Any) -> "ConfigBuilder":
        self._config[name] = value
        return self

    def without_field(self, name: str) -> "ConfigBuilder":
        self._config.pop(name, None)
        return self

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self._config)


def catalog(sync_mode: SyncMode = SyncMode.full_refresh) -> ConfiguredAirbyteCatalog:
    return CatalogBuilder().with_stream(STREAM, sync_mode).build()


def state(cursor: str) -> list:
    return StateBuilder().with_stream_state(STREAM, {"time": cursor}).build()


class RequestBuilder:
    """The requests the connector sends to LivePerson, one classmethod per endpoint."""

    def __init__(self, url: str, query_params: Optional[dict[str, Any]] = None, body: Optional[str] = None) -> None:
        self._url = url
        self._query_params = dict(query_params or {})
        self._headers: dict[str, str] = {}
        self._body = body

    @classmethod
    def domain_api(cls, service: str, account_id: str = ACCOUNT_ID, host: str = DOMAIN_API_HOST) -> "RequestBuilder":
        return cls(f"https://{host}/api/account/{account_id}/service/{service}/baseURI.json", {"version": "1.0"})

    @classmethod
    def token(cls, host: str = SENTINEL_HOST, account_id: str = ACCOUNT_ID) -> "RequestBuilder":
        return cls(
            f"https://{host}/sentinel/api/v2/account/{account_id}/app/token",
            body=f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=client_credentials",
        )

    @classmethod
    def status_changes(cls, host: str = AGENT_ACTIVITY_HOST, account_id: str = ACCOUNT_ID) -> "RequestBuilder":
        """Page 1 of the default config's only window, with the parameters every page carries."""
        return cls(
            f"https://{host}/api/v2/account/{account_id}/status-changes",
            {
                "v": "2",
                "source": "airbyte",
                "limit": "5000",
                "from": "2026-06-01T00:00:00.000Z",
                "to": "2026-06-05T00:00:00.000Z",
            },
        )

    @property
    def url(self) -> str:
        """The URL without its query, for mocks that match any query (requests_mock)."""
        return self._url

    def with_window(self, start: str, end: str) -> "RequestBuilder":
        return self.with_query_param("from", start).with_query_param("to", end)

    def with_limit(self, limit: int) -> "RequestBuilder":
        return self.with_query_param("limit", str(limit))

    def with_offset(self, offset: int) -> "RequestBuilder":
        return self.with_query_param("offset", str(offset))

    def with_source(self, source: str) -> "RequestBuilder":
        return self.with_query_param("source", source)

    def with_query_param(self, name: str, value: str) -> "RequestBuilder":
        self._query_params[name] = value
        return self

    def with_bearer(self, access_token: str) -> "RequestBuilder":
        return self.with_header("Authorization", f"Bearer {access_token}")

    def with_header(self, name: str, value: str) -> "RequestBuilder":
        self._headers[name] = value
        return self

    def build(self) -> HttpRequest:
        return HttpRequest(
            self._url, query_params=self._query_params or None, headers=self._headers or None, body=self._body
        )


class StatusChangeRecordBuilder:
    """One state change, starting from the documented example record."""

    def __init__(self) -> None:
        self._record = template("status_changes")["stateChanges"][0]

    def with_time(self, time: Any) -> "StatusChangeRecordBuilder":
        return self.with_field("time", time)

    def with_agent_id(self, agent_id: int) -> "StatusChangeRecordBuilder":
        return self.with_field("agentId", agent_id)

    def with_sequence_number(self, sequence_number: int) -> "StatusChangeRecordBuilder":
        return self.with_field("sequenceNumber", sequence_number)

    def with_field(self, name: str, value: Any) -> "StatusChangeRecordBuilder":
        self._record[name] = value
        return self

    def without_field(self, name: str) -> "StatusChangeRecordBuilder":
        self._record.pop(name, None)
        return self

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self._record)


def a_record(time: str) -> StatusChangeRecordBuilder:
    return StatusChangeRecordBuilder().with_time(time)


class StatusChangesResponse:
    """A v2 status-changes page: no records and no `next` link unless added."""

    def __init__(self) -> None:
        self._body = template("status_changes")
        self._body["stateChanges"] = []
        self._status_code = 200
        self._headers: dict[str, str] = {}

    def with_record(self, record: Union[StatusChangeRecordBuilder, dict[str, Any]]) -> "StatusChangesResponse":
        self._body["stateChanges"].append(record.build() if isinstance(record, StatusChangeRecordBuilder) else record)
        return self

    def with_records(self, *records: Union[StatusChangeRecordBuilder, dict[str, Any]]) -> "StatusChangesResponse":
        for record in records:
            self.with_record(record)
        return self

    def with_next_offset(self, offset: int, host: str = AGENT_ACTIVITY_HOST) -> "StatusChangesResponse":
        """A `next` link as LivePerson writes it: http://, no `v`, the window and the offset in the query."""
        return self.with_next_href(
            f"http://{host}/api/v2/account/{ACCOUNT_ID}/status-changes"
            f"?from=2026-06-01T00:00:00.000Z&to=2026-06-05T00:00:00.000Z&offset={offset}&limit=5000&source=airbyte"
        )

    def with_next_href(self, href: str) -> "StatusChangesResponse":
        self._body["_metadata"]["references"].append({"rel": "next", "href": href})
        return self

    def without_field(self, name: str) -> "StatusChangesResponse":
        self._body.pop(name, None)
        return self

    def with_status_code(self, status_code: int) -> "StatusChangesResponse":
        self._status_code = status_code
        return self

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._body), self._status_code, self._headers)


class V1StatusChangesResponse:
    """A v1 page (api_version "1"): state changes grouped per agent in `agentsInfo[].statusChangeHistory[]`."""

    def __init__(self) -> None:
        self._body = template("status_changes_v1")
        self._agent = self._body["agentsInfo"][0]
        self._body["agentsInfo"] = []

    def with_agent(self, agent_id: int, *times: str) -> "V1StatusChangesResponse":
        event = self._agent["statusChangeHistory"][0]
        agent = {**self._agent, "agentId": agent_id, "statusChangeHistory": [{**event, "time": time} for time in times]}
        self._body["agentsInfo"].append(agent)
        return self

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._body), 200)


class TokenResponse:
    """Sentinel's answer to a client-credentials token request."""

    def __init__(self) -> None:
        self._body = template("token")

    def with_access_token(self, access_token: str) -> "TokenResponse":
        self._body["access_token"] = access_token
        return self

    def with_expires_in(self, seconds: int) -> "TokenResponse":
        self._body["expires_in"] = seconds
        return self

    def without_expires_in(self) -> "TokenResponse":
        self._body.pop("expires_in", None)
        return self

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._body), 200)

    @staticmethod
    def default_access_token() -> str:
        return template("token")["access_token"]


class DomainResponse:
    """The Domain API's answer for one service of the account."""

    def __init__(self, service: str, base_uri: Any) -> None:
        self._body = template("domain")
        self._body["service"] = service
        self._body["baseURI"] = base_uri

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._body), 200)


class ErrorResponse:
    """LivePerson's error bodies, from the templates `error_{status}.json` where one exists."""

    def __init__(self, status_code: int, body: Optional[Any] = None) -> None:
        self._status_code = status_code
        self._body = body
        self._headers: dict[str, str] = {}

    @classmethod
    def of(cls, status_code: int) -> "ErrorResponse":
        path = _RESPONSES / f"error_{status_code}.json"
        return cls(status_code, template(f"error_{status_code}") if path.exists() else {"message": "error"})

    def with_field(self, name: str, value: Any) -> "ErrorResponse":
        self._body = {**(self._body or {}), name: value}
        return self

    def with_header(self, name: str, value: str) -> "ErrorResponse":
        self._headers[name] = value
        return self

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._body) if self._body is not None else "", self._status_code, self._headers)


def raw_response(body: str, status_code: int = 200) -> HttpResponse:
    """A response whose body is sent exactly as given (for bodies that are not valid JSON)."""
    return HttpResponse(body, status_code)
