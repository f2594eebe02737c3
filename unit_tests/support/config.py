"""The connector's configuration as tests build it: a valid setup, changed only where a test says so.

`ConfigBuilder().with_page_size(2).build()`; the fake secrets are long and unique so that any output can be searched
for them without false matches.
"""

import copy
from typing import Any, Sequence

from airbyte_cdk.models import ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.state_builder import StateBuilder

STREAM = "status_changes"
ACCOUNT_ID = "12345678"

AGENT_ACTIVITY_HOST = "va.agent-activity.liveperson.net"
SENTINEL_HOST = "va.sentinel.liveperson.net"
ACCOUNT_CONFIG_HOST = "va.ac-provision.liveperson.net"
DOMAIN_API_HOST = "api.liveperson.net"

# Long, unique values: a test can search any output for them without false matches.
CLIENT_ID = "unit-client-id-5b7e1c93a2d84f06b1e9"
CLIENT_SECRET = "unit-client-secret-8d2f0c6a4e1b4b7f9c3d2a51"
APP_KEY = "unit-app-key-c41d7be2f05a4e2e8a77"
APP_SECRET = "unit-app-secret-9e6b2f1d3c8a4f70b5e1"
ACCESS_TOKEN = "unit-access-token-7a1f4c9e2b6d4e08a3c5"
ACCESS_TOKEN_SECRET = "unit-access-token-secret-2d8e5a0b7f1c4b93"
SECRETS = (CLIENT_ID, CLIENT_SECRET, APP_KEY, APP_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)

# The LivePerson permission every authorization failure must name.
PERMISSION = "Data → Workforce Management → Agent Status Changes"


class ConfigBuilder:
    """A valid OAuth 2.0 config with every host overridden, so that no Domain API call is made unless asked for.

    The default sync reads one window: 2026-06-01T00:00:00Z to 2026-06-05T00:00:00Z.
    """

    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "account_id": ACCOUNT_ID,
            "credentials": {
                "auth_type": "oauth2_client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            "start_date": "2026-06-01T00:00:00Z",
            "end_date": "2026-06-05T00:00:00Z",
            "domain": AGENT_ACTIVITY_HOST,
            "sentinel_domain": SENTINEL_HOST,
            "account_config_domain": ACCOUNT_CONFIG_HOST,
        }

    def with_account_id(self, account_id: Any) -> "ConfigBuilder":
        return self.with_field("account_id", account_id)

    def with_start_date(self, start_date: Any) -> "ConfigBuilder":
        return self.with_field("start_date", start_date)

    def with_end_date(self, end_date: Any) -> "ConfigBuilder":
        return self.with_field("end_date", end_date)

    def without_end_date(self) -> "ConfigBuilder":
        return self.without_field("end_date")

    def without_start_date(self) -> "ConfigBuilder":
        return self.without_field("start_date")

    def with_oauth1(self) -> "ConfigBuilder":
        return self.with_credentials(
            {
                "auth_type": "oauth1_app_key",
                "app_key": APP_KEY,
                "app_secret": APP_SECRET,
                "access_token": ACCESS_TOKEN,
                "access_token_secret": ACCESS_TOKEN_SECRET,
            }
        )

    def with_credentials(self, credentials: Any) -> "ConfigBuilder":
        return self.with_field("credentials", credentials)

    def with_credential(self, name: str, value: Any) -> "ConfigBuilder":
        self._config["credentials"] = {**self._config["credentials"], name: value}
        return self

    def with_page_size(self, page_size: Any) -> "ConfigBuilder":
        return self.with_field("page_size", page_size)

    def with_window_size_days(self, days: Any) -> "ConfigBuilder":
        return self.with_field("window_size_days", days)

    def with_lookback_minutes(self, minutes: Any) -> "ConfigBuilder":
        return self.with_field("lookback_minutes", minutes)

    def with_history_days(self, days: Any) -> "ConfigBuilder":
        return self.with_field("history_days", days)

    def with_agent_id(self, agent_id: Any) -> "ConfigBuilder":
        return self.with_field("agent_id", agent_id)

    def with_employee_id(self, employee_id: Any) -> "ConfigBuilder":
        return self.with_field("employee_id", employee_id)

    def with_agent_group_id(self, agent_group_id: Any) -> "ConfigBuilder":
        return self.with_field("agent_group_id", agent_group_id)

    def with_source(self, source: Any) -> "ConfigBuilder":
        return self.with_field("source", source)

    def with_num_workers(self, num_workers: Any) -> "ConfigBuilder":
        return self.with_field("num_workers", num_workers)

    def with_domain(self, host: Any) -> "ConfigBuilder":
        return self.with_field("domain", host)

    def with_sentinel_domain(self, host: Any) -> "ConfigBuilder":
        return self.with_field("sentinel_domain", host)

    def with_domain_api_host(self, host: Any) -> "ConfigBuilder":
        return self.with_field("domain_api_host", host)

    def with_discovery(self) -> "ConfigBuilder":
        """No host overrides: every host comes from the Domain API."""
        for field in ("domain", "sentinel_domain", "account_config_domain"):
            self._config.pop(field, None)
        return self

    def with_field(self, name: str, value: Any) -> "ConfigBuilder":
        self._config[name] = value
        return self

    def without_field(self, name: str) -> "ConfigBuilder":
        self._config.pop(name, None)
        return self

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self._config)


def catalog(
    sync_mode: SyncMode = SyncMode.full_refresh, streams: Sequence[str] = (STREAM,)
) -> ConfiguredAirbyteCatalog:
    """The streams selected, all in `sync_mode` (status_changes alone unless said otherwise)."""
    builder = CatalogBuilder()
    for stream in streams:
        builder = builder.with_stream(stream, sync_mode)
    return builder.build()


def state(cursor: str) -> list:
    return StateBuilder().with_stream_state(STREAM, {"time": cursor}).build()
