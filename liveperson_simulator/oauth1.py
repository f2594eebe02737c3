"""OAuth 1.0a request signatures (RFC 5849), as LivePerson's legacy "app keys" use them.

LivePerson signs API calls with HMAC-SHA1 over the method, the URL and the query (RFC 5849
section 3.4); the four app-key values are consumer key/secret and access token/secret. This module
holds the signature algorithm (used both to verify and, for tests, to sign) and a verifier that also
rejects stale timestamps and reused nonces, as an OAuth 1.0a server must (section 3.3).
"""

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

MAX_CLOCK_SKEW_SECONDS = 300
_UNRESERVED = "-._~"  # RFC 3986 unreserved characters besides ALPHA / DIGIT


def percent_encode(value: str) -> str:
    """RFC 5849 section 3.6: UTF-8, then percent-encode everything but unreserved characters."""
    return quote(value, safe=_UNRESERVED)


def base_string_uri(scheme: str, host: str, path: str) -> str:
    """Section 3.4.1.2: lowercase scheme and host, default port dropped, no query or fragment."""
    scheme, host = scheme.lower(), host.lower()
    default_port = {"http": ":80", "https": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}://{host}{path or '/'}"


def normalized_parameters(params: Iterable[tuple[str, str]]) -> str:
    """Section 3.4.1.3.2: encode names and values, sort by name then value, join with ``=`` and ``&``."""
    pairs = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in pairs)


def signature_base_string(method: str, uri: str, params: Iterable[tuple[str, str]]) -> str:
    """Section 3.4.1: ``METHOD&enc(base string URI)&enc(normalized parameters)``.

    ``params`` are the query parameters, the form-body parameters and the ``oauth_*`` protocol
    parameters, without ``oauth_signature`` and ``realm``.
    """
    return "&".join((method.upper(), percent_encode(uri), percent_encode(normalized_parameters(params))))


def hmac_sha1_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    """Section 3.4.2: key ``enc(consumer secret)&enc(token secret)``, result base64."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def parse_authorization_header(header: str) -> dict[str, str]:
    """Section 3.5.1: ``OAuth name="value", ...`` with percent-encoded names and values."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise ValueError("not an OAuth authorization header")
    params = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        name, separator, value = item.partition("=")
        if not separator or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            raise ValueError(f"malformed OAuth parameter {item!r}")
        params[unquote(name.strip())] = unquote(value[1:-1])
    return params


def authorization_header(
    method: str,
    url: str,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    query: Iterable[tuple[str, str]] = (),
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """Sign a request the way a LivePerson app-key client does (for tests and benchmarks).

    ``query`` are the request's query parameters (the ones in ``url`` are not read).
    """
    parts = urlsplit(url)
    oauth = {
        "oauth_consumer_key": consumer_key,
        "oauth_token": token,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_version": "1.0",
    }
    uri = base_string_uri(parts.scheme, parts.netloc, parts.path)
    base = signature_base_string(method, uri, [*query, *oauth.items()])
    oauth["oauth_signature"] = hmac_sha1_signature(base, consumer_secret, token_secret)
    return "OAuth " + ", ".join(f'{percent_encode(k)}="{percent_encode(v)}"' for k, v in oauth.items())


class OAuth1Verifier:
    """Checks app-key signed requests for one set of app-key credentials.

    Returns LivePerson-style ``oauth_problem`` names on failure. Timestamps are compared with the
    wall clock, not the simulator clock: clients sign with their real time.
    """

    def __init__(self, consumer_key: str, consumer_secret: str, token: str, token_secret: str) -> None:
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._token = token
        self._token_secret = token_secret
        self._seen_nonces: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, method: str, uri: str, query: list[tuple[str, str]], header: str) -> str | None:
        """``None`` when the request is authentic, else the ``oauth_problem`` to report."""
        try:
            params = parse_authorization_header(header)
        except ValueError:
            return "parameter_absent"
        required = (
            "oauth_consumer_key",
            "oauth_token",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_nonce",
            "oauth_signature",
        )
        if any(name not in params for name in required):
            return "parameter_absent"
        if params["oauth_signature_method"] != "HMAC-SHA1":
            return "signature_method_rejected"
        if params.get("oauth_version", "1.0") != "1.0":
            return "version_rejected"
        if not hmac.compare_digest(params["oauth_consumer_key"], self._consumer_key):
            return "consumer_key_rejected"
        if not hmac.compare_digest(params["oauth_token"], self._token):
            return "token_rejected"
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError:
            return "timestamp_refused"
        if abs(time.time() - timestamp) > MAX_CLOCK_SKEW_SECONDS:
            return "timestamp_refused"
        signed = [(name, value) for name, value in params.items() if name not in ("oauth_signature", "realm")]
        expected = hmac_sha1_signature(
            signature_base_string(method, uri, [*query, *signed]), self._consumer_secret, self._token_secret
        )
        if not hmac.compare_digest(expected, params["oauth_signature"]):
            return "signature_invalid"
        if not self._remember_nonce(params["oauth_nonce"], timestamp):
            return "nonce_used"
        return None

    def _remember_nonce(self, nonce: str, timestamp: int) -> bool:
        """False when the nonce was already used within the accepted time window."""
        now = time.time()
        with self._lock:
            if nonce in self._seen_nonces:
                return False
            if len(self._seen_nonces) > 10_000:  # forget nonces whose timestamps can no longer pass
                horizon = now - 2 * MAX_CLOCK_SKEW_SECONDS
                self._seen_nonces = {n: t for n, t in self._seen_nonces.items() if t >= horizon}
            self._seen_nonces[nonce] = timestamp
            return True
