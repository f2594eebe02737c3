"""The requests the connector should send to LivePerson, one classmethod per endpoint.

`RequestBuilder.status_changes().with_window(...).with_offset(2).build()` gives the `HttpRequest` an `HttpMocker`
matches exactly (query included).
"""

from typing import Any, Optional

from airbyte_cdk.test.mock_http import HttpRequest

from unit_tests.support.config import (
    ACCOUNT_ID,
    AGENT_ACTIVITY_HOST,
    CLIENT_ID,
    CLIENT_SECRET,
    DOMAIN_API_HOST,
    SENTINEL_HOST,
)


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
    def domain_api_all(cls, account_id: str = ACCOUNT_ID, host: str = DOMAIN_API_HOST) -> "RequestBuilder":
        """Every service of the account in one request."""
        return cls(f"https://{host}/api/account/{account_id}/service/baseURI.json", {"version": "1.0"})

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
