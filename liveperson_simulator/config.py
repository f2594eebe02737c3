"""Settings of one simulated LivePerson account."""

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime

from .roster import expected_records_per_agent_day

ALL_PERMISSIONS = frozenset({"status_changes", "users", "agent_groups", "status_reasons"})
SERVICES = ("agentActivityDomain", "sentinel", "accountConfigReadOnly")


@dataclass
class SimulatorConfig:
    """What the simulated account holds and how its API behaves.

    The data set is a pure function of these values (and of the simulator's clock): the same config
    gives the same records, so tests can compare a sync against ``Simulator.ground_truth``.
    """

    seed: int = 1
    account_id: str = "12345678"
    agents: int = 20
    groups: int = 4
    history_days: int = 200
    # How far back the API lets `from` go: None is 6 calendar months (one page of LivePerson's documentation), a
    # number of days otherwise (the newer page says 13 months, 395 days). The data itself goes back history_days.
    retention_days: int | None = None
    # The Retry-After of the "429" fault.
    retry_after_seconds: int = 1
    # How long the "slow" fault holds an answer back: LivePerson can take tens of seconds over a 5000-record page.
    slow_answer_seconds: float = 60.0
    sessions_per_day: int = 1
    changes_per_session: int = 8
    late_share: float = 0.0
    late_delay_seconds: float = 30.0
    token_ttl_seconds: int = 3600
    permissions: frozenset[str] = ALL_PERMISSIONS
    latency_ms: int = 0
    next_link_host: str | None = None
    domain_overrides: dict[str, str] = field(default_factory=dict)
    start_at: datetime | None = None
    window_cache_records: int = 600_000
    client_id: str = "sim-client-id-3b7e2d91c4a8f5e06d1b"
    client_secret: str = "sim-client-secret-6f1c9a2e8b4d7053a1e9c6b2f8d4a7e1"
    app_key: str = "sim-app-key-9d2f6b1e4c8a7305b2e1f7c3"
    app_secret: str = "sim-app-secret-2a7c5e9f1b3d8e6c4a0f7b2d5e9c1a38"
    access_token: str = "sim-access-token-5e8b2c7f1a9d4e6b3c0a8f5d2e7b1c94"
    access_token_secret: str = "sim-access-token-secret-8c1f4a7e2b9d6c3f0e5a8b1d4c7e2f69"

    def __post_init__(self) -> None:
        self.permissions = frozenset(self.permissions)
        unknown = self.permissions - ALL_PERMISSIONS
        if unknown:
            raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}")
        if self.agents < 1 or self.groups < 0 or self.history_days < 0:
            raise ValueError("agents must be >= 1, groups and history_days >= 0")
        if not 1 <= self.sessions_per_day <= 6:
            raise ValueError("sessions_per_day must be between 1 and 6")
        if self.changes_per_session < 0:
            raise ValueError("changes_per_session must be >= 0")
        if self.retention_days is not None and self.retention_days < 1:
            raise ValueError("retention_days must be >= 1 (or None for 6 calendar months)")
        if not 0.0 <= self.late_share <= 1.0:
            raise ValueError("late_share must be between 0 and 1")

    @classmethod
    def for_volume(cls, total_records: int, days: int = 180, **overrides) -> "SimulatorConfig":
        """A config whose last ``days`` days hold about ``total_records`` status changes."""
        base = cls(history_days=days, changes_per_session=overrides.pop("changes_per_session", 12))
        base = dataclasses.replace(base, **overrides)
        per_day = expected_records_per_agent_day(base.sessions_per_day, base.changes_per_session)
        per_agent = days * per_day
        return dataclasses.replace(base, agents=max(1, math.ceil(total_records / per_agent)))
