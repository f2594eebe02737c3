"""RFC 3339 instants the way LivePerson writes and reads them.

Status-change records carry times such as ``2026-11-25T08:15:30.123Z`` (milliseconds, ``Z``); the
query parameters ``from``/``to`` are RFC 3339 date-times with any offset. Everything inside the
simulator is an integer count of UTC milliseconds since the epoch.
"""

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})"  # date "T" time
    r"(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"  # optional fraction, then Z or offset
)


def parse_rfc3339(text: str) -> int:
    """Return the UTC milliseconds of an RFC 3339 date-time; ``ValueError`` if it is not one."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    fraction, zone = match.group(7), match.group(8)
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    offset_minutes = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset_minutes = sign * (int(zone[1:3]) * 60 + int(zone[4:6]))
    return (moment - _EPOCH) // timedelta(milliseconds=1) + millis - offset_minutes * 60_000


@lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def format_ms(ms: int) -> str:
    """``2026-11-25T08:15:30.123Z``: the record ``time`` format (fast: this runs once per record)."""
    day, rest = divmod(ms, DAY_MS)
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_day_prefix(day)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def format_timeframe(ms: int) -> str:
    """The ``timeframe`` format of the docs' example (``2022-02-24T00:00:00Z``), ms only when non-zero."""
    text = format_ms(ms)
    return text[:-5] + "Z" if text.endswith(".000Z") else text


def to_ms(value: "datetime | str | int") -> int:
    """Accept a timezone-aware datetime (naive means UTC), an RFC 3339 string or epoch milliseconds."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an instant")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return parse_rfc3339(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return (aware - _EPOCH) // timedelta(milliseconds=1)
    raise TypeError(f"expected datetime, RFC 3339 string or epoch ms, got {type(value).__name__}")


def to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def months_before(ms: int, months: int) -> int:
    """The same UTC wall time ``months`` calendar months earlier (day clamped to the month's length)."""
    moment = to_datetime(ms)
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return to_ms(moment.replace(year=year, month=month + 1, day=day))
