"""The Python pieces `manifest.yaml` refers to: each handles one LivePerson quirk the YAML cannot express."""

import logging
import math
import weakref
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any, Iterable, Mapping, MutableMapping, Optional, Union
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.interpolation import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import (
    ConfigTransformation,
)
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.types import Config

from source_agent_activity import auth
from source_agent_activity.config_rules import MAX_HISTORY, effective_start, parse_datetime, validate_config
from source_agent_activity.errors import system_error, transient_error
from source_agent_activity.hosts import resolve_hosts
from source_agent_activity.progress import PROGRESS

logger = logging.getLogger("airbyte")

# Cursor values in the format LivePerson writes them (milliseconds, Z); the manifest's datetime_format matches.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
_PARSED_BODY = "_agent_activity_body"


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIME_FORMAT)[:-3] + "Z"


class ResolveHostsAndWindow(ConfigTransformation):
    """Validate the config, find the account's hosts and fix the sync's first instant, once per run.

    Runs in the source constructor (spec.config_normalization_rules); what it adds is not persisted, so hosts are
    discovered afresh on every run. Keys it adds start with `__`.
    """

    def transform(self, config: MutableMapping[str, Any]) -> None:
        now = datetime.now(UTC)
        validate_config(config, now)
        start, clamped_from = effective_start(config, now)
        if clamped_from is not None:
            logger.info(
                f"start_date {format_time(clamped_from)} is older than the 180 days LivePerson keeps: "
                f"reading from {format_time(start)} instead."
            )
        config["__start"] = format_time(start)
        config["__earliest"] = format_time(now - MAX_HISTORY)
        config["__end"] = format_time(parse_datetime("end_date", config["end_date"]) if config.get("end_date") else now)
        config.update(resolve_hosts(config))


@dataclass
class OAuth2ClientCredentials(DeclarativeAuthenticator):
    """Bearer tokens from LivePerson's Sentinel, shared across streams and threads, renewed before they expire.

    `refresh_and_set_access_token` is what the CDK calls on a 401 (REFRESH_TOKEN_THEN_RETRY): the rejected token is
    dropped and the next request fetches a new one.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._last_sent: Optional[str] = None

    def _key(self) -> tuple[str, str, str, str]:
        credentials = self.config["credentials"]
        return (
            self.config["__sentinel_host"],
            self.config["account_id"],
            credentials["client_id"],
            credentials["client_secret"],
        )

    @property
    def auth_header(self) -> str:
        return "Authorization"

    @property
    def token(self) -> str:
        value = auth.TOKENS.get(*self._key())
        self._last_sent = value
        return f"Bearer {value}"

    def refresh_and_set_access_token(self) -> None:
        if self._last_sent is not None:
            auth.TOKENS.discard(*self._key(), rejected=self._last_sent)


@dataclass
class OAuth1Signature(DeclarativeAuthenticator):
    """Legacy OAuth 1.0a app keys: every request, and every retry of it, carries a fresh nonce and signature."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        auth.warn_oauth1_retired_once()
        request.headers["Authorization"] = auth.oauth1_authorization(
            request.method or "GET", request.url or "", *auth.oauth1_credentials(self.config["credentials"])
        )
        return request

    @property
    def auth_header(self) -> str:
        return "Authorization"

    @property
    def token(self) -> str:
        # A signature depends on the request: there is no token to show without one.
        return ""

    def refresh_and_set_access_token(self) -> None:
        # Nothing to refresh: the retry is signed afresh in __call__.
        return None


def parsed_body(response: requests.Response) -> Any:
    """The response's JSON, parsed once (orjson) and kept on the response for the extractor and paginator."""
    body = getattr(response, _PARSED_BODY, None)
    if body is None:
        body = orjson.loads(response.content)
        setattr(response, _PARSED_BODY, body)
    return body


