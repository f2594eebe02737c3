"""Status-change records, generated lazily and deterministically per (agent, UTC day).

Imitates what LivePerson's Agent Activity API stores: per agent session a login (statusType 3) and
the default state (statusType 1, sequenceNumber 1) at the same millisecond, then status changes with
a real sessionId and sequenceNumber 2, 3, ..., then a logout (statusType 4). Nothing is held for the
whole account: a (agent, day) unit is regenerated from a PRNG seeded by (seed, agent, day) whenever
needed, and only recent units and encoded query results are kept in bounded LRU caches.

Query results are ordered by a hash of the primary key (agentId, time, statusType, sequenceNumber):
a stable order that is not time order, like the real API whose pages are not sorted by time.
"""

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import orjson

from .config import SimulatorConfig
from .directory import AccountDirectory, Agent
from .roster import Shift
from .times import DAY_MS, format_ms, parse_rfc3339

HOUR_MS = 3_600_000
SESSION_ID_BASE = 3_000_000_000
_MASK64 = (1 << 64) - 1
_LATE_SCALE = 1_000_000
UNIT_CACHE_SIZE = 4096  # (agent, day) units kept; query results have their own, larger cache

STATUS_CHANGE, LOGIN, LOGOUT = 1, 3, 4  # statusType
NO_REASON = (0, None)  # statusReasonId / statusReasonText of login, default state and logout
# Status sub types of statusType 1 and the chance of moving to each from any other one.
OFFLINE, ONLINE, OCCUPIED, AWAY = 1, 2, 3, 4
_NEXT_STATE_WEIGHTS = {OFFLINE: 1, ONLINE: 4, OCCUPIED: 3, AWAY: 3}
AGENT_FIELDS = ("agentId", "employeeId", "agentLoginName", "agentUserName", "agentGroupId")


class Row(NamedTuple):
    """One record with what the store needs to order it and to decide when it becomes visible."""

    order_key: int
    time_ms: int
    visible_at_ms: int
    record: dict


class RecordFilter(NamedTuple):
    """One of the API's mutually exclusive filters, as record field and value."""

    field: str  # "agentId" | "employeeId" | "agentGroupId"
    value: int | str


class Selection(NamedTuple):
    """Which records a query asks for: ``start <= time <= end`` (ms, inclusive) and a filter."""

    start_ms: int
    end_ms: int
    record_filter: RecordFilter | None = None


def order_key(agent_id: int, time_ms: int, status_type: int, sequence_number: int) -> int:
    """A 64-bit mix of the primary key: stable across requests, unrelated to time order."""
    x = agent_id * 0x9E3779B97F4A7C15 ^ time_ms * 0xC2B2AE3D27D4EB4F
    x ^= ((status_type << 32) | (sequence_number & 0xFFFFFFFF)) * 0x165667B19E3779F9
    x &= _MASK64
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & _MASK64
    return x ^ (x >> 32)


def _transition_table() -> dict[int, tuple[tuple[float, int], ...]]:
    table = {}
    for current in _NEXT_STATE_WEIGHTS:
        options = [(state, weight) for state, weight in _NEXT_STATE_WEIGHTS.items() if state != current]
        total, cumulative, steps = sum(weight for _, weight in options), 0.0, []
        for state, weight in options:
            cumulative += weight / total
            steps.append((cumulative, state))
        table[current] = tuple(steps)
    return table


_TRANSITIONS = _transition_table()


