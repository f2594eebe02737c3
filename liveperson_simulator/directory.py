"""The account's configuration: agents (users), agent groups and status reasons.

Imitates LivePerson's Account Configuration read-only APIs (``accountConfigReadOnly``): users,
agent groups and status reasons come back as full JSON arrays, deleted items only with
``include_deleted=true``. Every id a status change mentions resolves here, including the deleted
agent, group and reason that old history still uses.
"""

import random
import uuid
from dataclasses import dataclass

from . import roster
from .config import SimulatorConfig
from .roster import Shift
from .times import DAY_MS, format_ms

MAIN_GROUP_ID = -1  # LivePerson's root agent group ("Main Group")
AGENT_ID_BASE = 2_800_000_000  # LivePerson user ids are longs beyond 2^31
GROUP_ID_BASE = 1_700_000_000
ADMIN_USER_ID = 2_799_999_901

_FIRST_NAMES = tuple(
    "Ava Ben Chloe Dev Elena Farid Grace Hiro Ines Jonas Kemal Lea Mateo Nora Omar Priya Quinn Rosa "
    "Sven Tara Umar Vera Wei Yara".split()
)
_LAST_NAMES = tuple(
    "Adler Brandt Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Larsen Moreau Nakamura "
    "Okafor Petrov Rossi Silva Tanaka".split()
)
_GROUP_NAMES = ("Sales", "Support", "Billing", "Retention", "VIP Care", "Escalations", "Onboarding", "Tier 2")


@dataclass(frozen=True)
class StatusReason:
    id: int
    text: str
    state: str  # "Away" | "Online" | "Occupied"
    enabled: bool = True
    deleted: bool = False

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "state": self.state,
            "enabled": self.enabled,
            "deleted": self.deleted,
        }


_REASONS = (
    StatusReason(31_000_001, "Lunch", "Away"),
    StatusReason(31_000_002, "Coffee break", "Away"),
    StatusReason(31_000_003, "Team meeting", "Away"),
    StatusReason(31_000_004, "Training", "Away"),
    StatusReason(31_000_005, "Back office", "Occupied"),
    StatusReason(31_000_006, "Coaching session", "Occupied"),
    StatusReason(31_000_007, "Callbacks only", "Online"),
    StatusReason(31_000_008, "Huddle", "Away", enabled=False),
)
# Old history (before the account's reason clean-up) still uses this one.
RETIRED_REASON = StatusReason(31_000_000, "Personal time", "Away", enabled=False, deleted=True)


@dataclass(frozen=True)
class AgentGroup:
    id: int
    name: str
    parent_id: int | None
    deleted: bool = False

    def as_json(self, date_updated: str) -> dict:
        group = {"id": self.id, "deleted": self.deleted, "name": self.name}
        if self.parent_id is not None:  # the root group comes back without parent and description
            group["parentGroupId"] = self.parent_id
        group["isEnabled"] = not self.deleted
        if self.id != MAIN_GROUP_ID:
            group["description"] = f"{self.name} agents"
        group["dateUpdated"] = date_updated
        return group


@dataclass(frozen=True)
class Agent:
    """One LivePerson user who logs in as an agent; the fields of a status-change record come from here."""

    index: int
    agent_id: int
    employee_id: str
    login_name: str
    user_name: str
    nickname: str
    group_id: int
    former_group_id: int | None  # group before ``regroup_day`` (a group deleted since)
    shift: Shift
    attendance: float
    last_day: int | None  # deleted agents have no records after this UTC day

    def group_on(self, day: int, regroup_day: int) -> int:
        if self.former_group_id is not None and day < regroup_day:
            return self.former_group_id
        return self.group_id

    @property
    def deleted(self) -> bool:
        return self.last_day is not None


