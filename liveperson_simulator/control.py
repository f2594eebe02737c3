"""``/_simulator/...``: steering a running simulator over HTTP, for out-of-process users.

Benchmarks and demos run the simulator with ``python -m liveperson_simulator`` and use
these endpoints instead of the Python API. They need no authentication, are never faulted or
delayed, and do not appear in the request counters.
"""

from typing import TYPE_CHECKING

import orjson

from .messages import Request, Response, json_response
from .times import format_ms

if TYPE_CHECKING:
    from .simulator import Simulator

PREFIX = "/_simulator/"
FILTERS = ("agentId", "empId", "groupId")


class ControlApi:
    """Maps ``/_simulator/<name>`` to the ``Simulator`` method of the same purpose."""

    def __init__(self, simulator: "Simulator") -> None:
        self._sim = simulator
        self._routes = {
            ("GET", "info"): self._info,
            ("GET", "stats"): self._stats,
            ("GET", "ground-truth"): self._ground_truth,
            ("POST", "faults"): self._faults,
            ("POST", "advance"): self._advance,
            ("POST", "reset-stats"): self._reset_stats,
            ("POST", "latency"): self._latency,
        }

    def handle(self, request: Request) -> Response:
        handler = self._routes.get((request.method, request.path.removeprefix(PREFIX)))
        if handler is None:
            known = [f"{method} {PREFIX}{path}" for method, path in self._routes]
            error = f"no control endpoint {request.method} {request.path}"
            return json_response(404, {"error": error, "endpoints": known})
        try:
            return handler(request)
        except (ValueError, TypeError, KeyError) as error:
            return json_response(400, {"error": str(error)})

    def _info(self, request: Request) -> Response:
        return json_response(200, self._sim.info())

    def _stats(self, request: Request) -> Response:
        return json_response(200, self._sim.stats())

    def _ground_truth(self, request: Request) -> Response:
        """``?from=&to=`` (RFC 3339, inclusive) plus an optional filter; ``count_only=1`` for a count."""
        start, end = request.param("from"), request.param("to")
        if not start or not end:
            raise ValueError("from and to are required (RFC 3339)")
        filters = {name: request.param(name) for name in FILTERS if request.param(name) is not None}
        if request.param("count_only") in ("1", "true"):
            return json_response(200, {"count": self._sim.ground_truth_count(start, end, **filters)})
        return Response(200, orjson.dumps(self._sim.ground_truth(start, end, **filters)))

    def _faults(self, request: Request) -> Response:
        """Same arguments as the Python API, as JSON.

        ``{"kind", "count"?, "endpoint"?}`` adds a fault, ``{"mix": {kind: p}, "seed"?, "endpoint"?}``
        sets a mix, ``{"clear": true}`` removes all.
        """
        body = _json_body(request)
        endpoint = body.get("endpoint", "status_changes")
        if body.get("clear"):
            self._sim.clear_faults()
        elif "mix" in body:
            self._sim.set_fault_mix(body["mix"], seed=body.get("seed", 0), endpoint=endpoint)
        else:
            self._sim.add_fault(body["kind"], count=body.get("count", 1), endpoint=endpoint)
        return json_response(200, {"pending": self._sim.pending_faults()})

    def _advance(self, request: Request) -> Response:
        self._sim.advance(float(_json_body(request)["seconds"]))
        return json_response(200, {"now": format_ms(self._sim.now_ms())})

    def _reset_stats(self, request: Request) -> Response:
        self._sim.reset_stats()
        return json_response(200, self._sim.stats())

    def _latency(self, request: Request) -> Response:
        self._sim.set_latency(int(_json_body(request)["ms"]))
        return json_response(200, {"latency_ms": self._sim.latency_ms})


def _json_body(request: Request) -> dict:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError as error:
        raise ValueError(f"body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body
