"""The Python pieces `manifest.yaml` names: each handles one LivePerson quirk the YAML cannot express."""

import logging
import math
import time
import weakref
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any, Iterable, Mapping, MutableMapping, Optional, Union
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
import urllib3
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.interpolation import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.requesters.request_options.interpolated_request_options_provider import (
    InterpolatedRequestOptionsProvider,
)
from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import (
    ConfigTransformation,
)
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    SUCCESS_RESOLUTION,
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState

from source_agent_activity import auth, halts, hosts
from source_agent_activity.cdk_reliance import CDK_EXTRA_SECONDS
from source_agent_activity.config_rules import HOST_FIELDS, sync_range
from source_agent_activity.errors import config_error, system_error, transient_error
from source_agent_activity.progress import references_of
from source_agent_activity.sync import Sync
from source_agent_activity.times import format_time, is_cursor_time, parse_time

logger = logging.getLogger("airbyte")

_RETRY_LATER = (
    "Nothing of that window was skipped and the state did not move past it: retry the sync later, and contact "
    "LivePerson support if it keeps happening."
)


# Config: nothing here makes a request or fails; `check` and `read` refuse a config that breaks a rule.


@dataclass
class FillDefaults(ConfigTransformation):
    """Give every setting the user left out its default, from the manifest's one list of defaults.

    The Airbyte UI fills the spec's defaults in, but a config written by hand or by an API client may omit them.
    An empty host override counts as left out. The manifest passes the defaults as `$parameters.defaults`.
    """

    parameters: Mapping[str, Any]

    def transform(self, config: MutableMapping[str, Any]) -> None:
        for name, default in self.parameters["defaults"].items():
            value = config.get(name)
            if value is None or (value == "" and name in HOST_FIELDS):
                config[name] = default


class SyncRange(ConfigTransformation):
    """The instants status_changes reads between, as the manifest's cursor reads them: `__start`, `__earliest` and
    `__end` (config_rules.sync_range). They are there even while a date is invalid, so that the source can always be
    built; `check` and `read` then refuse the config with a message naming the date."""

    def transform(self, config: MutableMapping[str, Any]) -> None:
        for key, value in sync_range(config, datetime.now(UTC)).items():
            config[key] = format_time(value)


# Requests


