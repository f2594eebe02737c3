"""The fake LivePerson: routes each request to the service that would answer it.

One host serves all three services the connector discovers (``agentActivityDomain``, ``sentinel``,
``accountConfigReadOnly``). Order of checks per request, as on LivePerson: route, injected fault,
authentication (API calls only), account, permission, parameters.
"""

import re
import threading
import time
from dataclasses import dataclass

from .auth import Authenticator, TokenStore, auth_scheme, bearer_token
from .clock import SimulatorClock
from .config import SERVICES, SimulatorConfig
from .data import StatusChangeStore
from .directory import AccountDirectory
from .faults import DAMAGING_FAULTS, REPLACING_FAULTS, FaultPlan, damage, replacement
from .gate import WindowGate
from .messages import Request, Response, bad_request, json_response
from .oauth1 import OAuth1Verifier
from .stats import RequestLog, RequestRecord
from .status_changes import StatusChangesPage, parse_query

_ACCOUNT = r"/api/account/(?P<account>[^/]+)"


@dataclass(frozen=True)
class Route:
    """One LivePerson endpoint: its name in counters and fault targeting, method, path and handler."""

    endpoint: str
    method: str
    pattern: re.Pattern
    handler: str
    permission: str | None = None  # API calls need authentication and this permission

    @property
    def authenticated(self) -> bool:
        return self.permission is not None


ROUTES = (
    Route("domain", "GET", re.compile(_ACCOUNT + r"/service/(?P<service>[^/]+)/baseURI\.json"), "_domain"),
    Route("domain", "GET", re.compile(_ACCOUNT + r"/service/baseURI\.json"), "_domain"),
    Route("token", "POST", re.compile(r"/sentinel/api/v2/account/(?P<account>[^/]+)/app/token"), "_token"),
    Route(
        "status_changes",
        "GET",
        re.compile(r"/api/v2/account/(?P<account>[^/]+)/status-changes"),
        "_status_changes",
        "status_changes",
    ),
    Route("users", "GET", re.compile(_ACCOUNT + r"/configuration/le-users/users"), "_users", "users"),
    Route(
        "agent_groups",
        "GET",
        re.compile(_ACCOUNT + r"/configuration/le-users/agentGroups"),
        "_agent_groups",
        "agent_groups",
    ),
    Route(
        "status_reasons",
        "GET",
        re.compile(_ACCOUNT + r"/configuration/le-agents/status-reasons"),
        "_status_reasons",
        "status_reasons",
    ),
)


def find_route(path: str) -> tuple[Route, re.Match] | tuple[None, None]:
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match:
            return route, match
    return None, None