class AccountDirectory:
    """Agents, groups and reasons of the simulated account, derived from the config's seed."""

    def __init__(self, config: SimulatorConfig, first_day: int) -> None:
        self.first_day = first_day
        history = max(config.history_days, 1)
        self.regroup_day = first_day + history // 2  # the retired group and reason stop being used here
        self._deleted_after_day = first_day + int(history * roster.DELETED_AGENT_HISTORY_SHARE)
        rng = random.Random(f"directory:{config.seed}")
        self.groups = self._make_groups(config.groups)
        live_group_ids = [g.id for g in self.groups if g.id != MAIN_GROUP_ID and not g.deleted]
        self.retired_group = next((group for group in self.groups if group.deleted), None)
        self.agents = [self._make_agent(index, rng, live_group_ids) for index in range(config.agents)]
        self.agent_index_by_id = {agent.agent_id: agent.index for agent in self.agents}
        self.reasons = (*_REASONS, RETIRED_REASON)
        self._pids = {agent.agent_id: _uuid(rng) for agent in self.agents}
        self._admin_pid = _uuid(rng)
        # Account Configuration dates look like "2026-05-27 10:25:12"; the set-up predates the history.
        set_up_ms = (first_day - 30) * DAY_MS + 37_512_000
        self._date_updated = format_ms(set_up_ms)[:19].replace("T", " ")

    @staticmethod
    def _make_groups(count: int) -> list[AgentGroup]:
        groups = [AgentGroup(MAIN_GROUP_ID, "Main Group", None)]
        for n in range(count):
            name = _GROUP_NAMES[n % len(_GROUP_NAMES)] + ("" if n < len(_GROUP_NAMES) else f" {n}")
            parent = MAIN_GROUP_ID if n < 2 else GROUP_ID_BASE + 1_001  # nest some groups under the first
            groups.append(AgentGroup(GROUP_ID_BASE + 1_001 * (n + 1), name, parent))
        if count:
            groups.append(AgentGroup(GROUP_ID_BASE, "Legacy Team", MAIN_GROUP_ID, deleted=True))
        return groups

    def _make_agent(self, index: int, rng: random.Random, live_group_ids: list[int]) -> Agent:
        first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(index * 7 + rng.randrange(3)) % len(_LAST_NAMES)]
        if roster.in_main_group(index) or not live_group_ids:
            group_id, former = MAIN_GROUP_ID, None
        else:
            group_id = live_group_ids[index % len(live_group_ids)]
            former = self.retired_group.id if roster.moved_from_retired_group(index) else None
        return Agent(
            index=index,
            agent_id=AGENT_ID_BASE + 1_009 * index + 17,
            employee_id=roster.employee_id_of(index),
            login_name=f"{first}.{last}.{index}".lower(),
            user_name=f"{first} {last}",
            nickname=first,
            group_id=group_id,
            former_group_id=former,
            shift=roster.shift_of(index),
            attendance=roster.attendance_of(index),
            last_day=self._deleted_after_day if roster.is_deleted(index) else None,
        )

    def away_reasons(self, day: int) -> tuple[StatusReason, ...]:
        usable = tuple(r for r in _REASONS if r.state == "Away" and r.enabled)
        return (RETIRED_REASON, *usable) if day < self.regroup_day else usable

    def occupied_reasons(self) -> tuple[StatusReason, ...]:
        return tuple(r for r in _REASONS if r.state == "Occupied" and r.enabled)

    def users_json(self, include_deleted: bool) -> list[dict]:
        users = [self._user_json(agent) for agent in self.agents if include_deleted or not agent.deleted]
        users.append(self._admin_json())
        return users

    def groups_json(self, include_deleted: bool) -> list[dict]:
        return [g.as_json(self._date_updated) for g in self.groups if include_deleted or not g.deleted]

    def reasons_json(self, include_deleted: bool) -> list[dict]:
        return [reason.as_json() for reason in self.reasons if include_deleted or not reason.deleted]

    def _user_json(self, agent: Agent) -> dict:
        # LivePerson's Users API returns ids as strings and leaves employeeId / fullName empty.
        return {
            "id": str(agent.agent_id),
            "pid": self._pids[agent.agent_id],
            "deleted": agent.deleted,
            "loginName": agent.login_name,
            "fullName": "",
            "nickname": agent.nickname,
            "email": f"{agent.login_name}@example.com",
            "isEnabled": not agent.deleted,
            "memberOf": {"agentGroupId": str(agent.group_id), "assignmentDate": self._date_updated},
            "managerOf": [],
            "skillIds": [4_100 + agent.index % 3],
            "profileIds": [2],
            "userTypeId": 1,
            "dateUpdated": self._date_updated,
            "employeeId": "",
        }

    def _admin_json(self) -> dict:
        """An administrator with no agent activity: users are more than the agents in the data."""
        return {
            "id": str(ADMIN_USER_ID),
            "pid": self._admin_pid,
            "deleted": False,
            "loginName": "contact.center.admin",
            "fullName": "",
            "nickname": "Admin",
            "email": "contact.center.admin@example.com",
            "isEnabled": True,
            "managerOf": [{"agentGroupId": str(MAIN_GROUP_ID), "assignmentDate": self._date_updated}],
            "skillIds": [],
            "profileIds": [1, 3],
            "userTypeId": 1,
            "dateUpdated": self._date_updated,
            "employeeId": "",
        }


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
