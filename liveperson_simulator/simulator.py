"""``Simulator``: a LivePerson account on ``https://localhost:{port}``, started and steered from Python."""

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime

from .api import LivePersonApi
from .clock import SimulatorClock
from .config import SimulatorConfig
from .control import PREFIX, ControlApi
from .data import RecordFilter, Row, Selection, StatusChangeStore
from .directory import AccountDirectory
from .faults import FaultPlan
from .messages import Request, Response
from .server import SimulatorHTTPServer
from .stats import RequestLog, RequestRecord
from .status_changes import FILTER_PARAMS
from .times import DAY_MS, to_ms
from .tls import ServerCertificate

SHUTDOWN_POLL_SECONDS = 0.01
Instant = datetime | str | int


class Simulator:
    """A faithful stand-in for the LivePerson APIs the connector uses, over real HTTPS on 127.0.0.1.

    ``Simulator(SimulatorConfig(...))`` or ``Simulator(agents=5, ...)``; ``start()`` (or ``with``)
    binds a free port. Data is generated from ``config.seed``; ``ground_truth`` tells what a
    correct sync of a time range must return.
    """

    def __init__(self, config: SimulatorConfig | None = None, **overrides: object) -> None:
        config = config or SimulatorConfig()
        self.config = dataclasses.replace(config, **overrides) if overrides else config
        self._clock = SimulatorClock(self.config.start_at)
        first_day = self._clock.now_ms() // DAY_MS - self.config.history_days
        self._directory = AccountDirectory(self.config, first_day)
        self._store = StatusChangeStore(self.config, self._directory)
        self._faults = FaultPlan()
        self._log = RequestLog()
        self._api = LivePersonApi(
            self.config,
            self._clock,
            self._directory,
            self._store,
            self._faults,
            self._log,
        )
        self._control = ControlApi(self)
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._certificate: ServerCertificate | None = None

    # Lifecycle

    def start(self) -> "Simulator":
        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._certificate = ServerCertificate()
        self._server = SimulatorHTTPServer(("127.0.0.1", 0), self._certificate.context, self._route)
        self._api.bind(self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(SHUTDOWN_POLL_SECONDS,),
            name=f"lp-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._api.gate.close_from(None)  # no request stays held past the end
        self._api.release()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_all_connections()
        self._thread.join()
        self._certificate.remove()
        self._server = self._thread = None

    def __enter__(self) -> "Simulator":
        if self._server is None:  # also allows ``with Simulator(...).start() as sim``
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _route(self, request: Request) -> Response | None:
        if request.path.startswith(PREFIX):
            return self._control.handle(request)
        return self._api.handle(request)

    # Where and who

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server.server_port

    @property
    def host(self) -> str:
        return "localhost"

    @property
    def address(self) -> str:
        """``localhost:{port}``: what the Domain API answers and what ``domain_api_host`` should be."""
        return f"localhost:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.address}"

    @property
    def ca_path(self) -> str:
        if self._certificate is None:
            raise RuntimeError("simulator not started")
        return self._certificate.ca_path

    account_id = property(lambda self: self.config.account_id)
    client_id = property(lambda self: self.config.client_id)
    client_secret = property(lambda self: self.config.client_secret)
    app_key = property(lambda self: self.config.app_key)
    app_secret = property(lambda self: self.config.app_secret)
    access_token = property(lambda self: self.config.access_token)
    access_token_secret = property(lambda self: self.config.access_token_secret)

    def connector_config(self, **overrides: object) -> dict:
        """A connector config using OAuth 2 client credentials against this simulator."""
        credentials = {
            "auth_type": "oauth2_client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return {
            "account_id": self.account_id,
            "credentials": credentials,
            "domain_api_host": self.address,
            **overrides,
        }

    def connector_config_oauth1(self, **overrides: object) -> dict:
        """A connector config using OAuth 1.0a app keys against this simulator."""
        credentials = {
            "auth_type": "oauth1_app_key",
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
        }
        return {
            "account_id": self.account_id,
            "credentials": credentials,
            "domain_api_host": self.address,
            **overrides,
        }

    def info(self) -> dict:
        """Everything an out-of-process client needs (printed by the CLI)."""
        return {
            "address": self.address,
            "host": self.host,
            "port": self.port,
            "base_url": self.base_url,
            "ca_path": self.ca_path,
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
            "control_url": f"{self.base_url}/_simulator/",
            "seed": self.config.seed,
            "agents": self.config.agents,
            "history_days": self.config.history_days,
            "connector_config": self.connector_config(),
        }

    def issue_token(self) -> str:
        """A valid bearer token, as if fetched from Sentinel (not counted as a request)."""
        return self._api.auth.tokens.issue(self._clock.now_ms())

    def calls_with_outlived_tokens(self) -> int:
        """API calls refused because their bearer token had outlived its lifetime (revoked ones not counted)."""
        return self._api.auth.tokens.outlived

    def first_sends_with_outlived_tokens(self) -> int:
        """Of those, the calls that were not a repeat (same token, method, path and query) of an earlier call: a
        request first sent with a token past its lifetime, rather than a retry resending the token it went with."""
        return self._api.auth.tokens.outlived_first_sends

    def issued_tokens(self) -> list[str]:
        """Every bearer token issued so far (by Sentinel or ``issue_token``), oldest first."""
        return self._api.auth.tokens.issued()

    # Clock and data

    def now(self) -> datetime:
        return self._clock.now()

    def now_ms(self) -> int:
        return self._clock.now_ms()

    def advance(self, seconds: float) -> None:
        """Move simulator time forward: later records appear, tokens expire."""
        self._clock.advance(seconds)

    def add_records(self, records: list[dict]) -> None:
        """Add status-change records (v2 shape; ``time`` required) visible once their time has come."""
        self._store.add_records(records)

    def ground_truth(self, start: Instant, end: Instant, **filters: object) -> list[dict]:
        """What the API serves now for ``start <= time <= end`` (v2 records), sorted by time.

        ``start``/``end``: datetime, RFC 3339 string or epoch ms. Filters as in the API:
        ``agentId=``, ``empId=`` or ``groupId=``.
        """
        rows = self._visible_rows(start, end, filters)
        rows.sort(key=_time_then_primary_key)
        return [dict(row.record) for row in rows]

    def ground_truth_count(self, start: Instant, end: Instant, **filters: object) -> int:
        return len(self._visible_rows(start, end, filters))

    def _visible_rows(self, start: Instant, end: Instant, filters: dict[str, object]) -> list[Row]:
        selection = Selection(to_ms(start), to_ms(end), _record_filter(filters))
        return self._store.visible_rows(selection, self._clock.now_ms())

    def users(self, include_deleted: bool = False) -> list[dict]:
        return self._directory.users_json(include_deleted)

    def agent_groups(self, include_deleted: bool = False) -> list[dict]:
        return self._directory.groups_json(include_deleted)

    def status_reasons(self, include_deleted: bool = False) -> list[dict]:
        return self._directory.reasons_json(include_deleted)

    # Faults, latency and holds

    def add_fault(self, kind: str, count: int = 1, endpoint: str | None = "status_changes") -> None:
        """Give the next ``count`` requests to ``endpoint`` (None: any endpoint) the fault ``kind``."""
        self._faults.add(kind, count, endpoint)

    def set_fault_mix(
        self,
        mix: dict[str, float],
        seed: int = 0,
        endpoint: str | None = "status_changes",
    ) -> None:
        """Until ``clear_faults``, give each request to ``endpoint`` fault ``kind`` with its probability."""
        self._faults.set_mix(mix, seed, endpoint)

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[tuple[str, str | None, int]]:
        return self._faults.pending()

    def hold_windows_from(self, instant: Instant | None, until: Instant | None = None) -> None:
        """Hold every status-changes request whose window starts at or after ``instant`` (and before ``until``, if
        given; None: hold none) until this is called again. Held requests wait unanswered, as on a slow API.
        ``instant``, ``until``: datetime (naive means UTC), RFC 3339 string or epoch ms."""
        self._api.gate.close_from(
            None if instant is None else to_ms(instant), None if instant is None or until is None else to_ms(until)
        )

    def wait_for_request(self, predicate: Callable[[RequestRecord], bool], timeout: float = 300) -> bool:
        """Block until a logged request satisfies ``predicate`` (it was answered, or dropped); False after
        ``timeout`` seconds."""
        return self._log.wait_for(predicate, timeout)

    def wait_until_holding(self, count: int, timeout: float = 300) -> bool:
        """Block until ``count`` status-changes requests are held at once (a connector with ``count`` workers then has
        nothing else to read); False if the gate opens first or after ``timeout`` seconds."""
        return self._api.gate.wait_until_holding(count, timeout)

    @property
    def held_requests(self) -> int:
        """Status-changes requests the gate holds right now."""
        return self._api.gate.waiting

    @property
    def latency_ms(self) -> int:
        return self._api.latency_ms

    def set_latency(self, ms: int) -> None:
        """Delay every LivePerson request by ``ms`` milliseconds."""
        self._api.latency_ms = max(0, int(ms))

    # What was asked

    @property
    def errors(self) -> list[str]:
        """Tracebacks of requests the simulator itself failed on (answered 500 SIMULATOR-BUG)."""
        return [] if self._server is None else list(self._server.errors)

    @property
    def requests(self) -> list[RequestRecord]:
        """The last 10,000 requests: (endpoint, method, path, query, auth, status)."""
        return self._log.entries()

    def request_count(self, endpoint: str | None = None, status: int | None = None) -> int:
        return self._log.count(endpoint, status)

    def stats(self) -> dict:
        return self._log.stats()

    def reset_stats(self) -> None:
        self._log.reset()


def _record_filter(filters: dict[str, object]) -> RecordFilter | None:
    unknown = set(filters) - set(FILTER_PARAMS)
    if unknown:
        raise TypeError(f"unknown filters {sorted(unknown)}; use {list(FILTER_PARAMS)}")
    if len(filters) > 1:
        raise TypeError("give at most one filter")
    if not filters:
        return None
    ((param, value),) = filters.items()
    field = FILTER_PARAMS[param]
    return RecordFilter(field, str(value) if field == "employeeId" else int(value))


def _time_then_primary_key(row: Row) -> tuple:
    record = row.record
    return row.time_ms, record.get("agentId"), record.get("statusType"), record.get("sequenceNumber")
