"""Failures LivePerson (or the network in front of it) produces, injected on demand.

Faults are queued for the next matching requests (``FaultPlan.add``) or drawn at random per request
(``FaultPlan.set_mix``). Some replace the answer (rate limits, server errors, a dropped connection, a host
that accepts the connection and never answers); some damage an otherwise normal answer (a truncated body, a
record with a broken ``time``); one delays it (``slow``: LivePerson taking tens of seconds over a big page).
"""

import random
import threading
from collections.abc import Mapping

import orjson

from .messages import Response, bad_request, json_response, unauthorized

ENDPOINTS = ("domain", "token", "status_changes", "users", "agent_groups", "status_reasons")

# Faults that stand in for the whole answer. "drop", "silent" and "expire_token" are carried out by the API:
# "silent" holds the request, connection open and nothing sent, until the simulator stops.
REPLACING_FAULTS = frozenset(
    {
        "429",
        "429_no_retry_after",
        "500",
        "503",
        "drop",
        "silent",
        "expire_token",
        "html_error",
        "empty_body",
        "400",
        "401",
        "403",
        "404",
    }
)
# Faults applied to the normal answer.
DAMAGING_FAULTS = frozenset({"truncate", "no_state_changes", "bad_record_time"})
# Faults that leave the answer as it is but send it late: "slow" after SimulatorConfig.slow_answer_seconds.
DELAYING_FAULTS = frozenset({"slow"})
FAULT_KINDS = REPLACING_FAULTS | DAMAGING_FAULTS | DELAYING_FAULTS

_HTML_GATEWAY_ERROR = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def _check(kind: str, endpoint: str | None) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; known: {sorted(FAULT_KINDS)}")
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; known: {list(ENDPOINTS)}")


class FaultPlan:
    """Which faults the next requests get. ``endpoint=None`` matches every LivePerson endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[list] = []  # [kind, endpoint, remaining count]
        self._mix: list[tuple[float, str]] = []  # cumulative probability, kind
        self._mix_endpoint: str | None = None
        self._rng = random.Random(0)

    def add(self, kind: str, count: int = 1, endpoint: str | None = "status_changes") -> None:
        _check(kind, endpoint)
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._queued.append([kind, endpoint, count])

    def set_mix(
        self,
        mix: Mapping[str, float],
        seed: int = 0,
        endpoint: str | None = "status_changes",
    ) -> None:
        cumulative, table = 0.0, []
        for kind, probability in mix.items():
            _check(kind, endpoint)
            if probability < 0:
                raise ValueError(f"probability of {kind!r} is negative")
            cumulative += probability
            table.append((cumulative, kind))
        if cumulative > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities add up to {cumulative}, more than 1")
        with self._lock:
            self._mix, self._mix_endpoint, self._rng = table, endpoint, random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()
            self._mix = []

    def take(self, endpoint: str) -> str | None:
        """The fault for this request, if any: queued faults first (oldest first), then the mix."""
        with self._lock:
            for entry in self._queued:
                kind, wanted, _ = entry
                if wanted is None or wanted == endpoint:
                    entry[2] -= 1
                    if entry[2] == 0:
                        self._queued.remove(entry)
                    return kind
            if self._mix and (self._mix_endpoint is None or self._mix_endpoint == endpoint):
                draw = self._rng.random()
                return next((kind for threshold, kind in self._mix if draw < threshold), None)
        return None

    def pending(self) -> list[tuple[str, str | None, int]]:
        with self._lock:
            return [(kind, endpoint, count) for kind, endpoint, count in self._queued]


def replacement(kind: str, retry_after_seconds: int = 1) -> Response:
    """The answer that replaces the normal one (``drop``, ``silent`` and ``expire_token`` need the API's help)."""
    if kind == "429":
        return json_response(
            429, {"message": "Too Many Requests"}, headers=(("Retry-After", str(retry_after_seconds)),)
        )
    if kind == "429_no_retry_after":
        return json_response(429, {"message": "Too Many Requests"})
    if kind == "500":
        return json_response(500, {"internalCode": "AA-500-17", "message": "Internal error"})
    if kind == "503":
        return json_response(503, {"message": "Service Unavailable"})
    if kind == "html_error":
        return Response(502, _HTML_GATEWAY_ERROR, content_type="text/html")
    if kind == "empty_body":
        return Response(200, b"")
    if kind == "400":
        return bad_request("simulated bad request")
    if kind in ("401", "expire_token"):
        return unauthorized()
    if kind == "403":
        return json_response(403, {"message": "Forbidden", "reason": "missing permission"})
    if kind == "404":
        return json_response(404, {"message": "Not Found"})
    raise ValueError(f"{kind!r} does not replace the answer")


def damage(kind: str, response: Response) -> Response:
    """Break a normal answer the way ``kind`` says; answers with nothing to break pass unchanged."""
    if kind == "truncate":
        cut = response.body[: len(response.body) // 2]
        return Response(response.status, cut, response.content_type, response.headers)
    if response.status != 200 or not response.body:
        return response
    payload = orjson.loads(response.body)
    if kind == "no_state_changes":
        if isinstance(payload, dict):
            payload.pop("stateChanges", None)
            payload.pop("agentsInfo", None)
        else:
            payload = {}
    elif kind == "bad_record_time":
        record = _first_record(payload)
        if record is None:
            return response
        record["time"] = "not-a-date"
    else:
        raise ValueError(f"{kind!r} does not damage an answer")
    return Response(response.status, orjson.dumps(payload), response.content_type, response.headers)


def _first_record(payload: object) -> dict | None:
    if not isinstance(payload, dict):
        return None
    if payload.get("stateChanges"):
        return payload["stateChanges"][0]
    for agent in payload.get("agentsInfo") or ():
        if agent.get("statusChangeHistory"):
            return agent["statusChangeHistory"][0]
    return None
