"""LivePerson authentication: OAuth 2.0 client-credential tokens and legacy OAuth 1.0a signatures.

OAuth 2.0: https://developers.liveperson.com/authorization-methods-oauth-2-0-client-credentials.html
OAuth 1.0a: RFC 5849, HMAC-SHA1; LivePerson declared it end-of-life on 2026-05-31.
"""

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets

from source_agent_activity.errors import config_error, system_error, transient_error

logger = logging.getLogger("airbyte")

DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
# Ask for a new token this long before the announced expiry (at most a tenth of the lifetime), so that a request
# never reaches LivePerson with a token that expires on the way.
REFRESH_MARGIN_SECONDS = 60
TOKEN_ATTEMPTS = 4
TOKEN_RETRY_PAUSE_SECONDS = 1.0
TIMEOUTS = (10, 30)


@dataclass
class _Token:
    value: str
    refresh_at: float


class TokenCache:
    """One OAuth 2.0 token per (sentinel host, account, client id, secret), shared by every stream and worker thread.

    The secret is part of the key (in memory only) so that a source built with other credentials in the same process
    never reuses a token it would not get itself.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._tokens: dict[tuple[str, str, str, str], _Token] = {}
        self._lock = threading.Lock()
        self.session = requests.Session()

    def get(self, sentinel_host: str, account_id: str, client_id: str, client_secret: str) -> str:
        key = (sentinel_host, account_id, client_id, client_secret)
        with self._lock:
            token = self._tokens.get(key)
            if token is None or self._clock() >= token.refresh_at:
                token = self._fetch(sentinel_host, account_id, client_id, client_secret)
                self._tokens[key] = token
            return token.value

    def discard(self, sentinel_host: str, account_id: str, client_id: str, client_secret: str, rejected: str) -> None:
        """Forget a token the API rejected (unless another thread already replaced it)."""
        key = (sentinel_host, account_id, client_id, client_secret)
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.value == rejected:
                del self._tokens[key]

    def _fetch(self, sentinel_host: str, account_id: str, client_id: str, client_secret: str) -> _Token:
        url = f"https://{sentinel_host}/sentinel/api/v2/account/{account_id}/app/token"
        form = {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"}
        failure = ""
        for attempt in range(1, TOKEN_ATTEMPTS + 1):
            try:
                response = self.session.post(url, data=form, timeout=TIMEOUTS)
            except requests.RequestException as error:
                failure = type(error).__name__
            else:
                if response.status_code in (400, 401, 403, 404):
                    raise config_error(
                        f"LivePerson's login service ({sentinel_host}) rejected the OAuth 2.0 client credentials for "
                        f"account {account_id} (HTTP {response.status_code}): check credentials.client_id and "
                        "credentials.client_secret, and that the app is installed on this account."
                    )
                if response.ok:
                    return self._token_from(response, sentinel_host)
                failure = f"HTTP {response.status_code}"
            if attempt < TOKEN_ATTEMPTS:
                self._sleep(TOKEN_RETRY_PAUSE_SECONDS * 2 ** (attempt - 1))
        message = (
            f"Could not get an OAuth 2.0 token from LivePerson's login service ({sentinel_host}) for account "
            f"{account_id} ({failure}, {TOKEN_ATTEMPTS} attempts). This is usually temporary: retry the sync later."
        )
        raise transient_error(message)

    def _token_from(self, response: requests.Response, sentinel_host: str) -> _Token:
        try:
            body = response.json()
            value = body["access_token"]
            lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME_SECONDS)
        except (ValueError, KeyError, TypeError, AttributeError):
            message = f"LivePerson's login service ({sentinel_host}) answered without an access token."
            raise system_error(message) from None
        margin = min(REFRESH_MARGIN_SECONDS, lifetime / 10)
        # Tokens are not config values, so the CDK would not mask them in logs (debug logs show request headers).
        add_to_secrets(str(value))
        return _Token(value=str(value), refresh_at=self._clock() + lifetime - margin)


def _encode(value: str) -> str:
    """RFC 3986 percent-encoding, as RFC 5849 section 3.6 requires (only unreserved characters stay)."""
    return quote(value, safe="~-._")


def oauth1_authorization(
    method: str,
    url: str,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    nonce: Optional[str] = None,
    timestamp: Optional[str] = None,
) -> str:
    """The `Authorization: OAuth ...` header value for one request (RFC 5849, HMAC-SHA1, query parameters only)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default_port = {"https": 443, "http": 80}.get(scheme)
    authority = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    oauth_params = {
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": timestamp or str(int(time.time())),
        "oauth_token": token,
        "oauth_version": "1.0",
    }
    pairs = parse_qsl(parts.query, keep_blank_values=True) + list(oauth_params.items())
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in pairs))
    base_string = "&".join([method.upper(), _encode(f"{scheme}://{authority}{parts.path or '/'}"), _encode(normalized)])
    key = f"{_encode(consumer_secret)}&{_encode(token_secret)}".encode()
    signature = base64.b64encode(hmac.new(key, base_string.encode(), hashlib.sha1).digest()).decode()
    header_params = {**oauth_params, "oauth_signature": signature}
    return "OAuth " + ", ".join(f'{_encode(k)}="{_encode(v)}"' for k, v in header_params.items())


def oauth1_credentials(credentials: Mapping[str, str]) -> tuple[str, str, str, str]:
    return (
        credentials["app_key"],
        credentials["app_secret"],
        credentials["access_token"],
        credentials["access_token_secret"],
    )


def warn_oauth1_retired_once(warned: threading.Event) -> None:
    """Say once per run (`warned`) that OAuth 1.0a is retired."""
    if not warned.is_set():
        warned.set()
        logger.warning(
            "This connection signs requests with OAuth 1.0a app keys. LivePerson retired OAuth 1.0 on 2026-05-31: "
            "switch credentials to OAuth 2.0 client credentials before LivePerson stops accepting these keys."
        )
