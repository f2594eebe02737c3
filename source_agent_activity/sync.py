"""What one run of the connector shares, in one object the source builds and hands to its components.

A run (`check`, `discover` or `read`) is one source object in one process. What its streams and worker threads
share lives here and nowhere else:
- `hosts`: the account's LivePerson hosts, found at their first use (hosts.py);
- `tokens`: OAuth 2.0 tokens, renewed before they expire (auth.py);
- `halts`: hosts that cannot serve this run any more (halts.py);
- `pauses`: pauses LivePerson asked for with a 429 (pauses.py);
- `pages`: the window each worker thread is reading, told of every page (progress.py);
- `bodies`: each answer's JSON parsed once, and what was wrong with a broken one;
- `read_together`: whether status_changes' windows also read agent_status_intervals (windows.py);
- `checking`: whether the run is a `check`, which reads one page (its log says so, not a full read's plan).

The CDK hands every component the config the source was built with, and nothing else of the source's. So the source
puts the run's id into that config (`SYNC_KEY`, a plain string: the CDK writes configs to files) and `Sync.of(config)`
finds the run's Sync by it. Runs are held weakly: a Sync lives as long as its source.
"""

import itertools
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Optional

import orjson
import requests

from source_agent_activity.auth import TokenCache
from source_agent_activity.halts import HaltRegistry
from source_agent_activity.hosts import HostDirectory
from source_agent_activity.pauses import PauseBoard
from source_agent_activity.progress import Pages

SYNC_KEY = "__sync"
_RUNS: "weakref.WeakValueDictionary[str, Sync]" = weakref.WeakValueDictionary()
_RUN_IDS = itertools.count(1)


class Bodies:
    """Each answer's JSON, parsed once (orjson) for the error handler, the extractor and the paginator, and the
    problem of a 200 whose body is unusable, for the message that ends the sync if every attempt gets one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: weakref.WeakKeyDictionary[requests.Response, Any] = weakref.WeakKeyDictionary()
        self._problems: weakref.WeakKeyDictionary[requests.Response, str] = weakref.WeakKeyDictionary()

    def parsed(self, response: requests.Response) -> Any:
        """The response's JSON; raises orjson.JSONDecodeError for a body that is not JSON."""
        with self._lock:
            if response in self._parsed:
                return self._parsed[response]
        body = orjson.loads(response.content)
        with self._lock:
            self._parsed[response] = body
        return body

    def note_problem(self, response: requests.Response, problem: str) -> None:
        with self._lock:
            self._problems[response] = problem

    def problem(self, response: requests.Response) -> Optional[str]:
        with self._lock:
            return self._problems.get(response)


class Sync:
    """What one run shares (see the module's docstring). Each part may be given, as tests do with fake clocks."""

    def __init__(
        self,
        hosts: Optional[HostDirectory] = None,
        tokens: Optional[TokenCache] = None,
        halts: Optional[HaltRegistry] = None,
        pauses: Optional[PauseBoard] = None,
    ) -> None:
        self.hosts = hosts or HostDirectory()
        self.tokens = tokens or TokenCache()
        self.halts = halts or HaltRegistry()
        self.pauses = pauses or PauseBoard()
        self.pages = Pages()
        self.bodies = Bodies()
        self.read_together = False
        self.checking = False
        self.oauth1_warned = threading.Event()
        self.id = f"run-{next(_RUN_IDS)}"
        _RUNS[self.id] = self

    @staticmethod
    def of(config: Mapping[str, Any]) -> "Sync":
        """The Sync of the run whose components were built with `config`."""
        sync = _RUNS.get(config.get(SYNC_KEY, ""))
        if sync is None:
            raise LookupError(
                "Components of this source must be built by SourceAgentActivity, which gives them a Sync."
            )
        return sync
