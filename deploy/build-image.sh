#!/usr/bin/env bash
# Build the suite's container image without any image from a hub:
#   1. a Debian bookworm root filesystem from debootstrap --variant=minbase, with
#      python3, python3-venv, docker-registry (the registry an in-node run starts
#      itself) and skopeo (the interoperability scenarios); cached as a tarball;
#   2. the project's wheel and its dependencies, built here with pip (from PyPI
#      as this machine's pip is configured) and installed in a venv inside the
#      root filesystem, offline;
#   3. imported with `docker import`, entry point `artifact-conformance run`.
#
#   deploy/build-image.sh [IMAGE]     # default local/artifact-conformance:<version>
#
# Needs root (debootstrap, chroot), debootstrap, and a Docker engine reachable
# through DOCKER_HOST. Environment:
#   MIRROR     the Debian mirror (default: the first one in /etc/apt/sources.list*)
#   CACHE_DIR  where the base root filesystem tarball is kept between builds
#              (default /var/cache/artifact-conformance-image); delete it to refresh
#   PYTHON     the Python whose pip builds the wheels (default .venv/bin/python, else python3);
#              it must be 3.11, bookworm's, so the wheels fit the image's Python
set -euo pipefail

cd "$(dirname "$0")/.."
HERE="$PWD"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n1)"
IMAGE="${1:-local/artifact-conformance:$VERSION}"
SUITE=bookworm
PACKAGES=python3,python3-venv,docker-registry,ca-certificates,busybox-static
# Installed with apt inside the root filesystem after debootstrap: debootstrap's
# own resolver fails to configure skopeo's dependency golang-github-containers-common.
LATER_PACKAGES="skopeo"
CACHE_DIR="${CACHE_DIR:-/var/cache/artifact-conformance-image}"
VENV=/opt/artifact-conformance
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

say() { echo "build-image: $*" >&2; }
die() { say "$*"; exit 1; }

[[ $(id -u) == 0 ]] || die "needs root (debootstrap and chroot); run it as root"
command -v debootstrap >/dev/null || die "debootstrap not found; install the Debian package debootstrap"
command -v docker >/dev/null || die "docker not found; install the Debian package docker.io and start an engine (.ci/docker-engine.sh)"
docker info >/dev/null 2>&1 || die "no Docker engine answers at ${DOCKER_HOST:-the default socket}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    die "$PYTHON is Python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])'); the image's Python is bookworm's 3.11, so the wheels must be built by a 3.11 (set PYTHON)"

mirror() {
    [[ -n "${MIRROR:-}" ]] && { echo "$MIRROR"; return; }
    # deb822 sources (URIs: ...) or one-line ones (deb URL SUITE ...): the first Debian archive.
    local found
    found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' \
               -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)[[:space:]].*/\2/p' | head -n1)"
    echo "${found:-http://deb.debian.org/debian}"
}

work="$(mktemp -d /tmp/artifact-conformance-image.XXXXXX)"
cleanup() {
    # A failed chroot step may leave nothing mounted (we mount nothing), so removal is safe.
    rm -rf "$work"
}
trap cleanup EXIT
root="$work/rootfs"
mkdir -p "$root"

# --- 1. the base root filesystem (cached) ---------------------------------------------------------
key="$(echo "$SUITE $PACKAGES $LATER_PACKAGES minbase" | sha256sum | cut -c1-12)"
base="$CACHE_DIR/$SUITE-minbase-$key.tar"
if [[ -s "$base" ]]; then
    say "base root filesystem from the cache: $base"
else
    started=$SECONDS
    url="$(mirror)"
    say "debootstrap $SUITE (minbase + $PACKAGES) from $url"
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$url" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    say "apt-get install $LATER_PACKAGES inside it"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"   # no service starts in a chroot
    chmod +x "$root/usr/sbin/policy-rc.d"
    # shellcheck disable=SC2086 # a word list
    chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $LATER_PACKAGES" >"$work/apt.log" 2>&1 ||
        { tail -n 30 "$work/apt.log" >&2; die "apt-get install $LATER_PACKAGES in the root filesystem failed (log above)"; }
    rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
    # skopeo's configuration package depends on a container network stack
    # (containernetworking-plugins, 44 MiB) that skopeo never runs.
    rm -rf "$root/usr/lib/cni"
    # What a container never needs: package caches and lists, documentation, locales.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'C.*' -exec rm -rf {} + 2>/dev/null || true
    mkdir -p "$CACHE_DIR"
    tar -C "$root" --numeric-owner -cf "$base.tmp" .
    mv "$base.tmp" "$base"
    rm -rf "$root" && mkdir -p "$root"
    say "base root filesystem built in $((SECONDS - started)) s, cached at $base"
fi
tar -C "$root" --numeric-owner -xf "$base"

# --- 2. the suite and its dependencies ---------------------------------------------------------------
started=$SECONDS
wheels="$root/tmp/wheels"
mkdir -p "$wheels"
say "building the wheels with $PYTHON -m pip wheel"
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$wheels" "$HERE" 2>"$work/pip-wheel.log" ||
    { grep -v '^WARNING: Location' "$work/pip-wheel.log" | tail -n 30 >&2; die "pip wheel failed (log above)"; }
chroot "$root" /usr/bin/python3 -m venv "$VENV"
# Only the wheels just built: the image's pip never reaches a network.
chroot "$root" "$VENV/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check --no-index \
    --find-links /tmp/wheels artifact-conformance >"$work/pip-install.log" 2>&1 ||
    { tail -n 30 "$work/pip-install.log" >&2; die "installing the wheels in the image failed (log above)"; }
rm -rf "$wheels"
chroot "$root" "$VENV/bin/pip" uninstall --quiet --yes pip >/dev/null 2>&1 || true
ln -sf "$VENV/bin/artifact-conformance" "$root/usr/local/bin/artifact-conformance"
install -m 0755 "$HERE/deploy/node-run.sh" "$root/usr/local/bin/artifact-conformance-node"
mkdir -p "$root/reports" "$root/tmp/sonobuoy/results"
chmod 1777 "$root/tmp"
say "suite installed in $((SECONDS - started)) s"

# --- 3. the image ------------------------------------------------------------------------------------
started=$SECONDS
revision="$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)"
tar -C "$root" --numeric-owner -c . |
    docker import \
        -c "ENV PATH=$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        -c 'ENV PYTHONDONTWRITEBYTECODE=1 CI=true' \
        -c 'WORKDIR /reports' \
        -c 'ENTRYPOINT ["artifact-conformance", "run"]' \
        -c "LABEL org.opencontainers.image.title=artifact-conformance org.opencontainers.image.version=$VERSION org.opencontainers.image.revision=$revision" \
        -m "artifact-conformance $VERSION ($revision) on Debian $SUITE minbase" \
        - "$IMAGE" >/dev/null
# An image whose suite cannot start fails here, not on a node.
docker run --rm --entrypoint artifact-conformance "$IMAGE" --version >/dev/null ||
    die "the image $IMAGE was built but artifact-conformance does not start in it"
size="$(docker image inspect --format '{{.Size}}' "$IMAGE")"
say "built $IMAGE ($((size / 1024 / 1024)) MiB) in $((SECONDS - started)) s of import"
