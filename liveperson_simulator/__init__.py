"""A LivePerson Agent Activity API simulator for integration tests, benchmarks and demos.

Start one, point the connector at it, compare what it read with ``ground_truth``::

    with Simulator(SimulatorConfig(agents=5)) as sim:
        config = sim.connector_config()  # points the connector at https://localhost:{port}
"""

from .config import SimulatorConfig
from .simulator import Simulator

__all__ = ["Simulator", "SimulatorConfig"]
