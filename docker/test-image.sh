#!/usr/bin/env bash
# Build the connector image and run it the way Airbyte does, against the bundled LivePerson simulator.
#
#   1. docker build (FROM the base that build-base-image.sh made or found; the host's pip index);
#   2. the image's labels and entry point, and that it runs as a non-root user;
#   3. the simulator on the host (127.0.0.1, its own test CA), a config and configured catalog for
#      stream status_changes in a temp dir mounted read-only at /data;
#   4. spec, check, discover, read, and read again from the saved state, each in a fresh container
#      (--network host, REQUESTS_CA_BUNDLE=/data/ca.pem), checked by docker/check_messages.py;
#   5. a summary: build time, image size, time of each command.
#
# Needs a running engine (docker/ensure-dockerd.sh), a base image (docker/build-base-image.sh) and
# the repo's .venv (make install) for the simulator: `make docker-test` does all of that.
# KEEP_WORK=1 keeps the temp dir (config, catalog, every command's output) even on success.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/common.sh
source docker/common.sh

PYTHON="${PYTHON:-.venv/bin/python}"
SIMULATOR_WAIT_SECONDS="${SIMULATOR_WAIT_SECONDS:-60}"
EXPECTED_NAME="airbyte/source-agent-activity"
EXPECTED_VERSION="$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' setup.py)"

