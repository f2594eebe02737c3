"""Fixtures that start the bundled LivePerson simulator over real HTTPS on 127.0.0.1."""

from collections.abc import Callable, Iterator

import pytest

from integration_tests.support import SMALL_ACCOUNT
from liveperson_simulator import Simulator, SimulatorConfig


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A running simulator with a small default account."""
    with Simulator(SimulatorConfig(**SMALL_ACCOUNT)) as sim:
        yield sim


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., Simulator]]:
    """``make_simulator(**config_overrides)`` starts a simulator; all are stopped at teardown."""
    started: list[Simulator] = []

    def make(**overrides: object) -> Simulator:
        sim = Simulator(SimulatorConfig(**{**SMALL_ACCOUNT, **overrides})).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
