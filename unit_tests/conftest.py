"""Fixtures every unit test gets: a fresh Sync (hosts, tokens, halts, pauses) on fake clocks, retries that never
really sleep."""

import threading
from types import SimpleNamespace
from typing import Callable, Optional

import backoff._sync
import pytest
import requests_mock.adapter
from airbyte_cdk.sources.streams.http import rate_limiting
from airbyte_cdk.test.mock_http import HttpMocker

from source_agent_activity import auth, hosts, pauses
from source_agent_activity.sync import Sync
from unit_tests.support import entrypoint


class FakeClock:
    """A monotonic clock the test moves by hand (the token cache measures token lifetimes with it)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SleepRecorder:
    """Stands in for time.sleep: remembers each requested pause instead of waiting, and moves `clock` on by it."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.clock = FakeClock()
        self._lock = threading.Lock()
        # A test may make every pause last until something has happened elsewhere (an event set by another thread).
        self.until: Optional[Callable[[], None]] = None

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)
            self.clock.advance(seconds)
        if self.until is not None:
            self.until()

    @property
    def waits(self) -> list[float]:
        """The pauses that would really have waited (the backoff library also "sleeps" 0 s between some tries)."""
        return [seconds for seconds in self.calls if seconds > 0]


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """No test waits: the CDK's retry handlers and the connector's own retry loops record their pauses here."""
    recorder = SleepRecorder()
    fake_time = SimpleNamespace(sleep=recorder)
    # The `backoff` library sleeps between DefaultBackoffException retries; the CDK sleeps itself for Retry-After.
    monkeypatch.setattr(backoff._sync, "time", fake_time)
    monkeypatch.setattr(rate_limiting, "time", fake_time)
    return recorder


@pytest.fixture(autouse=True)
def token_clock() -> FakeClock:
    """The clock token lifetimes are measured on, moved by hand."""
    return FakeClock()


@pytest.fixture(autouse=True)
def sync(sleeps: SleepRecorder, token_clock: FakeClock) -> Sync:
    """What a connector run shares, new for each test and shared by every source the test builds (support/entrypoint):
    no host known or halted, no token, no pause, and every pause on the clock `sleeps` moves on."""
    shared = Sync(
        # The account's hosts are asked for one service at a time, as each test mocks them (test_hosts.py also tests
        # the one request for all services).
        hosts=hosts.HostDirectory(sleep=sleeps, list_all_first=False),
        tokens=auth.TokenCache(clock=token_clock, sleep=sleeps),
        pauses=pauses.PauseBoard(clock=sleeps.clock, sleep=sleeps),
    )
    entrypoint.use_sync(shared)
    yield shared
    entrypoint.use_sync(None)


@pytest.fixture
def host_directory(sync: Sync) -> hosts.HostDirectory:
    return sync.hosts


@pytest.fixture
def halts_and_pauses(sync: Sync) -> pauses.PauseBoard:
    return sync.pauses


@pytest.fixture(autouse=True)
def mocked_responses_point_at_the_sent_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `response.request` the PreparedRequest that was sent, as requests' real HTTPAdapter does.

    requests_mock hands back a proxy object instead. The connector's error handler recognises a retried request by
    `response.request` (to allow one token refresh per request), which only works with the real identity.
    """
    original_send = requests_mock.adapter.Adapter.send

    def send(self, request, **kwargs):
        response = original_send(self, request, **kwargs)
        response.request = request
        return response

    monkeypatch.setattr(requests_mock.adapter.Adapter, "send", send)


@pytest.fixture
def http_mocker() -> HttpMocker:
    """Mocked LivePerson endpoints; a request no mock matches fails the read, and every mock must be called."""
    mocker = HttpMocker()
    with mocker:
        yield mocker
    mocker._validate_all_matchers_called()
