# shellcheck shell=bash
# Shared settings for the docker/*.sh scripts (sourced, not run).
#
# The connector image is built FROM Airbyte's Python connector base image. This machine reaches no
# container registry, so when that image is neither present nor pullable, build-base-image.sh makes
# a local stand-in (Debian bookworm + Python 3.11, like Airbyte's) and tags it $LOCAL_BASE_IMAGE.

# The same reference as the Dockerfile's `ARG BASE_IMAGE` and metadata.yaml's connectorBuildOptions.baseImage,
# digest included (unit_tests/test_metadata_consistency.py and test_metadata_schema.py check it).
AIRBYTE_BASE_IMAGE="${AIRBYTE_BASE_IMAGE:-docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73}"
LOCAL_BASE_IMAGE="${LOCAL_BASE_IMAGE:-source-agent-activity-base:local}"
# The connector image that test-image.sh builds and tests.
CONNECTOR_IMAGE="${CONNECTOR_IMAGE:-airbyte/source-agent-activity:dev}"

# Print the base image to build FROM: $BASE_IMAGE when set, else Airbyte's when it is present,
# else the local stand-in when it exists. Fails (status 1, nothing printed) when there is none.
select_base_image() {
    if [ -n "${BASE_IMAGE:-}" ]; then
        echo "$BASE_IMAGE"
    elif docker image inspect "$AIRBYTE_BASE_IMAGE" >/dev/null 2>&1; then
        echo "$AIRBYTE_BASE_IMAGE"
    elif docker image inspect "$LOCAL_BASE_IMAGE" >/dev/null 2>&1; then
        echo "$LOCAL_BASE_IMAGE"
    else
        return 1
    fi
}

# Print the package index that pip uses on this host (PIP_INDEX_URL, else pip's own config, else
# PyPI), so that `pip install` inside `docker build` uses the same one. Local file:// indexes and
# find-links directories of the host are not visible inside a build and are left out on purpose, and
# so are plain-http ones: pip inside the build ignores them (no --trusted-host), and images are built
# over https only.
host_pip_index_url() {
    local url="${PIP_INDEX_URL:-}"
    if [ -z "$url" ] && command -v python3 >/dev/null 2>&1; then
        url="$(python3 -m pip config get global.index-url 2>/dev/null || true)"
    fi
    case "$url" in
        https://*) echo "$url" ;;
        *) echo "https://pypi.org/simple" ;;
    esac
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
