#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#
# CI and developer machines have the docker CLI but no running engine. This script:
#   1. installs Debian's `docker.io` package (which provides `dockerd`) when `dockerd` is missing;
#   2. starts `dockerd` in the background when `docker info` fails (log: $DOCKERD_LOG);
#   3. waits, at most $DOCKERD_WAIT_SECONDS, until `docker info` answers.
#
# The engine is started without its bridge network and iptables rules: every container and build of
# this project uses `--network host` (the machine has no route to a registry anyway), and a
# bridge needs kernel modules and iptables support that these sandboxed machines may not have.
# Set DOCKERD_EXTRA_ARGS to pass more flags (e.g. DOCKERD_EXTRA_ARGS="" to keep the default bridge off).
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"
DOCKERD_WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"
DOCKERD_EXTRA_ARGS="${DOCKERD_EXTRA_ARGS:---bridge=none --iptables=false --ip6tables=false}"

log() { echo "[ensure-dockerd] $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. The engine binary (the CLI may come from elsewhere; docker.io brings its own too).
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    log "dockerd is missing: installing Debian's docker.io package"
    as_root apt-get update -qq
    # --no-install-recommends keeps out e.g. the docker-compose / apparmor extras.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io >/dev/null
fi

# 2. Already running (ours from an earlier run, or the machine's own)? Then nothing to do.
if docker info >/dev/null 2>&1; then
    log "docker engine already answering: $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')"
    exit 0
fi

# Is PID a running process (not a zombie)?
is_running() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}
# Is PID a running dockerd?
is_live_dockerd() {
    is_running "$1" && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "dockerd" ]
}

EXISTING_PID="$(cat /var/run/docker.pid 2>/dev/null || true)"
if is_live_dockerd "$EXISTING_PID"; then
    # A dockerd is running but not answering yet (still starting): wait for it, do not start a second one.
    log "dockerd (pid $EXISTING_PID) is running but not answering yet: waiting for it"
    DOCKERD_PID="$EXISTING_PID"
else
    # A pid file left by a dockerd that was killed would make the new one refuse to start.
    as_root rm -f /var/run/docker.pid
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    # setsid + nohup: the engine outlives this script and is not stopped by a Ctrl-C meant for `make`.
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    # shellcheck disable=SC2086  # DOCKERD_EXTRA_ARGS is a list of flags on purpose
    "${SUDO[@]}" setsid nohup dockerd $DOCKERD_EXTRA_ARGS >"$DOCKERD_LOG" 2>&1 </dev/null &
    DOCKERD_PID=$!
fi

# 3. Bounded wait until the engine answers.
deadline=$((SECONDS + DOCKERD_WAIT_SECONDS))
until docker info >/dev/null 2>&1; do
    if ! is_running "$DOCKERD_PID"; then
        log "dockerd exited during start-up; last lines of $DOCKERD_LOG:"
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        log "dockerd did not answer within ${DOCKERD_WAIT_SECONDS}s; last lines of $DOCKERD_LOG:"
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    sleep 1
done
log "docker engine ready (pid $DOCKERD_PID): $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')," \
    "storage driver $(docker info -f '{{.Driver}}' 2>/dev/null || echo '?')"
