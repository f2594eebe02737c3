#!/usr/bin/env bash
# Make sure a base image for the connector's Dockerfile exists, and say which one will be used.
#
# Order of preference:
#   1. Airbyte's base image ($AIRBYTE_BASE_IMAGE) when it is already loaded in the engine;
#   2. the same, pulled from its registry (fails fast on machines without registry access);
#   3. a local stand-in, $LOCAL_BASE_IMAGE, built here once and then reused (cached by its tag):
#      a Debian bookworm rootfs made with `debootstrap --variant=minbase` from this machine's Debian
#      mirror, with Debian's Python 3.11 (the version Airbyte's base image ships), a virtualenv at
#      /usr/local/venv first on PATH (so `python`, `pip` and a system-wide `pip install` work as in
#      Airbyte's image), and this machine's CA bundle (so TLS through the local egress proxy works).
#      Loaded with `docker import`.
#
# Set REBUILD_BASE=1 to rebuild the stand-in even when its tag exists.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/common.sh
source docker/common.sh

log() { echo "[build-base-image] $*" >&2; }

DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
# Packages for the stand-in: Python 3.11 with pip and venv (ensurepip's wheels), and the CA store.
BASE_PACKAGES="python3,python3-pip,python3-venv,ca-certificates"

# 1. Airbyte's image is already here.
if docker image inspect "$AIRBYTE_BASE_IMAGE" >/dev/null 2>&1; then
    log "using Airbyte's base image $AIRBYTE_BASE_IMAGE (already loaded)"
    exit 0
fi

# 3 (cached). Our stand-in from an earlier run.
if [ "${REBUILD_BASE:-0}" != "1" ] && docker image inspect "$LOCAL_BASE_IMAGE" >/dev/null 2>&1; then
    log "using the local stand-in $LOCAL_BASE_IMAGE (cached; REBUILD_BASE=1 rebuilds it)"
    exit 0
fi

# 2. Try the registry, bounded in time: here it fails at once (no DNS for registries).
if [ "${REBUILD_BASE:-0}" != "1" ]; then
    log "trying: docker pull $AIRBYTE_BASE_IMAGE"
    if timeout 120 docker pull "$AIRBYTE_BASE_IMAGE" >&2; then
        log "using Airbyte's base image $AIRBYTE_BASE_IMAGE (pulled)"
        exit 0
    fi
    log "cannot pull $AIRBYTE_BASE_IMAGE (no registry reachable): building the local stand-in $LOCAL_BASE_IMAGE"
fi

# --- 3. Build the stand-in. ---------------------------------------------------------------------

# The Debian mirror this machine's apt uses for $DEBIAN_SUITE (deb822 *.sources and one-line *.list
# files; files renamed to something else, e.g. *.disabled, are ignored as apt ignores them).
debian_mirror() {
    python3 - "$DEBIAN_SUITE" <<'PY'
import glob, sys
suite = sys.argv[1]
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
sources = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
found = []
for path in files:  # one-line format: deb [options] URI SUITE COMPONENTS...
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = line.split("#", 1)[0].split()
        if words and words[0] == "deb":
            words = words[1:]
            if words and words[0].startswith("["):
                while words and not words[0].endswith("]"):
                    words = words[1:]
                words = words[1:]
            if len(words) >= 2 and words[1] == suite:
                found.append(words[0])
for path in sources:  # deb822 format: paragraphs of "Key: value"
    for para in open(path).read().split("\n\n"):
        fields = {}
        for line in para.splitlines():
            if ":" in line and not line.lstrip().startswith("#"):
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []) and suite in fields.get("suites", []) \
                and fields.get("enabled", ["yes"])[0].lower() != "no":
            found.extend(fields.get("uris", []))
# Debian's default mirror, as Debian's own apt sources name it: plain http, because apt and debootstrap
# verify every package against the signed archive (debian-archive-keyring), not the transport.
print(found[0] if found else "http://deb.debian.org/debian")  # ignore-https-check: see the line above
PY
}

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        debootstrap debian-archive-keyring >/dev/null
fi