@dataclass
class LivePersonRequester(HttpRequester):
    """An HttpRequester whose `{host}` is the account's host for one LivePerson service, found at the first request.

    LivePerson serves each account from regional hosts that only its Domain API names (hosts.py); the manifest gives
    the service and the URL with `{host}` in it, so that building the source asks nothing of the network.
    """

    service: str = ""
    request_parameters: Optional[Mapping[str, str]] = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        if self.request_options_provider is None and self.request_parameters is not None:
            self.request_options_provider = InterpolatedRequestOptionsProvider(
                config=self.config, request_parameters=self.request_parameters, parameters=parameters
            )
        super().__post_init__(parameters)

    def get_url(
        self,
        *,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> str:
        url = super().get_url(stream_state=stream_state, stream_slice=stream_slice, next_page_token=next_page_token)
        return url.replace("{host}", Sync.of(self.config).hosts.host(self.service, self.config), 1)

    def send_request(
        self,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Optional[requests.Response]:
        """Wait out a pause LivePerson asked for (pauses.py); read nothing more from a halted host (halts.py).

        The first page of a window answers None while the host is halted: the window is not started. Windows start in
        order, so it comes after the window that halted the host, and the state, which only moves over the unbroken
        run of finished windows, stays before that one. A later page stops its window: part of it was read.
        """
        sync = Sync.of(self.config)
        host = sync.hosts.host(self.service, self.config)
        halted = sync.halts.reason(host)
        if halted is not None:
            if next_page_token is None:
                return None
            raise _stopped(self.name, halted)
        sync.pauses.wait(host, f"the next {self.name} request")
        return super().send_request(stream_state, stream_slice, next_page_token, **kwargs)


def _stopped(what: str, halted: Exception) -> halts.StoppedEarly:
    return halts.StoppedEarly(message=f"Stopped reading {what}: {halted}", failure_type=FailureType.transient_error)


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
            Sync.of(self.config).hosts.host(hosts.SENTINEL, self.config),
            self.config["account_id"],
            credentials["client_id"],
            credentials["client_secret"],
        )

    @property
    def auth_header(self) -> str:
        return "Authorization"

    @property
    def token(self) -> str:
        value = Sync.of(self.config).tokens.get(*self._key())
        self._last_sent = value
        return f"Bearer {value}"

    def refresh_and_set_access_token(self) -> None:
        if self._last_sent is not None:
            Sync.of(self.config).tokens.discard(*self._key(), rejected=self._last_sent)


@dataclass
class OAuth1Signature(DeclarativeAuthenticator):
    """Legacy OAuth 1.0a app keys: every request, and every retry of it, carries a fresh nonce and signature."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        auth.warn_oauth1_retired_once(Sync.of(self.config).oauth1_warned)
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


# Answers


@dataclass
class RejectedFreshToken(DefaultErrorHandler):
    """A second 401 for the same request fails with the manifest's 401 message, which names the permission.

    The first 401 gets the filter's REFRESH_TOKEN_THEN_RETRY: a new token and one retry. If the fresh token is refused
    too, the credentials lack a permission; the CDK would say only "Refreshed OAuth access token is rejected".
    """

    _refreshed: "weakref.WeakSet[requests.PreparedRequest]" = field(default_factory=weakref.WeakSet, init=False)

    def interpret_response(
        self, response_or_exception: Optional[Union[requests.Response, Exception]]
    ) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action == ResponseAction.REFRESH_TOKEN_THEN_RETRY and isinstance(
            response_or_exception, requests.Response
        ):
            if response_or_exception.request in self._refreshed:
                return ErrorResolution(ResponseAction.FAIL, FailureType.config_error, resolution.error_message)
            self._refreshed.add(response_or_exception.request)
        return resolution


@dataclass
class HaltOnRefusal(RejectedFreshToken):
    """A refusal no retry changes (a FAIL answer: 400, 403, 404, a 401 even with a fresh token) halts the host.

    Every other window would be refused the same way, so none starts and nothing more is read from the host
    (halts.py); the refused request fails with the manifest's message. Once halted, any answer to another request
    of that host stops it without a second error.
    """

    def interpret_response(
        self, response_or_exception: Optional[Union[requests.Response, Exception]]
    ) -> ErrorResolution:
        request = getattr(response_or_exception, "request", None)
        host = host_of(request)
        sync = Sync.of(self.config)
        halted = sync.halts.reason(host)
        if halted is not None:
            raise _stopped(path_of(request), halted)
        resolution = self.resolve(response_or_exception)
        if resolution.response_action == ResponseAction.FAIL:
            sync.halts.halt(host, config_error(resolution.error_message or f"{path_of(request)} was refused"))
        return resolution

    def resolve(self, response_or_exception: Optional[Union[requests.Response, Exception]]) -> ErrorResolution:
        """What the answer means, once the host is known not to be halted."""
        return super().interpret_response(response_or_exception)


@dataclass
class StateChangesErrorHandler(HaltOnRefusal):
    """A status-changes 200 must carry its records, else it is retried like a 5xx.

    A body that is not JSON, lacks `records_key` (`stateChanges`, or `agentsInfo` for v1) or holds a record without
    a valid `time` is an error: stock components take such a page as empty and silently lose the rest of the window.
    """

    records_key: str = "stateChanges"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self.records_key = InterpolatedString.create(self.records_key, parameters=parameters).eval(self.config)

    def resolve(self, response_or_exception: Optional[Union[requests.Response, Exception]]) -> ErrorResolution:
        """A 200 is answered here: no filter of the manifest is about a 200, and the one with a predicate would parse
        every page again (the standard json module, a tenth of a sync's CPU) only to find that out."""
        if not isinstance(response_or_exception, requests.Response) or response_or_exception.status_code != 200:
            return super().resolve(response_or_exception)
        problem = self._body_problem(response_or_exception)
        if not problem:
            return SUCCESS_RESOLUTION
        # Kept for the message that ends the sync if every attempt gets such a body.
        Sync.of(self.config).bodies.note_problem(response_or_exception, problem)
        where = f"LivePerson answered HTTP 200 to {path_of(response_or_exception.request)}"
        return ErrorResolution(
            ResponseAction.RETRY, FailureType.transient_error, f"{where} with {problem}. {_RETRY_LATER}"
        )

    def _body_problem(self, response: requests.Response) -> Optional[str]:
        try:
            body = Sync.of(self.config).bodies.parsed(response)
        except orjson.JSONDecodeError:
            return f"a body that is not valid JSON ({len(response.content)} bytes)"
        records = body.get(self.records_key) if isinstance(body, dict) else None
        if not isinstance(records, list):
            return f"no '{self.records_key}' list, which is not taken as empty"
        if self.records_key == "agentsInfo":
            records = [event for agent in records for event in (agent.get("statusChangeHistory") or [])]
        for record in records:
            if not isinstance(record, dict) or not is_cursor_time(record.get("time")):
                shown = record.get("time") if isinstance(record, dict) else record
                return f"a state change whose time {shown!r} is not a valid date-time"
        return None


@dataclass
class RetryAfterOn429(BackoffStrategy):
    """After a 429, wait as LivePerson asks: Retry-After (at least 1 s, at most 5 minutes), else 2, 4, 8, 16, 32 s.

    https://developers.liveperson.com/retry-and-keepalive-best-practices-overview.html asks for at least 1 s after a
    429. Other retryable answers (5xx, broken bodies, timeouts) get no answer here: the CDK then waits 1, 2, 4, 8,
    16 s and its log names the real cause. When the retries are spent on 429s, the sync ends with a message that says
    what to do (the CDK's own is a bare "API rate limit exceeded.").
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    max_retries: int = 5
    max_wait_seconds: float = 300

    def backoff_time(
        self,
        response_or_exception: Optional[Union[requests.Response, requests.RequestException]],
        attempt_count: int,
    ) -> Optional[float]:
        if not isinstance(response_or_exception, requests.Response) or response_or_exception.status_code != 429:
            return None
        if attempt_count > self.max_retries:
            raise transient_error(
                f"LivePerson kept limiting the request rate (HTTP 429) for account {self.config['account_id']} "
                f"after {self.max_retries} retries of {path_of(response_or_exception.request)}: retry the sync "
                "later, or lower num_workers."
            )
        retry_after = response_or_exception.headers.get("Retry-After", "").strip()
        # A Retry-After of 0 would make the CDK skip this strategy; LivePerson asks for at least 1 s.
        wait = min(
            max(float(retry_after), 1.0) if retry_after.isdigit() else float(2**attempt_count), self.max_wait_seconds
        )
        # Every request to this host waits with this one (pauses.py), and this one waits for the others' pauses too.
        host = host_of(response_or_exception.request)
        pauses = Sync.of(self.config).pauses
        pauses.ask(host, wait + CDK_EXTRA_SECONDS)
        wait = max(wait, pauses.remaining(host) - CDK_EXTRA_SECONDS)
        asked = f", Retry-After {retry_after} s" if retry_after.isdigit() else ""
        logger.info(
            f"LivePerson is limiting the request rate (HTTP 429){asked} for {path_of(response_or_exception.request)}: "
            f"waiting {wait + CDK_EXTRA_SECONDS:.0f} s before retry {attempt_count}."
        )
        return wait


@dataclass
class FailFastOnOutage(BackoffStrategy):
    """When a request has spent its retries on a 5xx, a broken answer, a timeout or a dropped connection, or its host
    stayed silent `silent_attempts` times in a row, end the sync.

    Its host is halted (halts.py) and the request fails with one error that says which API kept failing, how and for
    how long. Requests of other windows still retrying stop at their next answer, and windows that have not started
    do not start: a full outage ends within about a minute instead of spending 6 attempts on every window. It never
    asks for a wait itself: the CDK's own pauses (1, 2, 4, 8, 16 s) apply, and this logs the cause of each retry.

    A silent host (the connection accepted, nothing sent back for `read_timeout_seconds`) costs a full timeout per
    attempt: six of them held a sync for 12 minutes. Two in a row for one request are an outage (see the manifest's
    `read_timeout_seconds` for why those numbers).
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    api: str = "API"
    max_retries: int = 5
    read_timeout_seconds: float = 75
    silent_attempts: int = 2
    _first_attempt: "weakref.WeakKeyDictionary[requests.PreparedRequest, float]" = field(
        default_factory=weakref.WeakKeyDictionary, init=False
    )
    _silences: "weakref.WeakKeyDictionary[requests.PreparedRequest, int]" = field(
        default_factory=weakref.WeakKeyDictionary, init=False
    )

    def backoff_time(
        self,
        response_or_exception: Optional[Union[requests.Response, requests.RequestException]],
        attempt_count: int,
    ) -> Optional[float]:
        request = getattr(response_or_exception, "request", None)
        if request is None:
            return None
        silent = is_silence(response_or_exception)
        # A silent first attempt was sent a whole read timeout before it failed.
        first = self._first_attempt.setdefault(request, time.monotonic() - (self.read_timeout_seconds if silent else 0))
        silences = self._silences.get(request, 0) + 1 if silent else 0
        self._silences[request] = silences
        cause = _cause(response_or_exception, Sync.of(self.config))
        if silences >= self.silent_attempts:
            error = transient_error(
                f"LivePerson's {self.api} host {host_of(request)} accepted the connection but sent nothing back for "
                f"{self.read_timeout_seconds:g} s, {silences} times in a row ({path_of(request)} of account "
                f"{self.config['account_id']}, {time.monotonic() - first:.0f} s in all): the host is not answering. "
                "Windows already finished keep their state, windows not started yet were not read: retry the sync "
                "later, and contact LivePerson support if it persists."
            )
        elif attempt_count <= self.max_retries:
            logger.info(
                f"{cause} for {path_of(request)}: attempt {attempt_count} of {self.max_retries + 1} failed, retrying."
            )
            return None
        else:
            error = transient_error(
                f"LivePerson's {self.api} kept failing for account {self.config['account_id']}: {cause} "
                f"on {attempt_count} attempts over {time.monotonic() - first:.0f} s ({path_of(request)}). Windows not "
                "started yet were not read, and the state stops before the first window that was not finished: "
                "retry the sync later, and contact LivePerson support if it persists."
            )
        Sync.of(self.config).halts.halt(host_of(request), error)
        raise error


def is_silence(response_or_exception: Union[requests.Response, requests.RequestException, None]) -> bool:
    """The host sent nothing for a whole read timeout: before its answer (ReadTimeout) or in the middle of its body
    (requests reports that as a ConnectionError around urllib3's ReadTimeoutError)."""
    if isinstance(response_or_exception, requests.exceptions.ReadTimeout):
        return True
    return isinstance(response_or_exception, requests.exceptions.ConnectionError) and any(
        isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in response_or_exception.args
    )


def _cause(response_or_exception: Union[requests.Response, requests.RequestException, None], sync: Sync) -> str:
    """What the last attempt got: `HTTP 503 (internalCode AA-5007)`, `HTTP 200 with ...`, `ReadTimeout`."""
    if not isinstance(response_or_exception, requests.Response):
        return type(response_or_exception).__name__
    cause = f"HTTP {response_or_exception.status_code}"
    problem = sync.bodies.problem(response_or_exception)
    if problem:
        return f"{cause} with {problem}"
    try:
        body = sync.bodies.parsed(response_or_exception)
    except orjson.JSONDecodeError:
        return cause
    if isinstance(body, dict) and body.get("internalCode"):
        return f"{cause} (internalCode {body['internalCode']})"
    return cause


def path_of(request: Optional[requests.PreparedRequest]) -> str:
    """A request's path, for messages: no host, no query, nothing secret."""
    return urlsplit(request.url or "").path if request is not None else "a request"


def host_of(request: Optional[requests.PreparedRequest]) -> str:
    """A request's host (with its port), as halts.py and pauses.py key hosts; empty without a request."""
    return urlsplit(request.url or "").netloc if request is not None else ""


# Records and pages


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
        sync = Sync.of(self.config)
        body = sync.bodies.parsed(response)
        # The page's links tell its window's size (progress.py), counted in records (v2) or agents (v1).
        references = references_of(body)
        if "stateChanges" in body:
            sync.pages.page(len(body["stateChanges"]), len(body["stateChanges"]), references)
            return body["stateChanges"]
        records = []
        agents = body.get("agentsInfo") or []
        for agent in agents:
            agent_fields = {name: agent.get(name) for name in self.AGENT_FIELDS}
            for event in agent.get("statusChangeHistory") or []:
                records.append({**agent_fields, **event})
        warn_if_v1_page_cut(response, len(records))
        sync.pages.page(len(records), len(agents), references)
        return records


def warn_if_v1_page_cut(response: requests.Response, state_changes: int) -> None:
    """v1 pages are silently cut at 20 × limit × days state changes; say so when a page reaches that size."""
    query = {key: values[0] for key, values in parse_qs(urlsplit(response.request.url or "").query).items()}
    try:
        start, end = (parse_time(query[key]) for key in ("from", "to"))
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

    LivePerson's next links name plain http and omit `v` (https://developers.liveperson.com/agent-activity-api-methods-
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
        sync = Sync.of(self.config)
        body = sync.bodies.parsed(response)
        references = (body.get("_metadata") or {}).get("references") or []
        href = next((ref.get("href") for ref in references if ref.get("rel") == "next"), None)
        if not href:
            sync.pages.last_page()
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
