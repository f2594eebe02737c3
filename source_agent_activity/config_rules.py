"""Every rule a user's configuration must follow, each with a message that names the field and the fix.

The spec's JSON schema says what it can of this to the Airbyte UI (types, ranges, choices). These rules say all of
it, cross-field rules included, and the source runs them when `check` or `read` starts, before any request: building
the source never fails and never waits on them.
"""

import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Mapping, Optional

import yaml
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.errors import config_error


def _manifest_defaults() -> dict[str, Any]:
    """The defaults of every setting, as the manifest writes them once (definitions.defaults)."""
    manifest = yaml.safe_load(resources.files("source_agent_activity").joinpath("manifest.yaml").read_text())
    return dict(manifest["definitions"]["defaults"])


DEFAULTS = _manifest_defaults()
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9]+$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"^(?P<name>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>\d{{1,5}}))?$")
HOST_FIELDS = ("domain", "sentinel_domain", "domain_api_host", "account_config_domain")
FILTER_FIELDS = {"agent_id": "agentId", "employee_id": "empId", "agent_group_id": "groupId"}
AUTH_FIELDS = {
    "oauth2_client_credentials": ("client_id", "client_secret"),
    "oauth1_app_key": ("app_key", "app_secret", "access_token", "access_token_secret"),
}
INTEGER_RANGES = {
    "lookback_minutes": (0, 1440),
    "window_size_days": (1, 28),
    "page_size": (1, 5000),
    "num_workers": (1, 10),
    # How far back LivePerson keeps status changes for the account: 6 months on one page of its documentation,
    # 13 months (395 days) on the newer one for the same method; which applies is up to the account.
    # https://developers.liveperson.com/agent-activity-api-methods-get-status-changes.html
    "history_days": (1, 395),
}


def _in_range(field: str, value: Any) -> bool:
    """True when `value` is a whole number (not a bool) within the range INTEGER_RANGES gives `field`."""
    low, high = INTEGER_RANGES[field]
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def is_plain_host(value: Any) -> bool:
    """True for `host` or `host:port`: no scheme, no path, no user info, a port in 1..65535."""
    if not isinstance(value, str):
        return False
    match = HOST.match(value)
    if not match or len(match.group("name")) > 253:
        return False
    port = match.group("port")
    return port is None or 1 <= int(port) <= 65535