@dataclass
class LivePersonErrorHandler(DefaultErrorHandler):
    """The manifest's response filters, plus two things a filter cannot do.

    1. A 200 must carry the data: a body that is not JSON, lacks `records_key` (`stateChanges`, or `agentsInfo` for
       v1), holds a record without a valid `time`, or (`body_is_list`) is not a JSON list is retried as an error.
       Stock components take such a page as empty and silently lose the rest of the window.
    2. A 401 gets one token refresh and retry (the filter's REFRESH_TOKEN_THEN_RETRY); a second 401 for the same
       request fails with the filter's message, which names the permission, instead of the CDK's generic one.
    """

    records_key: Optional[str] = None
    body_is_list: bool = False
    _refreshed: "weakref.WeakSet[requests.PreparedRequest]" = field(default_factory=weakref.WeakSet, init=False)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        if self.records_key:
            self.records_key = InterpolatedString.create(self.records_key, parameters=parameters).eval(self.config)

    def interpret_response(
        self, response_or_exception: Optional[Union[requests.Response, Exception]]
    ) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if not isinstance(response_or_exception, requests.Response):
            return resolution
        response = response_or_exception
        if resolution.response_action == ResponseAction.REFRESH_TOKEN_THEN_RETRY:
            if response.request in self._refreshed:
                return ErrorResolution(ResponseAction.FAIL, FailureType.config_error, resolution.error_message)
            self._refreshed.add(response.request)
        elif response.status_code >= 500 and resolution.error_message:
            # A filter's message cannot see the status code; the user should.
            return ErrorResolution(
                resolution.response_action,
                resolution.failure_type,
                f"HTTP {response.status_code}: {resolution.error_message}",
            )
        elif resolution.response_action == ResponseAction.SUCCESS and (self.records_key or self.body_is_list):
            problem = self._body_problem(response)
            if problem:
                return ErrorResolution(ResponseAction.RETRY, FailureType.transient_error, problem)
        return resolution

    def _body_problem(self, response: requests.Response) -> Optional[str]:
        where = f"LivePerson answered HTTP {response.status_code} to {_path_of(response.request)}"
        try:
            body = parsed_body(response)
        except orjson.JSONDecodeError:
            return f"{where} with a body that is not valid JSON ({len(response.content)} bytes). {_RETRY_LATER}"
        if self.body_is_list:
            return None if isinstance(body, list) else f"{where} with a body that is not a JSON list. {_RETRY_LATER}"
        records = body.get(self.records_key) if isinstance(body, dict) else None
        if not isinstance(records, list):
            return f"{where} without a '{self.records_key}' list, which is not taken as empty. {_RETRY_LATER}"
        if self.records_key == "agentsInfo":
            records = [event for agent in records for event in (agent.get("statusChangeHistory") or [])]
        for record in records:
            if not isinstance(record, dict) or not is_cursor_time(record.get("time")):
                shown = record.get("time") if isinstance(record, dict) else record
                return f"{where} with a state change whose time {shown!r} is not a valid date-time. {_RETRY_LATER}"
        return None


_RETRY_LATER = (
    "Nothing of that window was skipped and the state did not move past it: retry the sync later, and contact "
    "LivePerson support if it keeps happening."
)


def is_cursor_time(value: Any) -> bool:
    """LivePerson times look like 2026-11-25T08:15:30.123Z; anything else would break the cursor."""
    if not isinstance(value, str) or len(value) < 20 or value[10] != "T":
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


