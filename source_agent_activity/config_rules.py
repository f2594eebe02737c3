"""Every rule a user's configuration must follow, each with a message that names the field and the fix.

The spec's JSON schema (in the manifest) says what it can of this to the Airbyte UI: types, ranges, lengths, choices,
required fields. These rules check that first, in their own words (spec_rules.py), then what the schema cannot say:
cross-field rules, host names, dates. The source runs them when `check`, `discover` (the schema only) or `read`
starts, before any request: building the source never fails and never waits on them.
"""

import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Mapping, Optional

import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.errors import config_error
from source_agent_activity.spec_rules import spec_problem


def _manifest() -> dict[str, Any]:
    """The manifest with its references resolved, as the source reads it."""
    text = resources.files("source_agent_activity").joinpath("manifest.yaml").read_text()
    return ManifestReferenceResolver().preprocess_manifest(yaml.safe_load(text))


_MANIFEST = _manifest()
# The defaults of every setting, as the manifest writes them once (definitions.defaults).
DEFAULTS = dict(_MANIFEST["definitions"]["defaults"])
# The spec's JSON schema: what the Airbyte UI enforces, and the first rule every config is checked against.
SPEC = _MANIFEST["spec"]["connection_specification"]
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"^(?P<name>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>\d{{1,5}}))?$")
HOST_FIELDS = ("domain", "sentinel_domain", "domain_api_host", "account_config_domain")
FILTER_FIELDS = {"agent_id": "agentId", "employee_id": "empId", "agent_group_id": "groupId"}
# The fields of each credentials type, from the spec's branches: {auth_type: (its other required fields)}.
AUTH_FIELDS = {
    branch["properties"]["auth_type"]["const"]: tuple(name for name in branch["required"] if name != "auth_type")
    for branch in SPEC["properties"]["credentials"]["oneOf"]
}


def check_against_spec(config: Mapping[str, Any], spec: Mapping[str, Any] = SPEC) -> None:
    """Raise a config error naming the first setting the spec's JSON schema refuses, and what it allows."""
    problem = spec_problem(config, spec)
    if problem is not None:
        raise config_error(problem)


def _in_range(field: str, value: Any) -> bool:
    """True when `value` is a whole number (not a bool) within the range the spec gives `field`."""
    node = SPEC["properties"][field]
    return isinstance(value, int) and not isinstance(value, bool) and node["minimum"] <= value <= node["maximum"]


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
    """Raise a config error naming the first field that breaks a rule, and how to fix it.

    First what the spec's JSON schema says (types, ranges, lengths, choices, required fields: spec_rules.py), then
    what it cannot say: blank credentials, at most one filter, plain host names, dates that parse and make a range.
    """
    check_against_spec(config)
    validate_credentials(config["credentials"])
    _validate_filters(config)
    for field in HOST_FIELDS:
        value = config.get(field)
        if value not in (None, "") and not is_plain_host(value):
            raise config_error(
                f"{field} {value!r} is not a host name: give a bare host or host:port such as "
                "va.agent-activity.liveperson.net, without https:// or a path."
            )
    _validate_dates(config, now)


def validate_credentials(credentials: Mapping[str, Any]) -> None:
    """Credentials the spec accepts may still be blank (the spec asks for text, not for a non-empty one)."""
    for field in AUTH_FIELDS[credentials["auth_type"]]:
        if not credentials[field].strip():
            raise config_error(f"credentials.{field} is missing or empty: copy it from your LivePerson API key or app.")


def _validate_filters(config: Mapping[str, Any]) -> None:
    given = [field for field in FILTER_FIELDS if config.get(field) not in (None, "")]
    if len(given) > 1:
        raise config_error(
            f"{' and '.join(given)} are both set, but LivePerson accepts at most one filter: keep one of them."
        )


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
