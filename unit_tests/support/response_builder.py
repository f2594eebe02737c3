"""LivePerson's answers, built from the JSON templates in `resource/http/response/` (copied from its documentation).

`StatusChangesResponse().with_record(a_record("...")).with_next_offset(2).build()`: tests say what differs from a
plain answer and nothing else.
"""

import copy
import json
from pathlib import Path
from typing import Any, Optional, Union

from airbyte_cdk.test.mock_http import HttpResponse

from unit_tests.support.config import ACCOUNT_ID, AGENT_ACTIVITY_HOST

_RESPONSES = Path(__file__).resolve().parent.parent / "resource" / "http" / "response"


def template(name: str) -> Any:
    """A fresh copy of `resource/http/response/{name}.json`."""
    return json.loads((_RESPONSES / f"{name}.json").read_text())


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

    def with_last_offset(self, offset: int, limit: int = 5000) -> "StatusChangesResponse":
        """A `last` link as LivePerson writes it: where the window's last page starts, `limit` records a page."""
        return self.with_last_href(
            f"http://{AGENT_ACTIVITY_HOST}/api/v2/account/{ACCOUNT_ID}/status-changes"
            f"?from=2026-06-01T00:00:00.000Z&to=2026-06-05T00:00:00.000Z&offset={offset}&limit={limit}&source=airbyte"
        )

    def with_last_href(self, href: str) -> "StatusChangesResponse":
        self._body["_metadata"]["references"].append({"rel": "last", "href": href})
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


class AllServicesResponse:
    """The Domain API's answer for every service of the account: `{"baseURIs": [{service, account, baseURI}, ...]}`."""

    def __init__(self, hosts: dict[str, Any]) -> None:
        self._body = {
            "baseURIs": [
                {**template("domain"), "service": service, "baseURI": base_uri} for service, base_uri in hosts.items()
            ]
        }

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
