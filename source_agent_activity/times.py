"""LivePerson's time formats, in one place: reading them, writing them, comparing them.

LivePerson writes times as RFC 3339 with milliseconds and a Z (2026-11-25T08:15:30.123Z): records, window bounds
(`from`, `to`) and every state this connector saves use that one form, in which a later time sorts later as text.
Other RFC 3339 shapes (no fraction, an offset) are read as the instant they name.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def parse_time(value: str) -> datetime:
    """An RFC 3339 time as an aware datetime; a time without an offset is UTC. Raises ValueError otherwise."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    """LivePerson's own form (milliseconds, Z), which the manifest's `time_format` also reads and writes."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def to_ms(value: str) -> int:
    """An RFC 3339 time as milliseconds since the epoch."""
    return (parse_time(value) - EPOCH) // MILLISECOND


def format_ms(ms: int) -> str:
    """Milliseconds since the epoch in LivePerson's own form."""
    return format_time(EPOCH + ms * MILLISECOND)


def is_liveperson_form(value: str) -> bool:
    """Already in LivePerson's own form (checked by shape: 24 characters, T, a dot, Z), so comparable as text."""
    return len(value) == 24 and value[10] == "T" and value[19] == "." and value[23] == "Z"


def as_state_time(value: str) -> str:
    """A time in LivePerson's own form, in which later times sort later as text."""
    return value if is_liveperson_form(value) else format_ms(to_ms(value))


def is_cursor_time(value: Any) -> bool:
    """A date-time with a time zone, as LivePerson writes records' `time`: anything else would break the cursor."""
    if not isinstance(value, str) or len(value) < 20 or value[10] != "T":
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
