"""Packaging for the LivePerson Agent Activity Airbyte source."""

from setuptools import find_packages, setup

VERSION = "0.3.0"

setup(
    name="source-agent-activity",
    version=VERSION,
    description="Airbyte source for LivePerson's Agent Activity API (agent logins, logouts and status changes).",
    author="source-agent-activity developers",
    license="MIT",
    python_requires=">=3.11,<3.14",
    packages=find_packages(include=["source_agent_activity", "source_agent_activity.*"]),
    package_data={"source_agent_activity": ["manifest.yaml", "schemas/*.json"]},
    install_requires=[
        "airbyte-cdk>=7.39.1,<8",
        "pendulum>=3,<4",
        "requests>=2.31,<3",
        "orjson>=3.9,<4",
    ],
    extras_require={
        "dev": [
            "pytest>=8,<9",
            "pytest-timeout>=2.3,<3",
            "requests-mock>=1.12,<2",
            "freezegun>=1.5,<2",
            "ruff>=0.6,<1",
            "trustme>=1.1,<2",
            # Airbyte's metadata model, for unit_tests/test_metadata_schema.py; the same version `make qa` uses.
            "airbyte-connector-models==0.1.12; python_version < '3.13'",
        ],
    },
    entry_points={"console_scripts": ["source-agent-activity=source_agent_activity.run:run"]},
)