def parse_datetime(field: str, value: Any) -> datetime:
    """Parse an RFC 3339 date-time (a bare date is taken as midnight UTC); naive values are UTC."""
    if not isinstance(value, str) or not value.strip():
        raise config_error(f"{field} must be a date-time like 2026-05-01T00:00:00Z, got {value!r}.")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise config_error(
            f"{field} {value!r} is not a date-time: use RFC 3339, for example 2026-05-01T00:00:00Z."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def validate_config(config: Mapping[str, Any], now: datetime) -> None:
    """Raise a config error naming the first field that breaks a rule, and how to fix it."""
    _validate_account(config.get("account_id"))
    validate_credentials(config.get("credentials"))
    for field, (low, high) in INTEGER_RANGES.items():
        value = config.get(field)
        if value is not None and not _in_range(field, value):
            raise config_error(f"{field} must be a whole number from {low} to {high}, got {value!r}.")
    _validate_filters(config)
    source = config.get("source")
    if source is not None and (not isinstance(source, str) or not 1 <= len(source) <= 20):
        raise config_error(f"source must be 1 to 20 characters naming this integration, got {source!r}.")
    for field in HOST_FIELDS:
        value = config.get(field)
        if value not in (None, "") and not is_plain_host(value):
            raise config_error(
                f"{field} {value!r} is not a host name: give a bare host or host:port such as "
                "va.agent-activity.liveperson.net, without https:// or a path."
            )
    api_version = config.get("api_version")
    if api_version is not None and str(api_version) not in ("1", "2"):
        raise config_error(f'api_version must be "2" (recommended) or "1", got {api_version!r}.')
    _validate_dates(config, now)


def _validate_account(account_id: Any) -> None:
    if not isinstance(account_id, str) or not account_id:
        raise config_error("account_id is missing: enter your LivePerson account number, for example 12345678.")
    if not ACCOUNT_ID.match(account_id):
        raise config_error(
            f"account_id {account_id!r} is not a LivePerson account id: use only its letters and digits, "
            "for example 12345678."
        )


def validate_credentials(credentials: Any) -> None:
    """The one rule `discover` needs too: the streams' authenticators cannot be built without an auth type."""
    if not isinstance(credentials, Mapping):
        raise config_error(
            "credentials are missing: choose OAuth 2.0 client credentials (recommended) and enter the client id "
            "and secret."
        )
    auth_type = credentials.get("auth_type")
    if auth_type not in AUTH_FIELDS:
        raise config_error(
            f"credentials.auth_type {auth_type!r} is not supported: use 'oauth2_client_credentials' "
            "(recommended) or 'oauth1_app_key'."
        )
    for field in AUTH_FIELDS[auth_type]:
        value = credentials.get(field)
        if not isinstance(value, str) or not value.strip():
            raise config_error(f"credentials.{field} is missing or empty: copy it from your LivePerson API key or app.")


def _validate_filters(config: Mapping[str, Any]) -> None:
    given = [field for field in FILTER_FIELDS if config.get(field) not in (None, "")]
    if len(given) > 1:
        raise config_error(
            f"{' and '.join(given)} are both set, but LivePerson accepts at most one filter: keep one of them."
        )
    for field in ("agent_id", "agent_group_id"):
        value = config.get(field)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise config_error(f"{field} must be a whole number (a LivePerson id), got {value!r}.")
    employee_id = config.get("employee_id")
    if employee_id is not None and not isinstance(employee_id, str):
        raise config_error(f"employee_id must be text, got {employee_id!r}.")


def _validate_dates(config: Mapping[str, Any], now: datetime) -> None:
    start = parse_datetime("start_date", config["start_date"]) if config.get("start_date") else None
    end = parse_datetime("end_date", config["end_date"]) if config.get("end_date") else None
    for field, value in (("start_date", start), ("end_date", end)):
        if value is not None and value > now:
            raise config_error(
                f"{field} {config[field]!r} is in the future: use a past date-time "
                "(leave end_date empty to read up to now)."
            )
    days = history_days(config)
    if end is not None and end < now - timedelta(days=days):
        raise config_error(
            f"end_date {config['end_date']!r} is older than the {days} days LivePerson keeps (history_days), so "
            "there is nothing to read: use a later end_date or leave it empty to read up to now, or raise "
            "history_days if LivePerson keeps more for this account."
        )
    if start is not None and end is not None and end <= start:
        raise config_error(f"end_date {config['end_date']!r} must be after start_date {config['start_date']!r}.")


def history_days(config: Mapping[str, Any]) -> int:
    """How many days back status_changes may read: history_days, its default while it is unset or invalid."""
    value = config.get("history_days")
    return value if _in_range("history_days", value) else DEFAULTS["history_days"]


def sync_range(config: Mapping[str, Any], now: datetime) -> dict[str, datetime]:
    """The instants the manifest's cursor reads status_changes between.

    `__earliest` is now - history_days, the oldest instant LivePerson keeps (it also floors an old saved state),
    `__start` the start date floored there, `__end` the end date or now. While the config breaks a rule the range is
    the whole history, only so that the source can be built: `check` and `read` refuse such a config before anything
    is read.
    """
    earliest = now - timedelta(days=history_days(config))
    try:
        validate_config(config, now)
    except AirbyteTracedException:
        return {"__start": earliest, "__earliest": earliest, "__end": now}
    start, _ = effective_start(config, now)
    end = parse_datetime("end_date", config["end_date"]) if config.get("end_date") else now
    return {"__start": start, "__earliest": earliest, "__end": end}


def effective_start(config: Mapping[str, Any], now: datetime) -> tuple[datetime, Optional[datetime]]:
    """The first instant to read, and the user's start_date when it had to be clamped (else None)."""
    earliest = now - timedelta(days=history_days(config))
    if not config.get("start_date"):
        return earliest, None
    start = parse_datetime("start_date", config["start_date"])
    return (earliest, start) if start < earliest else (start, None)