class LivePersonApi:
    """Answers LivePerson requests from the account's data, applying injected faults and latency."""

    def __init__(
        self,
        config: SimulatorConfig,
        clock: SimulatorClock,
        directory: AccountDirectory,
        store: StatusChangeStore,
        faults: FaultPlan,
        log: RequestLog,
    ) -> None:
        self._config = config
        self._clock = clock
        self._directory = directory
        self._store = store
        self._faults = faults
        self._log = log
        self.latency_ms = config.latency_ms
        self.gate = WindowGate()
        oauth1 = OAuth1Verifier(
            config.app_key,
            config.app_secret,
            config.access_token,
            config.access_token_secret,
        )
        tokens = TokenStore(config.token_ttl_seconds)
        self.auth = Authenticator(config.client_id, config.client_secret, tokens, oauth1)
        self.host = ""
        self._pages: StatusChangesPage | None = None
        # Set when the simulator stops: a "silent" request is let go (unanswered), a "slow" one answered at once.
        self._stopping = threading.Event()

    def release(self) -> None:
        """Let every held request go: the simulator is stopping."""
        self._stopping.set()

    def bind(self, port: int) -> None:
        """Learn the port: every service's host is ``localhost:{port}``."""
        self.host = f"localhost:{port}"
        link_host = self._config.next_link_host or self.host
        self._pages = StatusChangesPage(self._store, self._config.account_id, link_host)

    def handle(self, request: Request) -> Response | None:
        """The answer to ``request``; ``None`` means close the connection without answering."""
        route, match = find_route(request.path)
        endpoint = route.endpoint if route else "unknown"
        received_at = time.monotonic()
        if endpoint == "status_changes":
            self.gate.pass_through(request.param("from"))
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        fault = self._faults.take(endpoint) if route else None
        response = self._answer(route, match, request, fault)
        self._log.record(
            RequestRecord(
                endpoint,
                request.method,
                request.path,
                request.query_dict,
                auth_scheme(request),
                None if response is None else response.status,
                received_at,
                time.monotonic(),
            )
        )
        return response

    def _answer(
        self, route: Route | None, match: re.Match | None, request: Request, fault: str | None
    ) -> Response | None:
        if fault == "drop":
            return None
        if fault == "silent":
            self._stopping.wait()
            return None
        if fault == "slow":
            self._stopping.wait(self._config.slow_answer_seconds)
        if fault == "expire_token":
            token = bearer_token(request)
            if token is not None:
                self.auth.tokens.expire(token)
        if fault in REPLACING_FAULTS:
            return replacement(fault, self._config.retry_after_seconds)
        response = self._serve(route, match, request)
        return damage(fault, response) if fault in DAMAGING_FAULTS else response

    def _serve(self, route: Route | None, match: re.Match | None, request: Request) -> Response:
        if route is None:
            return json_response(404, {"message": f"Not Found: {request.path}"})
        if request.method != route.method:
            message = {"message": f"Method {request.method} not allowed"}
            return json_response(405, message, (("Allow", route.method),))
        now_ms = self._clock.now_ms()
        if route.authenticated:
            rejection = self.auth.rejection(request, now_ms)
            if rejection is not None:
                return rejection
        account = match["account"]
        if account != self._config.account_id:
            return json_response(404, {"message": f"Account {account} not found"})
        if route.authenticated and route.permission not in self._config.permissions:
            return json_response(403, {"message": "Forbidden", "reason": "missing permission"})
        return getattr(self, route.handler)(request, match, now_ms)

    def _domain(self, request: Request, match: re.Match, now_ms: int) -> Response:
        """Domain API: the bare host (no scheme) of each service, for one service or all of them."""
        if request.param("version") != "1.0":
            return bad_request("version: must be 1.0")
        account = self._config.account_id
        service = match.groupdict().get("service")
        if service is None:
            return json_response(200, {"baseURIs": [self._base_uri(name) for name in SERVICES]})
        if service not in SERVICES:  # service names are case sensitive
            return json_response(404, {"message": f"Service {service} not found for account {account}"})
        return json_response(200, self._base_uri(service))

    def _base_uri(self, service: str) -> dict:
        base = self._config.domain_overrides.get(service, self.host)
        return {"service": service, "account": self._config.account_id, "baseURI": base}

    def _token(self, request: Request, match: re.Match, now_ms: int) -> Response:
        return self.auth.issue_token(request, now_ms)

    def _status_changes(self, request: Request, match: re.Match, now_ms: int) -> Response:
        query = parse_query(request, now_ms, self._config.retention_days)
        if isinstance(query, Response):
            return query
        return Response(200, self._pages.render(query, now_ms))

    def _users(self, request: Request, match: re.Match, now_ms: int) -> Response:
        return self._configuration(request, self._directory.users_json)

    def _agent_groups(self, request: Request, match: re.Match, now_ms: int) -> Response:
        return self._configuration(request, self._directory.groups_json)

    def _status_reasons(self, request: Request, match: re.Match, now_ms: int) -> Response:
        return self._configuration(request, self._directory.reasons_json)

    @staticmethod
    def _configuration(request: Request, items) -> Response:
        """Account Configuration APIs: ``v`` is required; deleted items only with include_deleted=true."""
        version = request.param("v")
        try:
            float(version or "")
        except ValueError:
            return bad_request("v: must be provided, e.g. v=4.0")
        include_deleted = (request.param("include_deleted") or "").lower() == "true"
        return json_response(200, items(include_deleted))
