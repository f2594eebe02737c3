"""The account's LivePerson hosts, found through the Domain API at the first request that needs each one.

Each LivePerson account lives in one region; its services have their own hosts, which the Domain API names:
https://developers.liveperson.com/api-guidelines-domain-api.html. The answer is a bare host (the docs write
plain http; we always use https). A user may override each host; discovery then skips that service.

Nothing is looked up when the source is built: the run's `HostDirectory` (sync.py) is asked for a host by the
requester and the OAuth 2.0 authenticator when they send their first request, and remembers the answer (or the
failure) for the rest of the run, for every stream and worker thread. The first host needed is found with one
request that lists every service of the account (before a read's first window, one round trip instead of two); a
service that answer leaves out, or every service if it fails, is asked for alone, with retries and a message naming
it. A failure to find a host fails only the streams that need it: agents, agent_groups and status_reasons when the
account configuration host cannot be found.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

import requests
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.config_rules import is_plain_host
from source_agent_activity.errors import config_error, transient_error

logger = logging.getLogger("airbyte")

CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 30
ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class Service:
    """A LivePerson service the connector talks to, and the config field that overrides its host."""

    name: str
    override_field: str
    purpose: str
    # Said after a failure to find the host: which streams it stops.
    needed_by: str


AGENT_ACTIVITY = Service("agentActivityDomain", "domain", "the Agent Activity API", "")
SENTINEL = Service("sentinel", "sentinel_domain", "OAuth 2.0 login (Sentinel)", "")
ACCOUNT_CONFIG = Service(
    "accountConfigReadOnly",
    "account_config_domain",
    "the account configuration APIs",
    " Only agents, agent_groups and status_reasons need it: deselect them to sync the status changes alone.",
)
SERVICES = {service.name: service for service in (AGENT_ACTIVITY, SENTINEL, ACCOUNT_CONFIG)}


class HostDirectory:
    """The hosts one process uses, each resolved once: the user's override, else the Domain API's answer."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep, list_all_first: bool = True) -> None:
        """`list_all_first`: ask the Domain API for every service of the account in one request before asking for one
        service alone (tests of the one-service requests turn it off)."""
        self._sleep = sleep
        self._list_all_first = list_all_first
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._listed: set[tuple[str, str]] = set()
        self._answers: dict[tuple[str, str, str], Union[str, AirbyteTracedException]] = {}
        self._announced: set[tuple[str, str]] = set()
        self.session = requests.Session()

    def host(self, service: Union[Service, str], config: Mapping[str, Any]) -> str:
        """The host of `service` for the config's account; raises the (remembered) failure to find it."""
        service = SERVICES[service] if isinstance(service, str) else service
        override = config.get(service.override_field)
        if override:
            self._announce_once(service, f"Using {override} for {service.purpose} (set in {service.override_field}).")
            return override
        domain_api_host = config["domain_api_host"]
        account = (domain_api_host, config["account_id"])
        key = (*account, service.name)
        with self._lock:
            account_lock = self._key_locks.setdefault(account, threading.Lock())
        with account_lock:
            if self._list_all_first and account not in self._listed:
                # One request for every service of the account; any service it does not answer is asked alone.
                self._listed.add(account)
                self._answers.update(self._discover_all(*account))
            if key not in self._answers:
                try:
                    self._answers[key] = self._discover(domain_api_host, config["account_id"], service)
                except AirbyteTracedException as error:
                    self._answers[key] = error
            answer = self._answers[key]
        if isinstance(answer, AirbyteTracedException):
            raise answer
        self._announce_once(service, f"Discovered {answer} for {service.purpose} of account {config['account_id']}.")
        return answer

    def _announce_once(self, service: Service, line: str) -> None:
        with self._lock:
            if (service.name, line) in self._announced:
                return
            self._announced.add((service.name, line))
        logger.info(line)

    def _discover_all(self, domain_api_host: str, account_id: str) -> dict[tuple[str, str, str], str]:
        """The hosts of every service the Domain API lists for the account, in one request (`.../service/baseURI.json`
        answers `{"baseURIs": [{service, account, baseURI}, ...]}`). Nothing on any failure: each service is then
        asked for alone, with retries and the messages that name it."""
        url = f"https://{domain_api_host}/api/account/{account_id}/service/baseURI.json"
        try:
            response = self.session.get(
                url, params={"version": "1.0"}, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
            )
            entries = response.json().get("baseURIs") if response.status_code == 200 else None
        except (requests.RequestException, ValueError, AttributeError):
            return {}
        answers = {}
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("service") in SERVICES and is_plain_host(entry.get("baseURI")):
                answers[(domain_api_host, account_id, entry["service"])] = entry["baseURI"]
        return answers

    def _discover(self, domain_api_host: str, account_id: str, service: Service) -> str:
        url = f"https://{domain_api_host}/api/account/{account_id}/service/{service.name}/baseURI.json"
        failure = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.session.get(
                    url, params={"version": "1.0"}, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
                )
            except requests.RequestException as error:
                failure = f"{type(error).__name__}"
            else:
                if response.status_code in (400, 401, 403, 404):
                    raise config_error(
                        f"Account {account_id} has no {service.name} service at the LivePerson Domain API "
                        f"({domain_api_host} answered HTTP {response.status_code}): check the account id, or ask "
                        f"LivePerson to enable {service.purpose} for this account.{service.needed_by}"
                    )
                if response.ok:
                    return _host_from_answer(response, account_id, service, domain_api_host)
                failure = f"HTTP {response.status_code}"
            if attempt < ATTEMPTS:
                self._sleep(RETRY_PAUSE_SECONDS * 2 ** (attempt - 1))
        raise transient_error(
            f"Could not reach the LivePerson Domain API at {domain_api_host} to find the {service.name} host of "
            f"account {account_id} ({failure}, {ATTEMPTS} attempts). This is usually temporary: retry the sync later. "
            f"If it persists, check that {domain_api_host} is reachable, or set {service.override_field}."
            f"{service.needed_by}"
        )


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
            f"{service.override_field} to the right host, or contact LivePerson support.{service.needed_by}"
        )
    return base_uri