@dataclass
class LivePersonBackoff(BackoffStrategy):
    """Answer Retry-After when LivePerson sends it, else 2, 4, 8, 16, 32 s; and tell the user why it waits.

    LivePerson asks for at least 1 s after a 429 and a growing pause after 5xx:
    https://developers.liveperson.com/retry-and-keepalive-best-practices-overview.html
    The CDK sleeps one second more than a strategy answers; the log line says the real pause. The CDK also asks after
    the last attempt, when no retry follows: then nothing is logged, and a 429 ends with a message that says what to do
    (the CDK's own is a bare "API rate limit exceeded.").
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    max_retries: int = 5
    max_wait_seconds: float = 300

    # What the CDK's rate-limit handler adds to every answered wait (airbyte_cdk.sources.streams.http.rate_limiting).
    CDK_EXTRA_SECONDS = 1

    def backoff_time(
        self,
        response_or_exception: Optional[Union[requests.Response, requests.RequestException]],
        attempt_count: int,
    ) -> Optional[float]:
        wait = float(2**attempt_count)
        rate_limited = False
        if isinstance(response_or_exception, requests.Response):
            reason = f"HTTP {response_or_exception.status_code}"
            if response_or_exception.status_code == 429:
                rate_limited = True
                reason = "LivePerson is limiting the request rate (HTTP 429)"
            retry_after = response_or_exception.headers.get("Retry-After", "")
            if retry_after.strip().isdigit():
                # At least 1 s, as LivePerson asks (a 0 would also make the CDK skip this strategy).
                wait = max(float(retry_after), 1.0)
                reason += f", Retry-After {retry_after.strip()} s"
            where = _path_of(response_or_exception.request)
        else:
            reason = type(response_or_exception).__name__ if response_or_exception else "no response"
            where = _path_of(getattr(response_or_exception, "request", None))
        wait = min(wait, self.max_wait_seconds)
        if attempt_count > self.max_retries:
            if rate_limited:
                raise transient_error(
                    f"LivePerson kept limiting the request rate (HTTP 429) for account {self.config['account_id']} "
                    f"after {self.max_retries} retries of {where}: retry the sync later, or lower num_workers."
                )
            return wait
        logger.info(
            f"{reason} for {where}: waiting {wait + self.CDK_EXTRA_SECONDS:.0f} s before retry {attempt_count}."
        )
        return wait


def _path_of(request: Optional[requests.PreparedRequest]) -> str:
    return urlsplit(request.url or "").path if request is not None else "a request"


@dataclass
class StateChangesExtractor(RecordExtractor):
    """Records of a status-changes page, without a per-record path walk.

    v2 pages hold them in `stateChanges`. v1 pages group them per agent in `agentsInfo[].statusChangeHistory[]`;
    those are flattened into the v2 shape, the agent's fields copied onto each state change.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    AGENT_FIELDS = ("agentId", "employeeId", "agentLoginName", "agentUserName", "agentGroupId")

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        body = parsed_body(response)
        if "stateChanges" in body:
            PROGRESS.page(response, len(body["stateChanges"]))
            return body["stateChanges"]
        records = []
        for agent in body.get("agentsInfo") or []:
            agent_fields = {name: agent.get(name) for name in self.AGENT_FIELDS}
            for event in agent.get("statusChangeHistory") or []:
                records.append({**agent_fields, **event})
        warn_if_v1_page_cut(response, len(records))
        PROGRESS.page(response, len(records))
        return records


def warn_if_v1_page_cut(response: requests.Response, state_changes: int) -> None:
    """v1 pages are silently cut at 20 × limit × days state changes; say so when a page reaches that size."""
    query = {key: values[0] for key, values in parse_qs(urlsplit(response.request.url or "").query).items()}
    try:
        start, end = (datetime.fromisoformat(query[key].replace("Z", "+00:00")) for key in ("from", "to"))
        days = max(1, math.ceil((end - start).total_seconds() / 86400))
        cap = 20 * int(query["limit"]) * days
    except (KeyError, ValueError):
        return
    if state_changes >= cap:
        logger.warning(
            f"A v1 page for the window {query['from']} to {query['to']} holds {state_changes} state changes, "
            f"LivePerson's cut-off for this page (20 × limit × days = {cap}): some changes of that window may be "
            'missing. Use api_version "2", or a smaller window_size_days.'
        )


@dataclass
class NextLinkOffset(PaginationStrategy):
    """Page with the `offset` of the `next` link in `_metadata.references`, and only that.

    LivePerson's next links say http:// and omit `v` (https://developers.liveperson.com/agent-activity-api-methods-
    get-status-changes.html). Following them as they are would send the token in clear text, to whatever host they
    name, and switch later pages to the v1 format. So the link is only read for its offset; every page is requested
    from the known host over https with the connector's own parameters. No `next` link means the last page.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Any],
        last_page_token_value: Optional[Any] = None,
    ) -> Optional[Any]:
        body = parsed_body(response)
        references = (body.get("_metadata") or {}).get("references") or []
        href = next((ref.get("href") for ref in references if ref.get("rel") == "next"), None)
        if not href:
            PROGRESS.finish(response)
            return None
        offsets = parse_qs(urlsplit(href).query).get("offset") or []
        if len(offsets) != 1 or not offsets[0].isdigit():
            raise system_error(f"LivePerson's next-page link has no usable offset ({urlsplit(href).query!r}).")
        offset = int(offsets[0])
        if offset <= int(last_page_token_value or 0):
            raise system_error(f"LivePerson's next-page link does not move forward (offset {offset}): stopped.")
        return offset

    def get_page_size(self) -> Optional[int]:
        return None
