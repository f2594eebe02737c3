"""Fixtures every unit test gets: fresh host and token caches, a fake token clock, retries that never really sleep."""

import threading
from types import SimpleNamespace
from typing import Callable, Optional

import backoff._sync
import pytest
import requests_mock.adapter
from airbyte_cdk.sources.streams.http import rate_limiting
from airbyte_cdk.test.mock_http import HttpMocker

from source_agent_activity import auth, halts, hosts, pauses


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
def host_directory(monkeypatch: pytest.MonkeyPatch, sleeps: SleepRecorder) -> hosts.HostDirectory:
    """`hosts.HOSTS` remembers hosts for the whole process: each test starts with none, pausing into `sleeps`."""
    directory = hosts.HostDirectory(sleep=sleeps)
    monkeypatch.setattr(hosts, "HOSTS", directory)
    return directory


@pytest.fixture(autouse=True)
def halts_and_pauses(monkeypatch: pytest.MonkeyPatch, sleeps: SleepRecorder) -> pauses.PauseBoard:
    """Halted hosts and 429 pauses last a process: each test starts with none, on the clock every pause moves on."""
    monkeypatch.setattr(halts, "HALTS", halts.HaltRegistry())
    board = pauses.PauseBoard(clock=sleeps.clock, sleep=sleeps)
    monkeypatch.setattr(pauses, "PAUSES", board)
    return board


@pytest.fixture(autouse=True)
def token_clock(monkeypatch: pytest.MonkeyPatch, sleeps: SleepRecorder) -> FakeClock:
    """`auth.TOKENS` lives for the whole process: each test gets an empty cache on its own clock."""
    clock = FakeClock()
    monkeypatch.setattr(auth, "TOKENS", auth.TokenCache(clock=clock, sleep=sleeps))
    return clock


@pytest.fixture(autouse=True)
def oauth1_warning_not_yet_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OAuth 1.0a retirement warning is given once per process; each test starts before it."""
    monkeypatch.setattr(auth, "_warned_oauth1", threading.Event())


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