class ActivityGenerator:
    """Makes the records of one agent's sessions that start on one UTC day."""

    def __init__(self, config: SimulatorConfig, directory: AccountDirectory) -> None:
        self._seed = config.seed
        self._sessions_per_day = config.sessions_per_day
        self._changes = config.changes_per_session
        self._late_threshold = int(config.late_share * _LATE_SCALE)
        self._late_delay_ms = int(config.late_delay_seconds * 1000)
        self._directory = directory

    def visible_at(self, key: int, time_ms: int) -> int:
        """Late records (a deterministic share) appear ``late_delay_seconds`` after their time."""
        if self._late_threshold and (key >> 11) % _LATE_SCALE < self._late_threshold:
            return time_ms + self._late_delay_ms
        return time_ms

    def unit(self, agent: Agent, day: int) -> list[Row]:
        directory = self._directory
        if day < directory.first_day or (agent.last_day is not None and day > agent.last_day):
            return []
        rng = random.Random((self._seed * 1_000_003 + agent.index) * 1_000_000 + day)
        if rng.random() >= agent.attendance:
            return []
        group_id = agent.group_on(day, directory.regroup_day)
        identity = (agent.agent_id, agent.employee_id, agent.login_name, agent.user_name, group_id)
        rows: list[Row] = []
        for login_ms, logout_ms in self._sessions(agent.shift, day, rng):
            rows.extend(self._session(identity, agent.shift, day, login_ms, logout_ms, rng))
        return rows

    def _sessions(self, shift: Shift, day: int, rng: random.Random) -> Iterator[tuple[int, int]]:
        """Split the agent's working window into ``sessions_per_day`` sessions with gaps between them."""
        day_ms = day * DAY_MS
        if shift is Shift.MIDNIGHT:
            window_start, window_ms = day_ms, rng.randrange(6 * HOUR_MS, 8 * HOUR_MS)
        elif shift is Shift.NIGHT:
            window_start = day_ms + 20 * HOUR_MS + rng.randrange(2 * HOUR_MS)
            window_ms = rng.randrange(8 * HOUR_MS, 10 * HOUR_MS)
        else:
            window_start = day_ms + 6 * HOUR_MS + rng.randrange(6 * HOUR_MS)
            window_ms = rng.randrange(7 * HOUR_MS, 10 * HOUR_MS)
        slot_ms = window_ms // self._sessions_per_day
        for slot in range(self._sessions_per_day):
            slot_start = window_start + slot * slot_ms
            starts_at_midnight = shift is Shift.MIDNIGHT and slot == 0
            login_ms = slot_start if starts_at_midnight else slot_start + rng.randrange(slot_ms // 10)
            logout_ms = slot_start + slot_ms - rng.randrange(1, slot_ms // 10)
            yield login_ms, logout_ms

    def _session(
        self, identity: tuple, shift: Shift, day: int, login_ms: int, logout_ms: int, rng: random.Random
    ) -> Iterator[Row]:
        """Login and default state at the same millisecond, status changes, logout."""
        changes = rng.randint(self._changes - self._changes // 2, self._changes + self._changes // 2)
        times = sorted(rng.sample(range(login_ms + 1, logout_ms), min(changes, logout_ms - login_ms - 1)))
        midnight = (logout_ms // DAY_MS) * DAY_MS
        if shift is Shift.NIGHT and login_ms < midnight < logout_ms and midnight not in times:
            times.append(midnight)
            times.sort()
        session_id = SESSION_ID_BASE + rng.getrandbits(36)
        state = ONLINE if rng.random() < 0.8 else OFFLINE
        login_time = format_ms(login_ms)
        yield self._row(identity, login_ms, login_time, -1, -1, LOGIN, 0, NO_REASON, None)
        yield self._row(identity, login_ms, login_time, -1, 1, STATUS_CHANGE, state, NO_REASON, None)
        previous_time, sequence = login_time, 1
        for time_ms in times:
            draw = rng.random()
            state = next(next_state for threshold, next_state in _TRANSITIONS[state] if draw <= threshold)
            sequence += 1
            time_text = format_ms(time_ms)
            reason = self._reason(state, day, rng)
            yield self._row(
                identity,
                time_ms,
                time_text,
                session_id,
                sequence,
                STATUS_CHANGE,
                state,
                reason,
                previous_time,
            )
            previous_time = time_text
        sequence += 1
        logout_time = format_ms(logout_ms)
        yield self._row(identity, logout_ms, logout_time, session_id, sequence, LOGOUT, 0, NO_REASON, None)

    def _reason(self, state: int, day: int, rng: random.Random) -> tuple[int, str | None]:
        """Away usually carries a custom reason, occupied sometimes; otherwise -1 and ""."""
        if state == AWAY and rng.random() < 0.85:
            reason = rng.choice(self._directory.away_reasons(day))
        elif state == OCCUPIED and rng.random() < 0.3:
            reason = rng.choice(self._directory.occupied_reasons())
        else:
            return -1, ""
        return reason.id, reason.text

    def _row(
        self,
        identity: tuple,
        time_ms: int,
        time_text: str,
        session_id: int,
        sequence: int,
        status_type: int,
        sub_type: int,
        reason: tuple[int, str | None],
        previous_time: str | None,
    ) -> Row:
        agent_id, employee_id, login_name, user_name, group_id = identity
        record = {
            "agentId": agent_id,
            "employeeId": employee_id,
            "agentLoginName": login_name,
            "agentUserName": user_name,
            "agentGroupId": group_id,
            "time": time_text,
            "sessionId": session_id,
            "sequenceNumber": sequence,
            "statusType": status_type,
            "statusSubType": sub_type,
            "statusReasonId": reason[0],
            "statusReasonText": reason[1],
            "prevStatusChangeTime": previous_time,
        }
        key = order_key(agent_id, time_ms, status_type, sequence)
        return Row(key, time_ms, self.visible_at(key, time_ms), record)


def row_of_injected(record: dict) -> Row:
    """A record added by a test: visible as soon as its time has come, never late."""
    time_ms = parse_rfc3339(record["time"])
    key = order_key(
        int(record.get("agentId", 0)),
        time_ms,
        int(record.get("statusType", 0)),
        int(record.get("sequenceNumber", 0)),
    )
    return Row(key, time_ms, time_ms, dict(record))


def encode_compact(value: object) -> bytes:
    """JSON bytes sized to fit: orjson's small results each keep a 4 KiB buffer, ten times their size."""
    return bytes(memoryview(orjson.dumps(value)))


class EncodedWindow:
    """The result of one query (range + filter) in API order, each record already JSON-encoded."""

    __slots__ = ("blobs", "visible_at", "latest_visible_at")

    def __init__(self, rows: list[Row]) -> None:
        self.blobs = [encode_compact(row.record) for row in rows]
        self.visible_at = [row.visible_at_ms for row in rows]
        self.latest_visible_at = max(self.visible_at, default=0)

    @property
    def size(self) -> int:
        return len(self.blobs)

    def visible(self, now_ms: int) -> list[bytes]:
        if self.latest_visible_at <= now_ms:
            return self.blobs
        return [blob for blob, at in zip(self.blobs, self.visible_at, strict=True) if at <= now_ms]


class AgentGroupedWindow:
    """A query result grouped by agent for the v1 format: each agent's identity and encoded events.

    Agents come in a stable hashed order; an agent's identity fields are those of its latest record.
    """

    __slots__ = ("agents", "size")

    def __init__(self, rows: list[Row]) -> None:
        events: dict[int, list[tuple[int, bytes]]] = {}
        identities: dict[int, tuple[int, dict]] = {}  # agentId -> (time of its latest record, agent fields)
        for row in rows:
            record = row.record
            agent_id = record.get("agentId")
            if agent_id not in identities or row.time_ms >= identities[agent_id][0]:
                identities[agent_id] = (row.time_ms, {field: record.get(field) for field in AGENT_FIELDS})
            event = {key: value for key, value in record.items() if key not in AGENT_FIELDS}
            events.setdefault(agent_id, []).append((row.visible_at_ms, encode_compact(event)))
        agent_order = sorted(events, key=lambda agent_id: order_key(int(agent_id or 0), 0, 0, 0))
        self.agents = [(identities[agent_id][1], events[agent_id]) for agent_id in agent_order]
        self.size = len(rows)

    def visible(self, now_ms: int) -> list[tuple[dict, list[bytes]]]:
        agents = []
        for header, events in self.agents:
            blobs = [blob for at, blob in events if at <= now_ms]
            if blobs:
                agents.append((header, blobs))
        return agents


class _BoundedCache:
    """LRU of query results, bounded by the number of records they hold in total."""

    def __init__(self, max_records: int) -> None:
        self._max_records = max_records
        self._entries: OrderedDict[tuple, EncodedWindow | AgentGroupedWindow] = OrderedDict()
        self._records = 0
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}

    def get_or_build(self, key: tuple, build: Callable[[], EncodedWindow | AgentGroupedWindow]):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:  # concurrent first pages of one window build it once
            with self._lock:
                if key in self._entries:
                    return self._entries[key]
            value = build()
            with self._lock:
                self._entries[key] = value
                self._records += value.size
                while self._records > self._max_records and len(self._entries) > 1:
                    _, evicted = self._entries.popitem(last=False)
                    self._records -= evicted.size
                self._building.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._records = 0


class StatusChangeStore:
    """All status changes of the account: generated ones plus records injected by tests."""

    def __init__(self, config: SimulatorConfig, directory: AccountDirectory) -> None:
        self._directory = directory
        self._generator = ActivityGenerator(config, directory)
        self._units: OrderedDict[tuple[int, int], list[Row]] = OrderedDict()
        self._units_lock = threading.Lock()
        self._injected: list[Row] = []
        self._version = 0
        self._results = _BoundedCache(config.window_cache_records)

    def add_records(self, records: Iterable[dict]) -> None:
        rows = [row_of_injected(record) for record in records]
        with self._units_lock:
            self._injected = [*self._injected, *rows]
            self._version += 1
        self._results.clear()

    def window(self, selection: Selection) -> EncodedWindow:
        """The v2 result of a query, cached: the pages of one query all read the same window."""
        key = ("v2", selection, self._version)
        return self._results.get_or_build(key, lambda: EncodedWindow(self.rows(selection)))

    def agent_window(self, selection: Selection) -> AgentGroupedWindow:
        """The v1 result of a query (grouped by agent), cached like ``window``."""
        key = ("v1", selection, self._version)
        return self._results.get_or_build(key, lambda: AgentGroupedWindow(self.rows(selection)))

    def rows(self, selection: Selection) -> list[Row]:
        """Every selected record (visible or not yet), in API order."""
        start_ms, end_ms, record_filter = selection
        matches = _matcher(record_filter)
        found = [row for row in self._injected if start_ms <= row.time_ms <= end_ms and matches(row.record)]
        # Night sessions start on the previous day and cross midnight.
        days = range(start_ms // DAY_MS - 1, end_ms // DAY_MS + 1)
        for agent in self._candidate_agents(record_filter):
            for day in days:
                for row in self._unit(agent, day):
                    if start_ms <= row.time_ms <= end_ms and matches(row.record):
                        found.append(row)
        found.sort(key=_by_order_key)
        return found

    def visible_rows(self, selection: Selection, now_ms: int) -> list[Row]:
        return [row for row in self.rows(selection) if row.visible_at_ms <= now_ms]

    def _candidate_agents(self, record_filter: RecordFilter | None) -> list[Agent]:
        agents = self._directory.agents
        if record_filter is None:
            return agents
        if record_filter.field == "agentId":
            index = self._directory.agent_index_by_id.get(record_filter.value)
            return [] if index is None else [agents[index]]
        if record_filter.field == "employeeId":
            return [agent for agent in agents if agent.employee_id == record_filter.value]
        return agents  # group membership changes over time: check each record

    def _unit(self, agent: Agent, day: int) -> list[Row]:
        key = (agent.index, day)
        with self._units_lock:
            rows = self._units.get(key)
            if rows is not None:
                self._units.move_to_end(key)
                return rows
        rows = self._generator.unit(agent, day)
        with self._units_lock:
            self._units[key] = rows
            if len(self._units) > UNIT_CACHE_SIZE:
                self._units.popitem(last=False)
        return rows


def _by_order_key(row: Row) -> int:
    return row.order_key


def _matcher(record_filter: RecordFilter | None) -> Callable[[dict], bool]:
    if record_filter is None:
        return lambda record: True
    field, value = record_filter
    return lambda record: record.get(field) == value
