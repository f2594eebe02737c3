"""HTTP request and response values passed between the server and the fake LivePerson services."""

from dataclasses import dataclass, field
from email.message import Message

import orjson


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]  # in order, blank values kept (OAuth 1 signs them all)
    headers: Message
    body: bytes
    host: str  # the Host header (OAuth 1 signs it)

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, as Java servers read repeated parameters."""
        return next((value for key, value in self.query if key == name), None)

    @property
    def query_dict(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for key, value in self.query:
            params.setdefault(key, value)
        return params


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = field(default=())


def json_response(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, orjson.dumps(payload), headers=headers)


def bad_request(*causes: str) -> Response:
    """LivePerson's 400 body: a list of causes naming the parameter."""
    return json_response(400, {"causes": list(causes), "message": "Bad Request"})


def unauthorized(problem: str = "token_rejected") -> Response:
    """LivePerson's 401 body, naming the OAuth problem."""
    return json_response(401, {"reason": f"oauth_problem={problem}", "message": "Unauthorized"})
