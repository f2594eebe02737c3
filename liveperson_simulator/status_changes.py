"""Get Status Changes: parameter validation and the v1 / v2 answers.

Imitates ``GET /api/v2/account/{accountId}/status-changes`` of LivePerson's Agent Activity API:
``v`` picks the format (1, grouped by agent, is the default), ``from``/``to`` are RFC 3339 and
inclusive, at most 6 calendar months back (or the account's ``retention_days``) and 31 days apart;
pages are offset/limit; ``_metadata`` links use plain ``http`` and carry no ``v``, exactly like the
documentation's examples.
"""

import math
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import orjson

from .data import RecordFilter, Selection, StatusChangeStore
from .messages import Request, Response, bad_request
from .times import DAY_MS, format_ms, format_timeframe, months_before, parse_rfc3339

MAX_SOURCE_LENGTH = 20
MAX_RANGE_MS = 31 * DAY_MS
MAX_AGE_MONTHS = 6
DEFAULT_RANGE_MS = DAY_MS
# (default, maximum) page size per format: v2 counts records, v1 counts agents.
LIMITS = {1: (50, 100), 2: (1000, 5000)}
# v1 pages are silently cut at this many state changes per requested agent and day.
V1_CHANGES_PER_AGENT_DAY = 20
FILTER_PARAMS = {"agentId": "agentId", "empId": "employeeId", "groupId": "agentGroupId"}


@dataclass(frozen=True)
class StatusChangesQuery:
    version: int
    source: str
    start_ms: int
    end_ms: int
    record_filter: RecordFilter | None
    filter_param: tuple[str, str] | None  # as the client wrote it, echoed in the links
    limit: int
    offset: int

    @property
    def selection(self) -> Selection:
        return Selection(self.start_ms, self.end_ms, self.record_filter)


def parse_query(request: Request, now_ms: int, retention_days: int | None = None) -> StatusChangesQuery | Response:
    """The validated query, or a 400 answer listing every problem found."""
    causes: list[str] = []
    version = _parse_version(request.param("v"), causes)
    source = request.param("source")
    if not source:
        causes.append("source: must be provided")
    elif len(source) > MAX_SOURCE_LENGTH:
        causes.append(f"source: size must be between 1 and {MAX_SOURCE_LENGTH}")
    start_ms, end_ms = _parse_range(request.param("from"), request.param("to"), now_ms, retention_days, causes)
    default_limit, max_limit = LIMITS[version]
    limit = _parse_int("limit", request.param("limit"), default_limit, 1, max_limit, causes)
    offset = _parse_int("offset", request.param("offset"), 0, 0, None, causes)
    record_filter, filter_param = _parse_filter(request, causes)
    if causes:
        return bad_request(*causes)
    return StatusChangesQuery(version, source, start_ms, end_ms, record_filter, filter_param, limit, offset)


def _parse_version(value: str | None, causes: list[str]) -> int:
    if value is None:
        return 1  # the documented default, whatever the path says
    if value in ("1", "2"):
        return int(value)
    causes.append(f"v: must be 1 or 2, got '{value}'")
    return 1


def _parse_range(
    start: str | None, end: str | None, now_ms: int, retention_days: int | None, causes: list[str]
) -> tuple[int, int]:
    if start is None and end is None:
        return now_ms - DEFAULT_RANGE_MS, now_ms
    if start is None or end is None:
        causes.append("from and to: must be provided together")
        return 0, 0
    start_ms = _parse_instant("from", start, causes)
    end_ms = _parse_instant("to", end, causes)
    if start_ms is None or end_ms is None:
        return 0, 0
    if retention_days is None:
        if start_ms < months_before(now_ms, MAX_AGE_MONTHS):
            causes.append(f"from: must not be more than {MAX_AGE_MONTHS} months in the past")
    elif start_ms < now_ms - retention_days * DAY_MS:
        causes.append(f"from: must not be more than {retention_days} days in the past")
    if start_ms > end_ms:
        causes.append("from: must not be after to")
    elif end_ms - start_ms > MAX_RANGE_MS:
        causes.append("to: must not be more than 31 days after from")
    return start_ms, end_ms


def _parse_instant(name: str, value: str, causes: list[str]) -> int | None:
    try:
        return parse_rfc3339(value)
    except ValueError:
        causes.append(f"{name}: '{value}' is not an RFC 3339 date-time")
        return None