log() { echo "[test-image] $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

[ -x "$PYTHON" ] || fail "$PYTHON is missing: run 'make install' first (the simulator runs from the repo venv)"
"$PYTHON" -c 'import liveperson_simulator' 2>/dev/null \
    || fail "the LivePerson simulator (liveperson_simulator) cannot be imported with $PYTHON"
BASE="$(select_base_image)" || fail "no base image: run docker/build-base-image.sh first"
PIP_INDEX="$(host_pip_index_url)"

WORK_DIR="$(mktemp -d /tmp/source-agent-activity-docker-test.XXXXXX)"
DATA_DIR="$WORK_DIR/data"  # mounted read-only at /data in every container
OUT_DIR="$WORK_DIR/out"    # stdout and stderr of every command
mkdir -p "$DATA_DIR" "$OUT_DIR"
# The container runs as uid 1000: it must be able to read what it is given.
chmod 755 "$WORK_DIR" "$DATA_DIR"

SIM_PID=""
cleanup() {
    local status=$?
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        # Bounded wait for the simulator to stop, then make sure it is gone.
        for _ in $(seq 1 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] || [ "${KEEP_WORK:-0}" = "1" ]; then
        log "kept $WORK_DIR (config, catalog, outputs in out/, simulator.log)"
    else
        rm -rf "$WORK_DIR"
    fi
}
trap cleanup EXIT

# --- 1. Build ----------------------------------------------------------------------------------
log "building $CONNECTOR_IMAGE FROM $BASE (pip index $PIP_INDEX; log: $WORK_DIR/build.log)"
start=$SECONDS
if ! docker build --network host \
    --build-arg BASE_IMAGE="$BASE" \
    --build-arg PIP_INDEX_URL="$PIP_INDEX" \
    -t "$CONNECTOR_IMAGE" . >"$WORK_DIR/build.log" 2>&1; then
    tail -n 40 "$WORK_DIR/build.log" >&2
    fail "docker build"
fi
BUILD_SECONDS=$((SECONDS - start))
IMAGE_SIZE="$(docker image inspect -f '{{.Size}}' "$CONNECTOR_IMAGE")"
log "built in ${BUILD_SECONDS}s, image size $IMAGE_SIZE bytes ($((IMAGE_SIZE / 1024 / 1024)) MiB)"

# --- 2. What the image declares, and who it runs as --------------------------------------------
label() { docker image inspect -f "{{index .Config.Labels \"$1\"}}" "$CONNECTOR_IMAGE"; }
[ "$(label io.airbyte.name)" = "$EXPECTED_NAME" ] \
    || fail "label io.airbyte.name is '$(label io.airbyte.name)', expected $EXPECTED_NAME"
[ "$(label io.airbyte.version)" = "$EXPECTED_VERSION" ] \
    || fail "label io.airbyte.version is '$(label io.airbyte.version)', expected $EXPECTED_VERSION (setup.py)"
docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$CONNECTOR_IMAGE" \
    | grep -qx 'AIRBYTE_ENTRYPOINT=source-agent-activity' || fail "AIRBYTE_ENTRYPOINT is not source-agent-activity"
RUNS_AS="$(docker run --rm --network none --entrypoint id "$CONNECTOR_IMAGE")"
[ "$(docker run --rm --network none --entrypoint id "$CONNECTOR_IMAGE" -u)" != "0" ] \
    || fail "the image runs as root ($RUNS_AS)"
# Runtime dependencies only: no dev extras (pytest, ruff, ...), no tests in the image.
docker run --rm --network none --entrypoint python "$CONNECTOR_IMAGE" -c '
import importlib.util, os, sys
dev = [m for m in ("pytest", "ruff", "requests_mock", "freezegun", "trustme") if importlib.util.find_spec(m)]
tests = [d for d in ("unit_tests", "integration_tests") if os.path.exists(d)]
sys.exit(f"dev packages {dev} / test folders {tests} in the image" if dev or tests else 0)' \
    || fail "the image holds development dependencies or tests"
log "ok   labels $EXPECTED_NAME $EXPECTED_VERSION, entry point source-agent-activity, no dev extras, runs as: $RUNS_AS"

# --- 3. Simulator, config, catalog -------------------------------------------------------------
log "starting the LivePerson simulator (log: $WORK_DIR/simulator.log)"
"$PYTHON" -m liveperson_simulator --info-file "$WORK_DIR/simulator.json" \
    >"$WORK_DIR/simulator.log" 2>&1 &
SIM_PID=$!
deadline=$((SECONDS + SIMULATOR_WAIT_SECONDS))
# The info file is complete once it holds a whole JSON line.
until [ -s "$WORK_DIR/simulator.json" ] && "$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' \
    "$WORK_DIR/simulator.json" 2>/dev/null; do
    kill -0 "$SIM_PID" 2>/dev/null || { tail -n 30 "$WORK_DIR/simulator.log" >&2; fail "the simulator exited"; }
    [ "$SECONDS" -lt "$deadline" ] || fail "the simulator did not start within ${SIMULATOR_WAIT_SECONDS}s"
    sleep 0.2
done

# config.json, configured_catalog.json and ca.pem for /data; prints the secrets that must stay masked.
SECRETS="$("$PYTHON" - "$WORK_DIR/simulator.json" "$DATA_DIR" <<'PY'
import json, shutil, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

info = json.loads(Path(sys.argv[1]).read_text())
data = Path(sys.argv[2])
config = {
    **info["connector_config"],
    "start_date": (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
}
catalog = {
    "streams": [
        {
            "stream": {
                "name": "status_changes",
                "json_schema": {},
                "supported_sync_modes": ["full_refresh", "incremental"],
                "source_defined_cursor": True,
                "default_cursor_field": ["time"],
            },
            "sync_mode": "incremental",
            "destination_sync_mode": "append_dedup",
            "cursor_field": ["time"],
            "primary_key": [["agentId"], ["time"], ["statusType"], ["sequenceNumber"]],
        }
    ]
}
(data / "config.json").write_text(json.dumps(config, indent=2))
(data / "configured_catalog.json").write_text(json.dumps(catalog, indent=2))
shutil.copyfile(info["ca_path"], data / "ca.pem")
for name in ("config.json", "configured_catalog.json", "ca.pem"):
    (data / name).chmod(0o644)
print(info["client_id"])
print(info["client_secret"])
PY
)"
SECRET_ARGS=()
while IFS= read -r secret; do SECRET_ARGS+=(--secret "$secret"); done <<<"$SECRETS"
log "simulator at $("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$WORK_DIR/simulator.json")"

# --- 4. The connector's commands, each in a fresh container ------------------------------------
SUMMARY=()
# run_step NAME CHECK [check_messages.py options --] CONNECTOR_ARGS...
run_step() {
    local name="$1" check="$2"
    shift 2
    local check_opts=()
    if [ "${1:-}" = "--min-records" ]; then check_opts=(--min-records "$2"); shift 3; fi
    local started=$SECONDS rc=0
    docker run --rm --network host \
        -v "$DATA_DIR:/data:ro" \
        -e REQUESTS_CA_BUNDLE=/data/ca.pem \
        "$CONNECTOR_IMAGE" "$@" >"$OUT_DIR/$name.jsonl" 2>"$OUT_DIR/$name.stderr" || rc=$?
    local seconds=$((SECONDS - started)) verdict
    if ! verdict="$("$PYTHON" docker/check_messages.py "$check" "$OUT_DIR/$name.jsonl" "$rc" \
        "${check_opts[@]}" "${SECRET_ARGS[@]}")"; then
        log "$verdict"
        tail -n 20 "$OUT_DIR/$name.stderr" >&2 || true
        fail "$name (output: $OUT_DIR/$name.jsonl)"
    fi
    log "${verdict/ $check:/ $name:} (exit $rc, ${seconds}s)"
    SUMMARY+=("$name ${seconds}s")
}

run_step spec spec spec
run_step check check check --config /data/config.json
run_step discover discover discover --config /data/config.json
run_step read read read --config /data/config.json --catalog /data/configured_catalog.json

# An incremental read from the state the first read saved (the state file goes into /data).
"$PYTHON" - "$OUT_DIR/read.jsonl" "$DATA_DIR/state.json" <<'PY'
import json, sys
latest = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("{"):
        message = json.loads(line)
        if message.get("type") == "STATE":
            latest[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
with open(sys.argv[2], "w", encoding="utf-8") as state_file:
    json.dump(list(latest.values()), state_file)
PY
chmod 644 "$DATA_DIR/state.json"
# The lookback re-reads the newest records, but an empty answer would not be wrong here.
run_step read-incremental read --min-records 0 -- \
    read --config /data/config.json --catalog /data/configured_catalog.json --state /data/state.json

# --- 5. Summary --------------------------------------------------------------------------------
log "PASSED: $CONNECTOR_IMAGE (FROM $BASE): build ${BUILD_SECONDS}s, size $((IMAGE_SIZE / 1024 / 1024)) MiB," \
    "runs as uid $(docker run --rm --network none --entrypoint id "$CONNECTOR_IMAGE" -u); ${SUMMARY[*]}"
