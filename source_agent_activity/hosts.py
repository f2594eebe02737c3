"""Finding the account's LivePerson hosts through the Domain API.

Each LivePerson account lives in one region; its services have their own hosts, which the Domain API names:
https://developers.liveperson.com/api-guidelines-domain-api.html. The answer is a bare host (the docs write
http://, we always use https://). A user may override each host; discovery then skips that service.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import requests
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.config_rules import is_plain_host
from source_agent_activity.errors import config_error, transient_error

logger = logging.getLogger("airbyte")

DEFAULT_DOMAIN_API_HOST = "api.liveperson.net"
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 30
ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class Service:
    """A LivePerson service the connector talks to, the config field overriding it, and where its host goes."""

    name: str
    override_field: str
    config_key: str
    purpose: str


AGENT_ACTIVITY = Service("agentActivityDomain", "domain", "__agent_activity_host", "the Agent Activity API")
SENTINEL = Service("sentinel", "sentinel_domain", "__sentinel_host", "OAuth 2.0 login (Sentinel)")
ACCOUNT_CONFIG = Service(
    "accountConfigReadOnly", "account_config_domain", "__account_config_host", "the account configuration APIs"
)
# The streams served by accountConfigReadOnly. Its host is looked up only when one of them is being read, so that
# check, discover and a status_changes-only sync never depend on it.
ACCOUNT_CONFIG_STREAMS = frozenset({"agents", "agent_groups", "status_reasons"})
# Where the source puts the names of the streams a read selected (absent for spec, check and discover).
SELECTED_STREAMS = "__selected_streams"
# Why accountConfigReadOnly could not be found: those streams then fail with this message, status_changes still syncs.
ACCOUNT_CONFIG_ERROR = "__account_config_error"


def services_needed(config: Mapping[str, Any]) -> list[Service]:
    """Sentinel issues OAuth 2.0 tokens only; legacy OAuth 1.0a keys sign requests themselves."""
    needed = [AGENT_ACTIVITY]
    if config["credentials"]["auth_type"] == "oauth2_client_credentials":
        needed.append(SENTINEL)
    if ACCOUNT_CONFIG_STREAMS.intersection(config.get(SELECTED_STREAMS) or ()):
        needed.append(ACCOUNT_CONFIG)
    return needed


def resolve_hosts(
    config: Mapping[str, Any],
    session: Optional[requests.Session] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Map each needed service's config key to its host: the user's override, else the Domain API's answer."""
    session = session or requests.Session()
    domain_api_host = config.get("domain_api_host") or DEFAULT_DOMAIN_API_HOST
    hosts: dict[str, str] = {}
    for service in services_needed(config):
        override = config.get(service.override_field)
        if override:
            hosts[service.config_key] = override
            logger.info(f"Using {override} for {service.purpose} (set in {service.override_field}).")
            continue
        try:
            host = _discover(session, domain_api_host, config["account_id"], service, sleep)
        except AirbyteTracedException as error:
            if service is not ACCOUNT_CONFIG:
                raise
            logger.warning(
                f"{error.message} Only agents, agent_groups and status_reasons need it; status_changes syncs."
            )
            hosts[ACCOUNT_CONFIG_ERROR] = error.message or ""
            continue
        hosts[service.config_key] = host
        logger.info(f"Discovered {host} for {service.purpose} of account {config['account_id']}.")
    return hosts


def _discover(
    session: requests.Session,
    domain_api_host: str,
    account_id: str,
    service: Service,
    sleep: Callable[[float], None],
) -> str:
    url = f"https://{domain_api_host}/api/account/{account_id}/service/{service.name}/baseURI.json"
    failure = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = session.get(
                url, params={"version": "1.0"}, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
            )
        except requests.RequestException as error:
            failure = f"{type(error).__name__}"
        else:
            if response.status_code in (400, 401, 403, 404):
                raise config_error(
                    f"Account {account_id} has no {service.name} service at the LivePerson Domain API "
                    f"({domain_api_host} answered HTTP {response.status_code}): check the account id, or ask "
                    f"LivePerson to enable {service.purpose} for this account."
                )
            if response.ok:
                return _host_from_answer(response, account_id, service, domain_api_host)
            failure = f"HTTP {response.status_code}"
        if attempt < ATTEMPTS:
            sleep(RETRY_PAUSE_SECONDS * 2 ** (attempt - 1))
    message = (
        f"Could not reach the LivePerson Domain API at {domain_api_host} to find the {service.name} host of "
        f"account {account_id} ({failure}, {ATTEMPTS} attempts). This is usually temporary: retry the sync later. "
        f"If it persists, check that {domain_api_host} is reachable, or set {service.override_field}."
    )
    raise transient_error(message)


def _host_from_answer(response: requests.Response, account_id: str, service: Service, domain_api_host: str) -> str:
    """The `baseURI` must be a plain host: anything else (a URL, a path) would let an answer redirect credentials."""
    try:
        base_uri = response.json().get("baseURI")
    except (ValueError, AttributeError):
        base_uri = None
    if not is_plain_host(base_uri):
        shown = base_uri if isinstance(base_uri, str) and len(base_uri) < 200 else type(base_uri).__name__
        raise config_error(
            f"The LivePerson Domain API ({domain_api_host}) answered {shown!r} as the {service.name} host of account "
            f"{account_id}, which is not a plain host name, so no credentials are sent there. Set "
            f"{service.override_field} to the right host, or contact LivePerson support."
        )
    return base_uri