MIRROR="$(debian_mirror)"
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
WORK_DIR="$(mktemp -d /tmp/source-agent-activity-base.XXXXXX)"
ROOTFS="$WORK_DIR/rootfs"
cleanup() {
    # Unmount what a failed debootstrap may have left mounted in the tree, then remove it.
    for mnt in "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev"; do
        if mountpoint -q "$mnt" 2>/dev/null; then as_root umount -l "$mnt" || true; fi
    done
    as_root rm -rf "$WORK_DIR"
}
trap cleanup EXIT

log "debootstrap --variant=minbase $DEBIAN_SUITE from $MIRROR (log: $WORK_DIR/debootstrap.log)"
start=$SECONDS
if ! as_root debootstrap --variant=minbase --include="$BASE_PACKAGES" \
    "$DEBIAN_SUITE" "$ROOTFS" "$MIRROR" >"$WORK_DIR/debootstrap.log" 2>&1; then
    log "debootstrap failed; last lines of its log:"
    tail -n 30 "$WORK_DIR/debootstrap.log" >&2 || true
    tail -n 30 "$ROOTFS/debootstrap/debootstrap.log" >&2 2>/dev/null || true
    exit 1
fi
log "debootstrap done in $((SECONDS - start))s"

# The host's CA bundle (it includes the egress proxy's CA that TLS to PyPI needs here). Also kept
# as a local CA so that a later update-ca-certificates in a derived image keeps it.
as_root cp "$HOST_CA_BUNDLE" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
as_root cp "$HOST_CA_BUNDLE" "$ROOTFS/usr/local/share/ca-certificates/host-ca-bundle.crt"

# The rootfs gets this machine's apt sources so `apt-get` inside the image uses the same mirror.
echo "deb $MIRROR $DEBIAN_SUITE main" | as_root tee "$ROOTFS/etc/apt/sources.list" >/dev/null

# A virtualenv for everything pip installs: `pip install` as root then works system-wide without
# touching Debian's own Python packages (PEP 668), as in Airbyte's image where pip owns /usr/local.
as_root chroot "$ROOTFS" /usr/bin/python3 -m venv /usr/local/venv
as_root chroot "$ROOTFS" /usr/local/venv/bin/python -c \
    'import sys, ssl, pip; assert sys.version_info[:2] == (3, 11), sys.version; print("python", sys.version.split()[0], "pip", pip.__version__)' >&2

# Trim what a runtime image never reads: apt caches and lists, docs, man pages, locales.
as_root rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
    "$ROOTFS"/usr/share/locale/* "$ROOTFS"/debootstrap "$ROOTFS"/var/log/*.log
as_root find "$ROOTFS/usr/lib/python3" "$ROOTFS/usr/lib/python3.11" -name __pycache__ -prune \
    -exec rm -rf {} + 2>/dev/null || true

log "importing the rootfs as $LOCAL_BASE_IMAGE"
as_root tar -C "$ROOTFS" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV VIRTUAL_ENV=/usr/local/venv' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
    --change 'WORKDIR /' \
    --change 'CMD ["python"]' \
    --message "Local stand-in for $AIRBYTE_BASE_IMAGE: debootstrap $DEBIAN_SUITE minbase + Python 3.11" \
    - "$LOCAL_BASE_IMAGE" >/dev/null

# Smoke test: the image runs, and python and pip answer.
docker run --rm --network host "$LOCAL_BASE_IMAGE" sh -c 'python --version && pip --version' >&2
log "built $LOCAL_BASE_IMAGE in $((SECONDS - start))s, size $(docker image inspect -f '{{.Size}}' "$LOCAL_BASE_IMAGE") bytes"
log "using the local stand-in $LOCAL_BASE_IMAGE"
