"""Who the simulated agents are: the fixed rules that turn an agent index into a kind of agent.

Kept apart from the generator so that ``SimulatorConfig.for_volume`` can size an account with the
same rules the generator follows.
"""

from enum import Enum

# Every rule below repeats with the agent index; averaging over one cycle gives the account mean.
ROSTER_CYCLE = 20


class Shift(Enum):
    """When an agent works; night and midnight shifts put records at exactly 00:00:00.000Z."""

    DAY = "day"  # logs in between 06:00 and 12:00 UTC
    NIGHT = "night"  # logs in 20:00-22:00, works across midnight, changes status exactly at midnight
    MIDNIGHT = "midnight"  # logs in exactly at 00:00:00.000


_SHIFTS = (Shift.DAY, Shift.NIGHT, Shift.DAY, Shift.MIDNIGHT, Shift.DAY)
_ATTENDANCE = (0.7, 0.8, 0.9, 1.0)


def shift_of(index: int) -> Shift:
    return _SHIFTS[index % len(_SHIFTS)]


def attendance_of(index: int) -> float:
    """Share of days the agent works; midnight-shift agents work every day."""
    return 1.0 if shift_of(index) is Shift.MIDNIGHT else _ATTENDANCE[index % len(_ATTENDANCE)]


# Deleted agents have history for this share of the account's history, then stop.
DELETED_AGENT_HISTORY_SHARE = 2 / 3


def is_deleted(index: int) -> bool:
    """A tenth of the agents have left: their user is deleted and their history stops."""
    return index % 10 == 5


def employee_id_of(index: int) -> str:
    """LivePerson returns an empty employeeId when none was set; a sixth of the agents have none."""
    return "" if index % 6 == 4 else f"E{100_000 + index * 37}"


def in_main_group(index: int) -> bool:
    """Agents never assigned to a group belong to LivePerson's root group, id -1."""
    return index % 7 == 6


def moved_from_retired_group(index: int) -> bool:
    """These agents sat in a group that was deleted half way through the history."""
    return index % 3 == 2 and not in_main_group(index)


def expected_records_per_agent_day(sessions_per_day: int, changes_per_session: int) -> float:
    """Average records per agent and day of history (login + default state + changes + logout)."""
    total = 0.0
    for index in range(ROSTER_CYCLE):
        per_session = changes_per_session + 3
        if shift_of(index) is Shift.NIGHT and sessions_per_day == 1:
            per_session += 1  # the extra change placed exactly at midnight
        share = DELETED_AGENT_HISTORY_SHARE if is_deleted(index) else 1.0
        total += share * attendance_of(index) * sessions_per_day * per_session
    return total / ROSTER_CYCLE