def _parse_int(
    name: str,
    value: str | None,
    default: int,
    minimum: int,
    maximum: int | None,
    causes: list[str],
) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        causes.append(f"{name}: must be an integer, got '{value}'")
        return default
    if number < minimum:
        causes.append(f"{name}: must be greater than or equal to {minimum}")
    elif maximum is not None and number > maximum:
        causes.append(f"{name}: must be less than or equal to {maximum}")
    return number


def _parse_filter(request: Request, causes: list[str]) -> tuple[RecordFilter | None, tuple[str, str] | None]:
    given = [(param, request.param(param)) for param in FILTER_PARAMS if request.param(param) is not None]
    if len(given) > 1:
        causes.append("agentId, empId, groupId: only one may be given")
        return None, None
    if not given:
        return None, None
    param, value = given[0]
    if param == "empId":
        return RecordFilter("employeeId", value), (param, value)
    try:
        return RecordFilter(FILTER_PARAMS[param], int(value)), (param, value)
    except ValueError:
        causes.append(f"{param}: must be an integer, got '{value}'")
        return None, None


class StatusChangesPage:
    """Renders one page of a validated query from the store, in the requested format."""

    def __init__(self, store: StatusChangeStore, account_id: str, link_host: str) -> None:
        self._store = store
        self._account_id = account_id
        self._link_host = link_host

    def render(self, query: StatusChangesQuery, now_ms: int) -> bytes:
        if query.version == 2:
            return self._render_v2(query, now_ms)
        return self._render_v1(query, now_ms)

    def _render_v2(self, query: StatusChangesQuery, now_ms: int) -> bytes:
        records = self._store.window(query.selection).visible(now_ms)
        page = records[query.offset : query.offset + query.limit]
        return _body(self._metadata(query, len(records)), _timeframe(query), b"stateChanges", page)

    def _render_v1(self, query: StatusChangesQuery, now_ms: int) -> bytes:
        agents = self._store.agent_window(query.selection).visible(now_ms)
        days = max(1, math.ceil((query.end_ms - query.start_ms) / DAY_MS))
        budget = V1_CHANGES_PER_AGENT_DAY * query.limit * days
        page = []
        for identity, events in agents[query.offset : query.offset + query.limit]:
            kept = events[:budget]
            budget -= len(kept)
            page.append(orjson.dumps(identity)[:-1] + b',"statusChangeHistory":[' + b",".join(kept) + b"]}")
        return _body(self._metadata(query, len(agents)), _timeframe(query), b"agentsInfo", page)

    def _metadata(self, query: StatusChangesQuery, total: int) -> dict:
        """``self`` and ``first`` always; ``previous``, ``next`` and ``last`` when they exist."""
        references = [
            {"rel": "self", "href": self._href(query, query.offset)},
            {"rel": "first", "href": self._href(query, 0)},
        ]
        if query.offset > 0:
            previous_offset = max(0, query.offset - query.limit)
            references.append({"rel": "previous", "href": self._href(query, previous_offset)})
        if query.offset + query.limit < total:
            references.append({"rel": "next", "href": self._href(query, query.offset + query.limit)})
            last_offset = (total - 1) // query.limit * query.limit
            references.append({"rel": "last", "href": self._href(query, last_offset)})
        return {"references": references}

    def _href(self, query: StatusChangesQuery, offset: int) -> str:
        params = [
            ("from", format_ms(query.start_ms)),
            ("to", format_ms(query.end_ms)),
            ("offset", offset),
            ("limit", query.limit),
            ("source", query.source),
        ]
        if query.filter_param:
            params.append(query.filter_param)
        path = f"/api/v2/account/{self._account_id}/status-changes"
        return f"http://{self._link_host}{path}?{urlencode(params, safe=':', quote_via=quote)}"  # ignore-https-check


def _body(metadata: dict, timeframe: dict, list_name: bytes, items: list[bytes]) -> bytes:
    """``{"_metadata", "timeframe", list_name: [items]}`` around items that are already JSON."""
    head = orjson.dumps({"_metadata": metadata, "timeframe": timeframe})[:-1]
    return head + b',"' + list_name + b'":[' + b",".join(items) + b"]}"


def _timeframe(query: StatusChangesQuery) -> dict:
    return {
        "startTime": format_timeframe(query.start_ms),
        "endTime": format_timeframe(query.end_ms),
        "startTimeL": str(query.start_ms),
        "endTimeL": str(query.end_ms),
    }
