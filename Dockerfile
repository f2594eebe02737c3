# Airbyte source connector image for LivePerson's Agent Activity API.
#
# Follows Airbyte's Python connector conventions: built FROM Airbyte's Python connector base image
# (Python 3.11), the connector installed with pip (runtime dependencies only, no dev extras), run
# as the non-root user `airbyte` (uid 1000), entry point in AIRBYTE_ENTRYPOINT.
#
#   docker build --network host -t airbyte/source-agent-activity:dev .
#
# Where no registry is reachable, docker/build-base-image.sh builds a local stand-in base and
# docker/test-image.sh passes it as --build-arg BASE_IMAGE=... (see `make docker-test`).
# Keep BASE_IMAGE the same reference as metadata.yaml's connectorBuildOptions.baseImage: Airbyte's
# image pinned by digest (unit_tests/test_metadata_schema.py checks it).
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
FROM ${BASE_IMAGE}

# The package index pip uses during the build; docker/test-image.sh passes the build host's.
ARG PIP_INDEX_URL=https://pypi.org/simple

# Must match metadata.yaml (dockerRepository, dockerImageTag) and setup.py's VERSION.
LABEL io.airbyte.name=airbyte/source-agent-activity
LABEL io.airbyte.version=0.3.0

# Installing needs root; the base image may have switched to another user.
USER root
WORKDIR /airbyte/integration_code

# 1. Dependencies first, in their own layer: it is rebuilt only when setup.py changes, not on
#    every edit of the connector's code. An empty package stands in for the real one here.
COPY setup.py ./
RUN mkdir source_agent_activity \
    && touch source_agent_activity/__init__.py \
    && pip install --no-cache-dir --use-pep517 --index-url "${PIP_INDEX_URL}" . \
    && pip uninstall --yes source-agent-activity \
    && rm -rf source_agent_activity build ./*.egg-info

# 2. The connector itself (manifest.yaml and schemas/ ship as package data).
COPY main.py ./
COPY source_agent_activity ./source_agent_activity
RUN pip install --no-cache-dir --no-deps --use-pep517 --index-url "${PIP_INDEX_URL}" . \
    && rm -rf build ./*.egg-info \
    && pip check \
    && command -v source-agent-activity

# Run as the non-root user `airbyte` (uid 1000); Airbyte's base image has it, a stand-in may not.
RUN if ! id -u airbyte >/dev/null 2>&1; then \
        groupadd --gid 1000 airbyte \
        && useradd --uid 1000 --gid 1000 --create-home --shell /bin/sh airbyte; \
    fi
USER airbyte

ENV AIRBYTE_ENTRYPOINT="source-agent-activity"
ENTRYPOINT ["source-agent-activity"]
