"""Who may call: LivePerson's OAuth 2.0 client-credentials tokens (Sentinel) and OAuth 1.0a app keys.

Sentinel (``POST /sentinel/api/v2/account/{id}/app/token``) trades ``client_id``/``client_secret``
for a bearer token that lives ``expires_in`` seconds and cannot be refreshed, only re-requested.
API calls carry either ``Authorization: Bearer <token>`` or an OAuth 1.0a signature.
"""

import secrets
import threading
from urllib.parse import parse_qsl

from .messages import Request, Response, json_response, unauthorized
from .oauth1 import OAuth1Verifier, base_string_uri


class TokenStore:
    """Issued bearer tokens and when they expire, on the simulator clock."""

    def __init__(self, ttl_seconds: int) -> None:
        self._ttl_ms = ttl_seconds * 1000
        self._expiry_ms: dict[str, int] = {}
        self._lock = threading.Lock()
        # Calls refused because their token had outlived its lifetime (not because it was revoked on purpose).
        self.outlived = 0
        # Of those, the ones that were not a repeat of a call already made with the same token: a client resending
        # a request after a retry pause resends its token too, which may have expired meanwhile.
        self.outlived_first_sends = 0
        self._calls: set[tuple] = set()

    @property
    def ttl_seconds(self) -> int:
        return self._ttl_ms // 1000

    def issue(self, now_ms: int) -> str:
        token = "sim-bearer-" + secrets.token_urlsafe(32)
        with self._lock:
            self._expiry_ms[token] = now_ms + self._ttl_ms
        return token

    def is_valid(self, token: str, now_ms: int, call: tuple = ()) -> bool:
        """Whether `token` may make `call` (method, path and query) at `now_ms`."""
        with self._lock:
            expiry = self._expiry_ms.get(token)
            if expiry and now_ms >= expiry:
                self.outlived += 1
                self.outlived_first_sends += (token, call) not in self._calls
            self._calls.add((token, call))
        return expiry is not None and now_ms < expiry

    def issued(self) -> list[str]:
        """Every token handed out so far, oldest first (read-only: for tests that look for leaks)."""
        with self._lock:
            return list(self._expiry_ms)

    def expire(self, token: str) -> None:
        with self._lock:
            if token in self._expiry_ms:
                self._expiry_ms[token] = 0


def auth_scheme(request: Request) -> str | None:
    """``"Bearer"``, ``"OAuth"`` or ``None``: how the request tried to authenticate."""
    header = request.headers.get("Authorization", "")
    scheme = header.strip().partition(" ")[0].lower()
    return {"bearer": "Bearer", "oauth": "OAuth"}.get(scheme)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Authenticator:
    """Checks API calls and answers token requests for the account's one set of credentials."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        tokens: TokenStore,
        oauth1: OAuth1Verifier,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self.tokens = tokens
        self._oauth1 = oauth1

    def issue_token(self, request: Request, now_ms: int) -> Response:
        """Sentinel's token endpoint: form-encoded client credentials in, bearer token out."""
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            error = {"error": "unsupported_grant_type", "error_description": "use client_credentials"}
            return json_response(400, error)
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not (
            secrets.compare_digest(client_id, self._client_id)
            and secrets.compare_digest(client_secret, self._client_secret)
        ):
            return json_response(401, {"error": "invalid_client"})
        token = self.tokens.issue(now_ms)
        return json_response(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": self.tokens.ttl_seconds}
        )

    def rejection(self, request: Request, now_ms: int) -> Response | None:
        """``None`` when the call is authenticated, else the 401 LivePerson would send."""
        scheme = auth_scheme(request)
        if scheme == "Bearer":
            token = bearer_token(request)
            call = (request.method, request.path, tuple(request.query))
            if token is not None and self.tokens.is_valid(token, now_ms, call):
                return None
            return unauthorized("token_rejected")
        if scheme == "OAuth":
            uri = base_string_uri("https", request.host, request.path)
            header = request.headers.get("Authorization", "")
            problem = self._oauth1.verify(request.method, uri, request.query, header)
            return None if problem is None else unauthorized(problem)
        return unauthorized("parameter_absent")
